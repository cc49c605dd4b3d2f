/**
 * Test controls (api-contract §6): faults, stats, state, reset, clock; and robustness against
 * malformed requests.
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { call, Client, demoClient, useEmulator } from "./support";

let emulator: RunningEmulator;
let api: Client;

useEmulator((ctx) => {
  emulator = ctx.emulator;
  if (ctx.demo) api = ctx.demo;
});

async function statuses(count: number): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await api.call("GET", "/customers")).status);
  return result;
}

describe("fault injection", () => {
  const config = { seed: 42, rules: [{ route: "/api/v1.0/customers", method: "GET", rate: 0.5, kind: "500" }] };

  test("GIVEN the same seed twice WHEN the same requests run THEN the same faults happen in the same order", async () => {
    await call(emulator, "PUT", "/_emulator/faults", config);
    const first = await statuses(20);
    await call(emulator, "PUT", "/_emulator/faults", config);
    const second = await statuses(20);

    expect(second).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  test("GIVEN faults were cleared WHEN requests run THEN none fails", async () => {
    await call(emulator, "PUT", "/_emulator/faults", { ...config, rules: [{ ...config.rules[0], rate: 1 }] });
    await call(emulator, "DELETE", "/_emulator/faults");

    expect(await statuses(5)).toEqual([200, 200, 200, 200, 200]);
  });

  test("GIVEN a 429 fault WHEN it fires THEN the answer is a RateLimited envelope with Retry-After", async () => {
    await call(emulator, "PUT", "/_emulator/faults", { seed: 1, rules: [{ rate: 1, kind: "429", retryAfterSeconds: 7 }] });

    const answer = await api.call("GET", "/customers");

    expect(answer.status).toBe(429);
    expect(answer.headers.get("retry-after")).toBe("7");
    expect(answer.body).toMatchObject({ error: 429, errorCode: "RateLimited", status: "error" });
  });

  test("GIVEN a glob route for user creation WHEN a customer and then a user are created THEN only the user creation fails", async () => {
    const customerId = await api.createCustomer();
    await call(emulator, "PUT", "/_emulator/faults", { seed: 7, rules: [{ route: "/api/v1.0/customers/*/users", method: "POST", rate: 1, kind: "500" }] });

    const user = await api.call("POST", `/customers/${customerId}/users`, { email: "a@acme.test", displayName: "A", roles: ["user.admin"] });
    const other = await api.call("POST", "/customers", { name: "B", description: "d", reference: "B-1" }, { charges: true });

    expect(user.status).toBe(500);
    expect(other.status).toBe(201);
  });

  test("GIVEN a drop fault WHEN it fires THEN the connection closes without an answer", async () => {
    await call(emulator, "PUT", "/_emulator/faults", { seed: 1, rules: [{ route: "/customers", rate: 1, kind: "drop" }] });

    await expect(api.call("GET", "/customers")).rejects.toThrow();
    const stats = await call<{ calls: Record<string, number> }>(emulator, "GET", "/_emulator/stats");
    expect(stats.body.calls["GET /customers dropped"]).toBe(1);
  });

  test("GIVEN a delay fault WHEN it fires THEN the answer is late but normal", async () => {
    await call(emulator, "PUT", "/_emulator/faults", { seed: 1, rules: [{ rate: 1, kind: "delay", delayMs: 200 }] });
    const started = Date.now();

    const answer = await api.call("GET", "/customers");

    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  test("GIVEN a fault on every route WHEN a control is called THEN it is not affected", async () => {
    await call(emulator, "PUT", "/_emulator/faults", { seed: 1, rules: [{ rate: 1, kind: "503" }] });

    expect((await call(emulator, "GET", "/_emulator/stats")).status).toBe(200);
    expect((await api.call("GET", "/customers")).status).toBe(503);
  });

  test("GIVEN a fault on the token endpoint WHEN a token is requested THEN it fails with the fault", async () => {
    await call(emulator, "PUT", "/_emulator/faults", { seed: 1, rules: [{ route: "/connect/token", rate: 1, kind: "503" }] });

    const answer = await fetch(emulator.tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token" });

    expect(answer.status).toBe(503);
  });

  test("GIVEN a fault config with a rate above 1 WHEN it is set THEN 400 ValidationFailed", async () => {
    const answer = await call(emulator, "PUT", "/_emulator/faults", { seed: 1, rules: [{ rate: 2, kind: "500" }] });

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });
});

describe("stats", () => {
  test("GIVEN some calls WHEN stats are read THEN they count per route template and status, and the total", async () => {
    const customerId = await api.createCustomer();
    await api.call("GET", `/customers/${customerId}/users`);
    await api.call("GET", `/customers/${customerId}/users`);
    await api.call("GET", "/customers/00000000-0000-0000-0000-000000000000");

    const stats = await call<{ calls: Record<string, number>; totalRequests: number; apiRequests: number }>(emulator, "GET", "/_emulator/stats");

    expect(stats.body.calls).toEqual({
      "POST /customers 201": 1,
      "GET /customers/{C}/users 200": 2,
      "GET /customers/{C} 404": 1,
    });
    expect(stats.body.totalRequests).toBe(4);
    expect(stats.body.apiRequests).toBe(4);
  });
});

describe("state and reset", () => {
  test("GIVEN customers, users and requests WHEN the state is dumped THEN every object is there with roles", async () => {
    const { customerId } = await api.customerWithAdmin();

    const state = await call<{ customers: Array<{ id: string }>; users: Array<{ customerId: string; roles: string[] }>; resellers: unknown[]; accessRequests: unknown[] }>(emulator, "GET", "/_emulator/state");

    expect(state.body.customers.map((c) => c.id)).toEqual([customerId]);
    expect(state.body.users).toEqual([expect.objectContaining({ customerId, roles: ["customer.user", "user.admin"] })]);
    expect(state.body.resellers).toHaveLength(1);
    expect(state.body.accessRequests).toEqual([]);
  });

  test("GIVEN customers WHEN the emulator is reset THEN they are gone and the demo credentials still work", async () => {
    await api.createCustomer();
    const demo = emulator.demo;

    await call(emulator, "POST", "/_emulator/reset");
    const after = await demoClient(emulator);
    const list = await after.call<{ data: unknown[] }>("GET", "/customers");
    const token = await fetch(emulator.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: demo.refreshToken, client_id: demo.clientId, client_secret: demo.clientSecret }),
    });

    expect(list.body.data).toEqual([]);
    expect(emulator.demo).toEqual(demo);
    expect(token.status).toBe(200);
  });

  test("GIVEN the clock is advanced WHEN read THEN it moved by that many seconds", async () => {
    const before = emulator.now();

    const answer = await call<{ offsetSeconds: number }>(emulator, "POST", "/_emulator/clock", { advanceSeconds: 3600 });

    expect(answer.body.offsetSeconds).toBe(3600);
    expect(emulator.now() - before).toBeGreaterThanOrEqual(3_600_000);
  });
});

describe("malformed requests", () => {
  test("GIVEN a body that is not JSON WHEN posted THEN 400 ValidationFailed", async () => {
    const answer = await api.call("POST", "/customers", undefined, { raw: "{not json", headers: { "content-type": "application/json" }, charges: true });

    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe("ValidationFailed");
  });

  test("GIVEN a text/plain body WHEN posted THEN 400 ValidationFailed", async () => {
    const answer = await api.call("POST", "/customers", undefined, { raw: "name=x", headers: { "content-type": "text/plain" }, charges: true });

    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe("ValidationFailed");
  });

  test("GIVEN a JSON body that is not an object WHEN posted THEN 400 ValidationFailed", async () => {
    const answer = await api.call("POST", "/customers", [1, 2, 3], { charges: true });

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });

  test("GIVEN an unknown route WHEN called THEN 404 with a coded envelope", async () => {
    const answer = await api.call("GET", "/nothing/here");

    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: 404, errorCode: "RouteNotFound", status: "error" });
  });

  test("GIVEN a path outside every area WHEN called THEN 404 with a coded envelope", async () => {
    const answer = await call(emulator, "GET", "/_emulator/../favicon.ico");

    expect(answer.status).toBe(404);
    expect(answer.body.status).toBe("error");
  });

  test("GIVEN a known route WHEN called with the wrong method THEN 405 with Allow", async () => {
    const answer = await api.call("PUT", "/customers", {});

    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET, POST");
    expect(answer.body.errorCode).toBe("MethodNotAllowed");
  });

  test("GIVEN a body over 1 MiB WHEN posted THEN 413 with a coded envelope", async () => {
    const answer = await api.call("POST", "/customers", { name: "x".repeat(1024 * 1024 + 10) }, { charges: true });

    expect(answer.status).toBe(413);
    expect(answer.body.errorCode).toBe("PayloadTooLarge");
  });

  test("GIVEN a broken percent-encoding in a path WHEN called THEN 400, and the server keeps serving", async () => {
    const answer = await api.call("GET", "/customers/%E0%A4%A");

    expect(answer.status).toBe(400);
    expect((await api.call("GET", "/customers")).status).toBe(200);
  });

  test("GIVEN unknown control input WHEN posted THEN 400 ValidationFailed", async () => {
    const answer = await call(emulator, "PUT", "/_emulator/pbx/acct/users", { not: "an array" });

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });
});
