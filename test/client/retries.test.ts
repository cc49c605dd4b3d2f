/**
 * Retries and idempotency: idempotent calls are retried on 429/5xx/network errors with bounded
 * backoff honouring Retry-After; a POST is never repeated blindly, only after a lookup proves it
 * did not land; creates adopt; deletes treat 404 as done.
 */
import { ApiError, DimensionsClient, NetworkError, StaticTokenProvider } from "../../src/client";
import { type FakeServer, type Handler, drop, fail, guid, ok, page, startServer } from "./fixtures/fake-server";

const C = guid(1);
const U = guid(2);

let server: FakeServer | undefined;
let logLines: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  logLines = [];
});

async function clientFor(handler: Handler): Promise<DimensionsClient> {
  server = await startServer(handler);
  return new DimensionsClient({
    baseUrl: server.url,
    tokens: new StaticTokenProvider("test-token"),
    backoffBaseMs: 5,
    createRetryDelayMs: 5,
    log: (line) => logLines.push(line),
  });
}

const customerBody = { name: "Acme", description: "d", reference: "acme" };
const customerJson = { id: C, name: "Acme", description: "d", reference: "acme" };

describe("idempotent calls", () => {
  test("GIVEN a 429 with Retry-After: 1 WHEN listing THEN the client waits about a second and succeeds", async () => {
    let calls = 0;
    const api = await clientFor((req, res) => {
      calls += 1;
      if (calls === 1) fail(res, 429, "RateLimited", "Too many requests", {}, { "retry-after": "1" });
      else page(res, req, [customerJson]);
    });
    const started = Date.now();
    expect(await api.listCustomers()).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(api.requestCount).toBe(2);
    expect(logLines.some((l) => l.includes("429") && l.includes("retry 1"))).toBe(true);
  });

  test("GIVEN a Retry-After longer than the client will wait WHEN listing THEN it fails at once with the 429", async () => {
    const api = await clientFor((_req, res) => fail(res, 429, "RateLimited", "slow down", {}, { "retry-after": "3600" }));
    const started = Date.now();
    await expect(api.listCustomers()).rejects.toMatchObject({ status: 429, errorCode: "RateLimited", retryAfterSeconds: 3600 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server?.requests).toHaveLength(1);
  });

  test("GIVEN two 503s then success WHEN getting a customer THEN it is retried and succeeds", async () => {
    let calls = 0;
    const api = await clientFor((_req, res) => {
      calls += 1;
      if (calls <= 2) fail(res, 503, "InternalError", "busy");
      else ok(res, customerJson);
    });
    expect((await api.getCustomer(C)).id).toBe(C);
    expect(server?.requests).toHaveLength(3);
  });

  test("GIVEN a server that always answers 500 WHEN getting THEN retries are bounded and the last 500 surfaces", async () => {
    const api = await clientFor((_req, res) => fail(res, 500, "InternalError", "boom"));
    await expect(api.getCustomer(C)).rejects.toMatchObject({ status: 500, errorCode: "InternalError" });
    expect(server?.requests).toHaveLength(5); // 1 + 4 retries
  });

  test("GIVEN a dropped connection on a GET WHEN listing THEN it is retried", async () => {
    let calls = 0;
    const api = await clientFor((req, res) => {
      calls += 1;
      if (calls === 1) drop(res);
      else page(res, req, []);
    });
    expect(await api.listCustomers()).toEqual([]);
    expect(server?.requests).toHaveLength(2);
  });

  test("GIVEN a 404 WHEN deleting THEN it is done (false) and a 200 is true", async () => {
    const api = await clientFor((req, res) => (req.path.endsWith(U) ? fail(res, 404, "NotFound", "Not Found") : ok(res)));
    expect(await api.deleteUser(C, U)).toBe(false);
    expect(await api.deleteCustomer(C)).toBe(true);
  });
});

describe("POST is never blindly repeated", () => {
  test("GIVEN a 500 on POST WHEN creating a customer THEN a lookup comes before any second POST", async () => {
    let created = false;
    const api = await clientFor((req, res) => {
      if (req.method === "POST") {
        if (server?.count("POST", "/api/v1.0/customers") === 1) fail(res, 500, "InternalError", "boom");
        else {
          created = true;
          ok(res, customerJson, 201);
        }
      } else page(res, req, created ? [customerJson] : []);
    });
    expect((await api.createCustomer(customerBody)).id).toBe(C);
    expect(server?.requests.map((r) => r.method)).toEqual(["POST", "GET", "POST"]);
  });

  test("GIVEN a POST that landed but answered 500 WHEN creating THEN the lookup finds it and it is not sent again", async () => {
    let created = false;
    const api = await clientFor((req, res) => {
      if (req.method === "POST") {
        created = true;
        fail(res, 500, "InternalError", "boom after commit");
      } else page(res, req, created ? [customerJson] : []);
    });
    expect((await api.createCustomer(customerBody)).id).toBe(C);
    expect(server?.count("POST", "/api/v1.0/customers")).toBe(1);
  });

  test("GIVEN a dropped connection after the server created the customer WHEN creating THEN lookup by reference returns it: no duplicate", async () => {
    const store: (typeof customerJson)[] = [];
    const api = await clientFor((req, res) => {
      if (req.method === "POST") {
        store.push(customerJson);
        drop(res);
      } else page(res, req, store);
    });
    const got = await api.createCustomer(customerBody);
    expect(got.id).toBe(C);
    expect(store).toHaveLength(1);
    expect(server?.count("POST", "/api/v1.0/customers")).toBe(1);
    expect(server?.requests.find((r) => r.method === "GET")?.query.get("filter")).toBe("acme");
  });

  test("GIVEN a dropped connection before anything was created WHEN creating a user THEN lookup finds nothing and the POST is sent again once", async () => {
    let posts = 0;
    const api = await clientFor((req, res) => {
      if (req.method === "POST") {
        posts += 1;
        if (posts === 1) drop(res);
        else ok(res, { id: U, displayName: "Ana", email: "ana@acme.test", roles: ["customer.user"] }, 201);
      } else page(res, req, []);
    });
    const result = await api.createUser(C, { email: "ana@acme.test", displayName: "Ana", roles: [] });
    expect(result).toEqual({ created: expect.objectContaining({ id: U }) });
    expect(posts).toBe(2);
  });

  test("GIVEN every POST drops WHEN creating THEN attempts are bounded and NetworkError surfaces", async () => {
    const api = await clientFor((req, res) => (req.method === "POST" ? drop(res) : page(res, req, [])));
    await expect(api.createCustomer(customerBody)).rejects.toBeInstanceOf(NetworkError);
    expect(server?.count("POST", "/api/v1.0/customers")).toBe(3);
  });

  test("GIVEN a 500 WHEN sending an activation e-mail THEN it is not repeated", async () => {
    const api = await clientFor((_req, res) => fail(res, 500, "InternalError", "boom"));
    await expect(api.sendActivationEmail(C, U)).rejects.toBeInstanceOf(ApiError);
    expect(server?.requests).toHaveLength(1);
  });
});

describe("adopting existing users", () => {
  test("GIVEN 409 UserAlreadyExists with data.id WHEN creating a user THEN the existing id is returned", async () => {
    const api = await clientFor((_req, res) => fail(res, 409, "UserAlreadyExists", "A user with the email 'ana@acme.test' already exists.", { data: { id: U } }));
    expect(await api.createUser(C, { email: "ana@acme.test", displayName: "Ana" })).toEqual({ existing: U });
    expect(server?.requests).toHaveLength(1);
  });

  test("GIVEN a 409 without the id WHEN creating a user THEN it is found by e-mail", async () => {
    const api = await clientFor((req, res) => {
      if (req.method === "POST") fail(res, 409, undefined, "exists");
      else if (req.path.endsWith("/users")) page(res, req, [{ id: U, displayName: "Ana", email: "ANA@acme.test" }]);
      else ok(res, { id: U, displayName: "Ana", email: "ANA@acme.test", roles: [] });
    });
    expect(await api.createUser(C, { email: "ana@acme.test", displayName: "Ana" })).toEqual({ existing: U });
  });

  test("GIVEN a 201 with only a Location WHEN creating a user THEN the user is fetched from it", async () => {
    const api = await clientFor((req, res) => {
      if (req.method === "POST") {
        res.writeHead(201, { location: `/api/v1.0/customers/${C}/users/${U}`, "content-type": "application/json" });
        res.end(JSON.stringify({ status: "success", timestamp: "t" }));
      } else ok(res, { id: U, displayName: "Ana", email: "ana@acme.test", roles: ["customer.user"] });
    });
    expect(await api.createUser(C, { email: "ana@acme.test", displayName: "Ana" })).toEqual({ created: expect.objectContaining({ id: U, roles: ["customer.user"] }) });
  });
});
