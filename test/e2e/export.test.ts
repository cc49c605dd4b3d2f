/**
 * `dimensions export`, round trip against the emulator: a tenant seeded through the API (admins,
 * supervisors, users on the PBX — one of them a supervisor level 3, so the server adds the
 * Real-Time Add-On, U11 — ACD agents synchronised from the PBX, U12, a user holding a bundle's
 * roles, users holding softphones, U14 — a declared one with two devices, an adopted one with one
 * — a customer with PBX details and one without) is exported; the app written compiles
 * against this package's declarations, synthesizes, and `terraform apply` of it against the same
 * emulator sends no write request (counted by method: no assign or unassign either); a second
 * plan is empty, and the tenant, its devices included, is as it was. The same with --csv, where
 * the users and their softphones are CSV files read by CustomerUsersFromCsv (H6).
 *
 * The app depends on this package as an installed app does (node_modules/cdktf-dimensions), here a
 * link to the repository: no pack and no install, to stay lean on CI's two cores
 * (package-install.test.ts proves the packed package installs).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertTerraformOk } from "../../src/cli/terraform";
import { runExport } from "../../src/cli/export/command";
import type { DimensionsApi } from "../../src/client";
import { describeE2E, Workspace, type UserRow } from "./harness";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const PBX_ACCOUNT = "export-pbx";
const PBX_KEY = "kazoo-secret-export-5be0d1";
const CHARGES = { acceptCharges: true };

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Every file under `dir` (node_modules aside), as text. */
function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (entry.split(path.sep)[0] === "node_modules" || entry.includes(`${path.sep}.terraform${path.sep}`)) continue;
    const full = path.join(dir, entry);
    if (fs.lstatSync(full).isFile()) out.set(entry, fs.readFileSync(full, "utf8"));
  }
  return out;
}

/** API requests by method (token grants under /connect are not the API's). */
function byMethod(calls: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(calls)) {
    const [method, route] = key.split(" ");
    if (route.startsWith("/connect")) continue;
    out[method] = (out[method] ?? 0) + n;
  }
  return out;
}

/** Each user's devices as the API reports them (`device:clientType`, sorted), by lower-cased e-mail. */
async function devicesOf(api: DimensionsApi, customerId: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const listed of await api.listUsers(customerId)) {
    const user = await api.getUser(customerId, listed.id, { devices: true });
    out.set(user.email.toLowerCase(), (user.devices ?? []).map((d) => `${d.deviceId}:${d.clientType}`).sort());
  }
  return out;
}

function minus(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n - (before[k] ?? 0) > 0) out[k] = n - (before[k] ?? 0);
  return out;
}

describeE2E("dimensions export: a live tenant, exported and applied to itself", () => {
  let ws: Workspace;
  let before: { exp: Map<string, UserRow>; other: Map<string, UserRow> };
  let devicesBefore: Map<string, string[]>;
  let expId: string;

  beforeAll(async () => {
    ws = await Workspace.create("export");
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, [
      { email: "agent.one@exp.test", displayName: "Agent One", acdAgent: true },
      // U14: the PBX's devices, any of which a user of the customer may hold.
      { email: "lead@exp.test", displayName: "Team Lead", devices: ["1001", "1002", "3001"] },
    ]);
    const api = ws.api;
    const exp = await api.createCustomer(
      {
        name: "Export Co",
        description: "a tenant brought under code",
        reference: "EXP-001",
        enabled: true,
        timezone: "Europe/Paris",
        countryCode: "FR",
        syncAcdAgentWithPbx: true,
        pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", hostRest: "https://pbx.exp.test:8443", hostWebsocket: "wss://pbx.exp.test:5065", accountId: PBX_ACCOUNT, apiKey: PBX_KEY, monitorSubAccounts: false },
      },
      CHARGES,
    );
    // U5: the first admin before anything else.
    await api.createUser(exp.id, { email: "ana@exp.test", displayName: "Ana Admin", roles: ["customer.user", "user.admin", "customer.user.supervisorl1"] }, CHARGES);
    await api.createUser(exp.id, { email: "zoe@exp.test", displayName: 'Zoé "Z" Admin, IT', roles: ["customer.user", "user.admin"] }, CHARGES);
    await api.createUser(exp.id, { email: "bruno@exp.test", displayName: "Bruno Supervisor", roles: ["customer.user", "customer.user.supervisorl2", "recording.viewer"] }, CHARGES);
    await api.createUser(exp.id, { email: "carla@exp.test", displayName: "Carla Monitor", roles: ["customer.user", "pbx.silentmonitor", "pbx.agentcontrol"] }, CHARGES);
    const lead = (await api.listUsers(exp.id)).find((u) => u.email === "lead@exp.test")!;
    await api.patchUser(exp.id, lead.id, [{ op: "replace", path: "/roles", value: ["customer.user", "customer.user.supervisorl3", "customer.user.uc", "customer.user.uc.softphone"] }], CHARGES);
    // U14: softphones, assigned in the portal: two on a declared user, one on the adopted lead.
    const uma = await api.createUser(exp.id, { email: "uma@exp.test", displayName: "Uma Softphone", roles: ["customer.user", "customer.user.uc", "customer.user.uc.softphone"] }, CHARGES);
    const umaId = "created" in uma ? uma.created.id : uma.existing;
    await api.assignDevice(exp.id, umaId, "1002", "mobile");
    await api.assignDevice(exp.id, umaId, "1001", "desktop");
    await api.assignDevice(exp.id, lead.id, "3001", "webrtc");
    expId = exp.id;
    // No PBX connection: exported as a referenced customer, its users declared.
    const other = await api.createCustomer({ name: "Other Co", description: "no PBX", reference: "OTH-002", enabled: true }, CHARGES);
    await api.createUser(other.id, { email: "olga@oth.test", displayName: "Olga", roles: ["customer.user", "user.admin"] }, CHARGES);
    before = { exp: await ws.users("EXP-001"), other: await ws.users("OTH-002") };
    devicesBefore = await devicesOf(api, exp.id);
    expect(Object.fromEntries([...devicesBefore].filter(([, d]) => d.length > 0))).toEqual({ "lead@exp.test": ["3001:webrtc"], "uma@exp.test": ["1001:desktop", "1002:mobile"] });
    // The server's own roles are there to be left alone (U10, U11, U12).
    expect(before.exp.get("agent.one@exp.test")?.roles).toEqual(["customer.user.acd", "customer.user.pbx", "customer.user.pbx.realtime"]);
    expect(before.exp.get("lead@exp.test")?.roles).toEqual(["customer.user", "customer.user.pbx", "customer.user.pbx.realtime", "customer.user.supervisorl3", "customer.user.uc", "customer.user.uc.softphone"]);
  });

  afterAll(async () => {
    await ws?.close();
  });

  /**
   * Installs the exported app, type-checks and synthesizes it, applies it: only reads are sent, a
   * second plan is empty, and the tenant (roles and devices) is as it was.
   */
  async function applyUnchanged(app: string): Promise<void> {
    // Installed the way an app has it: the package and its peers under node_modules.
    fs.mkdirSync(path.join(app, "node_modules", "@types"), { recursive: true });
    fs.symlinkSync(ROOT, path.join(app, "node_modules", "cdktf-dimensions"));
    for (const name of ["cdktf", "constructs", "tsx", "@types/node"]) fs.symlinkSync(path.join(ROOT, "node_modules", name), path.join(app, "node_modules", name));

    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const typecheck = await run(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "main.ts"], app, ws.sandbox.env);
    expect(typecheck).toEqual({ code: 0, output: "" });
    // What `cdktf synth` runs (cdktf.json: npx tsx main.ts).
    const synth = await run(process.execPath, ["--import", "tsx", "main.ts"], app, { ...ws.sandbox.env, CDKTF_OUTDIR: path.join(app, "cdktf.out") });
    expect(synth.code).toBe(0);
    expect(synth.output).not.toMatch(/ERROR/);
    const stackDir = path.join(app, "cdktf.out", "stacks", "customers");

    assertTerraformOk(await ws.sandbox.terraform(["init", "-input=false"], stackDir));
    const statsBefore = await ws.stats();
    // The PBX key's variable is not even set: nothing is created, so nothing needs it (C4).
    assertTerraformOk(await ws.sandbox.terraform(["apply", "-auto-approve", "-input=false"], stackDir));
    const sent = minus(byMethod((await ws.stats()).calls), byMethod(statsBefore.calls));
    // No POST, PATCH or DELETE, and no device PUT (assign, unassign): reads only.
    expect(Object.keys(sent)).toEqual(["GET"]);
    expect(sent.GET).toBeGreaterThan(0);

    const plan = await ws.sandbox.terraform(["plan", "-detailed-exitcode", "-input=false"], stackDir);
    expect({ code: plan.code, stdout: plan.stdout }).toMatchObject({ code: 0 });
    expect({ exp: await ws.users("EXP-001"), other: await ws.users("OTH-002") }).toEqual(before);
    expect(await devicesOf(ws.api, expId)).toEqual(devicesBefore);
  }

  test("the export compiles, synthesizes, and its apply sends no write request; a second plan is empty", async () => {
    const app = path.join(ws.dir, "app");
    const lines: string[] = [];
    const code = await runExport(["--all", "--out", "app"], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: ws.sandbox.env, cwd: ws.dir });
    expect({ code, lines }).toMatchObject({ code: 0 });
    expect(lines.join("\n")).toMatch(/ExportCustomerReferenced \[C1\/U4\]: customer OTH-002: declared with Customer\.fromReference: it has no PBX connection/);
    expect(lines.join("\n")).toMatch(/ExportPrimaryAdminChosen \[H1\]: customer EXP-001: ana@exp\.test is marked primary admin/);

    const written = filesUnder(app);
    expect([...written.keys()].sort()).toEqual(["cdktf.json", "main.ts", "package.json"]);
    const main = written.get("main.ts")!;
    expect(main).toContain('apiKeyEnv: "EXP_001_KAZOO_API_KEY"');
    expect(main).toMatch(/CustomerUser\.adopt\(exp001, "lead@exp\.test", \{[^}]*roles: \[Role\.WEBSITE_ACCESS, Role\.LIVE_ANALYTICS_SUPERVISOR, Role\.UC_CLIENT, Role\.UC_CLIENT_SOFTPHONE\], \/\/ the platform's own: [^\n]*\n {2}softphones: \[\n {4}\{ device: "3001", clientType: ClientType\.WEBRTC \},\n {2}\],/);
    expect(main).toMatch(/new CustomerUser\(exp001, "uma@exp\.test", \{[^}]*roles: \[RoleBundle\.UC_SOFTPHONE\],\n {2}softphones: \[\n {4}\{ device: "1001", clientType: ClientType\.DESKTOP \},\n {4}\{ device: "1002", clientType: ClientType\.MOBILE \},\n {2}\],/);
    // A user the API reports no device for declares none: the code holds devices exactly.
    expect(main).toMatch(/new CustomerUser\(exp001, "bruno@exp\.test", \{[^}]*\n {2}softphones: \[\],\n\}\);/);
    expect(lines.join("\n")).not.toMatch(/ExportInexact|ExportDevicesNotReported|ExportSoftphonesUndeclared/);
    expect(main).toMatch(/new CustomerUser\(exp001, "carla@exp\.test", \{[^}]*roles: \[RoleBundle\.LIVE_MONITORING\]/);
    expect(main).toContain('Customer.fromReference(stack, "oth-002", "OTH-002")');

    await applyUnchanged(app);

    // C4: the key the API echoes is nowhere: not in the app, its synth output, the state or the command's lines.
    for (const [file, text] of filesUnder(app)) expect({ file, leaks: text.includes(PBX_KEY) }).toEqual({ file, leaks: false });
    expect(lines.join("\n")).not.toContain(PBX_KEY);
  });

  test("H6/U14: with --csv the users and their softphones go to CSV files, and that app's apply sends no write request either; a second plan is empty", async () => {
    const app = path.join(ws.dir, "app-csv");
    const lines: string[] = [];
    expect(await runExport(["--all", "--csv", "--out", "app-csv"], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: ws.sandbox.env, cwd: ws.dir })).toBe(0);
    expect(lines.join("\n")).not.toMatch(/ExportInexact|ExportDevicesNotReported|ExportSoftphonesUndeclared/);
    const written = filesUnder(app);
    expect([...written.keys()].sort()).toEqual(["cdktf.json", "exp-001.pbx-users.csv", "exp-001.users.csv", "main.ts", "oth-002.users.csv", "package.json"]);
    expect(written.get("exp-001.users.csv")!).toMatch(/^email,.*,softphones\n/);
    expect(written.get("exp-001.users.csv")!).toMatch(/^uma@exp\.test,.*,1001:desktop 1002:mobile$/m);
    expect(written.get("exp-001.pbx-users.csv")!).toMatch(/^lead@exp\.test,.*,3001:webrtc$/m);
    expect(written.get("main.ts")!).not.toMatch(/new CustomerUser\(|CustomerUser\.adopt\(/);

    await applyUnchanged(app);
  });
});
