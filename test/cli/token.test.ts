/**
 * `dimensions token`: a valid access token from the shared credentials store, refreshed under its
 * lock once, then reused; the token works against the API; a missing credential is one coded line.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runToken } from "../../src/cli/token";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server";

let emulator: RunningEmulator;
let dir: string;

beforeEach(async () => {
  emulator = await startEmulator({ port: 0 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-token-"));
});

afterEach(async () => {
  await emulator.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return {
    DIMENSIONS_TOKEN_URL: emulator.tokenUrl,
    DIMENSIONS_CLIENT_ID: emulator.demo.clientId,
    DIMENSIONS_CLIENT_SECRET: emulator.demo.clientSecret,
    DIMENSIONS_REFRESH_TOKEN: emulator.demo.refreshToken,
    DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "credentials.json"),
  };
}

async function token(e: NodeJS.ProcessEnv): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runToken([], e, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

async function grants(): Promise<number> {
  const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as { tokenGrants: Record<string, number> };
  return Object.values(stats.tokenGrants).reduce((n, c) => n + c, 0);
}

test("GIVEN credentials WHEN run twice THEN one refresh grant, the same valid token both times, and it opens the API", async () => {
  const first = await token(env());
  const second = await token(env());
  expect(first).toMatchObject({ code: 0, err: [] });
  expect(first.out).toHaveLength(1);
  expect(second.out).toEqual(first.out);
  expect(await grants()).toBe(1);
  const res = await fetch(`${emulator.url}/api/v1.0/customers`, { headers: { authorization: `Bearer ${first.out[0]}` } });
  expect(res.status).toBe(200);
  // The rotated refresh token went to the store, never to the output.
  expect(first.out[0]).not.toBe(emulator.demo.refreshToken);
  expect(fs.statSync(path.join(dir, "credentials.json")).mode & 0o777).toBe(0o600);
});

test("GIVEN --header WHEN run THEN it prints the Authorization header line of the same token", async () => {
  const plain = await token(env());
  const out: string[] = [];
  expect(await runToken(["--header"], env(), { out: (l) => out.push(l), err: () => undefined })).toBe(0);
  expect(out).toEqual([`Authorization: Bearer ${plain.out[0]}`]);
});

test("GIVEN no client secret WHEN run THEN one coded line names the missing variable, exit 1, no token", async () => {
  const e = env();
  delete e.DIMENSIONS_CLIENT_SECRET;
  const result = await token(e);
  expect(result.code).toBe(1);
  expect(result.out).toEqual([]);
  expect(result.err).toEqual([expect.stringMatching(/^dimensions token: CredentialsMissing: .*DIMENSIONS_CLIENT_SECRET/)]);
});

test("GIVEN --region uk WHEN run THEN the _UK variables are used before the plain ones, as a UK stack uses them", async () => {
  // Plain variables that would fail: only the UK ones reach the emulator.
  const e: NodeJS.ProcessEnv = {
    DIMENSIONS_TOKEN_URL: "http://127.0.0.1:9/connect/token",
    DIMENSIONS_CLIENT_ID: "not-this-client",
    DIMENSIONS_CLIENT_SECRET: "not-this-secret",
    DIMENSIONS_TOKEN_URL_UK: emulator.tokenUrl,
    DIMENSIONS_CLIENT_ID_UK: emulator.demo.clientId,
    DIMENSIONS_CLIENT_SECRET_UK: emulator.demo.clientSecret,
    DIMENSIONS_REFRESH_TOKEN_UK: emulator.demo.refreshToken,
    DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "credentials.json"),
  };
  const out: string[] = [];
  const err: string[] = [];

  expect(await runToken(["--region", "uk"], e, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(0);
  expect(err).toEqual([]);
  const res = await fetch(`${emulator.url}/api/v1.0/customers`, { headers: { authorization: `Bearer ${out[0]}` } });
  expect(res.status).toBe(200);
  // Without the flag the plain variables are used, and they fail.
  expect(await runToken([], e, { out: () => undefined, err: (l) => err.push(l) })).toBe(1);
});
