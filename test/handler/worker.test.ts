/**
 * The warm handler's loop (src/handler/worker.ts): it claims each job once, answers with the run's
 * output and exit code, and ends with terraform. The whole path with real terraform is
 * test/e2e/warm-handler.test.ts.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createClientFromEnv } from "../../src/client";
import { sharedApiFactory } from "../../src/handler/main";
import { createReporter } from "../../src/handler/report";
import { runWorker } from "../../src/handler/worker";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-worker-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("GIVEN jobs WHEN served THEN each is answered once with the handler's exit code and lines, and the worker ends with its parent", async () => {
  // A stand-in for terraform: the worker ends once this process is gone.
  const parent = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
  const spool = path.join(dir, "spool");
  const done = runWorker(spool, parent.pid!, {}, { idleMs: 60_000 });
  await until(() => fs.existsSync(path.join(spool, "pid")));
  expect(fs.readFileSync(path.join(spool, "pid"), "utf8")).toBe(String(process.pid));

  const jobs = path.join(spool, "jobs");
  // A run whose manifest does not exist: the handler's own coded failure, exit 1.
  fs.writeFileSync(path.join(jobs, "101.job"), `customer:ACME-001\n${path.join(dir, "missing.manifest.json")}\n${"d".repeat(64)}\n`);
  // A job that is not three lines.
  fs.writeFileSync(path.join(jobs, "102.job"), "customer:ACME-001\n");
  await until(() => fs.existsSync(path.join(jobs, "101.rc")) && fs.existsSync(path.join(jobs, "102.rc")));

  expect(fs.readFileSync(path.join(jobs, "101.rc"), "utf8")).toBe("1");
  expect(fs.readFileSync(path.join(jobs, "101.err"), "utf8")).toMatch(/^dimensions: \w+/);
  expect(fs.readFileSync(path.join(jobs, "102.rc"), "utf8")).toBe("1");
  expect(fs.readFileSync(path.join(jobs, "102.err"), "utf8")).toContain("WorkerFailed: job 102 is malformed");
  expect(fs.readdirSync(jobs).filter((n) => n.endsWith(".job"))).toEqual([]);

  parent.kill("SIGKILL");
  await done;
  expect(fs.existsSync(spool)).toBe(false);
});

test("GIVEN no job for the idle time WHEN terraform is still there THEN the worker ends anyway", async () => {
  const spool = path.join(dir, "spool");
  await runWorker(spool, process.pid, {}, { idleMs: 50 });
  expect(fs.existsSync(spool)).toBe(false);
});

test("GIVEN jobs of one run WHEN each gets its client THEN the clients are the job's own (their own request counts) and share one token per region and URL", async () => {
  const factory = sharedApiFactory(() => Promise.resolve({ createClientFromEnv }));
  const env = { DIMENSIONS_ACCESS_TOKEN: "token-for-the-test", DIMENSIONS_API_URL: "http://127.0.0.1:9" };
  const lines: string[] = [];
  const report = createReporter({ sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });

  const a = (await factory(env, { region: "eu" }, report)) as unknown as { tokens: unknown; requestCount: number };
  const b = (await factory(env, { region: "eu" }, report)) as unknown as { tokens: unknown; requestCount: number };
  const uk = (await factory(env, { region: "uk" }, report)) as unknown as { tokens: unknown };

  expect(a).not.toBe(b);
  expect(a.tokens).toBe(b.tokens);
  expect(uk.tokens).not.toBe(a.tokens);
  // Every job still names the host it talks to.
  expect(lines.filter((l) => l.startsWith("dimensions: api: 127.0.0.1:9"))).toHaveLength(3);
});
