/**
 * Customer users and roles (api-contract §4; rules U1, U4, U5, U7, U8, U10, U11, U13, U15, C6).
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { ADMIN_ROLES, call, Client, useEmulator } from "./support";

let emulator: RunningEmulator;
let api: Client;

const KAZOO = { _type: "KazooPbxConnectionProfile", hostRest: "https://pbx.test", hostWebsocket: "wss://pbx.test", accountId: "acct-u", apiKey: "k" };

useEmulator((ctx) => {
  emulator = ctx.emulator;
  if (ctx.demo) api = ctx.demo;
});

/** A customer imported from the PBX (no admin yet) and the id of its one PBX user. */
async function pbxCustomer(email = "desk@acme.test"): Promise<{ customerId: string; pbxUserId: string }> {
  await call(emulator, "PUT", "/_emulator/pbx/acct-u/users", [{ email, displayName: "Desk" }]);
  const customerId = await api.createCustomer({ pbxConnectionProfile: KAZOO });
  const list = await api.call<{ data: Array<{ id: string }> }>("GET", `/customers/${customerId}/users`);
  return { customerId, pbxUserId: list.body.data[0].id };
}

describe("create and read", () => {
  test("GIVEN a customer WHEN its first user is created as admin THEN 201 with Location, and customer.user is held", async () => {
    const customerId = await api.createCustomer();

    const answer = await api.call<{ data: { id: string; roles: string[] } }>("POST", `/customers/${customerId}/users`, { email: "ana@acme.test", displayName: "Ana", roles: ["user.admin"] });

    expect(answer.status).toBe(201);
    expect(answer.headers.get("location")).toBe(`/api/v1.0/customers/${customerId}/users/${answer.body.data.id}`);
    expect(answer.body.data.roles.sort()).toEqual(["customer.user", "user.admin"]);
  });

  test("GIVEN users WHEN listed THEN the items come without roles", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call<{ data: Array<Record<string, unknown>> }>("GET", `/customers/${customerId}/users`);

    expect(answer.body.data).toHaveLength(1);
    expect(answer.body.data[0]).toMatchObject({ email: "admin@acme.test" });
    expect(answer.body.data[0].roles).toBeUndefined();
  });

  test("GIVEN 25 users of which one was deleted WHEN listed 10 at a time THEN each remaining user appears exactly once, in creation order", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();
    const created = [adminId];
    for (let i = 1; i < 25; i++) created.push(await api.createUser(customerId, `user${i}@acme.test`));
    await api.call("DELETE", `/customers/${customerId}/users/${created[7]}`);
    const remaining = created.filter((id) => id !== created[7]);

    const pages = await Promise.all([0, 1, 2].map((i) => api.call<{ data: Array<{ id: string }> }>("GET", `/customers/${customerId}/users?pageSize=10&pageIndex=${i}`)));

    expect(pages.map((p) => p.body.data.length)).toEqual([10, 10, 4]);
    expect(pages.flatMap((p) => p.body.data.map((u) => u.id))).toEqual(remaining);
  });

  test("GIVEN a user WHEN read one by one THEN it comes with roles and its primary tenant", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.call<{ data: Record<string, unknown> }>("GET", `/customers/${customerId}/users/${adminId}`);

    expect(answer.body.data).toMatchObject({ id: adminId, primaryTenant: customerId, roles: expect.arrayContaining(ADMIN_ROLES) });
  });

  test("GIVEN an unknown user id WHEN read THEN 404 NotFound", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("GET", `/customers/${customerId}/users/11111111-1111-1111-1111-111111111111`);

    expect(answer.body).toMatchObject({ error: 404, errorCode: "NotFound", message: "Not Found" });
  });
});

describe("U1: user fields", () => {
  test("U1: GIVEN a displayName of 100 characters WHEN created THEN 201", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "long@acme.test", displayName: "d".repeat(100), roles: [] });

    expect(answer.status).toBe(201);
  });

  test("U1: GIVEN a displayName of 101 characters WHEN created THEN 400 ValidationFailed naming displayName and 100", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "long@acme.test", displayName: "d".repeat(101), roles: [] });

    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect(answer.body.message).toContain("'displayName'");
    expect(answer.body.message).toContain("100");
  });

  test("U1: GIVEN no email WHEN created THEN 400 ValidationFailed saying email is required", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { displayName: "No mail", roles: [] });

    expect(answer.body.message).toBe("The field 'email' is required.");
  });

  test("U1: GIVEN an email that is not an address WHEN created THEN 400 ValidationFailed naming email", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "not-an-address", displayName: "X", roles: [] });

    expect(answer.body.errorCode).toBe("ValidationFailed");
    expect(answer.body.message).toContain("'email'");
  });

  test("U1: GIVEN a user WHEN another is created with the same e-mail in another case THEN 409 UserAlreadyExists with data.id", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "ADMIN@acme.test", displayName: "Dup", roles: [] });

    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ errorCode: "UserAlreadyExists", message: "A user with the email 'ADMIN@acme.test' already exists.", data: { id: adminId } });
  });

  test("U1: GIVEN a PBX-imported user WHEN a user is created with its e-mail in another case THEN 409 UserAlreadyExists with the imported user's id", async () => {
    const { customerId, pbxUserId } = await pbxCustomer("Desk@Acme.test");
    await api.createUser(customerId, "admin@acme.test", ADMIN_ROLES);

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "desk@ACME.TEST", displayName: "Desk", roles: [] });

    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ errorCode: "UserAlreadyExists", data: { id: pbxUserId } });
  });

  test("U1: GIVEN a user was deleted WHEN a user is created with its e-mail in another case THEN 201 with a new id", async () => {
    const { customerId } = await api.customerWithAdmin();
    const gone = await api.createUser(customerId, "ana@acme.test");
    await api.call("DELETE", `/customers/${customerId}/users/${gone}`);

    const answer = await api.call<{ data: { id: string } }>("POST", `/customers/${customerId}/users`, { email: "ANA@acme.test", displayName: "Ana", roles: [] });

    expect(answer.status).toBe(201);
    expect(answer.body.data.id).not.toBe(gone);
  });

  test("U1: GIVEN a user in one customer WHEN the same e-mail is created in another customer THEN 201", async () => {
    await api.customerWithAdmin();

    const second = await api.customerWithAdmin();

    expect(second.adminId).toEqual(expect.any(String));
  });
});

describe("U5: an admin first", () => {
  test("U5: GIVEN a customer with no admin WHEN a non-admin user is created THEN 400 AdministratorRequired", async () => {
    const customerId = await api.createCustomer();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "bob@acme.test", displayName: "Bob", roles: ["recording.viewer"] });

    expect(answer.body).toMatchObject({ errorCode: "AdministratorRequired", message: "A user administrator must be assigned before other users or roles can be modified." });
  });

  test("U5: GIVEN imported PBX users and no admin WHEN one of them is patched to admin THEN 200", async () => {
    const { customerId, pbxUserId } = await pbxCustomer();

    const answer = await api.patchUser(customerId, pbxUserId, [{ op: "add", path: "/roles/-", value: "customer.user" }, { op: "add", path: "/roles/-", value: "user.admin" }]);

    expect(answer.status).toBe(200);
    expect(await api.roles(customerId, pbxUserId)).toEqual(["customer.user", "customer.user.pbx", "user.admin"]);
  });

  test("U5: GIVEN imported PBX users and no admin WHEN one of them gets a non-admin role THEN 400 AdministratorRequired", async () => {
    const { customerId, pbxUserId } = await pbxCustomer();

    const answer = await api.patchUser(customerId, pbxUserId, [{ op: "add", path: "/roles/-", value: "customer.user" }]);

    expect(answer.body.errorCode).toBe("AdministratorRequired");
  });

  test("U5: GIVEN no admin WHEN a PBX user is deleted THEN 400 AdministratorRequired", async () => {
    const { customerId, pbxUserId } = await pbxCustomer();

    const answer = await api.call("DELETE", `/customers/${customerId}/users/${pbxUserId}`);

    expect(answer.body.errorCode).toBe("AdministratorRequired");
  });
});

describe("U4: the last admin", () => {
  test("U4: GIVEN a single admin WHEN its user.admin is removed THEN 400 LastUserAdministrator and it keeps the role", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.patchUser(customerId, adminId, [{ op: "replace", path: "/roles", value: ["customer.user"] }]);

    expect(answer.body).toMatchObject({ errorCode: "LastUserAdministrator", message: "There must be at least one user administrator." });
    expect(await api.roles(customerId, adminId)).toEqual(["customer.user", "user.admin"]);
  });

  test("U4: GIVEN a single admin WHEN it is deleted THEN 400 LastUserAdministrator", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.call("DELETE", `/customers/${customerId}/users/${adminId}`);

    expect(answer.body.errorCode).toBe("LastUserAdministrator");
  });

  test("U4: GIVEN two admins WHEN one is demoted THEN 200", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();
    await api.createUser(customerId, "second@acme.test", ADMIN_ROLES);

    const answer = await api.patchUser(customerId, adminId, [{ op: "replace", path: "/roles", value: ["customer.user"] }]);

    expect(answer.status).toBe(200);
  });

  test("U4: GIVEN two admins WHEN one is deleted THEN 200 and it is gone", async () => {
    const { customerId } = await api.customerWithAdmin();
    const second = await api.createUser(customerId, "second@acme.test", ADMIN_ROLES);

    const answer = await api.call("DELETE", `/customers/${customerId}/users/${second}`);
    const get = await api.call("GET", `/customers/${customerId}/users/${second}`);

    expect([answer.status, get.status]).toEqual([200, 404]);
  });

  test("U4: GIVEN two admins of which one was demoted WHEN the other is demoted THEN 400 LastUserAdministrator", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();
    const second = await api.createUser(customerId, "second@acme.test", ADMIN_ROLES);
    await api.patchUser(customerId, second, [{ op: "replace", path: "/roles", value: ["customer.user"] }]);

    const answer = await api.patchUser(customerId, adminId, [{ op: "replace", path: "/roles", value: ["customer.user"] }]);

    expect(answer.body.errorCode).toBe("LastUserAdministrator");
  });

  test("U4: GIVEN a user promoted to admin by the platform seam WHEN the first admin is deleted THEN 200", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();
    const other = await api.createUser(customerId, "other@acme.test");
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${other}`, { roles: ADMIN_ROLES });

    const answer = await api.call("DELETE", `/customers/${customerId}/users/${adminId}`);

    expect(answer.status).toBe(200);
  });

  test("U5: GIVEN the only admin lost user.admin through the platform seam WHEN a user is created THEN 400 AdministratorRequired", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${adminId}`, { roles: ["customer.user"] });

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "late@acme.test", displayName: "Late", roles: [] });

    expect(answer.body.errorCode).toBe("AdministratorRequired");
  });
});

describe("roles: catalogue rules", () => {
  test("UnknownRole: GIVEN a role key not in the catalogue WHEN added THEN 400 UnknownRole", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.patchUser(customerId, adminId, [{ op: "add", path: "/roles/-", value: "admin.user" }]);

    expect(answer.body).toMatchObject({ errorCode: "UnknownRole", message: "Unknown role 'admin.user'." });
  });

  test("U7: GIVEN a role without its prerequisite WHEN a user is created with it THEN 400 RolePrerequisiteMissing", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "ws@acme.test", displayName: "WS", roles: ["customer.workspace.admin"] });

    expect(answer.body).toMatchObject({ errorCode: "RolePrerequisiteMissing", message: "Role 'customer.workspace.admin' requires 'customer.settings'." });
  });

  test("U7: GIVEN a role with its prerequisites WHEN a user is created with it THEN 201", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "ws@acme.test", displayName: "WS", roles: ["customer.settings", "customer.workspace.admin"] });

    expect(answer.status).toBe(201);
  });

  test("U7: GIVEN a supervisor WHEN customer.user is removed from it THEN 400 RolePrerequisiteMissing", async () => {
    const { customerId } = await api.customerWithAdmin();
    const sup = await api.createUser(customerId, "sup@acme.test", ["customer.user.supervisorl1"]);

    const answer = await api.patchUser(customerId, sup, [{ op: "remove", path: "/roles/1" }]);

    expect(answer.body.errorCode).toBe("RolePrerequisiteMissing");
  });

  test("U8: GIVEN a user with one supervisor level WHEN a second level is added THEN 400 SupervisorLevelConflict", async () => {
    const { customerId } = await api.customerWithAdmin();
    const sup = await api.createUser(customerId, "sup@acme.test", ["customer.user.supervisorl1"]);

    const answer = await api.patchUser(customerId, sup, [{ op: "add", path: "/roles/-", value: "customer.user.supervisorl2" }]);

    expect(answer.body).toMatchObject({ errorCode: "SupervisorLevelConflict", message: "A user can hold only one supervisor role." });
  });

  test("U8: GIVEN a user with one supervisor level WHEN it is swapped for another in one replace THEN 200", async () => {
    const { customerId } = await api.customerWithAdmin();
    const sup = await api.createUser(customerId, "sup@acme.test", ["customer.user.supervisorl1"]);

    const answer = await api.patchUser(customerId, sup, [{ op: "replace", path: "/roles", value: ["customer.user", "customer.user.supervisorl2"] }]);

    expect(answer.status).toBe(200);
    expect(await api.roles(customerId, sup)).toEqual(["customer.user", "customer.user.supervisorl2"]);
  });

  test("U13/RoleReadOnly: GIVEN customer.user.microsoftteams WHEN it is added THEN 400 RoleReadOnly", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.patchUser(customerId, adminId, [{ op: "add", path: "/roles/-", value: "customer.user.microsoftteams" }]);

    expect(answer.body).toMatchObject({ errorCode: "RoleReadOnly", message: "Role 'customer.user.microsoftteams' is read-only." });
  });

  test("U13/RoleReadOnly: GIVEN a user holding the Teams role WHEN it is removed by index THEN 400 RoleReadOnly", async () => {
    const { customerId } = await api.customerWithAdmin();
    const teams = await api.createUser(customerId, "teams@acme.test", []);
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${teams}`, { roles: ["customer.user", "customer.user.microsoftteams"] });

    const answer = await api.patchUser(customerId, teams, [{ op: "remove", path: "/roles/1" }]);

    expect(answer.body.errorCode).toBe("RoleReadOnly");
  });

  test("U13: GIVEN a user holding the Teams role WHEN its roles are replaced without it THEN 200 and it keeps the Teams role", async () => {
    const { customerId } = await api.customerWithAdmin();
    const teams = await api.createUser(customerId, "teams@acme.test", []);
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${teams}`, { roles: ["customer.user", "customer.user.microsoftteams"] });

    const answer = await api.patchUser(customerId, teams, [{ op: "replace", path: "/roles", value: ["customer.user", "recording.viewer"] }]);

    expect(answer.status).toBe(200);
    expect(await api.roles(customerId, teams)).toEqual(["customer.user", "customer.user.microsoftteams", "recording.viewer"]);
  });
});

describe("C6: licensed roles", () => {
  test("C6: GIVEN no accept-charges WHEN a licensed role is added THEN 402 ChargesNotAccepted and nothing changes", async () => {
    const { customerId } = await api.customerWithAdmin();
    const bob = await api.createUser(customerId, "bob@acme.test", []);

    const answer = await api.patchUser(customerId, bob, [{ op: "add", path: "/roles/-", value: "customer.user.supervisorl1" }], false);

    expect(answer.status).toBe(402);
    expect(answer.body.errorCode).toBe("ChargesNotAccepted");
    expect(await api.roles(customerId, bob)).toEqual(["customer.user"]);
  });

  test("C6: GIVEN no accept-charges WHEN an unlicensed role is added THEN 200", async () => {
    const { customerId } = await api.customerWithAdmin();
    const bob = await api.createUser(customerId, "bob@acme.test", []);

    const answer = await api.patchUser(customerId, bob, [{ op: "add", path: "/roles/-", value: "recording.viewer" }], false);

    expect(answer.status).toBe(200);
  });

  test("C6: GIVEN no accept-charges WHEN a user is created with a licensed role THEN 402", async () => {
    const { customerId } = await api.customerWithAdmin();

    const answer = await api.call("POST", `/customers/${customerId}/users`, { email: "lic@acme.test", displayName: "Lic", roles: ["customer.user.uc"] });

    expect(answer.status).toBe(402);
  });

  test("C6: GIVEN a user already holding a licensed role WHEN its list is replaced keeping it, without accept-charges THEN 200", async () => {
    const { customerId } = await api.customerWithAdmin();
    const sup = await api.createUser(customerId, "sup@acme.test", ["customer.user.supervisorl1"]);

    const answer = await api.patchUser(customerId, sup, [{ op: "replace", path: "/roles", value: ["customer.user", "customer.user.supervisorl1", "recording.viewer"] }], false);

    expect(answer.status).toBe(200);
  });
});

describe("U10: synchronised roles", () => {
  async function adminAndPbxUser() {
    const { customerId, pbxUserId } = await pbxCustomer();
    await api.createUser(customerId, "admin@acme.test", ADMIN_ROLES);
    return { customerId, pbxUserId };
  }

  test("U10: GIVEN a PBX user WHEN its roles are replaced by a list without customer.user.pbx THEN it keeps customer.user.pbx", async () => {
    const { customerId, pbxUserId } = await adminAndPbxUser();

    await api.patchUser(customerId, pbxUserId, [{ op: "replace", path: "/roles", value: ["customer.user", "recording.viewer"] }]);

    expect(await api.roles(customerId, pbxUserId)).toEqual(["customer.user", "customer.user.pbx", "recording.viewer"]);
  });

  test("U10: GIVEN a PBX user WHEN customer.user.pbx is removed by index THEN 200 and the removal is ignored", async () => {
    const { customerId, pbxUserId } = await adminAndPbxUser();

    const answer = await api.patchUser(customerId, pbxUserId, [{ op: "remove", path: "/roles/0" }]);

    expect(answer.status).toBe(200);
    expect(await api.roles(customerId, pbxUserId)).toEqual(["customer.user.pbx"]);
  });

  test("U10: GIVEN a PBX user with portal roles WHEN they are removed by index THEN only those go", async () => {
    const { customerId, pbxUserId } = await adminAndPbxUser();
    await api.patchUser(customerId, pbxUserId, [{ op: "add", path: "/roles/-", value: "customer.user" }]);

    await api.patchUser(customerId, pbxUserId, [{ op: "remove", path: "/roles/1" }]);

    expect(await api.roles(customerId, pbxUserId)).toEqual(["customer.user.pbx"]);
  });
});

describe("U11: real-time add-on", () => {
  async function setup() {
    const { customerId, pbxUserId } = await pbxCustomer();
    await api.createUser(customerId, "admin@acme.test", ADMIN_ROLES);
    const sup = await api.createUser(customerId, "sup@acme.test", []);
    return { customerId, pbxUserId, sup };
  }

  test("U11: GIVEN PBX users WHEN the first supervisor level 4 is granted THEN every customer.user.pbx holder gets customer.user.pbx.realtime", async () => {
    const { customerId, pbxUserId, sup } = await setup();

    await api.patchUser(customerId, sup, [{ op: "add", path: "/roles/-", value: "customer.user.supervisorl4" }]);

    expect(await api.roles(customerId, pbxUserId)).toEqual(["customer.user.pbx", "customer.user.pbx.realtime"]);
    expect(await api.roles(customerId, sup)).toEqual(["customer.user", "customer.user.supervisorl4"]);
  });

  test("U11: GIVEN PBX users WHEN only a supervisor level 2 is granted THEN nobody gets the real-time add-on", async () => {
    const { customerId, pbxUserId, sup } = await setup();

    await api.patchUser(customerId, sup, [{ op: "add", path: "/roles/-", value: "customer.user.supervisorl2" }]);

    expect(await api.roles(customerId, pbxUserId)).toEqual(["customer.user.pbx"]);
  });

  test("U11: GIVEN the only level 3+ supervisor was deleted and the add-on removed WHEN a level 5 is granted THEN the PBX users get the add-on again", async () => {
    const { customerId, pbxUserId, sup } = await setup();
    const l3 = await api.createUser(customerId, "l3@acme.test", ["customer.user.supervisorl3"]);
    await api.patchUser(customerId, pbxUserId, [{ op: "replace", path: "/roles", value: [] }]);
    await api.call("DELETE", `/customers/${customerId}/users/${l3}`);

    await api.patchUser(customerId, sup, [{ op: "add", path: "/roles/-", value: "customer.user.supervisorl5" }]);

    expect(await api.roles(customerId, pbxUserId)).toEqual(["customer.user.pbx", "customer.user.pbx.realtime"]);
  });

  test("U11: GIVEN PBX users WHEN a user is created with supervisor level 3 THEN the PBX users get the real-time add-on", async () => {
    const { customerId, pbxUserId } = await setup();

    await api.createUser(customerId, "l3@acme.test", ["customer.user.supervisorl3"]);

    expect(await api.roles(customerId, pbxUserId)).toContain("customer.user.pbx.realtime");
  });
});

describe("user JSON Patch", () => {
  test("GIVEN a user WHEN displayName is replaced THEN 200 {status,timestamp} and the name changes", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.patchUser(customerId, adminId, [{ op: "replace", path: "/displayName", value: "Renamed" }]);
    const after = await api.call<{ data: { displayName: string } }>("GET", `/customers/${customerId}/users/${adminId}`);

    expect(answer.body).toEqual({ status: "success", timestamp: expect.any(String) });
    expect(after.body.data.displayName).toBe("Renamed");
  });

  test("GIVEN a patch on /email WHEN applied THEN 400 naming the path segment", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.patchUser(customerId, adminId, [{ op: "replace", path: "/email", value: "x@acme.test" }]);

    expect(answer.body.message).toBe("The target location specified by path segment 'email' was not found.");
  });

  test("GIVEN a patch whose second op is invalid WHEN applied THEN nothing of the first op is applied (atomic)", async () => {
    const { customerId } = await api.customerWithAdmin();
    const bob = await api.createUser(customerId, "bob@acme.test", []);

    const answer = await api.patchUser(customerId, bob, [
      { op: "replace", path: "/displayName", value: "Changed" },
      { op: "add", path: "/roles/-", value: "no.such.role" },
    ]);
    const after = await api.call<{ data: { displayName: string } }>("GET", `/customers/${customerId}/users/${bob}`);

    expect(answer.status).toBe(400);
    expect(after.body.data.displayName).toBe("bob");
  });

  test("GIVEN an index past the end WHEN removed THEN 400 ValidationFailed", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.patchUser(customerId, adminId, [{ op: "remove", path: "/roles/9" }]);

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });

  test("GIVEN a body that is not a JSON Patch array WHEN patched THEN 400 ValidationFailed", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answer = await api.call("PATCH", `/customers/${customerId}/users/${adminId}`, { displayName: "x" });

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });
});

describe("devices (§4)", () => {
  test("GIVEN a user with the UC client and softphone WHEN a device of the PBX is assigned THEN 201", async () => {
    await call(emulator, "PUT", "/_emulator/pbx/acct-u/users", [{ email: "desk@acme.test", displayName: "Desk", devices: ["dev-1"] }]);
    const { customerId } = await api.customerWithAdmin({ pbxConnectionProfile: KAZOO });
    const uc = await api.createUser(customerId, "uc@acme.test", ["customer.user.uc", "customer.user.uc.softphone"]);

    const answer = await api.call("POST", `/customers/${customerId}/users/${uc}/devices/pbx/dev-1/assign`, { clientType: "desktop" });
    const unassign = await api.call("PUT", `/customers/${customerId}/users/${uc}/devices/pbx/dev-1/unassign`, { clientType: "desktop" });

    expect([answer.status, unassign.status]).toEqual([201, 201]);
  });

  test("GIVEN a user without the softphone role WHEN a device is assigned THEN 400 RolePrerequisiteMissing", async () => {
    const { customerId } = await api.customerWithAdmin();
    const uc = await api.createUser(customerId, "uc@acme.test", ["customer.user.uc"]);

    const answer = await api.call("POST", `/customers/${customerId}/users/${uc}/devices/pbx/dev-1/assign`, { clientType: "desktop" });

    expect(answer.body.errorCode).toBe("RolePrerequisiteMissing");
  });

  test("GIVEN a clientType outside the enum WHEN a device is assigned THEN 400 ValidationFailed", async () => {
    const { customerId } = await api.customerWithAdmin();
    const uc = await api.createUser(customerId, "uc@acme.test", ["customer.user.uc", "customer.user.uc.softphone"]);

    const answer = await api.call("POST", `/customers/${customerId}/users/${uc}/devices/pbx/dev-1/assign`, { clientType: "fax" });

    expect(answer.body.errorCode).toBe("ValidationFailed");
  });
});

describe("U15: activation e-mails", () => {
  test("U15: GIVEN a user in its primary tenant WHEN the activation e-mail is sent THEN 204", async () => {
    const { customerId, adminId } = await api.customerWithAdmin();

    const answers = await Promise.all(["sendActivationEmail", "sendUConnectActivationEmail"].map((r) => api.call("POST", `/customers/${customerId}/users/${adminId}/${r}`)));

    expect(answers.map((a) => a.status)).toEqual([204, 204]);
  });

  test("U15: GIVEN a user whose primary tenant is another customer WHEN the activation e-mail is sent THEN 400 TenantNotPrimary", async () => {
    const { customerId } = await api.customerWithAdmin();
    const other = await api.createCustomer();
    const guest = await api.createUser(customerId, "guest@acme.test", []);
    await call(emulator, "PATCH", `/_emulator/customers/${customerId}/users/${guest}`, { primaryTenant: other });

    const answer = await api.call("POST", `/customers/${customerId}/users/${guest}/sendActivationEmail`);

    expect(answer.status).toBe(400);
    expect(answer.body.errorCode).toBe("TenantNotPrimary");
  });
});
