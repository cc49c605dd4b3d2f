/**
 * forward.sh, the shell side of the warm handler: a create goes to the run's worker when it is up
 * and answers, and is run by the handler itself in every other case (switched off, never up, died
 * starting, died holding the job, a stale spool). A fake bundle plays the worker and the handler.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const FORWARD = path.resolve(__dirname, "../../src/handler/forward.sh");

// The fake bundle: `worker DIR PID` behaves as FAKE_WORKER says; `apply` is the direct run.
const FAKE = `
const fs = require("fs"), path = require("path");
const [, , op, dir] = process.argv;
const mode = process.env.FAKE_WORKER;
if (op === "apply") { console.log("direct " + process.env.DIMENSIONS_OBJECT_KEY); console.error("direct stderr"); process.exit(Number(process.env.FAKE_RC || 0)); }
if (mode === "die-starting") process.exit(3);
fs.writeFileSync(path.join(dir, "pid"), String(process.pid));
const jobs = path.join(dir, "jobs");
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const tick = setInterval(() => {
  for (const name of fs.readdirSync(jobs)) {
    if (!name.endsWith(".job")) continue;
    const id = name.slice(0, -4), taken = path.join(jobs, id + ".taken");
    // As the real worker: a job is taken once its three lines are written.
    if (!/^[^\\n]+\\n[^\\n]+\\n[^\\n]+\\n$/.test(fs.readFileSync(path.join(jobs, name), "utf8"))) continue;
    fs.renameSync(path.join(jobs, name), taken);
    if (mode === "die-holding") process.exit(9);
    const [key] = fs.readFileSync(taken, "utf8").split("\\n");
    fs.writeFileSync(path.join(jobs, id + ".out"), "served " + key + "\\n");
    fs.writeFileSync(path.join(jobs, id + ".err"), process.env.FAKE_NO_STDERR ? "" : "served stderr\\n");
    fs.writeFileSync(path.join(jobs, id + ".rc"), process.env.FAKE_RC || "0");
    // Wakes the forwarder as the real worker does; without it the forwarder's watchdog would.
    if (mode !== "no-wake") { const fd = fs.openSync(path.join(jobs, id + ".fifo"), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK); fs.writeSync(fd, "done\\n"); fs.closeSync(fd); }
    if (mode !== "serve-many") clearInterval(tick);
    if (mode === "no-wake") continue;
    // As the real worker: the job's files go once its forwarder is gone.
    const sweep = setInterval(() => {
      if (alive(Number(id))) return;
      for (const s of [".fifo", ".taken", ".out", ".err", ".rc"]) fs.rmSync(path.join(jobs, id + s), { force: true });
      clearInterval(sweep);
    }, 5);
    // Stays up a while, as a real worker would for the rest of the run.
    setTimeout(() => {}, Number(process.env.FAKE_LINGER_MS || 0));
  }
}, 5);
`;

let dir: string;
let bundle: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-forward-"));
  bundle = path.join(dir, "handler.cjs");
  fs.writeFileSync(bundle, FAKE);
  fs.writeFileSync(path.join(dir, "dimensions.manifest.json"), "{}");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function forward(env: NodeJS.ProcessEnv = {}, how: "run" | "sourced" = "run"): { status: number | null; stdout: string; stderr: string; ms: number } {
  const start = Date.now();
  // "sourced" is how a tenant create's command uses it (handler-resource.ts).
  const args = how === "run" ? [FORWARD, bundle] : ["-c", `{ set -- "${bundle}"; . "${FORWARD}"; }`];
  const result = spawnSync("sh", args, {
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, DIMENSIONS_MANIFEST: path.join(dir, "dimensions.manifest.json"), DIMENSIONS_MANIFEST_DIGEST: "d".repeat(64), DIMENSIONS_OBJECT_KEY: "customer:ACME-001", ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - start };
}

const spool = () => path.join(dir, ".dimensions-markers", "workers", String(process.pid));
const leftovers = () => (fs.existsSync(path.join(spool(), "jobs")) ? fs.readdirSync(path.join(spool(), "jobs")) : []);
/** The job's files are removed by the worker once the forwarder is gone: soon, not at once. */
async function eventualLeftovers(): Promise<string[]> {
  for (let i = 0; i < 200 && leftovers().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  return leftovers();
}

test("GIVEN a worker that answers WHEN a create is forwarded THEN its output and exit code are the job's, and nothing of the job is left", async () => {
  const result = forward({ FAKE_WORKER: "serve" });
  expect(result).toMatchObject({ status: 0, stdout: "served customer:ACME-001\n", stderr: "served stderr\n" });
  expect(await eventualLeftovers()).toEqual([]);
});

test("GIVEN the create's own command WHEN it sources forward.sh THEN the job is served as when forward.sh runs", () => {
  const result = forward({ FAKE_WORKER: "serve" }, "sourced");
  expect(result).toMatchObject({ status: 0, stdout: "served customer:ACME-001\n", stderr: "served stderr\n" });
});

test("GIVEN a worker already up WHEN a create is forwarded THEN the forwarder starts no process but mkfifo and a cat of the output", () => {
  // Each process the forwarder starts costs CPU on every create of a rollout: shims in front of
  // PATH log every command it runs.
  const shims = path.join(dir, "shims");
  const log = path.join(dir, "commands.log");
  fs.mkdirSync(shims);
  for (const command of ["mkfifo", "cat", "mkdir", "rm", "mv", "sleep", "dirname", "kill", "test", "printf", "echo", "sh"]) {
    const real = spawnSync("sh", ["-c", `command -v ${command} || true`], { encoding: "utf8" }).stdout.trim();
    if (!real.startsWith("/")) continue;
    fs.writeFileSync(path.join(shims, command), `#!/bin/sh\necho ${command} >>"${log}"\nexec ${real} "$@"\n`, { mode: 0o755 });
  }
  const env = { FAKE_WORKER: "serve-many", FAKE_LINGER_MS: "5000", FAKE_NO_STDERR: "1" };
  expect(forward(env, "sourced")).toMatchObject({ status: 0, stdout: "served customer:ACME-001\n" });
  const pathWithShims = `${shims}:${path.dirname(process.execPath)}:/usr/bin:/bin`;
  const second = forward({ ...env, PATH: pathWithShims, DIMENSIONS_OBJECT_KEY: "customer:ACME-002" }, "sourced");
  expect(second).toMatchObject({ status: 0, stdout: "served customer:ACME-002\n", stderr: "" });
  // "sh" is the create's own shell (terraform's); sourced, forward.sh starts no second one.
  expect(fs.readFileSync(log, "utf8").split("\n").filter(Boolean)).toEqual(["sh", "mkfifo", "cat"]);
});

test("GIVEN a worker that answers and stays up WHEN a create is forwarded THEN the FIFO wakes it at once, not the watchdog", () => {
  const result = forward({ FAKE_WORKER: "serve", FAKE_LINGER_MS: "5000" });
  expect(result).toMatchObject({ status: 0, stdout: "served customer:ACME-001\n" });
  expect(result.ms).toBeLessThan(3000);
});

test("GIVEN a worker that wrote its answer and died before waking the forwarder WHEN forwarded THEN the watchdog wakes it and the answer is used", () => {
  const result = forward({ FAKE_WORKER: "no-wake" });
  expect(result).toMatchObject({ status: 0, stdout: "served customer:ACME-001\n" });
});

test("GIVEN a job that failed WHEN forwarded THEN the create fails with the job's exit code", () => {
  expect(forward({ FAKE_WORKER: "serve", FAKE_RC: "1" }).status).toBe(1);
});

test("GIVEN DIMENSIONS_WORKER=0 WHEN a create runs THEN the handler runs it itself and no worker starts", () => {
  const result = forward({ DIMENSIONS_WORKER: "0", FAKE_WORKER: "serve" });
  expect(result).toMatchObject({ status: 0, stdout: "direct customer:ACME-001\n" });
  expect(fs.existsSync(spool())).toBe(false);
});

test("GIVEN a worker that dies starting WHEN a create is forwarded THEN the handler runs it itself at once", () => {
  const result = forward({ FAKE_WORKER: "die-starting" });
  expect(result).toMatchObject({ status: 0, stdout: "direct customer:ACME-001\n" });
  expect(result.ms).toBeLessThan(8_000);
});

test("GIVEN a worker that dies holding the job WHEN a create is forwarded THEN the handler runs it itself, and the job's files are gone", () => {
  const result = forward({ FAKE_WORKER: "die-holding" });
  expect(result).toMatchObject({ status: 0, stdout: "direct customer:ACME-001\n" });
  // The forwarder removed them itself before running the handler.
  expect(leftovers()).toEqual([]);
});

test("GIVEN a stale spool of a worker that is gone WHEN a create is forwarded THEN the handler runs it itself", () => {
  fs.mkdirSync(path.join(spool(), "jobs"), { recursive: true });
  fs.writeFileSync(path.join(spool(), "pid"), "999999999");
  const result = forward({ FAKE_WORKER: "serve" });
  expect(result).toMatchObject({ status: 0, stdout: "direct customer:ACME-001\n" });
});

test("GIVEN no object key WHEN forward.sh runs THEN the handler runs itself (it decides what is wrong)", () => {
  const result = forward({ DIMENSIONS_OBJECT_KEY: "", FAKE_WORKER: "serve" });
  expect(result).toMatchObject({ status: 0, stdout: "direct \n" });
});
