/**
 * `dimensions plan-summary` on the JSON of a real saved plan (terraform plan -out, terraform show
 * -json): a reviewer sees per customer who is created, changed and removed, with the roles each
 * gains and loses, the licensed-role delta, charges, and the server's side effects (U11).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runPlanSummary, summarize } from "../../src/cli/plan-summary";
import { describeE2E, Workspace } from "./harness";
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
});
