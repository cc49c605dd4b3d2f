/**
 * The stack resource's release (src/handler/stack.ts): it runs last in `terraform destroy`, and
 * tells a real destroy from a `-replace` of itself by the markers the objects' releases left.
 * Only a real destroy (every object left an "identical" marker) releases anything: partner access
 * first, then each tenant by its removal policies (C5, H1, H7).
 */
import type { AccessRequestPayload, ObjectPayload, StackPayload, TenantPayload } from "../../src/contracts/handler";
import { releaseAccessRequest } from "../../src/handler/access-request";
import { releaseStack } from "../../src/handler/stack";
import { applyTenant, MARKER_MAX_AGE_MS, releaseTenant } from "../../src/handler/tenant";
import {
  ADMIN,
  ANA,
  anaEntry,
  entry,
  failure,
  FakeApi,
  FakeApiError,
  keyOf,
  makeDeps,
  manifestOf,
  REF,
  referencedTenant,
  seedAcme,
  SETTINGS,
  tenantPayload,
  type TestDeps,
} from "./fake-api";

const CU = "customer.user";
const PBX = "customer.user.pbx";
const STACK: StackPayload = { t: { stack: "test" }, i: { kind: "stack", settings: SETTINGS } };

function accessRequest(name: string): AccessRequestPayload {
  return { t: { name, message: "Support needs access", associations: [] }, i: { kind: "access-request", settings: SETTINGS } };
}

/** What `terraform destroy` runs: every object's release (same desired state), then the stack's. */
async function releaseObjects(deps: TestDeps, objects: ObjectPayload[]): Promise<void> {
  for (const o of objects) {
    if (o.i.kind === "tenant") await releaseTenant(o as TenantPayload, deps);
    else await releaseAccessRequest(o as AccessRequestPayload, deps);
  }
}

/** A tenant with ana@ (primary admin, kept by H1), bruno@ (created: deleted) and rec@ (on the PBX: revoked, H7). */
function acmeWithUsers(removalPolicy: "retain" | "disable" | "delete") {
  const { api, cid } = seedAcme();
  api.addUser(cid, "bruno@acme.test", [CU, "recording.viewer"]);
  api.addUser(cid, "rec@acme.test", [CU, "recording.viewer", PBX]);
  const payload = tenantPayload(
    {
      ...anaEntry(),
      "bruno@acme.test": entry([CU, "recording.viewer"], { displayName: "bruno" }),
      "rec@acme.test": entry([CU, "recording.viewer"], { displayName: "rec" }),
    },
    { i: { removalPolicy } },
  );
  return { api, cid, payload };
}

describe("stack release", () => {
  test("GIVEN no object left a marker (a -replace of the stack resource) WHEN released THEN nothing is released and no request is sent", async () => {
    const { api, payload } = acmeWithUsers("delete");
    const deps = makeDeps({ api, manifest: manifestOf(payload) });

    await releaseStack(STACK, deps);

    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: stack test: replaced, not destroyed (its objects stay): nothing released"]);
  });

  test("GIVEN every object left an identical marker (a real destroy) WHEN released THEN access requests are withdrawn first, then the tenant by its policies", async () => {
    // GIVEN
    const { api, cid, payload } = acmeWithUsers("disable");
    api.addAccessRequest("SupportAccess", [cid]);
    const support = accessRequest("SupportAccess");
    const deps = makeDeps({ api, manifest: manifestOf(payload, support) });
    await releaseObjects(deps, [payload, support]);
    expect(api.calls).toEqual([]);

    // WHEN
    await releaseStack(STACK, deps);

    // THEN partner access ended before anything of the customer was touched
    expect(api.writes()).toEqual([
      "DELETE accessrequest SupportAccess",
      "DELETE user bruno@acme.test",
      `PATCH user rec@acme.test [{"op":"replace","path":"/roles","value":["customer.user.pbx"]}]`,
      `PATCH customer ${cid} [{"op":"replace","path":"/enabled","value":false}]`,
    ]);
    expect(api.calls.indexOf("DELETE accessrequest SupportAccess")).toBeLessThan(api.calls.indexOf(`GET customers?filter=${REF}`));
    expect(api.roles(cid, ANA)).toEqual(ADMIN);
    expect(deps.markers.markers.size).toBe(0);
    expect(deps.out.at(-1)).toBe("dimensions: stack test: destroyed: released 2 of 2 objects by their removal policies");
  });

  test("GIVEN the apply that upgrades a state written before t and i were JSON text (every resource replaced, this one last) WHEN released THEN nothing is released, the creates have nothing left, and no write is sent", async () => {
    // GIVEN the objects' releases, each with its old state in object form
    const { api, cid, payload } = acmeWithUsers("delete");
    const changed = accessRequest("Renamed");
    api.addAccessRequest("SupportAccess", [cid]);
    const support = accessRequest("SupportAccess");
    const deps = makeDeps({ api, manifest: manifestOf(payload, support, changed) });
    const upgrading = { ...deps, objectForm: true };
    await releaseObjects(upgrading, [payload, support]);
    expect(deps.markers.read(keyOf(payload))?.state).toBe("upgraded");
    expect(deps.markers.read(keyOf(support))?.state).toBe("upgraded");

    // WHEN the stack resource's release runs (its own old state is in object form too)
    await releaseStack(STACK, upgrading);

    // THEN nothing was released, even though a new request (no marker) was added in the same change
    expect(api.writes()).toEqual([]);
    expect(deps.out.at(-1)).toBe("dimensions: stack test: replaced by the upgrade of the state's layout (2 of 3 objects upgraded in this run): nothing released");
    // ... and the tenant's create has nothing left to do
    api.calls.length = 0;
    await applyTenant(payload, deps);
    expect(api.calls).toEqual([]);
  });

  test("GIVEN a terraform destroy (told by the command line) run with the new build on a state in the object form WHEN released THEN the stack releases the objects as in any destroy", async () => {
    const { api, cid, payload } = acmeWithUsers("delete");
    const deps = { ...makeDeps({ api, manifest: manifestOf(payload) }), objectForm: true, runKind: () => "destroy" as const };
    await releaseObjects(deps, [payload]);
    expect(deps.markers.read(keyOf(payload))?.state).toBe("upgraded");

    await releaseStack(STACK, deps);

    expect(api.writes()).toEqual([`DELETE customer ${cid}`]);
  });

  test("GIVEN a terraform destroy on a state in the object form after an unapplied change WHEN released THEN DestroyAfterUnappliedChange, nothing released", async () => {
    const { api, payload } = acmeWithUsers("delete");
    const next = tenantPayload({ ...payload.t.users, "bruno@acme.test": entry([CU], { displayName: "bruno" }) }, { i: { removalPolicy: "delete" } });
    const deps = { ...makeDeps({ api, manifest: manifestOf(next) }), objectForm: true, runKind: () => "destroy" as const };
    await releaseTenant(payload, deps);
    const writes = api.writes().length;

    const e = await failure(releaseStack(STACK, deps));

    expect(e.code).toBe("DestroyAfterUnappliedChange");
    expect(api.writes()).toHaveLength(writes);
  });

  test("GIVEN the upgrade with a changed user in the same apply WHEN the tenant is released THEN the change is made, the marker says upgraded, and the stack's release releases nothing", async () => {
    const { api, cid, payload } = acmeWithUsers("delete");
    const next = tenantPayload({ ...payload.t.users, "bruno@acme.test": entry([CU], { displayName: "bruno" }) }, { i: { removalPolicy: "delete" } });
    const deps = { ...makeDeps({ api, manifest: manifestOf(next) }), objectForm: true };

    await releaseTenant(payload, deps);
    await releaseStack(STACK, deps);

    expect(api.writes()).toEqual([`PATCH user bruno@acme.test [{"op":"replace","path":"/roles","value":["customer.user"]}]`]);
    expect(api.roles(cid, "rec@acme.test")).toContain("recording.viewer");
    expect(deps.markers.read(keyOf(next))?.state).toBe("upgraded");
  });

  test("GIVEN every object left an identical marker but terraform runs an apply (-replace of every resource at once) WHEN released THEN nothing is released", async () => {
    const { api, payload } = acmeWithUsers("delete");
    const deps = { ...makeDeps({ api, manifest: manifestOf(payload) }), runKind: () => "apply" as const };
    await releaseObjects(deps, [payload]);

    await releaseStack(STACK, deps);

    expect(api.calls).toEqual([]);
    expect(deps.out.at(-1)).toBe("dimensions: stack test: replaced by terraform apply, not destroyed (its objects stay): nothing released");
    // The objects' markers stay for their creates, which converge them.
    expect(deps.markers.read(keyOf(payload))?.state).toBe("identical");
  });

  test("GIVEN terraform runs a destroy WHEN every object left an identical marker THEN the stack's release releases them, as when the operation is unknown", async () => {
    const { api, cid, payload } = acmeWithUsers("delete");
    const deps = { ...makeDeps({ api, manifest: manifestOf(payload) }), runKind: () => "destroy" as const };
    await releaseObjects(deps, [payload]);

    await releaseStack(STACK, deps);

    expect(api.writes()).toEqual([`DELETE customer ${cid}`]);
  });

  test("C5: GIVEN a destroy of a customer with removal policy retain WHEN released THEN the customer stays and its users go by their own policies", async () => {
    const { api, cid, payload } = acmeWithUsers("retain");
    const deps = makeDeps({ api, manifest: manifestOf(payload) });
    await releaseObjects(deps, [payload]);

    await releaseStack(STACK, deps);

    expect(api.writes()).toEqual(["DELETE user bruno@acme.test", `PATCH user rec@acme.test [{"op":"replace","path":"/roles","value":["customer.user.pbx"]}]`]);
    expect(api.customers.get(cid)?.enabled).toBe(true);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: customer ACME-001: customer retained \(removal policy retain\) \(\d+ requests\)$/));
  });

  test("C5: GIVEN a destroy of a customer with removal policy delete WHEN released THEN the customer is deleted, its users with it", async () => {
    const { api, cid, payload } = acmeWithUsers("delete");
    const deps = makeDeps({ api, manifest: manifestOf(payload) });
    await releaseObjects(deps, [payload]);

    await releaseStack(STACK, deps);

    expect(api.calls).toEqual([`GET customers?filter=${REF}`, `DELETE customer ${cid}`]);
    expect(deps.out).toContainEqual(`dimensions: customer ACME-001: deleted customer ${cid} (removal policy delete) (2 requests)`);
  });

  test("GIVEN a destroy of a referenced customer WHEN released THEN only what the app granted is removed and the customer is untouched", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "lead@acme.test", [CU, PBX, "pbx.silentmonitor"]);
    const payload = referencedTenant({ "lead@acme.test": entry(["pbx.silentmonitor"], { management: "additive", origin: "adopted" }) });
    const deps = makeDeps({ api, manifest: manifestOf(payload) });
    await releaseObjects(deps, [payload]);

    await releaseStack(STACK, deps);

    expect(api.writes()).toEqual([`PATCH user lead@acme.test [{"op":"replace","path":"/roles","value":["customer.user","customer.user.pbx"]}]`]);
  });

  test("GIVEN some objects left no marker WHEN released THEN ReleaseUndecided names them and no request is sent", async () => {
    const { api, payload } = acmeWithUsers("delete");
    const other = tenantPayload(anaEntry(), { customer: { reference: "OTHER-002" } });
    const deps = makeDeps({ api, manifest: manifestOf(payload, other) });
    await releaseObjects(deps, [payload]);

    const e = await failure(releaseStack(STACK, deps));

    expect(e.code).toBe("ReleaseUndecided");
    expect(e.message).toMatch(/^1 of 2 objects were destroyed before this resource, but not customer:OTHER-002/);
    expect(api.calls).toEqual([]);
  });

  test("GIVEN an object whose release reconciled an unapplied change WHEN released THEN DestroyAfterUnappliedChange and no request is sent", async () => {
    const { api, payload } = acmeWithUsers("delete");
    const deps = makeDeps({ api, manifest: manifestOf(payload) });
    deps.markers.write({ version: 2, key: keyOf(payload), state: "reconciled", digest: "d", writtenAt: 0 });

    const e = await failure(releaseStack(STACK, deps));

    expect(e.code).toBe("DestroyAfterUnappliedChange");
    expect(e.message).toContain("customer:ACME-001");
    expect(api.calls).toEqual([]);
  });

  test("GIVEN an identical marker left hours ago by a `-replace` whose apply failed WHEN the stack resource alone is replaced THEN the old marker is no evidence of a destroy and nothing is released", async () => {
    // GIVEN `terraform apply -replace` of the tenant: its release leaves an identical marker, and its apply fails
    const { api, payload } = acmeWithUsers("delete");
    const deps = makeDeps({ api, manifest: manifestOf(payload) });
    await releaseObjects(deps, [payload]);
    const list = api.listUsers.bind(api);
    api.listUsers = async () => {
      throw new FakeApiError(503, "", "Service Unavailable", "GET", "/customers/x/users");
    };
    await failure(applyTenant(payload, deps));
    api.listUsers = list;
    api.calls.length = 0;

    // WHEN, the next day, the stack resource alone is replaced (`terraform apply -replace` of it)
    deps.clock.time += MARKER_MAX_AGE_MS + 1;
    await releaseStack(STACK, deps);

    // THEN the customer and its users stay
    expect(api.customers.size).toBe(1);
    expect(api.writes()).toEqual([]);
  });

  test("H1: GIVEN a destroy of a retained customer with its primary admin and a second admin WHEN released THEN the second admin goes and the kept primary stays admin", async () => {
    const { api, cid } = seedAcme();
    api.addUser(cid, "bruno@acme.test", [...ADMIN]);
    const payload = tenantPayload({ ...anaEntry(), "bruno@acme.test": entry(ADMIN, { displayName: "bruno" }) }, { i: { removalPolicy: "retain" } });
    const deps = makeDeps({ api, manifest: manifestOf(payload) });
    await releaseObjects(deps, [payload]);

    await releaseStack(STACK, deps).catch(() => undefined);

    expect(deps.out.filter((l) => / FAILED: /.test(l))).toEqual([]);
    expect(api.roles(cid, ANA)).toEqual(ADMIN);
    expect(api.user(cid, "bruno@acme.test")).toBeUndefined();
  });

  test("GIVEN one tenant cannot be released WHEN the destroy releases THEN the others are, and ReleaseIncomplete sums up", async () => {
    const { api, cid, payload } = acmeWithUsers("disable");
    api.addCustomer({ reference: "TWIN-003" });
    api.addCustomer({ reference: "TWIN-003" });
    const twin = tenantPayload(anaEntry(), { customer: { reference: "TWIN-003" }, i: { removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf(payload, twin) });
    await releaseObjects(deps, [payload, twin]);

    const e = await failure(releaseStack(STACK, deps));

    expect(e.code).toBe("ReleaseIncomplete");
    expect(api.customers.get(cid)?.enabled).toBe(false);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: customer:TWIN-003: FAILED: DuplicateReference \[C2\]: /));
    // Every object keeps its marker, the released one marked so, for the destroy run again.
    expect([...deps.markers.markers.values()].map((m) => `${m.key} ${m.state}`).sort()).toEqual(["customer:ACME-001 released", "customer:TWIN-003 identical"]);
  });

  test("GIVEN a destroy that stopped half-way (a failure, a kill) WHEN it is run again THEN it releases the rest, does not touch what was released, and clears the markers", async () => {
    // GIVEN: ACME released, TWIN failed (two live customers share its reference)
    const { api, cid, payload } = acmeWithUsers("disable");
    const first = api.addCustomer({ reference: "TWIN-003" });
    const second = api.addCustomer({ reference: "TWIN-003" });
    const twin = tenantPayload(anaEntry(), { customer: { reference: "TWIN-003" }, i: { removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf(payload, twin) });
    await releaseObjects(deps, [payload, twin]);
    await failure(releaseStack(STACK, deps));
    api.customers.delete(second.id);
    const before = api.writes().length;

    // WHEN: terraform destroy again (only the stack resource is left in the state)
    await releaseStack(STACK, deps);

    // THEN
    expect(api.writes().slice(before)).toEqual([`DELETE customer ${first.id}`]);
    expect(api.writes().filter((w) => w.startsWith(`PATCH customer ${cid} `))).toHaveLength(1);
    expect(deps.out).toContainEqual("dimensions: stack test: 1 of 2 objects were released by an earlier run of this destroy: not touched again");
    expect(deps.out).toContainEqual("dimensions: stack test: destroyed: released 2 of 2 objects by their removal policies");
    expect(deps.markers.markers.size).toBe(0);
  });

  test("GIVEN a stack with no object WHEN released THEN nothing is sent", async () => {
    const api = new FakeApi();
    const deps = makeDeps({ api, manifest: manifestOf() });
    await releaseStack(STACK, deps);
    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: stack test: no object to release"]);
  });
});
