/**
 * `dimensions drift` against the emulator after a real apply: a role added by hand in the portal,
 * a name changed and a declared user deleted are reported (exit 2) with the command that
 * converges; running that command repairs them, and drift then reports none (exit 0).
 */
import { runDrift } from "../../src/cli/drift";
import { describeE2E, Workspace } from "./harness";
import { ADMIN, fixtureStack, PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec } from "./fixture-stack";

jest.setTimeout(300_000);

const SPEC: FixtureSpec = {
  users: [
    { id: "ana", email: "ana@e2e.test", roles: [...ADMIN, "customer.user.supervisorl1"], primary: true },
    { id: "bruno", email: "bruno@e2e.test", displayName: "Bruno", roles: ["customer.user", "recording.viewer"] },
    { id: "carla", email: "carla@e2e.test", displayName: "Carla", roles: ["customer.user"] },
  ],
};

describeE2E("dimensions drift against the emulator", () => {
  let ws: Workspace;

  beforeEach(async () => {
    ws = await Workspace.create("drift", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, [{ email: "pbx@e2e.test", displayName: "On the PBX" }]);
  });

  afterEach(async () => {
    await ws?.close();
  });

  async function drift(): Promise<{ code: number; out: string[] }> {
    const out: string[] = [];
    const code = await runDrift(["--dir", "cdktf.out"], { out: (l) => out.push(l), err: (l) => out.push(l), env: ws.sandbox.env, cwd: ws.dir });
    return { code, out };
  }

  test("a role added in the portal, a renamed and a deleted user are drift; the printed -replace converges them; then no drift", async () => {
    ws.synth((app) => fixtureStack(app, SPEC));
    await ws.apply();
    expect(await drift()).toMatchObject({ code: 0 });

    const customer = (await ws.customer("E2E-001"))!;
    const listed = await ws.api.listUsers(customer.id);
    const id = (email: string) => listed.find((u) => u.email === email)!.id;
    await ws.api.patchUser(customer.id, id("bruno@e2e.test"), [{ op: "add", path: "/roles/-", value: "pbx.silentmonitor" }]);
    await ws.api.patchUser(customer.id, id("ana@e2e.test"), [{ op: "replace", path: "/displayName", value: "Renamed by hand" }]);
    await ws.api.deleteUser(customer.id, id("carla@e2e.test")).catch(() => undefined);
    // terraform sees nothing: the state did not change.
    expect((await ws.planHasChanges()).changes).toBe(false);

    const found = await drift();
    expect(found.code).toBe(2);
    const text = found.out.join("\n");
    expect(text).toMatch(/bruno@e2e\.test: apply changes its roles -pbx\.silentmonitor/);
    expect(text).toMatch(/carla@e2e\.test: not in the tenant: apply creates it/);
    expect(text).toMatch(/ana@e2e\.test: live display name "Renamed by hand" differs from the code's/);
    expect(text).not.toMatch(/pbx@e2e\.test/); // undeclared users are left alone without authoritative users
    const command = found.out.find((l) => l.includes("terraform apply -replace="))!;
    expect(command).toMatch(/-replace=terraform_data\.customer\b/);

    await ws.apply({}, command.match(/-replace=\S+/g)!.map((a) => a.replace(/\)$/, "")));
    expect(await drift()).toMatchObject({ code: 0 });
    const users = await ws.users("E2E-001");
    expect(users.get("bruno@e2e.test")?.roles).toEqual(["customer.user", "recording.viewer"]);
    expect(users.get("carla@e2e.test")?.displayName).toBe("Carla");
    expect(users.get("ana@e2e.test")?.displayName).toBe("ana");
  });

  test("H8: with authoritative users, a user the code does not declare is drift", async () => {
    ws.synth((app) => fixtureStack(app, { ...SPEC, authoritativeUsers: true }));
    await ws.apply();
    const customer = (await ws.customer("E2E-001"))!;
    await ws.api.createUser(customer.id, { email: "portal@e2e.test", displayName: "Portal", roles: ["customer.user", "recording.viewer"] }, { acceptCharges: true });
    const found = await drift();
    expect(found.code).toBe(2);
    expect(found.out.join("\n")).toMatch(/portal@e2e\.test: not declared \(authoritative users, H8\): apply changes its roles -customer\.user -recording\.viewer/);
  });
});
