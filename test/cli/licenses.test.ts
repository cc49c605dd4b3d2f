/**
 * `dimensions licenses`: the report of the last synth, readable or JSON, and with --live the delta
 * against the API — here the emulator on loopback, with objects created through the client.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { customerDelta, printDelta, runLicenses, type CustomerDelta } from "../../src/cli/licenses";
import { Sandbox } from "../../src/cli/sandbox";
import { createClientFromEnv } from "../../src/client";
import { Customer, CustomerUser, DimensionsStack, Role, RoleAssignment } from "../../src";
import type { TenantDesired } from "../../src/contracts/handler";
import { customerProps, useFakeHandlerBundle } from "../constructs/helpers";

const CU = Role.WEBSITE_ACCESS;
const L1 = Role.REPORTS_SUPERVISOR;
const L2 = Role.ANALYTICS_SUPERVISOR;
const UC = Role.UC_CLIENT;

let sandbox: Sandbox;
let outdir: string;

beforeAll(async () => {
  useFakeHandlerBundle();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-licenses-"));
  sandbox = await Sandbox.start({ dir });
  outdir = path.join(dir, "cdktf.out");

  // The code: LIC-001 with its admin (unchanged), bob moving from level 1 to level 2, carla new
  // with level 1, and the UC client added to old, a user the code does not declare.
  const app = new App({ outdir });
  const stack = new DimensionsStack(app, "licensing", { acceptCharges: true, apiUrl: sandbox.emulator.url });
  const customer = new Customer(stack, "lic", customerProps({ reference: "LIC-001" }));
  new CustomerUser(stack, "admin", { customer, email: "admin@lic.test", displayName: "Admin", roles: [CU, Role.MANAGE_USERS, L1], primaryAdmin: true });
  new CustomerUser(stack, "bob", { customer, email: "bob@lic.test", displayName: "Bob", roles: [CU, L2] });
  new CustomerUser(stack, "carla", { customer, email: "carla@lic.test", displayName: "Carla", roles: [CU, L1] });
  new RoleAssignment(stack, "uc", { customer, roles: [CU, UC], users: ["old@lic.test"] });
  const future = Customer.fromReference(stack, "future", "FUTURE-001");
  new CustomerUser(stack, "fay", { customer: future, email: "fay@future.test", displayName: "Fay", roles: [CU, L2] });
  app.synth();

  // What the API holds now.
  const api = createClientFromEnv(sandbox.env, {});
  const created = await api.createCustomer({ name: "Lic", description: "Licences", reference: "LIC-001" }, { acceptCharges: true });
  for (const [email, roles] of [
    ["admin@lic.test", [CU, Role.MANAGE_USERS, L1]],
    ["bob@lic.test", [CU, L1]],
    ["old@lic.test", [CU, L2]],
  ] as const) {
    await api.createUser(created.id, { email, displayName: email.split("@")[0], roles: [...roles] }, { acceptCharges: true });
  }
});

afterAll(async () => {
  await sandbox?.close();
});

function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  return runLicenses(args, { out: (l) => lines.push(l), env: sandbox.env, cwd: path.dirname(outdir) }).then((code) => ({ code, lines }));
}

test("U9: GIVEN a synthesized stack WHEN `dimensions licenses` runs THEN it prints each customer's licensed roles with names, counts and users", async () => {
  const { code, lines } = await run([]);
  expect(code).toBe(0);
  const text = lines.join("\n");
  expect(text).toContain("stack licensing (");
  expect(text).toContain("customer LIC-001: 4 licensed role grant(s) to 4 of 4 managed user(s)");
  expect(text).toMatch(/Reports Supervisor \(customer\.user\.supervisorl1\)\s+2 {2}admin@lic\.test, carla@lic\.test/);
  expect(text).toContain("customer FUTURE-001 (referenced): 1 licensed role grant(s)");
});

test("U9: GIVEN --live WHEN run against the API THEN the delta shows, per role, the users added and removed", async () => {
  const { code, lines } = await run(["--live", "--json"]);
  expect(code).toBe(0);
  const out = JSON.parse(lines.join("\n")) as { stacks: Array<{ stack: string; live: CustomerDelta[] }> };
  // Customers are sorted by reference.
  const [future, lic] = out.stacks[0].live;
  const none = { byServer: [], may: [], unlisted: false };
  expect(lic).toEqual({
    reference: "LIC-001",
    exists: true,
    before: 3,
    after: 5,
    upTo: 5,
    unlisted: false,
    roles: [
      { key: L1, name: "Reports Supervisor", before: 2, after: 2, added: ["carla@lic.test"], removed: ["bob@lic.test"], ...none },
      { key: L2, name: "Analytics Supervisor", before: 1, after: 2, added: ["bob@lic.test"], removed: [], ...none },
      { key: UC, name: "UC Client", before: 0, after: 1, added: ["old@lic.test"], removed: [], ...none },
    ],
    server: [],
    stillBilled: [],
  });
  expect(future).toMatchObject({ reference: "FUTURE-001", exists: false, before: 0, after: 1 });
});

test("U9: GIVEN --live without --json THEN the delta is printed one role per line", async () => {
  const { lines } = await run(["--live", "--stack", "licensing"]);
  const text = lines.join("\n");
  expect(text).toContain("customer LIC-001: live 3 → 5 licensed role grant(s) (+2)");
  expect(text).toMatch(/Reports Supervisor \(customer\.user\.supervisorl1\)\s+2 → 2\s+\+1 carla@lic\.test; -1 bob@lic\.test/);
  expect(text).toContain("customer FUTURE-001 (does not exist yet: created by apply)");
});

test("U9: GIVEN no synth output WHEN run THEN it says what to do and exits 1", async () => {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runLicenses(["--dir", "nowhere"], { out: (l) => lines.push(l), err: (l) => errors.push(l), env: {}, cwd: os.tmpdir() });
  expect(code).toBe(1);
  expect(errors[0]).toContain("run cdktf synth first");
  // stdout stays for the report: a --json consumer never parses an error.
  expect(lines).toEqual([]);
});

describe("the delta's semantics (pure)", () => {
  const customer = {
    reference: "X",
    owned: true,
    grants: 1,
    roles: [{ key: L1, name: "Reports Supervisor", assignment: "manual", count: 1, users: ["a@x.test"] }],
    users: [{ email: "a@x.test", management: "exact" as const, licensed: [L1] }],
  };
  // What the manifest declares for that customer: a@x.test with customer.user + the Reports Supervisor.
  const desired = { customer: { reference: "X" }, users: { "a@x.test": { displayName: "A", roles: [CU, L1] } } };

  test("U13: GIVEN an exact user holding a server-managed licensed role THEN the delta keeps it", () => {
    const delta = customerDelta(customer, { exists: true, users: [{ email: "A@x.test", roles: [CU, Role.ESSENTIAL_USER, L2] }] }, desired);
    expect(delta.roles.map((r) => [r.key, r.before, r.after])).toEqual([
      [L1, 0, 1],
      [Role.ESSENTIAL_USER, 1, 1],
      [L2, 1, 0],
    ]);
  });

  test("H8: GIVEN authoritative users THEN a live user the code does not declare loses its licensed roles in the delta", () => {
    const delta = customerDelta(customer, { exists: true, users: [{ email: "other@x.test", roles: [CU, L2] }] }, { ...desired, authoritative: true });
    expect(delta.roles.find((r) => r.key === L2)).toMatchObject({ before: 1, after: 0, removed: ["other@x.test"] });
  });

  test("U14: GIVEN a declared user with softphones THEN the delta counts its licensed roles (a licence report never needs the user's devices)", () => {
    const withPhone = { customer: { reference: "X" }, users: { "a@x.test": { displayName: "A", roles: [CU, L1, UC, Role.UC_CLIENT_SOFTPHONE], softphones: [{ device: "1001", clientType: "desktop" as const }] } } };
    const delta = customerDelta(customer, { exists: true, users: [{ email: "a@x.test", roles: [CU] }] }, withPhone);
    expect(delta).toMatchObject({ before: 0, after: 3 });
  });

  test("U9: GIVEN live users the code does not manage THEN they count before and after, unchanged", () => {
    const delta = customerDelta(customer, { exists: true, users: [{ email: "other@x.test", roles: [L2] }] }, desired);
    expect(delta).toMatchObject({ before: 1, after: 2 });
    expect(delta.roles.find((r) => r.key === L2)).toMatchObject({ before: 1, after: 1, added: [], removed: [] });
  });
});

describe("what the server adds, and what removals leave billed", () => {
  const PBX = Role.ESSENTIAL_USER;
  const RT = Role.REAL_TIME_ADD_ON;
  const ACD = Role.AGENT_USER_ADD_ON;
  const L3 = Role.LIVE_ANALYTICS_SUPERVISOR;
  const report = { reference: "X", owned: true, grants: 1, roles: [{ key: L3, name: "Live Analytics Supervisor", assignment: "manual", count: 1, users: ["sup@x.test"] }], users: [] };
  const admin = { "ana@x.test": { displayName: "Ana", roles: [CU, Role.MANAGE_USERS], primary: true } };
  const pbxTenant = (users: Record<string, unknown>, customer: Record<string, unknown> = {}) =>
    ({ customer: { reference: "X", name: "X", description: "x", enabled: true, pbx: { hostRest: "https://p", hostWebsocket: "wss://p", accountId: "a", apiKeyEnv: "K" }, ...customer }, users: { ...admin, ...users } }) as TenantDesired;
  const liveUsers = [
    { email: "ana@x.test", roles: [CU, Role.MANAGE_USERS] },
    { email: "desk@x.test", roles: [PBX] },
    { email: "agent@x.test", roles: [PBX] },
  ];
  const print = (delta: CustomerDelta) => {
    const lines: string[] = [];
    printDelta(delta, (l) => lines.push(l));
    return lines.join("\n");
  };

  test("U11: GIVEN the first supervisor level 3+ WHEN predicted live THEN the Real-Time Add-On of every PBX user is counted, as added by the server", () => {
    const delta = customerDelta(report, { exists: true, users: liveUsers }, pbxTenant({ "sup@x.test": { displayName: "Sup", roles: [CU, L3] } }), "eu");
    expect(delta.roles.find((r) => r.key === RT)).toMatchObject({ before: 0, after: 2, added: ["agent@x.test", "desk@x.test"], byServer: ["agent@x.test", "desk@x.test"] });
    expect(delta).toMatchObject({ before: 2, after: 5, upTo: 5, unlisted: false });
    const text = print(delta);
    expect(text).toMatch(/Real-Time Add-On \(customer\.user\.pbx\.realtime\)\s+0 → 2\s+\+2 by the server agent@x\.test, desk@x\.test/);
    expect(text).toContain("server U11: will add customer.user.pbx.realtime");
  });

  test("U11: GIVEN a supervisor level 3+ already live WHEN another is granted THEN no Real-Time Add-On is predicted", () => {
    const live = [...liveUsers, { email: "old@x.test", roles: [CU, Role.INSIGHTS_SUPERVISOR] }];
    const delta = customerDelta(report, { exists: true, users: live }, pbxTenant({ "sup@x.test": { displayName: "Sup", roles: [CU, L3] } }), "eu");
    expect(delta.roles.find((r) => r.key === RT)).toBeUndefined();
    expect(delta.server).toEqual([]);
  });

  test("U12: GIVEN the sync switched on WHEN predicted live THEN the PBX users may get the ACD add-on: shown as a may, not counted in after", () => {
    const delta = customerDelta(report, { exists: true, users: liveUsers, acdSync: false }, pbxTenant({}, { syncAcdAgentWithPbx: true }), "eu");
    expect(delta.roles.find((r) => r.key === ACD)).toMatchObject({ before: 0, after: 0, may: ["agent@x.test", "desk@x.test"] });
    expect([delta.after, delta.upTo]).toEqual([2, 4]);
    const text = print(delta);
    expect(text).toContain("up to 4 with what the server may add");
    expect(text).toMatch(/Agent User Add-On \(customer\.user\.acd\)\s+0 → 0\s+may \+2 agent@x\.test, desk@x\.test/);
  });

  test("U10: GIVEN a customer the apply creates with its PBX THEN the totals say the import's users are not counted yet", () => {
    const delta = customerDelta(report, { exists: false, users: [] }, pbxTenant({ "sup@x.test": { displayName: "Sup", roles: [CU, L3] } }), "eu");
    expect(delta.unlisted).toBe(true);
    expect(print(delta)).toContain("more for the users the PBX import brings, counted once the customer exists");
  });

  test("H8: GIVEN an undeclared PBX user of an authoritative customer WHEN revoked THEN its server-assigned licensed roles are listed as still billed", () => {
    const live = [...liveUsers, { email: "old@x.test", roles: [CU, PBX, RT, Role.REPORTS_SUPERVISOR] }];
    const delta = customerDelta(report, { exists: true, users: live }, { ...pbxTenant({}), authoritative: true }, "eu");
    expect(delta.stillBilled).toEqual([expect.objectContaining({ rule: "U13", roles: [PBX, RT], users: ["old@x.test"] })]);
    expect(print(delta)).toMatch(/still billed U13: customer\.user\.pbx, customer\.user\.pbx\.realtime \(1 user\(s\): old@x\.test\): revoked, not deleted/);
  });
});
