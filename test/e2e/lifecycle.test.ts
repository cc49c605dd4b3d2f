/**
 * The behaviour the product must show (design/terraform-runtime.md, "Behaviour the product must
 * show"), each proven with the real terraform binary against the emulator, checking the
 * emulator's state afterwards, not only exit codes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeE2E, sampleWhile, Workspace, type UserRow } from "./harness";
import { ADMIN, fixtureStack, PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec } from "./fixture-stack";
import type { App } from "cdktf";
import { Customer, CustomerRemovalPolicy, CustomerUser } from "../../src";

jest.setTimeout(240_000);

const PBX_USERS = [
  { email: "reception@e2e.test", displayName: "Reception" },
  { email: "agent@e2e.test", displayName: "Agent", acdAgent: true },
  { email: "lead@e2e.test", displayName: "Team Lead" },
];

const ANA = { id: "ana", email: "ana@e2e.test", roles: [...ADMIN, "customer.user.supervisorl1"], primary: true };
const BRUNO = { id: "bruno", email: "bruno@e2e.test", roles: ["customer.user", "customer.user.supervisorl2", "recording.viewer"] };
const RECEPTION = { id: "reception", email: "reception@e2e.test", roles: ["customer.user", "customer.device.readonly"], adopt: true };
const BASE: FixtureSpec = { users: [ANA, BRUNO, RECEPTION] };

function roles(users: Map<string, UserRow>, email: string): string[] | undefined {
  return users.get(email)?.roles;
}

function isAdmin(row: UserRow | undefined): boolean {
  return !!row && ADMIN.every((r) => row.roles.includes(r));
}

describeE2E("terraform lifecycle against the emulator", () => {
  let ws: Workspace;

  beforeEach(async () => {
    ws = await Workspace.create("lifecycle", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, PBX_USERS);
  });

  afterEach(async () => {
    await ws?.close();
  });

  test("1: a first apply creates everything and a second plan shows no changes", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    const apply = await ws.apply();

    const customer = await ws.customer("E2E-001");
    expect(customer).toMatchObject({ name: "E2E Customer", reference: "E2E-001", timezone: "Europe/London", countryCode: "GB", enabled: true });
    const users = await ws.users("E2E-001");
    expect(roles(users, "ana@e2e.test")).toEqual([...ADMIN, "customer.user.supervisorl1"].sort());
    expect(roles(users, "bruno@e2e.test")).toEqual([...BRUNO.roles].sort());
    // C3: the PBX users were imported; the adopted one got its declared roles on top of the
    // server-synchronised customer.user.pbx (U10), which the app never fights (U13).
    expect(roles(users, "reception@e2e.test")).toEqual(expect.arrayContaining(["customer.user", "customer.device.readonly", "customer.user.pbx"]));
    expect(roles(users, "agent@e2e.test")).toEqual(expect.arrayContaining(["customer.user.pbx"]));
    expect(users.size).toBe(5);

    expect((await ws.planHasChanges()).changes).toBe(false);

    // C4: the PBX key reached the API at apply time, but not the output, the state or the config.
    const stateText = fs.readFileSync(path.join(ws.dir, "e2e.tfstate"), "utf8");
    const configText = fs.readFileSync(path.join(ws.dir, "cdktf.out", "stacks", "e2e", "cdk.tf.json"), "utf8");
    for (const text of [stateText, configText, apply.stdout, apply.stderr]) {
      expect(text).not.toContain(PBX_KEY_VALUE);
      expect(text).not.toContain(ws.sandbox.emulator.demo.clientSecret);
      expect(text).not.toContain(ws.sandbox.emulator.demo.refreshToken);
    }
  });

  test("2: changing a user's roles changes exactly those roles, and never removes a kept role even for a moment", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const before = await ws.users("E2E-001");

    const changed = { ...BRUNO, roles: ["customer.user", "customer.user.supervisorl1", "recording.viewer", "pbx.silentmonitor"] };
    ws.synth((app) => fixtureStack(app, { users: [ANA, changed, RECEPTION] }));
    const plan = await ws.planHasChanges();
    expect(plan.changes).toBe(true);
    // A reviewer can tell which user gains or loses which role: the customer's tenant resource is
    // replaced with exactly that user's roles diff; the other users are hidden, and nothing else
    // in the plan changes or suggests a loss.
    expect(plan.output).toContain("terraform_data.customer must be replaced");
    // `t` is JSON text, which terraform diffs as `jsonencode(…)` (contracts/handler).
    expect(plan.output).toContain("~ t = jsonencode(");
    // One line for the user, its roles before and after.
    expect(plan.output).toMatch(/~ "bruno@e2e\.test" += "customer\.user customer\.user\.supervisorl2 recording\.viewer \| name=bruno" -> "customer\.user customer\.user\.supervisorl1 pbx\.silentmonitor recording\.viewer \| name=bruno"/);
    expect(plan.output).not.toMatch(/"ana@e2e\.test"|"reception@e2e\.test"/);
    expect(plan.output).toContain("Plan: 1 to add, 0 to change, 1 to destroy.");
    expect(plan.output).not.toMatch(/output +=/);

    const samples = await sampleWhile(() => ws.users("E2E-001"), ws.apply());
    for (const snapshot of samples) {
      expect(roles(snapshot, "bruno@e2e.test")).toEqual(expect.arrayContaining(["customer.user", "recording.viewer"]));
    }
    const after = await ws.users("E2E-001");
    expect(roles(after, "bruno@e2e.test")).toEqual([...changed.roles].sort());
    expect(roles(after, "ana@e2e.test")).toEqual(roles(before, "ana@e2e.test"));
    expect(roles(after, "reception@e2e.test")).toEqual(roles(before, "reception@e2e.test"));
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("3: deleting a user, or one role, from the code removes it from the API on the next apply", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();

    // Bruno leaves the code entirely; the receptionist loses one role.
    ws.synth((app) => fixtureStack(app, { users: [ANA, { ...RECEPTION, roles: ["customer.user"] }] }));
    await ws.apply();
    const users = await ws.users("E2E-001");
    expect(users.has("bruno@e2e.test")).toBe(false);
    expect(roles(users, "reception@e2e.test")).not.toContain("customer.device.readonly");
    expect(roles(users, "reception@e2e.test")).toEqual(expect.arrayContaining(["customer.user", "customer.user.pbx"]));
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("3: removing a RoleAssignment revokes only its roles from a user the app does not otherwise declare", async () => {
    const assignment = { id: "monitoring", roles: ["customer.user", "pbx.silentmonitor"], users: ["bruno", "lead@e2e.test"] };
    ws.synth((app) => fixtureStack(app, { ...BASE, assignments: [assignment] }));
    await ws.apply();
    let users = await ws.users("E2E-001");
    expect(roles(users, "lead@e2e.test")).toEqual(expect.arrayContaining(["customer.user", "pbx.silentmonitor", "customer.user.pbx"]));
    expect(roles(users, "bruno@e2e.test")).toContain("pbx.silentmonitor");

    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    users = await ws.users("E2E-001");
    expect(roles(users, "lead@e2e.test")).not.toContain("pbx.silentmonitor");
    expect(roles(users, "lead@e2e.test")).toContain("customer.user.pbx");
    expect(roles(users, "bruno@e2e.test")).toEqual([...BRUNO.roles].sort());
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("4: handing the primary admin role from one user to another in one change never leaves zero admins", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();

    ws.synth((app) =>
      fixtureStack(app, {
        users: [
          { ...ANA, roles: ["customer.user", "customer.user.supervisorl1"], primary: false },
          { ...BRUNO, roles: [...ADMIN, "customer.user.supervisorl2"], primary: true },
          RECEPTION,
        ],
      }),
    );
    const samples = await sampleWhile(() => ws.users("E2E-001"), ws.apply());
    for (const snapshot of samples) {
      expect([...snapshot.values()].filter(isAdmin).length).toBeGreaterThanOrEqual(1);
    }
    const users = await ws.users("E2E-001");
    expect(isAdmin(users.get("bruno@e2e.test"))).toBe(true);
    expect(isAdmin(users.get("ana@e2e.test"))).toBe(false);
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("3: removing a referenced customer and its users from the code removes those users' access", async () => {
    // GIVEN a customer the app does not own, with its own admin, and a user the app declares in it
    const existing = await ws.api.createCustomer({ name: "Beta", description: "not ours", reference: "BETA-9", enabled: true }, { acceptCharges: true });
    await ws.api.createUser(existing.id, { email: "owner@beta.test", displayName: "Owner", roles: [...ADMIN] }, { acceptCharges: true });
    const build = (withBeta: boolean) => (app: App) => {
      const stack = fixtureStack(app, BASE);
      if (withBeta) {
        const beta = Customer.fromReference(stack, "beta", "BETA-9");
        new CustomerUser(stack, "gina", { customer: beta, email: "gina@beta.test", displayName: "Gina", roles: ["customer.user", "customer.user.supervisorl1"] });
      }
      return stack;
    };
    ws.synth(build(true));
    await ws.apply();
    expect((await ws.usersOf(existing.id)).get("gina@beta.test")?.roles).toEqual(["customer.user", "customer.user.supervisorl1"]);

    // WHEN the referenced customer and its user leave the code
    ws.synth(build(false));
    await ws.apply();

    // THEN gina is gone (created by the app: delete), the customer and its own admin stay
    const users = await ws.usersOf(existing.id);
    expect(users.has("gina@beta.test")).toBe(false);
    expect(isAdmin(users.get("owner@beta.test"))).toBe(true);
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("5: destroy with the default (retain) policy keeps the customer and its primary admin, deletes created users and revokes adopted ones", async () => {
    ws.synth((app) => fixtureStack(app, { ...BASE, customerRemovalPolicy: CustomerRemovalPolicy.RETAIN }));
    await ws.apply();
    await ws.destroy();

    const customer = await ws.customer("E2E-001");
    expect(customer?.enabled).toBe(true);
    const users = await ws.users("E2E-001");
    expect(users.has("bruno@e2e.test")).toBe(false);
    // H1: no automation removes the primary admin unless another is named primary.
    expect(isAdmin(users.get("ana@e2e.test"))).toBe(true);
    // Adopted users are never deleted; the roles the app managed are gone, the PBX's stay.
    expect(roles(users, "reception@e2e.test")).toEqual(["customer.user.pbx"]);
  });

  test("5: destroy with the delete policy removes the customer, and nothing the app created is left", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const id = (await ws.customer("E2E-001"))!.id;
    await ws.destroy();

    expect(await ws.customer("E2E-001")).toBeUndefined();
    const state = await ws.control<{ customers: Array<{ id: string; deleted?: boolean; enabled?: boolean }> }>("GET", "/state");
    const dumped = state.customers.find((c) => c.id === id);
    expect(dumped).toMatchObject({ deleted: true, enabled: false });
  });

  test("6: changing the handler's code between applies does not break a later destroy", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();

    // A new handler build: a new asset hash, and the old asset folder is deleted by the re-synth.
    const changedBundle = path.join(ws.dir, "handler-v2.cjs");
    fs.writeFileSync(changedBundle, fs.readFileSync(path.resolve(__dirname, "../../dist/handler.cjs"), "utf8") + "\n// v2\n");
    process.env.DIMENSIONS_HANDLER_BUNDLE = changedBundle;
    try {
      const stackDir = ws.synth((app) => fixtureStack(app, BASE));
      const assets = fs.readdirSync(path.join(stackDir, "assets"), { recursive: true }).map(String);
      expect(assets.some((a) => a.endsWith("handler-v2.cjs") || a.endsWith(".cjs"))).toBe(true);
      expect((await ws.planHasChanges()).changes).toBe(false);
      await ws.destroy();
    } finally {
      delete process.env.DIMENSIONS_HANDLER_BUNDLE;
    }
    expect(await ws.customer("E2E-001")).toBeUndefined();
  });

  test("7: a customer with the same reference and a user with the same e-mail are adopted, not duplicated", async () => {
    const existing = await ws.api.createCustomer(
      {
        name: "Created by hand",
        description: "before the app",
        reference: "E2E-001",
        enabled: true,
        pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", hostRest: "https://pbx.e2e.test", hostWebsocket: "wss://pbx.e2e.test", accountId: PBX_ACCOUNT, apiKey: PBX_KEY_VALUE },
      },
      { acceptCharges: true },
    );
    await ws.api.createUser(existing.id, { email: "ana@e2e.test", displayName: "Ana by hand", roles: [...ADMIN] }, { acceptCharges: true });

    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();

    expect((await ws.api.listCustomers()).filter((c) => c.reference === "E2E-001")).toHaveLength(1);
    const customer = await ws.customer("E2E-001");
    expect(customer).toMatchObject({ id: existing.id, name: "E2E Customer" });
    const users = await ws.usersOf(existing.id);
    expect([...users.keys()].filter((e) => e === "ana@e2e.test")).toHaveLength(1);
    expect(roles(users, "ana@e2e.test")).toEqual([...ADMIN, "customer.user.supervisorl1"].sort());
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("8: an apply that fails midway, re-run, converges with nothing duplicated or lost", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    // Every user creation fails (500; a POST is never blindly retried), after the customer and
    // the primary admin's adoption-free path have run.
    await ws.control("PUT", "/faults", { seed: 7, rules: [{ route: "/api/v1.0/customers/*/users", method: "POST", rate: 1, kind: "500" }] });
    const failed = await ws.terraform(["apply", "-auto-approve", "-input=false"]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/500/);

    await ws.control("DELETE", "/faults");
    await ws.apply();
    expect((await ws.api.listCustomers()).filter((c) => c.reference === "E2E-001")).toHaveLength(1);
    const users = await ws.users("E2E-001");
    expect(users.size).toBe(5);
    expect(roles(users, "ana@e2e.test")).toEqual([...ADMIN, "customer.user.supervisorl1"].sort());
    expect(roles(users, "bruno@e2e.test")).toEqual([...BRUNO.roles].sort());
    expect((await ws.planHasChanges()).changes).toBe(false);
  });
});
