/**
 * Softphones through the executor (src/handler/executor.ts, U14) against the in-memory API, which
 * answers devices as the emulator does: U7 roles on assign, one holder per device, and a role patch
 * refused while a device needs the role — so these tests also prove the order the plan gives.
 */
import { applyTenant, releaseTenant } from "../../src/handler/tenant";
import { formatFailure } from "../../src/handler/report";
import type { TenantPayload, UserEntry } from "../../src/contracts/handler";
import { anaEntry, entry, failure, FakeApi, FakeApiError, makeDeps, manifestOf, seedAcme, tenantPayload, type TestDeps } from "./fake-api";
import { releaseWholeTenant } from "../../src/handler/tenant";

const CU = "customer.user";
const UC = [CU, "customer.user.uc", "customer.user.uc.softphone"];
const BO = "bo@acme.test";

function depsFor(api: FakeApi, payload: TenantPayload): TestDeps {
  return makeDeps({ api, manifest: manifestOf(payload) });
}

function users(extra: Record<string, UserEntry>): Record<string, UserEntry> {
  return { ...anaEntry(), ...extra };
}

function bo(roles: string[], softphones?: UserEntry["softphones"], overrides: Partial<UserEntry> = {}): Record<string, UserEntry> {
  return users({ [BO]: entry(roles, { displayName: "bo", ...(softphones ? { softphones } : {}), ...overrides }) });
}

async function replace(api: FakeApi, old: TenantPayload, next: TenantPayload): Promise<TestDeps> {
  const deps = depsFor(api, next);
  await releaseTenant(old, deps);
  return deps;
}

describe("U14: the executor assigns and unassigns softphones", () => {
  test("U14: GIVEN a new user with a softphone WHEN applied THEN it is created, then its device assigned with one PUT, and the log says so", async () => {
    const { api, cid } = seedAcme();
    const payload = tenantPayload(bo(UC, [{ device: "1001", clientType: "desktop" }]));
    const deps = depsFor(api, payload);

    await applyTenant(payload, deps);

    expect(api.writes().map((w) => w.split(" [")[0])).toEqual([`POST user ${BO}`, `PUT assign ${BO} 1001 desktop`]);
    expect(api.devices(cid, BO)).toEqual(["1001:desktop"]);
    expect(deps.out).toContainEqual(`dimensions: user ${BO} (ACME-001): assigned softphone 1001 (desktop)`);
    expect(deps.out.at(-1)).toMatch(/: 2 user changes applied, /);
  });

  test("U14: GIVEN a client type change WHEN the replacement's release runs THEN the old type is unassigned, then the new one assigned", async () => {
    const { api, cid } = seedAcme();
    const user = api.addUser(cid, BO, UC, "bo");
    user.devices.push({ deviceId: "1001", clientType: "desktop" });

    const deps = await replace(api, tenantPayload(bo(UC, [{ device: "1001", clientType: "desktop" }])), tenantPayload(bo(UC, [{ device: "1001", clientType: "mobile" }])));

    expect(api.writes()).toEqual([`PUT unassign ${BO} 1001 desktop`, `PUT assign ${BO} 1001 mobile`]);
    expect(api.devices(cid, BO)).toEqual(["1001:mobile"]);
    expect(deps.out).toContainEqual(`dimensions: user ${BO} (ACME-001): its client type changes: unassigned softphone 1001 (desktop)`);
  });

  test("U7: GIVEN the softphone and its roles removed WHEN released THEN the device goes before the role patch the API would refuse under it", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, BO, UC, "bo").devices.push({ deviceId: "1001", clientType: "desktop" });

    await replace(api, tenantPayload(bo(UC, [{ device: "1001", clientType: "desktop" }])), tenantPayload(bo([CU])));

    expect(api.writes().map((w) => w.split(" [")[0])).toEqual([`PUT unassign ${BO} 1001 desktop`, `PATCH user ${BO}`]);
    expect([api.roles(cid, BO), api.devices(cid, BO)]).toEqual([[CU], []]);
  });

  test("U7: GIVEN the softphone roles granted with the device WHEN released THEN the grant goes before the assign the API would refuse without it", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, BO, [CU], "bo");

    await replace(api, tenantPayload(bo([CU])), tenantPayload(bo(UC, [{ device: "1001", clientType: "webrtc" }])));

    expect(api.writes().map((w) => w.split(" [")[0])).toEqual([`PATCH user ${BO}`, `PUT assign ${BO} 1001 webrtc`]);
    expect(api.devices(cid, BO)).toEqual(["1001:webrtc"]);
  });

  test("U14: GIVEN an adopted user with a softphone WHEN the whole tenant is released (revoke) THEN its device is unassigned, then its roles revoked", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, BO, [...UC, "customer.user.pbx"], "bo").devices.push({ deviceId: "1001", clientType: "crm" });
    const deps = makeDeps({ api });

    await releaseWholeTenant({ reference: "ACME-001", users: { [BO]: entry([], { origin: "adopted", softphones: [{ device: "1001", clientType: "crm" }] }) }, removalPolicy: "retain" }, deps, true);

    expect(api.writes().map((w) => w.split(" [")[0])).toEqual([`PUT unassign ${BO} 1001 crm`, `PATCH user ${BO}`]);
    expect([api.roles(cid, BO), api.devices(cid, BO)]).toEqual([["customer.user.pbx"], []]);
  });

  test("U14: GIVEN a declared device another user holds WHEN applied THEN a coded DeviceAlreadyAssigned [U14] line with its fix, and the other users still converge", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "desk@acme.test", UC).devices.push({ deviceId: "1001", clientType: "desktop" });
    const payload = tenantPayload(users({ [BO]: entry(UC, { displayName: "bo", softphones: [{ device: "1001", clientType: "desktop" }] }), "cy@acme.test": entry([CU], { displayName: "cy" }) }));
    const deps = depsFor(api, payload);

    const e = await failure(applyTenant(payload, deps));

    expect(e.code).toBe("TenantIncomplete");
    expect(api.roles(cid, "cy@acme.test")).toEqual([CU]);
    expect(deps.out).toContainEqual(
      expect.stringMatching(/^dimensions: user bo@acme\.test \(ACME-001\): FAILED: DeviceAlreadyAssigned \[U14\]: user bo@acme\.test \(ACME-001\): assigning softphone 1001 \(desktop\) of user bo@acme\.test refused: Device '1001' is assigned to another user\. \(PUT .+ → 409\)$/),
    );
    expect(e.hint).toMatch(/unassign it where it is held/);
  });

  test("U14: GIVEN an API whose user answers carry no devices WHEN a user with softphones is applied THEN DevicesNotReported [U14] before any write", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, BO, UC, "bo");
    api.reportDevices = false;
    const payload = tenantPayload(bo(UC, [{ device: "1001", clientType: "desktop" }]));

    const e = await failure(applyTenant(payload, depsFor(api, payload)));

    expect(formatFailure(e)[0]).toMatch(/^dimensions: DevicesNotReported \[U14\]: customer ACME-001: GET .* answered without "devices"/);
    expect(e.hint).toMatch(/remove softphones from the user's declaration/);
    expect(api.writes()).toEqual([]);
  });

  test("GIVEN an API whose user answers carry no devices WHEN users without softphones are applied THEN they converge as before", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, BO, [CU], "bo");
    api.reportDevices = false;
    const payload = tenantPayload(bo([CU, "recording.viewer"]));

    await applyTenant(payload, depsFor(api, payload));

    expect(api.roles(cid, BO)).toEqual([CU, "recording.viewer"]);
  });

  test("GIVEN a user whose role patch fails WHEN released THEN its device assign is skipped (said once) and only the patch is reported failed", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, BO, [CU], "bo");
    api.patchUser = async (customerId, userId) => {
      throw new FakeApiError(503, "ServiceUnavailable", "Service Unavailable", "PATCH", `/customers/${customerId}/users/${userId}`);
    };
    const next = tenantPayload(bo(UC, [{ device: "1001", clientType: "desktop" }]));
    const deps = depsFor(api, next);

    const e = await failure(releaseTenant(tenantPayload(bo([CU])), deps));

    expect(e.code).toBe("TenantIncomplete");
    expect(api.writes().filter((w) => w.startsWith("PUT"))).toEqual([]);
    expect(deps.out.filter((l) => / FAILED: /.test(l))).toHaveLength(1);
    expect(deps.out).toContainEqual(`dimensions: user ${BO} (ACME-001): assigning softphone 1001 (desktop) of user ${BO} skipped: an earlier change of this user failed`);
  });
});
