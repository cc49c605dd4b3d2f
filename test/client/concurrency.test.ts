/**
 * THE key property: Terraform runs up to 10 handler processes at once and refresh tokens rotate,
 * so 10 OS processes sharing one credentials file must perform exactly one refresh between them,
 * and every one of them must end up with a working token.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ServerResponse } from "node:http";
import { type FakeServer, type TokenServer, page, startServer, startTokenServer } from "./fixtures/fake-server";

const WORKERS = 10;
const REPO = path.resolve(__dirname, "..", "..");
const WORKER = path.join(__dirname, "fixtures", "token-worker.ts");

interface WorkerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runWorker(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let tokens: TokenServer | undefined;
let barrier: FakeServer | undefined;
afterEach(async () => {
  await tokens?.close();
  await barrier?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("GIVEN 10 processes, one credentials file and rotating refresh tokens WHEN all need a token at once THEN exactly one refresh happens and all 10 calls succeed", async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-concurrency-"));
  // A slow grant widens the window in which a second process could refresh too.
  tokens = await startTokenServer(
    { clientId: "client-c", clientSecret: "secret-c", refreshToken: "refresh-0", rotate: true, delayMs: 300 },
    (req, res) => page(res, req, [{ id: "00000000-0000-4000-8000-000000000001", name: "Acme", reference: "acme" }]),
  );
  // Barrier: answers nobody until all workers have loaded, so they ask for a token together.
  const waiting: ServerResponse[] = [];
  barrier = await startServer((_req, res) => {
    waiting.push(res);
    if (waiting.length === WORKERS) for (const r of waiting.splice(0)) r.end("go");
  });
  const release = setTimeout(() => waiting.splice(0).forEach((r) => r.end("go")), 60_000);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    TEST_BARRIER_URL: `${barrier.url}/barrier`,
    DIMENSIONS_API_URL: tokens.url,
    DIMENSIONS_TOKEN_URL: tokens.tokenUrl,
    DIMENSIONS_CLIENT_ID: "client-c",
    DIMENSIONS_CLIENT_SECRET: "secret-c",
    DIMENSIONS_REFRESH_TOKEN: "refresh-0",
    DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "shared", "credentials.json"),
  };
  const results = await Promise.all(Array.from({ length: WORKERS }, () => runWorker(env, 80_000)));
  clearTimeout(release);

  const outputs = results.map((r) => {
    try {
      return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as { ok: boolean; grants: number; customers: number; error?: string };
    } catch {
      return { ok: false, grants: -1, customers: 0, error: `exit ${r.code}: ${r.stderr.slice(0, 500)}` };
    }
  });
  expect(outputs.filter((o) => !o.ok)).toEqual([]);
  expect(outputs.every((o) => o.customers === 1)).toBe(true);
  expect(tokens.grants).toBe(1);
  expect(tokens.rejected).toBe(0);
  expect(outputs.reduce((n, o) => n + o.grants, 0)).toBe(1);
  // The file holds the one live refresh token, mode 0600.
  const file = env.DIMENSIONS_CREDENTIALS_FILE as string;
  expect(fs.readFileSync(file, "utf8")).toContain(tokens.currentRefreshToken);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
}, 120_000);
