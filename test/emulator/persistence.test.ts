/**
 * `--data FILE` (api-contract §6): state survives a restart; writes are atomic.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { call, demoClient, start } from "./support";

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
