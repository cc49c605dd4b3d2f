/**
 * The PostgreSQL credentials store (DIMENSIONS_CREDENTIALS_URL) against a real server
 * (test/support/postgres.ts) and the emulator with rotating refresh tokens, through real OS
 * processes running the bundled CLI (dist/cli.cjs), which builds its client exactly as the handler
 * does: one refresh grant per expiry across every process on every "runner" (working directory
 * with its own HOME), processes that waited use the new token, a rejected refresh token, an
 * unreachable or refusing server, a malformed URL, and never a secret in any output.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { SharedTokenCache } from "../../src/client";
import { credentialsStoreFromEnv } from "../../src/client/credentials-store";
import { CREDENTIALS_TABLE, CREDENTIALS_TABLE_DDL, PostgresCredentialsStore, parseCredentialsUrl } from "../../src/client/pg-credentials-store";
import { signInConfigFromEnv } from "../../src/client/sign-in";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server";
import { describePostgres, startPostgres, type PostgresServer } from "../support/postgres";
import { startTokenProxy, type TokenProxy } from "./fixtures/token-proxy";

jest.setTimeout(180_000);

const CLI = path.resolve(__dirname, "../../dist/cli.cjs");
/** The bundled command each "runner" process runs: it calls the API and prints no secret. */
const API_CALL = ["access-requests", "--json"];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bundled CLI; a process that hangs is killed, so it shows as code null, never as a stuck test. */
function runCli(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let server: PostgresServer;
let emulator: RunningEmulator;
let root: string;
let databases = 0;
const openClients: Client[] = [];
const proxies: TokenProxy[] = [];

/** A fresh, empty database for one test. */
async function database(): Promise<string> {
  databases += 1;
  return server.createDatabase(`creds_${process.pid}_${databases}`);
}

async function sql(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  openClients.push(client);
  return client;
}

/** Sessions of the store (application_name cdktf-dimensions) waiting on a lock: the barrier's count. */
function waitingOn(client: Client): () => Promise<number> {
  return async () =>
    (
      await client.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'cdktf-dimensions' and wait_event_type = 'Lock'",
      )
    ).rows[0].n;
}

async function proxyFor(client: Client): Promise<TokenProxy> {
  const proxy = await startTokenProxy(emulator.tokenUrl, waitingOn(client));
  proxies.push(proxy);
  return proxy;
}

async function control(method: string, route: string, body?: unknown): Promise<unknown> {
  const answer = await fetch(`${emulator.url}/_emulator${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!answer.ok) throw new Error(`${method} ${route} → ${answer.status}`);
  return answer.json();
}

async function stats(): Promise<{ refreshGrants: number; rejectedGrants: number }> {
  const s = (await control("GET", "/stats")) as { tokenGrants: Record<string, number>; calls: Record<string, number> };
  return { refreshGrants: s.tokenGrants.refresh_token ?? 0, rejectedGrants: s.calls["POST /connect/token 400"] ?? 0 };
}

interface Runner {
  readonly dir: string;
  readonly home: string;
}

/** A "CI runner": its own working directory and HOME, so no file store can be shared. */
function runner(name: string): Runner {
  const dir = path.join(root, name);
  const home = path.join(dir, "home");
  fs.mkdirSync(home, { recursive: true });
  return { dir, home };
}

function envFor(r: Runner, credentialsUrl: string, tokenUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: r.home,
    DIMENSIONS_API_URL: emulator.url,
    DIMENSIONS_TOKEN_URL: tokenUrl,
    DIMENSIONS_CLIENT_ID: emulator.demo.clientId,
    DIMENSIONS_CLIENT_SECRET: emulator.demo.clientSecret,
    // What a CI runner keeps in its secrets: the bootstrap refresh token, spent after the first run.
    DIMENSIONS_REFRESH_TOKEN: emulator.demo.refreshToken,
    DIMENSIONS_CREDENTIALS_URL: credentialsUrl,
    ...extra,
  };
}

interface StoredRow {
  refresh_token: string | null;
  access_token: string | null;
  refreshes: string;
  rejected_at: Date | null;
  expired: boolean;
}

async function row(client: Client): Promise<StoredRow | undefined> {
  const result = await client.query<StoredRow>(`select refresh_token, access_token, refreshes, rejected_at, access_expires_at <= clock_timestamp() as expired from ${CREDENTIALS_TABLE}`);
  expect(result.rows.length).toBeLessThanOrEqual(1);
  return result.rows[0];
}

/** Until the stored access token has expired by the server's clock (it lives a few seconds). */
async function untilExpired(client: Client): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await row(client))?.expired) {
    if (Date.now() > deadline) throw new Error("the stored access token did not expire within 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every secret a process could leak: the client secret, the database password, every token issued or presented. */
function secrets(proxy: TokenProxy | undefined, ...more: (string | null | undefined)[]): string[] {
  const password = decodeURIComponent(new URL(server.url).password);
  const all = [emulator.demo.clientSecret, password, emulator.demo.refreshToken, ...(proxy?.secrets ?? []), ...more, ...Object.keys(emulator.store.state.refreshTokens)];
  return [...new Set(all.filter((s): s is string => typeof s === "string" && s.length >= 8))];
}

function leaks(runs: readonly Run[], known: readonly string[]): string[] {
  return runs.flatMap((r, i) => known.filter((s) => r.stdout.includes(s) || r.stderr.includes(s)).map((s) => `process ${i} printed ${s.slice(0, 4)}…`));
}

/** Starts `count` processes spread over `runners`, all at once. */
function together(count: number, runners: readonly Runner[], env: (r: Runner) => NodeJS.ProcessEnv, args: readonly string[] = API_CALL): Promise<Run[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => runners[i % runners.length]).map((r) => runCli(args, { cwd: r.dir, env: env(r) })));
}

test("GIVEN no DIMENSIONS_CREDENTIALS_URL THEN the file stays the store; GIVEN one, or a region's own, THEN that database is, for the client and for dimensions login alike", () => {
  const settings = { tokenUrl: "https://login.example/connect/token", clientId: "c", clientSecret: "s" };
  const env: NodeJS.ProcessEnv = {
    DIMENSIONS_CLIENT_ID: "c",
    DIMENSIONS_CLIENT_SECRET: "s",
    DIMENSIONS_CREDENTIALS_FILE: "/tmp/dimensions-credentials-choice.json",
    DIMENSIONS_CREDENTIALS_URL_UK: "postgresql://uk:uk-password@db.uk.example:5432/uk",
  };
  const get = (e: NodeJS.ProcessEnv) => (name: string) => e[name] || undefined;

  const file = credentialsStoreFromEnv(get(env), settings);
  const database = credentialsStoreFromEnv(get({ ...env, DIMENSIONS_CREDENTIALS_URL: "postgres://ci:pw-123456@db.example/ci" }), settings);

  expect(file).toBeInstanceOf(SharedTokenCache);
  expect(file.location).toBe("/tmp/dimensions-credentials-choice.json");
  expect(database).toBeInstanceOf(PostgresCredentialsStore);
  expect(database.location).toBe("postgres://ci@db.example/ci");
  expect(database.hasStoredRefreshToken()).toBeUndefined();
  // dimensions login --region uk reads the region's variables, as a UK stack's handler does.
  expect(signInConfigFromEnv(env, "uk").store.location).toBe("postgresql://uk@db.uk.example:5432/uk");
  expect(signInConfigFromEnv(env, "eu").store.location).toBe("/tmp/dimensions-credentials-choice.json");
});

test("the README shows the very table the store creates, for an owner who creates it beforehand", () => {
  const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
  expect(readme).toContain(`\`\`\`sql\n${CREDENTIALS_TABLE_DDL};\ngrant select, insert, update on ${CREDENTIALS_TABLE} to ci;\n\`\`\``);
});

describePostgres("the PostgreSQL credentials store", () => {
  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(async () => {
    emulator = await startEmulator({ port: 0 });
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-pg-credentials-"));
  });

  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close();
    for (const client of openClients.splice(0)) await client.end().catch(() => undefined);
    await emulator.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("GIVEN 15 processes in 3 working directories with their own HOME and an expired access token WHEN they start together THEN exactly one refresh grant, 15 successes, and no secret in any output", async () => {
    const url = await database();
    const db = await sql(url);
    const proxy = await proxyFor(db);
    const runners = [runner("a"), runner("b"), runner("c")];
    const env = (r: Runner) => envFor(r, url, proxy.tokenUrl);

    // The first CI run: the store is empty, so DIMENSIONS_REFRESH_TOKEN seeds it.
    await control("PUT", "/auth", { accessTokenSeconds: 2 });
    const first = await runCli(API_CALL, { cwd: runners[0].dir, env: env(runners[0]) });
    expect(first).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
    expect(await stats()).toEqual({ refreshGrants: 1, rejectedGrants: 0 });
    await control("PUT", "/auth", { accessTokenSeconds: 3600 });
    await untilExpired(db);

    // The grant is held until the 14 others wait on the row lock: they really contend.
    proxy.holdUntilWaiting(14);
    const runs = await together(15, runners, env);

    expect(runs.map((r) => r.code)).toEqual(Array(15).fill(0));
    expect(runs.map((r) => r.stdout)).toEqual(Array(15).fill("[]\n"));
    expect(runs.map((r) => r.stderr)).toEqual(Array(15).fill(""));
    expect(proxy.maxWaiting).toBe(14);
    // Exactly one refresh for the expiry, and the spent bootstrap token was never sent again.
    expect(await stats()).toEqual({ refreshGrants: 2, rejectedGrants: 0 });
    expect(proxy.requests).toBe(2);
    const stored = await row(db);
    expect(stored).toMatchObject({ refreshes: "2", expired: false, rejected_at: null });
    expect(Object.keys(emulator.store.state.refreshTokens)).toEqual([stored?.refresh_token]);
    expect(leaks([first, ...runs], secrets(proxy, stored?.access_token, stored?.refresh_token))).toEqual([]);
    // The file store was never used: no runner has a credentials file.
    for (const r of runners) expect(fs.existsSync(path.join(r.home, ".config", "dimensions", "credentials.json"))).toBe(false);
  });

  test("GIVEN a refreshed store WHEN the access token expires a second time THEN the processes started together make exactly one more grant", async () => {
    const url = await database();
    const db = await sql(url);
    const proxy = await proxyFor(db);
    const runners = [runner("a"), runner("b"), runner("c")];
    const env = (r: Runner) => envFor(r, url, proxy.tokenUrl);

    await control("PUT", "/auth", { accessTokenSeconds: 2 });
    expect((await runCli(API_CALL, { cwd: runners[0].dir, env: env(runners[0]) })).code).toBe(0);
    // Long enough for every process of one round to use the token, short enough to expire again.
    await control("PUT", "/auth", { accessTokenSeconds: 8 });
    const rounds: Run[] = [];
    for (const round of [1, 2]) {
      await untilExpired(db);
      proxy.holdUntilWaiting(5);
      const runs = await together(6, runners, env);
      expect(runs.map((r) => [r.code, r.stderr])).toEqual(Array(6).fill([0, ""]));
      expect(await stats()).toEqual({ refreshGrants: 1 + round, rejectedGrants: 0 });
      rounds.push(...runs);
    }
    expect(await row(db)).toMatchObject({ refreshes: "3" });
    expect(leaks(rounds, secrets(proxy))).toEqual([]);
  });

  test("GIVEN a refresh token the token endpoint rejects WHEN 3 processes start together THEN one attempt reaches it, each fails with RefreshTokenRejected naming dimensions login, and nothing secret is printed", async () => {
    const url = await database();
    const db = await sql(url);
    const proxy = await proxyFor(db);
    const runners = [runner("a"), runner("b"), runner("c")];
    const dead = "rt_revoked-long-ago-0123456789";
    proxy.holdUntilWaiting(2);

    const runs = await together(3, runners, (r) => envFor(r, url, proxy.tokenUrl, { DIMENSIONS_REFRESH_TOKEN: dead }));

    expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
    for (const r of runs) {
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^dimensions: RefreshTokenRejected: /);
      expect(r.stderr).toMatch(/Sign in again with dimensions login/);
      expect(r.stderr).toMatch(/the credentials store postgresql:\/\/dimensions@127\.0\.0\.1:\d+\/creds_\w+/);
    }
    // The processes that waited saw the rejection in the row and did not send the dead token again.
    expect(await stats()).toEqual({ refreshGrants: 0, rejectedGrants: 1 });
    expect(await row(db)).toMatchObject({ refresh_token: null, access_token: null, rejected_at: expect.any(Date) });
    expect(leaks(runs, [...secrets(proxy), dead])).toEqual([]);
  });

  test("GIVEN a store that never saw a sign-in and no refresh token in the environment WHEN dimensions token runs THEN CredentialsMissing points at dimensions login", async () => {
    const url = await database();
    const r = runner("a");

    const run = await runCli(["token"], { cwd: r.dir, env: envFor(r, url, emulator.tokenUrl, { DIMENSIONS_REFRESH_TOKEN: "" }) });

    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^dimensions token: CredentialsMissing: no API credentials: the credentials store postgresql:\/\/dimensions@127\.0\.0\.1:\d+\/creds_\w+ holds none .*Sign in with dimensions login/);
    expect(leaks([run], secrets(undefined))).toEqual([]);
    expect(await stats()).toEqual({ refreshGrants: 0, rejectedGrants: 0 });
  });

  test("GIVEN the PostgreSQL store WHEN dimensions token runs twice THEN it prints the same valid token, refreshed once under the row lock, and keeps the rotated refresh token in the row", async () => {
    const url = await database();
    const db = await sql(url);
    const r = runner("a");
    const env = envFor(r, url, emulator.tokenUrl);

    const first = await runCli(["token"], { cwd: r.dir, env });
    const second = await runCli(["token", "--header"], { cwd: r.dir, env });

    expect(first).toMatchObject({ code: 0, stderr: "" });
    const token = first.stdout.trim();
    expect(second).toEqual({ code: 0, stdout: `Authorization: Bearer ${token}\n`, stderr: "" });
    expect(await stats()).toEqual({ refreshGrants: 1, rejectedGrants: 0 });
    const res = await fetch(`${emulator.url}/api/v1.0/customers`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const stored = await row(db);
    expect(stored?.access_token).toBe(token);
    expect(Object.keys(emulator.store.state.refreshTokens)).toEqual([stored?.refresh_token]);
    expect(fs.existsSync(path.join(r.home, ".config", "dimensions", "credentials.json"))).toBe(false);
  });

  test("GIVEN a sign-in with dimensions login into the PostgreSQL store WHEN another runner calls the API with no refresh token THEN it uses the signed-in token, and after expiry refreshes from the signed-in refresh token, never from the environment's", async () => {
    const url = await database();
    const db = await sql(url);
    const here = runner("laptop");
    const ci = runner("ci");
    // The environment's refresh token is superseded by the sign-in: the store must never send it.
    const stale = "rt_stale-bootstrap-token-0123456789";
    const signIn = await bundledLogin({ ...envFor(here, url, emulator.tokenUrl), DIMENSIONS_REFRESH_TOKEN: stale });

    expect(signIn.code).toBe(0);
    expect(signIn.stderr).toBe("");
    expect(signIn.stdout).toMatch(/^Signed in as Demo Partner <demo@reseller\.test>; the credentials are in postgresql:\/\/dimensions@127\.0\.0\.1:\d+\/creds_\w+\.$/m);
    const signedIn = await row(db);
    expect(Object.keys(emulator.store.state.refreshTokens)).toContain(signedIn?.refresh_token);

    const noRefreshToken = { DIMENSIONS_REFRESH_TOKEN: "" };
    const use = await runCli(API_CALL, { cwd: ci.dir, env: envFor(ci, url, emulator.tokenUrl, noRefreshToken) });
    expect(use).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
    expect(await stats()).toEqual({ refreshGrants: 0, rejectedGrants: 0 });

    // An hour later: the emulator's clock moves on and the row's expiry is past as well.
    await control("POST", "/clock", { advanceSeconds: 3601 });
    await db.query(`update ${CREDENTIALS_TABLE} set access_expires_at = clock_timestamp() - interval '1 second', access_obtained_at = clock_timestamp() - interval '3601 seconds'`);
    const later = await runCli(API_CALL, { cwd: ci.dir, env: envFor(ci, url, emulator.tokenUrl, { DIMENSIONS_REFRESH_TOKEN: stale }) });
    expect(later).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
    expect(await stats()).toEqual({ refreshGrants: 1, rejectedGrants: 0 });
    expect(leaks([signIn, use, later], [...secrets(undefined, signedIn?.access_token, signedIn?.refresh_token), stale])).toEqual([]);
  });

  test("GIVEN the server is down WHEN a process needs a token THEN it fails at once with CredentialsStoreUnreachable, naming the URL without its password", async () => {
    const r = runner("a");
    const down = await startPostgres();
    const url = await down.createDatabase("down");
    await down.stop();

    const run = await runCli(API_CALL, { cwd: r.dir, env: envFor(r, url, emulator.tokenUrl), timeoutMs: 60_000 });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^dimensions: CredentialsStoreUnreachable: cannot connect to the credentials store postgresql:\/\/dimensions@127\.0\.0\.1:\d+\/down \(connect ECONNREFUSED/);
    expect(run.stderr).not.toContain(new URL(url).password);
    expect(await stats()).toEqual({ refreshGrants: 0, rejectedGrants: 0 });
  });

  test("GIVEN a server that accepts connections but never answers WHEN a token is needed THEN the bounded connect fails with CredentialsStoreUnreachable instead of hanging", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const store = new PostgresCredentialsStore({
        url: parseCredentialsUrl(`postgresql://ci:very-secret-pw@127.0.0.1:${port}/ci`),
        tokenUrl: emulator.tokenUrl,
        clientId: emulator.demo.clientId,
        clientSecret: emulator.demo.clientSecret,
        refreshToken: emulator.demo.refreshToken,
        connectTimeoutMs: 500,
      });
      const err = (await store.getToken().catch((e: unknown) => e)) as Error & { code: string };
      expect(err.code).toBe("CredentialsStoreUnreachable");
      expect(err.message).toMatch(/cannot connect to the credentials store postgresql:\/\/ci@127\.0\.0\.1:\d+\/ci \(.*timeout.*; a connection is given 0.5 s\)/i);
      expect(err.message).not.toContain("very-secret-pw");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test("GIVEN a wrong password WHEN a process needs a token THEN CredentialsStoreRefused says the password was refused and prints neither password", async () => {
    const url = await database();
    const r = runner("a");
    const wrong = url.replace(/:[^:@/]+@/, ":not-the-password-42@");

    const run = await runCli(["token"], { cwd: r.dir, env: envFor(r, wrong, emulator.tokenUrl) });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^dimensions token: CredentialsStoreRefused: the credentials store postgresql:\/\/dimensions@127\.0\.0\.1:\d+\/creds_\w+ refused the connection: the password was refused/);
    expect(run.stderr).not.toContain("not-the-password-42");
    expect(leaks([run], secrets(undefined))).toEqual([]);
  });

  test.each([
    ["not a URL at all, with a password", "postgresql://ci:pa ss[word@", /is not a URL/],
    ["another scheme", "mysql://ci:hunter2-secret@db/ci", /is a mysql: URL; expected postgresql:\/\//],
    ["an sslmode pg does not know", "postgresql://ci:hunter2-secret@db/ci?sslmode=sometimes", /\(postgresql:\/\/ci@db\/ci\?sslmode=sometimes\) has sslmode="sometimes"; expected one of disable, prefer, require/],
  ])("GIVEN %s in DIMENSIONS_CREDENTIALS_URL WHEN a process starts THEN InvalidConfiguration names the variable and never prints the password", async (_name, value, message) => {
    const r = runner("a");

    const run = await runCli(["token"], { cwd: r.dir, env: envFor(r, value, emulator.tokenUrl) });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^dimensions token: InvalidConfiguration: DIMENSIONS_CREDENTIALS_URL /);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/hunter2|pa ss/);
  });

  test("GIVEN sslmode=verify-full against a server without TLS WHEN a token is needed THEN the connection is refused as pg does, and sslmode=disable connects", async () => {
    const url = await database();
    const r = runner("a");

    const tls = await runCli(["token"], { cwd: r.dir, env: envFor(r, `${url}?sslmode=verify-full`, emulator.tokenUrl) });
    const plain = await runCli(["token"], { cwd: r.dir, env: envFor(r, `${url}?sslmode=disable`, emulator.tokenUrl) });

    expect(tls.code).toBe(1);
    expect(tls.stderr).toMatch(/^dimensions token: CredentialsStoreUnreachable: cannot connect to the credentials store postgresql:\/\/dimensions@127\.0\.0\.1:\d+\/creds_\w+\?sslmode=verify-full \(The server does not support SSL connections/);
    expect(plain).toMatchObject({ code: 0, stderr: "" });
  });

  test("GIVEN a fresh database WHEN 8 stores in one process start at once THEN the table is created once, the row seeded once, and one grant serves all", async () => {
    const url = await database();
    const stores = Array.from(
      { length: 8 },
      () =>
        new PostgresCredentialsStore({
          url: parseCredentialsUrl(url),
          tokenUrl: emulator.tokenUrl,
          clientId: emulator.demo.clientId,
          clientSecret: emulator.demo.clientSecret,
          refreshToken: emulator.demo.refreshToken,
        }),
    );

    const tokens = await Promise.all(stores.map((s) => s.getToken()));

    expect(new Set(tokens).size).toBe(1);
    expect(stores.reduce((n, s) => n + s.grants, 0)).toBe(1);
    expect(await stats()).toEqual({ refreshGrants: 1, rejectedGrants: 0 });
    const db = await sql(url);
    expect((await db.query("select count(*)::int as n from pg_tables where tablename = $1", [CREDENTIALS_TABLE])).rows[0].n).toBe(1);
    expect((await row(db))?.access_token).toBe(tokens[0]);
  });

  test("GIVEN a role with only the README's grants on a table its owner created WHEN dimensions token runs THEN it works; a role that may not create the table gets CredentialsStoreRefused", async () => {
    const url = await database();
    const owner = await sql(url);
    const role = `ci_${process.pid}_${databases}`;
    const password = `pw-${role}-only-for-this-test`;
    await owner.query(`create role ${role} login password '${password}'`);
    const asRole = (u: string) => u.replace(/\/\/[^@]+@/, `//${role}:${encodeURIComponent(password)}@`);
    const r = runner("a");

    const refused = await runCli(["token"], { cwd: r.dir, env: envFor(r, asRole(url), emulator.tokenUrl) });
    await owner.query(CREDENTIALS_TABLE_DDL);
    await owner.query(`grant select, insert, update on ${CREDENTIALS_TABLE} to ${role}`);
    const granted = await runCli(["token"], { cwd: r.dir, env: envFor(r, asRole(url), emulator.tokenUrl) });

    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^dimensions token: CredentialsStoreRefused: the credentials store postgresql://${role}@127\\.0\\.0\\.1:\\d+/creds_\\w+ refused: the role lacks a privilege \\(permission denied for schema public`));
    expect(refused.stderr).toMatch(/create on the schema the first time/);
    expect(granted).toMatchObject({ code: 0, stderr: "" });
    expect(leaks([refused, granted], [...secrets(undefined), password])).toEqual([]);
  });

  test("GIVEN another session holds the row lock WHEN a token is needed THEN the bounded wait ends in CredentialsLockTimeout", async () => {
    const url = await database();
    const settings = { url: parseCredentialsUrl(url), tokenUrl: emulator.tokenUrl, clientId: emulator.demo.clientId, clientSecret: emulator.demo.clientSecret };
    await new PostgresCredentialsStore({ ...settings, refreshToken: emulator.demo.refreshToken }).getToken();
    const db = await sql(url);
    await db.query(`update ${CREDENTIALS_TABLE} set access_expires_at = clock_timestamp()`);
    await db.query("begin");
    await db.query(`select * from ${CREDENTIALS_TABLE} for update`);
    try {
      const err = (await new PostgresCredentialsStore({ ...settings, lockWaitMs: 300 }).getToken().catch((e: unknown) => e)) as Error & { code: string };
      expect(err.code).toBe("CredentialsLockTimeout");
      expect(err.message).toMatch(/could not lock the credentials of this client in the credentials store postgresql:\/\/dimensions@127\.0\.0\.1:\d+\/creds_\w+ within 0.3 s/);
    } finally {
      await db.query("rollback");
    }
    expect(await stats()).toEqual({ refreshGrants: 1, rejectedGrants: 0 });
  });
});

/** The bundled `dimensions login`, with the test playing the browser once it prints its address. */
function bundledLogin(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "login", "--no-browser", "--port", "0", "--login-hint", "demo@reseller.test"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let visited = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
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
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function playBrowser(address: string): Promise<void> {
  let next = address;
  // The listener forwards to the emulator's authorize endpoint, which sends the browser back.
  for (let hop = 0; hop < 2; hop++) {
    const answer = await fetch(next, { redirect: "manual" });
    if (answer.status !== 302) throw new Error(`hop ${hop}: ${answer.status}`);
    next = String(answer.headers.get("location"));
  }
  await (await fetch(next)).text();
}
