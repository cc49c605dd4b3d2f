/**
 * Decide, then act: the pure step that compares a tenant's desired users with its previous desired
 * users and its live users, and returns the ordered operations that take the tenant there. The
 * handler's executor only runs them.
 *
 * Order (U5, H1, U4): softphone devices are unassigned first (U14, ./softphones), then admins are
 * granted (the primary first), then creates and role changes, then removals, and admin revocations
 * each re-checked against the live tenant before it runs, and devices are assigned last. Each user write is one request. Roles the server assigns, synchronises or keeps read-only
 * (U10–U13) are never removed and never cause a change. A role the new desired state keeps is
 * never missing, even for a moment: role lists are replaced whole, never emptied first. Within a
 * phase, an operation that may give the customer its first supervisor level 3+ comes first (U11:
 * the server then adds the Real-Time Add-On to every PBX user; see `withRolesAddedSince`).
 */
import { isAdmin, isServerManaged } from "../catalogue/roles";
import type { DeviceClientType, JsonPatchOperation } from "../contracts/api";
import type { ApplyCode } from "../contracts/apply-codes";
import { removalOf, type UserEntry } from "../contracts/handler";
import { planEmails, type EmailSend } from "./emails";
import {
  emailKey,
  exactTarget,
  gainsTrigger,
  holdsTrigger,
  isOnPbx,
  losesAdmin,
  manageable,
  receivesAutoRoles,
  sameEntry,
  sameSet,
  sorted,
  stillRemovable,
  withoutAdminRoles,
  type DesiredUser,
  type LiveUser,
  type UserMap,
} from "./users";
import { planDevices } from "./softphones";

export const PHASES = ["device-unassigns", "admin-grants", "changes", "removals", "admin-revocations", "device-assigns"] as const;
export type Phase = (typeof PHASES)[number];

interface OperationBase {
  /** The e-mail as the code (or the live tenant, for undeclared users) spells it. */
  readonly email: string;
  readonly phase: Phase;
  /** The customer's primary admin in the desired state (H1): granted before every other user. */
  readonly primary: boolean;
}

export type UserOperation =
  | (OperationBase & { readonly kind: "create"; readonly displayName: string; readonly roles: readonly string[] })
  | (OperationBase & {
      readonly kind: "patch";
      readonly userId: string;
      readonly patch: readonly JsonPatchOperation[];
      readonly before: readonly string[];
      readonly after: readonly string[];
      /** Why: "changed", "removed from the code", "not declared (H8)". */
      readonly why: string;
    })
  | (OperationBase & { readonly kind: "delete"; readonly userId: string; readonly before: readonly string[] })
  /** U14. `userId` is absent for a user the plan creates: the executor knows its id by then. */
  | (OperationBase & { readonly kind: "assign-device"; readonly userId?: string; readonly device: string; readonly clientType: DeviceClientType; readonly why: string })
  | (OperationBase & { readonly kind: "unassign-device"; readonly userId: string; readonly device: string; readonly clientType: string; readonly why: string });

/** A user the plan cannot take to its desired state; the other users still go ahead. */
export interface PlanIssue {
  readonly email: string;
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly rule?: string;
}

/** Something worth a log line that needs no request. */
export interface PlanNotice {
  readonly email: string;
  readonly text: string;
  /** The apply-time code (contracts/apply-codes) when the notice stands for a domain rule. */
  readonly code?: ApplyCode;
}

export interface UserPlanInput {
  readonly desired: UserMap<DesiredUser>;
  /**
   * What was applied before, when known (the old state of a replaced resource). Unknown (a first
   * create, `-replace`, `taint`): every declared user is converged and no user is removed, since
   * nothing says which live users the code once declared.
   */
  readonly previous?: UserMap<DesiredUser>;
  /** H8: users the code does not declare lose every role the app can remove. */
  readonly authoritative: boolean;
}

export interface UserPlan {
  readonly operations: UserOperation[];
  readonly issues: PlanIssue[];
  readonly notices: PlanNotice[];
  /** Users looked at whose live state already matches. */
  readonly unchanged: number;
  /** H5, U14: e-mails whose trigger changed (./emails), sent after every operation. */
  readonly emails: EmailSend[];
}

/** An undeclared user of an authoritative customer (H8): revoked, never deleted. */
const UNDECLARED: UserEntry = { roles: [], origin: "adopted", management: "exact", removal: "revoke" };

/** Declared users whose entry differs from what was applied (all of them when that is unknown). */
export function touchedUsers(input: UserPlanInput): string[] {
  const { desired, previous } = input;
  return [...desired.keys()].filter((key) => {
    const before = previous?.get(key);
    return before === undefined || !sameEntry(before.entry, desired.get(key)!.entry);
  });
}

/** Users that leave: applied before and no longer declared; with H8, every live user not declared. */
export function leavingUsers(input: UserPlanInput, listed: UserMap<LiveUser>): Array<{ key: string; email: string; entry: UserEntry; why: string }> {
  const out = new Map<string, { key: string; email: string; entry: UserEntry; why: string }>();
  for (const [key, before] of input.previous ?? []) {
    if (!input.desired.has(key)) out.set(key, { key, email: before.email, entry: before.entry, why: "removed from the code" });
  }
  if (input.authoritative) {
    for (const [key, live] of listed) {
      if (!input.desired.has(key) && !out.has(key)) out.set(key, { key, email: live.email, entry: UNDECLARED, why: "not declared in an authoritative customer (H8)" });
    }
  }
  return [...out.values()];
}

/** The live users whose roles the plan needs (listings carry no roles): one GET each. */
export function usersToRead(input: UserPlanInput, listed: UserMap<LiveUser>): string[] {
  const keys = new Set<string>();
  for (const key of touchedUsers(input)) if (listed.has(key)) keys.add(key);
  for (const leaving of leavingUsers(input, listed)) {
    if (listed.has(leaving.key) && removalOf(leaving.entry) !== "retain") keys.add(leaving.key);
  }
  return [...keys].sort();
}

function phaseOf(before: readonly string[], after: readonly string[]): Phase {
  if (losesAdmin(before, after)) return "admin-revocations";
  if (isAdmin(after) && !isAdmin(before)) return "admin-grants";
  return "changes";
}

function rolesOf(live: LiveUser): readonly string[] {
  if (!live.roles) throw new Error(`internal: the roles of ${live.email} were not read before planning`);
  return live.roles;
}

/**
 * The operations, issues and notices that take the live users to the desired ones. `live` holds
 * every listed user, with `roles` for each one `usersToRead` named.
 */
export function planUsers(input: UserPlanInput, live: UserMap<LiveUser>): UserPlan {
  const operations: UserOperation[] = [];
  const issues: PlanIssue[] = [];
  const notices: PlanNotice[] = [];
  let unchanged = 0;

  for (const key of touchedUsers(input)) {
    const { email, entry } = input.desired.get(key)!;
    const primary = entry.primary ?? false;
    const additive = (entry.management ?? "exact") === "additive";
    const current = live.get(key);
    if (!current) {
      if (additive || entry.origin === "adopted") {
        issues.push({
          email,
          code: "UserNotFound",
          message: additive
            ? "the user does not exist in this customer; a role assignment only grants roles to existing users"
            : "the adopted user does not exist in this customer; an adopted user (for example imported from the PBX) must exist already",
          hint: additive ? "declare the user with CustomerUser to create it, or check the e-mail" : "check the e-mail and the customer's PBX import, or declare it with new CustomerUser to create it",
        });
        continue;
      }
      const roles = sorted(entry.roles);
      operations.push({ kind: "create", email, primary, phase: isAdmin(roles) ? "admin-grants" : "changes", displayName: entry.displayName ?? email, roles });
      continue;
    }

    const before = sorted(rolesOf(current));
    let after: string[];
    let removing: string[] = [];
    if (additive) {
      const previous = input.previous?.get(key)?.entry;
      const withdrawn = previous && (previous.management ?? "exact") === "additive" ? previous.roles.filter((r) => !entry.roles.includes(r)) : [];
      removing = stillRemovable(before, manageable(withdrawn.filter((r) => before.includes(r))));
      after = sorted([...before, ...entry.roles].filter((r) => !removing.includes(r)));
    } else {
      after = exactTarget(entry.roles, before);
    }

    const patch: JsonPatchOperation[] = [];
    if (!additive && entry.displayName !== undefined && current.displayName !== entry.displayName) {
      patch.push({ op: "replace", path: "/displayName", value: entry.displayName });
    }
    if (!sameSet(before, after)) {
      // `add /roles/-` keeps every role the app does not own, whoever granted it meanwhile.
      if (additive && removing.length === 0) for (const role of after.filter((r) => !before.includes(r))) patch.push({ op: "add", path: "/roles/-", value: role });
      else patch.push({ op: "replace", path: "/roles", value: after });
    }
    if (patch.length === 0) {
      unchanged++;
      continue;
    }
    operations.push({ kind: "patch", email, primary, phase: phaseOf(before, after), userId: current.id, patch, before, after, why: "changed" });
  }

  const otherPrimary = (key: string) => [...input.desired].some(([k, u]) => k !== key && u.entry.primary === true);
  for (const leaving of leavingUsers(input, live)) {
    const { key, email, entry, why } = leaving;
    const policy = removalOf(entry);
    const current = live.get(key);
    if (!current) {
      notices.push({ email, text: `${why}: already gone` });
      continue;
    }
    if (policy === "retain") {
      notices.push({ email, text: `${why}: retained (removal policy retain)` });
      continue;
    }
    const before = sorted(rolesOf(current));
    // H1: no automation removes the primary admin unless another is named primary in the same change.
    const primaryKept = entry.primary === true && isAdmin(before) && !otherPrimary(key);
    // H7: a user on the PBX is never deleted, whatever the code declared.
    const onPbx = isOnPbx(before);
    const deletable = policy === "delete" && (entry.origin ?? "created") === "created" && (entry.management ?? "exact") === "exact";
    if (deletable && !onPbx && !primaryKept) {
      operations.push({ kind: "delete", email, primary: false, phase: isAdmin(before) ? "admin-revocations" : "removals", userId: current.id, before });
      continue;
    }
    const additive = (entry.management ?? "exact") === "additive";
    let remove = additive ? stillRemovable(before, manageable(entry.roles.filter((r) => before.includes(r)))) : manageable(before);
    if (primaryKept) {
      remove = withoutAdminRoles(remove);
      notices.push({ email, code: "PrimaryAdminKept", text: "primary admin kept (H1): name another primary admin in the same change to hand over" });
    }
    if (deletable && onPbx) notices.push({ email, code: "PbxUserKept", text: "on the PBX, so it is never deleted (H7): the roles the app manages are revoked instead" });
    const after = before.filter((r) => !remove.includes(r));
    if (remove.length === 0) {
      unchanged++;
      continue;
    }
    if (entry === UNDECLARED) notices.push({ email, code: "UndeclaredUserRevoked", text: "not declared in a customer with authoritative users (H8): every role the app can remove is revoked" });
    operations.push({
      kind: "patch",
      email,
      primary: false,
      phase: losesAdmin(before, after) ? "admin-revocations" : "removals",
      userId: current.id,
      patch: [{ op: "replace", path: "/roles", value: after }],
      before,
      after,
      why,
    });
  }

  const mail = planEmails(input, live);
  issues.push(...mail.issues);
  notices.push(...mail.notices);

  const devices = planDevices(input, live, operations);
  // A user whose roles stay but whose devices change is not "already as declared".
  const roleChanged = new Set(operations.map((op) => emailKey(op.email)));
  unchanged -= new Set(devices.map((op) => emailKey(op.email)).filter((k) => !roleChanged.has(k))).size;
  operations.push(...devices);
  operations.sort(
    (a, b) =>
      PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) ||
      Number(b.primary) - Number(a.primary) ||
      Number(mayTriggerAutoRoles(b)) - Number(mayTriggerAutoRoles(a)) ||
      emailKey(a.email).localeCompare(emailKey(b.email)),
  );
  return { operations, issues, notices, unchanged, emails: mail.sends };
}

/** Users whose desired roles make them admins (H1 successors), the primary first. */
export function declaredAdmins(desired: UserMap<DesiredUser>): string[] {
  return [...desired.values()]
    .filter((u) => (u.entry.management ?? "exact") === "exact" && isAdmin(u.entry.roles))
    .sort((a, b) => Number(b.entry.primary ?? false) - Number(a.entry.primary ?? false) || a.email.localeCompare(b.email))
    .map((u) => emailKey(u.email));
}

/** U11: the operation may give the customer its first supervisor level 3+ (the server then adds roles to other users). */
export function mayTriggerAutoRoles(op: UserOperation): boolean {
  if (op.kind === "create") return holdsTrigger(op.roles);
  if (op.kind === "patch") return gainsTrigger(op.before, op.after);
  return false;
}

/** U11: a whole role list of a user the server adds roles to (a PBX user), written from roles read earlier. */
export function replacesAutoRecipient(op: UserOperation): op is Extract<UserOperation, { kind: "patch" }> {
  return op.kind === "patch" && receivesAutoRoles(op.before) && op.patch.some((p) => p.op === "replace" && p.path === "/roles");
}

/**
 * U11, U13: the operation once the user's roles were read again. A first supervisor level 3+
 * granted earlier in the same run makes the server add the Real-Time Add-On to every PBX user, and
 * `replace /roles` keeps only synchronised roles: the list read before would take it away again.
 * Server-managed roles the user gained since the read are kept.
 */
export function withRolesAddedSince<T extends Extract<UserOperation, { kind: "patch" }>>(op: T, fresh: readonly string[]): T {
  const gained = fresh.filter((r) => isServerManaged(r) && !op.before.includes(r) && !op.after.includes(r));
  if (gained.length === 0) return op;
  const after = sorted([...op.after, ...gained]);
  return { ...op, after, patch: op.patch.map((p) => (p.op === "replace" && p.path === "/roles" ? { ...p, value: after } : p)) };
}
