/**
 * The client's e-mail calls (api-contract §4; H5, U14, U15): the two routes, 204, never repeated,
 * TenantNotPrimary as a clear coded error (with or without the vendor's optional errorCode), and
 * the [ours] `activated` field read leniently.
 */
import { ApiError, TenantNotPrimaryError } from "../../src/client";
import { toHandlerError } from "../../src/handler/errors";
import { clientsOnFakeServer, type Handler, fail, guid, ok, reply } from "./fixtures/fake-server";

const C = guid(1);
const U = guid(2);

const fake = clientsOnFakeServer({ createRetryDelayMs: 5 });
const clientFor = (handler: Handler) => fake.clientFor(handler);

test("H5, U14: GIVEN 204 WHEN each e-mail is sent THEN one POST each, to its own route, with no body", async () => {
  const api = await clientFor((_req, res) => reply(res, 204));

  await api.sendActivationEmail(C, U);
  await api.sendUcWelcomeEmail(C, U);

  expect(fake.server!.requests.map((r) => `${r.method} ${r.path} ${r.text}`)).toEqual([
    `POST /api/v1.0/customers/${C}/users/${U}/sendActivationEmail `,
    `POST /api/v1.0/customers/${C}/users/${U}/sendUConnectActivationEmail `,
  ]);
});

test("U15: GIVEN 400 TenantNotPrimary WHEN an e-mail is sent THEN TenantNotPrimaryError says the rule and what to do, and the handler's line keeps its code and rule", async () => {
  const api = await clientFor((_req, res) => fail(res, 400, "TenantNotPrimary", "Not the primary tenant."));

  const err = (await api.sendUcWelcomeEmail(C, U).catch((e: unknown) => e)) as TenantNotPrimaryError;

  expect(err).toBeInstanceOf(TenantNotPrimaryError);
  expect(err).toBeInstanceOf(ApiError);
  expect(err).toMatchObject({ status: 400, code: "TenantNotPrimary", rule: "U15", method: "POST", path: `/api/v1.0/customers/${C}/users/${U}/sendUConnectActivationEmail` });
  expect(err.message).toMatch(/→ 400 TenantNotPrimary: this customer is not the user's primary tenant, and activation and UC welcome e-mails are sent only from the primary tenant \(U15\) \(the API said: Not the primary tenant\.\)$/);
  const line = toHandlerError(err, "user bo@acme.test (ACME-001)");
  expect(line).toMatchObject({ code: "TenantNotPrimary", rule: "U15" });
  expect(line.hint).toMatch(/only from the user's primary tenant/);
});

test("U15: GIVEN a 400 without errorCode whose message names the primary tenant WHEN sent THEN it is still TenantNotPrimaryError", async () => {
  const api = await clientFor((_req, res) => fail(res, 400, undefined, "User's primary tenant differs."));

  await expect(api.sendActivationEmail(C, U)).rejects.toBeInstanceOf(TenantNotPrimaryError);
});

test("U15 non-compliant look-alike: GIVEN another 400 WHEN sent THEN a plain ApiError with the server's code, not TenantNotPrimary", async () => {
  const api = await clientFor((_req, res) => fail(res, 400, "ValidationFailed", "Bad user."));

  const err = await api.sendActivationEmail(C, U).catch((e: unknown) => e);

  expect(err).toBeInstanceOf(ApiError);
  expect(err).not.toBeInstanceOf(TenantNotPrimaryError);
  expect(err).toMatchObject({ code: "ValidationFailed" });
});

test("GIVEN 503 WHEN the welcome e-mail is sent THEN it is not repeated (a second e-mail is the worse outcome)", async () => {
  const api = await clientFor((_req, res) => fail(res, 503, "ServiceUnavailable", "busy", {}, { "retry-after": "0" }));

  await expect(api.sendUcWelcomeEmail(C, U)).rejects.toBeInstanceOf(ApiError);
  expect(fake.server!.requests).toHaveLength(1);
});

test("H5: GIVEN a user answer with the [ours] activated field WHEN read THEN the field is kept", async () => {
  const api = await clientFor((req, res) => ok(res, { id: U, displayName: "Bo", email: "bo@acme.test", roles: [], ...(req.path.endsWith(U) ? { activated: true } : {}) }));

  expect((await api.getUser(C, U)).activated).toBe(true);
});

test("H5: GIVEN a user answer without activated WHEN read THEN activated is absent (the apply then refuses to guess: ActivationStatusUnknown)", async () => {
  const api = await clientFor((_req, res) => ok(res, { id: U, displayName: "Bo", email: "bo@acme.test", roles: [] }));

  expect((await api.getUser(C, U)).activated).toBeUndefined();
});
