/**
 * The licence report (U9, C6): what each DimensionsStack writes at synth beside its cdk.tf.json,
 * and what `dimensions licenses` reads. The constructs write it, the CLI parses it with this schema;
 * neither imports the other.
 *
 * Deterministic: customers sorted by reference, roles in catalogue order, e-mails sorted, lower-cased.
 */
import { z } from "zod";
import { settings } from "./handler";

/** File name of the report inside the stack's output directory (beside cdk.tf.json). */
export const LICENSES_FILE = "dimensions.licenses.json";
export const LICENSES_VERSION = 1;

export const licensedRoleSummary = z.object({
  key: z.string(),
  /** The role's readable name in the vendor's portal (the catalogue's `name`). */
  name: z.string(),
  /** How the role comes to be held: "manual" (the app grants it), "auto" or "synced" (the server). */
  assignment: z.string(),
  /** Users the code grants the role to. */
  count: z.number().int().min(0),
  users: z.array(z.string()),
});
export type LicensedRoleSummary = z.infer<typeof licensedRoleSummary>;

export const managedUserLicenses = z.object({
  email: z.string(),
  /**
   * exact: the app makes the user's roles exactly its declared ones (server-managed roles aside,
   * U13), so a licensed role it holds live and the code does not declare is removed;
   * additive: a user only named by a RoleAssignment: the roles are added, nothing is removed.
   */
  management: z.enum(["exact", "additive"]),
  /** The licensed roles the code gives the user (sorted; may be empty). */
  licensed: z.array(z.string()),
});
export type ManagedUserLicenses = z.infer<typeof managedUserLicenses>;

export const customerLicenses = z.object({
  reference: z.string(),
  /** Declared with `new Customer` (true) or referenced (`Customer.fromReference`, false). */
  owned: z.boolean(),
  /** Licensed role grants (sum of the roles' counts). */
  grants: z.number().int().min(0),
  /** Only roles with at least one user. */
  roles: z.array(licensedRoleSummary),
  /** Every user the app manages in this customer, licensed or not (the live delta needs them). */
  users: z.array(managedUserLicenses),
});
export type CustomerLicenses = z.infer<typeof customerLicenses>;

export const licenseReport = z.object({
  version: z.literal(LICENSES_VERSION),
  stack: z.string(),
  /** Where the API is (for `dimensions licenses --live`) and the C6 opt-in. */
  settings,
  customers: z.array(customerLicenses),
});
export type LicenseReport = z.infer<typeof licenseReport>;
