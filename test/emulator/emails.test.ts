/**
 * Activation and UC welcome e-mails in the emulator (api-contract §4; rules H5, U14, U15): 204 and
 * one count per user and kind (`GET /_emulator/emails`), 400 TenantNotPrimary from a tenant that is
 * not the user's primary one, the [ours] `activated` field and its control, and hostile requests
 * that must neither count nor crash.
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { call, Client, useEmulator, type Answer } from "./support";

let emulator: RunningEmulator;
let api: Client;

useEmulator((ctx) => {
  emulator = ctx.emulator;
  if (ctx.demo) api = ctx.demo;
});

interface Counts {
  users: Array<{ customerId: string; userId: string; email: string; activation: number; welcome: number }>;
  activation: number;
  welcome: number;
}

async function counts(customerId?: string): Promise<Counts> {
  const answer = await call<Counts>(emulator, "GET", `/_emulator/emails${customerId ? `?customer=${customerId}` : ""}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

const ACTIVATION = "sendActivationEmail";
const WELCOME = "sendUConnectActivationEmail";

describe("sending", () => {
  test("H5: GIVEN a user in its primary tenant WHEN the activation e-mail is sent twice and the welcome once THEN 204 each, counted per user and kind", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();
    const bo = await api.createUser(customerId, "bo@acme.test", ["customer.user.uc"]);

    const answers = [
      await api.call("POST", `/customers/${customerId}/users/${bo}/${ACTIVATION}`),
      await api.call("POST", `/customers/${customerId}/users/${bo}/${ACTIVATION}`),
      await api.call("POST", `/customers/${customerId}/users/${bo}/${WELCOME}`),
    ];

    expect(answers.map((a) => [a.status, a.text])).toEqual([
      [204, ""],
      [204, ""],
      [204, ""],
    ]);
    const found = await counts(customerId);
    expect(found.users).toEqual(
      expect.arrayContaining([
        { customerId, userId: bo, email: "bo@acme.test", activation: 2, welcome: 1 },
        { customerId, userId: adminId, email: "admin@acme.test", activation: 0, welcome: 0 },
      ]),
    );
    expect([found.activation, found.welcome]).toEqual([2, 1]);
  });

  test("U15: GIVEN a user whose primary tenant is another customer WHEN either e-mail is sent THEN 400 TenantNotPrimary and nothing is counted", async () => {
    const { customerId } = await api.customerWithAdmin();
    const other = await api.createCustomer();
    const guest = await api.createUser(customerId, "guest@acme.test", []);
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${guest}`, { primaryTenant: other });

    const answers = await Promise.all([ACTIVATION, WELCOME].map((r) => api.call("POST", `/customers/${customerId}/users/${guest}/${r}`)));

    expect(answers.map((a) => [a.status, a.body.errorCode])).toEqual([
      [400, "TenantNotPrimary"],
      [400, "TenantNotPrimary"],
    ]);
    expect((await counts(customerId)).users.find((u) => u.userId === guest)).toMatchObject({ activation: 0, welcome: 0 });
  });

  test("U15: GIVEN the user moved back to this tenant WHEN the e-mail is sent THEN 204", async () => {
    const { customerId } = await api.customerWithAdmin();
    const other = await api.createCustomer();
    const guest = await api.createUser(customerId, "guest@acme.test", []);
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${guest}`, { primaryTenant: other });
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${guest}`, { primaryTenant: customerId });

    expect((await api.call("POST", `/customers/${customerId}/users/${guest}/${ACTIVATION}`)).status).toBe(204);
  });

  test("GIVEN two customers WHEN the counts are asked for one THEN only its users are listed", async () => {
    const first = await api.customerWithAdmin();
    const second = await api.customerWithAdmin();
    await api.call("POST", `/customers/${second.customerId}/users/${second.adminId}/${ACTIVATION}`);

    expect((await counts(first.customerId)).users.map((u) => u.userId)).toEqual([first.adminId]);
    expect((await counts()).activation).toBe(1);
  });
});

describe("the [ours] activated field (H5)", () => {
  test("H5: GIVEN a new user WHEN read one by one or listed THEN activated is false; once the control says it activated, true", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();
    const read = async () => (await api.call<{ data: { activated: boolean } }>("GET", `/customers/${customerId}/users/${adminId}`)).body.data.activated;
    const listed = async () => (await api.call<{ data: Array<{ activated: boolean }> }>("GET", `/customers/${customerId}/users`)).body.data[0].activated;
    expect([await read(), await listed()]).toEqual([false, false]);

    const control = await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${adminId}`, { activated: true });

    expect(control.status).toBe(200);
    expect([await read(), await listed()]).toEqual([true, true]);
  });
});

describe("hostile input", () => {
  async function world() {
    const { customerId, adminId } = await api.customerWithAdmin();
    const second = await api.customerWithAdmin();
    const other = await call<{ accessToken: string }>(emulator, "POST", "/_emulator/resellers", { name: `rival-${Date.now()}` });
    const adminToken = (await call<{ access_token: string }>(emulator, "POST", `/_emulator/customers/${customerId}/admin-token`)).body.access_token;
    const impersonation = (await api.call<{ data: { token: string } }>("POST", `/customers/${second.customerId}/impersonate`, { mode: "support" })).body.data.token;
    return { customerId, adminId, second, rival: new Client(emulator, other.body.accessToken), adminToken, impersonation };
  }

  type World = Awaited<ReturnType<typeof world>>;
  const cases: Array<{ given: string; send: (w: World) => Promise<Answer>; status: number; errorCode?: string }> = [
    { given: "no token", send: (w) => call(emulator, "POST", `/customers/${w.customerId}/users/${w.adminId}/${ACTIVATION}`), status: 401 },
    { given: "a user id that is not a GUID", send: (w) => api.call("POST", `/customers/${w.customerId}/users/not-a-guid/${ACTIVATION}`), status: 400, errorCode: "ValidationFailed" },
    { given: "a customer id that is __proto__", send: (w) => api.call("POST", `/customers/__proto__/users/${w.adminId}/${WELCOME}`), status: 400, errorCode: "ValidationFailed" },
    { given: "an unknown user", send: (w) => api.call("POST", `/customers/${w.customerId}/users/00000000-0000-0000-0000-000000000000/${ACTIVATION}`), status: 404, errorCode: "NotFound" },
    { given: "another customer's user under this customer's id", send: (w) => api.call("POST", `/customers/${w.customerId}/users/${w.second.adminId}/${ACTIVATION}`), status: 404, errorCode: "NotFound" },
    { given: "another reseller", send: (w) => w.rival.call("POST", `/customers/${w.customerId}/users/${w.adminId}/${WELCOME}`), status: 404, errorCode: "NotFound" },
    { given: "a customer admin's token (it only answers access requests)", send: (w) => call(emulator, "POST", `/customers/${w.customerId}/users/${w.adminId}/${ACTIVATION}`, undefined, { token: w.adminToken }), status: 403, errorCode: "AccessDenied" },
    { given: "an impersonation token of another customer", send: (w) => call(emulator, "POST", `/customers/${w.customerId}/users/${w.adminId}/${ACTIVATION}`, undefined, { token: w.impersonation }), status: 403, errorCode: "AccessDenied" },
    { given: "GET instead of POST", send: (w) => api.call("GET", `/customers/${w.customerId}/users/${w.adminId}/${ACTIVATION}`), status: 405, errorCode: "MethodNotAllowed" },
    { given: "a body over 1 MiB", send: (w) => api.call("POST", `/customers/${w.customerId}/users/${w.adminId}/${WELCOME}`, undefined, { raw: "x".repeat(1024 * 1024 + 1), headers: { "content-type": "application/json" } }), status: 413, errorCode: "PayloadTooLarge" },
    {
      given: "a deleted customer",
      send: async (w) => {
        await api.call("DELETE", `/customers/${w.customerId}`);
        return api.call("POST", `/customers/${w.customerId}/users/${w.adminId}/${ACTIVATION}`);
      },
      status: 404,
      errorCode: "NotFound",
    },
  ];

  test.each(cases)("GIVEN $given WHEN an e-mail is sent THEN $status, and nothing is counted", async ({ send, status, errorCode }) => {
    const w = await world();

    const answer = await send(w);

    expect(answer.status).toBe(status);
    if (errorCode) expect(answer.body.errorCode).toBe(errorCode);
    const all = await counts();
    expect([all.activation, all.welcome]).toEqual([0, 0]);
  });

  test("GIVEN a body of any kind WHEN an e-mail is sent THEN it is ignored: 204 (the call takes none)", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users/${adminId}/${ACTIVATION}`, undefined, { raw: "{not json", headers: { "content-type": "application/json" } });

    expect(answer.status).toBe(204);
    expect((await counts()).activation).toBe(1);
  });

  test.each([
    ["activated as a string", { activated: "yes" }],
    ["activated as null", { activated: null }],
    ["primaryTenant not a GUID", { primaryTenant: "elsewhere" }],
  ])("GIVEN the control with %s WHEN sent THEN 400 ValidationFailed and the user is unchanged", async (_what, body) => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${adminId}`, body);

    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect((await api.call<{ data: { activated: boolean; primaryTenant: string } }>("GET", `/customers/${customerId}/users/${adminId}`)).body.data).toMatchObject({ activated: false, primaryTenant: customerId });
  });

  test.each(["__proto__", "not-a-guid", "constructor"])("GIVEN ?customer=%s WHEN the counts are asked for THEN 400, naming the value", async (value) => {
    const answer = await call(emulator, "GET", `/_emulator/emails?customer=${value}`);

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe(`The value '${value}' is not valid.`);
  });
});
