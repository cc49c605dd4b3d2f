/**
 * A kill -9 of terraform's process group (a cancelled CI job, an OOM kill) at several moments of
 * an apply that removes users and changes others: the next apply either completes what the
 * interrupted one was doing, removals included, or refuses before any API call naming the
 * recovery step (StateLost: restore <state>.backup) — never a tenant where a removed user keeps
 * access. With authoritative users (H8) the next apply heals on its own.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { terraformBinary } from "../../src/cli/terraform";
import { describeE2E, Workspace, type UserRow } from "./harness";
import { ADMIN, fixtureStack, PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec, type UserSpec } from "./fixture-stack";

jest.setTimeout(600_000);

const USERS = 24;
const user = (i: number, roles: string[]): UserSpec => ({ id: `u${i}`, email: `u${i}@crash.test`, displayName: `User ${i}`, roles });
const ADMIN_USER: UserSpec = { id: "admin", email: "admin@crash.test", roles: [...ADMIN, "customer.user.supervisorl1"], primary: true };
const BEFORE: FixtureSpec = { users: [ADMIN_USER, ...Array.from({ length: USERS }, (_, i) => user(i, ["customer.user", "recording.viewer"]))] };
/** Removes the first 6 users and changes the next 6. */
const AFTER: FixtureSpec = {
  users: [ADMIN_USER, ...Array.from({ length: USERS }, (_, i) => i).filter((i) => i >= 6).map((i) => user(i, i < 12 ? ["customer.user", "pbx.silentmonitor"] : ["customer.user", "recording.viewer"]))],
};

function expectExactly(users: Map<string, UserRow>, spec: FixtureSpec): void {
  const declared = new Map(spec.users.map((u) => [u.email, [...u.roles].sort()]));
  for (let i = 0; i < USERS; i++) {
    const email = `u${i}@crash.test`;
    expect({ email, roles: users.get(email)?.roles }).toEqual({ email, roles: declared.get(email) });
  }
}

/** Starts `terraform apply` in its own process group and SIGKILLs the group when `when` says so. */
function applyAndKill(ws: Workspace, stackDir: string, when: (output: string, elapsedMs: number) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(terraformBinary(ws.sandbox.env), ["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: stackDir, env: ws.sandbox.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const started = Date.now();
    let output = "";
    let killed = false;
    const check = () => {
      if (!killed && when(output, Date.now() - started)) {
        killed = true;
        process.kill(-child.pid!, "SIGKILL");
      }
    };
    child.stdout.setEncoding("utf8").on("data", (c: string) => ((output += c), check()));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    const timer = setInterval(check, 5);
    child.on("close", () => {
      clearInterval(timer);
      resolve(killed ? output : `${output}\n[not killed: the apply ended first]`);
    });
  });
}

const MOMENTS: Array<[string, (output: string, elapsedMs: number) => boolean]> = [
  ["as the customer's release starts", (o) => /terraform_data\.customer: Destroying/.test(o)],
  ["in the middle of the release's user changes", (o) => (o.match(/\(local-exec\): dimensions: user u\d+@crash\.test/g) ?? []).length >= 4],
  ["as the create after the release starts", (o) => /terraform_data\.customer: Creating/.test(o)],
  ["early, before any provisioner", (_o, ms) => ms > 150],
];

describeE2E("a kill -9 of terraform during an apply", () => {
  let ws: Workspace;

  afterEach(async () => {
    await ws?.close();
  });

  const CASES = MOMENTS.flatMap(([moment, when]) => [
    [moment, "the state file as the kill left it", when, false] as const,
    // What 57-61 % of kills during an apply leave with the local backend, once it has started
    // writing the state (it truncates, then writes; its first write also leaves <state>.backup).
    [moment, "the state file emptied if terraform had begun writing it", when, true] as const,
  ]);

  test.each(CASES)("killed %s, %s: the next apply completes the removals, or refuses before any API call and the named recovery completes them", async (_moment, _state, when, emptied) => {
    ws = await Workspace.create("crash", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, []);
    const stackDir = ws.synth((app) => fixtureStack(app, BEFORE));
    await ws.apply();
    ws.synth((app) => fixtureStack(app, AFTER));

    const killed = await applyAndKill(ws, stackDir, when);
    expect(killed).not.toContain("[not killed");
    const statePath = path.join(ws.dir, "e2e.tfstate");
    const wasWriting = fs.existsSync(`${statePath}.backup`);
    if (emptied && wasWriting) fs.writeFileSync(statePath, "");

    const start = await ws.stats();
    const next = await ws.terraform(["apply", "-auto-approve", "-input=false"]);
    // An emptied state must be refused: applying it would adopt everyone and release nobody.
    if (emptied && wasWriting) expect(next.code).not.toBe(0);
    if (next.code !== 0) {
      // Refused: a coded error naming the recovery, and not one API request.
      expect(next.stdout + next.stderr).toMatch(/StateLost: [\s\S]*restore the previous state \(cp <state>\.backup <state>\)/);
      expect((await ws.stats()).apiRequests).toBe(start.apiRequests);
      fs.copyFileSync(`${statePath}.backup`, statePath);
      await ws.apply();
    }
    expectExactly(await ws.users("E2E-001"), AFTER);
    expect((await ws.planHasChanges()).changes).toBe(false);
  });

  test("H8: with authoritative users, an apply after the state was emptied heals on its own", async () => {
    ws = await Workspace.create("crash-h8", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, []);
    const stackDir = ws.synth((app) => fixtureStack(app, { ...BEFORE, authoritativeUsers: true }));
    await ws.apply();
    ws.synth((app) => fixtureStack(app, { ...AFTER, authoritativeUsers: true }));
    await applyAndKill(ws, stackDir, MOMENTS[0][1]);
    // The worst case of a kill: the local state file emptied (terraform truncates it, then writes).
    fs.writeFileSync(path.join(ws.dir, "e2e.tfstate"), "");

    await ws.apply();
    const users = await ws.users("E2E-001");
    // The removed users lost every role the app can remove (H8 never deletes an undeclared user).
    for (let i = 0; i < 6; i++) expect(users.get(`u${i}@crash.test`)?.roles ?? []).toEqual([]);
    for (let i = 6; i < USERS; i++) expect(users.get(`u${i}@crash.test`)?.roles).toEqual(AFTER.users.find((u) => u.email === `u${i}@crash.test`)!.roles.sort());
  });
});
