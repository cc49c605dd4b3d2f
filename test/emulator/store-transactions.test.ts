/**
 * The Store undoes a failed request: every mutator journals its undo, and a transaction that throws
 * leaves the model, and the indexes derived from it, exactly as they were. Its tables take any key,
 * "__proto__" and "constructor" included, as an entry like any other.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { entry, newId, Store, table, type CustomerRecord, type UserRecord } from "../../src/emulator/store";

const NOW = new Date(0).toISOString();

function customerRecord(resellerId: string, reference: string): CustomerRecord {
  return {
    id: newId(),
    resellerId,
    name: "Acme",
    description: "d",
    reference,
    dateCreated: NOW,
    enabled: false,
    timezone: null,
    countryCode: null,
    features: {},
    pbxConnectionProfile: null,
    syncAcdAgentWithPbx: false,
    sendNewUserEmail: true,
    sendConnectWelcomeEmail: true,
    tenantProfileType: null,
    trialDuration: 0,
    deleted: false,
    accessGrantedOnce: false,
  };
}

function userRecord(customerId: string, email: string, roles: string[]): UserRecord {
  return { id: newId(), customerId, displayName: email, email, roles, primaryTenant: customerId, isParent: false, devices: [], fromPbx: false, activationEmailsSent: 0 };
}

/** A store holding one customer with an admin and a plain user. */
function seeded(): { store: Store; resellerId: string; customer: CustomerRecord; admin: UserRecord; plain: UserRecord } {
  const store = new Store(undefined, NOW);
  const resellerId = store.state.demo.resellerId;
  const customer = customerRecord(resellerId, "REF-1");
  const admin = userRecord(customer.id, "admin@acme.test", ["customer.user", "user.admin"]);
  const plain = userRecord(customer.id, "ana@acme.test", ["customer.user"]);
  store.addCustomer(customer);
  store.addUser(admin);
  store.addUser(plain);
  return { store, resellerId, customer, admin, plain };
}

/** What the model and its indexes answer, for comparison. */
function observe(store: Store, resellerId: string, customerId: string) {
  return {
    model: JSON.stringify(store.state),
    customers: store.activeCustomersOf(resellerId).map((c) => c.id),
    byReference: ["REF-1", "REF-2"].map((r) => store.activeCustomerByReference(resellerId, r)?.id ?? null),
    users: store.usersOf(customerId).map((u) => u.id),
    byEmail: ["admin@acme.test", "ana@acme.test", "new@acme.test"].map((e) => store.userByEmail(customerId, e)?.id ?? null),
    admins: [...store.adminsOf(customerId)].sort(),
  };
}

test("GIVEN a transaction that changes every kind of thing and then throws WHEN it ends THEN the model and its indexes are as before", () => {
  const { store, resellerId, customer, admin, plain } = seeded();
  const before = observe(store, resellerId, customer.id);

  expect(() =>
    store.transaction(() => {
      store.addCustomer(customerRecord(resellerId, "REF-2"));
      store.updateCustomer(customer, { ...customer, reference: "REF-2", name: "Renamed" });
      store.addUser(userRecord(customer.id, "new@acme.test", ["customer.user", "user.admin"]));
      store.setRoles(admin, ["customer.user"]);
      store.removeUser(plain);
      store.assign(admin, { displayName: "Changed", devices: [{ deviceId: "d1", clientType: "desktop" }] });
      store.put("pbxDirectory", "__proto__", [{ email: "a@b.test", displayName: "A" }]);
      store.put("accessTokens", "at_x", { principal: { kind: "partner", resellerId, partnerUserId: "p" }, expiresAt: 1 });
      store.remove("refreshTokens", store.state.demo.refreshToken);
      store.assign(store.state.auth, { accessTokenSeconds: 5 });
      store.deleteCustomer(customer);
      throw new Error("refused half-way");
    }),
  ).toThrow("refused half-way");

  expect(observe(store, resellerId, customer.id)).toEqual(before);
});

test("GIVEN a transaction that resets the model and then throws WHEN it ends THEN the customers are back", () => {
  const { store, resellerId, customer } = seeded();
  const before = observe(store, resellerId, customer.id);

  expect(() =>
    store.transaction(() => {
      store.reset(NOW);
      throw new Error("boom");
    }),
  ).toThrow("boom");

  expect(observe(store, resellerId, customer.id)).toEqual(before);
});

test("GIVEN a transaction that succeeds WHEN it ends THEN its changes stay, and a later failed one does not undo them", () => {
  const { store, resellerId, customer, plain } = seeded();

  store.transaction(() => store.removeUser(plain));
  expect(() =>
    store.transaction(() => {
      store.assign(store.state.auth, { accessTokenSeconds: 5 });
      throw new Error("boom");
    }),
  ).toThrow("boom");

  expect(store.usersOf(customer.id).map((u) => u.email)).toEqual(["admin@acme.test"]);
  expect(store.state.auth.accessTokenSeconds).toBe(3600);
  expect(store.activeCustomersOf(resellerId)).toHaveLength(1);
});

test.each(["__proto__", "constructor", "toString", "hasOwnProperty", "0"])(
  "GIVEN the key %p WHEN a table is read and written THEN it is an entry like any other and no prototype changes",
  (key) => {
    const t = table<number>();

    const before = entry(t, key);
    t[key] = 1;

    expect(before).toBeUndefined();
    expect(entry(t, key)).toBe(1);
    expect(Object.getPrototypeOf(t)).toBeNull();
    expect(JSON.parse(JSON.stringify(t))).toEqual(JSON.parse(`{${JSON.stringify(key)}:1}`));
  },
);

test("GIVEN a data file holding a PBX account named __proto__ WHEN the emulator loads it THEN it is an entry, not a prototype", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-store-"));
  try {
    const dataFile = path.join(dir, "state.json");
    const first = new Store(dataFile, NOW);
    first.put("pbxDirectory", "__proto__", [{ email: "a@b.test", displayName: "A" }]);
    first.close();

    const second = new Store(dataFile, NOW);

    expect(second.get("pbxDirectory", "__proto__")).toEqual([{ email: "a@b.test", displayName: "A" }]);
    expect(second.get("pbxDirectory", "constructor")).toBeUndefined();
    expect(Object.getPrototypeOf(second.state.pbxDirectory)).toBeNull();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
