import type { InventoryPayload, ObjectPayload } from "../../src/contracts/handler";
import { HandlerError } from "../../src/handler/errors";
import { applyInventory, releaseInventory, vanishedKeys } from "../../src/handler/inventory";
import { ADMIN, customerPayload, FakeApi, FakeApiError, keyOf, makeDeps, manifestOf, REF, SETTINGS, userPayload } from "./fake-api";

function usersInventory(...objects: ObjectPayload[]): InventoryPayload {
  const entries = objects.map((o) => [keyOf(o), o] as const);
  return {
    t: { scope: "users", customer: REF, keys: entries.map(([k]) => k).sort() },
    i: { kind: "inventory", objects: Object.fromEntries(entries), settings: SETTINGS },
  };
}

function tenant() {
  const api = new FakeApi();
  const c = api.addCustomer({ reference: REF });
  api.addUser(c.id, "ana@acme.test", [...ADMIN]);
  api.addUser(c.id, "bruno@acme.test", ["customer.user", "recording.viewer"]);
  api.addUser(c.id, "carla@acme.test", ["customer.user"]);
  api.addUser(c.id, "rec@acme.test", ["customer.user", "customer.user.pbx"]);
  return {
    api,
    cid: c.id,
    customer: customerPayload(),
    ana: userPayload("ana@acme.test", ADMIN, { i: { primary: true } }),
    bruno: userPayload("bruno@acme.test", ["customer.user", "recording.viewer"]),
    carla: userPayload("carla@acme.test", ["customer.user"]),
    rec: userPayload("rec@acme.test", ["customer.user"], { i: { origin: "adopted", removalPolicy: "revoke" } }),
  };
}

describe("inventory", () => {
  test("apply does nothing and calls no API", async () => {
    const { api, ana } = tenant();
    const deps = makeDeps({ api, debug: true });
    await applyInventory(usersInventory(ana), deps);
    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: debug: inventory of users of ACME-001: 1 objects; nothing to do at apply"]);
  });

  test("release fully releases exactly the keys the manifest no longer lists", async () => {
    // GIVEN bruno and the adopted receptionist left the code; ana and carla stay
    const t = tenant();
    const old = usersInventory(t.ana, t.bruno, t.carla, t.rec);
    const deps = makeDeps({ api: t.api, manifest: manifestOf(t.customer, t.ana, t.carla) });
    expect(vanishedKeys(old, deps)).toEqual(["user:ACME-001/bruno@acme.test", "user:ACME-001/rec@acme.test"]);

    // WHEN the replaced inventory is released
    await releaseInventory(old, deps);

    // THEN bruno (created) is deleted, the receptionist (adopted) keeps only its PBX role, the rest is untouched
    expect(t.api.user(t.cid, "bruno@acme.test")).toBeUndefined();
    expect(t.api.roles(t.cid, "rec@acme.test")).toEqual(["customer.user.pbx"]);
    expect(t.api.roles(t.cid, "carla@acme.test")).toEqual(["customer.user"]);
    expect(t.api.roles(t.cid, "ana@acme.test")).toEqual(ADMIN);
    expect(deps.out.sort()).toEqual([
      "dimensions: inventory of users of ACME-001: released 2 of 2 objects that left the code (6 requests)",
      "dimensions: user bruno@acme.test (ACME-001): deleted (removal policy delete)",
      "dimensions: user rec@acme.test (ACME-001): removed [customer.user] (removal policy revoke)",
    ]);
  });

  test("on a full destroy the manifest lists every key, so the inventory releases nothing", async () => {
    const t = tenant();
    const deps = makeDeps({ api: t.api, manifest: manifestOf(t.customer, t.ana, t.bruno) });
    await releaseInventory(usersInventory(t.ana, t.bruno), deps);
    expect(t.api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: inventory of users of ACME-001: no object left the code"]);
  });

  test("releases every object it can, then fails with one summary line", async () => {
    const t = tenant();
    // bruno cannot be deleted (a server error); carla can
    t.api.deleteUser = async () => {
      throw new FakeApiError(500, "InternalError", "Internal Server Error", "DELETE", "/api/v1.0/customers/x/users/y");
    };
    const old = usersInventory(t.ana, t.bruno, t.rec);
    const deps = makeDeps({ api: t.api, manifest: manifestOf(t.customer, t.ana) });

    let error: unknown;
    await releaseInventory(old, deps).catch((e) => (error = e));

    expect(error).toBeInstanceOf(HandlerError);
    expect((error as HandlerError).code).toBe("InventoryReleaseFailed");
    expect((error as HandlerError).message).toBe(
      "1 of 2 objects that left the code could not be released: InternalError: user bruno@acme.test (ACME-001): releasing user bruno@acme.test refused: Internal Server Error (DELETE /api/v1.0/customers/x/users/y → 500)",
    );
    expect(t.api.roles(t.cid, "rec@acme.test")).toEqual(["customer.user.pbx"]);
  });

  test("a customers inventory releases a customer that left the code per its policy", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF });
    const gone = customerPayload({ i: { removalPolicy: "delete" } });
    const old: InventoryPayload = { t: { scope: "customers", keys: [keyOf(gone)] }, i: { kind: "inventory", objects: { [keyOf(gone)]: gone }, settings: SETTINGS } };
    await releaseInventory(old, makeDeps({ api, manifest: manifestOf() }));
    expect(api.customers.size).toBe(0);
  });
});
