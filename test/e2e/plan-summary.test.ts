/**
 * `dimensions plan-summary` on the JSON of a real saved plan (terraform plan -out, terraform show
 * -json): a reviewer sees per customer who is created, changed and removed, with the roles each
 * gains and loses, the licensed-role delta, charges, and the server's side effects (U11); and a
 * destroy plan says which licensed roles the server assigned stay in place, still billed — which the
 * emulator then shows after the real `terraform destroy`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runPlanSummary, summarize } from "../../src/cli/plan-summary";
import { describeE2E, Workspace } from "./harness";
import { CustomerRemovalPolicy } from "../../src";
import { ADMIN, fixtureStack, PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec } from "./fixture-stack";

jest.setTimeout(300_000);

const ANA = { id: "ana", email: "ana@e2e.test", roles: [...ADMIN, "customer.user.supervisorl1"], primary: true };
const BRUNO = { id: "bruno", email: "bruno@e2e.test", displayName: "Bruno", roles: ["customer.user", "customer.user.supervisorl2"] };
const CARLA = { id: "carla", email: "carla@e2e.test", displayName: "Carla", roles: ["customer.user", "recording.viewer"] };
const BEFORE: FixtureSpec = { users: [ANA, BRUNO, CARLA] };
// Bruno moves to supervisor level 3 (U11), Carla leaves, Dora arrives.
const AFTER: FixtureSpec = {
  users: [ANA, { ...BRUNO, roles: ["customer.user", "customer.user.supervisorl3"] }, { id: "dora", email: "dora@e2e.test", displayName: "Dora", roles: ["customer.user", "customer.user.uc"] }],
};

describeE2E("dimensions plan-summary on a real plan", () => {
  let ws: Workspace;

  afterEach(async () => {
    await ws?.close();
  });

  test("a saved plan's JSON names each user's change with roles gained and lost, the licence delta, charges and U11", async () => {
    ws = await Workspace.create("plan-summary", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, []);
    const stackDir = ws.synth((app) => fixtureStack(app, BEFORE));
    await ws.apply();
    ws.synth((app) => fixtureStack(app, AFTER));
    expect((await ws.terraform(["plan", "-input=false", "-out=change.tfplan"])).code).toBe(0);
    const shown = await ws.terraform(["show", "-json", "change.tfplan"]);
    expect(shown.code).toBe(0);
    const planFile = path.join(stackDir, "change.json");
    fs.writeFileSync(planFile, shown.stdout);

    const summary = summarize(JSON.parse(shown.stdout));
    expect(summary.customers).toHaveLength(1);
    const [acme] = summary.customers;
    expect(acme).toMatchObject({ stack: "e2e", reference: "E2E-001", change: "changed", chargesApply: true });
    expect(acme.users).toEqual([
      { email: "bruno@e2e.test", change: "changed", gains: ["customer.user.supervisorl3"], loses: ["customer.user.supervisorl2"] },
      { email: "carla@e2e.test", change: "removed", gains: [], loses: ["customer.user", "recording.viewer"], note: expect.stringMatching(/^deleted/) },
      { email: "dora@e2e.test", change: "created", gains: ["customer.user", "customer.user.uc"], loses: [] },
    ]);
    // Licensed grants: ana l1, bruno l2 → ana l1, bruno l3, dora uc.
    expect([acme.licensedBefore, acme.licensedAfter]).toEqual([2, 3]);
    expect(acme.sideEffects).toEqual([expect.stringMatching(/^U11: /)]);

    const out: string[] = [];
    expect(await runPlanSummary([planFile, "--markdown"], { out: (l) => out.push(l), err: (l) => out.push(l) })).toBe(0);
    const markdown = out.join("\n");
    expect(markdown).toMatch(/#### Customer `E2E-001` \(stack `e2e`\): changed/);
    expect(markdown).toMatch(/\| `bruno@e2e\.test` \| changed \| Live Analytics Supervisor \(`customer\.user\.supervisorl3`\) \| Analytics Supervisor \(`customer\.user\.supervisorl2`\) \|/);
    expect(markdown).toMatch(/licensed role grants 2 → 3 \(\+1\), charges apply/);
  });

  test("C5/U11: a destroy plan of a retained customer says the server's licensed roles stay billed, and after terraform destroy they do", async () => {
    ws = await Workspace.create("plan-summary-destroy", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, [{ email: "desk@e2e.test", displayName: "Desk" }]);
    const stackDir = ws.synth((app) => fixtureStack(app, { customerRemovalPolicy: CustomerRemovalPolicy.RETAIN, users: [ANA, { ...BRUNO, roles: ["customer.user", "customer.user.supervisorl3"] }] }));
    await ws.apply();
    // U11: the level 3 gave the PBX user the Real-Time Add-On.
    expect((await ws.users("E2E-001")).get("desk@e2e.test")?.roles).toEqual(["customer.user.pbx", "customer.user.pbx.realtime"]);

    expect((await ws.terraform(["plan", "-destroy", "-input=false", "-out=destroy.tfplan"])).code).toBe(0);
    const shown = await ws.terraform(["show", "-json", "destroy.tfplan"]);
    expect(shown.code).toBe(0);
    fs.writeFileSync(path.join(stackDir, "destroy.json"), shown.stdout);
    const [acme] = summarize(JSON.parse(shown.stdout)).customers;
    expect(acme).toMatchObject({ reference: "E2E-001", change: "removed" });
    expect(acme.stillBilled.map((b) => b.rule)).toEqual(["U11", "U13", "C5"]);
    expect(acme.stillBilled.find((b) => b.rule === "C5")?.roles).toEqual(expect.arrayContaining(["customer.user.pbx", "customer.user.pbx.realtime"]));

    expect((await ws.destroy()).code).toBe(0);
    const users = await ws.users("E2E-001");
    // The customer is retained; the app's users are gone, the PBX user keeps what the server gave it.
    expect(users.get("desk@e2e.test")?.roles).toEqual(["customer.user.pbx", "customer.user.pbx.realtime"]);
    expect(users.has("bruno@e2e.test")).toBe(false);
  });
});
