/**
 * An in-memory DimensionsApi for the handler's unit tests: holds customers and users with roles,
 * records every call, and plays the few server rules the handler must cope with (409 on a
 * duplicate e-mail, customer.user added on create, synchronised roles kept by `replace /roles`,
 * U4 last admin, U5 no user change before the first admin, 402 without accept-charges, softphone
 * devices as the emulator answers them: U7 roles, one holder per device, no revoke under a device), plus just
 * enough of the access requests for a stack's release to withdraw them. The emulator plays the full server; this only
 * needs to be small and inspectable.
 */
import { HandlerError } from "../../src/handler/errors";
import { randomUUID } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { ApiError } from "../../src/client/errors";
import type { DimensionsApi, GetUserOptions, RequestOptions } from "../../src/client/types";
import { DevicesNotReportedError } from "../../src/client/errors";
import type { AccessRequest, CreateCustomerRequest, CreateUserRequest, Customer, CustomerUser, DeviceClientType, JsonPatchOperation } from "../../src/contracts/api";
import {
  accessRequestKey,
  customerKey,
  type AccessRequestPayload,
  type CustomerDesired,
  type Manifest,
  type ObjectPayload,
  type TenantPayload,
  type UserEntry,
} from "../../src/contracts/handler";
import { MemoryMarkerStore } from "../../src/handler/markers";
import type { SentLog } from "../../src/handler/sent-log";
import type { Clock, HandlerDeps } from "../../src/handler/context";
import { createReporter, type FailingReporter } from "../../src/handler/report";

/** The client's own error type, so the handler's mapping is tested against the real shape. */
export { ApiError as FakeApiError } from "../../src/client/errors";

const SYNCED = new Set(["customer.user.pbx", "customer.user.uc.essential"]);
const ADMIN = ["customer.user", "user.admin"];

const DEVICE_ROLES = ["customer.user.uc", "customer.user.uc.softphone"];

interface StoredUser {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
  devices: Array<{ deviceId: string; clientType: string }>;
}

export class FakeApi implements DimensionsApi {
  readonly calls: string[] = [];
  readonly customers = new Map<string, Customer>();
  readonly users = new Map<string, Map<string, StoredUser>>();
  /** Bodies of POST /customers as received (to check the apiKey reached the API). */
  readonly createdCustomerBodies: CreateCustomerRequest[] = [];
  /** Creating a customer without accept-charges answers 402 (C6). */
  chargesRequiredForCustomers = true;
  /** U5 as the server enforces it: no user change on a customer without an admin, except one making the first. */
  enforceAdministratorRequired = true;
  /** Access requests (api-contract §5), only as far as withdrawing them goes. */
  readonly accessRequests: AccessRequest[] = [];
  /**
   * Each user write (POST, PATCH, DELETE) waits one turn of the event loop before it lands, so
   * writes the handler sends concurrently overlap (no timers); `inFlight` records, per write, how
   * many writes were in flight when it started, itself included.
   */
  overlapWrites = false;
  /** H5 [ours]: a user's activation by e-mail (default false); "absent": the answer lacks the field. */
  readonly activation = new Map<string, boolean | "absent">();
  /** U15: users (by lower-cased e-mail) whose primary tenant is another customer. */
  readonly notPrimary = new Set<string>();
  /** `activation ana@x`, `welcome bo@x`: every e-mail sent, in order. */
  readonly sentEmails: string[] = [];
  /** Whether a one-user GET reports `devices` ([ours]); false plays an API without the field. */
  reportDevices = true;
  readonly inFlight: Array<{ call: string; inFlight: number }> = [];
  private writing = 0;
  private requests = 0;

  get requestCount(): number {
    return this.requests;
  }

  // ---- seeding and inspection ------------------------------------------------------------

  addCustomer(fields: Partial<Customer> & { reference: string }): Customer {
    const customer: Customer = { id: randomUUID(), name: fields.reference, description: "", enabled: true, ...fields };
    this.customers.set(customer.id, customer);
    this.users.set(customer.id, new Map());
    return customer;
  }

  addUser(customerId: string, email: string, roles: string[], displayName = email.split("@")[0]): StoredUser {
    const user: StoredUser = { id: randomUUID(), email, displayName, roles: [...roles], devices: [] };
    this.usersOf(customerId).set(user.id, user);
    return user;
  }

  user(customerId: string, email: string): StoredUser | undefined {
    return [...this.usersOf(customerId).values()].find((u) => u.email.toLowerCase() === email.toLowerCase());
  }

  roles(customerId: string, email: string): string[] | undefined {
    const u = this.user(customerId, email);
    return u ? [...u.roles].sort() : undefined;
  }

  /** The devices a user holds, as `device:clientType`, sorted. */
  devices(customerId: string, email: string): string[] | undefined {
    const u = this.user(customerId, email);
    return u ? u.devices.map((d) => `${d.deviceId}:${d.clientType}`).sort() : undefined;
  }

  /** Calls other than reads. */
  writes(): string[] {
    return this.calls.filter((c) => /^(POST|PUT|PATCH|DELETE)/.test(c));
  }

  /** Calls by kind: `{ "GET customers": 1, "GET users": 1, "GET user": 3, "PATCH user": 1 }`. */
  countByKind(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const call of this.calls) {
      const kind = call.replace(/^(GET|POST|PUT|PATCH|DELETE) (customers|customer|users|user|accessrequests|accessrequest|assign|unassign)\b.*$/, "$1 $2");
      out[kind] = (out[kind] ?? 0) + 1;
    }
    return out;
  }

  /** An active access request with one pending tenant request per customer id. */
  addAccessRequest(name: string, tenantIds: string[] = []): AccessRequest {
    const request: AccessRequest = {
      id: randomUUID(),
      name,
      message: null,
      associations: [{ userIds: [], tenantIds, mode: "support" }],
      tenants: tenantIds.map((tenantId) => ({ tenantId, status: "pending" as const, userIds: [], mode: "support" as const, respondedAt: null, responseMessage: null, expiresAt: null })),
      dateCreated: "2025-01-01T00:00:00Z",
    };
    this.accessRequests.push(request);
    return request;
  }

  // ---- DimensionsApi -----------------------------------------------------------------------

  async findCustomersByReference(reference: string): Promise<Customer[]> {
    this.record(`GET customers?filter=${reference}`);
    return [...this.customers.values()].filter((c) => c.reference === reference).map((c) => ({ ...c }));
  }
  async listCustomers(filter?: string): Promise<Customer[]> {
    this.record(`GET customers?filter=${filter ?? ""}`);
    return [...this.customers.values()].map((c) => ({ ...c }));
  }
  async getCustomer(customerId: string): Promise<Customer> {
    this.record(`GET customer ${customerId}`);
    const c = this.customers.get(customerId);
    if (!c) throw notFound("GET", `/customers/${customerId}`);
    return { ...c };
  }
  async createCustomer(body: CreateCustomerRequest, options?: RequestOptions): Promise<Customer> {
    this.record(`POST customer ${body.reference}`);
    if (this.chargesRequiredForCustomers && !options?.acceptCharges) {
      throw new ApiError(402, "ChargesNotAccepted", "Payment Required", "POST", "/customers");
    }
    this.createdCustomerBodies.push(body);
    // The real API echoes the apiKey back in clear (api-contract §3).
    const { features: _features, ...rest } = body;
    return { ...this.addCustomer({ ...rest, reference: body.reference }) };
  }
  async patchCustomer(customerId: string, patch: JsonPatchOperation[], _options?: RequestOptions): Promise<void> {
    this.record(`PATCH customer ${customerId} ${JSON.stringify(patch)}`);
    const c = this.customers.get(customerId);
    if (!c) throw notFound("PATCH", `/customers/${customerId}`);
    for (const op of patch) if (op.op === "replace") Object.assign(c, { [op.path.slice(1)]: op.value });
  }
  async deleteCustomer(customerId: string): Promise<boolean> {
    this.record(`DELETE customer ${customerId}`);
    return this.customers.delete(customerId);
  }

  async listUsers(customerId: string): Promise<CustomerUser[]> {
    this.record(`GET users of ${customerId}`);
    return [...this.usersOf(customerId).values()].map(({ roles: _roles, devices: _devices, ...u }) => ({ ...u }));
  }
  async findUserByEmail(customerId: string, email: string): Promise<CustomerUser | undefined> {
    this.record(`GET user ${email}`);
    const u = this.user(customerId, email);
    return u ? { ...u, roles: [...u.roles] } : undefined;
  }
  async getUser(customerId: string, userId: string, options: GetUserOptions = {}): Promise<CustomerUser> {
    const u = this.usersOf(customerId).get(userId);
    this.record(`GET user ${u?.email ?? userId}`);
    if (!u) throw notFound("GET", `/customers/${customerId}/users/${userId}`);
    const activated = this.activation.get(u.email.toLowerCase()) ?? false;
    const { devices, ...rest } = u;
    if (options.devices === true && !this.reportDevices) throw new DevicesNotReportedError("GET", `/customers/${customerId}/users/${userId}`);
    // As the real client: a plain read drops devices (customerUserLenient); only a reader asking for them gets them.
    const withDevices = this.reportDevices && options.devices !== undefined && options.devices !== false;
    return { ...rest, roles: [...u.roles], ...(activated === "absent" ? {} : { activated }), ...(withDevices ? { devices: devices.map((d) => ({ ...d })) } : {}) };
  }
  async createUser(customerId: string, body: CreateUserRequest, _options?: RequestOptions): Promise<{ created: CustomerUser } | { existing: string }> {
    this.record(`POST user ${body.email} ${JSON.stringify(body.roles ?? [])}`);
    await this.overlap(`POST user ${body.email}`);
    const existing = this.user(customerId, body.email);
    if (existing) return { existing: existing.id };
    const roles = [...new Set([...(body.roles ?? []), "customer.user"])];
    const id = randomUUID();
    this.checkAdministratorRules(customerId, new Map([[id, roles]]), "POST", `/customers/${customerId}/users`);
    const u = this.addUser(customerId, body.email, roles, body.displayName);
    return { created: { ...u, roles: [...u.roles] } };
  }
  async patchUser(customerId: string, userId: string, patch: JsonPatchOperation[], _options?: RequestOptions): Promise<void> {
    const u = this.usersOf(customerId).get(userId);
    this.record(`PATCH user ${u?.email ?? userId} ${JSON.stringify(patch)}`);
    await this.overlap(`PATCH user ${u?.email ?? userId}`);
    if (!u) throw notFound("PATCH", `/customers/${customerId}/users/${userId}`);
    let roles = [...u.roles];
    let displayName = u.displayName;
    for (const op of patch) {
      if (op.op === "replace" && op.path === "/roles") {
        const listed = op.value as string[];
        roles = [...new Set([...listed, ...roles.filter((r) => SYNCED.has(r))])];
      } else if (op.op === "add" && op.path === "/roles/-") {
        if (!roles.includes(op.value as string)) roles.push(op.value as string);
      } else if (op.op === "replace" && op.path === "/displayName") {
        displayName = op.value as string;
      } else {
        throw new ApiError(400, "ValidationFailed", `unsupported op ${op.op} ${op.path}`, "PATCH", `/customers/${customerId}/users/${userId}`);
      }
    }
    this.checkAdministratorRules(customerId, new Map([[userId, roles]]), "PATCH", `/customers/${customerId}/users/${userId}`);
    const needed = DEVICE_ROLES.find((r) => !roles.includes(r));
    if (u.devices.length > 0 && needed) {
      throw new ApiError(400, "RolePrerequisiteMissing", `Role '${needed}' is needed by the PBX device '${u.devices[0].deviceId}' assigned to the user; unassign the device first.`, "PATCH", `/customers/${customerId}/users/${userId}`);
    }
    u.roles = roles;
    u.displayName = displayName;
  }
  async deleteUser(customerId: string, userId: string): Promise<boolean> {
    const u = this.usersOf(customerId).get(userId);
    this.record(`DELETE user ${u?.email ?? userId}`);
    await this.overlap(`DELETE user ${u?.email ?? userId}`);
    if (!u) return false;
    this.checkAdministratorRules(customerId, new Map([[userId, null]]), "DELETE", `/customers/${customerId}/users/${userId}`);
    return this.usersOf(customerId).delete(userId);
  }
  async assignDevice(customerId: string, userId: string, deviceId: string, clientType: DeviceClientType): Promise<void> {
    const u = this.usersOf(customerId).get(userId);
    const path = `/customers/${customerId}/users/${userId}/devices/pbx/${deviceId}/assign`;
    this.record(`PUT assign ${u?.email ?? userId} ${deviceId} ${clientType}`);
    await this.overlap(`PUT assign ${u?.email ?? userId} ${deviceId}`);
    if (!u) throw notFound("PUT", path);
    const missing = DEVICE_ROLES.find((r) => !u.roles.includes(r));
    if (missing) throw new ApiError(400, "RolePrerequisiteMissing", `Assigning a PBX device requires the role '${missing}'.`, "PUT", path);
    const held = u.devices.find((d) => d.deviceId === deviceId);
    if (held && held.clientType !== clientType) throw new ApiError(409, "DeviceAlreadyAssigned", `Device '${deviceId}' is assigned to this user as '${held.clientType}'; unassign it with that client type first.`, "PUT", path);
    if (held) return;
    if ([...this.usersOf(customerId).values()].some((o) => o !== u && o.devices.some((d) => d.deviceId === deviceId))) {
      throw new ApiError(409, "DeviceAlreadyAssigned", `Device '${deviceId}' is assigned to another user.`, "PUT", path);
    }
    u.devices.push({ deviceId, clientType });
  }
  async unassignDevice(customerId: string, userId: string, deviceId: string, clientType: string): Promise<void> {
    const u = this.usersOf(customerId).get(userId);
    const path = `/customers/${customerId}/users/${userId}/devices/pbx/${deviceId}/unassign`;
    this.record(`PUT unassign ${u?.email ?? userId} ${deviceId} ${clientType}`);
    await this.overlap(`PUT unassign ${u?.email ?? userId} ${deviceId}`);
    if (!u) throw notFound("PUT", path);
    const held = u.devices.find((d) => d.deviceId === deviceId);
    if (held && held.clientType !== clientType) throw new ApiError(409, "DeviceAlreadyAssigned", `Device '${deviceId}' is assigned to this user as '${held.clientType}'.`, "PUT", path);
    u.devices = u.devices.filter((d) => d !== held);
  }
  async sendActivationEmail(customerId: string, userId: string): Promise<void> {
    await this.sendEmail(customerId, userId, "activation", "sendActivationEmail");
  }
  async sendUcWelcomeEmail(customerId: string, userId: string): Promise<void> {
    await this.sendEmail(customerId, userId, "welcome", "sendUConnectActivationEmail");
  }
  private async sendEmail(customerId: string, userId: string, kind: string, route: string): Promise<void> {
    const u = this.usersOf(customerId).get(userId);
    this.record(`POST ${kind} e-mail ${u?.email ?? userId}`);
    const path = `/customers/${customerId}/users/${userId}/${route}`;
    if (!u) throw notFound("POST", path);
    // U15, as the server says it.
    if (this.notPrimary.has(u.email.toLowerCase())) throw new ApiError(400, "TenantNotPrimary", "This customer is not the user's primary tenant.", "POST", path);
    this.sentEmails.push(`${kind} ${u.email}`);
  }
  async listPartnerUsers(): Promise<never[]> {
    throw new Error("not used by the handler");
  }
  async listAccessRequests(): Promise<AccessRequest[]> {
    this.record("GET accessrequests");
    return structuredClone(this.accessRequests);
  }
  async getAccessRequest(): Promise<never> {
    throw new Error("not used by these tests");
  }
  async createAccessRequest(): Promise<never> {
    throw new Error("not used by these tests");
  }
  async deleteAccessRequest(requestId: string): Promise<boolean> {
    const found = this.accessRequests.find((r) => r.id === requestId);
    this.record(`DELETE accessrequest ${found?.name ?? requestId}`);
    if (!found) return false;
    for (const t of found.tenants) t.status = "withdrawn";
    return true;
  }

  // ---- internals -----------------------------------------------------------------------

  private usersOf(customerId: string): Map<string, StoredUser> {
    const users = this.users.get(customerId);
    if (!users) throw notFound("GET", `/customers/${customerId}/users`);
    return users;
  }

  private async overlap(call: string): Promise<void> {
    if (!this.overlapWrites) return;
    this.writing++;
    this.inFlight.push({ call, inFlight: this.writing });
    try {
      await nextTurn();
    } finally {
      this.writing--;
    }
  }

  private record(call: string): void {
    this.requests++;
    this.calls.push(call);
  }

  /** U4 and U5 as the server enforces them (src/emulator/rules.ts): `change` maps a user id to its roles after (null: deleted). */
  private checkAdministratorRules(customerId: string, change: ReadonlyMap<string, readonly string[] | null>, method: string, path: string): void {
    const isAdmin = (roles: readonly string[]) => ADMIN.every((r) => roles.includes(r));
    const users = [...this.usersOf(customerId).values()];
    const hadAdmin = users.some((u) => isAdmin(u.roles));
    const after = new Map<string, readonly string[]>(users.map((u) => [u.id, u.roles]));
    for (const [id, roles] of change) {
      if (roles === null) after.delete(id);
      else after.set(id, roles);
    }
    const hasAdmin = [...after.values()].some(isAdmin);
    if (this.enforceAdministratorRequired && !hadAdmin && !hasAdmin) {
      throw new ApiError(400, "AdministratorRequired", "A user administrator must be assigned before other users or roles can be modified.", method, path);
    }
    if (hadAdmin && !hasAdmin) throw new ApiError(400, "LastUserAdministrator", "There must be at least one user administrator.", method, path);
  }
}

function notFound(method: string, path: string): ApiError {
  return new ApiError(404, "NotFound", "Not Found", method, path);
}

// ---- payloads, manifests, deps -------------------------------------------------------------

export const SETTINGS = { region: "eu" as const, acceptCharges: true };
export const REF = "ACME-001";
export const PBX_ENV = "ACME_KAZOO_KEY";
export const PBX_KEY = "kazoo-secret-7f3a9b";

export const CUSTOMER = {
  reference: REF,
  name: "Acme",
  description: "Acme Corporation",
  enabled: true,
  timezone: "Europe/London",
  pbx: { hostRest: "https://pbx.acme.test", hostWebsocket: "wss://pbx.acme.test", accountId: "acme-pbx", apiKeyEnv: PBX_ENV },
};

/** A user entry of a tenant's `t.users` (defaults left out, as the constructs render them). */
export function entry(roles: string[], overrides: Partial<UserEntry> = {}): UserEntry {
  return { roles: [...roles].sort(), ...overrides };
}

/** An owned customer's tenant payload with these users (by e-mail). */
export function tenantPayload(
  users: Record<string, UserEntry> = {},
  overrides: { customer?: Partial<CustomerDesired>; i?: Partial<TenantPayload["i"]>; authoritative?: boolean } = {},
): TenantPayload {
  return {
    t: { customer: { ...CUSTOMER, ...overrides.customer }, users, ...(overrides.authoritative ? { authoritative: true } : {}) },
    i: { kind: "tenant", owned: true, removalPolicy: "retain", settings: SETTINGS, ...overrides.i },
  };
}

/** A referenced customer's tenant payload (Customer.fromReference). */
export function referencedTenant(users: Record<string, UserEntry>, reference = REF): TenantPayload {
  return { t: { customer: { reference }, users }, i: { kind: "tenant", owned: false, settings: SETTINGS } };
}

export function keyOf(p: ObjectPayload): string {
  return p.i.kind === "tenant" ? customerKey((p as TenantPayload).t.customer.reference) : accessRequestKey((p as AccessRequestPayload).t.name);
}

export function manifestOf(...objects: ObjectPayload[]): Manifest {
  return { version: 2, stack: "test", objects: Object.fromEntries(objects.map((o) => [keyOf(o), o])) };
}

export class FakeClock implements Clock {
  time = 0;
  readonly sleeps: number[] = [];
  /** Runs after the n-th sleep (1-based): how a concurrent provisioner's grant is simulated. */
  readonly onSleep = new Map<number, () => void>();
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
    this.sleeps.push(ms);
    this.onSleep.get(this.sleeps.length)?.();
  }
}

export interface TestDeps extends HandlerDeps {
  readonly api: FakeApi;
  readonly report: FailingReporter;
  readonly clock: FakeClock;
  readonly markers: MemoryMarkerStore;
  readonly out: string[];
  readonly err: string[];
}

export function makeDeps(
  options: { api?: FakeApi; manifest?: Manifest; env?: NodeJS.ProcessEnv; concurrency?: number; debug?: boolean; markers?: MemoryMarkerStore; clock?: FakeClock; sent?: SentLog } = {},
): TestDeps {
  const out: string[] = [];
  const err: string[] = [];
  const report = createReporter({ level: options.debug ? "debug" : "info", sink: { out: (l) => out.push(l), err: (l) => err.push(l) } });
  return {
    api: options.api ?? new FakeApi(),
    manifest: options.manifest ?? manifestOf(),
    report,
    clock: options.clock ?? new FakeClock(),
    env: options.env ?? { [PBX_ENV]: PBX_KEY },
    markers: options.markers ?? new MemoryMarkerStore(),
    concurrency: options.concurrency ?? 4,
    ...(options.sent ? { sent: options.sent } : {}),
    out,
    err,
  };
}

/** What the provisioner sets: base64 of gzip of the JSON `{t, i}`. */
export function encodePayload(value: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(value))).toString("base64");
}

export { ADMIN };

/** The HandlerError an operation fails with; fails the test when it succeeds. */
export async function failure(run: Promise<unknown>): Promise<HandlerError> {
  try {
    await run;
  } catch (e) {
    expect(e).toBeInstanceOf(HandlerError);
    return e as HandlerError;
  }
  throw new Error("expected the operation to fail");
}

export const ANA = "ana@acme.test";

/** ana@ as the code declares her: the customer's primary admin. */
export function anaEntry(): Record<string, UserEntry> {
  return { [ANA]: entry(ADMIN, { primary: true, displayName: "Ana" }) };
}

/**
 * The live customer exactly as CUSTOMER declares it (so the customer step sends nothing), with its
 * primary admin ana@ (U5: the customer has an admin).
 */
export function seedAcme(api: FakeApi = new FakeApi()): { api: FakeApi; cid: string } {
  const c = api.addCustomer({
    reference: REF,
    name: CUSTOMER.name,
    description: CUSTOMER.description,
    enabled: true,
    timezone: CUSTOMER.timezone,
    pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", accountId: CUSTOMER.pbx.accountId },
  });
  api.addUser(c.id, ANA, [...ADMIN], "Ana");
  return { api, cid: c.id };
}
