/**
 * Reads the live tenants `dimensions export` declares, through the one API client: customers and
 * users in pages (API contract §1.2), then each user's roles (listings carry none) with bounded
 * concurrency, and a progress line on large customers. What it keeps is a snapshot: the customer's
 * settings, its PBX connection WITHOUT the API key the API echoes (C4), and every user with its
 * roles and, where the answer reports them (the `devices` field is ours, API contract §4), its PBX
 * devices (U14). Nothing here decides what the code says (see ./plan).
 */
import { ApiError, DimensionsClientError, type DimensionsApi } from "../../client";
import type { Customer, CustomerUser } from "../../contracts/api";
import { ENV } from "../../contracts/handler";
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from "../../handler/payload";
import { pool } from "../../handler/executor";
import { liveUserOf, type LiveDevice } from "../../reconcile";
import { ExportError, type ExportNotice } from "./codes";

/** A live user as the export sees it: its roles as the API holds them (sorted). */
export interface SnapshotUser {
  readonly email: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  /**
   * U14: the PBX devices the user holds, sorted by device, as the one-user answer reports them.
   * @default - the answer has no `devices` field: unknown (not "none"), so softphones are left undeclared
   */
  readonly devices?: readonly LiveDevice[];
}

/** A Kazoo PBX connection, never with its API key. */
export interface SnapshotPbx {
  readonly hostRest: string;
  readonly hostWebsocket: string;
  readonly accountId: string;
  readonly monitorSubAccounts?: boolean;
}

export interface SnapshotCustomer {
  readonly reference: string;
  readonly name: string;
  readonly description?: string;
  readonly enabled?: boolean;
  readonly timezone?: string;
  readonly countryCode?: string;
  readonly syncAcdAgentWithPbx?: boolean;
  readonly sendNewUserEmail?: boolean;
  readonly sendConnectWelcomeEmail?: boolean;
  /** The Kazoo connection; undefined when the customer has none. */
  readonly pbx?: SnapshotPbx;
  /** The `_type` of a connection profile that is not Kazoo's (it cannot be declared). */
  readonly otherPbxType?: string;
  readonly users: readonly SnapshotUser[];
}

/** What was read, and from where. */
export interface TenantSnapshot {
  /** ISO time the read started. */
  readonly readAt: string;
  /** The API's base URL. */
  readonly source: string;
  readonly customers: readonly SnapshotCustomer[];
  readonly notices: readonly ExportNotice[];
}

export type Selection = { readonly all: true } | { readonly references: readonly string[] };

export interface ReadOptions {
  /** Requests in flight at once (DIMENSIONS_CONCURRENCY, as for the handler). */
  readonly concurrency: number;
  /** One progress line (stderr). */
  readonly progress: (line: string) => void;
  /** A customer with more users than this gets a progress line every this many users read. @default 500 */
  readonly progressEvery?: number;
}

export const PROGRESS_EVERY_USERS = 500;

/** DIMENSIONS_CONCURRENCY, read as the handler reads it (1–64, default 4). */
export function concurrencyFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env[ENV.concurrency]?.trim();
  if (!raw) return DEFAULT_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new ExportError("ExportEnvInvalid", `${ENV.concurrency} is ${JSON.stringify(raw)}, not a whole number from 1 to ${MAX_CONCURRENCY}`);
  }
  return n;
}

/** The customers to export, sorted by reference; coded errors for missing and ambiguous ones (C2). */
async function selectCustomers(api: DimensionsApi, selection: Selection, notices: ExportNotice[]): Promise<Customer[]> {
  const byReference = new Map<string, Customer[]>();
  if ("all" in selection) {
    for (const c of await api.listCustomers()) {
      if (typeof c.reference !== "string" || c.reference === "") {
        notices.push({ code: "ExportCustomerSkipped", message: `customer ${c.id} "${c.name}" has no reference: not exported` });
        continue;
      }
      byReference.set(c.reference, [...(byReference.get(c.reference) ?? []), c]);
    }
    if (byReference.size === 0) throw new ExportError("ExportNoCustomer", "the API lists no customer with a reference for these credentials");
  } else {
    const missing: string[] = [];
    for (const reference of [...new Set(selection.references)].sort()) {
      const found = await api.findCustomersByReference(reference);
      if (found.length === 0) missing.push(reference);
      else byReference.set(reference, found);
    }
    if (missing.length) throw new ExportError("ExportCustomerNotFound", `no customer has the reference ${missing.map((r) => JSON.stringify(r)).join(", ")}`);
  }
  const duplicated = [...byReference].filter(([, list]) => list.length > 1);
  if (duplicated.length) {
    throw new ExportError("ExportDuplicateReference", duplicated.map(([ref, list]) => `${list.length} customers have the reference ${JSON.stringify(ref)} (ids ${list.map((c) => c.id).join(", ")})`).join("; "));
  }
  return [...byReference.values()].map((list) => list[0]).sort((a, b) => compare(a.reference!, b.reference!));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The customer's settings, and its PBX connection without the API key (C4). */
function snapshotOf(c: Customer, users: SnapshotUser[]): SnapshotCustomer {
  const profile = (c.pbxConnectionProfile ?? undefined) as Record<string, unknown> | undefined;
  const isKazoo =
    profile !== undefined && profile._type === "KazooPbxConnectionProfile" && [profile.hostRest, profile.hostWebsocket, profile.accountId].every((v) => typeof v === "string" && v !== "");
  const optional = <K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> => (value === null || value === undefined ? {} : ({ [key]: value } as Record<K, V>));
  return {
    reference: c.reference!,
    name: c.name,
    ...optional("description", c.description),
    ...optional("enabled", c.enabled),
    ...optional("timezone", c.timezone),
    ...optional("countryCode", c.countryCode),
    ...optional("syncAcdAgentWithPbx", c.syncAcdAgentWithPbx),
    ...optional("sendNewUserEmail", c.sendNewUserEmail),
    ...optional("sendConnectWelcomeEmail", c.sendConnectWelcomeEmail),
    ...(isKazoo
      ? {
          pbx: {
            hostRest: profile.hostRest as string,
            hostWebsocket: profile.hostWebsocket as string,
            accountId: profile.accountId as string,
            ...(typeof profile.monitorSubAccounts === "boolean" ? { monitorSubAccounts: profile.monitorSubAccounts } : {}),
          },
        }
      : profile !== undefined
        ? { otherPbxType: typeof profile._type === "string" ? profile._type : "unknown" }
        : {}),
    users,
  };
}

/** Every user of the customer with its roles: the listing in pages, then one read per user, `concurrency` at a time. */
async function readUsers(api: DimensionsApi, customer: Customer, options: ReadOptions): Promise<SnapshotUser[]> {
  const listed = await api.listUsers(customer.id);
  const every = options.progressEvery ?? PROGRESS_EVERY_USERS;
  const large = listed.length > every;
  const users: SnapshotUser[] = [];
  let read = 0;
  let failure: unknown;
  await pool(listed, options.concurrency, async (item: CustomerUser) => {
    if (failure !== undefined) return;
    try {
      // Devices where reported: an API that does not report them is read as well (then unknown).
      const user = await api.getUser(customer.id, item.id, { devices: "if-reported" });
      const devices = liveUserOf(user).devices;
      users.push({
        email: user.email,
        displayName: user.displayName,
        roles: [...(user.roles ?? [])].sort(),
        ...(devices ? { devices: [...devices].sort((a, b) => compare(a.device, b.device) || compare(a.clientType, b.clientType)) } : {}),
      });
    } catch (e) {
      // Deleted between the listing and the read: it is not part of the tenant any more.
      if (e instanceof ApiError && e.isNotFound) return;
      failure ??= e;
      return;
    } finally {
      read++;
      if (large && (read % every === 0 || read === listed.length)) options.progress(`customer ${customer.reference}: ${read}/${listed.length} users read`);
    }
  });
  if (failure !== undefined) throw failure;
  return users.sort((a, b) => compare(a.email.toLowerCase(), b.email.toLowerCase()) || compare(a.email, b.email));
}

/** Reads the selected customers and their users. Client failures become ExportApiFailed with the client's code. */
export async function readTenants(api: DimensionsApi, selection: Selection, options: ReadOptions, now: () => Date): Promise<Omit<TenantSnapshot, "source">> {
  const readAt = now().toISOString();
  const notices: ExportNotice[] = [];
  try {
    const customers: SnapshotCustomer[] = [];
    for (const customer of await selectCustomers(api, selection, notices)) customers.push(snapshotOf(customer, await readUsers(api, customer, options)));
    return { readAt, customers, notices };
  } catch (e) {
    if (e instanceof DimensionsClientError) throw new ExportError("ExportApiFailed", `${e.code}: ${e.message.replace(new RegExp(`^${e.code}: `), "")}`);
    throw e;
  }
}
