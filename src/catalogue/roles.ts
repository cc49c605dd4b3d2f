/**
 * The Dimensions role catalogue, as data (the generated docs/roles.md lists it).
 *
 * A corrected key or a new role is a one-line change here: the synth-time rules (U7 prerequisites,
 * U8/H3 exclusive groups, U9 licensing, U13 server-managed and read-only roles), the handler's
 * "never fight the server" logic and the generated docs all read this table.
 *
 * The emulator deliberately keeps its own copy of the role rules: it plays the server,
 * and must be able to disagree with the library, or the end-to-end tests only agree with themselves.
 */

/** How a role comes to be held. */
export type RoleAssignmentMode =
  /** Granted and revoked by the reseller (this library). */
  | "manual"
  /** The server assigns it by itself (U11, U12); the app may also ask for it, never removes it. */
  | "auto"
  /** Synchronised from the PBX (U10): the server keeps it, a role change never removes it. */
  | "synced"
  /** Read-only (U13): the app may neither ask for it nor remove it. */
  | "read-only";

export type RoleGroup = "user access type" | "supervisor" | "permission" | "client";

/** Regions of the platform. */
export type Region = "au" | "eu" | "na" | "uk";

export interface RoleDefinition {
  /** Exact role key sent to the API. */
  readonly key: string;
  /** Display name used in the vendor's portal. */
  readonly name: string;
  readonly group: RoleGroup;
  /** Roles that must be held together with this one (U7; a licence requirement is one too, H4). */
  readonly prerequisites: readonly string[];
  /** Whether adding or changing the role costs money (U9, C6). */
  readonly licensed: boolean;
  readonly assignment: RoleAssignmentMode;
  /**
   * Exclusive group (H3): a user holds at most one role of a group. The supervisor levels are one
   * (U8); the partner access modes of A8 are another, outside this catalogue.
   */
  readonly exclusiveGroup?: string;
  /** Regions where the role does not exist (U10: the UK uses customer.user.uc.essential). */
  readonly unavailableIn?: readonly Region[];
  /** Regions where the role is the only one of its kind (U10: the UK's essential user role). */
  readonly onlyIn?: readonly Region[];
  /**
   * The role this one stands in for where that one is unavailable (U10: `customer.user.uc.essential`
   * is the UK's `customer.user.pbx`). A prerequisite on the other role is met by this one, and a
   * request for the other role in this role's region is pointed here.
   */
  readonly regionalEquivalentOf?: string;
  /**
   * Roles the server then adds by itself to other users of the customer (U11: the first supervisor
   * level 3+ adds the Real-Time Add-On to every user holding `customer.user.pbx`), as
   * `{ role, toHoldersOf }`. Data, so the charge warning of U11 is no special case.
   */
  readonly triggersAutoAssign?: { readonly role: string; readonly toHoldersOf: string };
  readonly notes: string;
}

const CU = "customer.user";
/** U11: what the first supervisor level 3+ of a customer makes the server do. */
const REALTIME_FOR_PBX_USERS = { role: "customer.user.pbx.realtime", toHoldersOf: "customer.user.pbx" } as const;

/** Every role of the catalogue, in the order of the platform's documentation (and of docs/roles.md). */
export const ROLE_CATALOGUE: readonly RoleDefinition[] = [
  { key: "customer.user.pbx", name: "Essential User", group: "user access type", prerequisites: [], licensed: true, assignment: "synced", unavailableIn: ["uk"], notes: "assigned to every PBX user and synchronised from the PBX (U10)" },
  { key: "customer.user.uc.essential", name: "Essential User (UK)", group: "user access type", prerequisites: [], licensed: true, assignment: "synced", onlyIn: ["uk"], regionalEquivalentOf: "customer.user.pbx", notes: "the UK's replacement for customer.user.pbx (U10)" },
  { key: "customer.user.uc.remote", name: "Professional User", group: "user access type", prerequisites: ["customer.user.uc"], licensed: true, assignment: "manual", notes: "softphone and mobile features" },
  { key: "customer.user.pbx.realtime", name: "Real-Time Add-On", group: "user access type", prerequisites: ["customer.user.pbx"], licensed: true, assignment: "auto", notes: "added to every PBX user when the first supervisor level 3+ is granted (U11)" },
  { key: "customer.user.acd", name: "Agent User Add-On", group: "user access type", prerequisites: ["customer.user.pbx"], licensed: true, assignment: "auto", notes: "assigned to detected call-centre agents when syncAcdAgentWithPbx is on (U12)" },
  { key: "customer.user.microsoftteams", name: "Microsoft Teams User", group: "user access type", prerequisites: [], licensed: true, assignment: "read-only", notes: "shows whether Teams calls are monitored (U13)" },
  { key: "customer.user.supervisorl1", name: "Reports Supervisor", group: "supervisor", prerequisites: [CU], licensed: true, assignment: "manual", exclusiveGroup: "supervisor", notes: "workspaces and historical reports" },
  { key: "customer.user.supervisorl2", name: "Analytics Supervisor", group: "supervisor", prerequisites: [CU], licensed: true, assignment: "manual", exclusiveGroup: "supervisor", notes: "dashboard and historical reports" },
  { key: "customer.user.supervisorl3", name: "Live Analytics Supervisor", group: "supervisor", prerequisites: [CU], licensed: true, assignment: "manual", exclusiveGroup: "supervisor", triggersAutoAssign: REALTIME_FOR_PBX_USERS, notes: "+ active call statistics; triggers U11" },
  { key: "customer.user.supervisorl4", name: "Contact Centre Supervisor", group: "supervisor", prerequisites: [CU], licensed: true, assignment: "manual", exclusiveGroup: "supervisor", triggersAutoAssign: REALTIME_FOR_PBX_USERS, notes: "+ live queue/agent grids; triggers U11" },
  { key: "customer.user.supervisorl5", name: "Insights Supervisor", group: "supervisor", prerequisites: [CU], licensed: true, assignment: "manual", exclusiveGroup: "supervisor", triggersAutoAssign: REALTIME_FOR_PBX_USERS, notes: "Insights reports/dashboards; triggers U11" },
  { key: CU, name: "Website Access", group: "permission", prerequisites: [], licensed: false, assignment: "manual", notes: "log in to the customer portal" },
  { key: "user.admin", name: "Manage Users", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "admin together with customer.user (U3)" },
  { key: "customer.billables.admin", name: "Manage Billable Items", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "changes that affect billing" },
  { key: "customer.device.readonly", name: "Device Access", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "read-only device access" },
  { key: "customer.device.admin", name: "Device Administrator", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "change devices" },
  { key: "customer.settings", name: "Customer Settings", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "organisation-wide settings" },
  { key: "customer.directories.contributor", name: "Manage Contact Directories", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "" },
  { key: "customer.workspace.admin", name: "Workspace Administrator", group: "permission", prerequisites: [CU, "customer.settings"], licensed: false, assignment: "manual", notes: "" },
  { key: "customer.voice.applications", name: "Phone System Applications", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "" },
  { key: "customer.voice.admin", name: "Phone System Administrator", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "" },
  { key: "onboarding.admin", name: "REST API Administrator", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "" },
  { key: "webhooks.admin", name: "Webhooks Administrator", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "" },
  { key: "pbx.agentcontrol", name: "Supervisor Agent Control", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "change another user's agent state" },
  { key: "pbx.silentmonitor", name: "Silent Monitor", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "listen, whisper, barge, steal" },
  { key: "recording.viewer", name: "Recording Playback", group: "permission", prerequisites: [CU], licensed: false, assignment: "manual", notes: "play recordings from call segments" },
  { key: "customer.user.uc", name: "UC Client", group: "client", prerequisites: [CU], licensed: true, assignment: "manual", notes: "desktop client in CTI mode" },
  { key: "customer.user.crm", name: "UC Client CRM", group: "client", prerequisites: [CU], licensed: true, assignment: "manual", notes: "CRM integrations (Salesforce, Dynamics)" },
  { key: "customer.user.uc.softphone", name: "UC Client Softphone", group: "client", prerequisites: ["customer.user.uc"], licensed: true, assignment: "manual", notes: "softphone features" },
];

/**
 * Readable names for the role keys, for app code: `Role.REPORTS_SUPERVISOR`.
 * Raw keys (strings) are accepted wherever a role is expected.
 */
export const Role = {
  ESSENTIAL_USER: "customer.user.pbx",
  ESSENTIAL_USER_UK: "customer.user.uc.essential",
  PROFESSIONAL_USER: "customer.user.uc.remote",
  REAL_TIME_ADD_ON: "customer.user.pbx.realtime",
  AGENT_USER_ADD_ON: "customer.user.acd",
  MICROSOFT_TEAMS_USER: "customer.user.microsoftteams",
  REPORTS_SUPERVISOR: "customer.user.supervisorl1",
  ANALYTICS_SUPERVISOR: "customer.user.supervisorl2",
  LIVE_ANALYTICS_SUPERVISOR: "customer.user.supervisorl3",
  CONTACT_CENTRE_SUPERVISOR: "customer.user.supervisorl4",
  INSIGHTS_SUPERVISOR: "customer.user.supervisorl5",
  WEBSITE_ACCESS: "customer.user",
  MANAGE_USERS: "user.admin",
  MANAGE_BILLABLE_ITEMS: "customer.billables.admin",
  DEVICE_ACCESS: "customer.device.readonly",
  DEVICE_ADMINISTRATOR: "customer.device.admin",
  CUSTOMER_SETTINGS: "customer.settings",
  MANAGE_CONTACT_DIRECTORIES: "customer.directories.contributor",
  WORKSPACE_ADMINISTRATOR: "customer.workspace.admin",
  PHONE_SYSTEM_APPLICATIONS: "customer.voice.applications",
  PHONE_SYSTEM_ADMINISTRATOR: "customer.voice.admin",
  REST_API_ADMINISTRATOR: "onboarding.admin",
  WEBHOOKS_ADMINISTRATOR: "webhooks.admin",
  SUPERVISOR_AGENT_CONTROL: "pbx.agentcontrol",
  SILENT_MONITOR: "pbx.silentmonitor",
  RECORDING_PLAYBACK: "recording.viewer",
  UC_CLIENT: "customer.user.uc",
  UC_CLIENT_CRM: "customer.user.crm",
  UC_CLIENT_SOFTPHONE: "customer.user.uc.softphone",
} as const;

export type RoleKey = (typeof Role)[keyof typeof Role];

/** The two roles that make a user an admin (U3). */
export const ADMIN_ROLES: readonly string[] = [Role.MANAGE_USERS, Role.WEBSITE_ACCESS];

/**
 * A misspelling seen in the vendor's own samples; reported with a fix instead of
 * the generic "unknown role".
 */
export const ROLE_ALIASES: Readonly<Record<string, string>> = { "admin.user": Role.MANAGE_USERS };

const BY_KEY: ReadonlyMap<string, RoleDefinition> = new Map(ROLE_CATALOGUE.map((r) => [r.key, r]));

export function findRole(key: string): RoleDefinition | undefined {
  return BY_KEY.get(key);
}

export function isAdmin(roles: Iterable<string>): boolean {
  const held = new Set(roles);
  return ADMIN_ROLES.every((r) => held.has(r));
}

/**
 * Roles the server assigns or synchronises by itself, or that are read-only (U10–U13): the app
 * never removes them and never lets them cause a change on every apply.
 */
export function isServerManaged(key: string): boolean {
  const role = BY_KEY.get(key);
  return role !== undefined && role.assignment !== "manual";
}

/** Whether the role exists in the region (U10). Unknown regions (a stack with apiUrl) allow every role. */
export function isAvailableIn(role: RoleDefinition, region: Region | undefined): boolean {
  if (region === undefined) return true;
  if (role.unavailableIn?.includes(region)) return false;
  return role.onlyIn === undefined || role.onlyIn.includes(region);
}

/**
 * The roles that stand in for `key` (U10): `customer.user.uc.essential` for `customer.user.pbx`,
 * and the other way round. Used to meet prerequisites and to name the fix of RoleUnavailableInRegion.
 */
export function regionalEquivalents(key: string): string[] {
  const role = BY_KEY.get(key);
  return ROLE_CATALOGUE.filter((r) => r.regionalEquivalentOf === key || role?.regionalEquivalentOf === r.key).map((r) => r.key);
}
