/**
 * The access-request operations (src/handler/access-request.ts) against an in-memory API: what
 * apply sends (A3), adoption by name and content (A2), the coded failures (A1, A2, A3), the bounded
 * wait and its per-tenant outcome lines (A4, A5, A7), and release (withdraw on a replacement; an
 * unchanged desired state only leaves an "identical" marker for the stack's release).
 */
import { randomUUID } from "node:crypto";
import { ApiError } from "../../src/client/errors";
import type { DimensionsApi } from "../../src/client/types";
import type { AccessRequest, CreateAccessRequestRequest, PartnerUser } from "../../src/contracts/api";
import { accessRequestKey, type AccessRequestPayload, type InventoryPayload, type Manifest } from "../../src/contracts/handler";
import { applyAccessRequest, releaseAccessRequest, withdrawAccessRequest } from "../../src/handler/access-request";
import type { HandlerDeps } from "../../src/handler/context";
import { releaseInventory } from "../../src/handler/inventory";
import { parsePayload } from "../../src/handler/payload";
import { createReporter } from "../../src/handler/report";
import { MemoryMarkerStore } from "../../src/handler/markers";
import { FakeApi, FakeClock, SETTINGS } from "./fake-api";

const CAROLINE = "caroline@classics.test";
const CHARLOTTE = "charlotte@classics.test";
const MARY = "mary@classics.test";
const MESSAGE = "Caroline and Charlotte need access for support";

/** Customers from the existing fake; partner users and access requests played here, as §5 says. */
class AccessFake implements DimensionsApi {
  readonly base = new FakeApi();
  readonly calls: string[] = [];
  readonly partners: PartnerUser[] = [CAROLINE, CHARLOTTE, MARY].map((email) => ({ id: randomUUID(), displayName: email.split("@")[0], email, roles: ["account.user"] }));
  readonly requests: AccessRequest[] = [];
  readonly bodies: CreateAccessRequestRequest[] = [];
  /** A1: the caller lacks tm.admin. */
  roleRequired = false;
  private own = 0;

  get requestCount(): number {
    return this.own + this.base.requestCount;
  }
  findCustomersByReference = (r: string) => this.base.findCustomersByReference(r);
  listCustomers = (f?: string) => this.base.listCustomers(f);
  getCustomer = (id: string) => this.base.getCustomer(id);
  createCustomer = this.base.createCustomer.bind(this.base);
  patchCustomer = this.base.patchCustomer.bind(this.base);
  deleteCustomer = this.base.deleteCustomer.bind(this.base);
  listUsers = this.base.listUsers.bind(this.base);
  findUserByEmail = this.base.findUserByEmail.bind(this.base);
  getUser = this.base.getUser.bind(this.base);
  assignDevice = this.base.assignDevice.bind(this.base);
  unassignDevice = this.base.unassignDevice.bind(this.base);
  createUser = this.base.createUser.bind(this.base);
  patchUser = this.base.patchUser.bind(this.base);
  deleteUser = this.base.deleteUser.bind(this.base);
  sendActivationEmail = this.base.sendActivationEmail.bind(this.base);
  sendUcWelcomeEmail = this.base.sendUcWelcomeEmail.bind(this.base);

  idOf(email: string): string {
    return this.partners.find((p) => p.email === email)!.id;
  }

  async listPartnerUsers(): Promise<PartnerUser[]> {
    this.record("GET /accounts/me/users");
    return this.partners.map((p) => ({ ...p }));
  }
  async listAccessRequests(): Promise<AccessRequest[]> {
    this.record("GET /accessrequests");
    return structuredClone(this.requests);
  }
  async getAccessRequest(id: string): Promise<AccessRequest> {
    this.record(`GET /accessrequests/${id}`);
    const found = this.requests.find((r) => r.id === id);
    if (!found) throw new ApiError(404, "NotFound", "Not Found", "GET", `/accessrequests/${id}`);
    return structuredClone(found);
  }
  async createAccessRequest(body: CreateAccessRequestRequest): Promise<AccessRequest> {
    this.record(`POST /accessrequests ${body.name}`);
    if (this.roleRequired) throw new ApiError(403, "RoleRequired", "The role 'tm.admin' is required.", "POST", "/api/v1.0/accessrequests");
    if (this.requests.some((r) => r.name.toLowerCase() === body.name.toLowerCase() && r.tenants.some((t) => t.status !== "withdrawn"))) {
      throw new ApiError(409, "AccessRequestExists", "in use", "POST", "/api/v1.0/accessrequests");
    }
    this.bodies.push(structuredClone(body));
    const tenants: AccessRequest["tenants"] = [];
    for (const a of body.associations) {
      for (const tenantId of a.tenantIds) {
        let entry = tenants.find((t) => t.tenantId === tenantId && t.mode === a.mode);
        if (!entry) tenants.push((entry = { tenantId, status: "pending", userIds: [], mode: a.mode, respondedAt: null, responseMessage: null, expiresAt: null }));
        for (const u of a.userIds) if (!entry.userIds!.includes(u)) entry.userIds!.push(u);
      }
    }
    const request: AccessRequest = { id: randomUUID(), name: body.name, message: body.message ?? null, associations: body.associations, tenants, dateCreated: "2025-01-01T00:00:00Z" };
    this.requests.push(request);
    return structuredClone(request);
  }
  async deleteAccessRequest(id: string): Promise<boolean> {
    this.record(`DELETE /accessrequests/${id}`);
    const found = this.requests.find((r) => r.id === id);
    if (!found) return false;
    for (const t of found.tenants) t.status = "withdrawn";
    return true;
  }

  /** The customer side (A4), played directly on the stored request. */
  answer(name: string, tenantId: string, status: "granted" | "rejected", extra: { responseMessage?: string; expiresAt?: string } = {}): void {
    const request = this.requests.find((r) => r.name === name && r.tenants.some((t) => t.status !== "withdrawn"))!;
    for (const t of request.tenants) if (t.tenantId === tenantId) Object.assign(t, { status, responseMessage: extra.responseMessage ?? null, expiresAt: extra.expiresAt ?? null });
  }

  writes(): string[] {
    return this.calls.filter((c) => /^(POST|DELETE)/.test(c));
  }

  private record(call: string): void {
    this.own++;
    this.calls.push(call);
  }
}

interface Deps extends HandlerDeps {
  readonly api: AccessFake;
  readonly clock: FakeClock;
  readonly markers: MemoryMarkerStore;
  readonly out: string[];
}

function setup(manifest: Manifest = { version: 2, stack: "test", objects: {} }): { deps: Deps; tom: string; acre: string } {
  const api = new AccessFake();
  const tom = api.base.addCustomer({ reference: "TSFP-001" }).id;
  const acre = api.base.addCustomer({ reference: "HAWAG-001" }).id;
  const out: string[] = [];
  const report = createReporter({ sink: { out: (l) => out.push(l), err: (l) => out.push(l) } });
  const deps: Deps = { api, manifest, report, clock: new FakeClock(), env: {}, markers: new MemoryMarkerStore(), concurrency: 4, out };
  return { deps, tom, acre };
}

function seedPayload(overrides: { t?: Partial<AccessRequestPayload["t"]>; i?: Partial<AccessRequestPayload["i"]> } = {}): AccessRequestPayload {
  return {
    t: {
      name: "SupportAccess",
      message: MESSAGE,
      associations: [
        { customer: "HAWAG-001", mode: "support", partnerUsers: [CHARLOTTE] },
        { customer: "TSFP-001", mode: "support", partnerUsers: [CAROLINE, CHARLOTTE] },
      ],
      ...overrides.t,
    },
    i: { kind: "access-request", settings: SETTINGS, ...overrides.i },
  };
}

function manifestWith(payload: AccessRequestPayload): Manifest {
  return { version: 2, stack: "test", objects: { [accessRequestKey(payload.t.name)]: payload } };
}

async function failure(run: Promise<unknown>): Promise<Error & { code?: string; rule?: string; hint?: string }> {
  try {
    await run;
  } catch (e) {
    return e as Error & { code?: string; rule?: string; hint?: string };
  }
  throw new Error("expected a failure");
}

describe("apply", () => {
  test("A3: GIVEN the seed's request WHEN applied THEN one association per tenant carries only that tenant's partner user ids", async () => {
    const { deps, tom, acre } = setup();
    await applyAccessRequest(seedPayload(), deps);

    expect(deps.api.bodies).toEqual([
      {
        name: "SupportAccess",
        message: MESSAGE,
        associations: [
          { userIds: [deps.api.idOf(CHARLOTTE)], tenantIds: [acre], mode: "support" },
          { userIds: [deps.api.idOf(CAROLINE), deps.api.idOf(CHARLOTTE)], tenantIds: [tom], mode: "support" },
        ],
      },
    ]);
    expect(deps.out).toEqual([
      expect.stringMatching(/^dimensions: access request SupportAccess: sent request [0-9a-f-]+ \(2 tenant requests\) \(\d+ requests\)$/),
      `dimensions: access request SupportAccess: customer HAWAG-001 (support): pending for ${CHARLOTTE} — waiting for the customer's admin to grant or reject it`,
      `dimensions: access request SupportAccess: customer TSFP-001 (support): pending for ${CAROLINE}, ${CHARLOTTE} — waiting for the customer's admin to grant or reject it`,
    ]);
  });

  test("A2: GIVEN an active request with the same name and content WHEN applied THEN it is adopted and nothing is sent", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload(), deps);
    deps.out.length = 0;
    await applyAccessRequest(seedPayload(), deps);
    expect(deps.api.writes()).toHaveLength(1);
    expect(deps.out[0]).toMatch(/adopted request [0-9a-f-]+: already as declared/);
  });

  test("A2: GIVEN an active request with the same name and other content WHEN applied THEN AccessRequestNameTaken names the request and the fix", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload({ t: { message: "another message" } }), deps);
    const e = await failure(applyAccessRequest(seedPayload(), deps));
    expect(e).toMatchObject({ code: "AccessRequestNameTaken", rule: "A2" });
    expect(e.message).toMatch(/the active request [0-9a-f-]+ named "SupportAccess" has other content than the code declares/);
    expect(e.hint).toContain("give this request a new name");
    expect(deps.api.writes()).toHaveLength(1);
  });

  test("A2: GIVEN only a withdrawn request with the same name WHEN applied THEN a new request is sent", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload({ t: { message: "old" } }), deps);
    await deps.api.deleteAccessRequest(deps.api.requests[0].id);
    await applyAccessRequest(seedPayload(), deps);
    expect(deps.api.requests).toHaveLength(2);
  });

  test("A1: GIVEN credentials without tm.admin WHEN applied THEN RoleRequired [A1] says which role is needed", async () => {
    const { deps } = setup();
    deps.api.roleRequired = true;
    const e = await failure(applyAccessRequest(seedPayload(), deps));
    expect(e).toMatchObject({ code: "RoleRequired", rule: "A1" });
    expect(e.hint).toContain("tm.admin");
  });

  test("A3: GIVEN an e-mail that is no partner user WHEN applied THEN PartnerUserNotFound names it and nothing is sent", async () => {
    const { deps } = setup();
    const e = await failure(applyAccessRequest(seedPayload({ t: { associations: [{ customer: "TSFP-001", mode: "support", partnerUsers: ["nobody@classics.test", CAROLINE] }] } }), deps));
    expect(e).toMatchObject({ code: "PartnerUserNotFound", rule: "A3" });
    expect(e.message).toContain("nobody@classics.test");
    expect(deps.api.writes()).toEqual([]);
  });

  test("A3: GIVEN a customer reference that does not exist WHEN applied THEN CustomerNotFound names it", async () => {
    const { deps } = setup();
    const e = await failure(applyAccessRequest(seedPayload({ t: { associations: [{ customer: "NOPE-1", mode: "support", partnerUsers: [CAROLINE] }] } }), deps));
    expect(e).toMatchObject({ code: "CustomerNotFound" });
    expect(e.message).toContain("NOPE-1");
  });

  test("GIVEN e-mails in another case WHEN applied THEN partner users are matched case-insensitively", async () => {
    const { deps, tom } = setup();
    await applyAccessRequest(seedPayload({ t: { associations: [{ customer: "TSFP-001", mode: "configure", partnerUsers: [CAROLINE.toUpperCase()] }] } }), deps);
    expect(deps.api.bodies[0].associations).toEqual([{ userIds: [deps.api.idOf(CAROLINE)], tenantIds: [tom], mode: "configure" }]);
  });
});

describe("waiting for the customers (A4, A5, A7)", () => {
  const wait = { timeoutSeconds: 30, pollSeconds: 5, requireGrant: false };

  test("A7: GIVEN the customers answer during the wait WHEN applied THEN one outcome line per tenant: granted with expiry, rejected with message", async () => {
    const { deps, tom, acre } = setup();
    deps.clock.onSleep.set(2, () => {
      deps.api.answer("SupportAccess", tom, "granted", { responseMessage: "Welcome", expiresAt: "2030-01-01T00:00:00.000Z" });
      deps.api.answer("SupportAccess", acre, "rejected", { responseMessage: "Not now" });
    });
    await applyAccessRequest(seedPayload({ i: { wait } }), deps);
    expect(deps.clock.sleeps).toEqual([5000, 5000]);
    expect(deps.out.slice(-2)).toEqual([
      `dimensions: access request SupportAccess: customer HAWAG-001 (support): rejected for ${CHARLOTTE}; the customer says "Not now"`,
      `dimensions: access request SupportAccess: customer TSFP-001 (support): granted for ${CAROLINE}, ${CHARLOTTE}, expires 2030-01-01T00:00:00.000Z; the customer says "Welcome"`,
    ]);
  });

  test("A7: GIVEN nobody answers WHEN the timeout passes THEN the wait ends on time with 'still pending' and the apply succeeds", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload({ i: { wait: { timeoutSeconds: 12, pollSeconds: 5, requireGrant: false } } }), deps);
    expect(deps.clock.sleeps.reduce((a, b) => a + b, 0)).toBe(12_000);
    expect(deps.out.filter((l) => l.includes("still pending after 12 s"))).toHaveLength(2);
  });

  test("A4: GIVEN requireGrant and a rejection WHEN the wait ends THEN AccessNotGranted names the tenant and its status", async () => {
    const { deps, tom, acre } = setup();
    deps.clock.onSleep.set(1, () => {
      deps.api.answer("SupportAccess", tom, "granted");
      deps.api.answer("SupportAccess", acre, "rejected");
    });
    const e = await failure(applyAccessRequest(seedPayload({ i: { wait: { ...wait, requireGrant: true } } }), deps));
    expect(e).toMatchObject({ code: "AccessNotGranted", rule: "A4" });
    expect(e.message).toBe("1 of 2 tenant requests are not granted: customer HAWAG-001 (support) rejected");
  });

  test("A4: GIVEN requireGrant and every tenant granted WHEN the wait ends THEN the apply succeeds", async () => {
    const { deps, tom, acre } = setup();
    deps.clock.onSleep.set(1, () => {
      deps.api.answer("SupportAccess", tom, "granted");
      deps.api.answer("SupportAccess", acre, "granted");
    });
    await applyAccessRequest(seedPayload({ i: { wait: { ...wait, requireGrant: true } } }), deps);
    expect(deps.out.filter((l) => / granted for /.test(l))).toHaveLength(2);
  });

  test("A5: GIVEN an adopted request whose grant is past its expiry WHEN applied THEN the tenant reads expired with how to continue", async () => {
    const { deps, tom } = setup();
    await applyAccessRequest(seedPayload(), deps);
    deps.api.answer("SupportAccess", tom, "granted", { expiresAt: "2000-01-01T00:00:00.000Z" });
    deps.clock.time = Date.parse("2001-01-01T00:00:00Z");
    deps.out.length = 0;
    await applyAccessRequest(seedPayload(), deps);
    expect(deps.out).toContainEqual(expect.stringContaining("customer TSFP-001 (support): expired at 2000-01-01T00:00:00.000Z"));
    expect(deps.out).toContainEqual(expect.stringContaining("send a new request (a new name) to continue (A5)"));
  });
});

describe("release", () => {
  test("GIVEN the same request in the manifest (a destroy, -replace or taint) WHEN released THEN nothing is sent and an identical marker holds the payload", async () => {
    const { deps } = setup();
    const payload = seedPayload();
    await applyAccessRequest(payload, deps);
    const released = { ...deps, manifest: manifestWith(payload) };

    await releaseAccessRequest(payload, released);

    expect(deps.api.writes()).toHaveLength(1);
    expect(deps.api.requests[0].tenants.every((t) => t.status === "pending")).toBe(true);
    expect(deps.markers.read(accessRequestKey("SupportAccess"))).toMatchObject({ state: "identical", payload });
    expect(deps.out.at(-1)).toMatch(/destroyed or replaced with the same request: nothing changes now/);
  });

  test("GIVEN an identical marker WHEN the request is applied again (-replace) THEN the same request is adopted and the marker is removed", async () => {
    const { deps } = setup();
    const payload = seedPayload();
    await applyAccessRequest(payload, deps);
    await releaseAccessRequest(payload, { ...deps, manifest: manifestWith(payload) });

    await applyAccessRequest(payload, deps);

    expect(deps.api.requests).toHaveLength(1);
    expect(deps.markers.read(accessRequestKey("SupportAccess"))).toBeUndefined();
  });

  test("GIVEN the request left the code (absent from the manifest) WHEN released THEN nothing is sent: the inventory withdraws it", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload(), deps);
    await releaseAccessRequest(seedPayload(), deps);
    expect(deps.api.writes()).toHaveLength(1);
    expect(deps.out.at(-1)).toContain("left the code: the stack's inventory withdraws it");
  });

  test("GIVEN a replacement with another message WHEN released THEN the old request is withdrawn so the new one can take the name", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload(), deps);
    await releaseAccessRequest(seedPayload(), { ...deps, manifest: manifestWith(seedPayload({ t: { message: "new" } })) });
    expect(deps.api.requests[0].tenants.every((t) => t.status === "withdrawn")).toBe(true);
    expect(deps.out.at(-1)).toContain("replaced: the new request is sent next and must be granted again");
    await applyAccessRequest(seedPayload({ t: { message: "new" } }), deps);
    expect(deps.api.requests).toHaveLength(2);
  });

  test("GIVEN a null_resource replaced because only its wait options changed WHEN released THEN the request is kept (no gap)", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload(), deps);
    await releaseAccessRequest(seedPayload(), { ...deps, variant: "null_resource", manifest: manifestWith(seedPayload({ i: { wait: { timeoutSeconds: 5, pollSeconds: 1, requireGrant: false } } })) });
    expect(deps.api.writes()).toHaveLength(1);
    expect(deps.api.requests[0].tenants.every((t) => t.status === "pending")).toBe(true);
  });

  test("GIVEN no active request with the name WHEN it is withdrawn THEN it is already withdrawn and nothing is sent", async () => {
    const { deps } = setup();
    await withdrawAccessRequest("SupportAccess", "destroyed", deps);
    expect(deps.api.writes()).toEqual([]);
    expect(deps.out.at(-1)).toMatch(/already withdrawn/);
  });

  test("GIVEN the stack inventory lists a request the manifest no longer has WHEN the inventory is released THEN that request is withdrawn", async () => {
    const { deps } = setup();
    await applyAccessRequest(seedPayload(), deps);
    const key = accessRequestKey("SupportAccess");
    const inventory: InventoryPayload = { t: { objects: { [key]: { kind: "access-request", name: "SupportAccess" } } }, i: { kind: "inventory", settings: SETTINGS } };
    await releaseInventory(inventory, deps);
    expect(deps.api.requests[0].tenants.every((t) => t.status === "withdrawn")).toBe(true);
    expect(deps.out).toContainEqual(expect.stringMatching(/withdrew request [0-9a-f-]+ \(it left the code\); access granted through it has ended for 2 tenant requests/));
  });
});

test("GIVEN an access-request payload WHEN parsed at the handler's boundary THEN it is recognised by its kind", () => {
  expect(parsePayload(seedPayload()).kind).toBe("access-request");
});
