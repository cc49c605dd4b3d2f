/**
 * Partner users and tenant access requests (api-contract §5; rules A1, A2, A3, A4, A5, A6).
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { call, Client, login, useEmulator } from "./support";

let emulator: RunningEmulator;
let api: Client;
let customerId: string;
let alice: { id: string; token: string };
let bob: { id: string; token: string };

useEmulator((ctx) => {
  emulator = ctx.emulator;
  if (ctx.demo) api = ctx.demo;
});

beforeEach(async () => {
  ({ customerId } = await api.customerWithAdmin());
  await call(emulator, "POST", "/_emulator/resellers/demo/partner-users", [
    { email: "alice@reseller.test", displayName: "Alice", roles: ["account.user"] },
    { email: "bob@reseller.test", displayName: "Bob", roles: ["account.user", "customer.admin"] },
  ]);
  const [a, b] = await Promise.all([login(emulator, "demo", "alice@reseller.test"), login(emulator, "demo", "bob@reseller.test")]);
  alice = { id: a.partnerUserId, token: a.access_token };
  bob = { id: b.partnerUserId, token: b.access_token };
});

function requestBody(name = "SupportAccess", userIds = [alice.id], mode = "support") {
  return { name, message: "Alice needs access to fix the queues", associations: [{ userIds, tenantIds: [customerId], mode }] };
}

async function createRequest(name = "SupportAccess", userIds = [alice.id], mode = "support"): Promise<string> {
  const answer = await api.call<{ data: { id: string } }>("POST", "/accessrequests", requestBody(name, userIds, mode));
  if (answer.status !== 201) throw new Error(`create request → ${answer.status} ${answer.text}`);
  return answer.body.data.id;
}

async function adminToken(): Promise<Client> {
  const answer = await call<{ access_token: string }>(emulator, "POST", `/_emulator/customers/${customerId}/admin-token`);
  return new Client(emulator, answer.body.access_token);
}

function impersonate(token: string, mode = "support") {
  return call<{ data: { token: string }; errorCode?: string }>(emulator, "POST", `/customers/${customerId}/impersonate`, { mode }, { token });
}

describe("partner users", () => {
  test("GIVEN seeded partner users WHEN /accounts/me/users is listed THEN they come with their roles", async () => {
    const answer = await api.call<{ data: Array<{ email: string; roles: string[] }> }>("GET", "/accounts/me/users");

    expect(answer.body.data.map((u) => u.email).sort()).toEqual(["alice@reseller.test", "bob@reseller.test", "demo@reseller.test"]);
    expect(answer.body.data.find((u) => u.email === "demo@reseller.test")?.roles).toEqual(["account.user", "customer.admin", "tm.admin"]);
  });
});

describe("A1: tm.admin creates requests", () => {
  test("A1: GIVEN a partner user holding tm.admin WHEN it creates a request THEN 201 with Location, every tenant pending", async () => {
    const answer = await api.call<{ data: { id: string; tenants: Array<{ tenantId: string; status: string; userIds: string[]; mode: string }> } }>("POST", "/accessrequests", requestBody());

    expect(answer.status).toBe(201);
    expect(answer.headers.get("location")).toBe(`/api/v1.0/accessrequests/${answer.body.data.id}`);
    expect(answer.body.data.tenants).toEqual([expect.objectContaining({ tenantId: customerId, status: "pending", userIds: [alice.id], mode: "support" })]);
  });

  test("A1: GIVEN a partner user without tm.admin WHEN it creates a request THEN 403 RoleRequired", async () => {
    const answer = await call(emulator, "POST", "/accessrequests", requestBody(), { token: alice.token });

    expect(answer.status).toBe(403);
    expect(answer.body.errorCode).toBe("RoleRequired");
  });
});

describe("A2: request names", () => {
  test("A2: GIVEN a name with a space WHEN the request is created THEN 400 ValidationFailed naming the field", async () => {
    const answer = await api.call("POST", "/accessrequests", requestBody("Support Access"));

    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect(answer.body.message).toContain("'name'");
  });

  test("A2: GIVEN empty associations WHEN the request is created THEN 400 ValidationFailed", async () => {
    const answer = await api.call("POST", "/accessrequests", { name: "Empty", associations: [] });

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });

  test("A2: GIVEN a request with a name in use WHEN another is created with that name THEN 409 AccessRequestExists", async () => {
    await createRequest("Dup1");

    const answer = await api.call("POST", "/accessrequests", requestBody("Dup1"));

    expect(answer.status).toBe(409);
    expect(answer.body.errorCode).toBe("AccessRequestExists");
  });

  test("A2: GIVEN a withdrawn request WHEN its name is reused THEN 201", async () => {
    const id = await createRequest("Reuse1");
    await api.call("DELETE", `/accessrequests/${id}`);

    const answer = await api.call("POST", "/accessrequests", requestBody("Reuse1"));

    expect(answer.status).toBe(201);
  });

  test("A2: GIVEN a request WHEN the tenant lists its requests THEN it sees the message but neither the name nor the users", async () => {
    await createRequest("Hidden");
    const admin = await adminToken();

    const answer = await admin.call<{ data: Array<Record<string, unknown>> }>("GET", `/customers/${customerId}/accessrequests`);

    expect(answer.body.data).toHaveLength(1);
    expect(answer.body.data[0]).toMatchObject({ message: "Alice needs access to fix the queues", status: "pending", mode: "support" });
    expect(answer.body.data[0].name).toBeUndefined();
    expect(answer.body.data[0].userIds).toBeUndefined();
  });
});

describe("A4: the customer admin answers", () => {
  test("A4: GIVEN a pending request WHEN the customer admin grants it with a message and expiry THEN the reseller sees it granted", async () => {
    const id = await createRequest();
    const admin = await adminToken();
    const expiresAt = new Date(emulator.now() + 86_400_000).toISOString();

    const grant = await admin.call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, { message: "ok", expiresAt });
    const seen = await api.call<{ data: { tenants: Array<Record<string, unknown>> } }>("GET", `/accessrequests/${id}`);

    expect(grant.status).toBe(200);
    expect(seen.body.data.tenants[0]).toMatchObject({ status: "granted", responseMessage: "ok", expiresAt });
  });

  test("A4: GIVEN a pending request WHEN the customer admin rejects it THEN the reseller sees it rejected", async () => {
    const id = await createRequest();
    const admin = await adminToken();

    await admin.call("POST", `/customers/${customerId}/accessrequests/${id}/reject`, { message: "no" });
    const seen = await api.call<{ data: { tenants: Array<{ status: string }> } }>("GET", `/accessrequests/${id}`);

    expect(seen.body.data.tenants[0].status).toBe("rejected");
  });

  test("A4: GIVEN a grant WHEN the admin patches its expiry THEN the new expiry shows", async () => {
    const id = await createRequest();
    const admin = await adminToken();
    await admin.call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, {});
    const expiresAt = new Date(emulator.now() + 3_600_000).toISOString();

    const patch = await admin.call("PATCH", `/customers/${customerId}/accessrequests/${id}`, [{ op: "replace", path: "/expiresAt", value: expiresAt }]);
    const seen = await api.call<{ data: { tenants: Array<{ expiresAt: string }> } }>("GET", `/accessrequests/${id}`);

    expect(patch.status).toBe(200);
    expect(seen.body.data.tenants[0].expiresAt).toBe(expiresAt);
  });

  test("A4: GIVEN the reseller's own token WHEN it tries to grant its request THEN 403 AccessDenied", async () => {
    const id = await createRequest();

    const answer = await api.call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, {});

    expect(answer.status).toBe(403);
    expect(answer.body.errorCode).toBe("AccessDenied");
  });

  test("GIVEN requests in several states WHEN listed with status=pending THEN only pending ones come back", async () => {
    const granted = await createRequest("Granted1");
    await createRequest("Pending1");
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${granted}/grant`, {});

    const answer = await api.call<{ data: Array<{ name: string }> }>("GET", "/accessrequests?status=pending");

    expect(answer.body.data.map((r) => r.name)).toEqual(["Pending1"]);
  });
});

describe("A5: expiry", () => {
  test("A5: GIVEN a grant with an expiry WHEN the clock passes it THEN the request shows expired and impersonation is denied", async () => {
    const id = await createRequest();
    const admin = await adminToken();
    await admin.call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, { expiresAt: new Date(emulator.now() + 60_000).toISOString() });
    expect((await impersonate(alice.token)).status).toBe(200);

    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 120 });
    const seen = await api.call<{ data: { tenants: Array<{ status: string }> } }>("GET", `/accessrequests/${id}`);
    const again = await impersonate((await login(emulator, "demo", "alice@reseller.test")).access_token);

    expect(seen.body.data.tenants[0].status).toBe("expired");
    expect(again.status).toBe(403);
  });

  test("A5: GIVEN a grant with an expiry WHEN the clock has not reached it THEN the impersonation token still works", async () => {
    const id = await createRequest();
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, { expiresAt: new Date(emulator.now() + 600_000).toISOString() });
    const token = (await impersonate(alice.token)).body.data.token;

    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 60 });
    const users = await call(emulator, "GET", `/customers/${customerId}/users`, undefined, { token });

    expect(users.status).toBe(200);
  });

  test("A5: GIVEN an impersonation token WHEN the grant expires THEN the token no longer reaches the tenant", async () => {
    const id = await createRequest();
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, { expiresAt: new Date(emulator.now() + 60_000).toISOString() });
    const token = (await impersonate(alice.token)).body.data.token;

    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 61 });
    const users = await call(emulator, "GET", `/customers/${customerId}/users`, undefined, { token });

    expect(users.status).toBe(403);
  });
});

describe("A6: impersonation", () => {
  test("A6: GIVEN no request was ever granted WHEN a customer.admin partner user impersonates (legacy) THEN 200 with a token", async () => {
    const answer = await impersonate(bob.token, "configure");

    expect(answer.status).toBe(200);
    expect(answer.body.data.token).toEqual(expect.any(String));
  });

  test("A6: GIVEN no request was ever granted WHEN a partner user without customer.admin impersonates THEN 403 AccessDenied", async () => {
    const answer = await impersonate(alice.token);

    expect(answer.status).toBe(403);
    expect(answer.body.errorCode).toBe("AccessDenied");
  });

  test("A6: GIVEN a granted request naming alice WHEN alice impersonates in its mode THEN 200", async () => {
    const id = await createRequest();
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, {});

    expect((await impersonate(alice.token, "support")).status).toBe(200);
  });

  test("A6: GIVEN a granted support request naming alice WHEN alice impersonates in configure mode THEN 403", async () => {
    const id = await createRequest();
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, {});

    expect((await impersonate(alice.token, "configure")).status).toBe(403);
  });

  test("A6: GIVEN the tenant granted a request for alice WHEN bob (customer.admin, not in it) uses legacy impersonation THEN 403 AccessDenied", async () => {
    const id = await createRequest();
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, {});

    const answer = await impersonate(bob.token);

    expect(answer.status).toBe(403);
    expect(answer.body.errorCode).toBe("AccessDenied");
  });

  test("A6: GIVEN bob holds a legacy token WHEN the tenant then grants a request without bob THEN bob's token stops working", async () => {
    const legacy = (await impersonate(bob.token)).body.data.token;
    const id = await createRequest();
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, {});

    const answer = await call(emulator, "GET", `/customers/${customerId}/users`, undefined, { token: legacy });

    expect(answer.status).toBe(403);
  });

  test("GIVEN a granted request WHEN the reseller withdraws it THEN every tenant shows withdrawn and access ends", async () => {
    const id = await createRequest();
    await (await adminToken()).call("POST", `/customers/${customerId}/accessrequests/${id}/grant`, {});
    const token = (await impersonate(alice.token)).body.data.token;

    const withdraw = await api.call("DELETE", `/accessrequests/${id}`);
    const seen = await api.call<{ data: { tenants: Array<{ status: string }> } }>("GET", `/accessrequests/${id}`);
    const use = await call(emulator, "GET", `/customers/${customerId}/users`, undefined, { token });

    expect(withdraw.status).toBe(200);
    expect(seen.body.data.tenants.map((t) => t.status)).toEqual(["withdrawn"]);
    expect(use.status).toBe(403);
  });
});
