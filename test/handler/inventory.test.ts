/**
 * The stack's inventory (src/handler/inventory.ts): an object deleted from the code loses its
 * resource without a destroy provisioner; the inventory's release sees the old keys with their
 * release records and releases exactly those the manifest no longer lists (C5 for customers;
 * granted roles for referenced customers; withdrawal for access requests, first).
 */
import { accessRequestKey, customerKey, type InventoryPayload, type ReleaseRecord } from "../../src/contracts/handler";
import { applyInventory, releaseInventory, vanishedKeys } from "../../src/handler/inventory";
import { ADMIN, ANA, anaEntry, entry, failure, FakeApi, FakeApiError, makeDeps, manifestOf, REF, seedAcme, SETTINGS, tenantPayload } from "./fake-api";

const CU = "customer.user";
const PBX = "customer.user.pbx";

function inventory(objects: Record<string, ReleaseRecord>): InventoryPayload {
  return { t: { objects }, i: { kind: "inventory", settings: SETTINGS } };
}

/** ACME-001 stays in the code; GONE-002 (owned), PARTNER-003 (referenced) and a request left it. */
function stack() {
  const { api, cid } = seedAcme();
  const gone = api.addCustomer({ reference: "GONE-002", enabled: true });
  const partner = api.addCustomer({ reference: "PARTNER-003" });
  api.addUser(partner.id, "boss@partner.test", [...ADMIN]);
  api.addUser(partner.id, "lead@partner.test", [CU, PBX, "pbx.silentmonitor", "recording.viewer"]);
  api.addUser(partner.id, "temp@partner.test", [CU]);
  api.addAccessRequest("SupportAccess", [gone.id]);
  const old = inventory({
    [customerKey(REF)]: { kind: "customer", reference: REF, removalPolicy: "delete" },
    [customerKey("GONE-002")]: { kind: "customer", reference: "GONE-002", removalPolicy: "disable" },
    [customerKey("PARTNER-003")]: {
      kind: "referenced-customer",
      reference: "PARTNER-003",
      users: {
        "lead@partner.test": entry(["pbx.silentmonitor"], { management: "additive", origin: "adopted" }),
        "temp@partner.test": entry([CU], { displayName: "temp" }),
      },
    },
    [accessRequestKey("SupportAccess")]: { kind: "access-request", name: "SupportAccess" },
  });
  return { api, cid, gone: gone.id, partner: partner.id, old, kept: tenantPayload(anaEntry()) };
}

describe("inventory", () => {
  test("GIVEN an inventory WHEN applied THEN it calls no API", async () => {
    const { api, old } = stack();
    const deps = makeDeps({ api, debug: true });

    await applyInventory(old, deps);

    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: debug: inventory: 4 objects; nothing to do at apply"]);
  });

  test("GIVEN objects that left the code WHEN vanishedKeys THEN exactly the old keys the manifest no longer lists", () => {
    const { old, kept } = stack();
    expect(vanishedKeys(old, makeDeps({ manifest: manifestOf(kept) }))).toEqual(["access-request:supportaccess", "customer:GONE-002", "customer:PARTNER-003"]);
  });

  test("GIVEN objects that left the code WHEN released THEN the request is withdrawn first, then each object is released by its record, and the kept customer is untouched", async () => {
    // GIVEN
    const { api, cid, gone, partner, old, kept } = stack();
    const deps = makeDeps({ api, manifest: manifestOf(kept) });

    // WHEN
    await releaseInventory(old, deps);

    // THEN
    expect(api.writes()).toEqual([
      "DELETE accessrequest SupportAccess",
      `PATCH customer ${gone} [{"op":"replace","path":"/enabled","value":false}]`,
      `PATCH user lead@partner.test [{"op":"replace","path":"/roles","value":["customer.user","customer.user.pbx","recording.viewer"]}]`,
      "DELETE user temp@partner.test",
    ]);
    expect(api.roles(partner, "boss@partner.test")).toEqual(ADMIN);
    expect(api.calls.filter((c) => c.includes(cid) || c.includes(`filter=${REF}`))).toEqual([]);
    expect(api.roles(cid, ANA)).toEqual(ADMIN);
    expect(deps.out.at(-1)).toMatch(/^dimensions: inventory: released 3 of 3 objects that left the code \(\d+ requests\)$/);
  });

  test("GIVEN a full destroy (the manifest still lists every key) WHEN released THEN nothing is released", async () => {
    const { api, old } = stack();
    const manifest = manifestOf(tenantPayload(anaEntry()), tenantPayload(anaEntry(), { customer: { reference: "GONE-002" } }), tenantPayload({}, { customer: { reference: "PARTNER-003" } }));
    manifest.objects[accessRequestKey("SupportAccess")] = { t: { name: "SupportAccess", message: "", associations: [] }, i: { kind: "access-request", settings: SETTINGS } };
    const deps = makeDeps({ api, manifest });

    await releaseInventory(old, deps);

    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: inventory: no object left the code"]);
  });

  test("C5: GIVEN an owned customer with removal policy retain left the code WHEN released THEN it is only logged", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: "GONE-002" });
    const deps = makeDeps({ api, manifest: manifestOf() });

    await releaseInventory(inventory({ [customerKey("GONE-002")]: { kind: "customer", reference: "GONE-002", removalPolicy: "retain" } }), deps);

    expect(api.calls).toEqual([]);
    expect(deps.out[0]).toBe("dimensions: customer GONE-002: retained (removal policy retain)");
  });

  test("C5: GIVEN an owned customer with removal policy delete left the code WHEN released THEN it is deleted, and one already gone is done", async () => {
    const api = new FakeApi();
    const c = api.addCustomer({ reference: "GONE-002" });
    const old = inventory({ [customerKey("GONE-002")]: { kind: "customer", reference: "GONE-002", removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf() });

    await releaseInventory(old, deps);
    await releaseInventory(old, deps);

    expect(api.writes()).toEqual([`DELETE customer ${c.id}`]);
    expect(deps.out).toContainEqual("dimensions: customer GONE-002: already gone: nothing to release (1 request)");
  });

  test("GIVEN one object cannot be released WHEN released THEN every other one is, and one InventoryReleaseFailed sums up", async () => {
    const { api, gone, old, kept } = stack();
    api.deleteAccessRequest = async () => {
      throw new FakeApiError(500, "InternalError", "Internal Server Error", "DELETE", "/accessrequests/x");
    };
    const deps = makeDeps({ api, manifest: manifestOf(kept) });

    const e = await failure(releaseInventory(old, deps));

    expect(e.code).toBe("InventoryReleaseFailed");
    expect(e.message).toBe("1 of 3 objects that left the code could not be released (each is reported above)");
    expect(api.customers.get(gone)?.enabled).toBe(false);
    expect(deps.out).toContainEqual(expect.stringMatching(/^dimensions: access-request:supportaccess: FAILED: InternalError: access request SupportAccess: withdrawing access request SupportAccess refused: Internal Server Error \(DELETE \/accessrequests\/x → 500\)$/));
    expect(deps.out.at(-1)).toMatch(/released 2 of 3 objects that left the code/);
  });
});
