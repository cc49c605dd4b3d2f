/**
 * The tenant resource (src/handler/tenant.ts → executor.ts) against an in-memory API:
 * - apply converges the customer (C2–C6) and every declared user (U2, U5, U13), removing nobody;
 * - release with a changed desired state (a replacement) reconciles old → new in one run, in the
 *   reconcile layer's order (H1, U4), by each leaving user's removal policy (H7, U7, U13), and
 *   leaves a "reconciled" marker so the apply after it sends nothing;
 * - release with the same desired state (`-replace`, taint, destroy) sends nothing and leaves an
 *   "identical" marker; the apply after it converges without removing anyone.
 */
import { PROGRESS_EVERY_MS } from "../../src/handler/executor";
import { applyTenant, MARKER_MAX_AGE_MS, releaseTenant } from "../../src/handler/tenant";
import { canonicalDigest } from "../../src/handler/context";
import { formatFailure } from "../../src/handler/report";
import type { TenantPayload, UserEntry } from "../../src/contracts/handler";
import {
  ADMIN,
  ANA,
  anaEntry,
  entry,
  failure,
  FakeApi,
  FakeApiError,
  makeDeps,
  manifestOf,
  PBX_ENV,
  PBX_KEY,
  REF,
  referencedTenant,
  seedAcme,
  SETTINGS,
  tenantPayload,
  type TestDeps,
} from "./fake-api";

const CU = "customer.user";
const PBX = "customer.user.pbx";
const UK_ESSENTIAL = "customer.user.uc.essential";
const KEY = `customer:${REF}`;

/** Deps whose manifest holds `payload`: what the configuration being applied declares. */
function depsFor(api: FakeApi, payload: TenantPayload, options: Parameters<typeof makeDeps>[0] = {}): TestDeps {
  return makeDeps({ api, manifest: manifestOf(payload), ...options });
}

/** A replacement: the old resource's release, with the manifest holding the new desired state. */
async function replace(api: FakeApi, old: TenantPayload, next: TenantPayload, options: Parameters<typeof makeDeps>[0] = {}): Promise<TestDeps> {
  const deps = depsFor(api, next, options);
  await releaseTenant(old, deps);
  return deps;
}

function users(extra: Record<string, UserEntry>): Record<string, UserEntry> {
  return { ...anaEntry(), ...extra };
}

describe("user apply", () => {
  test("U2 (compliant): GIVEN a user missing from the customer WHEN applied THEN it is created with its roles in one POST, nothing to adopt", async () => {
    const { api, cid } = seedAcme();
    const payload = tenantPayload(users({ "bruno@acme.test": entry([CU, "customer.user.supervisorl2", "recording.viewer"], { displayName: "Bruno" }) }));
    const deps = depsFor(api, payload);

    await applyTenant(payload, deps);

    expect(api.writes()).toEqual([`POST user bruno@acme.test ["customer.user","customer.user.supervisorl2","recording.viewer"]`]);
    expect(api.roles(cid, "bruno@acme.test")).toEqual([CU, "customer.user.supervisorl2", "recording.viewer"]);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: user bruno@acme\.test \(ACME-001\): created with 3 roles \[customer\.user, customer\.user\.supervisorl2, recording\.viewer\]$/));
  });

  test("U2: GIVEN a user that exists already, under another case of its e-mail WHEN applied THEN it is adopted and converged with one PATCH, no POST", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "Bruno@Acme.test", [CU, "customer.user.supervisorl1", PBX], "B.");
    const payload = tenantPayload(users({ "bruno@acme.test": entry([CU, "customer.user.supervisorl2"], { displayName: "Bruno" }) }));

    await applyTenant(payload, depsFor(api, payload));

    expect(api.writes()).toEqual([
      `PATCH user Bruno@Acme.test [{"op":"replace","path":"/displayName","value":"Bruno"},{"op":"replace","path":"/roles","value":["customer.user","customer.user.pbx","customer.user.supervisorl2"]}]`,
    ]);
    expect(api.roles(cid, "bruno@acme.test")).toEqual([CU, PBX, "customer.user.supervisorl2"]);
  });

  test("U2: GIVEN a user that appears after the listing WHEN its create answers 409 THEN it is adopted with one PATCH", async () => {
    const { api, cid } = seedAcme();
    const list = api.listUsers.bind(api);
    api.listUsers = async (customerId) => {
      const listed = await list(customerId);
      api.addUser(cid, "bruno@acme.test", [CU, PBX, "customer.user.supervisorl1"], "bruno");
      return listed;
    };
    const payload = tenantPayload(users({ "bruno@acme.test": entry([CU, "customer.user.supervisorl2"], { displayName: "bruno" }) }));
    const deps = depsFor(api, payload);

    await applyTenant(payload, deps);

    expect(api.writes()).toEqual([
      `POST user bruno@acme.test ["customer.user","customer.user.supervisorl2"]`,
      `PATCH user bruno@acme.test [{"op":"replace","path":"/roles","value":["customer.user","customer.user.pbx","customer.user.supervisorl2"]}]`,
    ]);
    expect(deps.out).toContainEqual(expect.stringMatching(/user bruno@acme\.test \(ACME-001\): adopted existing user: roles \+customer\.user\.supervisorl2 -customer\.user\.supervisorl1$/));
  });

  test("U13: GIVEN a user holding server-managed and read-only roles WHEN converged exactly THEN they stay in its one PATCH", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "rec@acme.test", [PBX, "customer.user.pbx.realtime", "customer.user.microsoftteams", "customer.device.admin"]);
    const payload = tenantPayload(users({ "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted" }) }));

    await applyTenant(payload, depsFor(api, payload));

    expect(api.writes()).toEqual([
      `PATCH user rec@acme.test [{"op":"replace","path":"/roles","value":["customer.device.readonly","customer.user","customer.user.microsoftteams","customer.user.pbx","customer.user.pbx.realtime"]}]`,
    ]);
  });

  test("U13: GIVEN the role set already matches, in another order and with server-managed extras WHEN applied THEN no PATCH", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "rec@acme.test", ["customer.device.readonly", PBX, CU]);
    const payload = tenantPayload(users({ "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted" }) }));
    const deps = depsFor(api, payload);

    await applyTenant(payload, deps);

    expect(api.writes()).toEqual([]);
    expect(deps.out.at(-1)).toMatch(/^dimensions: customer ACME-001: 0 user changes applied, 2 already as declared, in [\d.]+ s \(\d+ requests\)$/);
  });

  test("GIVEN an adopted user that does not exist WHEN applied THEN a coded UserNotFound line names it, and the run fails with TenantIncomplete", async () => {
    const { api } = seedAcme();
    const payload = tenantPayload(users({ "ghost@acme.test": entry([CU], { origin: "adopted" }) }));
    const deps = depsFor(api, payload);

    const e = await failure(applyTenant(payload, deps));

    expect(e.code).toBe("TenantIncomplete");
    expect(api.writes()).toEqual([]);
    expect(deps.out).toContainEqual(expect.stringMatching(/UserNotFound: user ghost@acme\.test \(ACME-001\): the adopted user does not exist/));
  });

  test("GIVEN a referenced customer that does not exist WHEN applied THEN CustomerNotFound names it and nothing is written", async () => {
    const api = new FakeApi();
    const payload = referencedTenant({ "lead@acme.test": entry(["pbx.silentmonitor"], { management: "additive", origin: "adopted" }) });

    const e = await failure(applyTenant(payload, depsFor(api, payload)));

    expect(formatFailure(e)[0]).toMatch(/^dimensions: CustomerNotFound: customer ACME-001: customer ACME-001 does not exist$/);
    expect(api.writes()).toEqual([]);
  });

  test("GIVEN an additive user WHEN applied THEN its missing roles are added and none of its other roles is removed", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "lead@acme.test", [PBX, CU, "customer.user.supervisorl1"]);
    const payload = referencedTenant({ "lead@acme.test": entry([CU, "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) });

    await applyTenant(payload, depsFor(api, payload));

    expect(api.writes()).toEqual([`PATCH user lead@acme.test [{"op":"add","path":"/roles/-","value":"pbx.silentmonitor"}]`]);
    expect(api.roles(cid, "lead@acme.test")).toEqual([CU, PBX, "customer.user.supervisorl1", "pbx.silentmonitor"]);
  });

  test("U5: GIVEN a new customer WHEN applied THEN the primary admin is created before any other user", async () => {
    const api = new FakeApi();
    const payload = tenantPayload({
      "amy@acme.test": entry([CU, "recording.viewer"], { displayName: "Amy" }),
      "zoe@acme.test": entry(ADMIN, { primary: true, displayName: "Zoe" }),
      "carl@acme.test": entry(ADMIN, { displayName: "Carl" }),
    });

    await applyTenant(payload, depsFor(api, payload));

    expect(api.writes().map((w) => w.split(" [")[0])).toEqual(["POST customer ACME-001", "POST user zoe@acme.test", "POST user carl@acme.test", "POST user amy@acme.test"]);
  });

  test("U8: GIVEN a user whose create is refused WHEN applied THEN the other users still converge and the refusal is one coded line", async () => {
    const { api, cid } = seedAcme();
    const create = api.createUser.bind(api);
    api.createUser = async (customerId, body, options) => {
      if (body.email === "bad@acme.test") throw new FakeApiError(400, "SupervisorLevelConflict", "A user can hold only one supervisor role.", "POST", `/customers/${customerId}/users`);
      return create(customerId, body, options);
    };
    const payload = tenantPayload(users({ "bad@acme.test": entry([CU, "customer.user.supervisorl1"], { displayName: "Bad" }), "good@acme.test": entry([CU], { displayName: "Good" }) }));
    const deps = depsFor(api, payload);

    const e = await failure(applyTenant(payload, deps));

    expect(e.code).toBe("TenantIncomplete");
    expect(api.roles(cid, "good@acme.test")).toEqual([CU]);
    expect(deps.out.filter((l) => / FAILED: /.test(l))).toEqual([
      expect.stringMatching(/^dimensions: user bad@acme\.test \(ACME-001\): FAILED: SupervisorLevelConflict \[U8\]: user bad@acme\.test \(ACME-001\): creating user bad@acme\.test refused: A user can hold only one supervisor role\. \(POST .+ → 400\)$/),
    ]);
  });

  test("U4: GIVEN another admin loses admin between the guard's look and the removal WHEN released THEN the server's LastUserAdministrator is one coded line naming the user", async () => {
    // GIVEN ana is released, bruno is the named primary, and bruno loses admin concurrently
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [...ADMIN]);
    const old = tenantPayload(users({ "bruno@acme.test": entry(ADMIN, { displayName: "bruno" }) }));
    const next = tenantPayload({ "bruno@acme.test": entry(ADMIN, { primary: true, displayName: "bruno" }) });
    const remove = api.deleteUser.bind(api);
    api.deleteUser = async (customerId, userId) => {
      api.user(cid, "bruno@acme.test")!.roles = [CU];
      return remove(customerId, userId);
    };

    // WHEN
    const deps = depsFor(api, next);
    const e = await failure(releaseTenant(old, deps));

    // THEN
    expect(e.code).toBe("TenantIncomplete");
    expect(api.roles(cid, ANA)).toEqual(ADMIN);
    expect(deps.out).toContainEqual(
      expect.stringMatching(/^dimensions: user ana@acme\.test \(ACME-001\): FAILED: LastUserAdministrator \[U4\]: user ana@acme\.test \(ACME-001\): deleting user ana@acme\.test refused: There must be at least one user administrator\. \(DELETE \/customers\/.+ → 400\)$/),
    );
  });

  test("H8: GIVEN an authoritative customer WHEN applied THEN an undeclared user loses every role the app can remove and is not deleted", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "portal@acme.test", [CU, "recording.viewer", PBX]);
    const payload = tenantPayload(anaEntry(), { authoritative: true });

    await applyTenant(payload, depsFor(api, payload));

    expect(api.writes()).toEqual([`PATCH user portal@acme.test [{"op":"replace","path":"/roles","value":["customer.user.pbx"]}]`]);
  });

  test("H8: GIVEN a customer that is not authoritative WHEN applied THEN an undeclared user is neither read nor written", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "portal@acme.test", [CU, "recording.viewer"]);
    const payload = tenantPayload(anaEntry());

    await applyTenant(payload, depsFor(api, payload));

    expect(api.calls.filter((c) => c.includes("portal@"))).toEqual([]);
  });
});

describe("customer", () => {
  test("C2: GIVEN a customer with the reference made by hand WHEN applied THEN it is adopted and only the differing fields are patched", async () => {
    const api = new FakeApi();
    const existing = api.addCustomer({ reference: REF, name: "Made by hand", description: "Acme Corporation", enabled: true });
    api.addUser(existing.id, ANA, [...ADMIN], "Ana");
    const payload = tenantPayload(anaEntry());
    const deps = depsFor(api, payload);

    await applyTenant(payload, deps);

    expect(api.customers.size).toBe(1);
    expect(api.writes()).toEqual([`PATCH customer ${existing.id} [{"op":"replace","path":"/name","value":"Acme"},{"op":"replace","path":"/timezone","value":"Europe/London"}]`]);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: warning: customer ACME-001: the existing customer has no PBX connection/));
    expect(deps.out).toContainEqual(`dimensions: customer ACME-001: set name, timezone of customer ${existing.id}`);
  });

  test("C2: GIVEN a customer already as declared WHEN applied THEN no PATCH", async () => {
    const { api } = seedAcme();
    const payload = tenantPayload(anaEntry());
    await applyTenant(payload, depsFor(api, payload));
    expect(api.writes()).toEqual([]);
  });

  test("C2: GIVEN two customers with the reference WHEN applied THEN DuplicateReference, and nothing is written", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF });
    api.addCustomer({ reference: REF });
    const payload = tenantPayload(anaEntry());

    const e = await failure(applyTenant(payload, depsFor(api, payload)));

    expect(formatFailure(e)[0]).toMatch(/^dimensions: DuplicateReference \[C2\]: customer ACME-001: 2 customers have the reference "ACME-001"/);
    expect(api.writes()).toEqual([]);
  });

  test("C4: GIVEN no customer WHEN applied THEN it is created with the apiKey read from the named variable, and the key is never printed", async () => {
    const api = new FakeApi();
    const payload = tenantPayload(anaEntry());
    const deps = depsFor(api, payload);

    await applyTenant(payload, deps);

    expect(api.createdCustomerBodies).toEqual([expect.objectContaining({ reference: REF, name: "Acme", pbxConnectionProfile: expect.objectContaining({ accountId: "acme-pbx", apiKey: PBX_KEY }) })]);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: customer ACME-001: created customer [0-9a-f-]+ "Acme" with PBX account acme-pbx \(2 requests\)$/));
    expect([...deps.out, ...deps.err].join("\n")).not.toContain(PBX_KEY);
  });

  test("C4: GIVEN the API echoes the apiKey in its refusal WHEN the failure is printed THEN the key is masked", async () => {
    const api = new FakeApi();
    api.createCustomer = async () => {
      throw new FakeApiError(400, "ValidationFailed", `apiKey '${PBX_KEY}' is not valid for account acme-pbx`, "POST", "/customers");
    };
    const payload = tenantPayload(anaEntry());
    const deps = depsFor(api, payload);

    deps.report.fail(await failure(applyTenant(payload, deps)));

    expect(deps.err[0]).toMatch(/^dimensions: ValidationFailed: customer ACME-001: creating or updating customer ACME-001 refused: apiKey '\*\*\*' is not valid/);
    expect(deps.err.join("\n")).not.toContain(PBX_KEY);
  });

  test("C4: GIVEN the apiKey variable is empty WHEN applied THEN PbxApiKeyMissing names the variable, before any POST", async () => {
    const api = new FakeApi();
    const payload = tenantPayload(anaEntry());

    const e = await failure(applyTenant(payload, depsFor(api, payload, { env: { [PBX_ENV]: "" } })));

    expect(e).toMatchObject({ code: "PbxApiKeyMissing", rule: "C4" });
    expect(e.message).toContain(PBX_ENV);
    expect(e.hint).toContain(`export ${PBX_ENV}`);
    expect(api.writes()).toEqual([]);
  });

  test("C6: GIVEN the stack did not accept charges WHEN the create answers 402 THEN one coded ChargesNotAccepted line with its hint", async () => {
    const api = new FakeApi();
    const payload = tenantPayload(anaEntry(), { i: { settings: { region: "eu", acceptCharges: false } } });
    const deps = depsFor(api, payload);

    deps.report.fail(await failure(applyTenant(payload, deps)));

    expect(deps.err).toEqual([
      "dimensions: ChargesNotAccepted [C6]: customer ACME-001: creating or updating customer ACME-001 costs money and the stack has not accepted charges (POST /customers → 402)",
      "dimensions: hint: set acceptCharges: true on the DimensionsStack (it is visible in code review) to allow changes that cost money",
    ]);
  });

  test("C3: GIVEN a customer connected to another PBX account WHEN applied THEN PbxAccountMismatch says the API cannot change it, and nothing is written", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF, name: "Acme", pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", accountId: "other-pbx" } });
    const payload = tenantPayload(anaEntry());

    const e = await failure(applyTenant(payload, depsFor(api, payload)));

    expect(e).toMatchObject({ code: "PbxAccountMismatch", rule: "C3" });
    expect(e.message).toContain('"other-pbx"');
    expect(e.message).toContain("cannot change a customer's PBX");
    expect(api.writes()).toEqual([]);
  });
});

describe("user release (a replacement reconciles old → new)", () => {
  test("GIVEN an exact user's roles change WHEN the replacement is released THEN one PATCH sets the new full list: no kept role is ever missing", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU, "customer.user.supervisorl2", "recording.viewer"]);
    const old = tenantPayload(users({ "bruno@acme.test": entry([CU, "customer.user.supervisorl2", "recording.viewer"], { displayName: "bruno" }) }));
    const next = tenantPayload(users({ "bruno@acme.test": entry([CU, "customer.user.supervisorl1", "recording.viewer"], { displayName: "bruno" }) }));

    await replace(api, old, next);

    expect(api.writes()).toEqual([`PATCH user bruno@acme.test [{"op":"replace","path":"/roles","value":["customer.user","customer.user.supervisorl1","recording.viewer"]}]`]);
  });

  test("GIVEN an additive grant shrinks WHEN released THEN the user loses only old − new, never a server-managed role", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "lead@acme.test", [CU, PBX, "pbx.silentmonitor", "pbx.agentcontrol", "recording.viewer"]);
    const additive = { management: "additive" as const, origin: "adopted" as const };
    const old = referencedTenant({ "lead@acme.test": entry([CU, "pbx.silentmonitor", "pbx.agentcontrol"], additive) });
    const next = referencedTenant({ "lead@acme.test": entry([CU, "pbx.agentcontrol"], additive) });

    await replace(api, old, next);

    expect(api.roles(cid, "lead@acme.test")).toEqual([CU, PBX, "pbx.agentcontrol", "recording.viewer"]);
  });

  test("GIVEN a user with removal retain leaves the code WHEN released THEN it is only logged", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const old = tenantPayload(users({ "bruno@acme.test": entry([CU], { displayName: "bruno", removal: "retain" }) }));
    const deps = await replace(api, old, tenantPayload(anaEntry()));

    expect(api.writes()).toEqual([]);
    expect(api.calls.filter((c) => c.includes("bruno@"))).toEqual([]);
    expect(deps.out).toContainEqual("dimensions: user bruno@acme.test (ACME-001): removed from the code: retained (removal policy retain)");
  });

  test("GIVEN a created user leaves the code WHEN released THEN it is deleted (removal policy delete)", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const old = tenantPayload(users({ "bruno@acme.test": entry([CU], { displayName: "bruno" }) }));

    const deps = await replace(api, old, tenantPayload(anaEntry()));

    expect(api.writes()).toEqual(["DELETE user bruno@acme.test"]);
    expect(deps.out).toContainEqual("dimensions: user bruno@acme.test (ACME-001): deleted (removal policy delete)");
  });

  test("GIVEN a created user that left the code is already gone WHEN released THEN nothing is sent and it is done", async () => {
    const { api } = seedAcme();
    const old = tenantPayload(users({ "bruno@acme.test": entry([CU], { displayName: "bruno" }) }));

    const deps = await replace(api, old, tenantPayload(anaEntry()));

    expect(api.writes()).toEqual([]);
    expect(deps.out).toContainEqual("dimensions: user bruno@acme.test (ACME-001): removed from the code: already gone");
  });

  test("GIVEN a created user deleted by someone else between the listing and the DELETE WHEN released THEN it is done", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const remove = api.deleteUser.bind(api);
    api.deleteUser = async (customerId, userId) => {
      await remove(customerId, userId);
      return remove(customerId, userId);
    };
    const old = tenantPayload(users({ "bruno@acme.test": entry([CU], { displayName: "bruno" }) }));

    const deps = await replace(api, old, tenantPayload(anaEntry()));

    expect(deps.out).toContainEqual("dimensions: user bruno@acme.test (ACME-001): already gone");
  });

  test("U13: GIVEN an exact user with removal revoke leaves WHEN released THEN it keeps only its server-managed roles", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "rec@acme.test", [CU, "customer.device.readonly", PBX, "customer.user.acd"]);
    const old = tenantPayload(users({ "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted", removal: "revoke" }) }));

    await replace(api, old, tenantPayload(anaEntry()));

    expect(api.roles(cid, "rec@acme.test")).toEqual(["customer.user.acd", PBX]);
  });

  test("GIVEN an adopted user with removal delete leaves WHEN released THEN it is never deleted: delete acts as revoke", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "rec@acme.test", [CU, "customer.device.readonly"]);
    const old = tenantPayload(users({ "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted", removal: "delete" }) }));

    await replace(api, old, tenantPayload(anaEntry()));

    expect(api.writes()).toEqual([`PATCH user rec@acme.test [{"op":"replace","path":"/roles","value":[]}]`]);
    expect(api.user(cid, "rec@acme.test")).toBeDefined();
  });

  test("GIVEN a referenced (additive) user with removal delete leaves WHEN released THEN it is never deleted, only its granted roles go", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "lead@acme.test", [CU, "pbx.silentmonitor", "recording.viewer"]);
    const old = referencedTenant({ "lead@acme.test": entry(["pbx.silentmonitor"], { management: "additive", removal: "delete" }) });

    await replace(api, old, referencedTenant({}));

    expect(api.writes().filter((w) => w.startsWith("DELETE"))).toEqual([]);
    expect(api.roles(cid, "lead@acme.test")).toEqual([CU, "recording.viewer"]);
  });

  test("GIVEN an additive grant leaves WHEN released THEN only the roles it granted are removed", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "lead@acme.test", [CU, PBX, "pbx.silentmonitor"]);
    const old = referencedTenant({ "lead@acme.test": entry([CU, "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) });

    await replace(api, old, referencedTenant({}));

    expect(api.roles(cid, "lead@acme.test")).toEqual([PBX]);
  });

  test("U7: GIVEN an additive grant of customer.user leaves while the user keeps recording.viewer WHEN released THEN customer.user stays", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "lead@acme.test", [CU, PBX, "pbx.silentmonitor", "recording.viewer"]);
    const old = referencedTenant({ "lead@acme.test": entry([CU, "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) });

    await replace(api, old, referencedTenant({}));

    expect(api.roles(cid, "lead@acme.test")).toEqual([CU, PBX, "recording.viewer"]);
  });

  test("H1/U3: GIVEN a role assignment to a portal admin leaves WHEN released THEN it never takes away its login or admin rights", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "lead@acme.test", [CU, "user.admin", PBX, "pbx.silentmonitor"]);
    const old = referencedTenant({ "lead@acme.test": entry([CU, "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) });

    await replace(api, old, referencedTenant({}));

    expect(api.roles(cid, "lead@acme.test")).toEqual([CU, PBX, "user.admin"]);
  });

  test("H7: GIVEN a created user on the PBX leaves the code WHEN released THEN it is revoked, never deleted", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "rec@acme.test", [CU, "recording.viewer", PBX]);
    const old = tenantPayload(users({ "rec@acme.test": entry([CU, "recording.viewer"], { displayName: "rec" }) }));

    const deps = await replace(api, old, tenantPayload(anaEntry()));

    expect(api.writes()).toEqual([`PATCH user rec@acme.test [{"op":"replace","path":"/roles","value":["customer.user.pbx"]}]`]);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: user rec@acme\.test \(ACME-001\): on the PBX, so it is never deleted \(H7\)/));
  });

  test("H7: GIVEN a UK stack whose created user holds customer.user.uc.essential (on the UK PBX) WHEN it leaves the code THEN it is revoked, never deleted", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "rec@acme.test", [CU, "recording.viewer", UK_ESSENTIAL]);
    const uk = { settings: { acceptCharges: true, region: "uk" as const } };
    const old = tenantPayload(users({ "rec@acme.test": entry([CU, "recording.viewer"], { displayName: "rec" }) }), { i: uk });

    const deps = await replace(api, old, tenantPayload(anaEntry(), { i: uk }));

    expect(api.writes()).toEqual([`PATCH user rec@acme.test [{"op":"replace","path":"/roles","value":["customer.user.uc.essential"]}]`]);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: user rec@acme\.test \(ACME-001\): on the PBX, so it is never deleted \(H7\)/));
  });

  test("H7: GIVEN a UK stack whose created user is not on the PBX WHEN it leaves the code THEN it is deleted", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU, "recording.viewer"]);
    const uk = { settings: { acceptCharges: true, region: "uk" as const } };
    const old = tenantPayload(users({ "bruno@acme.test": entry([CU, "recording.viewer"], { displayName: "bruno" }) }), { i: uk });

    await replace(api, old, tenantPayload(anaEntry(), { i: uk }));

    expect(api.writes()).toEqual(["DELETE user bruno@acme.test"]);
  });

  test("H1: GIVEN the primary admin leaves the code and no successor is named WHEN released THEN it keeps its admin roles, loses the others, and the run succeeds", async () => {
    const { api, cid } = seedAcme();
    api.user(cid, ANA)!.roles = [...ADMIN, "customer.user.supervisorl1"];
    api.addUser(cid, "bruno@acme.test", [CU]);
    const bruno = { "bruno@acme.test": entry([CU], { displayName: "bruno" }) };
    const old = tenantPayload({ [ANA]: entry([...ADMIN, "customer.user.supervisorl1"], { primary: true, displayName: "Ana" }), ...bruno });

    const deps = await replace(api, old, tenantPayload(bruno));

    expect(api.roles(cid, ANA)).toEqual(ADMIN);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: user ana@acme\.test \(ACME-001\): primary admin kept \(H1\)/));
  });

  test("H1: GIVEN another primary admin is named and already admin WHEN the old primary is released THEN the old primary is deleted", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [...ADMIN]);
    const old = tenantPayload(users({ "bruno@acme.test": entry(ADMIN, { displayName: "bruno" }) }));
    const next = tenantPayload({ "bruno@acme.test": entry(ADMIN, { primary: true, displayName: "bruno" }) });

    await replace(api, old, next);

    expect(api.user(cid, ANA)).toBeUndefined();
    expect(api.roles(cid, "bruno@acme.test")).toEqual(ADMIN);
  });

  test("H1: GIVEN the primary admin is handed over in one change WHEN released THEN the new primary is granted first, checked live, and only then the old one revoked", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const old = tenantPayload(users({ "bruno@acme.test": entry([CU], { displayName: "bruno" }) }));
    const next = tenantPayload({
      [ANA]: entry([CU, "customer.user.supervisorl1"], { displayName: "Ana" }),
      "bruno@acme.test": entry(ADMIN, { primary: true, displayName: "bruno" }),
    });

    await replace(api, old, next);

    expect(api.calls.slice(-3)).toEqual([
      `PATCH user bruno@acme.test [{"op":"replace","path":"/roles","value":["customer.user","user.admin"]}]`,
      "GET user bruno@acme.test",
      `PATCH user ana@acme.test [{"op":"replace","path":"/roles","value":["customer.user","customer.user.supervisorl1"]}]`,
    ]);
    expect(api.roles(cid, ANA)).toEqual([CU, "customer.user.supervisorl1"]);
  });

  test("H1: GIVEN no declared admin is admin on the live customer WHEN an admin is released THEN LastAdminGuard keeps it and the run fails", async () => {
    // GIVEN bruno is the declared primary, but someone took his admin roles in the portal
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const bruno = { "bruno@acme.test": entry(ADMIN, { primary: true, displayName: "bruno" }) };
    const old = tenantPayload({ [ANA]: entry(ADMIN, { displayName: "Ana" }), ...bruno });

    // WHEN ana leaves the code
    const deps = depsFor(api, tenantPayload(bruno));
    const e = await failure(releaseTenant(old, deps));

    // THEN
    expect(e.code).toBe("TenantIncomplete");
    expect(api.roles(cid, ANA)).toEqual(ADMIN);
    expect(api.writes()).toEqual([]);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: user ana@acme\.test \(ACME-001\): FAILED: LastAdminGuard \[H1\]: user ana@acme\.test \(ACME-001\): removing this user's admin roles would leave customer ACME-001 without an admin/));
    expect(deps.markers.read(KEY)).toBeUndefined();
  });

  test("H1: GIVEN the new primary's grant fails WHEN the old primary is released THEN LastAdminGuard keeps the old one", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const patch = api.patchUser.bind(api);
    api.patchUser = async (customerId, userId, ops, options) => {
      if (api.users.get(customerId)?.get(userId)?.email === "bruno@acme.test") throw new FakeApiError(503, "", "Service Unavailable", "PATCH", `/customers/${customerId}/users/${userId}`);
      return patch(customerId, userId, ops, options);
    };
    const old = tenantPayload(anaEntry());
    const next = tenantPayload({ "bruno@acme.test": entry(ADMIN, { primary: true, displayName: "bruno" }) });

    const deps = depsFor(api, next);
    await failure(releaseTenant(old, deps));

    expect(api.roles(cid, ANA)).toEqual(ADMIN);
    expect(deps.out.filter((l) => / FAILED: /.test(l)).map((l) => l.replace(/^.*FAILED: /, "").split(":")[0])).toEqual(["Http503", "LastAdminGuard [H1]"]);
  });
});

describe("markers: what a release tells the apply after it", () => {
  const before = users({ "bruno@acme.test": entry([CU], { displayName: "bruno" }) });
  const after = users({ "bruno@acme.test": entry([CU, "recording.viewer"], { displayName: "bruno" }) });

  test("GIVEN the manifest's digest of the new state WHEN a replacement's release reconciled THEN it leaves the done file the create's shell test looks for; an identical release leaves none", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const next = tenantPayload(after);
    const deps = depsFor(api, next);
    const manifest = { ...deps.manifest, digests: { [KEY]: "0123456789abcdef0123456789abcdef" } };
    await releaseTenant(tenantPayload(before), { ...deps, manifest });
    expect(deps.markers.done.get(KEY)).toBe("0123456789abcdef0123456789abcdef");

    const same = depsFor(api, next);
    await releaseTenant(next, { ...same, manifest: { ...same.manifest, digests: { [KEY]: "0123456789abcdef0123456789abcdef" } } });
    expect(same.markers.done.has(KEY)).toBe(false);
  });

  test("GIVEN a replacement with a changed desired state WHEN released THEN the whole change is made, and the apply that follows sends no request", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const next = tenantPayload(after);

    const deps = await replace(api, tenantPayload(before), next);
    expect(api.roles(cid, "bruno@acme.test")).toEqual([CU, "recording.viewer"]);
    expect(deps.markers.read(KEY)).toMatchObject({ state: "reconciled", digest: canonicalDigest(next.t) });

    api.calls.length = 0;
    await applyTenant(next, deps);
    expect(api.calls).toEqual([]);
    expect(deps.out.at(-1)).toBe("dimensions: customer ACME-001: already taken to the declared state by the replacement's release: nothing left to do");
    expect(deps.markers.read(KEY)).toBeUndefined();
  });

  test("GIVEN a release with the same desired state WHEN released THEN no request is sent and an identical marker holds the payload", async () => {
    const { api } = seedAcme();
    const payload = tenantPayload(before);

    const deps = await replace(api, payload, payload);

    expect(api.calls).toEqual([]);
    expect(deps.markers.read(KEY)).toMatchObject({ state: "identical", digest: canonicalDigest(payload.t), payload });
  });

  test("GIVEN an identical marker WHEN the apply after it runs THEN every declared user is converged and nobody is removed", async () => {
    // GIVEN bruno drifted in the portal, and a portal user the code never declared
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU, "customer.user.supervisorl1"]);
    api.addUser(cid, "portal@acme.test", [CU, "recording.viewer"]);
    const payload = tenantPayload(after);
    const deps = await replace(api, payload, payload);

    // WHEN
    await applyTenant(payload, deps);

    // THEN
    expect(api.writes()).toEqual([`PATCH user bruno@acme.test [{"op":"replace","path":"/roles","value":["customer.user","recording.viewer"]}]`]);
    expect(api.roles(cid, "portal@acme.test")).toEqual([CU, "recording.viewer"]);
    expect(deps.markers.read(KEY)).toBeUndefined();
  });

  test("GIVEN `-replace` of a tenant (identical release, then apply) WHEN it runs THEN no user is deleted and nothing is written", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU, "recording.viewer"]);
    api.addUser(cid, "old@acme.test", [CU]);
    const payload = tenantPayload(after);
    const deps = depsFor(api, payload);

    await releaseTenant(payload, deps);
    await applyTenant(payload, deps);

    expect(api.writes()).toEqual([]);
    expect([...api.users.get(cid)!.values()].map((u) => u.email).sort()).toEqual([ANA, "bruno@acme.test", "old@acme.test"]);
  });

  test("GIVEN a reconciled marker older than its maximum age WHEN the apply runs THEN it is no evidence, and the tenant is converged again", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    const next = tenantPayload(after);
    const deps = await replace(api, tenantPayload(before), next);
    api.user(cid, "bruno@acme.test")!.roles = [CU];

    deps.clock.time += MARKER_MAX_AGE_MS;
    await applyTenant(next, deps);

    expect(api.roles(cid, "bruno@acme.test")).toEqual([CU, "recording.viewer"]);
  });

  test("GIVEN a replacement whose reconcile fails WHEN released THEN no marker is written (the resource stays and re-runs)", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [CU]);
    api.patchUser = async () => {
      throw new FakeApiError(500, "", "Internal Server Error", "PATCH", "/customers/x/users/y");
    };
    const deps = depsFor(api, tenantPayload(after));

    const e = await failure(releaseTenant(tenantPayload(before), deps));

    expect(e.code).toBe("TenantIncomplete");
    expect(deps.markers.read(KEY)).toBeUndefined();
  });

  test("GIVEN an apply whose payload the manifest does not hold WHEN applied THEN ManifestMismatch and no request", async () => {
    const { api } = seedAcme();
    const e = await failure(applyTenant(tenantPayload(after), depsFor(api, tenantPayload(before))));
    expect(e.code).toBe("ManifestMismatch");
    expect(api.calls).toEqual([]);
  });

  test("GIVEN a tenant the manifest no longer lists WHEN released THEN nothing is sent and no marker written: the inventory releases it", async () => {
    const { api } = seedAcme();
    const deps = makeDeps({ api, manifest: manifestOf() });

    await releaseTenant(tenantPayload(before), deps);

    expect(api.calls).toEqual([]);
    expect(deps.markers.markers.size).toBe(0);
    expect(deps.out).toEqual(["dimensions: customer ACME-001: left the code: the stack's inventory releases it"]);
  });

  test("GIVEN a change of i alone (the removal policy) WHEN released THEN it is a change, not a -replace: reconciled with no user read or written, and the create has nothing left", async () => {
    for (const variant of ["terraform_data", "null_resource"] as const) {
      const { api } = seedAcme();
      const old = tenantPayload(before);
      const next = tenantPayload(before, { i: { removalPolicy: "disable" } });
      const deps = { ...depsFor(api, next), variant };

      await releaseTenant(old, deps);

      expect(deps.markers.read(KEY)?.state).toBe("reconciled");
      expect(api.writes()).toEqual([]);
      expect(api.calls.filter((c) => c.startsWith("GET user"))).toEqual([]);
      api.calls.length = 0;
      await applyTenant(next, deps);
      expect(api.calls).toEqual([]);
    }
  });
});

describe("a change of the API the stack points at", () => {
  const before = users({ "bruno@acme.test": entry([CU], { displayName: "bruno" }) });
  const after = users({ "bruno@acme.test": entry([CU, "recording.viewer"], { displayName: "bruno" }) });

  test("GIVEN the same users and a new region WHEN released THEN nothing is sent through the old API, and its marker names no digest, so the create converges every declared user at the new one", async () => {
    const { api } = seedAcme();
    const old = tenantPayload(before, { i: { settings: { ...SETTINGS, region: "eu" } } });
    const next = tenantPayload(before, { i: { settings: { ...SETTINGS, region: "uk" } } });
    const deps = depsFor(api, next);

    await releaseTenant(old, deps);

    expect(api.calls).toEqual([]);
    expect(deps.markers.read(KEY)).toMatchObject({ state: "reconciled", digest: "" });
    expect(deps.out).toContainEqual(expect.stringContaining("another API (region or apiUrl changed)"));
    await applyTenant(next, deps);
    // Converged as after a first create: Bruno, whom the tenant lacks, is created.
    expect(api.writes()).toEqual([expect.stringMatching(/^POST user bruno@acme\.test /)]);
    expect(deps.markers.read(KEY)).toBeUndefined();
  });

  test("GIVEN users changed together with apiUrl WHEN released THEN the old tenant is not reconciled either (its removals would be sent to the wrong API)", async () => {
    const { api } = seedAcme();
    const old = tenantPayload(before);
    const next = tenantPayload(after, { i: { settings: { ...SETTINGS, apiUrl: "https://api.elsewhere.test" } } });

    const deps = await replace(api, old, next);

    expect(api.calls).toEqual([]);
    expect(deps.markers.read(KEY)).toMatchObject({ state: "reconciled", digest: "" });
  });
});

describe("requests", () => {
  test("GIVEN 1,000 users and one user's roles change WHEN the replacement is released THEN 4 requests: find customer, list users, get user, patch user", async () => {
    const { api, cid } = seedAcme();
    const before: Record<string, UserEntry> = anaEntry();
    for (let i = 0; i < 999; i++) {
      before[`u${i}@acme.test`] = entry([CU], { displayName: `u${i}` });
      api.addUser(cid, `u${i}@acme.test`, [CU]);
    }
    const after = { ...before, "u500@acme.test": entry([CU, "recording.viewer"], { displayName: "u500" }) };

    await replace(api, tenantPayload(before), tenantPayload(after));

    expect(api.calls).toEqual([
      `GET customers?filter=${REF}`,
      `GET users of ${cid}`,
      "GET user u500@acme.test",
      `PATCH user u500@acme.test [{"op":"replace","path":"/roles","value":["customer.user","recording.viewer"]}]`,
    ]);
    expect(api.countByKind()).toEqual({ "GET customers": 1, "GET users": 1, "GET user": 1, "PATCH user": 1 });
  });

  test("GIVEN only the customer's fields change WHEN the replacement is released THEN the customer is patched and its users are not even listed", async () => {
    const { api, cid } = seedAcme();
    const before = users({ "bruno@acme.test": entry([CU], { displayName: "bruno" }) });

    const deps = await replace(api, tenantPayload(before), tenantPayload(before, { customer: { name: "Acme Ltd" } }));

    expect(api.calls).toEqual([`GET customers?filter=${REF}`, `PATCH customer ${cid} [{"op":"replace","path":"/name","value":"Acme Ltd"}]`]);
    expect(deps.out.at(-1)).toBe("dimensions: customer ACME-001: users already as declared (2 requests)");
  });

  test("GIVEN concurrency 3 WHEN many users change THEN at most 3 writes are in flight, and admin grants and revocations run one at a time", async () => {
    // GIVEN zoe and carl become admins, ana and boss lose admin, eight users gain a role
    const { api, cid } = seedAcme();
    api.addUser(cid, "boss@acme.test", [...ADMIN]);
    api.addUser(cid, "zoe@acme.test", [CU]);
    api.addUser(cid, "carl@acme.test", [CU]);
    const next: Record<string, UserEntry> = {
      [ANA]: entry([CU], { displayName: "Ana" }),
      "boss@acme.test": entry([CU], { displayName: "boss" }),
      "zoe@acme.test": entry(ADMIN, { primary: true, displayName: "zoe" }),
      "carl@acme.test": entry(ADMIN, { displayName: "carl" }),
    };
    for (let i = 0; i < 8; i++) {
      api.addUser(cid, `u${i}@acme.test`, [CU]);
      next[`u${i}@acme.test`] = entry([CU, "recording.viewer"], { displayName: `u${i}` });
    }
    api.overlapWrites = true;
    const payload = tenantPayload(next);

    // WHEN
    await applyTenant(payload, depsFor(api, payload, { concurrency: 3 }));

    // THEN
    const admins = new Set(["PATCH user zoe@acme.test", "PATCH user carl@acme.test", "PATCH user ana@acme.test", "PATCH user boss@acme.test"]);
    expect(api.inFlight.filter((w) => admins.has(w.call)).map((w) => w.inFlight)).toEqual([1, 1, 1, 1]);
    expect(Math.max(...api.inFlight.map((w) => w.inFlight))).toBe(3);
    expect(api.roles(cid, ANA)).toEqual([CU]);
  });

  test("GIVEN a long run WHEN changes take time on the clock THEN a progress line every PROGRESS_EVERY_MS, without real sleeps", async () => {
    const { api, cid } = seedAcme();
    const next = users({});
    for (let i = 0; i < 6; i++) {
      api.addUser(cid, `u${i}@acme.test`, [CU]);
      next[`u${i}@acme.test`] = entry([CU, "recording.viewer"], { displayName: `u${i}` });
    }
    const payload = tenantPayload(next);
    const deps = depsFor(api, payload, { concurrency: 1 });
    const patch = api.patchUser.bind(api);
    api.patchUser = async (...args) => {
      deps.clock.time += PROGRESS_EVERY_MS * 0.4;
      return patch(...args);
    };

    await applyTenant(payload, deps);

    expect(deps.out.filter((l) => /user changes done/.test(l))).toEqual(["dimensions: customer ACME-001: 3 of 6 user changes done, 12 s"]);
    expect(deps.out.at(-1)).toMatch(/^dimensions: customer ACME-001: 6 user changes applied, 1 already as declared, in 24 s \(\d+ requests\)$/);
  });
});
