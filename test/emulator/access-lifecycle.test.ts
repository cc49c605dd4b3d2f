/**
 * Access requests across their lifecycle in the emulator (api-contract §5), beyond the single-
 * tenant cases of access-requests.test.ts: one request to two tenants (A3), renewal after expiry
 * (A5), and A6's legacy cut-off — closed for good once a tenant granted, open while it never did.
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { call, Client, demoClient, login, start } from "./support";

let emulator: RunningEmulator;
let api: Client;
let tom: string;
let acre: string;
const users = new Map<string, { id: string; token: string }>();

beforeAll(async () => {
  emulator = await start();
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await call(emulator, "POST", "/_emulator/reset");
  // Tokens must outlive the clock moves, so that a 403 is about access, not a 401 about the token.
  await call(emulator, "PUT", "/_emulator/auth", { accessTokenSeconds: 60 * 86_400 });
  api = await demoClient(emulator);
  ({ customerId: tom } = await api.customerWithAdmin());
  ({ customerId: acre } = await api.customerWithAdmin());
  await call(emulator, "POST", "/_emulator/resellers/demo/partner-users", [
    { email: "caroline@classics.test", displayName: "Caroline", roles: ["account.user"] },
    { email: "charlotte@classics.test", displayName: "Charlotte", roles: ["account.user"] },
    { email: "mary@classics.test", displayName: "Mary", roles: ["account.user", "customer.admin"] },
  ]);
  users.clear();
  for (const name of ["caroline", "charlotte", "mary"]) {
    const tokens = await login(emulator, "demo", `${name}@classics.test`);
    users.set(name, { id: tokens.partnerUserId, token: tokens.access_token });
  }
});

const id = (name: string) => users.get(name)!.id;

async function createSupportAccess(name = "SupportAccess"): Promise<string> {
  const answer = await api.call<{ data: { id: string } }>("POST", "/accessrequests", {
    name,
    message: "Caroline and Charlotte need access",
    associations: [
      { userIds: [id("caroline")], tenantIds: [tom], mode: "support" },
      { userIds: [id("charlotte")], tenantIds: [tom, acre], mode: "support" },
    ],
  });
  if (answer.status !== 201) throw new Error(`create → ${answer.status} ${answer.text}`);
  return answer.body.data.id;
}

async function admin(customerId: string): Promise<Client> {
  const answer = await call<{ access_token: string }>(emulator, "POST", `/_emulator/customers/${customerId}/admin-token`);
  return new Client(emulator, answer.body.access_token);
}

async function impersonate(name: string, customerId: string, mode = "support"): Promise<number> {
  return (await call(emulator, "POST", `/customers/${customerId}/impersonate`, { mode }, { token: users.get(name)!.token })).status;
}

async function tenantsOf(requestId: string): Promise<Array<{ tenantId: string; status: string; userIds: string[] }>> {
  return (await api.call<{ data: { tenants: Array<{ tenantId: string; status: string; userIds: string[] }> } }>("GET", `/accessrequests/${requestId}`)).body.data.tenants;
}

describe("A3: one request, a separate request per tenant", () => {
  test("A3: GIVEN the seed's two associations WHEN created THEN each tenant gets its own request with only its associated users", async () => {
    const requestId = await createSupportAccess();
    const tenants = await tenantsOf(requestId);
    expect(tenants).toHaveLength(2);
    expect([...tenants.find((t) => t.tenantId === tom)!.userIds].sort()).toEqual([id("caroline"), id("charlotte")].sort());
    expect(tenants.find((t) => t.tenantId === acre)!.userIds).toEqual([id("charlotte")]);
  });

  test("A3: GIVEN one tenant grants and the other rejects WHEN users impersonate THEN each tenant admits only its own associated users", async () => {
    const requestId = await createSupportAccess();
    expect((await (await admin(tom)).call("POST", `/customers/${tom}/accessrequests/${requestId}/grant`, {})).status).toBe(200);
    expect((await (await admin(acre)).call("POST", `/customers/${acre}/accessrequests/${requestId}/reject`, { message: "no" })).status).toBe(200);
    expect(await impersonate("caroline", tom)).toBe(200);
    expect(await impersonate("charlotte", tom)).toBe(200);
    expect(await impersonate("charlotte", acre)).toBe(403);
    expect(await impersonate("caroline", acre)).toBe(403);
  });

  test("A3: GIVEN a customer admin of one tenant WHEN it answers another tenant's request THEN 403", async () => {
    const requestId = await createSupportAccess();
    expect((await (await admin(acre)).call("POST", `/customers/${tom}/accessrequests/${requestId}/grant`, {})).status).toBe(403);
  });
});

describe("A5: renewal after expiry", () => {
  test("A5: GIVEN an expired grant WHEN the customer tries to grant it again THEN 400: continuing needs a new request", async () => {
    const requestId = await createSupportAccess();
    const admin1 = await admin(tom);
    const now = Date.parse((await call<{ now: string }>(emulator, "GET", "/_emulator/clock")).body.now);
    await admin1.call("POST", `/customers/${tom}/accessrequests/${requestId}/grant`, { expiresAt: new Date(now + 86_400_000).toISOString() });
    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 2 * 86_400 });
    const again = await admin1.call<{ errorCode: string }>("POST", `/customers/${tom}/accessrequests/${requestId}/grant`, {});
    expect(again.status).toBe(400);
    expect(again.body.errorCode).toBe("ValidationFailed");
  });

  test("A5: GIVEN an expired grant WHEN a new request (new name) is granted THEN access is restored for its users", async () => {
    const first = await createSupportAccess();
    const admin1 = await admin(tom);
    const now = Date.parse((await call<{ now: string }>(emulator, "GET", "/_emulator/clock")).body.now);
    await admin1.call("POST", `/customers/${tom}/accessrequests/${first}/grant`, { expiresAt: new Date(now + 86_400_000).toISOString() });
    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 2 * 86_400 });
    expect(await impersonate("caroline", tom)).toBe(403);

    const renewed = await createSupportAccess("SupportAccessRenewed");
    await admin1.call("POST", `/customers/${tom}/accessrequests/${renewed}/grant`, {});
    expect(await impersonate("caroline", tom)).toBe(200);
    expect((await tenantsOf(first)).find((t) => t.tenantId === tom)?.status).toBe("expired");
  });
});

describe("A6: the legacy cut-off", () => {
  test("A6: GIVEN a tenant that only ever rejected WHEN a customer.admin partner user uses legacy impersonation THEN it still works (never granted)", async () => {
    const requestId = await createSupportAccess();
    await (await admin(acre)).call("POST", `/customers/${acre}/accessrequests/${requestId}/reject`, {});
    expect(await impersonate("mary", acre)).toBe(200);
  });

  test("A6: GIVEN a tenant whose grant has expired or been withdrawn WHEN legacy impersonation is tried THEN it stays closed", async () => {
    const requestId = await createSupportAccess();
    const now = Date.parse((await call<{ now: string }>(emulator, "GET", "/_emulator/clock")).body.now);
    await (await admin(tom)).call("POST", `/customers/${tom}/accessrequests/${requestId}/grant`, { expiresAt: new Date(now + 3_600_000).toISOString() });
    expect(await impersonate("mary", tom)).toBe(403);
    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 7_200 });
    expect(await impersonate("mary", tom)).toBe(403);
    expect((await api.call("DELETE", `/accessrequests/${requestId}`)).status).toBe(200);
    expect(await impersonate("mary", tom)).toBe(403);
    expect(await impersonate("caroline", tom)).toBe(403);
  });
});
