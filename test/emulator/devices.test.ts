/**
 * Softphone devices (api-contract §4; rules U5, U7, U14): `POST|PUT …/devices/pbx/{D}/assign` and
 * `/unassign` `{ clientType }`, the answers the contract leaves to us (src/emulator/handlers/devices.ts),
 * the `devices` a one-user GET reports, and hostile input on every part of the request.
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { call, Client, useEmulator, type Answer } from "./support";

let emulator: RunningEmulator;
let api: Client;

const ACCOUNT = "acct-dev";
const KAZOO = { _type: "KazooPbxConnectionProfile", hostRest: "https://pbx.test", hostWebsocket: "wss://pbx.test", accountId: ACCOUNT, apiKey: "k" };
const SOFTPHONE_ROLES = ["customer.user.uc", "customer.user.uc.softphone"];

useEmulator((ctx) => {
  emulator = ctx.emulator;
  if (ctx.demo) api = ctx.demo;
});

/** A customer whose PBX has devices 1001–1003, with an admin and a user holding the UC softphone. */
async function world(): Promise<{ customerId: string; adminId: string; userId: string }> {
  await call(emulator, "PUT", `/_emulator/pbx/${ACCOUNT}/users`, [
    { email: "desk@acme.test", displayName: "Desk", devices: ["1001", "1002"] },
    { email: "lobby@acme.test", displayName: "Lobby", devices: ["1003"] },
  ]);
  const { customerId, adminId } = await api.customerWithAdmin({ pbxConnectionProfile: KAZOO });
  const userId = await api.createUser(customerId, "uc@acme.test", SOFTPHONE_ROLES);
  return { customerId, adminId, userId };
}

function devicePath(customerId: string, userId: string, device: string, action: "assign" | "unassign"): string {
  return `/customers/${customerId}/users/${userId}/devices/pbx/${device}/${action}`;
}

function assign(customerId: string, userId: string, device: string, clientType: unknown = "desktop", method = "POST"): Promise<Answer> {
  return api.call(method, devicePath(customerId, userId, device, "assign"), { clientType });
}

function unassign(customerId: string, userId: string, device: string, clientType: unknown = "desktop", method = "PUT"): Promise<Answer> {
  return api.call(method, devicePath(customerId, userId, device, "unassign"), { clientType });
}

async function devicesOf(customerId: string, userId: string): Promise<unknown> {
  const answer = await api.call<{ data: { devices: unknown } }>("GET", `/customers/${customerId}/users/${userId}`);
  return answer.body.data.devices;
}

describe("U14: assign", () => {
  test("U14: GIVEN a device of the customer's PBX WHEN assigned THEN 201 and the user's GET reports it in devices", async () => {
    const { customerId, userId } = await world();

    const answer = await assign(customerId, userId, "1001", "mobile");

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: "success", data: { userId, deviceId: "1001", clientType: "mobile", assigned: true } });
    expect(await devicesOf(customerId, userId)).toEqual([{ deviceId: "1001", clientType: "mobile" }]);
  });

  test("GIVEN users WHEN listed THEN the items carry no devices (one-user answers only)", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001");

    const list = await api.call<{ data: Array<Record<string, unknown>> }>("GET", `/customers/${customerId}/users`);

    expect(list.body.data.every((u) => !("devices" in u))).toBe(true);
  });

  test("GIVEN a device already assigned with the same client type WHEN assigned again (PUT) THEN 201 and it is held once", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001", "desktop");

    const again = await assign(customerId, userId, "1001", "desktop", "PUT");

    expect(again.status).toBe(201);
    expect(await devicesOf(customerId, userId)).toEqual([{ deviceId: "1001", clientType: "desktop" }]);
  });

  test("GIVEN a device held with another client type WHEN assigned THEN 409 DeviceAlreadyAssigned and nothing changes", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001", "desktop");

    const answer = await assign(customerId, userId, "1001", "webrtc");

    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ errorCode: "DeviceAlreadyAssigned", message: expect.stringContaining("as 'desktop'") });
    expect(await devicesOf(customerId, userId)).toEqual([{ deviceId: "1001", clientType: "desktop" }]);
  });

  test("GIVEN a device another user of the customer holds WHEN assigned THEN 409 DeviceAlreadyAssigned", async () => {
    const { customerId, userId } = await world();
    const other = await api.createUser(customerId, "other@acme.test", SOFTPHONE_ROLES);
    await assign(customerId, other, "1001");

    const answer = await assign(customerId, userId, "1001");

    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ errorCode: "DeviceAlreadyAssigned", message: "Device '1001' is assigned to another user." });
    expect(await devicesOf(customerId, userId)).toEqual([]);
  });

  test("GIVEN a device no PBX directory entry lists WHEN assigned THEN 404 DeviceNotFound", async () => {
    const { customerId, userId } = await world();

    const answer = await assign(customerId, userId, "9999");

    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ errorCode: "DeviceNotFound", message: "Device '9999' is not a device of the customer's PBX." });
  });

  test("GIVEN a customer without a PBX WHEN a device is assigned THEN 404 DeviceNotFound", async () => {
    await world();
    const { customerId } = await api.customerWithAdmin();
    const userId = await api.createUser(customerId, "uc@acme.test", SOFTPHONE_ROLES);

    const answer = await assign(customerId, userId, "1001");

    expect(answer.body.errorCode).toBe("DeviceNotFound");
  });

  test("U7: GIVEN a user without customer.user.uc.softphone WHEN a device is assigned THEN 400 RolePrerequisiteMissing naming it", async () => {
    const { customerId } = await world();
    const plain = await api.createUser(customerId, "plain@acme.test", ["customer.user.uc"]);

    const answer = await assign(customerId, plain, "1001");

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "RolePrerequisiteMissing", message: "Assigning a PBX device requires the role 'customer.user.uc.softphone'." });
  });

  test("U7: GIVEN a user without the UC client WHEN a device is assigned THEN 400 RolePrerequisiteMissing naming customer.user.uc", async () => {
    const { customerId } = await world();
    const plain = await api.createUser(customerId, "plain@acme.test", []);

    const answer = await assign(customerId, plain, "1001");

    expect(answer.body).toMatchObject({ errorCode: "RolePrerequisiteMissing", message: expect.stringContaining("'customer.user.uc'") });
  });

  test("U5: GIVEN a customer without an admin WHEN a device is assigned THEN 400 AdministratorRequired", async () => {
    await call(emulator, "PUT", `/_emulator/pbx/${ACCOUNT}/users`, [{ email: "desk@acme.test", displayName: "Desk", devices: ["1001"] }]);
    const customerId = await api.createCustomer({ pbxConnectionProfile: KAZOO });
    const list = await api.call<{ data: Array<{ id: string }> }>("GET", `/customers/${customerId}/users`);

    const answer = await assign(customerId, list.body.data[0].id, "1001");

    expect(answer.body.errorCode).toBe("AdministratorRequired");
  });

  test("GIVEN a user that does not exist WHEN a device is assigned THEN 404 NotFound", async () => {
    const { customerId } = await world();

    const answer = await assign(customerId, "00000000-0000-4000-8000-000000000000", "1001");

    expect(answer.status).toBe(404);
    expect(answer.body.errorCode).toBe("NotFound");
  });
});

describe("U14: unassign", () => {
  test("U14: GIVEN an assigned device WHEN unassigned THEN 201 and the user holds none", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001", "crm");

    const answer = await unassign(customerId, userId, "1001", "crm", "POST");

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ data: { deviceId: "1001", clientType: "crm", assigned: false } });
    expect(await devicesOf(customerId, userId)).toEqual([]);
  });

  test("GIVEN a device the user does not hold WHEN unassigned THEN 201 and nothing changes (a retry is harmless)", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1002");

    const answer = await unassign(customerId, userId, "1001");

    expect(answer.status).toBe(201);
    expect(await devicesOf(customerId, userId)).toEqual([{ deviceId: "1002", clientType: "desktop" }]);
  });

  test("GIVEN a device held with another client type WHEN unassigned THEN 409 DeviceAlreadyAssigned and it stays", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001", "mobile");

    const answer = await unassign(customerId, userId, "1001", "desktop");

    expect(answer.status).toBe(409);
    expect(answer.body.errorCode).toBe("DeviceAlreadyAssigned");
    expect(await devicesOf(customerId, userId)).toEqual([{ deviceId: "1001", clientType: "mobile" }]);
  });

  test("GIVEN an unassigned device WHEN another user of the customer is assigned it THEN 201", async () => {
    const { customerId, userId } = await world();
    const other = await api.createUser(customerId, "other@acme.test", SOFTPHONE_ROLES);
    await assign(customerId, userId, "1001");
    await unassign(customerId, userId, "1001");

    expect((await assign(customerId, other, "1001")).status).toBe(201);
  });
});

describe("U7: the roles an assigned device needs", () => {
  test("U7: GIVEN a user holding a device WHEN a patch takes customer.user.uc.softphone THEN 400 RolePrerequisiteMissing and the roles stay", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001");

    const answer = await api.patchUser(customerId, userId, [{ op: "replace", path: "/roles", value: ["customer.user", "customer.user.uc"] }]);

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "RolePrerequisiteMissing", message: expect.stringMatching(/'customer\.user\.uc\.softphone' is needed by the PBX device '1001'.*unassign the device first/) });
    expect(await api.roles(customerId, userId)).toEqual(["customer.user", ...SOFTPHONE_ROLES]);
  });

  test("U7: GIVEN the device unassigned first WHEN the same patch is sent THEN 200", async () => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001");
    await unassign(customerId, userId, "1001");

    const answer = await api.patchUser(customerId, userId, [{ op: "replace", path: "/roles", value: ["customer.user"] }]);

    expect(answer.status).toBe(200);
  });

  test("GIVEN a user holding a device WHEN it is deleted THEN its device is free for another user", async () => {
    const { customerId, userId } = await world();
    const other = await api.createUser(customerId, "other@acme.test", SOFTPHONE_ROLES);
    await assign(customerId, userId, "1001");

    expect((await api.call("DELETE", `/customers/${customerId}/users/${userId}`)).status).toBe(200);
    expect((await assign(customerId, other, "1001")).status).toBe(201);
  });
});

describe("hostile input on the device routes", () => {
  const BAD_CLIENT_TYPES: Array<[string, unknown]> = [
    ["an unknown client type", "fax"],
    ["another case", "DESKTOP"],
    ["a number", 1],
    ["null", null],
    ["an array", ["desktop"]],
    ["an object", { type: "desktop" }],
  ];
  test.each(BAD_CLIENT_TYPES)("GIVEN clientType as %s WHEN assigned THEN 400 ValidationFailed naming the allowed values", async (_what, clientType) => {
    const { customerId, userId } = await world();

    const answer = await assign(customerId, userId, "1001", clientType);

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "ValidationFailed", message: expect.stringContaining("desktop, mobile, webrtc, crm") });
    expect(await devicesOf(customerId, userId)).toEqual([]);
  });

  const BAD_BODIES: Array<[string, string]> = [
    ["no body", ""],
    ["a body that is not JSON", '{"clientType":'],
    ["a JSON array", '["desktop"]'],
    ["a JSON string", '"desktop"'],
    ["an object without clientType", '{"type":"desktop"}'],
    ["a __proto__ key", '{"__proto__":{"clientType":"desktop"}}'],
  ];
  test.each(BAD_BODIES)("GIVEN %s WHEN unassigned THEN 400 ValidationFailed", async (_what, raw) => {
    const { customerId, userId } = await world();
    await assign(customerId, userId, "1001");

    const answer = await call(emulator, "PUT", devicePath(customerId, userId, "1001", "unassign"), undefined, {
      token: api.token,
      raw,
      headers: { "content-type": "application/json" },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect(await devicesOf(customerId, userId)).toEqual([{ deviceId: "1001", clientType: "desktop" }]);
  });

  const BAD_DEVICE_IDS: Array<[string, string]> = [
    ["an encoded slash", "10%2F01"],
    ["an encoded NUL", "10%0001"],
    ["a space", "10%2001"],
    ["a leading dash", "-1001"],
    ["a non-ASCII letter", "d%C3%A9v"],
    ["65 characters", "a".repeat(65)],
    ["__proto__", "__proto__"],
  ];
  test.each(BAD_DEVICE_IDS)("GIVEN a device id with %s WHEN assigned THEN 400 ValidationFailed 'is not valid'", async (_what, device) => {
    const { customerId, userId } = await world();

    const answer = await assign(customerId, userId, device);

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "ValidationFailed", message: expect.stringMatching(/^The value '.*' is not valid\.$/) });
  });

  test("GIVEN a malformed user id WHEN assigned THEN 400 'is not valid'", async () => {
    const { customerId } = await world();

    const answer = await assign(customerId, "not-a-guid", "1001");

    expect(answer.body).toMatchObject({ errorCode: "ValidationFailed", message: "The value 'not-a-guid' is not valid." });
  });

  test("GIVEN a DELETE on the assign route WHEN sent THEN 405 naming POST and PUT", async () => {
    const { customerId, userId } = await world();

    const answer = await api.call("DELETE", devicePath(customerId, userId, "1001", "assign"));

    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("POST, PUT");
  });

  test("GIVEN a PBX directory seed with a malformed device id WHEN put THEN 400 and the directory is unchanged", async () => {
    await world();

    const answer = await call(emulator, "PUT", `/_emulator/pbx/${ACCOUNT}/users`, [{ email: "x@acme.test", displayName: "X", devices: ["../1001"] }]);
    const after = await call<{ users: Array<{ devices?: string[] }> }>(emulator, "GET", `/_emulator/pbx/${ACCOUNT}/users`);

    expect(answer.status).toBe(400);
    expect(after.body.users.map((u) => u.devices)).toEqual([["1001", "1002"], ["1003"]]);
  });
});
