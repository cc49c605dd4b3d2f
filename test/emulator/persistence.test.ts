/**
 * `--data FILE` (api-contract §6): state survives a restart; writes are atomic, coalesced for API
 * calls (a burst is written once per interval, and on close), and the file format stays the one
 * earlier versions wrote.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Store } from "../../src/emulator/store";
import { call, demoClient, start } from "./support";

/** A data file as the emulator wrote it before it indexed customers and users. */
const LEGACY_STATE = path.join(__dirname, "fixtures", "state-before-indexes.json");

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-emulator-data-"));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test("GIVEN a data file WHEN the emulator restarts THEN customers, users and the demo credentials are still there", async () => {
  const dataFile = path.join(dir, "state.json");
  const first = await start({ dataFile });
  const api = await demoClient(first);
  const { customerId, adminId } = await api.customerWithAdmin({ name: "Persisted" });
  const demo = first.demo;
  await first.close();

  const second = await start({ dataFile });
  try {
    const again = await demoClient(second);
    const customer = await again.call<{ data: { name: string } }>("GET", `/customers/${customerId}`);

    expect(customer.body.data.name).toBe("Persisted");
    expect(await again.roles(customerId, adminId)).toEqual(["customer.user", "user.admin"]);
    expect(second.demo).toEqual(demo);
  } finally {
    await second.close();
  }
});

test("GIVEN a data file WHEN mutations happen THEN no temporary file is left beside it", async () => {
  const dataFile = path.join(dir, "state.json");
  const emulator = await start({ dataFile });
  try {
    const api = await demoClient(emulator);
    await api.customerWithAdmin();

    expect(fs.readdirSync(dir)).toEqual(["state.json"]);
    expect(JSON.parse(fs.readFileSync(dataFile, "utf8"))).toMatchObject({ version: 1 });
  } finally {
    await emulator.close();
  }
});

test("GIVEN a data file WHEN the emulator is reset THEN the file holds the empty state", async () => {
  const dataFile = path.join(dir, "state.json");
  const emulator = await start({ dataFile });
  try {
    await (await demoClient(emulator)).createCustomer();

    await call(emulator, "POST", "/_emulator/reset");

    expect(JSON.parse(fs.readFileSync(dataFile, "utf8")).customers).toEqual({});
  } finally {
    await emulator.close();
  }
});

test("GIVEN a data file that is not JSON WHEN the emulator starts THEN it refuses with a message naming the file", async () => {
  const dataFile = path.join(dir, "broken.json");
  fs.writeFileSync(dataFile, "{oops");

  await expect(start({ dataFile })).rejects.toThrow(/broken\.json/);
});

test("GIVEN a burst of user creates against a data file WHEN the emulator is closed right after THEN a restart finds every user", async () => {
  const dataFile = path.join(dir, "state.json");
  const first = await start({ dataFile });
  const api = await demoClient(first);
  const { customerId } = await api.customerWithAdmin();
  await Promise.all(Array.from({ length: 40 }, (_, i) => api.createUser(customerId, `burst${i}@acme.test`)));
  await first.close();

  const second = await start({ dataFile });
  try {
    const again = await demoClient(second);
    const list = await again.call<{ data: Array<{ email: string }> }>("GET", `/customers/${customerId}/users`);

    expect(list.body.data).toHaveLength(41);
    expect((await again.call("POST", `/customers/${customerId}/users`, { email: "BURST39@acme.test", displayName: "Dup", roles: [] })).status).toBe(409);
  } finally {
    await second.close();
  }
});

test("GIVEN a data file written before the indexes existed WHEN the emulator starts THEN customers are found by reference, users by e-mail, and the admin rules see its admin", async () => {
  const dataFile = path.join(dir, "state.json");
  fs.copyFileSync(LEGACY_STATE, dataFile);
  const emulator = await start({ dataFile });
  try {
    const api = await demoClient(emulator);
    const customers = await api.call<{ data: Array<{ id: string; name: string }> }>("GET", "/customers");
    const legacy = customers.body.data[0].id;
    const users = await api.call<{ data: Array<{ id: string; email: string }> }>("GET", `/customers/${legacy}/users`);
    const admin = users.body.data.find((u) => u.email === "Admin@Legacy.test")?.id;

    const sameReference = await api.call("POST", "/customers", { name: "Copy", description: "d", reference: "LEGACY-1" }, { charges: true });
    const deletedReference = await api.call("POST", "/customers", { name: "Reuse", description: "d", reference: "LEGACY-GONE" }, { charges: true });
    const sameEmail = await api.call("POST", `/customers/${legacy}/users`, { email: "admin@LEGACY.TEST", displayName: "Dup", roles: [] });
    const lastAdmin = await api.call("DELETE", `/customers/${legacy}/users/${admin}`);

    expect(customers.body.data.map((c) => c.name)).toEqual(["Legacy Ltd"]);
    expect(users.body.data.map((u) => u.email)).toEqual(["Desk@Legacy.test", "Admin@Legacy.test", "ana@legacy.test"]);
    expect(sameReference.body).toMatchObject({ errorCode: "ValidationFailed", data: { id: legacy } });
    expect(deletedReference.status).toBe(201);
    expect(sameEmail.body).toMatchObject({ errorCode: "UserAlreadyExists", data: { id: admin } });
    expect(lastAdmin.body.errorCode).toBe("LastUserAdministrator");
  } finally {
    await emulator.close();
  }
});

test("GIVEN a data file written before the indexes existed WHEN it is loaded and written again THEN its content is unchanged", async () => {
  const dataFile = path.join(dir, "state.json");
  fs.copyFileSync(LEGACY_STATE, dataFile);

  const emulator = await start({ dataFile });
  await emulator.close();

  expect(JSON.parse(fs.readFileSync(dataFile, "utf8"))).toEqual(JSON.parse(fs.readFileSync(LEGACY_STATE, "utf8")));
});

describe("coalesced writes (Store)", () => {
  const tokenSeconds = (file: string): number => JSON.parse(fs.readFileSync(file, "utf8")).auth.accessTokenSeconds;

  function change(store: Store, seconds: number): void {
    store.state.auth.accessTokenSeconds = seconds;
    store.touch();
    store.flushSoon();
  }

  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  test("GIVEN a data file WHEN changes come faster than the write interval THEN the file gets them all together when the interval ends", () => {
    const dataFile = path.join(dir, "state.json");
    const store = new Store(dataFile, new Date(0).toISOString());

    for (const seconds of [10, 20, 30]) change(store, seconds);
    const during = tokenSeconds(dataFile);
    jest.advanceTimersByTime(100);

    expect(during).toBe(3600);
    expect(tokenSeconds(dataFile)).toBe(30);
    expect(fs.readdirSync(dir)).toEqual(["state.json"]);
  });

  test("GIVEN no write for a whole interval WHEN a change comes THEN it is written at once", () => {
    const dataFile = path.join(dir, "state.json");
    const store = new Store(dataFile, new Date(0).toISOString());
    jest.advanceTimersByTime(100);

    change(store, 10);

    expect(tokenSeconds(dataFile)).toBe(10);
  });

  test("GIVEN changes still waiting for the interval WHEN the store is closed THEN the data file holds them and nothing stays scheduled", () => {
    const dataFile = path.join(dir, "state.json");
    const store = new Store(dataFile, new Date(0).toISOString());
    change(store, 10);

    store.close();

    expect(tokenSeconds(dataFile)).toBe(10);
    expect(jest.getTimerCount()).toBe(0);
  });
});
