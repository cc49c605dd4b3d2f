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
  expect(fs.readFileSync(path.join(spool, "pid"), "utf8")).toBe(`${process.pid}\n`);

  const jobs = path.join(spool, "jobs");
  // Stand-ins for forwarders: a job is named by its forwarder's pid, and its files stay while it lives.
  const forwarders = [0, 1].map(() => spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]));
  const [first, second] = forwarders.map((f) => String(f.pid));
  // A run whose manifest does not exist: the handler's own coded failure, exit 1.
  const job = `customer:ACME-001\n${path.join(dir, "missing.manifest.json")}\n${"d".repeat(64)}\n`;
  fs.writeFileSync(path.join(jobs, `${first}.job`), job);
  // A job still being written (the forwarder writes it in place) is not taken...
  fs.writeFileSync(path.join(jobs, `${second}.job`), job.slice(0, 30));
  await until(() => fs.existsSync(path.join(jobs, `${first}.rc`)));
  expect(fs.readFileSync(path.join(jobs, `${first}.rc`), "utf8")).toBe("1");
  expect(fs.readFileSync(path.join(jobs, `${first}.err`), "utf8")).toMatch(/^dimensions: \w+/);
  await new Promise((r) => setTimeout(r, 100));
  expect(fs.existsSync(path.join(jobs, `${second}.job`))).toBe(true);
  // ...until its three lines are there.
  fs.appendFileSync(path.join(jobs, `${second}.job`), job.slice(30));
  await until(() => fs.existsSync(path.join(jobs, `${second}.rc`)));
  expect(fs.readdirSync(jobs).filter((n) => n.endsWith(".job"))).toEqual([]);

  // The answer is left for the forwarder while it lives, and removed once it is gone.
  await new Promise((r) => setTimeout(r, 50));
  expect(fs.existsSync(path.join(jobs, `${first}.out`))).toBe(true);
  forwarders[0].kill("SIGKILL");
  await until(() => !fs.existsSync(path.join(jobs, `${first}.rc`)));
  expect(fs.readdirSync(jobs).filter((n) => n.startsWith(`${first}.`))).toEqual([]);
  expect(fs.existsSync(path.join(jobs, `${second}.rc`))).toBe(true);

  forwarders[1].kill("SIGKILL");
  parent.kill("SIGKILL");
  await done;
  expect(fs.existsSync(spool)).toBe(false);
});

test("GIVEN a job file that stays incomplete WHEN the worker has waited for its writer THEN it is refused without an answer, so that its forwarder runs the handler itself", async () => {
  const parent = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
  const spool = path.join(dir, "spool");
  const done = runWorker(spool, parent.pid!, {}, { idleMs: 60_000 });
  await until(() => fs.existsSync(path.join(spool, "pid")));
  const jobs = path.join(spool, "jobs");
  // Four lines: a manifest path holding a newline.
  fs.writeFileSync(path.join(jobs, "103.job"), "customer:ACME-001\n/tmp/a\nb/dimensions.manifest.json\nddd\n");
  await until(() => !fs.existsSync(path.join(jobs, "103.job")), 10_000);
  await new Promise((r) => setTimeout(r, 50));
  expect(fs.readdirSync(jobs)).toEqual([]);
  parent.kill("SIGKILL");
  await done;
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
