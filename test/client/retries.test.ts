/**
 * Retries and idempotency: idempotent calls are retried on 429/5xx/network errors with bounded
 * backoff honouring Retry-After; a POST is sent again only when the server certainly did not take
 * it (connection refused, 429); after an ambiguous failure it is looked up until it lands, never
 * re-sent; creates adopt; deletes treat 404 as done.
 */
import { ApiError, CreateOutcomeUnknownError, DimensionsClient, NetworkError, StaticTokenProvider, type DimensionsClientOptions } from "../../src/client";
import { clientsOnFakeServer, type FakeServer, type Handler, drop, fail, guid, ok, page, startServer } from "./fixtures/fake-server";

const C = guid(1);
const U = guid(2);

let logLines: string[] = [];
afterEach(() => {
  logLines = [];
});
const fake = clientsOnFakeServer({
  createRetryDelayMs: 5,
  // Small, bounded waits: look a failed create up for at most 300 ms.
  createOutcomeWaitMs: 300,
  maxBackoffMs: 50,
  log: (line) => logLines.push(line),
});
const clientFor = (handler: Handler, options: Partial<DimensionsClientOptions> = {}) => fake.clientFor(handler, options);

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
    expect(fake.server?.requests).toHaveLength(1);
  });

  test("GIVEN two 503s then success WHEN getting a customer THEN it is retried and succeeds", async () => {
    let calls = 0;
    const api = await clientFor((_req, res) => {
      calls += 1;
      if (calls <= 2) fail(res, 503, "InternalError", "busy");
      else ok(res, customerJson);
    });
    expect((await api.getCustomer(C)).id).toBe(C);
    expect(fake.server?.requests).toHaveLength(3);
  });

  test("GIVEN a server that always answers 500 WHEN getting THEN retries are bounded and the last 500 surfaces", async () => {
    const api = await clientFor((_req, res) => fail(res, 500, "InternalError", "boom"));
    await expect(api.getCustomer(C)).rejects.toMatchObject({ status: 500, errorCode: "InternalError" });
    expect(fake.server?.requests).toHaveLength(5); // 1 + 4 retries
  });

  test("GIVEN a dropped connection on a GET WHEN listing THEN it is retried", async () => {
    let calls = 0;
    const api = await clientFor((req, res) => {
      calls += 1;
      if (calls === 1) drop(res);
      else page(res, req, []);
    });
    expect(await api.listCustomers()).toEqual([]);
    expect(fake.server?.requests).toHaveLength(2);
  });

  test("GIVEN a 404 WHEN deleting THEN it is done (false) and a 200 is true", async () => {
    const api = await clientFor((req, res) => (req.path.endsWith(U) ? fail(res, 404, "NotFound", "Not Found") : ok(res)));
    expect(await api.deleteUser(C, U)).toBe(false);
    expect(await api.deleteCustomer(C)).toBe(true);
  });
});

describe("POST is never blindly repeated", () => {
  test("GIVEN a 500 on every POST and the customer never appears WHEN creating THEN each repeat follows a lookup that proves it absent, bounded, then CreateOutcomeUnknown names the reference", async () => {
    const api = await clientFor((req, res) => (req.method === "POST" ? fail(res, 500, "InternalError", "boom") : page(res, req, [])));
    const err = await api.createCustomer(customerBody).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreateOutcomeUnknownError);
    expect(err).toMatchObject({ code: "CreateOutcomeUnknown", method: "POST", path: "/api/v1.0/customers", naturalKey: 'reference "acme"' });
    const message = (err as Error).message;
    expect(message).toMatch(/^CreateOutcomeUnknown: POST \/api\/v1\.0\/customers for reference "acme" failed with 500 InternalError/);
    expect(message).toMatch(/may still land/);
    expect(message).toMatch(/[Rr]e-run the apply/);
    // The server's own 500 ends its processing, so a lookup proves the outcome (api-contract §1.4).
    expect(fake.server?.count("POST", "/api/v1.0/customers")).toBe(5);
    const methods = fake.server!.requests.map((r) => r.method);
    methods.forEach((m, i) => {
      if (m === "POST" && i > 0) expect(methods[i - 1]).toBe("GET");
    });
    expect(fake.server?.requests[0]?.method).toBe("POST");
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
    expect(fake.server?.count("POST", "/api/v1.0/customers")).toBe(1);
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
    expect(fake.server?.count("POST", "/api/v1.0/customers")).toBe(1);
    expect(fake.server?.requests.find((r) => r.method === "GET")?.query.get("filter")).toBe("acme");
  });

  test("GIVEN a customer POST still processing past the client timeout WHEN creating THEN exactly one customer is stored and the client returns it", async () => {
    const store: (typeof customerJson)[] = [];
    const api = await clientFor(
      (req, res) => {
        if (req.method !== "POST") return page(res, req, store);
        // e.g. a large PBX import: committed 400 ms later, well after the client gave up at 150 ms.
        setTimeout(() => {
          store.push({ ...customerJson, id: guid(100 + store.length) });
          if (!res.destroyed) ok(res, store[store.length - 1], 201);
        }, 400);
      },
      { timeoutMs: 150, retryLimit: 0, createOutcomeWaitMs: 2_000, createRetryDelayMs: 50, maxBackoffMs: 100 },
    );
    const got = await api.createCustomer(customerBody);
    expect(got).toMatchObject({ id: guid(100), reference: "acme" });
    // Give a (wrongly) repeated POST time to land before counting.
    await new Promise((r) => setTimeout(r, 500));
    expect(store).toHaveLength(1);
    expect(fake.server?.count("POST", "/api/v1.0/customers")).toBe(1);
    expect(logLines.some((l) => l.includes("ETIMEDOUT") && l.includes("not sent again"))).toBe(true);
  });

  test("GIVEN a user POST that times out and lands later WHEN creating THEN it is returned as existing; a POST is repeated only after a lookup proved the user absent", async () => {
    const users: { id: string; displayName: string; email: string; roles: string[] }[] = [];
    const api = await clientFor(
      (req, res) => {
        if (req.method === "POST") {
          setTimeout(() => users.push({ id: U, displayName: "Ana", email: "ana@acme.test", roles: ["customer.user"] }), 300);
          return; // never answers: the client times out
        }
        if (req.path.endsWith("/users")) page(res, req, users);
        else ok(res, users[0]);
      },
      { timeoutMs: 100, retryLimit: 0, createOutcomeWaitMs: 2_000, createRetryDelayMs: 50, maxBackoffMs: 100 },
    );
    expect(await api.createUser(C, { email: "ana@acme.test", displayName: "Ana", roles: [] })).toEqual({ existing: U });
    // The API refuses a second user with the same e-mail (UserAlreadyExists), so a repeat is safe;
    // still, each one follows a lookup that found nothing, and they are bounded.
    const methods = fake.server!.requests.filter((r) => r.path.startsWith(`/api/v1.0/customers/${C}/users`)).map((r) => r.method);
    const posts = methods.filter((m) => m === "POST").length;
    expect(posts).toBeGreaterThanOrEqual(1);
    expect(posts).toBeLessThanOrEqual(3);
    methods.forEach((m, i) => {
      if (m === "POST" && i > 0) expect(methods[i - 1]).toBe("GET");
    });
  });

  test("GIVEN every POST drops and nothing lands WHEN creating THEN one POST, then CreateOutcomeUnknown after the bounded wait", async () => {
    const api = await clientFor((req, res) => (req.method === "POST" ? drop(res) : page(res, req, [])), { createOutcomeWaitMs: 250 });
    const started = Date.now();
    const err = await api.createCustomer(customerBody).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CreateOutcomeUnknown", naturalKey: 'reference "acme"' });
    expect((err as Error).message).toMatch(/no response \(ECONNRESET\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.server?.count("POST", "/api/v1.0/customers")).toBe(1);
  });

  test("GIVEN an access request POST that drops and never lands WHEN creating THEN CreateOutcomeUnknown names the request, one POST", async () => {
    const api = await clientFor((req, res) => (req.method === "POST" ? drop(res) : page(res, req, [])));
    const err = await api.createAccessRequest({ name: "AcmeAccess", associations: [{ userIds: [U], tenantIds: [C], mode: "support" }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CreateOutcomeUnknown", path: "/api/v1.0/accessrequests", naturalKey: 'name "AcmeAccess"' });
    expect(fake.server?.count("POST", "/api/v1.0/accessrequests")).toBe(1);
  });

  test("GIVEN a 429 with Retry-After on POST WHEN creating THEN the server refused it: it is sent again after the wait, without a lookup", async () => {
    const api = await clientFor((req, res) => {
      if (req.method !== "POST") return page(res, req, []);
      if (fake.server?.count("POST", "/api/v1.0/customers") === 1) fail(res, 429, "RateLimited", "slow down", {}, { "retry-after": "1" });
      else ok(res, customerJson, 201);
    });
    const started = Date.now();
    expect((await api.createCustomer(customerBody)).id).toBe(C);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.server?.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
  });

  test("GIVEN a 429 on every POST WHEN creating THEN attempts are bounded and the 429 surfaces", async () => {
    const api = await clientFor((req, res) => (req.method === "POST" ? fail(res, 429, "RateLimited", "slow down") : page(res, req, [])));
    await expect(api.createCustomer(customerBody)).rejects.toMatchObject({ status: 429 });
    expect(fake.server?.count("POST", "/api/v1.0/customers")).toBe(5);
    expect(fake.server?.count("GET", "/api/v1.0/customers")).toBe(0);
  });

  test("GIVEN the connection is refused WHEN creating a user THEN the POST never reached the server and is sent again once it is up", async () => {
    // Find a free port, then leave nothing listening on it: the first POST gets ECONNREFUSED.
    const probe = await startServer(() => undefined);
    const url = probe.url;
    await probe.close();
    const port = Number(new URL(url).port);
    let starting: Promise<FakeServer> | undefined;
    const handler: Handler = (req, res) => {
      if (req.method === "POST") ok(res, { id: U, displayName: "Ana", email: "ana@acme.test", roles: ["customer.user"] }, 201);
      else page(res, req, []);
    };
    const api = new DimensionsClient({
      baseUrl: url,
      tokens: new StaticTokenProvider("test-token"),
      backoffBaseMs: 5,
      createRetryDelayMs: 300,
      createOutcomeWaitMs: 300,
      log: (line) => {
        logLines.push(line);
        // The refusal is logged before the wait: bring the API up on that port meanwhile.
        if (line.includes("ECONNREFUSED") && !starting) starting = startServer(handler, port);
      },
    });
    let started: FakeServer | undefined;
    try {
      const result = await api.createUser(C, { email: "ana@acme.test", displayName: "Ana", roles: [] });
      expect(result).toEqual({ created: expect.objectContaining({ id: U }) });
      started = await starting;
      expect(started?.requests.map((r) => r.method)).toEqual(["POST"]);
      expect(logLines.some((l) => l.includes("ECONNREFUSED") && l.includes("sending it again"))).toBe(true);
    } finally {
      started ??= await starting;
      await started?.close();
    }
  });

  test("GIVEN the connection is always refused WHEN creating THEN attempts are bounded and the NetworkError surfaces", async () => {
    const probe = await startServer(() => undefined);
    const url = probe.url;
    await probe.close();
    const api = new DimensionsClient({ baseUrl: url, tokens: new StaticTokenProvider("test-token"), createRetryDelayMs: 5, log: (l) => logLines.push(l) });
    const err = await api.createCustomer(customerBody).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: "NetworkError", causeCode: "ECONNREFUSED" });
    expect(api.requestCount).toBe(5);
  });

  test("GIVEN a 500 WHEN sending an activation e-mail THEN it is not repeated", async () => {
    const api = await clientFor((_req, res) => fail(res, 500, "InternalError", "boom"));
    await expect(api.sendActivationEmail(C, U)).rejects.toBeInstanceOf(ApiError);
    expect(fake.server?.requests).toHaveLength(1);
  });
});

describe("adopting existing users", () => {
  test("GIVEN 409 UserAlreadyExists with data.id WHEN creating a user THEN the existing id is returned", async () => {
    const api = await clientFor((_req, res) => fail(res, 409, "UserAlreadyExists", "A user with the email 'ana@acme.test' already exists.", { data: { id: U } }));
    expect(await api.createUser(C, { email: "ana@acme.test", displayName: "Ana" })).toEqual({ existing: U });
    expect(fake.server?.requests).toHaveLength(1);
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
