/**
 * `dimensions login` (the bundled CLI, as `npx dimensions login` runs it) signs in against the
 * emulator while the test plays the browser; then terraform applies, plans and destroys a stack
 * with no refresh token in its environment: every handler process takes the credentials from the
 * store the sign-in wrote, refreshing from the signed-in refresh token once the access token
 * expired.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describeE2E, Workspace } from "./harness";
import { ADMIN, fixtureStack, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec } from "./fixture-stack";

jest.setTimeout(300_000);

const CLI = path.resolve(__dirname, "../../dist/cli.cjs");

const SPEC: FixtureSpec = {
  reference: "E2E-LOGIN",
  users: [
    { id: "ana", email: "ana@e2e.test", roles: ADMIN, primary: true },
    { id: "bruno", email: "bruno@e2e.test", roles: ["customer.user", "recording.viewer"] },
  ],
};

/** Runs the bundled `dimensions login`; the browser visit starts once it prints its address. */
function bundledLogin(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "login", "--no-browser", "--port", "0", "--login-hint", "demo@reseller.test"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let visited = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const address = /^\s+(http:\/\/127\.0\.0\.1:\d+\/sign-in\/[\w-]+)$/m.exec(stdout)?.[1];
      if (address && !visited) {
        visited = true;
        playBrowser(address).catch(reject);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function playBrowser(address: string): Promise<void> {
  let next = address;
  // The listener forwards to the emulator's authorize endpoint, which sends the browser back.
  for (let hop = 0; hop < 2; hop++) {
    const answer = await fetch(next, { redirect: "manual" });
    if (answer.status !== 302) throw new Error(`hop ${hop}: ${answer.status} ${await answer.text()}`);
    next = String(answer.headers.get("location"));
  }
  await (await fetch(next)).text();
}

describeE2E("dimensions login, then terraform with no refresh token in the environment", () => {
  let ws: Workspace;

  beforeEach(async () => {
    ws = await Workspace.create("login", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
  });

  afterEach(async () => {
    await ws?.close();
  });

  test("the sign-in's credentials drive apply, plan and destroy; the demo refresh token is never spent", async () => {
    const noRefreshToken = { DIMENSIONS_REFRESH_TOKEN: "" };
    const emulator = ws.sandbox.emulator;

    const login = await bundledLogin({ ...ws.sandbox.env, ...noRefreshToken });
    expect({ code: login.code, stderr: login.stderr }).toEqual({ code: 0, stderr: "" });
    expect(login.stdout).toMatch(/^Signed in as Demo Partner <demo@reseller\.test>; the credentials are in .*credentials\.json\.$/m);
    expect(login.stdout).not.toContain(emulator.demo.clientSecret);
    expect(login.stdout).not.toContain(emulator.demo.clientId);

    // The signed-in access token expires: the first handler refreshes from the signed-in refresh token.
    await ws.control("POST", "/clock", { advanceSeconds: 3601 });
    ws.synth((app) => fixtureStack(app, SPEC));
    await ws.apply(noRefreshToken);

    const grants = (await ws.stats()).tokenGrants;
    expect(grants).toEqual({ authorization_code: 1, refresh_token: 1 });
    expect(emulator.store.state.refreshTokens[emulator.demo.refreshToken]).toBeDefined();
    const users = await ws.users("E2E-LOGIN");
    expect([...users.keys()].sort()).toEqual(["ana@e2e.test", "bruno@e2e.test"]);
    expect(users.get("bruno@e2e.test")?.roles).toEqual(["customer.user", "recording.viewer"]);

    expect((await ws.terraform(["plan", "-detailed-exitcode", "-input=false"], noRefreshToken)).code).toBe(0);
    expect((await ws.terraform(["destroy", "-auto-approve", "-input=false"], noRefreshToken)).code).toBe(0);
    expect(await ws.customer("E2E-LOGIN")).toBeUndefined();
  });
});
