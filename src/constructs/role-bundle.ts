import { BUILT_IN_BUNDLES, expandRoles, ROLE_BUNDLE_BRAND, type IRoleBundle, type RoleLike } from "../catalogue/bundles";
import { checkBundle } from "../validation/props";
import { throwErrors } from "../validation/rules";

/**
 * A named set of roles (H2), usable wherever a role is: `roles` of CustomerUser, CustomerUser.adopt
 * and RoleAssignment, and `addRoles()`. A bundle is expanded when it is used: the user holds the
 * roles, not the bundle, so the plan and the API show role keys and every rule (U7 prerequisites,
 * U8 exclusivity, C6/U9 charges…) applies to the expanded roles.
 *
 * Not a construct: bundles have no Terraform address and can be shared across stacks and apps.
 *
 * @example
 * const teamLead = RoleBundle.of("team-lead", [RoleBundle.REPORT_SUPERVISOR, Role.SILENT_MONITOR]);
 * new CustomerUser(stack, "bo", { customer, email, displayName, roles: [teamLead] });
 */
export class RoleBundle implements IRoleBundle {
  /** `customer.user` + `user.admin`: an admin that can log in (U3). */
  public static readonly ADMINISTRATOR = RoleBundle.builtIn("ADMINISTRATOR");
  /** `customer.user` + `customer.user.supervisorl1` (H2's "report supervisor"). */
  public static readonly REPORT_SUPERVISOR = RoleBundle.builtIn("REPORT_SUPERVISOR");
  /** `customer.user` + `user.admin` + `customer.user.supervisorl1`: an admin that sees workspaces (U6). */
  public static readonly ADMINISTRATOR_WITH_REPORTS = RoleBundle.builtIn("ADMINISTRATOR_WITH_REPORTS");
  /** `customer.user` + `customer.settings` + `customer.workspace.admin` (U7 prerequisites included). */
  public static readonly WORKSPACE_ADMINISTRATOR = RoleBundle.builtIn("WORKSPACE_ADMINISTRATOR");
  /** `customer.user` + `pbx.silentmonitor` + `pbx.agentcontrol`. */
  public static readonly LIVE_MONITORING = RoleBundle.builtIn("LIVE_MONITORING");
  /** `customer.user` + `customer.user.uc` + `customer.user.uc.softphone` (licensed). */
  public static readonly UC_SOFTPHONE = RoleBundle.builtIn("UC_SOFTPHONE");

  /**
   * A bundle of your own: role keys and other bundles (expanded, each role once). Throws a coded
   * DimensionsError (InvalidRoleBundle, UnknownRole, ReadOnlyRole; every problem, one line each)
   * when the name or a role is wrong: a bundle is a value, with no construct to report on at synth.
   * @param name kebab-case, e.g. "team-lead"
   */
  public static of(name: string, roles: readonly RoleLike[], description = ""): RoleBundle {
    return new RoleBundle(name, roles, description);
  }

  /** Every built-in bundle, in the order of docs/roles.md. */
  public static builtIns(): RoleBundle[] {
    return BUILT_IN_BUNDLES.map((b) => RoleBundle.builtIn(b.constant));
  }

  /** Brand check that works across copies of this library. */
  public static isRoleBundle(x: unknown): x is RoleBundle {
    return x !== null && typeof x === "object" && ROLE_BUNDLE_BRAND in x;
  }

  private static builtIn(constant: string): RoleBundle {
    const def = BUILT_IN_BUNDLES.find((b) => b.constant === constant);
    if (!def) throw new Error(`internal: no built-in bundle ${constant}`);
    return new RoleBundle(def.bundleName, def.roles, def.description);
  }

  public readonly bundleName: string;
  /** The role keys of the bundle (nested bundles expanded). */
  public readonly roles: readonly string[];
  public readonly description: string;

  private constructor(name: string, roles: readonly RoleLike[], description: string) {
    // A bundle is a value, not a construct: nothing to report on at synth, so it throws at once
    // (one DimensionsError listing every problem).
    throwErrors(checkBundle(name, roles));
    this.bundleName = name;
    this.roles = Object.freeze(expandRoles(roles));
    this.description = description;
    Object.defineProperty(this, ROLE_BUNDLE_BRAND, { value: true, enumerable: false });
  }

  /** A new bundle with these roles added (the original is unchanged). */
  public with(name: string, ...roles: RoleLike[]): RoleBundle {
    return new RoleBundle(name, [...this.roles, ...roles], this.description);
  }

  public toString(): string {
    return `RoleBundle(${this.bundleName}: ${this.roles.join(", ")})`;
  }
}
