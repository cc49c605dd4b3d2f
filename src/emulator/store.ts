/**
 * The emulator's in-memory model: resellers and their partner users, customers, customer users,
 * the PBX directory, access requests and OAuth tokens. Plain JSON-serialisable records so that
 * `--data FILE` can persist the whole model atomically (temp file + rename); writes are coalesced
 * (see `Store.flushSoon`). Lookups the handlers need per request (customers by reference, users by
 * e-mail, admins per customer) come from indexes derived from the model, never persisted: the
 * file format is the model itself, unchanged.
 *
 * Two guarantees against hostile input:
 * - Every table keyed by ids, tokens or names is a {@link Table}: an object without a prototype,
 *   read through {@link entry} (`Object.hasOwn`), so `__proto__`, `constructor` or `toString` is a
 *   key like any other and never reaches `Object.prototype`.
 * - Every change goes through the Store's mutators, which journal their undo: a request runs as one
 *   {@link Store.transaction}, and one that throws (refused, or a bug) leaves the model as it was.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AccessMode, AccessStatus, KazooPbxConnectionProfile } from "../contracts/api";
import { isAdminRoles, isHighSupervisor } from "./catalogue";

export type { Region } from "./catalogue";

export interface ResellerRecord {
  id: string;
  name: string;
  clientId: string;
  clientSecret: string;
  dateCreated: string;
}

export interface PartnerUserRecord {
  id: string;
  resellerId: string;
  email: string;
  displayName: string;
  roles: string[];
}

export interface CustomerRecord {
  id: string;
  resellerId: string;
  name: string;
  description: string | null;
  reference: string | null;
  dateCreated: string;
  enabled: boolean;
  timezone: string | null;
  countryCode: string | null;
  features: Record<string, number>;
  pbxConnectionProfile: KazooPbxConnectionProfile | null;
  syncAcdAgentWithPbx: boolean;
  sendNewUserEmail: boolean;
  sendConnectWelcomeEmail: boolean;
  tenantProfileType: string | null;
  trialDuration: number;
  /** C5: soft delete. */
  deleted: boolean;
  /** A6: once a tenant has granted a request, legacy impersonation ends for good. */
  accessGrantedOnce: boolean;
}

export interface DeviceRecord {
  deviceId: string;
  clientType: string;
}

export interface UserRecord {
  id: string;
  customerId: string;
  displayName: string;
  email: string;
  roles: string[];
  primaryTenant: string;
  isParent: boolean;
  devices: DeviceRecord[];
  /** C3: imported from the PBX directory. */
  fromPbx: boolean;
  /** H5: activation e-mails sent to the user (`/sendActivationEmail`). */
  activationEmailsSent: number;
  /** U14: UC welcome e-mails sent (`/sendUConnectActivationEmail`); absent in older data files = 0. */
  welcomeEmailsSent?: number;
  /** [ours] H5: the user followed its activation link (set with the PATCH control); absent = false. */
  activated?: boolean;
}

export interface PbxDirectoryEntry {
  email: string;
  displayName: string;
  acdAgent?: boolean;
  /** Ids of that PBX user's devices: any of them can be assigned to a user of the customer (§4). */
  devices?: string[];
}

export interface AccessTenantRecord {
  tenantId: string;
  /** Stored status; `expired` is derived from expiresAt on read (A5). */
  status: Exclude<AccessStatus, "expired">;
  userIds: string[];
  mode: AccessMode;
  respondedAt: string | null;
  responseMessage: string | null;
  expiresAt: string | null;
}

export interface AccessRequestRecord {
  id: string;
  resellerId: string;
  name: string;
  message: string | null;
  associations: Array<{ userIds: string[]; tenantIds: string[]; mode: AccessMode }>;
  tenants: AccessTenantRecord[];
  dateCreated: string;
  createdBy: string;
  withdrawn: boolean;
}

export type Principal =
  | { kind: "partner"; resellerId: string; partnerUserId: string }
  /** A customer admin (A4); userId null when the tenant had no admin when the token was made. */
  | { kind: "customerAdmin"; resellerId: string; customerId: string; userId: string | null }
  | { kind: "impersonation"; resellerId: string; customerId: string; partnerUserId: string; mode: AccessMode; requestId: string | null };

export interface AccessTokenRecord {
  principal: Principal;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  clientId: string;
  resellerId: string;
  partnerUserId: string;
}

export interface AuthCodeRecord {
  clientId: string;
  resellerId: string;
  partnerUserId: string;
  redirectUri: string | null;
  expiresAt: number;
  /** PKCE (RFC 7636): base64url(sha256(code_verifier)); absent in codes of older data files. */
  codeChallenge?: string;
  /** What the authorization request asked for and was granted. */
  scope?: string;
  /** OpenID Connect nonce, echoed in the id_token. */
  nonce?: string | null;
}

export interface AuthSettings {
  accessTokenSeconds: number;
  rotateRefreshTokens: boolean;
}

export interface DemoCredentials {
  resellerId: string;
  clientId: string;
  clientSecret: string;
  partnerUserId: string;
  refreshToken: string;
}

/**
 * A table keyed by ids, tokens, names or PBX account ids, any of which may come from a request: an
 * object without a prototype (so it serialises as plain JSON, and `table["__proto__"] = x` stores
 * an entry instead of replacing a prototype). Create with {@link table}, read with {@link entry}.
 */
export type Table<T> = Record<string, T>;

/** A new {@link Table}, holding the own entries of `from` (a plain object read from JSON). */
export function table<T>(from: Record<string, T> = {}): Table<T> {
  const result = Object.create(null) as Table<T>;
  // Assignment on a prototype-less object defines an own property, "__proto__" included.
  for (const key of Object.keys(from)) result[key] = from[key];
  return result;
}

/** The table's own entry for `key`; never an inherited member such as `constructor`. */
export function entry<T>(t: Table<T>, key: string): T | undefined {
  return Object.hasOwn(t, key) ? t[key] : undefined;
}

const TABLES = ["resellers", "partnerUsers", "customers", "users", "pbxDirectory", "accessRequests", "accessTokens", "refreshTokens", "authCodes"] as const;
type TableName = (typeof TABLES)[number];

export interface State {
  version: 1;
  resellers: Table<ResellerRecord>;
  partnerUsers: Table<PartnerUserRecord>;
  customers: Table<CustomerRecord>;
  users: Table<UserRecord>;
  pbxDirectory: Table<PbxDirectoryEntry[]>;
  accessRequests: Table<AccessRequestRecord>;
  accessTokens: Table<AccessTokenRecord>;
  refreshTokens: Table<RefreshTokenRecord>;
  authCodes: Table<AuthCodeRecord>;
  auth: AuthSettings;
  demo: DemoCredentials;
}

export const DEMO_RESELLER = "demo";
export const DEMO_PARTNER_EMAIL = "demo@reseller.test";
/** §6: the demo partner user drives every example, access requests included. */
export const DEMO_PARTNER_ROLES = ["account.user", "customer.admin", "tm.admin"];
export const DEFAULT_AUTH: AuthSettings = { accessTokenSeconds: 3600, rotateRefreshTokens: true };

export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString("base64url")}`;
}

export function newSecret(): string {
  return randomBytes(24).toString("base64url");
}

export function newId(): string {
  return randomUUID();
}

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "reseller";
}

/** A fresh model holding only the demo reseller; reuses `demo` credentials when given (reset). */
export function initialState(nowIso: string, demo?: DemoCredentials): State {
  const resellerId = demo?.resellerId ?? newId();
  const partnerUserId = demo?.partnerUserId ?? newId();
  const clientId = demo?.clientId ?? `demo-${randomBytes(6).toString("hex")}`;
  const credentials: DemoCredentials = {
    resellerId,
    clientId,
    clientSecret: demo?.clientSecret ?? newSecret(),
    partnerUserId,
    refreshToken: demo?.refreshToken ?? newToken("rt"),
  };
  const state: State = {
    version: 1,
    resellers: table({ [resellerId]: { id: resellerId, name: DEMO_RESELLER, clientId, clientSecret: credentials.clientSecret, dateCreated: nowIso } }),
    partnerUsers: table({
      [partnerUserId]: { id: partnerUserId, resellerId, email: DEMO_PARTNER_EMAIL, displayName: "Demo Partner", roles: [...DEMO_PARTNER_ROLES] },
    }),
    customers: table(),
    users: table(),
    pbxDirectory: table(),
    accessRequests: table(),
    accessTokens: table(),
    refreshTokens: table(),
    authCodes: table(),
    auth: { ...DEFAULT_AUTH },
    demo: credentials,
  };
  ensureDemoRefreshToken(state);
  return state;
}

/**
 * The demo refresh token is what `--json` prints and what the sandbox hands out: after a reset or
 * a restart it must work again even if a client rotated it away before.
 */
export function ensureDemoRefreshToken(state: State): void {
  state.refreshTokens[state.demo.refreshToken] = {
    clientId: state.demo.clientId,
    resellerId: state.demo.resellerId,
    partnerUserId: state.demo.partnerUserId,
  };
}

/**
 * Lookups over one customer's users, derived from `state.users` (never persisted): rebuilt on load
 * and reset, kept current by the Store's mutators. They make every per-user check O(1) in the size
 * of the customer (U1 e-mail uniqueness, U4/U5 admin counts, U11's "any supervisor level 3+").
 */
interface CustomerUsers {
  /** In the order of `state.users`, which is the order collections list users in. */
  readonly byId: Map<string, UserRecord>;
  /** U1: lower-cased e-mail → its users, in order (one, unless a data file was edited by hand). */
  readonly byEmail: Map<string, UserRecord[]>;
  /** U3: ids of the users holding `user.admin` and `customer.user`. */
  readonly admins: Set<string>;
  /** U11: ids of the users holding a supervisor level 3 or higher. */
  readonly highSupervisors: Set<string>;
}

/** A reseller's active (not deleted) customers, derived from `state.customers` like CustomerUsers. */
interface ResellerCustomers {
  /** In the order of `state.customers`, which is the order `GET /customers` lists them in. */
  readonly active: Map<string, CustomerRecord>;
  /**
   * C2: reference → the active customers holding it. One each through the API (C2 is checked
   * before every create and reference change), so the order within a list is `state` order.
   */
  readonly byReference: Map<string, CustomerRecord[]>;
}

/** Persistence: a burst of mutations is written at most once per interval (see `flushSoon`). */
const MIN_WRITE_INTERVAL_MS = 100;
const MAX_WRITE_INTERVAL_MS = 5000;
/** Spend at most 1/WRITE_COST_SHARE of the time writing the data file, however large it grows. */
const WRITE_COST_SHARE = 20;

export class Store {
  private current: State;
  private readonly users = new Map<string, CustomerUsers>();
  private readonly customers = new Map<string, ResellerCustomers>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private lastWriteMs = 0;
  /** Undo steps of the running transaction, in the order the changes were made. */
  private journal: Array<() => void> | undefined;

  constructor(
    private readonly dataFile: string | undefined,
    nowIso: string,
  ) {
    this.current = (dataFile && loadState(dataFile)) || initialState(nowIso);
    ensureDemoRefreshToken(this.current);
    this.reindex();
    this.dirty = true;
    this.flush();
  }

  /**
   * The model, to read. Every change goes through the mutators below: they keep the indexes
   * current and journal their undo for {@link transaction}; a change made in place is not undone.
   */
  get state(): State {
    return this.current;
  }

  /**
   * Runs `change` as one unit: if it throws, every change it made through the mutators is undone
   * (latest first) and the error goes on, so a refused request, or one that fails half-way, leaves
   * the model exactly as it was. `change` is synchronous: nothing else runs in between. A nested
   * call is part of the outer transaction.
   */
  transaction<T>(change: () => T): T {
    if (this.journal) return change();
    const journal: Array<() => void> = [];
    const wasDirty = this.dirty;
    this.journal = journal;
    try {
      return change();
    } catch (err) {
      this.journal = undefined;
      for (let i = journal.length - 1; i >= 0; i--) journal[i]();
      this.dirty = wasDirty;
      throw err;
    } finally {
      this.journal = undefined;
    }
  }

  private undo(step: () => void): void {
    this.journal?.push(step);
  }

  /** Marks the model changed; `flush` or `flushSoon` writes it. */
  touch(): void {
    this.dirty = true;
  }

  /** Writes the model now if it changed (atomically: temp file + rename). */
  flush(): void {
    this.cancelTimer();
    if (!this.dirty || !this.dataFile) {
      this.dirty = false;
      return;
    }
    const started = performance.now();
    try {
      writeAtomically(this.dataFile, JSON.stringify(this.current));
      this.dirty = false;
    } finally {
      // A failed attempt counts too: a broken disk is retried once per interval, not in a loop.
      this.lastWriteAt = performance.now();
      this.lastWriteMs = this.lastWriteAt - started;
    }
  }

  private tryFlush(): boolean {
    try {
      this.flush();
      return true;
    } catch {
      return false;
    }
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Coalesced `flush`, after each API call: writes at once when the last write is more than an
   * interval ago, else once when the interval ends, carrying every change made meanwhile. The
   * interval grows with the cost of a write (20× it, 0.1–5 s), so a model of 10,000 users is not
   * rewritten whole on every call (quadratic) and writing never takes more than ~1/20 of the time.
   * Never throws: a failed write stays pending and is retried. `close` writes what is left.
   */
  flushSoon(): void {
    if (!this.dirty || !this.dataFile) {
      this.dirty = false;
      return;
    }
    if (this.timer) return;
    const interval = Math.min(MAX_WRITE_INTERVAL_MS, Math.max(MIN_WRITE_INTERVAL_MS, WRITE_COST_SHARE * this.lastWriteMs));
    const wait = this.lastWriteAt + interval - performance.now();
    if (wait <= 0 && this.tryFlush()) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (!this.tryFlush()) this.flushSoon();
      },
      Math.max(wait, MIN_WRITE_INTERVAL_MS / 10),
    );
  }

  /** Writes whatever is pending; after this nothing is scheduled. Throws if the write fails. */
  close(): void {
    this.flush();
  }

  /** Back to the initial state, keeping the demo reseller's credentials and the demo user's live tokens. */
  reset(nowIso: string): void {
    const previous = this.current;
    const next = initialState(nowIso, previous.demo);
    const demoUser = previous.demo.partnerUserId;
    for (const [token, record] of Object.entries(previous.refreshTokens)) {
      if (record.partnerUserId === demoUser) next.refreshTokens[token] = record;
    }
    for (const [token, record] of Object.entries(previous.accessTokens)) {
      if (record.principal.kind === "partner" && record.principal.partnerUserId === demoUser) next.accessTokens[token] = record;
    }
    this.current = next;
    this.reindex();
    this.undo(() => {
      this.current = previous;
      this.reindex();
    });
    this.touch();
  }

  // --- mutators --------------------------------------------------------------------------------

  /** Sets one entry of a table (not customers or users: they have their own mutators). */
  put<T>(name: Exclude<TableName, "customers" | "users">, key: string, value: T): void {
    const t = this.current[name] as Table<T>;
    const had = Object.hasOwn(t, key);
    const before = t[key];
    t[key] = value;
    this.undo(() => {
      if (had) t[key] = before;
      else delete t[key];
    });
    this.touch();
  }

  /** Removes one entry of a table, if present (not customers or users). */
  remove(name: Exclude<TableName, "customers" | "users">, key: string): void {
    const t = this.current[name] as Table<unknown>;
    if (!Object.hasOwn(t, key)) return;
    const before = t[key];
    delete t[key];
    this.undo(() => {
      t[key] = before;
    });
    this.touch();
  }

  /**
   * Changes plain fields of a record in the model (a partner user, an access request, a user's
   * display name or devices, the auth settings). Not for what an index reads: a customer's
   * reference or deletion, a user's roles (see the mutators below).
   */
  assign<T extends object>(record: T, fields: Partial<T>): void {
    const before: Partial<T> = {};
    for (const key of Object.keys(fields) as Array<keyof T>) before[key] = record[key];
    Object.assign(record, fields);
    this.undo(() => Object.assign(record, before));
    this.touch();
  }

  addCustomer(customer: CustomerRecord): void {
    this.current.customers[customer.id] = customer;
    this.indexCustomer(customer);
    this.undo(() => {
      this.unindexCustomer(customer);
      delete this.current.customers[customer.id];
    });
    this.touch();
  }

  /** Applies a patched copy of a customer (its reference may change). */
  updateCustomer(customer: CustomerRecord, next: CustomerRecord): void {
    this.replaceCustomer(customer, next);
  }

  /** C5: a soft delete — disabled, flagged, no longer listed; the record stays in the model. */
  deleteCustomer(customer: CustomerRecord): void {
    this.replaceCustomer(customer, { ...customer, enabled: false, deleted: true });
  }

  private replaceCustomer(customer: CustomerRecord, next: CustomerRecord): void {
    const before = { ...customer };
    this.unindexCustomer(customer);
    Object.assign(customer, next);
    this.indexCustomer(customer);
    this.undo(() => {
      this.unindexCustomer(customer);
      Object.assign(customer, before);
      this.indexCustomer(customer);
    });
    this.touch();
  }

  addUser(user: UserRecord): void {
    this.current.users[user.id] = user;
    this.indexUser(user);
    this.undo(() => this.detachUser(user));
    this.touch();
  }

  removeUser(user: UserRecord): void {
    // Back in the same place on undo: `state.users` order is the order collections list users in.
    const order = Object.keys(this.current.users);
    this.detachUser(user);
    this.undo(() => {
      const rest = this.current.users;
      const restored = table<UserRecord>();
      for (const id of order) {
        if (id === user.id) restored[id] = user;
        else if (Object.hasOwn(rest, id)) restored[id] = rest[id];
      }
      for (const id of Object.keys(rest)) if (!Object.hasOwn(restored, id)) restored[id] = rest[id];
      this.current.users = restored;
      this.reindexUsers();
    });
    this.touch();
  }

  /** The one way a user's roles change (the admin and supervisor indexes follow them). */
  setRoles(user: UserRecord, roles: string[]): void {
    const before = user.roles;
    this.applyRoles(user, roles);
    this.undo(() => this.applyRoles(user, before));
    this.touch();
  }

  private applyRoles(user: UserRecord, roles: string[]): void {
    const index = this.userIndex(user.customerId);
    unindexRoles(index, user);
    user.roles = roles;
    indexRoles(index, user);
  }

  private detachUser(user: UserRecord): void {
    const index = this.userIndex(user.customerId);
    unindexRoles(index, user);
    index.byId.delete(user.id);
    detach(index.byEmail, user.email.toLowerCase(), user);
    delete this.current.users[user.id];
  }

  // --- queries -------------------------------------------------------------------------------

  /** One entry of a table, by a key that may come from a request. */
  get<N extends TableName>(name: N, key: string): State[N][string] | undefined {
    return entry(this.current[name] as Table<State[N][string]>, key);
  }

  resellerByName(name: string): ResellerRecord | undefined {
    return Object.values(this.current.resellers).find((r) => r.name === name);
  }

  resellerByClientId(clientId: string): ResellerRecord | undefined {
    return Object.values(this.current.resellers).find((r) => r.clientId === clientId);
  }

  partnerUsersOf(resellerId: string): PartnerUserRecord[] {
    return Object.values(this.current.partnerUsers).filter((p) => p.resellerId === resellerId);
  }

  /** A reseller's customer that is not deleted (isolation: another reseller's customer is "not found"). */
  activeCustomer(resellerId: string, id: string): CustomerRecord | undefined {
    const found = entry(this.current.customers, id.toLowerCase());
    return found && found.resellerId === resellerId && !found.deleted ? found : undefined;
  }

  activeCustomersOf(resellerId: string): CustomerRecord[] {
    return [...(this.customers.get(resellerId)?.active.values() ?? [])];
  }

  /** C2: the reseller's active customer with exactly this reference, other than `exceptId`. */
  activeCustomerByReference(resellerId: string, reference: string, exceptId?: string): CustomerRecord | undefined {
    return this.customers.get(resellerId)?.byReference.get(reference)?.find((c) => c.id !== exceptId);
  }

  /** A customer's users, in the order they were created. */
  usersOf(customerId: string): UserRecord[] {
    return [...(this.users.get(customerId)?.byId.values() ?? [])];
  }

  user(customerId: string, id: string): UserRecord | undefined {
    const found = entry(this.current.users, id.toLowerCase());
    return found && found.customerId === customerId ? found : undefined;
  }

  /** U1: the customer's (first) user with this e-mail, compared case-insensitively. */
  userByEmail(customerId: string, email: string): UserRecord | undefined {
    return this.users.get(customerId)?.byEmail.get(email.toLowerCase())?.[0];
  }

  /** U4/U5: ids of the customer's admins. */
  adminsOf(customerId: string): ReadonlySet<string> {
    return this.users.get(customerId)?.admins ?? EMPTY;
  }

  /** U11: whether any user of the customer holds a supervisor level 3 or higher. */
  holdsHighSupervisor(customerId: string): boolean {
    return (this.users.get(customerId)?.highSupervisors.size ?? 0) > 0;
  }

  // --- indexes -------------------------------------------------------------------------------

  private reindex(): void {
    this.customers.clear();
    for (const customer of Object.values(this.current.customers)) this.indexCustomer(customer);
    this.reindexUsers();
  }

  private reindexUsers(): void {
    this.users.clear();
    for (const user of Object.values(this.current.users)) this.indexUser(user);
  }

  private indexCustomer(customer: CustomerRecord): void {
    if (customer.deleted) return;
    let index = this.customers.get(customer.resellerId);
    if (!index) {
      index = { active: new Map(), byReference: new Map() };
      this.customers.set(customer.resellerId, index);
    }
    index.active.set(customer.id, customer);
    if (customer.reference !== null) append(index.byReference, customer.reference, customer);
  }

  private unindexCustomer(customer: CustomerRecord): void {
    const index = this.customers.get(customer.resellerId);
    if (!index) return;
    index.active.delete(customer.id);
    if (customer.reference !== null) detach(index.byReference, customer.reference, customer);
  }

  private userIndex(customerId: string): CustomerUsers {
    let index = this.users.get(customerId);
    if (!index) {
      index = { byId: new Map(), byEmail: new Map(), admins: new Set(), highSupervisors: new Set() };
      this.users.set(customerId, index);
    }
    return index;
  }

  private indexUser(user: UserRecord): void {
    const index = this.userIndex(user.customerId);
    index.byId.set(user.id, user);
    append(index.byEmail, user.email.toLowerCase(), user);
    indexRoles(index, user);
  }
}

function indexRoles(index: CustomerUsers, user: UserRecord): void {
  if (isAdminRoles(user.roles)) index.admins.add(user.id);
  if (user.roles.some(isHighSupervisor)) index.highSupervisors.add(user.id);
}

function unindexRoles(index: CustomerUsers, user: UserRecord): void {
  index.admins.delete(user.id);
  index.highSupervisors.delete(user.id);
}

const EMPTY: ReadonlySet<string> = new Set();

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function detach<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (!list) return;
  const rest = list.filter((v) => v !== value);
  if (rest.length > 0) map.set(key, rest);
  else map.delete(key);
}

function loadState(file: string): State | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, "utf8");
  if (text.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`emulator data file ${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}); remove it to start empty`);
  }
  if (!parsed || typeof parsed !== "object" || (parsed as { version?: unknown }).version !== 1) {
    throw new Error(`emulator data file ${file} is not an emulator state (version 1); remove it to start empty`);
  }
  const state = parsed as State;
  // JSON.parse gives plain objects: the tables become prototype-less again (same entries, same order).
  const tables = state as unknown as Record<TableName, Table<unknown> | undefined>;
  for (const name of TABLES) tables[name] = table(tables[name] ?? {});
  return state;
}

/** Atomic: a reader (or a crash) never sees half a file. */
function writeAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, file);
}
