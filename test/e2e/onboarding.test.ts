/**
 * The onboarding example, end to end: what `npm start` does, and the "done when" checks
 * on the example itself.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeE2E, Workspace } from "./harness";
import { ACME_PBX_ACCOUNT_ID, ACME_PBX_API_KEY_ENV, ACME_PBX_USERS, OnboardingStack } from "../../examples/onboarding/main";

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, "../..");

interface Stats {
  readonly tokenGrants?: Record<string, number>;
}

function grants(stats: Stats): number {
  return Object.values(stats.tokenGrants ?? {}).reduce((n, c) => n + c, 0);
}

describeE2E("examples/onboarding", () => {
  let ws: Workspace;

  beforeEach(async () => {
    ws = await Workspace.create("onboarding", { [ACME_PBX_API_KEY_ENV]: "kazoo-example-key" });
    await ws.control("PUT", `/pbx/${ACME_PBX_ACCOUNT_ID}/users`, ACME_PBX_USERS);
  });

  afterEach(async () => {
    await ws?.close();
  });

  test("applies with one token grant, converges, and removing a user from the example removes its access", async () => {
    ws.synth((app) => new OnboardingStack(app, "onboarding"));
    const before = await ws.control<Stats>("GET", "/stats");
    await ws.apply();
    const after = await ws.control<Stats>("GET", "/stats");
    // Every handler process shares one token cache: one refresh for the whole apply.
    expect(grants(after) - grants(before)).toBeLessThanOrEqual(1);

    let users = await ws.users("ACME-001");
    expect(users.get("ana.martin@acme.example")?.roles).toEqual(["customer.user", "customer.user.supervisorl1", "user.admin"]);
    expect(users.get("carla.rossi@acme.example")?.roles).toEqual(
      expect.arrayContaining(["customer.user.supervisorl4", "pbx.silentmonitor", "pbx.agentcontrol", "recording.viewer"]),
    );
    // The team lead is only referenced by the RoleAssignment: its roles were added, nothing removed.
    expect(users.get("team.lead@acme.example")?.roles).toEqual(expect.arrayContaining(["customer.user", "pbx.silentmonitor", "customer.user.pbx"]));
    // U11: a supervisor level 4 made the platform add the real-time add-on to every PBX user.
    expect(users.get("warehouse@acme.example")?.roles).toEqual(expect.arrayContaining(["customer.user.pbx", "customer.user.pbx.realtime"]));
    expect(users.get("reception@acme.example")?.roles).toEqual(expect.arrayContaining(["customer.user", "customer.device.readonly"]));
    expect((await ws.planHasChanges()).changes).toBe(false);

    // The receptionist leaves the example.
    ws.synth((app) => {
      const stack = new OnboardingStack(app, "onboarding");
      stack.node.tryRemoveChild("reception");
      return stack;
    });
    await ws.apply();
    users = await ws.users("ACME-001");
    const reception = users.get("reception@acme.example");
    expect(reception).toBeDefined(); // adopted from the PBX: never deleted
    expect(reception?.roles).not.toContain("customer.user"); // but no portal access any more
    expect(reception?.roles).not.toContain("customer.device.readonly");
    expect((await ws.planHasChanges()).changes).toBe(false);
  });
});

describeE2E("npm start (dimensions demo)", () => {
  test("onboards the example customer through terraform and prints its users and roles", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-demo-"));
    try {
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, "dist", "cli.cjs"), "demo", "--dir", dir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (c) => (out += c));
        child.stderr.on("data", (c) => (out += c));
        child.on("close", (c) => resolve({ code: c, output: out }));
      });
      expect({ code, tail: output.slice(-3000) }).toMatchObject({ code: 0 });
      expect(output).toContain("no changes: the API matches the code");
      expect(output).toMatch(/customer ACME-001 +"Acme Corporation"/);
      expect(output).toMatch(/ana\.martin@acme\.example +customer\.user, customer\.user\.supervisorl1, user\.admin/);
      expect(output).not.toContain("demo-kazoo-api-key");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
