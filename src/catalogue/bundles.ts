/**
 * Role bundles (H2): named sets of roles, usable wherever a role is. The built-in bundles are data
 * here, beside the role catalogue, so the generated docs/roles.md lists them and a new bundle is a
 * one-line change; `RoleBundle` is the validated public class.
 */
import { Role } from "./roles";

/** The brand every bundle carries (`Symbol.for`, so two copies of the library recognise each other). */
export const ROLE_BUNDLE_BRAND = Symbol.for("cdktf-dimensions.RoleBundle");

/** What a bundle is, structurally; `RoleBundle` implements it. */
export interface IRoleBundle {
  /** kebab-case name, shown in messages and usable as a CSV column. */
  readonly bundleName: string;
  /** Role keys of the bundle, in declaration order. */
  readonly roles: readonly string[];
  readonly description: string;
}

/** A role key (raw string or `Role.X`), or a bundle of them. */
export type RoleLike = string | IRoleBundle;

export interface BundleDefinition {
  /** Name of the static member on `RoleBundle` (`RoleBundle.REPORT_SUPERVISOR`). */
  readonly constant: string;
  readonly bundleName: string;
  readonly roles: readonly string[];
  readonly description: string;
}

/** Built-in bundles; each is compliant on its own (prerequisites included, U7). */
export const BUILT_IN_BUNDLES: readonly BundleDefinition[] = [
  { constant: "ADMINISTRATOR", bundleName: "administrator", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], description: "a customer admin that can log in (U3)" },
  { constant: "REPORT_SUPERVISOR", bundleName: "report-supervisor", roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR], description: "workspaces and historical reports (H2's example)" },
  { constant: "ADMINISTRATOR_WITH_REPORTS", bundleName: "administrator-with-reports", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR], description: "an admin that also sees workspaces (U3 and U6)" },
  { constant: "WORKSPACE_ADMINISTRATOR", bundleName: "workspace-administrator", roles: [Role.WEBSITE_ACCESS, Role.CUSTOMER_SETTINGS, Role.WORKSPACE_ADMINISTRATOR], description: "workspace administration with its prerequisites (U7)" },
  { constant: "LIVE_MONITORING", bundleName: "live-monitoring", roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR, Role.SUPERVISOR_AGENT_CONTROL], description: "listen to calls and change agents' states" },
  { constant: "UC_SOFTPHONE", bundleName: "uc-softphone", roles: [Role.WEBSITE_ACCESS, Role.UC_CLIENT, Role.UC_CLIENT_SOFTPHONE], description: "the UC desktop client with its softphone (licensed)" },
];

export function isRoleBundle(x: unknown): x is IRoleBundle {
  return x !== null && typeof x === "object" && ROLE_BUNDLE_BRAND in x;
}

/** Role keys of a list of roles and bundles, in order, each once (bundles expanded). */
export function expandRoles(items: readonly RoleLike[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    for (const key of isRoleBundle(item) ? item.roles : [item]) if (!out.includes(key)) out.push(key);
  }
  return out;
}
