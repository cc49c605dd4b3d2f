/**
 * `dimensions export` without terraform: what the generator decides for each live user and
 * customer (rule ids in the names), the CSV route of a large customer synthesized in process and
 * compared with the tenant it came from, the reader's paging, concurrency bound and progress, and
 * the command's guard rails. The round trip through terraform is test/e2e/export.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiError } from "../../src/client/errors";
import type { CustomerUser } from "../../src/contracts/api";
import { runExport, type ExportCliDeps } from "../../src/cli/export/command";
import { CSV_ABOVE_USERS } from "../../src/cli/export/plan";
import { PROGRESS_EVERY_USERS, readTenants, type SnapshotCustomer, type SnapshotUser } from "../../src/cli/export/read";
import { renderApp, renderCsv } from "../../src/cli/export/render";
import { findRole, ROLE_CATALOGUE } from "../../src/catalogue/roles";
import { parseUsersCsv } from "../../src/validation/csv";
import { FakeApi } from "../handler/fake-api";
import { ADMIN, customer, only, PBX, plan, RENDER, synthesize, thrown, user } from "./export-helpers";

// ---------------------------------------------------------------------------------------------
// The CSV route (H6) of a large customer

describe("a customer above the CSV size", () => {
  /** 150 users: admins, supervisors, bundle holders, PBX users with and without roles of their own. */
  function bigCustomer(): SnapshotCustomer {
    const users: SnapshotUser[] = [user("admin.a@big.test", [...ADMIN, "customer.user.supervisorl1"]), user("admin.b@big.test", ADMIN)];
    for (let i = 0; i < 100; i++) {
      const roles = [["customer.user", "customer.user.supervisorl2", "recording.viewer"], ["customer.user", "pbx.silentmonitor", "pbx.agentcontrol"], ["customer.user", "customer.user.uc", "customer.user.uc.softphone"], []][i % 4];
      users.push(user(`user.${String(i).padStart(3, "0")}@big.test`, roles, `User, "${i}"`));
    }
    for (let i = 0; i < 47; i++) {
      const roles = i % 2 ? ["customer.user.pbx", "customer.user.pbx.realtime", "customer.user.acd"] : ["customer.user.pbx", "customer.user.pbx.realtime", "customer.user", "customer.user.supervisorl3"];
      users.push(user(`pbx.${String(i).padStart(3, "0")}@big.test`, roles, `PBX ${i}`));
    }
    // A name with outer spaces would not survive a CSV cell (cells are trimmed): it stays in main.ts.
    users.push(user("spaced@big.test", ["customer.user"], " Spaced Name "));
    return customer("BIG-001", users);
  }

  test(`H6: its users go to CSV files read by CustomerUsersFromCsv, and the synthesized app declares every live user exactly`, () => {
    const live = bigCustomer();
    expect(live.users.length).toBeGreaterThan(CSV_ABOVE_USERS);
    const p = plan([live]);
    expect(p.notices.filter((n) => n.code === "ExportInexact")).toEqual([]);
    const files = renderApp(p, RENDER);

    expect([...files.keys()]).toEqual(["big-001.pbx-users.csv", "big-001.users.csv", "cdktf.json", "main.ts", "package.json"]);
    const main = files.get("main.ts")!;
    expect(main).toContain('import * as path from "node:path";');
    expect(main).toMatch(/new CustomerUsersFromCsv\(big001, "users", \{\n {2}customer: big001,\n {2}file: path\.join\(__dirname, "big-001\.users\.csv"\),\n\}\);/);
    expect(main).toMatch(/new CustomerUsersFromCsv\(big001, "pbx-users", \{\n {2}customer: big001,\n {2}file: path\.join\(__dirname, "big-001\.pbx-users\.csv"\),\n {2}adopt: true,\n\}\);/);
    expect(main).toMatch(/new CustomerUser\(big001, "spaced@big\.test", \{[^}]*displayName: " Spaced Name "/);
    expect(main.match(/new CustomerUser\(/g)).toHaveLength(1);

    // The files parse as the construct parses them, without a finding.
    const declared = parseUsersCsv(files.get("big-001.users.csv")!, { file: "big-001.users.csv", displayNameRequired: true, region: "eu" });
    const adopted = parseUsersCsv(files.get("big-001.pbx-users.csv")!, { file: "big-001.pbx-users.csv", displayNameRequired: false, region: "eu" });
    expect([...declared.findings, ...adopted.findings]).toEqual([]);
    expect(declared.rows).toHaveLength(102);
    expect(adopted.rows).toHaveLength(47);
    expect(files.get("big-001.users.csv")!.split("\n")[0]).toBe(
      "email,displayName,primaryAdmin,bundle:administrator,bundle:administrator-with-reports,bundle:live-monitoring,bundle:uc-softphone,Website Access,Recording Playback,Analytics Supervisor",
    );

    // What the synthesized app asks of the tenant: each live user, its roles less the server's own
    // (U13), adopted when on the PBX (H7), one primary admin (H1).
    const users = synthesize(files).get("BIG-001")!;
    const serverManaged = new Set(["customer.user.pbx", "customer.user.pbx.realtime", "customer.user.acd"]);
    const expected = Object.fromEntries(
      live.users.map((u) => [
        u.email,
        {
          roles: u.roles.filter((r) => !serverManaged.has(r)).sort(),
          displayName: u.displayName,
          ...(u.email === "admin.a@big.test" ? { primary: true } : {}),
          ...(u.roles.includes("customer.user.pbx") ? { origin: "adopted" } : {}),
        },
      ]),
    );
    expect(users).toEqual(expected);
  });

  test("H6: every role the app may ask for is a column the CSV parser reads back, and a file of PBX users holding none parses too", () => {
    const manual = ROLE_CATALOGUE.filter((r) => r.assignment === "manual").map((r) => r.key);
    const every = manual.map((role, i) => user(`u${i}@x.test`, [...new Set([role, ...findRole(role)!.prerequisites, "customer.user"])]));
    const rows = plan([customer("X", [user("admin@x.test", ADMIN), ...every])], { csv: true }).customers[0].users;
    const parsed = parseUsersCsv(renderCsv(rows), { file: "x.users.csv", displayNameRequired: true, region: "eu" });
    expect(parsed.findings).toEqual([]);
    expect(parsed.rows.map((r) => [r.email, [...r.roles].sort()])).toEqual(rows.map((u) => [u.email, [...u.roles].sort()]));

    const bare = plan([customer("Y", [user("admin@y.test", ADMIN), user("pbx@y.test", ["customer.user.pbx"])])], { csv: true }).customers[0].users.filter((u) => u.adopt);
    expect(parseUsersCsv(renderCsv(bare), { file: "y.pbx-users.csv", displayNameRequired: false, region: "eu" })).toMatchObject({ findings: [], rows: [{ email: "pbx@y.test", roles: [] }] });
  });

  test(`the documented size: ${CSV_ABOVE_USERS} users stay in main.ts, one more goes to CSV, and --csv sends any customer's there`, () => {
    const users = (n: number) => [user("admin@x.test", ADMIN), ...Array.from({ length: n - 1 }, (_, i) => user(`u${i}@x.test`, ["customer.user"]))];
    expect(plan([customer("AT-LIMIT", users(CSV_ABOVE_USERS))]).customers[0].csv).toBe(false);
    expect(plan([customer("ABOVE", users(CSV_ABOVE_USERS + 1))]).customers[0].csv).toBe(true);
    expect(plan([customer("SMALL", users(2))], { csv: true }).customers[0].csv).toBe(true);
    expect([...renderApp(plan([customer("SMALL", users(2))], { csv: true }), RENDER).keys()]).toContain("small.users.csv");
  });
});

// ---------------------------------------------------------------------------------------------
// What the code says about each live user and customer

describe("users", () => {
  const base = (extra: SnapshotUser[]) => [customer("ACME-001", [user("ana@acme.test", ADMIN), ...extra])];

  test("H7: a user holding the synchronised customer.user.pbx is adopted (never deleted), and so is the UK's customer.user.uc.essential", () => {
    const p = plan(base([user("pbx@acme.test", ["customer.user.pbx", "customer.user"]), user("uk@acme.test", ["customer.user.uc.essential"])]));
    expect(only(p, "pbx@acme.test")).toMatchObject({ adopt: true, roles: ["customer.user"] });
    expect(only(p, "uk@acme.test")).toMatchObject({ adopt: true, roles: [] });
    expect(renderApp(p, RENDER).get("main.ts")).toMatch(/\/\/ On the PBX: adopted, so automation never deletes it \(H7\)\.\nCustomerUser\.adopt\(acme001, "pbx@acme\.test"/);
  });

  test("H7: a user without a synchronised role is declared with new CustomerUser (the app may delete what it declares)", () => {
    const p = plan(base([user("portal@acme.test", ["customer.user", "recording.viewer"])]));
    expect(only(p, "portal@acme.test")).toMatchObject({ adopt: false });
    expect(renderApp(p, RENDER).get("main.ts")).toMatch(/new CustomerUser\(acme001, "portal@acme\.test"/);
  });

  test("U13: roles the server assigns, synchronises or keeps read-only are left out of the declared roles, and named in a comment", () => {
    const p = plan(base([user("agent@acme.test", ["customer.user.pbx", "customer.user.pbx.realtime", "customer.user.acd", "customer.user.microsoftteams", "customer.user", "pbx.silentmonitor"])]));
    expect(only(p, "agent@acme.test")).toMatchObject({
      roles: ["customer.user", "pbx.silentmonitor"],
      serverManaged: ["customer.user.pbx", "customer.user.pbx.realtime", "customer.user.acd", "customer.user.microsoftteams"],
    });
    expect(renderApp(p, RENDER).get("main.ts")).toContain(
      "roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], // the platform's own: customer.user.pbx, customer.user.pbx.realtime, customer.user.acd, customer.user.microsoftteams (U10–U13)",
    );
  });

  test("U13: a user holding only manual roles keeps every one of them", () => {
    expect(only(plan(base([user("bo@acme.test", ["customer.user", "customer.settings", "customer.workspace.admin", "recording.viewer"])])), "bo@acme.test").roles).toEqual([
      "customer.user",
      "customer.settings",
      "customer.workspace.admin",
      "recording.viewer",
    ]);
  });

  test("H2: roles equal to a built-in bundle are that bundle; more or fewer roles are Role constants", () => {
    const p = plan(base([user("mon@acme.test", ["customer.user", "pbx.silentmonitor", "pbx.agentcontrol"]), user("more@acme.test", ["customer.user", "pbx.silentmonitor", "pbx.agentcontrol", "recording.viewer"])]));
    expect(only(p, "mon@acme.test").bundle).toBe("LIVE_MONITORING");
    expect(only(p, "more@acme.test").bundle).toBeUndefined();
    const main = renderApp(p, RENDER).get("main.ts")!;
    expect(main).toContain("roles: [RoleBundle.LIVE_MONITORING],");
    expect(main).toContain("roles: [Role.WEBSITE_ACCESS, Role.SUPERVISOR_AGENT_CONTROL, Role.SILENT_MONITOR, Role.RECORDING_PLAYBACK],");
    expect(main).toContain("roles: [RoleBundle.ADMINISTRATOR],");
  });

  test("U7: a live role the catalogue does not know fails the export (ExportUnknownRole): the app could not declare it, and its apply would remove it", () => {
    const e = thrown(() => plan(base([user("odd@acme.test", ["customer.user", "customer.user.hologram"])])));
    expect(e.code).toBe("ExportUnknownRole");
    expect(e.line).toMatch(/^ExportUnknownRole \[U7\]: 1 role grant\(s\) are not in the role catalogue: ACME-001: odd@acme\.test holds "customer\.user\.hologram"; /);
  });

  test("U7: the vendor's misspelt admin.user is unknown too, never silently dropped", () => {
    expect(thrown(() => plan(base([user("old@acme.test", ["customer.user", "admin.user"])]))).code).toBe("ExportUnknownRole");
  });

  test("U1: two live users with one e-mail (case-insensitively) fail the export (ExportDuplicateUser)", () => {
    expect(thrown(() => plan(base([user("Bo@acme.test", ["customer.user"]), user("bo@acme.test", ["customer.user"])]))).code).toBe("ExportDuplicateUser");
  });

  test("U1: e-mails that differ are exported, sorted case-insensitively", () => {
    const p = plan(base([user("Zed@acme.test", ["customer.user"]), user("bo@acme.test", ["customer.user"])]));
    expect(p.customers[0].users.map((u) => u.email)).toEqual(["ana@acme.test", "bo@acme.test", "Zed@acme.test"]);
  });
});

describe("the primary admin (H1)", () => {
  const two = [customer("ACME-001", [user("zoe@acme.test", ADMIN), user("ana@acme.test", [...ADMIN, "customer.user.supervisorl1"]), user("bo@acme.test", ["customer.user"])])];

  test("H1: of several admins, the first by e-mail is marked primary, with a notice saying how to choose another", () => {
    const p = plan(two);
    expect(p.customers[0].users.filter((u) => u.primary).map((u) => u.email)).toEqual(["ana@acme.test"]);
    expect(p.notices).toContainEqual(expect.objectContaining({ code: "ExportPrimaryAdminChosen", reference: "ACME-001" }));
    expect(renderApp(p, RENDER).get("main.ts")).toContain("primaryAdmin: true, // H1: automation never removes it (the first of its 2 admins by e-mail; --primary-admin ACME-001=<e-mail> marks another)");
  });

  test("H1: --primary-admin marks the admin it names, and no notice is given", () => {
    const p = plan(two, { primaryAdmins: new Map([["ACME-001", "ZOE@acme.test"]]) });
    expect(p.customers[0].users.filter((u) => u.primary).map((u) => u.email)).toEqual(["zoe@acme.test"]);
    expect(p.notices.map((n) => n.code)).not.toContain("ExportPrimaryAdminChosen");
  });

  test("H1: --primary-admin naming a user who is no admin, or a customer not exported, fails (ExportPrimaryAdminInvalid)", () => {
    expect(thrown(() => plan(two, { primaryAdmins: new Map([["ACME-001", "bo@acme.test"]]) })).message).toMatch(/that user is not an admin/);
    expect(thrown(() => plan(two, { primaryAdmins: new Map([["NOPE", "ana@acme.test"]]) })).code).toBe("ExportPrimaryAdminInvalid");
  });
});

describe("customers", () => {
  const admin = user("ana@acme.test", ADMIN);

  test("C4: the PBX connection is declared with the NAME of a variable for its key, unique per customer", () => {
    const p = plan([customer("ACME-001", [admin]), customer("acme_001", [admin])]);
    expect(p.customers.map((c) => c.settings?.pbx.apiKeyEnv)).toEqual(["ACME_001_KAZOO_API_KEY", "ACME_001_KAZOO_API_KEY_2"]);
    expect(p.customers.map((c) => c.id)).toEqual(["acme-001", "acme_001"]);
    expect(renderApp(p, RENDER).get("main.ts")).toContain('apiKeyEnv: "ACME_001_KAZOO_API_KEY", // C4: the NAME of the variable holding the Kazoo API key');
  });

  test("C1/U4: a customer with a Kazoo connection, a description and an admin is declared with new Customer and every setting", () => {
    const p = plan([customer("ACME-001", [admin], { sendNewUserEmail: false, enabled: false, pbx: { ...PBX, monitorSubAccounts: true } })]);
    expect(p.customers[0]).toMatchObject({ owned: true, referencedBecause: [] });
    const main = renderApp(p, RENDER).get("main.ts")!;
    for (const line of ["  enabled: false,", '  timezone: "Europe/Paris",', "  syncAcdAgentWithPbx: false,", "  sendNewUserEmail: false,", "    monitorSubAccounts: true,"]) expect(main).toContain(`${line}\n`);
  });

  test("C1/U4: without a PBX connection, a description or an admin, a customer is referenced (Customer.fromReference) and its users still declared", () => {
    const p = plan([customer("NOPBX", [admin], { pbx: undefined }), customer("NODESC", [admin], { description: undefined }), customer("NOADMIN", [user("pbx@x.test", ["customer.user.pbx"])])]);
    expect(p.customers.map((c) => [c.reference, c.owned, c.referencedBecause.length])).toEqual([
      ["NOADMIN", false, 1],
      ["NODESC", false, 1],
      ["NOPBX", false, 1],
    ]);
    expect(p.notices.filter((n) => n.code === "ExportCustomerReferenced").map((n) => n.reference)).toEqual(["NOADMIN", "NODESC", "NOPBX"]);
    const main = renderApp(p, RENDER).get("main.ts")!;
    expect(main).toContain('const noadmin = Customer.fromReference(stack, "noadmin", "NOADMIN");');
    expect(main).toMatch(/CustomerUser\.adopt\(noadmin, "pbx@x\.test"/);
  });

  test("a customer id never takes one of the stack's own ids, and ids and variable names stay valid and unique", () => {
    const p = plan([customer("dimensions", [admin]), customer("001", [admin]), customer("New", [admin])]);
    expect(p.customers.map((c) => [c.id, c.variable])).toEqual([
      ["customer-001", "customer001"],
      ["new", "customerNew"], // a construct id may be a keyword, a variable may not
      ["customer-dimensions", "customerDimensions"],
    ]);
  });

  test("an API answer without a field the code must state is an ExportInexact notice naming the change", () => {
    const p = plan([customer("ACME-001", [admin], { enabled: undefined })]);
    expect(p.notices).toContainEqual({ code: "ExportInexact", reference: "ACME-001", message: "apply would patch the customer (enabled)" });
  });

  test("the output is the same bytes whatever order the API answered in", () => {
    const a = [customer("B", [user("zz@b.test", ["customer.user"]), admin]), customer("A", [admin, user("bo@a.test", ["customer.user", "recording.viewer"].reverse())])];
    const b = [...a].reverse().map((c) => ({ ...c, users: [...c.users].reverse() }));
    expect(renderApp(plan(b), RENDER)).toEqual(renderApp(plan(a), RENDER));
  });
});

// ---------------------------------------------------------------------------------------------
// Reading the live tenants

/** FakeApi whose user reads take a turn, recording how many are in flight. */
class SlowReads extends FakeApi {
  readsInFlight = 0;
  maxInFlight = 0;
  failOn?: string;
  override async getUser(customerId: string, userId: string): Promise<CustomerUser> {
    this.readsInFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.readsInFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.failOn === userId) throw new ApiError(503, "InternalError", "busy", "GET", `/customers/${customerId}/users/${userId}`);
      return await super.getUser(customerId, userId);
    } finally {
      this.readsInFlight--;
    }
  }
}

const NOW = () => new Date("2026-01-05T10:00:00.000Z");

describe("reading", () => {
  test("C4: the PBX API key the API echoes is not kept: the snapshot holds the connection without it", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: "ACME-001", pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", ...PBX, apiKey: "kazoo-secret-unit-7f3e" } });
    const snapshot = await readTenants(api, { references: ["ACME-001"] }, { concurrency: 2, progress: () => undefined }, NOW);
    expect(snapshot.customers[0].pbx).toEqual(PBX);
    expect(JSON.stringify(snapshot)).not.toContain("kazoo-secret-unit-7f3e");
  });

  test("user reads are bounded by the concurrency, and a large customer prints a progress line every 500 users", async () => {
    const api = new SlowReads();
    const c = api.addCustomer({ reference: "BIG" });
    const n = 2 * PROGRESS_EVERY_USERS + 7;
    for (let i = 0; i < n; i++) api.addUser(c.id, `u${i}@big.test`, ["customer.user"]);
    const progress: string[] = [];
    const snapshot = await readTenants(api, { references: ["BIG"] }, { concurrency: 3, progress: (l) => progress.push(l) }, NOW);
    expect(snapshot.customers[0].users).toHaveLength(n);
    expect(api.maxInFlight).toBe(3);
    expect(progress).toEqual([`customer BIG: 500/${n} users read`, `customer BIG: 1000/${n} users read`, `customer BIG: ${n}/${n} users read`]);
  });

  test("a small customer is read without progress lines, and a user deleted between the listing and its read is left out", async () => {
    const api = new SlowReads();
    const c = api.addCustomer({ reference: "SMALL" });
    api.addUser(c.id, "a@small.test", ["customer.user"]);
    const gone = api.addUser(c.id, "b@small.test", ["customer.user"]);
    const original = api.listUsers.bind(api);
    api.listUsers = async (id: string) => {
      const listed = await original(id);
      api.users.get(c.id)!.delete(gone.id);
      return listed;
    };
    const progress: string[] = [];
    const snapshot = await readTenants(api, { references: ["SMALL"] }, { concurrency: 4, progress: (l) => progress.push(l) }, NOW);
    expect(snapshot.customers[0].users.map((u) => u.email)).toEqual(["a@small.test"]);
    expect(progress).toEqual([]);
  });

  test("C2: references that name no customer fail together (ExportCustomerNotFound); one naming two customers fails (ExportDuplicateReference)", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: "TWICE" });
    api.addCustomer({ reference: "TWICE" });
    await expect(readTenants(api, { references: ["NOPE", "ALSO-NOPE"] }, { concurrency: 1, progress: () => undefined }, NOW)).rejects.toMatchObject({ code: "ExportCustomerNotFound", message: 'no customer has the reference "ALSO-NOPE", "NOPE"' });
    await expect(readTenants(api, { all: true }, { concurrency: 1, progress: () => undefined }, NOW)).rejects.toMatchObject({ code: "ExportDuplicateReference" });
  });

  test("C2: --all skips a customer without a reference, with a notice", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: "" });
    api.addCustomer({ reference: "KEPT" });
    const snapshot = await readTenants(api, { all: true }, { concurrency: 1, progress: () => undefined }, NOW);
    expect(snapshot.customers.map((c) => c.reference)).toEqual(["KEPT"]);
    expect(snapshot.notices.map((n) => n.code)).toEqual(["ExportCustomerSkipped"]);
  });

  test("a failed read fails the export with the client's code (ExportApiFailed)", async () => {
    const api = new SlowReads();
    const c = api.addCustomer({ reference: "ACME" });
    api.failOn = api.addUser(c.id, "a@acme.test", ["customer.user"]).id;
    await expect(readTenants(api, { all: true }, { concurrency: 2, progress: () => undefined }, NOW)).rejects.toMatchObject({ code: "ExportApiFailed", message: expect.stringMatching(/^InternalError: GET \/customers\/.* → 503 InternalError: busy$/) });
  });
});

// ---------------------------------------------------------------------------------------------
// The command

describe("dimensions export", () => {
  let cwd: string;
  let api: FakeApi;
  let lines: string[];
  const deps = (env: NodeJS.ProcessEnv = {}): ExportCliDeps => ({ out: (l) => lines.push(l), err: (l) => lines.push(l), env, cwd, now: NOW, client: () => api });

  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-export-cmd-"));
    lines = [];
    api = new FakeApi();
    const c = api.addCustomer({ reference: "ACME-001", name: "Acme", description: "d", timezone: "Europe/Paris", pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", ...PBX, apiKey: "kazoo-secret-cmd-1" } });
    api.addUser(c.id, "ana@acme.test", ADMIN, "Ana");
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  test("writes the app into a new directory, the same bytes on every run, and says what to do next", async () => {
    expect(await runExport(["--customer", "ACME-001", "--out", "one"], deps())).toBe(0);
    expect(await runExport(["--customer", "ACME-001", "--out", "two"], deps())).toBe(0);
    const read = (dir: string) => Object.fromEntries(fs.readdirSync(path.join(cwd, dir)).map((f) => [f, fs.readFileSync(path.join(cwd, dir, f), "utf8")]));
    expect(read("two")).toEqual(read("one"));
    expect(read("one")["main.ts"]).toMatch(/^\/\/ Generated by `dimensions export --customer ACME-001 --region eu` at 2026-01-05T10:00:00\.000Z\n/);
    expect(lines).toContain("wrote one/: cdktf.json, main.ts, package.json (1 customer, 1 user)");
    expect(JSON.stringify(read("one")) + lines.join("\n")).not.toContain("kazoo-secret-cmd-1");
  });

  test("refuses a non-empty --out directory before reading anything (ExportOutNotEmpty), and overwrites it with --force", async () => {
    fs.mkdirSync(path.join(cwd, "app"));
    fs.writeFileSync(path.join(cwd, "app", "main.ts"), "// mine\n");
    expect(await runExport(["--all", "--out", "app"], deps())).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/^dimensions export: ExportOutNotEmpty \[runtime\]: --out .*app is not empty \(1 entry: main\.ts\); .*--force/)]);
    expect(api.calls).toEqual([]);
    expect(fs.readFileSync(path.join(cwd, "app", "main.ts"), "utf8")).toBe("// mine\n");

    expect(await runExport(["--all", "--out", "app", "--force"], deps())).toBe(0);
    expect(fs.readFileSync(path.join(cwd, "app", "main.ts"), "utf8")).toMatch(/^\/\/ Generated by `dimensions export --all --region eu`/);
  });

  test("an --out that is a file, and a DIMENSIONS_CONCURRENCY out of range, are coded errors", async () => {
    fs.writeFileSync(path.join(cwd, "file"), "");
    expect(await runExport(["--all", "--out", "file"], deps())).toBe(1);
    expect(await runExport(["--all", "--out", "app"], deps({ DIMENSIONS_CONCURRENCY: "0" }))).toBe(1);
    expect(lines.map((l) => l.split(" ")[2])).toEqual(["ExportOutInvalid", "ExportEnvInvalid"]);
  });

  test("--customer or --all is required, and not both (usage errors, exit 2)", async () => {
    expect(await runExport(["--out", "app"], deps())).toBe(2);
    expect(lines.join("\n")).toMatch(/name the customers to export with --customer REFERENCE …, or pass --all/);
    expect(await runExport(["--all", "--customer", "ACME-001"], deps())).toBe(2);
    expect(await runExport(["--all", "--primary-admin", "ACME-001"], deps())).toBe(2);
    expect(fs.existsSync(path.join(cwd, "app"))).toBe(false);
  });

  test("missing credentials are a coded error naming the variables (ExportApiFailed)", async () => {
    const code = await runExport(["--all"], { ...deps({}), client: undefined });
    expect(code).toBe(1);
    expect(lines.join("\n")).toMatch(/^dimensions export: ExportApiFailed \[runtime\]: CredentialsMissing: no API credentials: missing DIMENSIONS_CLIENT_ID/);
  });
});
