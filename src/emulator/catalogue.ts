/**
 * The emulator's own role table (domain-rules.md, "Role catalogue").
 *
 * Deliberately a copy, not an import of src/catalogue: the emulator plays the server, and must be
 * able to disagree with the library, or the end-to-end tests would only agree with themselves.
 */

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
}

const CU = "customer.user";

const TABLE: readonly ServerRole[] = [
  { key: "customer.user.pbx", prerequisites: [], licensed: true, synchronised: true },
  { key: "customer.user.uc.essential", prerequisites: [], licensed: true, synchronised: true },
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
export const UK_ESSENTIAL_ROLE = "customer.user.uc.essential";
export const REALTIME_ROLE = "customer.user.pbx.realtime";
export const ACD_ROLE = "customer.user.acd";
export const UC_ROLE = "customer.user.uc";
export const SOFTPHONE_ROLE = "customer.user.uc.softphone";

/** Reseller (partner user) roles, api-contract §5. */
export const PARTNER_ROLES = ["account.user", "user.admin", "customer.admin", "onboarding.admin", "webhooks.admin", "tm.admin"] as const;

export function serverRole(key: string): ServerRole | undefined {
  return BY_KEY.get(key);
}

/** U3: an admin holds both `user.admin` and `customer.user`. */
export function isAdminRoles(roles: readonly string[]): boolean {
  return roles.includes(USER_ADMIN) && roles.includes(WEBSITE_ACCESS);
}

export function isSynchronised(key: string): boolean {
  return BY_KEY.get(key)?.synchronised === true;
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
