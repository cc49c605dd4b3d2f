/**
 * The app's declarations as plain data, and the cross-construct domain rules over it.
 *
 * The constructs layer builds a `DimensionsModel` from the construct tree at synth and turns the
 * findings of `validateModel` into annotations; the same `foldGrants` decides the roles each user
 * resource renders, so what is validated is exactly what is applied. Pure and deterministic: no
 * construct tree, no network, no clock.
 */
import { findRole, isAdmin, isAvailableIn, regionalEquivalents, Role, type Region } from "../catalogue/roles";
import { finding, type Finding } from "./rules";

export interface StackModel {
  readonly path: string;
  /** C6: the stack's explicit opt-in to charges. */
  readonly acceptCharges: boolean;
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
  for (const c of model.customers) {
    const others = (byReference.get(c.reference) ?? []).filter((o) => o !== c);
    if (others.length > 0) {
      out.push(
        finding(
          "DuplicateCustomerReference",
          c.path,
          `reference "${c.reference}" is also used by ${others.map((o) => `"${o.path}"`).join(", ")}`,
          "declare each customer once (use Customer.fromReference in other stacks) or give each customer its own reference",
        ),
      );
    }
  }

  // C6: creating a customer costs money.
  for (const c of model.customers) {
    if (c.owned && stacks.get(c.stackPath)?.acceptCharges !== true) {
      out.push(
        finding(
          "ChargesNotAccepted",
          c.path,
          `creating customer "${c.reference}" is chargeable but stack "${c.stackPath}" does not accept charges`,
          "opt in with `acceptCharges: true` in the DimensionsStack props (a visible decision in code review)",
        ),
      );
    }
  }

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

  for (const user of model.users) {
    const customer = customers.get(user.customerPath);
    const roles = rolesOf(user);
    const sources = grants.get(user.path) ?? new Map<string, readonly string[]>();
    const held = new Set(roles);
    const who = `user "${user.email}"`;

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
      if (!role || isAvailableIn(role, region)) continue;
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
    if (licensed.length > 0 && stacks.get(user.stackPath)?.acceptCharges !== true) {
      out.push(
        finding(
          "ChargesNotAccepted",
          user.path,
          `licensed role(s) ${licensed.map((r) => `"${r}"`).join(", ")} of ${who} are chargeable but stack "${user.stackPath}" does not accept charges`,
          "opt in with `acceptCharges: true` in the DimensionsStack props, or remove the licensed roles",
        ),
      );
    }

    // U3: user.admin without customer.user cannot log in.
    const adminWithoutLogin = held.has(Role.MANAGE_USERS) && !held.has(Role.WEBSITE_ACCESS);
    if (adminWithoutLogin) {
      out.push(
        finding(
          "AdminWithoutWebsiteAccess",
          user.path,
          `${who} holds "${Role.MANAGE_USERS}"${describeSources(sources.get(Role.MANAGE_USERS))} without "${Role.WEBSITE_ACCESS}": it cannot log in`,
          `add "${Role.WEBSITE_ACCESS}" to ${whereToFix(sources.get(Role.MANAGE_USERS))}`,
        ),
      );
    }

    // U7: prerequisites (after folding every assignment in).
    for (const key of roles) {
      const role = findRole(key);
      if (!role) continue;
      for (const prerequisite of role.prerequisites) {
        // U10: the region's equivalent meets the prerequisite (customer.user.uc.essential in the UK).
        if (held.has(prerequisite) || regionalEquivalents(prerequisite).some((e) => held.has(e))) continue;
        if (adminWithoutLogin && key === Role.MANAGE_USERS && prerequisite === Role.WEBSITE_ACCESS) continue;
        out.push(
          finding(
            "RolePrerequisiteMissing",
            user.path,
            `role "${key}" of ${who}${describeSources(sources.get(key))} requires "${prerequisite}"${describeEquivalent(prerequisite, region)}`,
            `add ${inRegion(prerequisite, region) === prerequisite ? "it" : `"${inRegion(prerequisite, region)}"`} to ${whereToFix(sources.get(key))}`,
          ),
        );
      }
    }

    // U8/H3: at most one role per exclusive group.
    const groups = new Map<string, string[]>();
    for (const key of roles) {
      const group = findRole(key)?.exclusiveGroup;
      if (group) groups.set(group, [...(groups.get(group) ?? []), key]);
    }
    for (const [group, members] of groups) {
      if (members.length < 2) continue;
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
    if (isAdmin(roles) && !roles.some((r) => findRole(r)?.group === "supervisor")) {
      out.push(
        finding(
          "AdminWithoutSupervisor",
          user.path,
          `admin ${who} holds no supervisor role and cannot see workspaces or run reports`,
          `add a supervisor role (e.g. "${Role.REPORTS_SUPERVISOR}") if the admin needs them`,
        ),
      );
    }

    // H1: the primary admin holds both admin roles.
    if (user.primaryAdmin && !isAdmin(roles)) {
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

  // H2: templates that copy from each other in a cycle copy nothing; the cycle is an error.
  const userByPath = new Map(model.users.map((u) => [u.path, u]));
  for (const user of model.users) {
    const chain = templateChain(user.path, (p) => userByPath.get(p)?.rolesFrom);
    if (!chain.cycle) continue;
    out.push(
      finding(
        "RoleTemplateCycle",
        user.path,
        `user "${user.email}" copies its roles through ${[user.path, ...chain.templates].map((p) => `"${p}"`).join(" → ")}, which comes back to a user already in the chain`,
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
    for (const t of triggers.values()) {
      out.push(
        finding(
          "AutomaticChargeableRoles",
          c.path,
          `${t.by.join(", ")} of customer "${c.reference}" make the server add the licensed role "${t.role}" to every user holding "${t.toHoldersOf}" (U11), billed to the customer`,
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

    // H1: exactly one primary admin (owned customers need one; nobody may have two).
    const primaries = users.filter((u) => u.primaryAdmin);
    if (primaries.length > 1) {
      for (const p of primaries) {
        out.push(
          finding(
            "MultiplePrimaryAdmins",
            p.path,
            `customer "${c.reference}" has ${primaries.length} primary admins: ${primaries.map((x) => `"${x.email}"`).join(", ")}`,
            "set primaryAdmin: true on exactly one user of the customer",
          ),
        );
      }
    }
    if (!c.owned) continue;
    // U4: an owned customer needs at least one declared admin.
    if (!declared.some((u) => isAdmin(rolesOf(u)))) {
      out.push(
        finding(
          "AdministratorRequired",
          c.path,
          `customer "${c.reference}" has no declared admin (a user holding "${Role.MANAGE_USERS}" and "${Role.WEBSITE_ACCESS}")`,
          "declare a CustomerUser with both admin roles and primaryAdmin: true",
        ),
      );
    }
    if (primaries.length === 0) {
      out.push(
        finding(
          "PrimaryAdminMissing",
          c.path,
          `customer "${c.reference}" has no primary admin`,
          "set primaryAdmin: true on the CustomerUser (an admin) that automation must never remove",
        ),
      );
      // U5: the customer's apply grants its primary admin before any other user of it changes;
      // without one, the platform would refuse every other user change (AdministratorRequired).
      for (const u of users) {
        out.push(
          finding(
            "FirstAdminUnordered",
            u.path,
            `user "${u.email}" of customer "${c.reference}" would be changed before any admin exists`,
            "mark the customer's first admin with primaryAdmin: true: its grants are applied first",
          ),
        );
      }
    }
  }
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
