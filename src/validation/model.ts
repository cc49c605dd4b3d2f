/**
 * The app's declarations as plain data, and the cross-construct domain rules over it.
 *
 * The constructs layer builds a `DimensionsModel` from the construct tree at synth and turns the
 * findings of `validateModel` into annotations; the same `foldGrants` decides the roles each user
 * resource renders, so what is validated is exactly what is applied. Pure and deterministic: no
 * construct tree, no network, no clock.
 */
import { findRole, isAdmin, isAvailableIn, regionalEquivalents, Role, type Region } from "../catalogue/roles";
import { checkWelcomeNeedsUc } from "./emails";
import { finding, type Finding } from "./rules";
import { softphoneFindings, type SoftphoneModel } from "./softphones";
import { editDistance } from "./suggest";

export interface StackModel {
  readonly path: string;
  /**
   * C6: the stack's explicit opt-in to charges; undefined when the setting itself is wrong (its
   * own error is reported), so the chargeable changes it would refuse are not reported as well.
   */
  readonly acceptCharges: boolean | undefined;
  /**
   * U10: the region whose catalogue applies.
   * @default - unknown (a stack with `apiUrl`): no role is unavailable, either regional equivalent
   * meets a prerequisite
   */
  readonly region?: Region;
}

export interface CustomerModel {
  readonly path: string;
  readonly stackPath: string;
  /** Declared with `new Customer` (true) or `Customer.fromReference` (false). */
  readonly owned: boolean;
  readonly reference: string;
  /**
   * Some users declared for the customer could not be taken into the model (an unusable e-mail, a
   * users CSV with bad rows), and their errors are reported: the rules about all its users (U4, H1)
   * wait, rather than report a missing admin who is only missing because of those errors.
   * @default false
   */
  readonly usersIncomplete?: boolean;
}

/**
 * - declared: `new CustomerUser` (created if missing);
 * - adopted: `CustomerUser.adopt` (must exist; never deleted);
 * - referenced: an e-mail named by a RoleAssignment and declared by no CustomerUser (additive).
 */
export type UserKind = "declared" | "adopted" | "referenced";

export interface UserModel {
  readonly path: string;
  /** Stack that holds the user's resource. */
  readonly stackPath: string;
  readonly customerPath: string;
  readonly email: string;
  readonly kind: UserKind;
  /** Roles the user's own construct declares (empty for referenced users). */
  readonly roles: readonly string[];
  readonly primaryAdmin: boolean;
  /**
   * H2: path of the user whose roles this one copies (its own, its template's and its
   * assignments'), resolved here so rules and rendering see the same roles.
   * @default - no template
   */
  readonly rolesFrom?: string;
  /** U14: the trigger of the UC welcome e-mail (validation/emails). @default - none */
  readonly sendWelcome?: string;
  /**
   * U14: the PBX devices the user holds, as checked by its construct (./softphones).
   * @default - none declared
   */
  readonly softphones?: readonly SoftphoneModel[];
}

export interface AssignmentModel {
  readonly path: string;
  readonly stackPath: string;
  readonly customerPath: string;
  readonly roles: readonly string[];
  /** Paths of the users (declared, adopted or referenced) the roles fold into. */
  readonly userPaths: readonly string[];
}

export interface DimensionsModel {
  readonly stacks: readonly StackModel[];
  readonly customers: readonly CustomerModel[];
  readonly users: readonly UserModel[];
  readonly assignments: readonly AssignmentModel[];
}

/** Where a user's role comes from: its own construct ("own") or a RoleAssignment's path. */
export type GrantSources = ReadonlyMap<string, readonly string[]>;

/** The roles a user's own declaration and every assignment naming it add up to (sorted, unique). */
export function foldRoles(own: readonly string[], ...granted: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set([...own, ...granted.flat()])].sort();
}

/**
 * For each user path: each role it will hold and where that role comes from. Assignments only add;
 * a role declared by two sources is held once.
 */
export function foldGrants(model: Pick<DimensionsModel, "users" | "assignments">): Map<string, GrantSources> {
  const out = new Map<string, Map<string, string[]>>();
  const add = (userPath: string, role: string, source: string) => {
    let roles = out.get(userPath);
    if (!roles) out.set(userPath, (roles = new Map()));
    const sources = roles.get(role) ?? [];
    if (!sources.includes(source)) sources.push(source);
    roles.set(role, sources);
  };
  for (const user of model.users) {
    if (!out.has(user.path)) out.set(user.path, new Map());
    for (const role of user.roles) add(user.path, role, "own");
  }
  for (const assignment of model.assignments) {
    for (const userPath of assignment.userPaths) for (const role of assignment.roles) add(userPath, role, assignment.path);
  }
  // H2: a user copies what its template will hold. Templates are resolved deepest first, so a chain
  // (c copies b copies a) copies everything; a cycle copies nothing (RoleTemplateCycle reports it).
  const direct = new Map([...out].map(([path, roles]) => [path, [...roles.keys()]]));
  const byPath = new Map(model.users.map((u) => [u.path, u]));
  for (const user of model.users) {
    const chain = templateChain(user.path, (p) => byPath.get(p)?.rolesFrom);
    if (chain.cycle) continue;
    for (const template of chain.templates) for (const role of direct.get(template) ?? []) add(user.path, role, `${TEMPLATE_SOURCE}${template}`);
  }
  return out;
}

/** Prefix of a grant source that is a template (rolesFrom), followed by the template's path. */
export const TEMPLATE_SOURCE = "rolesFrom:";

/**
 * The templates a user copies from, nearest first (H2), and whether following `rolesFrom` comes
 * back to a user already seen. Generic over how the next template is found, so the construct
 * layer's rendering uses the same walk.
 */
export function templateChain<T>(start: T, next: (x: T) => T | undefined): { templates: T[]; cycle: boolean } {
  const seen = new Set<T>([start]);
  const templates: T[] = [];
  for (let t = next(start); t !== undefined; t = next(t)) {
    if (seen.has(t)) return { templates, cycle: true };
    seen.add(t);
    templates.push(t);
  }
  return { templates, cycle: false };
}

function describeSources(sources: readonly string[] | undefined): string {
  const assignments = (sources ?? []).filter((s) => s !== "own" && !s.startsWith(TEMPLATE_SOURCE));
  const templates = (sources ?? []).filter((s) => s.startsWith(TEMPLATE_SOURCE)).map((s) => s.slice(TEMPLATE_SOURCE.length));
  const parts = [
    ...(assignments.length === 0 ? [] : [`granted by RoleAssignment ${assignments.map((a) => `"${a}"`).join(", ")}`]),
    ...(templates.length === 0 ? [] : [`copied from ${templates.map((t) => `"${t}"`).join(", ")} (rolesFrom)`]),
  ];
  return parts.length === 0 ? "" : ` (${parts.join("; ")})`;
}

/** Where a missing role is best added: the user's own roles, or the assignment that granted the role. */
function whereToFix(sources: readonly string[] | undefined): string {
  const others = (sources ?? []).filter((s) => s !== "own");
  if ((sources ?? []).includes("own") || others.length === 0) return "the user's roles";
  return others[0].startsWith(TEMPLATE_SOURCE)
    ? `the roles of template "${others[0].slice(TEMPLATE_SOURCE.length)}" or of the user`
    : `the roles of RoleAssignment "${others[0]}" or of the user`;
}

/** Every cross-construct rule, in a deterministic order (model order, then rule order). */
export function validateModel(model: DimensionsModel): Finding[] {
  const out: Finding[] = [];
  const grants = foldGrants(model);
  const stacks = new Map(model.stacks.map((s) => [s.path, s]));
  const customers = new Map(model.customers.map((c) => [c.path, c]));
  const rolesOf = (user: UserModel) => [...(grants.get(user.path)?.keys() ?? [])].sort();

  // C2: one reference, one customer, across the whole app (owned or referenced alike).
  const byReference = new Map<string, CustomerModel[]>();
  for (const c of model.customers) byReference.set(c.reference, [...(byReference.get(c.reference) ?? []), c]);
  // One mistake, one error: reported on each declaration after the first, naming the first.
  for (const c of model.customers) {
    const all = byReference.get(c.reference) ?? [];
    if (all[0] !== c) {
      out.push(
        finding(
          "DuplicateCustomerReference",
          c.path,
          `reference "${c.reference}" is already used by "${all[0].path}"`,
          "declare each customer once (use Customer.fromReference in other stacks) or give each customer its own reference",
        ),
      );
    }
  }

  // C6/U9: what costs money, per stack that does not accept charges: creating a customer, and
  // licensed roles. One setting, one error (on the stack), listing what it refuses.
  const chargeable = new Map<string, string[]>();
  const charge = (stackPath: string, what: string) => {
    if (stacks.get(stackPath)?.acceptCharges === false) chargeable.set(stackPath, [...(chargeable.get(stackPath) ?? []), what]);
  };
  for (const c of model.customers) if (c.owned) charge(c.stackPath, `creating customer "${c.reference}" ("${c.path}")`);

  for (const a of model.assignments) {
    const customer = customers.get(a.customerPath);
    if (customer && customer.stackPath !== a.stackPath) {
      out.push(
        finding(
          "CrossStackReference",
          a.path,
          `RoleAssignment is in stack "${a.stackPath}" but its customer "${customer.reference}" is in stack "${customer.stackPath}"`,
          "declare the assignment in the customer's stack, or use Customer.fromReference in this stack",
        ),
      );
    }
  }

  // U1 (warning): an e-mail named by a RoleAssignment that no user of the app declares must be an
  // existing user, or the apply fails. One edit away from a user the customer declares, it is most
  // likely that user, mistyped: said at synth, before any change of the apply went through.
  const usersByPath = new Map(model.users.map((u) => [u.path, u]));
  for (const a of model.assignments) {
    const declaredOfCustomer = model.users.filter((u) => u.customerPath === a.customerPath && u.kind !== "referenced");
    for (const target of a.userPaths.map((p) => usersByPath.get(p))) {
      if (target?.kind !== "referenced") continue;
      const near = declaredOfCustomer.find((u) => editDistance(u.email.toLowerCase(), target.email.toLowerCase()) === 1);
      if (!near) continue;
      const reference = customers.get(a.customerPath)?.reference;
      out.push(
        finding(
          "AssignedEmailNearDeclaredUser",
          a.path,
          `"${target.email}" is declared by no user of the app and is one edit away from the declared "${near.email}" ("${near.path}") of customer "${reference}"; an e-mail no user declares must name an existing user, or the apply fails`,
          `name "${near.email}" (or its CustomerUser) if that user is meant, or acknowledge the finding if "${target.email}" is another existing user`,
        ),
      );
    }
  }

  for (const user of model.users) {
    const customer = customers.get(user.customerPath);
    const roles = rolesOf(user);
    const sources = grants.get(user.path) ?? new Map<string, readonly string[]>();
    const held = new Set(roles);
    const who = `user "${user.email}"`;
    // A role key that is not in the catalogue (reported as UnknownRole where it was written) leaves
    // the role set unknown: a rule about a role it lacks would only repeat the typo (the unknown
    // key may be the very role found missing), so those rules wait until it is fixed.
    const uncertain = roles.some((r) => !findRole(r));
    // A role only copied from templates (rolesFrom): the template holds every role it gives, so a
    // finding that depends on such roles alone is the template's, reported on it, not once more
    // on every user copying it.
    const copied = (key: string) => {
      const from = sources.get(key) ?? [];
      return from.length > 0 && from.every((s) => s.startsWith(TEMPLATE_SOURCE));
    };

    if (customer && customer.stackPath !== user.stackPath) {
      out.push(
        finding(
          "CrossStackReference",
          user.path,
          `${who} is in stack "${user.stackPath}" but its customer "${customer.reference}" is in stack "${customer.stackPath}"`,
          "declare the user in the customer's stack, or use Customer.fromReference in this stack",
        ),
      );
    }

    // U10: a role that does not exist in the stack's region (catalogue data: unavailableIn/onlyIn).
    const region = stacks.get(user.stackPath)?.region;
    for (const key of roles) {
      const role = findRole(key);
      if (!role || isAvailableIn(role, region) || copied(key)) continue;
      const instead = regionalEquivalents(key).filter((e) => {
        const r = findRole(e);
        return r !== undefined && isAvailableIn(r, region);
      });
      out.push(
        finding(
          "RoleUnavailableInRegion",
          user.path,
          `role "${key}" of ${who}${describeSources(sources.get(key))} does not exist in region "${region}" of stack "${user.stackPath}"`,
          instead.length > 0 ? `use "${instead[0]}" instead (its equivalent in region "${region}")` : `remove "${key}" from ${whereToFix(sources.get(key))}`,
        ),
      );
    }

    // U9: licensed roles cost money (C6).
    const licensed = roles.filter((r) => findRole(r)?.licensed);
    if (licensed.length > 0) charge(user.stackPath, `licensed role(s) ${licensed.map((r) => `"${r}"`).join(", ")} of ${who} ("${user.path}")`);

    // U3: user.admin without customer.user cannot log in.
    const adminWithoutLogin = !uncertain && held.has(Role.MANAGE_USERS) && !held.has(Role.WEBSITE_ACCESS);
    if (adminWithoutLogin && !copied(Role.MANAGE_USERS)) {
      out.push(
        finding(
          "AdminWithoutWebsiteAccess",
          user.path,
          `${who} holds "${Role.MANAGE_USERS}"${describeSources(sources.get(Role.MANAGE_USERS))} without "${Role.WEBSITE_ACCESS}": it cannot log in`,
          `add "${Role.WEBSITE_ACCESS}" to ${whereToFix(sources.get(Role.MANAGE_USERS))}`,
        ),
      );
    }

    // U7: prerequisites (after folding every assignment in), one finding per missing role, naming
    // every role that needs it. U3 already says customer.user is missing when user.admin is held.
    const needing = new Map<string, string[]>();
    for (const key of uncertain ? [] : roles) {
      for (const prerequisite of findRole(key)?.prerequisites ?? []) {
        // U10: the region's equivalent meets the prerequisite (customer.user.uc.essential in the UK).
        if (held.has(prerequisite) || regionalEquivalents(prerequisite).some((e) => held.has(e))) continue;
        if (adminWithoutLogin && prerequisite === Role.WEBSITE_ACCESS) continue;
        needing.set(prerequisite, [...(needing.get(prerequisite) ?? []), key]);
      }
    }
    for (const [prerequisite, keys] of needing) {
      if (keys.every(copied)) continue;
      const subject =
        keys.length === 1
          ? `role "${keys[0]}" of ${who}${describeSources(sources.get(keys[0]))} requires`
          : `roles ${keys.map((key) => `"${key}"${describeSources(sources.get(key))}`).join(", ")} of ${who} require`;
      out.push(
        finding(
          "RolePrerequisiteMissing",
          user.path,
          `${subject} "${prerequisite}"${describeEquivalent(prerequisite, region)}`,
          `add ${inRegion(prerequisite, region) === prerequisite ? "it" : `"${inRegion(prerequisite, region)}"`} to ${whereToFix(keys.flatMap((key) => sources.get(key) ?? []))}`,
        ),
      );
    }

    // U8/H3: at most one role per exclusive group.
    const groups = new Map<string, string[]>();
    for (const key of roles) {
      const group = findRole(key)?.exclusiveGroup;
      if (group) groups.set(group, [...(groups.get(group) ?? []), key]);
    }
    for (const [group, members] of groups) {
      if (members.length < 2 || members.every(copied)) continue;
      out.push(
        finding(
          "ExclusiveRoleConflict",
          user.path,
          `${who} would hold ${members.map((m) => `"${m}"${describeSources(sources.get(m))}`).join(", ")}, but the "${group}" roles are mutually exclusive`,
          "keep one of them (higher supervisor levels include what lower ones give)",
        ),
      );
    }

    // U6 (warning): an admin without a supervisor role cannot see workspaces.
    if (!uncertain && isAdmin(roles) && !roles.some((r) => findRole(r)?.group === "supervisor")) {
      out.push(
        finding(
          "AdminWithoutSupervisor",
          user.path,
          `admin ${who} holds no supervisor role and cannot see workspaces or run reports`,
          `add a supervisor role (e.g. "${Role.REPORTS_SUPERVISOR}") if the admin needs them`,
        ),
      );
    }

    // U14: the UC welcome e-mail is for UC client users.
    out.push(...checkWelcomeNeedsUc(user, roles, uncertain));

    // H1: the primary admin holds both admin roles (U3 already says so when only customer.user lacks).
    if (user.primaryAdmin && !uncertain && !adminWithoutLogin && !isAdmin(roles)) {
      out.push(
        finding(
          "PrimaryAdminNotAdmin",
          user.path,
          `primary admin ${who} holds ${roles.length ? roles.map((r) => `"${r}"`).join(", ") : "no roles"}, not both "${Role.MANAGE_USERS}" and "${Role.WEBSITE_ACCESS}"`,
          `add "${Role.MANAGE_USERS}" and "${Role.WEBSITE_ACCESS}" to its roles`,
        ),
      );
    }
  }

  for (const [stackPath, what] of chargeable) {
    const shown = what.slice(0, 5).join("; ") + (what.length > 5 ? `; and ${what.length - 5} more` : "");
    out.push(
      finding(
        "ChargesNotAccepted",
        stackPath,
        `stack "${stackPath}" does not accept charges, but declares ${what.length} chargeable change(s): ${shown}`,
        "opt in with `acceptCharges: true` in the DimensionsStack props (a visible decision in code review), or remove what is chargeable",
      ),
    );
  }

  // H2: templates that copy from each other in a cycle copy nothing; the cycle is an error,
  // reported once, on its first user (a user that only leads into it copies nothing either).
  const userByPath = new Map(model.users.map((u) => [u.path, u]));
  const inReportedCycle = new Set<string>();
  for (const user of model.users) {
    const chain = templateChain(user.path, (p) => userByPath.get(p)?.rolesFrom);
    if (!chain.cycle) continue;
    const back = userByPath.get(chain.templates[chain.templates.length - 1] ?? user.path)?.rolesFrom;
    const cycle = back === undefined ? [user.path] : [user.path, ...chain.templates].slice([user.path, ...chain.templates].indexOf(back));
    if (cycle.some((p) => inReportedCycle.has(p))) continue;
    for (const p of cycle) inReportedCycle.add(p);
    const first = userByPath.get(cycle[0])!;
    out.push(
      finding(
        "RoleTemplateCycle",
        first.path,
        `user "${first.email}" copies its roles through ${[...cycle, cycle[0]].map((p) => `"${p}"`).join(" → ")}, which comes back to a user already in the chain`,
        "give one of these users its own roles instead of rolesFrom",
      ),
    );
  }

  for (const c of model.customers) {
    const users = model.users.filter((u) => u.customerPath === c.path);
    const declared = users.filter((u) => u.kind !== "referenced");

    // U11 (warning): some roles make the server add licensed roles to other users by itself.
    const triggers = new Map<string, { role: string; toHoldersOf: string; by: string[] }>();
    for (const u of users) {
      for (const key of rolesOf(u)) {
        const auto = findRole(key)?.triggersAutoAssign;
        if (!auto || findRole(auto.role)?.licensed !== true) continue;
        const entry = triggers.get(auto.role) ?? { ...auto, by: [] };
        entry.by.push(`"${u.email}" (${key})`);
        triggers.set(auto.role, entry);
      }
    }
    // U10: the holders are those of the region's role (customer.user.uc.essential in the UK).
    const customerRegion = stacks.get(c.stackPath)?.region;
    for (const t of triggers.values()) {
      out.push(
        finding(
          "AutomaticChargeableRoles",
          c.path,
          `${t.by.join(", ")} of customer "${c.reference}" make the server add the licensed role "${t.role}" to every user holding "${inRegion(t.toHoldersOf, customerRegion)}" (U11), billed to the customer`,
          `check that the customer expects these charges, then acknowledge: Acknowledgements.of(customer).add({ code: "AutomaticChargeableRoles", reason: "..." })`,
        ),
      );
    }

    // U1: unique e-mail per customer, case-insensitively.
    const seen = new Map<string, UserModel>();
    for (const u of declared) {
      const first = seen.get(u.email.toLowerCase());
      if (first) {
        out.push(
          finding(
            "DuplicateUserEmail",
            u.path,
            `e-mail "${u.email}" of customer "${c.reference}" is already declared by "${first.path}" ("${first.email}")`,
            "declare each user once; grant extra roles with addRoles() or a RoleAssignment",
          ),
        );
      } else {
        seen.set(u.email.toLowerCase(), u);
      }
    }

    // H1: exactly one primary admin (owned customers need one; nobody may have two). One mistake,
    // one error: reported on each primary after the first, naming the first.
    const primaries = users.filter((u) => u.primaryAdmin);
    for (const p of primaries.slice(1)) {
      out.push(
        finding(
          "MultiplePrimaryAdmins",
          p.path,
          `user "${p.email}" is a primary admin of customer "${c.reference}", and so is "${primaries[0].email}" ("${primaries[0].path}")`,
          "set primaryAdmin: true on exactly one user of the customer",
        ),
      );
    }
    // An owned customer's admins, as a whole; they wait while some of its users could not be
    // declared (their own errors are reported), and one finding says what is missing:
    // - U4, no admin at all (its fix names primaryAdmin too, so H1 is not reported besides);
    //   a primary admin that is no admin, or a user whose roles are unknown (a mistyped role key),
    //   already has its own error;
    // - H1/U5, admins but no primary one: nothing would be applied first, nothing protected.
    if (!c.owned || c.usersIncomplete) continue;
    const anyAdmin = declared.some((u) => isAdmin(rolesOf(u)) || rolesOf(u).some((r) => !findRole(r)));
    if (!anyAdmin && primaries.length === 0) {
      out.push(
        finding(
          "AdministratorRequired",
          c.path,
          `customer "${c.reference}" has no declared admin (a user holding "${Role.MANAGE_USERS}" and "${Role.WEBSITE_ACCESS}")`,
          "declare a CustomerUser with both admin roles and primaryAdmin: true",
        ),
      );
    } else if (primaries.length === 0) {
      out.push(
        finding(
          "PrimaryAdminMissing",
          c.path,
          `customer "${c.reference}" has no primary admin: automation could remove its last admin (H1), and no admin's grants are applied before its other users' (U5)`,
          "set primaryAdmin: true on the CustomerUser (an admin) that automation must never remove",
        ),
      );
    }
  }
  out.push(...softphoneFindings(model, grants));
  return out;
}

/** The role that plays `key`'s part in the region (U10): itself, or its regional equivalent. */
function inRegion(key: string, region: Region | undefined): string {
  const role = findRole(key);
  if (!role || isAvailableIn(role, region)) return key;
  return regionalEquivalents(key).find((e) => {
    const r = findRole(e);
    return r !== undefined && isAvailableIn(r, region);
  }) ?? key;
}

function describeEquivalent(key: string, region: Region | undefined): string {
  const alternative = inRegion(key, region);
  return alternative === key ? "" : ` (in region "${region}": "${alternative}")`;
}
