import { formatFailure } from "../../src/handler/report";
import { applyUser, releaseUser } from "../../src/handler/user";
import { ADMIN, customerPayload, FakeApi, makeDeps, manifestOf, REF, userPayload, failure } from "./fake-api";

/** A customer with a primary admin ana@ (declared primary in the manifest) and whatever else the test adds. */
function tenant() {
  const api = new FakeApi();
  const customer = api.addCustomer({ reference: REF, name: "Acme" });
  api.addUser(customer.id, "ana@acme.test", [...ADMIN]);
  const ana = userPayload("ana@acme.test", ADMIN, { i: { primary: true } });
  return { api, cid: customer.id, ana, customer: customerPayload() };
}

describe("user apply", () => {
  test("creates a missing user with its roles in one POST", async () => {
    const { api, cid, ana, customer } = tenant();
    const bruno = userPayload("bruno@acme.test", ["customer.user", "customer.user.supervisorl2", "recording.viewer"]);
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, bruno) });

    await applyUser(bruno, deps);

    expect(api.writes()).toEqual([`POST user bruno@acme.test ["customer.user","customer.user.supervisorl2","recording.viewer"]`]);
    expect(api.roles(cid, "bruno@acme.test")).toEqual(bruno.t.roles);
    expect(deps.out).toEqual([
      "dimensions: user bruno@acme.test (ACME-001): created with 3 roles [customer.user, customer.user.supervisorl2, recording.viewer] (2 requests)",
    ]);
  });

  test("U2: a user that already exists (409) is adopted and converged with one PATCH", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "Bruno@Acme.test", ["customer.user", "customer.user.supervisorl1", "customer.user.pbx"], "B.");
    const bruno = userPayload("bruno@acme.test", ["customer.user", "customer.user.supervisorl2"]);
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, bruno) });

    await applyUser(bruno, deps);

    expect(api.writes()).toEqual([
      `POST user bruno@acme.test ["customer.user","customer.user.supervisorl2"]`,
      `PATCH user Bruno@Acme.test [{"op":"replace","path":"/displayName","value":"bruno"},{"op":"replace","path":"/roles","value":["customer.user","customer.user.pbx","customer.user.supervisorl2"]}]`,
    ]);
    expect(api.roles(cid, "bruno@acme.test")).toEqual(["customer.user", "customer.user.pbx", "customer.user.supervisorl2"]);
    expect(deps.out[0]).toBe(
      "dimensions: user bruno@acme.test (ACME-001): adopted existing user: set displayName, roles +customer.user.supervisorl2 -customer.user.supervisorl1; holds 3 roles [customer.user, customer.user.pbx, customer.user.supervisorl2] (4 requests)",
    );
  });

  test("U13: exact convergence keeps server-managed and read-only roles it did not declare", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "rec@acme.test", ["customer.user.pbx", "customer.user.pbx.realtime", "customer.user.microsoftteams", "customer.device.admin"]);
    const rec = userPayload("rec@acme.test", ["customer.user", "customer.device.readonly"], { t: { displayName: undefined }, i: { origin: "adopted", removalPolicy: "revoke" } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, rec) });

    await applyUser(rec, deps);

    const patch = api.writes().filter((w) => w.startsWith("PATCH"));
    expect(patch).toEqual([
      `PATCH user rec@acme.test [{"op":"replace","path":"/roles","value":["customer.device.readonly","customer.user","customer.user.microsoftteams","customer.user.pbx","customer.user.pbx.realtime"]}]`,
    ]);
  });

  test("U13: no PATCH when the role set already matches, in any order, with server-managed extras", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "rec@acme.test", ["customer.device.readonly", "customer.user.pbx", "customer.user"]);
    const rec = userPayload("rec@acme.test", ["customer.user", "customer.device.readonly"], { t: { displayName: undefined }, i: { origin: "adopted" } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, rec) });
    await applyUser(rec, deps);
    expect(api.writes()).toEqual([]);
    expect(deps.out[0]).toMatch(/adopted: already as declared; holds 3 roles/);
  });

  test("an adopted user that does not exist fails with UserNotFound", async () => {
    const { api, ana, customer } = tenant();
    const ghost = userPayload("ghost@acme.test", ["customer.user"], { i: { origin: "adopted" } });
    const e = await failure(applyUser(ghost, makeDeps({ api, manifest: manifestOf(customer, ana, ghost) })));
    expect(formatFailure(e)[0]).toMatch(/^dimensions: UserNotFound: user ghost@acme.test \(ACME-001\): the adopted user does not exist/);
    expect(api.writes()).toEqual([]);
  });

  test("a user of a customer that does not exist fails with CustomerNotFound", async () => {
    const api = new FakeApi();
    const bruno = userPayload("bruno@acme.test", ["customer.user"]);
    const e = await failure(applyUser(bruno, makeDeps({ api })));
    expect(e.code).toBe("CustomerNotFound");
    expect(e.subject).toBe("user bruno@acme.test (ACME-001)");
  });

  test("additive apply adds the missing roles and never removes the user's other roles", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "lead@acme.test", ["customer.user.pbx", "customer.user", "customer.user.supervisorl1"]);
    const lead = userPayload("lead@acme.test", ["customer.user", "pbx.silentmonitor"], { t: { displayName: undefined }, i: { management: "additive", origin: "adopted", removalPolicy: "revoke", customerManaged: true } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, lead) });

    await applyUser(lead, deps);

    expect(api.writes()).toEqual([`PATCH user lead@acme.test [{"op":"add","path":"/roles/-","value":"pbx.silentmonitor"}]`]);
    expect(api.roles(cid, "lead@acme.test")).toEqual(["customer.user", "customer.user.pbx", "customer.user.supervisorl1", "pbx.silentmonitor"]);
    expect(deps.out[0]).toBe("dimensions: user lead@acme.test (ACME-001): added [pbx.silentmonitor] (3 requests)");
  });

  test("H1: an exact apply that takes admin from a user grants the new primary admin first", async () => {
    // GIVEN ana hands the primary admin role to bruno in one change
    const { api, cid, customer } = tenant();
    api.addUser(cid, "bruno@acme.test", ["customer.user"]);
    const anaNext = userPayload("ana@acme.test", ["customer.user", "customer.user.supervisorl1"]);
    const brunoNext = userPayload("bruno@acme.test", ADMIN, { i: { primary: true } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, anaNext, brunoNext) });

    // WHEN ana's new state applies before bruno's own resource ran
    await applyUser(anaNext, deps);

    // THEN bruno was made admin from the manifest first, without waiting, then ana lost admin
    expect(deps.clock.sleeps).toEqual([]);
    expect(api.roles(cid, "bruno@acme.test")).toEqual(ADMIN);
    expect(api.roles(cid, "ana@acme.test")).toEqual(["customer.user", "customer.user.supervisorl1"]);
    expect(deps.out[0]).toBe("dimensions: user ana@acme.test (ACME-001): granting the new primary admin bruno@acme.test first, so the customer always has an admin (H1, U4)");
  });

  test("U4: the server's LastUserAdministrator is reported as a coded line naming the user", async () => {
    const { api, customer } = tenant();
    // No successor in the manifest and nobody else is admin: the guard itself fails first.
    const anaNext = userPayload("ana@acme.test", ["customer.user"], { i: { primary: true } });
    const e = await failure(applyUser(anaNext, makeDeps({ api, manifest: manifestOf(customer, anaNext), adminWaitSeconds: 0 })));
    expect(formatFailure(e)[0]).toMatch(/^dimensions: \[H1\] LastAdminGuard: user ana@acme.test \(ACME-001\): removing this user's admin roles would leave customer ACME-001 without an admin/);

    // And when the server refuses (U4), its code is kept and explained.
    const api2 = new FakeApi();
    const c2 = api2.addCustomer({ reference: REF });
    api2.addUser(c2.id, "ana@acme.test", [...ADMIN]);
    api2.addUser(c2.id, "zed@acme.test", [...ADMIN]);
    const deps2 = makeDeps({ api: api2, manifest: manifestOf(customer, anaNext) });
    // zed stops being admin between the guard's look and the PATCH (a concurrent change).
    const realPatch = api2.patchUser.bind(api2);
    api2.patchUser = async (cid, uid, patch, options) => {
      api2.user(c2.id, "zed@acme.test")!.roles = ["customer.user"];
      return realPatch(cid, uid, patch, options);
    };
    const e2 = await failure(applyUser(anaNext, deps2));
    const lines = formatFailure(e2);
    expect(lines[0]).toMatch(/^dimensions: \[U4\] LastUserAdministrator: user ana@acme.test \(ACME-001\): changing user ana@acme.test refused: There must be at least one user administrator\. \(PATCH \/customers\/.+ → 400\)$/);
    expect(lines[1]).toMatch(/^dimensions: hint: /);
  });
});

describe("user release", () => {
  test("an exact user being replaced releases nothing: the successor sets exactly its roles", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "bruno@acme.test", ["customer.user", "customer.user.supervisorl2", "recording.viewer"]);
    const old = userPayload("bruno@acme.test", ["customer.user", "customer.user.supervisorl2", "recording.viewer"]);
    const next = userPayload("bruno@acme.test", ["customer.user", "customer.user.supervisorl1", "recording.viewer"]);
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, next) });

    await releaseUser(old, deps);

    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: user bruno@acme.test (ACME-001): replaced: nothing released, the new configuration sets the roles"]);
  });

  test("an additive user being replaced loses only old − new, never server-managed roles", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "lead@acme.test", ["customer.user", "customer.user.pbx", "pbx.silentmonitor", "pbx.agentcontrol", "recording.viewer"]);
    const additive = { management: "additive" as const, origin: "adopted" as const, removalPolicy: "revoke" as const };
    const old = userPayload("lead@acme.test", ["customer.user", "pbx.silentmonitor", "pbx.agentcontrol"], { t: { displayName: undefined }, i: additive });
    const next = userPayload("lead@acme.test", ["customer.user", "pbx.agentcontrol"], { t: { displayName: undefined }, i: additive });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, next) });

    await releaseUser(old, deps);

    expect(api.roles(cid, "lead@acme.test")).toEqual(["customer.user", "customer.user.pbx", "pbx.agentcontrol", "recording.viewer"]);
    expect(deps.out[0]).toBe("dimensions: user lead@acme.test (ACME-001): removed [pbx.silentmonitor] (no longer granted) (3 requests)");
  });

  test("retain: a full release only logs", async () => {
    const { api, ana, customer } = tenant();
    const bruno = userPayload("bruno@acme.test", ["customer.user"], { i: { removalPolicy: "retain" } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, bruno) });
    await releaseUser(bruno, deps);
    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: user bruno@acme.test (ACME-001): retained (removal policy retain)"]);
  });

  test("delete: a created user is deleted, and one already gone is done", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "bruno@acme.test", ["customer.user"]);
    const bruno = userPayload("bruno@acme.test", ["customer.user"]);
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, bruno) });
    await releaseUser(bruno, deps);
    expect(api.user(cid, "bruno@acme.test")).toBeUndefined();
    await releaseUser(bruno, deps);
    expect(deps.out).toEqual([
      "dimensions: user bruno@acme.test (ACME-001): deleted (removal policy delete) (3 requests)",
      "dimensions: user bruno@acme.test (ACME-001): already gone (2 requests)",
    ]);
  });

  test("U13: revoke of an exact user leaves it only its server-managed roles", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "rec@acme.test", ["customer.user", "customer.device.readonly", "customer.user.pbx", "customer.user.acd"]);
    const rec = userPayload("rec@acme.test", ["customer.user", "customer.device.readonly"], { i: { origin: "adopted", removalPolicy: "revoke" } });
    await releaseUser(rec, makeDeps({ api, manifest: manifestOf(customer, ana, rec) }));
    expect(api.roles(cid, "rec@acme.test")).toEqual(["customer.user.acd", "customer.user.pbx"]);
  });

  test("an adopted user is never deleted: delete acts as revoke", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "rec@acme.test", ["customer.user", "customer.device.readonly", "customer.user.pbx"]);
    const rec = userPayload("rec@acme.test", ["customer.user", "customer.device.readonly"], { i: { origin: "adopted", removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana, rec) });
    await releaseUser(rec, deps);
    expect(api.writes().some((w) => w.startsWith("DELETE"))).toBe(false);
    expect(api.roles(cid, "rec@acme.test")).toEqual(["customer.user.pbx"]);
    expect(deps.out[0]).toMatch(/removed \[customer.device.readonly, customer.user\] \(adopted users are never deleted\)/);
  });

  test("a user only referenced by a role assignment (additive) is never deleted", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "lead@acme.test", ["customer.user", "pbx.silentmonitor", "recording.viewer"]);
    const lead = userPayload("lead@acme.test", ["pbx.silentmonitor"], { i: { management: "additive", origin: "created", removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana) });
    await releaseUser(lead, deps);
    expect(api.roles(cid, "lead@acme.test")).toEqual(["customer.user", "recording.viewer"]);
    expect(deps.out[0]).toMatch(/removed \[pbx.silentmonitor\] \(referenced users are never deleted\)/);
  });

  test("additive revoke removes only the roles it granted", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "lead@acme.test", ["customer.user", "customer.user.pbx", "pbx.silentmonitor"]);
    const lead = userPayload("lead@acme.test", ["customer.user", "pbx.silentmonitor"], { i: { management: "additive", origin: "adopted", removalPolicy: "revoke" } });
    await releaseUser(lead, makeDeps({ api, manifest: manifestOf(customer, ana) }));
    expect(api.roles(cid, "lead@acme.test")).toEqual(["customer.user.pbx"]);
  });

  test("U7: additive revoke keeps a granted role that a role the user keeps requires", async () => {
    // GIVEN a user who also holds recording.viewer (it requires customer.user) from elsewhere
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "lead@acme.test", ["customer.user", "customer.user.pbx", "pbx.silentmonitor", "recording.viewer"]);
    const lead = userPayload("lead@acme.test", ["customer.user", "pbx.silentmonitor"], { i: { management: "additive", origin: "adopted", removalPolicy: "revoke" } });
    // WHEN the assignment that granted customer.user + pbx.silentmonitor is released
    await releaseUser(lead, makeDeps({ api, manifest: manifestOf(customer, ana) }));
    // THEN customer.user stays: recording.viewer still needs it
    expect(api.roles(cid, "lead@acme.test")).toEqual(["customer.user", "customer.user.pbx", "recording.viewer"]);
  });

  test("H1/U3: removing a role assignment from a portal admin never takes away its login or admin rights", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "lead@acme.test", ["customer.user", "user.admin", "customer.user.pbx", "pbx.silentmonitor"]);
    const lead = userPayload("lead@acme.test", ["customer.user", "pbx.silentmonitor"], { i: { management: "additive", origin: "adopted", removalPolicy: "revoke" } });
    await releaseUser(lead, makeDeps({ api, manifest: manifestOf(customer, ana) }));
    expect(api.roles(cid, "lead@acme.test")).toEqual(["customer.user", "customer.user.pbx", "user.admin"]);
  });

  test("a destroy after an unapplied change of the removal policy is still a destroy (terraform_data: input changes never replace)", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "bruno@acme.test", ["customer.user", "recording.viewer"]);
    const bruno = userPayload("bruno@acme.test", ["customer.user", "recording.viewer"], { i: { removalPolicy: "delete" } });
    const brunoInCode = userPayload("bruno@acme.test", ["customer.user", "recording.viewer"], { i: { removalPolicy: "revoke" } });
    await releaseUser(bruno, makeDeps({ api, manifest: manifestOf(customer, ana, brunoInCode) }));
    expect(api.user(cid, "bruno@acme.test")).toBeUndefined();
  });

  test("with null_resource, a change of the removal policy alone is a replacement: nothing is released", async () => {
    const { api, cid, ana, customer } = tenant();
    api.addUser(cid, "bruno@acme.test", ["customer.user", "recording.viewer"]);
    const bruno = userPayload("bruno@acme.test", ["customer.user", "recording.viewer"], { i: { removalPolicy: "delete" } });
    const brunoInCode = userPayload("bruno@acme.test", ["customer.user", "recording.viewer"], { i: { removalPolicy: "revoke" } });
    await releaseUser(bruno, { ...makeDeps({ api, manifest: manifestOf(customer, ana, brunoInCode) }), variant: "null_resource" });
    expect(api.roles(cid, "bruno@acme.test")).toEqual(["customer.user", "recording.viewer"]);
  });

  test("H1: keeps the primary admin when no successor is named, and still succeeds", async () => {
    const { api, cid, customer } = tenant();
    api.user(cid, "ana@acme.test")!.roles = [...ADMIN, "customer.user.supervisorl1"];
    const ana = userPayload("ana@acme.test", [...ADMIN, "customer.user.supervisorl1"], { i: { primary: true, removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, ana) });

    await releaseUser(ana, deps);

    expect(api.roles(cid, "ana@acme.test")).toEqual(["customer.user", "user.admin"]);
    expect(deps.out[0]).toBe(
      "dimensions: user ana@acme.test (ACME-001): primary admin kept (H1): name another primary admin in the same change to hand over; removed [customer.user.supervisorl1] (3 requests)",
    );
    expect(deps.clock.sleeps).toEqual([]);
  });

  test("H1: with another primary admin named and already admin, the old primary is released", async () => {
    const { api, cid, customer } = tenant();
    api.addUser(cid, "bruno@acme.test", [...ADMIN]);
    const anaOld = userPayload("ana@acme.test", ADMIN, { i: { primary: true, removalPolicy: "delete" } });
    const bruno = userPayload("bruno@acme.test", ADMIN, { i: { primary: true } });
    // ana left the code (absent from the manifest); bruno is the named primary
    await releaseUser(anaOld, makeDeps({ api, manifest: manifestOf(customer, bruno) }));
    expect(api.user(cid, "ana@acme.test")).toBeUndefined();
  });

  test("H1: the last-admin guard grants the named successor first, then releases", async () => {
    const { api, cid, customer } = tenant();
    api.addUser(cid, "bruno@acme.test", ["customer.user"]);
    const anaOld = userPayload("ana@acme.test", ADMIN, { i: { primary: true, removalPolicy: "delete" } });
    const bruno = userPayload("bruno@acme.test", ADMIN, { i: { primary: true } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, bruno) });

    await releaseUser(anaOld, deps);

    expect(deps.clock.sleeps).toEqual([]);
    expect(api.roles(cid, "bruno@acme.test")).toEqual(ADMIN);
    expect(api.user(cid, "ana@acme.test")).toBeUndefined();
  });

  test("H1: changing the primary admin's e-mail on the same construct converges (the new address is created first)", async () => {
    // GIVEN ana@ is the only admin and the code now names anna@ (same CustomerUser, new e-mail):
    // Terraform destroys the old object before it creates the new one
    const { api, cid, customer } = tenant();
    const anaOld = userPayload("ana@acme.test", ADMIN, { i: { primary: true, removalPolicy: "delete" } });
    const anna = userPayload("anna@acme.test", ADMIN, { i: { primary: true } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, anna) });

    // WHEN the old object is released
    await releaseUser(anaOld, deps);

    // THEN anna@ exists as admin and ana@ is gone, without waiting for a create that runs later
    expect(deps.clock.sleeps).toEqual([]);
    expect(api.roles(cid, "anna@acme.test")).toEqual(ADMIN);
    expect(api.user(cid, "ana@acme.test")).toBeUndefined();
  });

  test("H1: the last-admin guard times out with a clear coded error and removes nothing", async () => {
    // GIVEN the named successor cannot be granted now (adopted, but not in the tenant yet)
    const { api, cid, customer } = tenant();
    const anaOld = userPayload("ana@acme.test", ADMIN, { i: { primary: true, removalPolicy: "delete" } });
    const bruno = userPayload("bruno@acme.test", ADMIN, { i: { primary: true, origin: "adopted" } });
    const deps = makeDeps({ api, manifest: manifestOf(customer, bruno), adminWaitSeconds: 10 });

    const e = await failure(releaseUser(anaOld, deps));

    expect(deps.clock.sleeps).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(formatFailure(e)).toEqual([
      "dimensions: [H1] LastAdminGuard: user ana@acme.test (ACME-001): removing this user's admin roles would leave customer ACME-001 without an admin: no other user holds user.admin + customer.user (waited 10s for bruno@acme.test)",
      "dimensions: hint: grant user.admin + customer.user to another user and name it primary admin in the same change, or keep this user's admin roles",
    ]);
    expect(api.roles(cid, "ana@acme.test")).toEqual(ADMIN);
  });

  test("H1: an admin the code does not declare also counts as another admin", async () => {
    const { api, cid, customer } = tenant();
    api.addUser(cid, "portal-admin@acme.test", [...ADMIN]);
    const zed = userPayload("zed@acme.test", ADMIN, { i: { removalPolicy: "delete" } });
    api.addUser(cid, "zed@acme.test", [...ADMIN]);
    const deps = makeDeps({ api, manifest: manifestOf(customer) });
    await releaseUser(zed, deps);
    expect(api.user(cid, "zed@acme.test")).toBeUndefined();
    expect(deps.clock.sleeps).toEqual([]);
  });

  test("a user whose owned customer left the code is skipped: the customer's policy decides", async () => {
    const { api, ana } = tenant();
    const bruno = userPayload("bruno@acme.test", ["customer.user"]);
    const deps = makeDeps({ api, manifest: manifestOf(ana) });
    await releaseUser(bruno, deps);
    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: user bruno@acme.test (ACME-001): skipped: customer ACME-001 left the code, so its removal policy decides what happens to its users"]);
  });
});
