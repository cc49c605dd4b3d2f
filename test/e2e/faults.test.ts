/**
 * One apply under faults: with about 20 % 429/500/503 and 5 % dropped connections on every API
 * and token route, 3 customers × 20 users converge in at most two applies (only a customer create
 * of unknown outcome may need the second), with no duplicate customer or user and the tenants
 * exactly as declared. And a hung API fails a handler run in bounded time, saying which bound.
 */
import type { App } from "cdktf";
import { Customer, CustomerUser, DimensionsStack, Role } from "../../src";
import { describeE2E, Workspace } from "./harness";
import { PBX_KEY_ENV, PBX_KEY_VALUE } from "./fixture-stack";

jest.setTimeout(600_000);

const CUSTOMERS = 3;
const USERS = 20;

function stack(app: App): DimensionsStack {
  const s = new DimensionsStack(app, "faults", { acceptCharges: true, region: "eu" });
  for (let c = 0; c < CUSTOMERS; c++) {
    const customer = new Customer(s, `c${c}`, {
      name: `Faults ${c}`,
      description: "customer under faults",
      reference: `FLT-${c}`,
      pbx: { hostRest: "https://pbx.test", hostWebsocket: "wss://pbx.test", accountId: `pbx-flt-${c}`, apiKeyEnv: PBX_KEY_ENV },
    });
    for (let u = 0; u < USERS; u++) {
      new CustomerUser(customer, `u${u}`, {
        customer,
        email: `u${u}@flt${c}.test`,
        displayName: `User ${u}`,
        roles: u === 0 ? [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR] : [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK],
        primaryAdmin: u === 0,
      });
    }
  }
  return s;
}

const FAULTS = {
  seed: 42,
  rules: [
    { rate: 0.05, kind: "drop" },
    { rate: 0.07, kind: "429", retryAfterSeconds: 1 },
    { rate: 0.07, kind: "500" },
    { rate: 0.07, kind: "503" },
  ],
};

describeE2E("faults against the emulator", () => {
  let ws: Workspace;

  afterEach(async () => {
    await ws?.close();
  });

  test("under ~20 % 429/500/503 and 5 % drops on every route, 3 × 20 users converge in at most two applies, nothing duplicated", async () => {
    ws = await Workspace.create("faults", { [PBX_KEY_ENV]: PBX_KEY_VALUE, DIMENSIONS_REQUEST_TIMEOUT_SECONDS: "5" });
    ws.synth(stack);
    await ws.control("PUT", "/faults", FAULTS);
    const applies: number[] = [];
    for (let i = 0; i < 2; i++) {
      const result = await ws.terraform(["apply", "-auto-approve", "-input=false"]);
      applies.push(result.code);
      if (result.code === 0) break;
      // Only a customer create whose outcome stayed unknown may need the second apply.
      const failures = (result.stdout + result.stderr)
        .split("\n")
        // Coded failure lines (`dimensions: <Code> [rule]: …`), not the action lines (`dimensions: api: …`).
        .filter((l) => /dimensions: [A-Z][A-Za-z]+(?: \[[^\]]*\])?: |FAILED/.test(l))
        .filter((l) => !/Error running command|Output:/.test(l));
      expect(failures.length).toBeGreaterThan(0);
      for (const line of failures) expect(line).toMatch(/CreateOutcomeUnknown: customer FLT-\d/);
    }
    const stats = await ws.stats();
    await ws.control("DELETE", "/faults");
    expect(applies[applies.length - 1]).toBe(0);
    // The faults really fired, on the token route too.
    expect(Object.keys(stats.calls).some((k) => / (429|500|503|dropped)$/.test(k))).toBe(true);

    const customers = await ws.api.listCustomers();
    for (let c = 0; c < CUSTOMERS; c++) {
      expect(customers.filter((x) => x.reference === `FLT-${c}`)).toHaveLength(1);
      const users = await ws.users(`FLT-${c}`);
      expect(users.size).toBe(USERS);
      for (let u = 0; u < USERS; u++) {
        expect(users.get(`u${u}@flt${c}.test`)?.roles).toEqual(u === 0 ? ["customer.user", "customer.user.supervisorl1", "user.admin"] : ["customer.user", "recording.viewer"]);
      }
    }
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("a hung API fails the handler run within its bound, with a coded error naming the bound", async () => {
    ws = await Workspace.create("hung", { [PBX_KEY_ENV]: PBX_KEY_VALUE, DIMENSIONS_REQUEST_TIMEOUT_SECONDS: "2", DIMENSIONS_HANDLER_TIMEOUT_SECONDS: "10" });
    ws.synth(stack);
    // Every customers call hangs for a minute.
    await ws.control("PUT", "/faults", { seed: 1, rules: [{ route: "/api/v1.0/customers", rate: 1, kind: "delay", delayMs: 60_000 }] });
    const started = Date.now();
    const result = await ws.terraform(["apply", "-auto-approve", "-input=false"]);
    const seconds = (Date.now() - started) / 1000;
    await ws.control("DELETE", "/faults");
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/HandlerTimeout: .*DIMENSIONS_HANDLER_TIMEOUT_SECONDS|NetworkError: .*ETIMEDOUT[\s\S]*DIMENSIONS_REQUEST_TIMEOUT_SECONDS/);
    expect(seconds).toBeLessThan(60);
  });
});
