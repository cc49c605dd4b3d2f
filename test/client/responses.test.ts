/**
 * Envelopes, schemas, error mapping and paging: the client parses every answer with the contract's
 * schemas, tolerates unknown fields, and fails clearly (never silently) when the service differs.
 */
import { ApiError, InvalidArgumentError, UnexpectedResponseError } from "../../src/client";
import { clientsOnFakeServer, type Handler, fail, guid, ok, page, reply } from "./fixtures/fake-server";

const C = guid(1);
const customerJson = (n: number, extra: Record<string, unknown> = {}) => ({ id: guid(n), name: `Customer ${n}`, reference: `ref-${n}`, ...extra });

const fake = clientsOnFakeServer({ createRetryDelayMs: 5 });
const clientFor = (handler: Handler, options: { pageSize?: number } = {}) => fake.clientFor(handler, options);

describe("envelopes and schemas", () => {
  test("GIVEN a success envelope with unknown fields WHEN getting a customer THEN the data is returned and extras are kept harmlessly", async () => {
    const api = await clientFor((req, res) => {
      expect(req.path).toBe(`/api/v1.0/customers/${C}`);
      expect(req.headers.authorization).toBe("Bearer test-token");
      ok(res, customerJson(1, { somethingNew: { nested: true } }));
    });
    const c = await api.getCustomer(C);
    expect(c.id).toBe(C);
    expect(c.name).toBe("Customer 1");
    expect(api.requestCount).toBe(1);
  });

  test("GIVEN a 2xx answer that misses a required field WHEN parsing THEN ResponseSchemaMismatch names the field", async () => {
    const api = await clientFor((_req, res) => ok(res, { name: "no id" }));
    const err = await api.getCustomer(C).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedResponseError);
    expect((err as UnexpectedResponseError).code).toBe("ResponseSchemaMismatch");
    expect((err as Error).message).toContain("data.id");
    expect((err as Error).message).toContain(`GET /api/v1.0/customers/${C}`);
  });

  test("GIVEN a 2xx answer that is not JSON WHEN parsing THEN ResponseSchemaMismatch", async () => {
    const api = await clientFor((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>maintenance</html>");
    });
    await expect(api.listCustomers()).rejects.toMatchObject({ code: "ResponseSchemaMismatch" });
  });

  test("GIVEN an error envelope WHEN the call fails THEN ApiError carries status, errorCode, method and path", async () => {
    const api = await clientFor((_req, res) => fail(res, 400, "UnknownRole", "Unknown role 'x'."));
    const err = (await api.getUser(C, guid(2)).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, errorCode: "UnknownRole", code: "UnknownRole", method: "GET", path: `/api/v1.0/customers/${C}/users/${guid(2)}` });
    expect(err.message).toBe(`GET /api/v1.0/customers/${C}/users/${guid(2)} → 400 UnknownRole: Unknown role 'x'.`);
  });

  test("GIVEN an error without errorCode (the vendor may omit it) WHEN the call fails THEN errorCode is Http<status>", async () => {
    const api = await clientFor((_req, res) => reply(res, 403, { message: "Forbidden" }));
    await expect(api.getCustomer(C)).rejects.toMatchObject({ status: 403, errorCode: "Http403", code: "Http403" });
  });

  test("GIVEN a non-GUID id WHEN calling THEN InvalidGuid is thrown and no request is sent", async () => {
    const api = await clientFor((_req, res) => ok(res, {}));
    await expect(api.getCustomer("../accounts/me")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(api.deleteUser(C, "nope")).rejects.toMatchObject({ code: "InvalidGuid" });
    expect(fake.server?.requests).toHaveLength(0);
  });
});

describe("charges", () => {
  test("GIVEN no acceptCharges WHEN creating a customer THEN no accept-charges header is sent and the 402 surfaces as ApiError", async () => {
    const api = await clientFor((req, res) => {
      if (req.headers["accept-charges"] === "true") ok(res, customerJson(1), 201);
      else fail(res, 402, "ChargesNotAccepted", "This request adds charges; send accept-charges: true.");
    });
    const err = (await api.createCustomer({ name: "A", description: "d", reference: "ref-1" }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(402);
    expect(err.errorCode).toBe("ChargesNotAccepted");
    expect(err.message).toBe("POST /api/v1.0/customers → 402 ChargesNotAccepted: This request adds charges; send accept-charges: true.");
    expect(fake.server?.count("POST", "/api/v1.0/customers")).toBe(1); // a 402 is final: no retry
  });

  test("GIVEN acceptCharges WHEN creating a customer THEN the header is sent and the created customer returned", async () => {
    const api = await clientFor((req, res) => {
      expect(req.headers["accept-charges"]).toBe("true");
      expect(req.headers["content-type"]).toContain("application/json");
      ok(res, customerJson(1, { name: (req.json as { name: string }).name }), 201, { location: `/api/v1.0/customers/${guid(1)}` });
    });
    const created = await api.createCustomer({ name: "Acme", description: "d", reference: "ref-1" }, { acceptCharges: true });
    expect(created).toMatchObject({ id: guid(1), name: "Acme" });
  });

  test("GIVEN a JSON patch WHEN patching a user THEN it is sent as an application/json array", async () => {
    const api = await clientFor((req, res) => {
      expect(req.method).toBe("PATCH");
      expect(req.headers["content-type"]).toContain("application/json");
      expect(req.json).toEqual([{ op: "add", path: "/roles/-", value: "customer.user.uc" }]);
      expect(req.headers["accept-charges"]).toBeUndefined();
      ok(res);
    });
    await api.patchUser(C, guid(2), [{ op: "add", path: "/roles/-", value: "customer.user.uc" }]);
  });
});

describe("paging", () => {
  test("GIVEN 5 customers and page size 2 WHEN listing THEN three pages are fetched until one is short", async () => {
    const all = [1, 2, 3, 4, 5].map((n) => customerJson(n));
    const api = await clientFor((req, res) => page(res, req, all), { pageSize: 2 });
    const list = await api.listCustomers();
    expect(list.map((c) => c.id)).toEqual(all.map((c) => c.id));
    expect(fake.server?.requests.map((r) => r.query.get("pageIndex"))).toEqual(["0", "1", "2"]);
    expect(fake.server?.requests.every((r) => r.query.get("pageSize") === "2")).toBe(true);
  });

  test("GIVEN an exact multiple of the page size WHEN listing THEN one empty page ends it", async () => {
    const all = [1, 2, 3, 4].map((n) => customerJson(n));
    const api = await clientFor((req, res) => page(res, req, all), { pageSize: 2 });
    expect(await api.listCustomers()).toHaveLength(4);
    expect(fake.server?.requests).toHaveLength(3);
  });

  test("GIVEN the default page size WHEN listing THEN pageSize=1000 is asked", async () => {
    const api = await clientFor((req, res) => page(res, req, [customerJson(1)]));
    await api.listCustomers();
    expect(fake.server?.requests[0]?.query.get("pageSize")).toBe("1000");
  });

  test("GIVEN a contains-match filter WHEN finding by reference THEN filter= is sent and only exact references are returned", async () => {
    const all = [customerJson(1, { reference: "acme" }), customerJson(2, { reference: "acme-2" }), customerJson(3, { name: "acme corp", reference: "x" })];
    const api = await clientFor((req, res) => {
      expect(req.query.get("filter")).toBe("acme");
      page(res, req, all);
    });
    const found = await api.findCustomersByReference("acme");
    expect(found.map((c) => c.id)).toEqual([guid(1)]);
  });

  test("GIVEN users listed without roles WHEN finding a user by e-mail THEN the match is case-insensitive and fetched with roles", async () => {
    const api = await clientFor((req, res) => {
      if (req.path.endsWith("/users")) page(res, req, [{ id: guid(7), displayName: "Ana", email: "Ana@Acme.test" }]);
      else ok(res, { id: guid(7), displayName: "Ana", email: "Ana@Acme.test", roles: ["customer.user", "user.admin"] });
    });
    const user = await api.findUserByEmail(C, "ana@acme.TEST");
    expect(user?.roles).toEqual(["customer.user", "user.admin"]);
    expect(await api.findUserByEmail(C, "nobody@acme.test")).toBeUndefined();
  });
});
