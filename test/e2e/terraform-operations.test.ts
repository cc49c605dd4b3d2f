/**
 * What each Terraform operation does to the tenant (issue: "safe under every Terraform
 * operation"), proven with the real terraform binary against the emulator, sampling the emulator
 * while the apply runs where the guarantee is "never, even for a moment".
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { App } from "cdktf";
import { describeE2E, sampleWhile, Workspace, type UserRow } from "./harness";
import { ADMIN, fixtureStack, PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec } from "./fixture-stack";
import { CustomerRemovalPolicy, MANIFEST_FILE } from "../../src";
import { UPGRADE_PBX_USERS, UPGRADE_SPEC } from "../fixtures/upgrade-0.1/spec";

jest.setTimeout(300_000);

const PBX_USERS = [
  { email: "reception@e2e.test", displayName: "Reception" },
  { email: "lead@e2e.test", displayName: "Team Lead" },
];
const ANA = { id: "ana", email: "ana@e2e.test", roles: [...ADMIN, "customer.user.supervisorl1"], primary: true };
const BRUNO = { id: "bruno", email: "bruno@e2e.test", roles: ["customer.user", "customer.user.supervisorl2", "recording.viewer"] };
const CARLA = { id: "carla", email: "carla@e2e.test", roles: ["customer.user", "pbx.silentmonitor"] };
const RECEPTION = { id: "reception", email: "reception@e2e.test", roles: ["customer.user", "customer.device.readonly"], adopt: true };
const BASE: FixtureSpec = { users: [ANA, BRUNO, CARLA, RECEPTION], assignments: [{ id: "agents", roles: ["customer.user", "pbx.agentcontrol"], users: ["lead@e2e.test"] }] };

/** Every declared role of every declared user is held (the assignment's too). */
function missingRoles(snapshot: Map<string, UserRow>, spec: FixtureSpec): string[] {
  const missing: string[] = [];
  const wanted = new Map<string, string[]>(spec.users.map((u) => [u.email, [...u.roles]]));
  for (const a of spec.assignments ?? []) for (const u of a.users) if (u.includes("@")) wanted.set(u, [...(wanted.get(u) ?? []), ...a.roles]);
  for (const [email, roles] of wanted) {
    const held = snapshot.get(email)?.roles ?? [];
    for (const role of roles) if (!held.includes(role)) missing.push(`${email}:${role}`);
  }
  return missing;
}

function ids(users: Map<string, UserRow & { id?: string }>): Record<string, string | undefined> {
  return Object.fromEntries([...users].map(([email, u]) => [email, u.id]));
}

function userDeletes(calls: Record<string, number>): number {
  return Object.entries(calls)
    .filter(([k]) => k.startsWith("DELETE /customers/{C}/users/{U}"))
    .reduce((n, [, c]) => n + c, 0);
}

function writes(calls: Record<string, number>): number {
  return Object.entries(calls)
    .filter(([k]) => /^(POST|PATCH|PUT|DELETE) \/(customers|accessrequests)/.test(k))
    .reduce((n, [, c]) => n + c, 0);
}

describeE2E("Terraform operations against the emulator", () => {
  let ws: Workspace;

  beforeEach(async () => {
    ws = await Workspace.create("operations", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, PBX_USERS);
  });

  afterEach(async () => {
    await ws?.close();
  });

  /** Users with their ids, read through the API. */
  async function usersWithIds(): Promise<Map<string, UserRow & { id: string }>> {
    const customer = await ws.customer("E2E-001");
    const listed = await ws.api.listUsers(customer!.id);
    const full = await Promise.all(listed.map((u) => ws.api.getUser(customer!.id, u.id)));
    return new Map(full.map((u) => [u.email.toLowerCase(), { id: u.id, email: u.email, displayName: u.displayName, roles: [...(u.roles ?? [])].sort() }]));
  }

  test("terraform apply -replace of every resource deletes no user, and no declared role is missing at any sample", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const before = await usersWithIds();
    expect(missingRoles(before, BASE)).toEqual([]);

    for (const address of ["terraform_data.customer", "terraform_data.dimensions", "terraform_data.dimensions-inventory"]) {
      const start = await ws.stats();
      const samples = await sampleWhile(() => ws.users("E2E-001"), ws.apply({}, [`-replace=${address}`]));
      for (const snapshot of samples) expect({ address, missing: missingRoles(snapshot, BASE) }).toEqual({ address, missing: [] });
      const end = await ws.stats();
      expect({ address, deletes: userDeletes(end.calls) - userDeletes(start.calls) }).toEqual({ address, deletes: 0 });
      // The same users (ids), with the same roles: the replacement re-read and converged them.
      expect(ids(await usersWithIds())).toEqual(ids(before));
      expect((await ws.planHasChanges()).changes).toBe(false);
    }
  });

  const REPLACE_ALL = ["terraform_data.customer", "terraform_data.dimensions", "terraform_data.dimensions-inventory"].map((a) => `-replace=${a}`);

  /** Applies BASE, then runs `work` sampling the emulator: no declared role missing at any sample, no user deleted, the same ids after. */
  async function nothingLostDuring(work: () => Promise<unknown>): Promise<void> {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const before = await usersWithIds();
    const start = await ws.stats();
    const samples = await sampleWhile(() => ws.users("E2E-001"), work());
    const end = await ws.stats();
    for (const snapshot of samples) expect(missingRoles(snapshot, BASE)).toEqual([]);
    expect(userDeletes(end.calls) - userDeletes(start.calls)).toBe(0);
    expect(ids(await usersWithIds())).toEqual(ids(before));
  }

  test("terraform apply with -replace of every resource at once deletes no user, and no declared role is missing at any sample", async () => {
    await nothingLostDuring(() => ws.apply({}, REPLACE_ALL));
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("a saved plan: -replace of every resource, planned to a file and applied, deletes no user; a saved destroy plan releases by the removal policies", async () => {
    await nothingLostDuring(async () => {
      expect((await ws.terraform(["plan", "-input=false", "-out=replace.tfplan", ...REPLACE_ALL])).code).toBe(0);
      expect((await ws.terraform(["apply", "-input=false", "replace.tfplan"])).code).toBe(0);
    });

    expect((await ws.terraform(["plan", "-destroy", "-input=false", "-out=destroy.tfplan"])).code).toBe(0);
    const destroyed = await ws.terraform(["apply", "-input=false", "destroy.tfplan"]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toMatch(/stack e2e: destroyed: released 1 of 1 object by their removal policies/);
    // fixtureStack's customer has removal policy delete.
    expect(await ws.customer("E2E-001")).toBeUndefined();
  });

  test("terraform taint of every resource, then apply: no user deleted, no declared role missing at any sample", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const before = await usersWithIds();
    for (const address of ["terraform_data.customer", "terraform_data.dimensions", "terraform_data.dimensions-inventory"]) {
      expect((await ws.terraform(["taint", address])).code).toBe(0);
    }
    const start = await ws.stats();
    const samples = await sampleWhile(() => ws.users("E2E-001"), ws.apply());
    for (const snapshot of samples) expect(missingRoles(snapshot, BASE)).toEqual([]);
    expect(userDeletes((await ws.stats()).calls) - userDeletes(start.calls)).toBe(0);
    expect(ids(await usersWithIds())).toEqual(ids(before));
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("H7: a PBX user declared with new CustomerUser (delete policy) is never deleted: leaving the code or a destroy revokes what the app manages", async () => {
    // GIVEN the receptionist, on the PBX, declared as a NEW user (as every CSV row is)
    const declared = { ...RECEPTION, adopt: false, displayName: "Reception" };
    ws.synth((app) => fixtureStack(app, { users: [ANA, BRUNO, declared] }));
    await ws.apply();
    const id = (await usersWithIds()).get("reception@e2e.test")!.id;

    // WHEN it leaves the code
    ws.synth((app) => fixtureStack(app, { users: [ANA, BRUNO] }));
    await ws.apply();

    // THEN it stays, with its PBX link and only the synchronised role
    let users = await usersWithIds();
    expect(users.get("reception@e2e.test")).toMatchObject({ id, roles: ["customer.user.pbx"] });
    // ... and a user the app created (not on the PBX) with the same policy is deleted: H7's counterpart.
    ws.synth((app) => fixtureStack(app, { users: [ANA, declared] }));
    await ws.apply();
    users = await usersWithIds();
    expect(users.has("bruno@e2e.test")).toBe(false);

    // WHEN the stack is destroyed (customer retained), THEN the PBX user stays too
    ws.synth((app) => fixtureStack(app, { users: [ANA, declared], customerRemovalPolicy: CustomerRemovalPolicy.RETAIN }));
    await ws.apply();
    await ws.destroy();
    users = await usersWithIds();
    expect(users.get("reception@e2e.test")).toMatchObject({ id, roles: ["customer.user.pbx"] });
  });

  test("a configuration synthesized past its errors is refused before any API call", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const before = await ws.users("E2E-001");

    // Bruno's roles change AND an error is forced past (a role without its prerequisite, U7)
    process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = "true";
    try {
      ws.synth((app) => fixtureStack(app, { ...BASE, users: [ANA, { ...BRUNO, roles: ["customer.user"] }, { ...CARLA, roles: ["customer.workspace.admin"] }, RECEPTION] }));
    } finally {
      delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    }
    const start = await ws.stats();
    const result = await ws.terraform(["apply", "-auto-approve", "-input=false"]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/SynthFailed/);
    expect((await ws.stats()).apiRequests).toBe(start.apiRequests);
    expect(await ws.users("E2E-001")).toEqual(before);
  });

  test("a manifest that does not belong to the configuration being applied is refused before any API call", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const stackDir = path.join(ws.dir, "cdktf.out", "stacks", "e2e");
    const applied = fs.readFileSync(path.join(stackDir, MANIFEST_FILE));
    const before = await ws.users("E2E-001");

    // A new synth removes Bruno, but the old manifest is put back beside it.
    ws.synth((app) => fixtureStack(app, { ...BASE, users: [ANA, CARLA, RECEPTION] }));
    fs.writeFileSync(path.join(stackDir, MANIFEST_FILE), applied);
    const start = await ws.stats();
    const result = await ws.terraform(["apply", "-auto-approve", "-input=false"]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/ManifestMismatch/);
    expect((await ws.stats()).apiRequests).toBe(start.apiRequests);
    expect(await ws.users("E2E-001")).toEqual(before);
  });

  test("H8: with authoritative users, a user added in the portal loses every role the app can remove at the next apply, and stays", async () => {
    const spec: FixtureSpec = { users: [ANA, BRUNO], authoritativeUsers: true };
    ws.synth((app) => fixtureStack(app, spec));
    await ws.apply();
    const customer = (await ws.customer("E2E-001"))!;
    await ws.api.createUser(customer.id, { email: "portal@e2e.test", displayName: "Made in the portal", roles: ["customer.user", "recording.viewer"] }, { acceptCharges: true });

    // A later change of the code (or a -replace, as dimensions drift suggests) reconciles the tenant.
    ws.synth((app) => fixtureStack(app, { ...spec, users: [ANA, { ...BRUNO, roles: ["customer.user"] }] }));
    await ws.apply();
    const users = await usersWithIds();
    expect(users.get("portal@e2e.test")?.roles).toEqual([]);
    // PBX users the code does not declare keep their synchronised role, and are never deleted.
    expect(users.get("lead@e2e.test")?.roles).toEqual(["customer.user.pbx"]);
    expect(users.get("reception@e2e.test")?.roles).toEqual(["customer.user.pbx"]);
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("H8: without authoritative users (the default), a user added in the portal is left alone", async () => {
    ws.synth((app) => fixtureStack(app, { users: [ANA, BRUNO] }));
    await ws.apply();
    const customer = (await ws.customer("E2E-001"))!;
    await ws.api.createUser(customer.id, { email: "portal@e2e.test", displayName: "Made in the portal", roles: ["customer.user", "recording.viewer"] }, { acceptCharges: true });
    await ws.apply({}, ["-replace=terraform_data.customer"]);
    expect((await usersWithIds()).get("portal@e2e.test")?.roles).toEqual(["customer.user", "recording.viewer"]);
  });

  test("changing the stack's region replaces every customer, never the stack resource: no user deleted, no declared role missing at any sample", async () => {
    ws.synth((app) => fixtureStack(app, BASE));
    await ws.apply();
    const before = await ws.users("E2E-001");

    // The harness points every region's API at the one emulator, as DIMENSIONS_API_URL does.
    ws.synth((app) => fixtureStack(app, { ...BASE, region: "uk" }));
    const plan = await ws.planHasChanges();
    expect(plan.output).toMatch(/terraform_data\.customer must be replaced/);
    expect(plan.output).not.toMatch(/terraform_data\.dimensions must be replaced/);
    const start = await ws.stats();
    const samples = await sampleWhile(() => ws.users("E2E-001"), ws.apply());
    const end = await ws.stats();
    for (const snapshot of samples) expect(missingRoles(snapshot, BASE)).toEqual([]);
    expect(userDeletes(end.calls) - userDeletes(start.calls)).toBe(0);
    expect(await ws.users("E2E-001")).toEqual(before);
    expect((await ws.planHasChanges()).changes).toBe(false);
  });
});

/** A workspace whose emulator and state are an upgrade fixture's (test/fixtures/<name>), with its five users. */
async function fromFixture(fixture: string): Promise<{ ws: Workspace; before: Map<string, UserRow> }> {
  const ws = await Workspace.create("upgrade", { [PBX_KEY_ENV]: PBX_KEY_VALUE }, { emulatorData: path.join(fixture, "emulator.json") });
  const before = await ws.users("UPG-001");
  expect([...before.keys()].sort()).toEqual(["agent@upgrade.test", "ana@upgrade.test", "bruno@upgrade.test", "carla@upgrade.test", "reception@upgrade.test"]);
  fs.copyFileSync(path.join(fixture, "upgrade-state.json"), path.join(ws.dir, "upgrade.tfstate"));
  return { ws, before };
}

describeE2E("upgrading a stack applied with an earlier layout", () => {
  let ws: Workspace;

  afterEach(async () => {
    await ws?.close();
  });

  test("0.1 (one resource per user): the first plan and apply of the new layout release nothing and send no write; a second plan is empty", async () => {
    let before: Map<string, UserRow>;
    ({ ws, before } = await fromFixture(path.resolve(__dirname, "../fixtures/upgrade-0.1")));
    expect(UPGRADE_PBX_USERS.map((u) => u.email).every((e) => before.has(e))).toBe(true);

    ws.synth((app: App) => fixtureStack(app, UPGRADE_SPEC));
    const plan = await ws.planHasChanges();
    expect(plan.changes).toBe(true);
    // The 0.1 per-user resources and inventories leave the state without their destroy
    // provisioners (their blocks are gone); the customer's resource is replaced by its tenant.
    expect(plan.output).toMatch(/terraform_data\.ana will be destroyed/);
    expect(plan.output).toMatch(/terraform_data\.customer must be replaced/);

    const start = await ws.stats();
    const apply = await ws.apply();
    const end = await ws.stats();
    expect(writes(end.calls) - writes(start.calls)).toBe(0);
    expect(apply.stdout).not.toMatch(/removed|deleted|revoked|withdrew/);
    expect(await ws.users("UPG-001")).toEqual(before);
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("t and i as objects: the first apply replaces every resource, including the stack resource, and releases nothing, even for a moment; a second plan is empty", async () => {
    let before: Map<string, UserRow>;
    ({ ws, before } = await fromFixture(path.resolve(__dirname, "../fixtures/upgrade-object-form")));
    const customer = await ws.customer("UPG-001");

    ws.synth((app: App) => fixtureStack(app, UPGRADE_SPEC));
    const plan = await ws.planHasChanges();
    // The stack resource is replaced with the others: its release runs after theirs, as in a
    // terraform destroy, and must not take this for one (the customer's removal policy is delete).
    expect(plan.output).toMatch(/terraform_data\.dimensions must be replaced/);
    expect(plan.output).toMatch(/terraform_data\.customer must be replaced/);

    const start = await ws.stats();
    const samples = await sampleWhile(() => ws.users("UPG-001"), ws.apply());
    const end = await ws.stats();
    for (const snapshot of samples) expect(snapshot).toEqual(before);
    expect(writes(end.calls) - writes(start.calls)).toBe(0);
    expect((await ws.customer("UPG-001"))?.id).toBe(customer?.id);
    expect(await ws.users("UPG-001")).toEqual(before);
    expect((await ws.planHasChanges()).changes).toBe(false);

    // The upgraded stack is an ordinary one: terraform destroy releases it by its policies.
    await ws.destroy();
    expect(await ws.customer("UPG-001")).toBeUndefined();
  });

  test("t and i as objects: terraform destroy with the new build before any apply releases by the policies, as any destroy", async () => {
    ({ ws } = await fromFixture(path.resolve(__dirname, "../fixtures/upgrade-object-form")));
    ws.synth((app: App) => fixtureStack(app, UPGRADE_SPEC));
    const destroyed = await ws.destroy();
    expect(destroyed.stdout).toMatch(/stack upgrade: destroyed: released 1 of 1 object by their removal policies/);
    // UPGRADE_SPEC's customer has removal policy delete.
    expect(await ws.customer("UPG-001")).toBeUndefined();
  });
});
