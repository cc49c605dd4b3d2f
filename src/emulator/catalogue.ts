/**
 * The emulator's own role table (domain-rules.md, "Role catalogue").
 *
 * Deliberately a copy, not an import of src/catalogue: the emulator plays the server, and must be
 * able to disagree with the library, or the end-to-end tests would only agree with themselves.
 *
 * U10: the table holds every region's roles; an emulator plays one region, and sees only the roles
 * that exist there (`roleIn`). In the UK, `customer.user.uc.essential` is used instead of
 * `customer.user.pbx`: it is the role the PBX synchronises, and it meets a prerequisite on
 * `customer.user.pbx` (`inRegion`).
 */

/** The platform's regions (API contract §1). */
export type Region = "au" | "eu" | "na" | "uk";

export interface ServerRole {
  readonly key: string;
  /** U7: roles that must be held together with this one. */
  readonly prerequisites: readonly string[];
  /** U9/C6: adding it costs money, so it needs `accept-charges: true`. */
  readonly licensed: boolean;
  /** U8: supervisor levels are mutually exclusive. */
  readonly supervisorLevel?: 1 | 2 | 3 | 4 | 5;
  /** U10: synchronised from the PBX; no role change ever removes it. */
  readonly synchronised?: boolean;
  /** U13: read-only; neither added nor removed through the API. */
  readonly readOnly?: boolean;
  /** U10: the regions where the role exists. @default every region */
  readonly regions?: readonly Region[];
  /** U10: the role this one is used instead of in its regions (a prerequisite on that one is met by this one). */
  readonly insteadOf?: string;
}

const CU = "customer.user";

const TABLE: readonly ServerRole[] = [
  { key: "customer.user.pbx", prerequisites: [], licensed: true, synchronised: true, regions: ["au", "eu", "na"] },
  { key: "customer.user.uc.essential", prerequisites: [], licensed: true, synchronised: true, regions: ["uk"], insteadOf: "customer.user.pbx" },
  { key: "customer.user.uc.remote", prerequisites: ["customer.user.uc"], licensed: true },
  { key: "customer.user.pbx.realtime", prerequisites: ["customer.user.pbx"], licensed: true },
  { key: "customer.user.acd", prerequisites: ["customer.user.pbx"], licensed: true },
  { key: "customer.user.microsoftteams", prerequisites: [], licensed: true, readOnly: true },
  { key: "customer.user.supervisorl1", prerequisites: [CU], licensed: true, supervisorLevel: 1 },
  { key: "customer.user.supervisorl2", prerequisites: [CU], licensed: true, supervisorLevel: 2 },
  { key: "customer.user.supervisorl3", prerequisites: [CU], licensed: true, supervisorLevel: 3 },
  { key: "customer.user.supervisorl4", prerequisites: [CU], licensed: true, supervisorLevel: 4 },
  { key: "customer.user.supervisorl5", prerequisites: [CU], licensed: true, supervisorLevel: 5 },
  { key: CU, prerequisites: [], licensed: false },
  { key: "user.admin", prerequisites: [CU], licensed: false },
  { key: "customer.billables.admin", prerequisites: [CU], licensed: false },
  { key: "customer.device.readonly", prerequisites: [CU], licensed: false },
  { key: "customer.device.admin", prerequisites: [CU], licensed: false },
  { key: "customer.settings", prerequisites: [CU], licensed: false },
  { key: "customer.directories.contributor", prerequisites: [CU], licensed: false },
  { key: "customer.workspace.admin", prerequisites: [CU, "customer.settings"], licensed: false },
  { key: "customer.voice.applications", prerequisites: [CU], licensed: false },
  { key: "customer.voice.admin", prerequisites: [CU], licensed: false },
  { key: "onboarding.admin", prerequisites: [CU], licensed: false },
  { key: "webhooks.admin", prerequisites: [CU], licensed: false },
  { key: "pbx.agentcontrol", prerequisites: [CU], licensed: false },
  { key: "pbx.silentmonitor", prerequisites: [CU], licensed: false },
  { key: "recording.viewer", prerequisites: [CU], licensed: false },
  { key: "customer.user.uc", prerequisites: [CU], licensed: true },
  { key: "customer.user.crm", prerequisites: [CU], licensed: true },
  { key: "customer.user.uc.softphone", prerequisites: ["customer.user.uc"], licensed: true },
];

const BY_KEY: ReadonlyMap<string, ServerRole> = new Map(TABLE.map((r) => [r.key, r]));

export const ROLE_KEYS: readonly string[] = TABLE.map((r) => r.key);

export const WEBSITE_ACCESS = CU;
export const USER_ADMIN = "user.admin";
export const PBX_ROLE = "customer.user.pbx";
export const REALTIME_ROLE = "customer.user.pbx.realtime";
export const ACD_ROLE = "customer.user.acd";
export const UC_ROLE = "customer.user.uc";
export const SOFTPHONE_ROLE = "customer.user.uc.softphone";

/** Reseller (partner user) roles, API contract §5. */
export const PARTNER_ROLES = ["account.user", "user.admin", "customer.admin", "onboarding.admin", "webhooks.admin", "tm.admin"] as const;

export function serverRole(key: string): ServerRole | undefined {
  return BY_KEY.get(key);
}

/** The role as the region knows it: undefined when it does not exist there (U10). */
export function roleIn(key: string, region: Region): ServerRole | undefined {
  const role = BY_KEY.get(key);
  return role && (role.regions === undefined || role.regions.includes(region)) ? role : undefined;
}

/**
 * The key that plays `key`'s part in the region (U10): itself where it exists, else the role used
 * instead of it there (`customer.user.uc.essential` for `customer.user.pbx` in the UK).
 */
export function inRegion(key: string, region: Region): string {
  if (roleIn(key, region)) return key;
  return TABLE.find((r) => r.insteadOf === key && roleIn(r.key, region))?.key ?? key;
}

/** U10: the role the PBX synchronises to every PBX user in the region. */
export function essentialRoleFor(region: Region): string {
  return inRegion(PBX_ROLE, region);
}

/** U3: an admin holds both `user.admin` and `customer.user`. */
export function isAdminRoles(roles: readonly string[]): boolean {
  return roles.includes(USER_ADMIN) && roles.includes(WEBSITE_ACCESS);
}

/** U10: synchronised from the PBX in the region (a role change never removes it). */
export function isSynchronised(key: string, region: Region): boolean {
  return roleIn(key, region)?.synchronised === true;
}

export function isReadOnly(key: string): boolean {
  return BY_KEY.get(key)?.readOnly === true;
}

export function isLicensed(key: string): boolean {
  return BY_KEY.get(key)?.licensed === true;
}

/** U11: supervisor level 3 or higher triggers the real-time add-on for PBX users. */
export function isHighSupervisor(key: string): boolean {
  return (BY_KEY.get(key)?.supervisorLevel ?? 0) >= 3;
}

export function supervisorLevels(roles: readonly string[]): string[] {
  return roles.filter((r) => BY_KEY.get(r)?.supervisorLevel !== undefined);
}
