/**
 * What the users will hold once a change has run, including what the server does by itself: the
 * licence preview (`dimensions licenses --live`), the plan summary (`dimensions plan-summary`) and
 * the tests share these functions, and the live prediction walks the very plan the handler
 * executes, in its order, so the preview cannot disagree with the apply.
 *
 * The server's own roles:
 * - C3/U10: a customer created with its PBX imports every user of the PBX account, holding the
 *   region's synchronised role (`customer.user.pbx`, `customer.user.uc.essential` in the UK);
 * - U11: the customer's first supervisor level 3+ makes the server add the Real-Time Add-On to
 *   every user holding `customer.user.pbx` (the catalogue's `triggersAutoAssign`);
 * - U12: with `syncAcdAgentWithPbx` on, users the PBX reports as call-centre agents get
 *   `customer.user.acd`. Which users are agents is known to the PBX only: always a "may".
 * The app never removes these roles (U13), so a removal or a destroy leaves them in place, billed.
 */
import { findRole, isAvailableIn, isServerManaged, ROLE_CATALOGUE, type Region } from "../catalogue/roles";
import { removalOf, type TenantDesired, type UserEntry } from "../contracts/handler";
import { planUsers, type UserPlan } from "./plan";
import { desiredUsers, emailKey, sorted, withEquivalents, type LiveUser, type UserMap } from "./users";

/** The server adds customer.user to every user it creates (the API always does). */
const ADDED_ON_CREATE = ["customer.user"];

const ACD_ROLE = "customer.user.acd";

/** A user and its roles (e-mail as spelt by the code or the API). */
export interface HeldRoles {
  readonly email: string;
  readonly roles: readonly string[];
}

/**
 * will: certain once the change has run. may: it depends on what cannot be known before the apply
 * (which users the PBX reports as agents, roles granted in the portal that a saved plan cannot see).
 */
export type Certainty = "will" | "may";

/** Licensed roles the server adds by itself because of the change. */
export interface ServerGrant {
  /** "U10" (the PBX import, C3), "U11" or "U12". */
  readonly rule: string;
  readonly role: string;
  readonly certainty: Certainty;
  /** Users known to be concerned: lower-cased e-mails, sorted. */
  readonly users: readonly string[];
  /**
   * Users no one can list before the apply are concerned too: those the PBX import brings to a
   * customer the apply creates, or (for a saved plan) users of the tenant the code does not declare.
   */
  readonly unlisted: boolean;
  /** One sentence for a reviewer. */
  readonly why: string;
}

/** Licensed roles a removal (from the code, or a destroy) leaves in place: still billed. */
export interface StillBilled {
  readonly rule: string;
  readonly roles: readonly string[];
  readonly certainty: Certainty;
  readonly users: readonly string[];
  readonly unlisted: boolean;
  readonly why: string;
}

/** Every user after the plan, by lower-cased e-mail (deleted users are absent); the server's own additions are not included. */
export function rolesAfter(live: UserMap<LiveUser>, plan: UserPlan): Map<string, HeldRoles> {
  const out = new Map<string, HeldRoles>();
  for (const [key, user] of live) out.set(key, { email: user.email, roles: sorted(user.roles ?? []) });
  for (const op of plan.operations) {
    const key = emailKey(op.email);
    if (op.kind === "create") out.set(key, { email: op.email, roles: sorted([...op.roles, ...ADDED_ON_CREATE]) });
    else if (op.kind === "delete") out.delete(key);
    else if (op.kind === "patch") out.set(key, { email: op.email, roles: sorted(op.after) });
  }
  return out;
}

/**
 * U11 as data: each role the server adds, the roles that trigger it, and the roles whose holders
 * receive it — `toHoldersOf` in the region's form (U10: customer.user.uc.essential in the UK), or
 * every form where the region is unknown (a stack with apiUrl).
 */
function autoAssignments(region: Region | undefined): Array<{ role: string; toHoldersOf: string; recipients: readonly string[]; triggers: ReadonlySet<string> }> {
  const byRole = new Map<string, { role: string; toHoldersOf: string; recipients: string[]; triggers: Set<string> }>();
  for (const r of ROLE_CATALOGUE) {
    const auto = r.triggersAutoAssign;
    if (!auto) continue;
    const recipients = withEquivalents(auto.toHoldersOf).filter((k) => region === undefined || isAvailableIn(findRole(k)!, region));
    const entry = byRole.get(auto.role) ?? { role: auto.role, toHoldersOf: recipients.join(" or "), recipients, triggers: new Set<string>() };
    entry.triggers.add(r.key);
    byRole.set(auto.role, entry);
  }
  return [...byRole.values()];
}

/** U10: the role the PBX synchronises in the region (customer.user.pbx where the region is unknown). */
export function synchronisedRoleFor(region: Region | undefined): string {
  return ROLE_CATALOGUE.find((r) => r.assignment === "synced" && isAvailableIn(r, region))!.key;
}

/** Whether `roles` meet every prerequisite of `role` (U7), a regional equivalent counting (U10). */
function meetsPrerequisites(role: string, roles: readonly string[]): boolean {
  return (findRole(role)?.prerequisites ?? []).every((p) => roles.includes(p) || ROLE_CATALOGUE.some((r) => r.regionalEquivalentOf === p && roles.includes(r.key)));
}

function withoutSoftphones(entry: UserEntry): UserEntry {
  if (entry.softphones === undefined) return entry;
  const { softphones: _devices, ...rest } = entry;
  return rest;
}

const licensedServerRoles = (roles: readonly string[]) => roles.filter((r) => isServerManaged(r) && findRole(r)?.licensed === true);
const roleName = (key: string) => `${findRole(key)?.name ?? key} (${key})`;

/** What the API says about a customer before the apply, read in full (every user with its roles). */
export interface LiveTenant {
  /** false: the customer does not exist yet (an owned one is created by the apply). */
  readonly exists: boolean;
  /** Every live user, with its roles; empty when the customer does not exist. */
  readonly users: UserMap<LiveUser>;
  /** The live customer's `syncAcdAgentWithPbx`. */
  readonly acdSync?: boolean;
}

export interface TenantPrediction {
  /** The plan the handler would run against these live users. */
  readonly plan: UserPlan;
  /** Every user after the apply: the plan's writes plus the roles the server certainly adds (U11). */
  readonly after: Map<string, HeldRoles>;
  readonly grants: readonly ServerGrant[];
  readonly stillBilled: readonly StillBilled[];
}

/**
 * The live prediction: the reconcile plan for `desired` against the live tenant, walked operation
 * by operation in the handler's order, with the server's own rules applied where they fire.
 */
export function predictTenant(desired: TenantDesired, live: LiveTenant, region?: Region): TenantPrediction {
  const customer = desired.customer as Partial<Extract<TenantDesired["customer"], { name: string }>>;
  const synced = synchronisedRoleFor(region);
  const grants: ServerGrant[] = [];
  const stillBilled: StillBilled[] = [];
  const users = new Map<string, LiveUser>(live.users);

  // C3/U10: a customer the apply creates with its PBX arrives with the PBX's users. The code's
  // adopted users must be among them (an adopted user exists already); the others are unknown.
  const importing = !live.exists && customer.pbx !== undefined;
  if (importing) {
    const adopted = [...desiredUsers(desired.users)].filter(([, u]) => u.entry.origin === "adopted");
    for (const [key, u] of adopted) users.set(key, { id: `import:${key}`, email: u.email, roles: [synced] });
    grants.push({
      rule: "U10",
      role: synced,
      certainty: "will",
      users: sorted(adopted.map(([key]) => key)),
      unlisted: true,
      why: `the customer is created with its PBX (C3): every user of PBX account ${customer.pbx!.accountId} is imported holding ${roleName(synced)}; how many is known only once it exists`,
    });
  }

  // Softphones (U14) change no licensed role, and a live read need not report devices: the role plan
  // is the handler's without its device operations.
  const roleEntries = Object.fromEntries(Object.entries(desired.users).map(([email, entry]) => [email, withoutSoftphones(entry)]));
  const plan = planUsers({ desired: desiredUsers(roleEntries), authoritative: desired.authoritative === true }, users);
  const state = new Map<string, HeldRoles>([...users].map(([key, u]) => [key, { email: u.email, roles: sorted(u.roles ?? []) }]));

  // U12: the handler sets the customer first; switching the sync on (or creating the customer
  // with it) makes the server give the add-on to the PBX's agents, whom only the PBX knows.
  const acdOn = customer.syncAcdAgentWithPbx === true && (importing || (live.exists && live.acdSync !== true));
  if (acdOn) {
    const candidates = [...state].filter(([, u]) => !u.roles.includes(ACD_ROLE) && meetsPrerequisites(ACD_ROLE, u.roles)).map(([key]) => key);
    grants.push({
      rule: "U12",
      role: ACD_ROLE,
      certainty: "may",
      users: sorted(candidates),
      unlisted: importing,
      why: `syncAcdAgentWithPbx is ${importing ? "on for the new customer" : "switched on"}: users the PBX reports as call-centre agents get ${roleName(ACD_ROLE)}; only the PBX knows which`,
    });
  }
  if (live.exists && live.acdSync === true && customer.syncAcdAgentWithPbx === false) {
    const holders = [...state].filter(([, u]) => u.roles.includes(ACD_ROLE)).map(([key]) => key);
    if (holders.length) {
      stillBilled.push({ rule: "U12", roles: [ACD_ROLE], certainty: "will", users: sorted(holders), unlisted: false, why: `syncAcdAgentWithPbx is switched off: the ${roleName(ACD_ROLE)} the server gave stays (the app never removes it, U13)` });
    }
  }

  // U11, walked in the handler's order: each time the customer goes from no supervisor level 3+
  // to one, the server adds the role to every holder of `toHoldersOf` at that moment.
  const autos = autoAssignments(region).map((a) => {
    const holding = (roles: readonly string[]) => roles.some((r) => a.triggers.has(r));
    const count = [...state.values()].filter((u) => holding(u.roles)).length;
    return { ...a, holding, count, initially: count, added: new Set<string>() };
  });
  const leftBilled = new Map<string, Set<string>>();
  for (const op of plan.operations) {
    if (op.kind !== "create" && op.kind !== "patch" && op.kind !== "delete") continue;
    const key = emailKey(op.email);
    const current = state.get(key)?.roles;
    let next: string[] | undefined;
    if (op.kind === "create") next = sorted([...op.roles, ...ADDED_ON_CREATE]);
    // The handler keeps what the server added since it read the user (withRolesAddedSince).
    else if (op.kind === "patch") next = sorted([...op.after, ...(current ?? []).filter((r) => isServerManaged(r) && !op.before.includes(r))]);
    if (next !== undefined) state.set(key, { email: op.email, roles: next });
    else state.delete(key);
    for (const a of autos) {
      const was = a.count;
      a.count += Number(next !== undefined && a.holding(next)) - Number(current !== undefined && a.holding(current));
      if (was > 0 || a.count === 0) continue;
      for (const [k, u] of state) {
        if (!a.recipients.some((k) => u.roles.includes(k)) || u.roles.includes(a.role)) continue;
        state.set(k, { email: u.email, roles: sorted([...u.roles, a.role]) });
        a.added.add(k);
      }
    }
    // A removal that revokes, not deletes (H7, H8, removal policy revoke): what the server gave stays.
    if (op.kind === "patch" && op.why !== "changed") {
      for (const role of licensedServerRoles(state.get(key)!.roles)) leftBilled.set(role, (leftBilled.get(role) ?? new Set<string>()).add(key));
    }
  }

  for (const a of autos) {
    if (a.added.size > 0 || (importing && a.count > 0)) {
      grants.push({
        rule: "U11",
        role: a.role,
        certainty: "will",
        users: sorted(a.added),
        unlisted: importing,
        why: `the customer's first supervisor level 3+ makes the server add ${roleName(a.role)} to every user holding ${a.toHoldersOf}`,
      });
    }
    const holders = [...state].filter(([, u]) => u.roles.includes(a.role)).map(([key]) => key);
    if (a.initially > 0 && a.count === 0 && holders.length > 0) {
      stillBilled.push({
        rule: "U11",
        roles: [a.role],
        certainty: "will",
        users: sorted(holders),
        unlisted: false,
        why: `the customer's last supervisor level 3+ goes, but the ${roleName(a.role)} the server added stays on every user holding it (the app never removes it, U13)`,
      });
    }
  }
  const revoked = [...leftBilled.values()].flatMap((s) => [...s]);
  if (revoked.length) {
    stillBilled.push({
      rule: "U13",
      roles: sorted(leftBilled.keys()),
      certainty: "will",
      users: sorted(revoked),
      unlisted: false,
      why: "revoked, not deleted: the user keeps the licensed roles the server assigns (the app never removes them, U13; a PBX user is never deleted, H7)",
    });
  }
  const ruleOrder = (rule: string) => Number(rule.slice(1));
  grants.sort((a, b) => ruleOrder(a.rule) - ruleOrder(b.rule));
  return { plan, after: state, grants, stillBilled };
}

/** A tenant as a saved plan shows it: the code's users, before or after the change. */
export interface PlannedTenant {
  readonly users: ReadonlyMap<string, { readonly email: string; readonly entry: UserEntry }>;
  readonly syncAcdAgentWithPbx?: boolean;
  /** Owned customers: what a removal does to the customer (C5). */
  readonly removalPolicy?: string;
  readonly owned: boolean;
}

/**
 * The prediction from a saved plan alone (no API): `before` and `after` are the code's view of the
 * tenant (undefined: the customer is created, or removed). Without the live tenant, who holds which
 * server role is known only where the code declares it; every other user is `unlisted`.
 */
export function predictFromCode(before: PlannedTenant | undefined, after: PlannedTenant | undefined, region?: Region): { grants: ServerGrant[]; stillBilled: StillBilled[] } {
  const grants: ServerGrant[] = [];
  const stillBilled: StillBilled[] = [];
  const created = before === undefined && after !== undefined;
  const entries = (t: PlannedTenant | undefined) => [...(t?.users ?? new Map<string, { email: string; entry: UserEntry }>())];

  for (const a of autoAssignments(region)) {
    const holding = (t: PlannedTenant | undefined) => entries(t).some(([, u]) => u.entry.roles.some((r) => a.triggers.has(r)));
    const onPbx = (roles: readonly string[]) => a.recipients.some((k) => roles.includes(k));
    const recipients = (t: PlannedTenant | undefined) => entries(t).filter(([, u]) => onPbx(u.entry.roles) && !u.entry.roles.includes(a.role)).map(([key]) => key);
    if (holding(after) && !holding(before)) {
      grants.push({
        rule: "U11",
        role: a.role,
        certainty: created && after!.owned ? "will" : "may",
        users: sorted(recipients(after)),
        unlisted: true,
        why: created && after!.owned
          ? `the new customer's first supervisor level 3+ makes the server add ${roleName(a.role)} to every user holding ${a.toHoldersOf} (every PBX user)`
          : `the code's first supervisor level 3+ makes the server add ${roleName(a.role)} to every user holding ${a.toHoldersOf} (every PBX user), unless the customer already has one the code does not declare`,
      });
    }
    if (holding(before) && !holding(after)) {
      stillBilled.push({
        rule: "U11",
        roles: [a.role],
        certainty: "will",
        users: sorted(entries(before).filter(([, u]) => onPbx(u.entry.roles)).map(([key]) => key)),
        unlisted: true,
        why: `the code's last supervisor level 3+ goes, but the ${roleName(a.role)} the server added to the PBX users stays (the app never removes it, U13)`,
      });
    }
  }

  if (after?.syncAcdAgentWithPbx === true && before?.syncAcdAgentWithPbx !== true) {
    grants.push({
      rule: "U12",
      role: ACD_ROLE,
      certainty: "may",
      users: [],
      unlisted: true,
      why: `syncAcdAgentWithPbx is ${created ? "on for the new customer" : "switched on"}: users the PBX reports as call-centre agents get ${roleName(ACD_ROLE)}; only the PBX knows which`,
    });
  }
  if (before?.syncAcdAgentWithPbx === true && after?.syncAcdAgentWithPbx === false) {
    stillBilled.push({ rule: "U12", roles: [ACD_ROLE], certainty: "will", users: [], unlisted: true, why: `syncAcdAgentWithPbx is switched off: the ${roleName(ACD_ROLE)} the server gave the agents stays (the app never removes it, U13)` });
  }

  // Users leaving the code keep what the server gave them: a revoked user always, a deleted one
  // when it is on the PBX (H7); a retained one keeps every role. Not when the customer is deleted.
  const customerDeleted = after === undefined && before?.owned === true && before.removalPolicy === "delete";
  const leaving = entries(before).filter(([key]) => !after?.users.has(key));
  const serverRoles = ROLE_CATALOGUE.filter((r) => r.licensed && (r.assignment === "synced" || r.assignment === "auto") && isAvailableIn(r, region)).map((r) => r.key);
  if (!customerDeleted && leaving.length) {
    stillBilled.push({
      rule: "U13",
      roles: serverRoles,
      certainty: "may",
      users: sorted(leaving.map(([key]) => key)),
      unlisted: false,
      why: "users leaving the code keep the licensed roles the server assigned them, if they hold any (the PBX role, the Real-Time and Agent add-ons): the app never removes them (U13), and never deletes a PBX user (H7)",
    });
    const retained = leaving.filter(([, u]) => removalOf(u.entry) === "retain" && u.entry.roles.some((r) => findRole(r)?.licensed));
    if (retained.length) {
      stillBilled.push({
        rule: "U9",
        roles: sorted(retained.flatMap(([, u]) => u.entry.roles.filter((r) => findRole(r)?.licensed))),
        certainty: "will",
        users: sorted(retained.map(([key]) => key)),
        unlisted: false,
        why: "retained (removal policy retain): nothing is sent, so every licensed role these users hold stays",
      });
    }
  }
  if (after === undefined && before?.owned === true && !customerDeleted) {
    stillBilled.push({
      rule: "C5",
      roles: serverRoles,
      certainty: "will",
      users: [],
      unlisted: true,
      why: `the customer is ${before.removalPolicy === "disable" ? "disabled, not deleted" : "retained"} (removal policy ${before.removalPolicy ?? "retain"}): its PBX users stay, with the licensed roles the server assigned them`,
    });
  }
  return { grants, stillBilled };
}
