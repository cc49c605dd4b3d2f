/**
 * What the exported app says about each live customer and user: pure decisions on a snapshot
 * (./read), rendered by ./render. Then a proof through the reconcile layer — the one the handler
 * runs — that applying those declarations to the tenant read would send nothing.
 *
 * - A customer is declared (`new Customer`) with its settings and PBX connection, the API key as
 *   the NAME of an environment variable (C4); without a Kazoo connection or a description (C1), or
 *   without any admin yet (U4), it is referenced (`Customer.fromReference`) and its users declared.
 * - A user on the PBX (it holds the synchronised role, U10) is adopted: never deleted (H7); any
 *   other user is declared.
 * - Declared roles are the user's roles less those the server assigns, synchronises or keeps
 *   read-only (U10–U13), so the app never fights them; a role set equal to a built-in bundle is
 *   that bundle (H2).
 * - One admin per declared customer is its primary admin (H1): the one --primary-admin names, or
 *   the first by e-mail.
 * - A user's PBX devices, where the API reports them, are its softphones, exactly (`[]` for none);
 *   unreported or undeclarable devices are left undeclared, with a notice (U14, U7; ./softphones).
 */
import { BUILT_IN_BUNDLES } from "../../catalogue/bundles";
import { findRole, isAdmin, ROLE_CATALOGUE, Role } from "../../catalogue/roles";
import type { Customer } from "../../contracts/api";
import type { CustomerDesired, UserEntry } from "../../contracts/handler";
import type { Softphone } from "../../contracts/softphones";
import { describeDeviceOperation, desiredUsers, devicesToRead, emailKey, isOnPbx, manageable, planCustomer, planUsers, type LiveUser } from "../../reconcile";
import { ExportError, type ExportNotice } from "./codes";
import type { SnapshotCustomer, SnapshotUser, TenantSnapshot } from "./read";
import { softphonesOf, type SoftphonesDecision } from "./softphones";

/** Above this many users a customer's users go to CSV files (CustomerUsersFromCsv), unless --csv sends every customer's there. */
export const CSV_ABOVE_USERS = 100;

export interface PlannedUser {
  readonly email: string;
  readonly displayName: string;
  /** Declared roles (server-managed ones left out), in catalogue order. */
  readonly roles: readonly string[];
  /** The built-in bundle (its constant) whose roles are exactly `roles`. */
  readonly bundle?: string;
  /** On the PBX: adopted, never deleted (H7). */
  readonly adopt: boolean;
  readonly primary: boolean;
  /** Roles the user holds that the code leaves to the server (U10–U13). */
  readonly serverManaged: readonly string[];
  /** U14: the softphones declared, exactly (`[]`: none). @default - undeclared: the app leaves the devices alone */
  readonly softphones?: readonly Softphone[];
  /** Why the user's reported devices are left undeclared (a rule id in it), for a comment. */
  readonly softphonesUndeclared?: string;
}

export interface PlannedCustomer {
  /** Construct id: the Terraform address of its tenant resource (`terraform_data.<id>`). */
  readonly id: string;
  /** Variable name in main.ts. */
  readonly variable: string;
  readonly reference: string;
  readonly name: string;
  /** Declared with `new Customer`; otherwise `Customer.fromReference`, for the reasons given. */
  readonly owned: boolean;
  readonly referencedBecause: readonly string[];
  readonly settings?: CustomerDesired & { readonly pbx: NonNullable<CustomerDesired["pbx"]> };
  readonly users: readonly PlannedUser[];
  /** How the primary admin was chosen, when there is one. */
  readonly primary?: { readonly email: string; readonly chosen: "option" | "only-admin" | "first-by-email"; readonly admins: number };
  /** Its users are written to CSV files. */
  readonly csv: boolean;
}

export interface ExportPlan {
  readonly customers: readonly PlannedCustomer[];
  readonly notices: readonly ExportNotice[];
}

export interface PlanOptions {
  /** Every customer's users in CSV files. @default false: only customers above CSV_ABOVE_USERS */
  readonly csv?: boolean;
  /** Reference → e-mail of the primary admin to mark (H1). */
  readonly primaryAdmins?: ReadonlyMap<string, string>;
}

/** `Role` constant names by key. */
const CONSTANT_OF = new Map<string, string>(Object.entries(Role).map(([name, key]) => [key, name]));
/** Readable order, as the README writes roles: permissions (Website Access first), supervisor levels, clients, access types. */
const GROUP_ORDER = ["permission", "supervisor", "client", "user access type"];
const CATALOGUE_ORDER = new Map(ROLE_CATALOGUE.map((r, i) => [r.key, GROUP_ORDER.indexOf(r.group) * 1000 + i]));
/** Ids the stack itself uses (its resources, the handler asset). */
const RESERVED_IDS = new Set(["dimensions", "dimensions-inventory", "dimensions-handler"]);
const RESERVED_WORDS = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await " +
    "app stack path App ClientType Customer CustomerUser CustomerUsersFromCsv DimensionsStack Role RoleBundle undefined NaN Infinity"
  ).split(" "),
);

export function roleConstant(key: string): string | undefined {
  return CONSTANT_OF.get(key);
}

export function byCatalogue(a: string, b: string): number {
  return (CATALOGUE_ORDER.get(a) ?? Infinity) - (CATALOGUE_ORDER.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0);
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((r) => b.includes(r));
}

/** The built-in bundle whose roles are exactly these, if any. */
export function exactBundle(roles: readonly string[]): string | undefined {
  return BUILT_IN_BUNDLES.find((b) => sameRoles(b.roles, roles))?.constant;
}

/** A unique, stable construct id from a reference: lower case, `[a-z0-9_-]`, starting with a letter. */
function idsFor(references: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>(RESERVED_IDS);
  for (const reference of references) {
    let base = reference.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
    if (!/^[a-z_]/.test(base) || RESERVED_IDS.has(base) || base.startsWith("dimensions")) base = `customer-${base}`.replace(/-+$/, "");
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    out.set(reference, id);
  }
  return out;
}

function variableFor(id: string, used: Set<string>): string {
  const words = id.split(/[-_]+/).filter(Boolean);
  let base = words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join("");
  if (!/^[A-Za-z_$]/.test(base) || RESERVED_WORDS.has(base)) base = `customer${base[0]?.toUpperCase() ?? ""}${base.slice(1)}`;
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}${n}`;
  used.add(name);
  return name;
}

/** C4: the NAME of the variable that holds the customer's Kazoo key, e.g. ACME_001_KAZOO_API_KEY. */
function apiKeyEnvFor(reference: string, used: Set<string>): string {
  let slug = reference.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  if (!/^[A-Z]/.test(slug)) slug = `CUSTOMER_${slug}`.replace(/_+$/, "");
  const base = `${slug}_KAZOO_API_KEY`;
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
  used.add(name);
  return name;
}

function planUser(user: SnapshotUser): PlannedUser {
  const roles = [...new Set(manageable(user.roles))].sort(byCatalogue);
  const bundle = exactBundle(roles);
  return {
    email: user.email,
    displayName: user.displayName,
    roles,
    ...(bundle ? { bundle } : {}),
    adopt: isOnPbx(user.roles),
    primary: false,
    serverManaged: user.roles.filter((r) => !roles.includes(r)).sort(byCatalogue),
  };
}

function withSoftphones(user: PlannedUser, decision: SoftphonesDecision | undefined): PlannedUser {
  if (decision?.kind === "declared") return { ...user, softphones: decision.softphones };
  if (decision?.kind === "undeclared") return { ...user, softphonesUndeclared: decision.reason };
  return user;
}

/** Why a customer cannot be declared with `new Customer` (C1, U4); empty when it can. */
function referencedBecause(customer: SnapshotCustomer, users: readonly PlannedUser[]): string[] {
  const reasons: string[] = [];
  if (!customer.pbx) {
    reasons.push(
      customer.otherPbxType
        ? `its PBX connection is a ${customer.otherPbxType}, not a Kazoo connection (C1)`
        : "it has no PBX connection, which an owned customer declares (C1); the API cannot add one to an existing customer",
    );
  }
  if (!customer.description) reasons.push("it has no description, which an owned customer declares (C1)");
  if (!users.some((u) => isAdmin(u.roles))) reasons.push("it has no admin yet (a user holding user.admin and customer.user), which an owned customer declares (U4)");
  return reasons;
}

function settingsOf(customer: SnapshotCustomer, apiKeyEnv: string): PlannedCustomer["settings"] {
  const pbx = customer.pbx!;
  return {
    reference: customer.reference,
    name: customer.name,
    description: customer.description ?? "",
    // The construct's default is true; the API's answer decides (an absent field is reported by the proof).
    enabled: customer.enabled ?? true,
    ...(customer.timezone !== undefined ? { timezone: customer.timezone } : {}),
    ...(customer.countryCode !== undefined ? { countryCode: customer.countryCode } : {}),
    ...(customer.syncAcdAgentWithPbx !== undefined ? { syncAcdAgentWithPbx: customer.syncAcdAgentWithPbx } : {}),
    ...(customer.sendNewUserEmail !== undefined ? { sendNewUserEmail: customer.sendNewUserEmail } : {}),
    ...(customer.sendConnectWelcomeEmail !== undefined ? { sendConnectWelcomeEmail: customer.sendConnectWelcomeEmail } : {}),
    pbx: {
      hostRest: pbx.hostRest,
      hostWebsocket: pbx.hostWebsocket,
      accountId: pbx.accountId,
      apiKeyEnv,
      ...(pbx.monitorSubAccounts !== undefined ? { monitorSubAccounts: pbx.monitorSubAccounts } : {}),
    },
  };
}

/** H1: the primary admin — the one asked for, else the only or the first admin by e-mail. */
function choosePrimary(reference: string, users: PlannedUser[], asked: string | undefined): PlannedCustomer["primary"] {
  const admins = users.filter((u) => isAdmin(u.roles));
  if (asked !== undefined) {
    const user = users.find((u) => emailKey(u.email) === emailKey(asked));
    if (!user || !isAdmin(user.roles)) {
      throw new ExportError(
        "ExportPrimaryAdminInvalid",
        `--primary-admin ${reference}=${asked}: ${user ? "that user is not an admin (it lacks user.admin or customer.user)" : "no user of the customer has that e-mail"}; its admins: ${admins.map((a) => a.email).join(", ") || "none"}`,
      );
    }
    return { email: user.email, chosen: "option", admins: admins.length };
  }
  if (admins.length === 0) return undefined;
  return { email: admins[0].email, chosen: admins.length === 1 ? "only-admin" : "first-by-email", admins: admins.length };
}

/** The declarations of every customer of the snapshot; coded errors for what code cannot say. */
export function planExport(read: Pick<TenantSnapshot, "customers">, options: PlanOptions = {}): ExportPlan {
  // Deterministic whatever order the API answered in: customers by reference, users by e-mail.
  const snapshot = {
    customers: [...read.customers].sort((a, b) => order(a.reference, b.reference)).map((c) => ({ ...c, users: [...c.users].sort((a, b) => order(emailKey(a.email), emailKey(b.email)) || order(a.email, b.email)) })),
  };
  const notices: ExportNotice[] = [];
  const unknown: string[] = [];
  const duplicates: string[] = [];
  for (const customer of snapshot.customers) {
    const seen = new Set<string>();
    for (const user of customer.users) {
      if (seen.has(emailKey(user.email))) duplicates.push(`${customer.reference}: ${user.email}`);
      seen.add(emailKey(user.email));
      for (const role of user.roles) if (!findRole(role)) unknown.push(`${customer.reference}: ${user.email} holds "${role}"`);
    }
  }
  if (unknown.length) throw new ExportError("ExportUnknownRole", `${unknown.length} role grant(s) are not in the role catalogue: ${list(unknown)}`);
  if (duplicates.length) throw new ExportError("ExportDuplicateUser", `users share an e-mail: ${list(duplicates)}`);
  for (const reference of options.primaryAdmins?.keys() ?? []) {
    if (!snapshot.customers.some((c) => c.reference === reference)) throw new ExportError("ExportPrimaryAdminInvalid", `--primary-admin names customer ${JSON.stringify(reference)}, which is not exported`);
  }

  const ids = idsFor(snapshot.customers.map((c) => c.reference));
  const variables = new Set<string>();
  const envNames = new Set<string>();
  const unreported = new Map<string, number>();
  const customers = snapshot.customers.map((customer): PlannedCustomer => {
    const id = ids.get(customer.reference)!;
    const planned = customer.users.map(planUser);
    const devices = softphonesOf(customer.users.map((u, i) => ({ email: u.email, roles: planned[i].roles, ...(u.devices ? { devices: u.devices } : {}) })));
    const users = planned.map((u) => withSoftphones(u, devices.get(emailKey(u.email))));
    const silent = [...devices.values()].filter((d) => d.kind === "unreported").length;
    if (silent) unreported.set(customer.reference, silent);
    const undeclared = users.filter((u) => u.softphonesUndeclared !== undefined);
    if (undeclared.length) {
      notices.push({
        code: "ExportSoftphonesUndeclared",
        reference: customer.reference,
        message: `the devices of ${count(undeclared.length, "user")} are left undeclared, as code could not declare them, and the app leaves them alone: ${list(undeclared.map((u) => `${u.email}: ${u.softphonesUndeclared!}`))}`,
      });
    }
    const because = referencedBecause(customer, users);
    const primary = choosePrimary(customer.reference, users, options.primaryAdmins?.get(customer.reference));
    const marked = users.map((u) => (primary && u.email === primary.email ? { ...u, primary: true } : u));
    if (because.length) notices.push({ code: "ExportCustomerReferenced", reference: customer.reference, message: `declared with Customer.fromReference: ${because.join("; ")}` });
    if (primary?.chosen === "first-by-email") {
      notices.push({ code: "ExportPrimaryAdminChosen", reference: customer.reference, message: `${primary.email} is marked primary admin, the first of ${primary.admins} admins by e-mail; --primary-admin ${customer.reference}=<e-mail> marks another` });
    }
    return {
      id,
      variable: variableFor(id, variables),
      reference: customer.reference,
      name: customer.name,
      owned: because.length === 0,
      referencedBecause: because,
      ...(because.length === 0 ? { settings: settingsOf(customer, apiKeyEnvFor(customer.reference, envNames)) } : {}),
      users: marked,
      ...(primary ? { primary } : {}),
      csv: marked.length > 0 && (options.csv === true || marked.length > CSV_ABOVE_USERS),
    };
  });
  if (unreported.size) {
    const users = [...unreported.values()].reduce((a, b) => a + b, 0);
    notices.push({
      code: "ExportDevicesNotReported",
      message: `the API's answers for ${count(users, "user")} (${[...unreported].map(([reference, n]) => `${reference}: ${n}`).join(", ")}) do not report their PBX devices as a list of { deviceId, clientType } (the devices field is ours, API contract §4): their softphones are left undeclared, and the app leaves their devices alone`,
    });
  }
  const plan = { customers, notices };
  return { customers, notices: [...notices, ...proveExact(plan, snapshot)] };
}

/** `1 user`, `2 users`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function order(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function list(items: readonly string[], max = 10): string {
  return items.length <= max ? items.join("; ") : `${items.slice(0, max).join("; ")}; … and ${items.length - max} more`;
}

/** The entry the constructs render for a planned user (what the handler will compare). */
export function entryOf(user: PlannedUser): UserEntry {
  return {
    displayName: user.displayName,
    roles: [...user.roles].sort(),
    ...(user.primary ? { primary: true } : {}),
    ...(user.adopt ? { origin: "adopted" as const } : {}),
    ...(user.softphones ? { softphones: user.softphones.map((s) => ({ ...s })) } : {}),
  };
}

/**
 * The proof: the reconcile layer's plan from the declarations to the tenant read must hold no
 * operation, no issue, and no change of the customer — so the first apply of the export sends no
 * write. Anything else (an API answer without a field the code must state) is an ExportInexact
 * notice that names the change.
 */
export function proveExact(plan: Pick<ExportPlan, "customers">, snapshot: Pick<TenantSnapshot, "customers">): ExportNotice[] {
  const notices: ExportNotice[] = [];
  for (const planned of plan.customers) {
    const live = snapshot.customers.find((c) => c.reference === planned.reference)!;
    if (planned.settings) {
      const current = { id: "00000000-0000-4000-8000-000000000000", ...live, pbxConnectionProfile: live.pbx ? { _type: "KazooPbxConnectionProfile", ...live.pbx } : null } as unknown as Customer;
      const step = planCustomer(planned.settings, current);
      if (step.kind !== "none") notices.push({ code: "ExportInexact", reference: planned.reference, message: `apply would ${step.kind} the customer (${step.kind === "patch" ? step.patch.map((p) => p.path.slice(1)).join(", ") : "it was not read"})` });
    }
    const desired = desiredUsers(Object.fromEntries(planned.users.map((u) => [u.email, entryOf(u)])));
    const input = { desired, authoritative: false };
    const listed = new Map<string, LiveUser>(live.users.map((u, i) => [emailKey(u.email), { id: `user-${i}`, email: u.email, displayName: u.displayName, roles: u.roles }]));
    // The devices the handler reads: those of users whose softphones the code manages (devicesToRead).
    const withDevices = new Set(devicesToRead(input, listed));
    const devicesOf = new Map(live.users.map((u) => [emailKey(u.email), u.devices]));
    const users = new Map<string, LiveUser>([...listed].map(([key, u]) => [key, withDevices.has(key) && devicesOf.get(key) ? { ...u, devices: devicesOf.get(key)! } : u]));
    const result = planUsers(input, users);
    for (const op of result.operations) {
      const what = op.kind === "assign-device" || op.kind === "unassign-device" ? `${describeDeviceOperation(op)} of user ${op.email} (${op.why})` : `${op.kind} user ${op.email}`;
      notices.push({ code: "ExportInexact", reference: planned.reference, message: `apply would ${what}` });
    }
    for (const issue of result.issues) notices.push({ code: "ExportInexact", reference: planned.reference, message: `${issue.email}: ${issue.message}` });
  }
  return notices;
}
