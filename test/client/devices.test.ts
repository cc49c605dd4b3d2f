/**
 * The client's softphone calls (U14): assign and unassign go as PUT (idempotent, so retried like
 * every idempotent call on 429, 5xx and dropped connections), device ids are checked before they
 * reach a path, and a one-user answer without `devices` (an [ours] field) fails clearly when the
 * caller needs the devices, never read as "no devices".
 */
import { DevicesNotReportedError, InvalidArgumentError } from "../../src/client";
import { clientsOnFakeServer, type Handler, drop, fail, guid, ok, page } from "./fixtures/fake-server";

const C = guid(1);
const U = guid(2);

const fake = clientsOnFakeServer({ maxBackoffMs: 20 });
const clientFor = (handler: Handler) => fake.clientFor(handler);

const user = { id: U, displayName: "Bo", email: "bo@acme.test", roles: ["customer.user"] };

describe("U14: assign and unassign", () => {
  test("U14: GIVEN a device WHEN assigned THEN one PUT to …/devices/pbx/{D}/assign with { clientType }", async () => {
    const api = await clientFor((_req, res) => ok(res, { userId: U, deviceId: "1001", clientType: "desktop", assigned: true }, 201));

    await api.assignDevice(C, U, "1001", "desktop");

    expect(fake.server!.requests.map((r) => [r.method, r.path, r.json])).toEqual([["PUT", `/api/v1.0/customers/${C}/users/${U}/devices/pbx/1001/assign`, { clientType: "desktop" }]]);
  });

  test("U14: GIVEN a 503 then a dropped connection WHEN unassigning THEN the PUT is retried until it lands", async () => {
    let calls = 0;
    const api = await clientFor((_req, res) => {
      calls += 1;
      if (calls === 1) fail(res, 503, "ServiceUnavailable", "busy");
      else if (calls === 2) drop(res);
      else ok(res, { assigned: false }, 201);
    });

    await api.unassignDevice(C, U, "1001", "mobile");

    expect(fake.server!.requests.map((r) => `${r.method} ${r.path.split("/").slice(-2).join("/")}`)).toEqual(["PUT 1001/unassign", "PUT 1001/unassign", "PUT 1001/unassign"]);
  });

  test("GIVEN a 409 DeviceAlreadyAssigned WHEN assigning THEN it is not retried and surfaces as the API's error", async () => {
    const api = await clientFor((_req, res) => fail(res, 409, "DeviceAlreadyAssigned", "Device '1001' is assigned to another user."));

    await expect(api.assignDevice(C, U, "1001", "desktop")).rejects.toMatchObject({ status: 409, errorCode: "DeviceAlreadyAssigned" });
    expect(fake.server!.requests).toHaveLength(1);
  });

  test.each(["../1001", "10/01", "10%2F01", "", "a".repeat(65), "dév"])("GIVEN the device id %j WHEN assigning THEN InvalidArgument, and nothing is sent", async (device) => {
    const api = await clientFor((_req, res) => ok(res, {}, 201));

    const err = await api.assignDevice(C, U, device, "desktop").catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(fake.server!.requests).toHaveLength(0);
  });
});

describe("U14: reading a user's devices", () => {
  test("U14: GIVEN an answer with devices WHEN read with devices: true THEN they are returned", async () => {
    const api = await clientFor((_req, res) => ok(res, { ...user, devices: [{ deviceId: "1001", clientType: "crm" }] }));

    expect((await api.getUser(C, U, { devices: true })).devices).toEqual([{ deviceId: "1001", clientType: "crm" }]);
  });

  test("U14: GIVEN an answer without devices (the vendor's shape) WHEN read with devices: true THEN DevicesNotReported, not an empty list", async () => {
    const api = await clientFor((_req, res) => ok(res, user));

    const err = await api.getUser(C, U, { devices: true }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DevicesNotReportedError);
    expect(err).toMatchObject({ code: "DevicesNotReported", message: expect.stringMatching(/^DevicesNotReported: GET \/api\/v1\.0\/customers\/.+ answered without "devices"/) });
  });

  test("GIVEN devices: null WHEN read with devices: true THEN DevicesNotReported too", async () => {
    const api = await clientFor((_req, res) => ok(res, { ...user, devices: null }));

    await expect(api.getUser(C, U, { devices: true })).rejects.toBeInstanceOf(DevicesNotReportedError);
  });

  test("GIVEN an answer without devices WHEN read without asking for them THEN the user is returned as before", async () => {
    const api = await clientFor((_req, res) => ok(res, user));

    expect(await api.getUser(C, U)).toMatchObject({ id: U, roles: ["customer.user"] });
  });

  test("GIVEN devices that are not a list of { deviceId, clientType } WHEN read with devices: true THEN ResponseSchemaMismatch", async () => {
    const api = await clientFor((_req, res) => ok(res, { ...user, devices: [{ id: "1001" }] }));

    await expect(api.getUser(C, U, { devices: true })).rejects.toMatchObject({ code: "ResponseSchemaMismatch" });
  });

  // The field is ours: a vendor's `devices` of another shape must not break apps that use no softphones.
  test("GIVEN devices of another shape WHEN read without asking for them (user and listing) THEN the user is returned without devices", async () => {
    const odd = { ...user, devices: "two", activated: "yes" };
    const api = await clientFor((req, res) => (req.query.has("pageIndex") ? page(res, req, [odd]) : ok(res, odd)));

    const read = await api.getUser(C, U);
    expect(read).toMatchObject({ id: U, roles: ["customer.user"] });
    expect(read.devices).toBeUndefined();
    expect(read.activated).toBeUndefined();
    expect((await api.listUsers(C)).map((u) => u.id)).toEqual([U]);
  });

  // dimensions export declares the devices an answer reports and leaves the rest alone: it never fails on them.
  test("U14: GIVEN an answer with devices WHEN read with devices: \"if-reported\" THEN they are returned", async () => {
    const api = await clientFor((_req, res) => ok(res, { ...user, devices: [{ deviceId: "1001", clientType: "crm" }] }));

    expect((await api.getUser(C, U, { devices: "if-reported" })).devices).toEqual([{ deviceId: "1001", clientType: "crm" }]);
  });

  test("U14: GIVEN answers without devices, with devices: null, or devices of another shape WHEN read with devices: \"if-reported\" THEN the user is returned with devices unknown (undefined), never an empty list", async () => {
    const answers = [user, { ...user, devices: null }, { ...user, devices: [{ id: "1001" }] }, { ...user, devices: "two" }];
    let next = 0;
    const api = await clientFor((_req, res) => ok(res, answers[next++]));

    for (let i = 0; i < answers.length; i++) {
      const read = await api.getUser(C, U, { devices: "if-reported" });
      expect(read).toMatchObject({ id: U, roles: ["customer.user"] });
      expect(read.devices ?? undefined).toBeUndefined();
    }
    expect(fake.server!.requests).toHaveLength(answers.length);
  });
});
