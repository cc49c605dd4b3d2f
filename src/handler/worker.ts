/**
 * The warm handler of one terraform run. A cold `node` process per customer costs far more CPU
 * than the customer's requests (start-up, bundle load, a cold JIT): on a 200-customer rollout that
 * was most of the apply. So the first tenant create of a run starts this process (forward.sh, next
 * to the bundle), and every create of the same run hands its object key to it through a spool
 * directory instead of starting a handler of its own.
 *
 * Each job is exactly the run `node handler.cjs apply` would have made (main() with the job's
 * three variables over this process's environment, which is the run's: provisioners of one run
 * differ only in those), so every check (manifest digest, markers, StateLost) holds unchanged.
 *
 * Files, in `<stack>/.dimensions-markers/workers/<terraform pid>/`: `pid` once up; per job, `<id>`
 * being the forwarder's pid, `<id>.job` (key, manifest, digest: taken once its three lines are
 * complete, by renaming it `.taken`), then `<id>.out`, `<id>.err` and last `<id>.rc`, each written
 * whole then renamed, and a line written to the forwarder's FIFO `<id>.fifo` wakes it. This
 * process removes a job's files once its forwarder is gone (a process less per create: see
 * forward.sh). The forwarder runs the handler itself when this process is not up or goes away
 * before answering: a job is idempotent (a create repeated after a crash converges), so a
 * fallback never loses or doubles anything.
 *
 * The process ends once terraform is gone and no job is in flight, or after WORKER_IDLE_MS with
 * none; after a job that hit its deadline it ends at once, as a handler process would.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ENV } from "../contracts/handler";
import { EXIT_OK, main, sharedApiFactory, type MainOptions, type SharedResources } from "./main";

export const WORKER_IDLE_MS = 60_000;
const POLL_MS = 5;
/** A job file still incomplete after this long is not being written: it is taken, and refused. */
const JOB_WRITE_MS = 2_000;

function writeWhole(file: string, text: string): void {
  fs.writeFileSync(`${file}.part`, text);
  fs.renameSync(`${file}.part`, file);
}

/**
 * Wakes the forwarder blocked reading its FIFO. Non-blocking: with no reader (the forwarder is
 * gone) there is nobody to wake, and the worker must not wait for one.
 */
function wake(fifo: string): void {
  try {
    const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try {
      fs.writeSync(fd, "done\n");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // ENXIO (no reader) or ENOENT (no FIFO): the forwarder reads the .rc file when it looks.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface WorkerOptions extends Pick<MainOptions, "createApi" | "clock"> {
  readonly idleMs?: number;
  /** Tests: resolve instead of exiting the process after a job that hit its deadline. */
  readonly exit?: (code: number) => void;
}

/** Serves jobs from `dir` until terraform (`parentPid`) is gone and nothing is in flight. */
export async function runWorker(dir: string, parentPid: number, env: NodeJS.ProcessEnv, options: WorkerOptions = {}): Promise<void> {
  const jobs = path.join(dir, "jobs");
  fs.mkdirSync(jobs, { recursive: true });
  writeWhole(path.join(dir, "pid"), `${process.pid}\n`);
  const idleMs = options.idleMs ?? WORKER_IDLE_MS;
  const inFlight = new Set<Promise<void>>();
  // Answered jobs whose forwarder may still be reading the answer.
  const answered = new Set<string>();
  const removeAnswered = (): void => {
    for (const id of answered) {
      if (alive(Number(id))) continue;
      for (const suffix of [".fifo", ".taken", ".out", ".err", ".rc"]) fs.rmSync(path.join(jobs, `${id}${suffix}`), { force: true });
      answered.delete(id);
    }
  };
  // One client for every job: one connection pool and one token for the whole run.
  const createApi = options.createApi ?? sharedApiFactory();
  // And one connection to the markers' database (pg backend), opened by the first job that needs it.
  const shared: SharedResources = {};
  let lastActivity = Date.now();
  let stopping = false;

  const serve = async (id: string, taken: string, job: string): Promise<void> => {
    const out: string[] = [];
    const err: string[] = [];
    let code = 1;
    const base = path.join(jobs, id);
    const lines = job.split("\n");
    const [key, manifest, digest] = lines;
    if (lines.length !== 4 || !key || !manifest || !digest) {
      // Not three lines (a path holding a newline): woken without an answer, the forwarder runs
      // the handler itself, which reads its environment as it is.
      fs.rmSync(taken, { force: true });
      wake(`${base}.fifo`);
      return;
    }
    try {
      code = await main(["apply"], { ...env, [ENV.objectKey]: key, [ENV.manifest]: manifest, [ENV.manifestDigest]: digest }, {
        sink: { out: (line) => out.push(line), err: (line) => err.push(line) },
        createApi,
        shared,
        ...(options.clock ? { clock: options.clock } : {}),
      });
    } catch (e) {
      err.push(`dimensions: WorkerFailed: ${(e as Error).message}`);
    }
    writeWhole(`${base}.out`, out.map((l) => `${l}\n`).join(""));
    writeWhole(`${base}.err`, err.map((l) => `${l}\n`).join(""));
    writeWhole(`${base}.rc`, String(code));
    answered.add(id);
    wake(`${base}.fifo`);
    lastActivity = Date.now();
    // A run past its deadline may still have requests in flight: as a handler process would, this
    // one ends now; the forwarders of the other jobs then run their handler themselves.
    if (code !== EXIT_OK && err.some((l) => l.includes("HandlerTimeout"))) {
      stopping = true;
      (options.exit ?? ((c: number) => process.exit(c)))(code);
    }
  };

  try {
    for (;;) {
      if (stopping) return;
      let names: string[] = [];
      try {
        names = fs.readdirSync(jobs);
      } catch {
        // The spool went away (the stack directory was removed): nothing left to serve.
        await Promise.all(inFlight);
        return;
      }
      for (const name of names) {
        if (!name.endsWith(".job")) continue;
        const id = name.slice(0, -".job".length);
        const file = path.join(jobs, name);
        const taken = path.join(jobs, `${id}.taken`);
        let job: string;
        try {
          job = fs.readFileSync(file, "utf8");
          // The forwarder writes its job in place (a rename would cost it a process): one still
          // being written is taken at a later poll.
          if (!/^[^\n]+\n[^\n]+\n[^\n]+\n$/.test(job) && Date.now() - fs.statSync(file).mtimeMs < JOB_WRITE_MS) continue;
          fs.renameSync(file, taken);
        } catch {
          continue; // withdrawn by its forwarder
        }
        lastActivity = Date.now();
        const serving = serve(id, taken, job).finally(() => inFlight.delete(serving));
        inFlight.add(serving);
      }
      removeAnswered();
      if (inFlight.size === 0 && (!alive(parentPid) || Date.now() - lastActivity > idleMs)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await Promise.all(inFlight);
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    await shared.pgConnections?.closeAll();
  }
}
