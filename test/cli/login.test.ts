/**
 * `dimensions login` over real HTTP against the emulator: the test plays the browser (it opens the
 * printed address, follows the redirect to the emulator's /connect/authorize and from there back
 * to the listener). The sign-in lands in the credentials store, where `dimensions token` and the
 * handler's client find it with no refresh token in the environment; a forged answer is refused
 * and changes nothing; the listener is on 127.0.0.1 only; no secret reaches the output.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runLogin, openWithPlatform, type LoginDeps } from "../../src/cli/login";
import { runToken } from "../../src/cli/token";
import { createClientFromEnv } from "../../src/client";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server";
import { reply, startServer, type FakeServer } from "../client/fixtures/fake-server";

let emulator: RunningEmulator;
let dir: string;
let credentialsFile: string;

beforeEach(async () => {
  emulator = await startEmulator({ port: 0 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-login-"));
  credentialsFile = path.join(dir, "home", "credentials.json");
});

afterEach(async () => {
  await emulator.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The reseller's client and the store; deliberately no refresh token. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    DIMENSIONS_API_URL: emulator.url,
    DIMENSIONS_TOKEN_URL: emulator.tokenUrl,
    DIMENSIONS_CLIENT_ID: emulator.demo.clientId,
    DIMENSIONS_CLIENT_SECRET: emulator.demo.clientSecret,
    DIMENSIONS_CREDENTIALS_FILE: credentialsFile,
    ...extra,
  };
}

interface Run {
  readonly done: Promise<number>;
  readonly out: string[];
  readonly err: string[];
  /** The printed sign-in address, once the listener is up. */
  readonly address: Promise<string>;
  /** Where the listener is bound. */
  readonly bound: Promise<net.AddressInfo>;
}

function startLogin(argv: string[], e: NodeJS.ProcessEnv, deps: Partial<LoginDeps> = {}): Run {
  const out: string[] = [];
  const err: string[] = [];
  let found: (address: string) => void = () => undefined;
  let listening: (address: net.AddressInfo) => void = () => undefined;
  const address = new Promise<string>((resolve) => (found = resolve));
  const bound = new Promise<net.AddressInfo>((resolve) => (listening = resolve));
  const done = runLogin(argv, {
    env: e,
    out: (line) => {
      out.push(line);
      const match = /^\s+(http:\/\/127\.0\.0\.1:\d+\/sign-in\/[\w-]{16})$/.exec(line);
      if (match) found(match[1]);
    },
    err: (line) => err.push(line),
    onListening: (a) => listening(a),
    ...deps,
  });
  // A run that ends before printing an address (a refusal) must not leave the test waiting.
  void done.then(() => found(""));
  return { done, out, err, address, bound };
}

interface BrowserVisit {
  /** The emulator's sign-in page the listener forwarded to. */
  readonly authorize: URL;
  /** Where the emulator sent the browser back. */
  readonly callback: URL;
  readonly status: number;
  readonly page: string;
}

/** What a browser does with the printed address: two redirects, then the listener's page. */
async function playBrowser(address: string): Promise<BrowserVisit> {
  const first = await fetch(address, { redirect: "manual" });
  expect(first.status).toBe(302);
  const authorize = new URL(String(first.headers.get("location")));
  const second = await fetch(authorize, { redirect: "manual" });
  expect(second.status).toBe(302);
  const callback = new URL(String(second.headers.get("location")));
  const last = await fetch(callback, { redirect: "manual" });
  return { authorize, callback, status: last.status, page: await last.text() };
}

async function grants(): Promise<Record<string, number>> {
  const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as { tokenGrants: Record<string, number> };
  return stats.tokenGrants;
}

function storedEntries(): Record<string, { accessToken?: string; refreshToken?: string }> {
  return (JSON.parse(fs.readFileSync(credentialsFile, "utf8")) as { entries: Record<string, { accessToken?: string; refreshToken?: string }> }).entries;
}

/** A code the emulator issued for another partner user, as an attacker would hold one. */
async function attackersCode(redirectUri: string): Promise<string> {
  await fetch(`${emulator.url}/_emulator/resellers/demo/partner-users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ email: "mallory@reseller.test", displayName: "Mallory", roles: ["account.user"] }]),
  });
  const q = new URLSearchParams({
    client_id: emulator.demo.clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: "openid offline_access onboarding",
    code_challenge: createHash("sha256").update("m".repeat(43)).digest("base64url"),
    code_challenge_method: "S256",
    login_hint: "mallory@reseller.test",
  });
  const answer = await fetch(`${emulator.url}/connect/authorize?${q.toString()}`, { redirect: "manual" });
  return String(new URL(String(answer.headers.get("location"))).searchParams.get("code"));
}

describe("the whole flow", () => {
  test("GIVEN a browser that signs in WHEN login runs THEN it says who signed in and the store holds the credentials (0600)", async () => {
    const run = startLogin(["--no-browser", "--port", "0", "--login-hint", "demo@reseller.test"], env());

    const visit = await playBrowser(await run.address);

    expect(await run.done).toBe(0);
    expect(run.err).toEqual([]);
    expect(run.out).toContainEqual(`Signed in as Demo Partner <demo@reseller.test>; the credentials are in ${credentialsFile}.`);
    expect(visit.status).toBe(200);
    expect(visit.page).toMatch(/Signed in as Demo Partner &#60;demo@reseller.test&#62;/);
    const query = visit.authorize.searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      response_type: "code",
      scope: "openid offline_access onboarding",
      code_challenge_method: "S256",
      redirect_uri: visit.callback.origin,
      login_hint: "demo@reseller.test",
    });
    expect(query.get("state")).toBe(visit.callback.searchParams.get("state"));
    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
    expect(Object.keys(storedEntries())).toEqual([`${emulator.tokenUrl} ${emulator.demo.clientId}`]);
    expect(await grants()).toEqual({ authorization_code: 1 });
  });

  test("GIVEN a sign-in WHEN dimensions token and the handler's client run with no refresh token in the environment THEN both use it, and refresh from it once the access token expired", async () => {
    const run = startLogin(["--no-browser", "--port", "0"], env());
    await playBrowser(await run.address);
    expect(await run.done).toBe(0);

    const out: string[] = [];
    expect(await runToken([], env(), { out: (l) => out.push(l), err: () => undefined })).toBe(0);
    expect(out).toEqual([storedEntries()[`${emulator.tokenUrl} ${emulator.demo.clientId}`].accessToken]);
    await expect(createClientFromEnv(env(), {}).listCustomers()).resolves.toEqual(expect.any(Array));
    expect(await grants()).toEqual({ authorization_code: 1 });

    await fetch(`${emulator.url}/_emulator/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 3601 }) });
    const client = createClientFromEnv(env(), {});
    await client.listCustomers();

    expect(await grants()).toEqual({ authorization_code: 1, refresh_token: 1 });
    expect(client.tokenGrants).toBe(1);
  });

  test("GIVEN a stale DIMENSIONS_REFRESH_TOKEN in the environment WHEN a sign-in is stored THEN later runs with that environment use the sign-in, not the old token", async () => {
    const stale = env({ DIMENSIONS_REFRESH_TOKEN: emulator.demo.refreshToken });
    await fetch(`${emulator.url}/_emulator/resellers/demo/partner-users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ email: "ana@reseller.test", displayName: "Ana Martin", roles: ["account.user"] }]),
    });
    const run = startLogin(["--no-browser", "--port", "0", "--login-hint", "ana@reseller.test"], stale);
    await playBrowser(await run.address);
    expect(await run.done).toBe(0);
    await fetch(`${emulator.url}/_emulator/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 3601 }) });

    await createClientFromEnv(stale, {}).listCustomers();

    // The demo refresh token was never spent: the refresh went from Ana's signed-in token.
    expect(emulator.store.state.refreshTokens[emulator.demo.refreshToken]).toBeDefined();
    const ana = Object.values(emulator.store.state.partnerUsers).find((u) => u.email === "ana@reseller.test");
    const current = storedEntries()[`${emulator.tokenUrl} ${emulator.demo.clientId}`].refreshToken ?? "";
    expect(emulator.store.state.refreshTokens[current]?.partnerUserId).toBe(ana?.id);
  });

  test("GIVEN --region uk WHEN login runs THEN it uses the _UK variables and a uk stack's client finds the sign-in", async () => {
    const uk = {
      DIMENSIONS_API_URL_UK: emulator.url,
      DIMENSIONS_TOKEN_URL_UK: emulator.tokenUrl,
      DIMENSIONS_CLIENT_ID_UK: emulator.demo.clientId,
      DIMENSIONS_CLIENT_SECRET_UK: emulator.demo.clientSecret,
      DIMENSIONS_CREDENTIALS_FILE: credentialsFile,
      DIMENSIONS_CLIENT_ID: "the-eu-client",
      DIMENSIONS_CLIENT_SECRET: "the-eu-secret",
    };
    const run = startLogin(["--no-browser", "--port", "0", "--region", "uk"], uk);
    await playBrowser(await run.address);

    expect(await run.done).toBe(0);
    await expect(createClientFromEnv(uk, { region: "uk" }).listCustomers()).resolves.toEqual(expect.any(Array));
    expect(() => createClientFromEnv(uk, { region: "eu" })).toThrow(/CredentialsMissing/);
  });

  test("GIVEN DIMENSIONS_ACCESS_TOKEN in the environment WHEN login completes THEN it says that token would take precedence", async () => {
    const run = startLogin(["--no-browser", "--port", "0"], env({ DIMENSIONS_ACCESS_TOKEN: "at_fixed" }));
    await playBrowser(await run.address);

    expect(await run.done).toBe(0);
    expect(run.out).toContainEqual(expect.stringMatching(/^Note: DIMENSIONS_ACCESS_TOKEN is set/));
  });
});

describe("forged and refused answers", () => {
  test.each([
    ["a wrong state and an attacker's real code", (code: string) => `?code=${code}&state=not-the-state`],
    ["no state and an attacker's real code", (code: string) => `?code=${code}`],
    ["a wrong state with an error", () => `?error=access_denied&state=not-the-state`],
  ])("GIVEN a forged callback with %s WHEN it arrives before the real one THEN it is refused, nothing is stored, and the real sign-in still succeeds", async (_what, forge) => {
    const run = startLogin(["--no-browser", "--port", "0"], env());
    const address = await run.address;
    const redirectUri = new URL(address).origin;

    const forged = await fetch(`${redirectUri}/${forge(await attackersCode(redirectUri))}`, { redirect: "manual" });

    expect(forged.status).toBe(400);
    expect(run.err).toEqual([expect.stringMatching(/^dimensions login: LoginStateMismatch: refused an answer whose state is not this sign-in's/)]);
    expect(fs.existsSync(credentialsFile)).toBe(false);
    expect(await grants()).toEqual({});

    await playBrowser(address);
    expect(await run.done).toBe(0);
    expect(run.out).toContainEqual(expect.stringMatching(/^Signed in as Demo Partner <demo@reseller.test>/));
  });

  test("GIVEN a login_hint nobody has WHEN the identity provider refuses THEN LoginDenied, exit 1, nothing stored", async () => {
    const run = startLogin(["--no-browser", "--port", "0", "--login-hint", "nobody@reseller.test"], env());

    const visit = await playBrowser(await run.address);

    expect(visit.status).toBe(400);
    expect(await run.done).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(/^dimensions login: LoginDenied: the identity provider refused the sign-in \(access_denied: No partner user/)]);
    expect(fs.existsSync(credentialsFile)).toBe(false);
  });

  test("GIVEN a wrong client secret WHEN the code is exchanged THEN ClientRejected, exit 1, nothing stored, and the secret is not printed", async () => {
    const run = startLogin(["--no-browser", "--port", "0"], env({ DIMENSIONS_CLIENT_SECRET: "wrong-secret-0123456789" }));

    await playBrowser(await run.address);

    expect(await run.done).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(/^dimensions login: ClientRejected: .*invalid_client/)]);
    expect(run.err.join("\n")).not.toContain("wrong-secret-0123456789");
    expect(fs.existsSync(credentialsFile)).toBe(false);
  });

  test("GIVEN nobody signs in WHEN the timeout passes THEN LoginTimeout, exit 1, nothing stored, and the port is free again", async () => {
    const run = startLogin(["--no-browser", "--port", "0", "--timeout", "1"], env());
    const { port } = await run.bound;

    expect(await run.done).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(new RegExp(`^dimensions login: LoginTimeout: no sign-in came back to http://127\\.0\\.0\\.1:${port} within 1 s`))]);
    expect(fs.existsSync(credentialsFile)).toBe(false);
    await expect(connects("127.0.0.1", port)).resolves.toBe(false);
  });

  test("GIVEN the port is taken WHEN login runs THEN LoginPortInUse names it, exit 1", async () => {
    const holder = http.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const run = startLogin(["--no-browser", "--port", String(port)], env());

      expect(await run.done).toBe(1);
      expect(run.err).toEqual([expect.stringMatching(new RegExp(`^dimensions login: LoginPortInUse: port ${port} on 127\\.0\\.0\\.1 is in use`))]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  test("GIVEN no client secret WHEN login runs THEN CredentialsMissing names it, exit 1, before listening", async () => {
    const e = env();
    delete e.DIMENSIONS_CLIENT_SECRET;
    const listened = jest.fn();

    const run = startLogin(["--no-browser", "--port", "0"], e, { onListening: listened });

    expect(await run.done).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(/^dimensions login: CredentialsMissing: .*DIMENSIONS_CLIENT_SECRET/)]);
    expect(listened).not.toHaveBeenCalled();
  });
});

describe("the answer of an identity provider that differs from the emulator", () => {
  let tokens: FakeServer;
  afterEach(async () => {
    await tokens.close();
  });

  function jwt(claims: Record<string, unknown>): string {
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    return `${encode({ alg: "none" })}.${encode(claims)}.`;
  }

  /** A token endpoint answering `body(nonce)`, behind the emulator's real authorize endpoint. */
  async function loginAgainst(body: (nonce: string) => Record<string, unknown>): Promise<Run & { form: () => URLSearchParams }> {
    let nonce = "";
    tokens = await startServer((_req, res) => reply(res, 200, body(nonce)));
    const run = startLogin(
      ["--no-browser", "--port", "0"],
      env({ DIMENSIONS_TOKEN_URL: `${tokens.url}/connect/token`, DIMENSIONS_AUTHORIZE_URL: `${emulator.url}/connect/authorize` }),
    );
    const address = await run.address;
    const first = await fetch(address, { redirect: "manual" });
    nonce = String(new URL(String(first.headers.get("location"))).searchParams.get("nonce"));
    const second = await fetch(String(first.headers.get("location")), { redirect: "manual" });
    await fetch(String(second.headers.get("location")), { redirect: "manual" });
    return { ...run, form: () => new URLSearchParams(tokens.requests[0]?.text ?? "") };
  }

  const TOKENS = { access_token: "at_from_vendor_0123456789abcdef", refresh_token: "rt_from_vendor_0123456789abcdef", expires_in: 3600, token_type: "Bearer" };

  test.each([
    ["no id_token", () => TOKENS, /LoginIdentityMissing: .*no id_token/],
    ["an id_token that is no JWT", () => ({ ...TOKENS, id_token: "opaque" }), /LoginIdentityMissing: .*not a JWT/],
    ["an id_token without email or preferred_username", (nonce: string) => ({ ...TOKENS, id_token: jwt({ sub: "u1", aud: emulator.demo.clientId, nonce }) }), /LoginIdentityMissing: .*no email or preferred_username/],
    ["an id_token for another client", (nonce: string) => ({ ...TOKENS, id_token: jwt({ sub: "u1", aud: "another-client", nonce, email: "x@y.test" }) }), /LoginIdentityMismatch: .*another client/],
    ["an id_token with another nonce", () => ({ ...TOKENS, id_token: jwt({ sub: "u1", aud: emulator.demo.clientId, nonce: "other", email: "x@y.test" }) }), /LoginIdentityMismatch: .*nonce/],
    ["no refresh token", (nonce: string) => ({ access_token: TOKENS.access_token, expires_in: 3600, id_token: jwt({ sub: "u1", aud: emulator.demo.clientId, nonce, email: "x@y.test" }) }), /LoginRefreshTokenMissing/],
  ])("GIVEN a token answer with %s WHEN login exchanges the code THEN it fails with a coded line, exit 1, and stores nothing", async (_what, body, message) => {
    const run = await loginAgainst(body);

    expect(await run.done).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(new RegExp(`^dimensions login: ${message.source}`))]);
    expect(run.err[0]).toMatch(/nothing was stored/);
    expect(fs.existsSync(credentialsFile)).toBe(false);
  });

  test("GIVEN the vendor's id_token with preferred_username only WHEN login completes THEN it names that user", async () => {
    const run = await loginAgainst((nonce) => ({ ...TOKENS, id_token: jwt({ sub: "u1", aud: [emulator.demo.clientId, "api"], nonce, preferred_username: "ana.martin" }) }));

    expect(await run.done).toBe(0);
    expect(run.out).toContainEqual(expect.stringMatching(/^Signed in as ana\.martin; the credentials are in /));
    // What the token endpoint received: the code, the verifier of the challenge, the redirect URI.
    const form = run.form();
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("redirect_uri")).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(form.get("code_verifier")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("no secret in the output", () => {
  test("GIVEN a whole sign-in WHEN every line printed and every page shown is read THEN none holds the client id or secret, the code, the verifier or a token", async () => {
    const run = startLogin(["--no-browser", "--port", "0"], env());
    const address = await run.address;
    // A forged answer first: its refusal is printed too.
    await fetch(`${new URL(address).origin}/?code=forged-code-0123456789&state=nope`);
    const visit = await playBrowser(address);
    expect(await run.done).toBe(0);

    const entry = storedEntries()[`${emulator.tokenUrl} ${emulator.demo.clientId}`];
    const secrets = [
      emulator.demo.clientId,
      emulator.demo.clientSecret,
      String(visit.callback.searchParams.get("code")),
      String(visit.callback.searchParams.get("state")),
      String(visit.authorize.searchParams.get("code_challenge")),
      String(entry.accessToken),
      String(entry.refreshToken),
      "forged-code-0123456789",
    ];
    const printed = [...run.out, ...run.err, visit.page].join("\n");
    for (const secret of secrets) expect(printed).not.toContain(secret);
    // The verifier never leaves the process but in the exchange: nothing printed is long and random enough to be one.
    expect(printed).not.toMatch(/[A-Za-z0-9_~.-]{32,}/);
  });
});

describe("the listener", () => {
  test("GIVEN login is waiting WHEN its address is read THEN it is bound to 127.0.0.1 only: 127.0.0.2 and the machine's other addresses are refused", async () => {
    const run = startLogin(["--no-browser", "--port", "0", "--timeout", "5"], env());
    const bound = await run.bound;
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((i): i is os.NetworkInterfaceInfo => i !== undefined && i.address !== "127.0.0.1")
      .map((i) => i.address);

    expect(bound).toMatchObject({ address: "127.0.0.1", family: "IPv4" });
    expect(await connects("127.0.0.1", bound.port)).toBe(true);
    expect(await connects("127.0.0.2", bound.port)).toBe(false);
    for (const address of others) expect(await connects(address, bound.port)).toBe(false);

    await playBrowser(await run.address);
    expect(await run.done).toBe(0);
  });

  test("GIVEN login is waiting WHEN a request with a malformed target arrives THEN 400, and the sign-in goes on", async () => {
    const run = startLogin(["--no-browser", "--port", "0"], env());
    const { port } = await run.bound;

    const status = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write("GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      let text = "";
      socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      socket.once("close", () => resolve(text.split("\r\n")[0]));
      socket.once("error", reject);
    });

    expect(status).toBe("HTTP/1.1 400 Bad Request");
    await playBrowser(await run.address);
    expect(await run.done).toBe(0);
  });

  test("GIVEN a server bound to every interface WHEN 127.0.0.2 is probed THEN it connects (the probe above can tell)", async () => {
    const wildcard = http.createServer();
    await new Promise<void>((resolve) => wildcard.listen(0, "0.0.0.0", resolve));
    try {
      expect(await connects("127.0.0.2", (wildcard.address() as net.AddressInfo).port)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => wildcard.close(() => resolve()));
    }
  });

  test("GIVEN login is waiting WHEN other paths and methods are requested THEN 404 (a sign-in address without the printed key too) and 405, and the sign-in goes on", async () => {
    const run = startLogin(["--no-browser", "--port", "0"], env());
    const origin = new URL(await run.address).origin;

    expect((await fetch(`${origin}/favicon.ico`)).status).toBe(404);
    expect((await fetch(`${origin}/sign-in`, { redirect: "manual" })).status).toBe(404);
    expect((await fetch(`${origin}/sign-in/guessed-key-0000`, { redirect: "manual" })).status).toBe(404);
    expect((await fetch(`${origin}/`, { method: "POST" })).status).toBe(405);

    await playBrowser(await run.address);
    expect(await run.done).toBe(0);
  });
});

describe("the browser", () => {
  test("GIVEN no --no-browser WHEN login runs THEN it opens the printed address (the opener plays the browser here)", async () => {
    const opened: string[] = [];
    const run = startLogin(["--port", "0"], env(), {
      openBrowser: async (address) => {
        opened.push(address);
        void playBrowser(address);
        return undefined;
      },
    });

    expect(await run.done).toBe(0);
    expect(opened).toEqual([await run.address]);
  });

  test("GIVEN an opener that fails WHEN login runs THEN it says so and waits for the address to be opened by hand", async () => {
    const run = startLogin(["--port", "0"], env(), { openBrowser: async () => "xdg-open is not installed" });
    const address = await run.address;
    await new Promise((resolve) => setImmediate(resolve));

    expect(run.out).toContainEqual("Could not open a browser (xdg-open is not installed); open the address above by hand.");
    await playBrowser(address);
    expect(await run.done).toBe(0);
  });

  describe("the platform opener", () => {
    const opener = process.platform === "darwin" ? "open" : "xdg-open";

    test("GIVEN no opener on PATH WHEN a browser is opened THEN it resolves to a note, never an error", async () => {
      await expect(openWithPlatform("http://127.0.0.1:1/sign-in", { PATH: path.join(dir, "empty") })).resolves.toBe(`${opener} is not installed`);
    });

    test("GIVEN an opener on PATH WHEN a browser is opened THEN it is started with the address", async () => {
      const bin = path.join(dir, "bin");
      const record = path.join(dir, "opened.txt");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, opener), `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`, { mode: 0o755 });

      await expect(openWithPlatform("http://127.0.0.1:1/sign-in", { PATH: bin })).resolves.toBeUndefined();
      await waitFor(() => fs.existsSync(record) && fs.readFileSync(record, "utf8") !== "");
      expect(fs.readFileSync(record, "utf8")).toBe("http://127.0.0.1:1/sign-in");
    });
  });
});

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
