/**
 * The rollout figures of the per-customer layout, measured in one run against the emulator on
 * this machine (ratios, not absolute times: the machines are shared):
 *
 * - a fresh rollout of C customers × U users through terraform, against the direct-API floor:
 *   the same minimal requests sent by one process of our client with the same total
 *   concurrency (terraform's 10 provisioners × DIMENSIONS_CONCURRENCY), a process of its own
 *   against an emulator in this process, as the terraform run's clients are (floor-client.ts).
 *   Target ≤ 1.5×;
 * - API requests against the minimum (3 per customer + 1 per user): target ≤ 1.1×; token grants: 1;
 * - a change of one user's roles in a 5,000-user customer: ≤ 10 API requests, ≤ 2× a no-op apply;
 * - a no-op `terraform plan` of 10,000 users: ≤ 3 s; synth of 10,000 users: ≤ 10 s;
 * - peak memory of the largest handler process, and how each figure grows from 1,000 to 10,000 users;
 * - the bound terraform itself sets: the same graph applied fresh, in a state of its own, with
 *   `true` as every command, so no handler runs and no request is sent. It shows how much of the
 *   apply is terraform's own work (with the local backend the whole state is rewritten after every
 *   resource) that no handler change can remove;
 * - where the CPU of the apply went: terraform and the shells it starts, the handler processes,
 *   the emulator; the floor's client and emulator; and the least time that CPU needs on this
 *   machine's cores, against the floor (no apply spending that CPU can beat that ratio here);
 * - the same rollout with the state in PostgreSQL (the `pg` backend of a team's rollout, see the
 *   README), when a PostgreSQL server can start here: the `pg` backend saves snapshots every 20 s
 *   instead of after every resource.
 *
 * Prints; never fails on a figure.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, LocalBackend } from "cdktf";
import { Customer, CustomerUser, DimensionsStack, PostgresBackend, Role } from "../src";
import { Sandbox } from "../src/cli/sandbox";
import { assertTerraformOk } from "../src/cli/terraform";
import { postgresUnavailable, startPostgres, type PostgresServer } from "../test/support/postgres";
import type { FloorFigures } from "./floor-client";
import { ADMIN, AGENT, PBX_KEY, PBX_KEY_ENV, customerProps } from "./rollout-data";

const TERRAFORM_PARALLELISM = 10;
/** The cores this process may run on (its affinity; a cgroup's CPU quota, as in some CI, is not seen). */
const CORES = os.availableParallelism();
const PER_PROCESS = 4;

interface Stats {
  readonly apiRequests: number;
  readonly tokenGrants: Record<string, number>;
}

const grants = (s: Stats) => Object.values(s.tokenGrants).reduce((n, c) => n + c, 0);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Where the rollout's state lives: a local file, or a schema of a PostgreSQL database (`pg` backend). */
type Backend = { readonly kind: "local" } | { readonly kind: "pg"; readonly url: string; readonly schema: string };

/**
 * CPU time (ms) of this process's children that have ended and been waited for: terraform and
 * every process it waited for. Linux only (/proc); undefined elsewhere.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of proc(5), cutime and cstime, in clock ticks (100 per second on Linux).
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** The stack: `customers` customers of `users` users each (the first is the primary admin). */
function synthRollout(dir: string, customers: number, users: number, change?: { customer: number; user: number }, backend: Backend = { kind: "local" }): { stackDir: string; ms: number } {
  const start = process.hrtime.bigint();
  const app = new App({ outdir: path.join(dir, "cdktf.out") });
  const stack = new DimensionsStack(app, "rollout", { acceptCharges: true, region: "eu" });
  if (backend.kind === "pg") new PostgresBackend(stack, { schemaName: backend.schema });
  else new LocalBackend(stack, { path: path.join(dir, "rollout.tfstate") });
  for (let c = 0; c < customers; c++) {
    const customer = new Customer(stack, `c${c}`, customerProps(`REF-${c}`));
    for (let u = 0; u < users; u++) {
      const roles = u === 0 ? ADMIN : change && change.customer === c && change.user === u ? [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR] : AGENT;
      new CustomerUser(customer, `u${u}`, { customer, email: `user${u}@c${c}.bench.test`, displayName: `User ${u}`, roles, primaryAdmin: u === 0 });
    }
  }
  app.synth();
  return { stackDir: path.join(dir, "cdktf.out", "stacks", "rollout"), ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/**
 * The floor: the minimal requests of a fresh rollout, sent by one process of our client
 * (floor-client.ts) against an emulator in this process, as the terraform run's are; with the CPU
 * of each.
 */
async function floor(sandbox: Sandbox, customers: number, users: number): Promise<{ ms: number; clientCpuMs: number; emulatorCpuMs: number }> {
  const emulatorCpu = process.cpuUsage();
  const child = spawn(process.execPath, [path.join(__dirname, "floor-client.js"), String(customers), String(users), String(TERRAFORM_PARALLELISM), String(PER_PROCESS)], {
    env: { ...process.env, ...sandbox.env, [PBX_KEY_ENV]: PBX_KEY },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  const emulator = cpuMs(emulatorCpu);
  if (code !== 0) throw new Error(`the floor's client failed (exit ${code}): ${stderr.trim()}`);
  const figures = JSON.parse(stdout.trim().split("\n").pop() ?? "") as FloorFigures;
  return { ms: figures.ms, clientCpuMs: figures.cpuMs, emulatorCpuMs: emulator };
}

/**
 * Peak memory (KiB) of the largest handler process and the CPU (ms) of them all, from the preload's
 * lines; and the CPU of the warm handlers alone: terraform does not wait for them (see forward.sh),
 * so childrenCpuMs() misses them, while it counts every handler terraform started itself.
 */
function handlerUsage(file: string): { peakKiB: number; cpuMs: number; warmCpuMs: number } {
  if (!fs.existsSync(file)) return { peakKiB: 0, cpuMs: 0, warmCpuMs: 0 };
  const rows = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => line.split(" "));
  const cpu = (r: string[]) => Number(r[1] ?? 0);
  return {
    peakKiB: Math.max(0, ...rows.map((r) => Number(r[0]))),
    cpuMs: rows.reduce((n, r) => n + cpu(r), 0),
    warmCpuMs: rows.filter((r) => r[3] === "worker").reduce((n, r) => n + cpu(r), 0),
  };
}

interface RolloutFigures {
  readonly users: number;
  readonly synthMs: number;
  readonly applyMs: number;
  readonly floorMs: number;
  readonly requests: number;
  readonly minimum: number;
  readonly tokenGrants: number;
  readonly planMs: number;
  readonly peakRssMiB: number;
  readonly terraformAloneMs: number;
  /** CPU of that apply (terraform and its `true`s), when /proc tells. */
  readonly terraformAloneCpuMs?: number;
  /** CPU of the apply: terraform and what it waited for (its shells, and handlers it ran itself); every handler process; the emulator. */
  readonly cpu: {
    readonly terraform?: number;
    readonly handlers: number;
    /** The warm handlers' share of `handlers`, the one `terraform` does not hold. */
    readonly warmHandlers: number;
    readonly emulator: number;
    readonly floorClient: number;
    readonly floorEmulator: number;
  };
}

/**
 * Writes the synthesized stack's configuration into `aloneDir` with `true` as every provisioner
 * command (its own state, if any, is kept), so terraform's own cost can be measured on the same graph.
 */
function trueCopy(stackDir: string, aloneDir: string, backend: Backend = { kind: "local" }): void {
  if (!fs.existsSync(aloneDir)) {
    fs.cpSync(stackDir, aloneDir, { recursive: true, filter: (source) => !/\.terraform|terraform\.tfstate|\.dimensions-markers/.test(path.basename(source)) });
  }
  const config = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as { resource?: Record<string, Record<string, { provisioner?: Array<Record<string, { command?: string }>> }>> };
  let commands = 0;
  for (const resources of Object.values(config.resource ?? {})) {
    for (const resource of Object.values(resources)) {
      for (const provisioner of resource.provisioner ?? []) {
        for (const body of Object.values(provisioner)) {
          if (typeof body.command === "string") {
            body.command = "true";
            commands += 1;
          }
        }
      }
    }
  }
  if (commands === 0) throw new Error("terraform alone: no provisioner command found to replace");
  // A state of its own: in the stack's state the copy would find everything created already, and
  // measure a no-op.
  (config as { terraform?: { backend?: unknown } }).terraform = {
    ...(config as { terraform?: object }).terraform,
    backend: backend.kind === "pg" ? { pg: { schema_name: `${backend.schema}_alone` } } : { local: { path: path.join(aloneDir, "terraform.tfstate") } },
  };
  fs.writeFileSync(path.join(aloneDir, "cdk.tf.json"), JSON.stringify(config));
}

const apply = (sandbox: Sandbox, dir: string) => timed(async () => assertTerraformOk(await sandbox.terraform(["apply", "-auto-approve", "-input=false"], dir, { timeoutMs: 1_800_000 })));

/** A fresh apply of the synthesized stack with `true` as every command, without the emulator. */
async function terraformAlone(sandbox: Sandbox, stackDir: string, backend: Backend): Promise<{ ms: number; cpuMs?: number }> {
  const aloneDir = `${stackDir}-alone`;
  trueCopy(stackDir, aloneDir, backend);
  assertTerraformOk(await sandbox.terraform(["init", "-input=false"], aloneDir));
  const before = childrenCpuMs();
  const { ms } = await apply(sandbox, aloneDir);
  const after = childrenCpuMs();
  return { ms, ...(before !== undefined && after !== undefined ? { cpuMs: after - before } : {}) };
}

async function rollout(root: string, customers: number, users: number, backend: Backend = { kind: "local" }): Promise<RolloutFigures> {
  const dir = fs.mkdtempSync(path.join(root, `rollout-${customers * users}-`));
  const rssFile = path.join(dir, "rss.txt");
  const env = {
    [PBX_KEY_ENV]: PBX_KEY,
    NODE_OPTIONS: `--require ${path.join(__dirname, "..", "..", "bench", "rss-preload.js")}`,
    DIMENSIONS_BENCH_RSS_FILE: rssFile,
    ...(backend.kind === "pg" ? { PG_CONN_STR: backend.url } : {}),
  };
  // The floor on an emulator of its own, so both start from the same empty state.
  const floorSandbox = await Sandbox.start({ dir: path.join(dir, "floor") });
  const floorRun = await floor(floorSandbox, customers, users).finally(() => floorSandbox.close());

  const sandbox = await Sandbox.start({ dir, env });
  try {
    const { stackDir, ms: synthMs } = synthRollout(dir, customers, users, undefined, backend);
    assertTerraformOk(await sandbox.terraform(["init", "-input=false"], stackDir));
    const before = await sandbox.control<Stats>("GET", "/stats");
    const children = childrenCpuMs();
    // While terraform runs, this process only serves the emulator.
    const emulatorCpu = process.cpuUsage();
    const { ms: applyMs } = await timed(async () => assertTerraformOk(await sandbox.terraform(["apply", "-auto-approve", "-input=false"], stackDir, { timeoutMs: 1_800_000 })));
    const emulator = cpuMs(emulatorCpu);
    const childrenAfter = childrenCpuMs();
    const after = await sandbox.control<Stats>("GET", "/stats");
    const { ms: planMs, value: plan } = await timed(() => sandbox.terraform(["plan", "-detailed-exitcode", "-input=false"], stackDir));
    if (plan.code !== 0) throw new Error(`the plan after the rollout is not empty (exit ${plan.code})`);
    // The warm handler ends once terraform is gone: its line is in the file within a second or so.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const handlers = handlerUsage(rssFile);
    const alone = await terraformAlone(sandbox, stackDir, backend);
    return {
      users: customers * users,
      synthMs,
      applyMs,
      floorMs: floorRun.ms,
      requests: after.apiRequests - before.apiRequests,
      minimum: 3 * customers + customers * users,
      tokenGrants: grants(after) - grants(before),
      planMs,
      peakRssMiB: handlers.peakKiB / 1024,
      terraformAloneMs: alone.ms,
      ...(alone.cpuMs !== undefined ? { terraformAloneCpuMs: alone.cpuMs } : {}),
      cpu: {
        ...(children !== undefined && childrenAfter !== undefined ? { terraform: childrenAfter - children } : {}),
        handlers: handlers.cpuMs,
        warmHandlers: handlers.warmCpuMs,
        emulator,
        floorClient: floorRun.clientCpuMs,
        floorEmulator: floorRun.emulatorCpuMs,
      },
    };
  } finally {
    await sandbox.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * One user's roles changed in a customer of `users` users, against a no-op apply: three changes
 * (the user's roles, back, and again), each after a no-op, medians compared; with the handler
 * processes each change ran (from the preload), and terraform alone on the same changes.
 */
export async function oneUserChange(root: string, users: number): Promise<void> {
  const ROUNDS = 3;
  const dir = fs.mkdtempSync(path.join(root, `change-${users}-`));
  const rssFile = path.join(dir, "rss.txt");
  const preload = { NODE_OPTIONS: `--require ${path.join(__dirname, "..", "..", "bench", "rss-preload.js")}`, DIMENSIONS_BENCH_RSS_FILE: rssFile };
  const sandbox = await Sandbox.start({ dir, env: { [PBX_KEY_ENV]: PBX_KEY, ...preload } });
  try {
    const { stackDir } = synthRollout(dir, 1, users);
    const aloneDir = `${stackDir}-alone`;
    trueCopy(stackDir, aloneDir);
    for (const d of [stackDir, aloneDir]) assertTerraformOk(await sandbox.terraform(["init", "-input=false"], d));
    for (const d of [stackDir, aloneDir]) await apply(sandbox, d);
    const noops: number[] = [];
    const changes: number[] = [];
    const aloneNoops: number[] = [];
    const aloneChanges: number[] = [];
    const requests: number[] = [];
    const handlerRuns: number[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      noops.push((await apply(sandbox, stackDir)).ms);
      aloneNoops.push((await apply(sandbox, aloneDir)).ms);
      synthRollout(dir, 1, users, round % 2 === 0 ? { customer: 0, user: Math.floor(users / 2) } : undefined);
      trueCopy(stackDir, aloneDir);
      fs.rmSync(rssFile, { force: true });
      const before = await sandbox.control<Stats>("GET", "/stats");
      changes.push((await apply(sandbox, stackDir)).ms);
      const after = await sandbox.control<Stats>("GET", "/stats");
      requests.push(after.apiRequests - before.apiRequests);
      handlerRuns.push(fs.existsSync(rssFile) ? fs.readFileSync(rssFile, "utf8").split("\n").filter(Boolean).map((line) => Number(line.split(" ")[2] ?? 0)) : []);
      aloneChanges.push((await apply(sandbox, aloneDir)).ms);
    }
    const [change, noop, aloneChange, aloneNoop] = [changes, noops, aloneChanges, aloneNoops].map(median);
    console.log(
      `one user's roles changed in a ${users}-user customer (median of ${ROUNDS}): ${Math.max(...requests)} API requests (target ≤ 10); apply ${seconds(change)} vs a no-op apply ${seconds(noop)} → ${(change / noop).toFixed(2)}× (target ≤ 2×)`,
    );
    console.log(
      `  terraform alone (every command \`true\`): the change ${seconds(aloneChange)} vs a no-op ${seconds(aloneNoop)} → ${(aloneChange / aloneNoop).toFixed(2)}×; the handler's share of the change: ${seconds(Math.max(0, change - aloneChange))}; handler processes per change: ${handlerRuns.map((runs) => `${runs.length} (${runs.map((ms) => `${ms} ms`).join(", ")})`).join("; ")}`,
    );
  } finally {
    await sandbox.close();
  }
}

function report(f: RolloutFigures, customers: number, backend: Backend = { kind: "local" }): void {
  console.log(`rollout of ${customers} customers × ${f.users / customers} users (${f.users} users), state ${backend.kind === "pg" ? "in PostgreSQL (pg backend)" : "in a local file"}:`);
  console.log(`  terraform apply ${seconds(f.applyMs)} vs the direct-API floor ${seconds(f.floorMs)} → ${(f.applyMs / f.floorMs).toFixed(2)}× (target ≤ 1.5×)`);
  console.log(
    `  terraform alone on the same graph (every command \`true\`, no request) ${seconds(f.terraformAloneMs)} → ${(f.terraformAloneMs / f.floorMs).toFixed(2)}× the floor, using ${f.terraformAloneCpuMs === undefined ? "an unmeasured amount of" : seconds(f.terraformAloneCpuMs)} CPU; the handlers' share of the apply: ${seconds(Math.max(0, f.applyMs - f.terraformAloneMs))}`,
  );
  console.log(`  API requests ${f.requests} vs the minimum ${f.minimum} → ${(f.requests / f.minimum).toFixed(3)}× (target ≤ 1.1×); token grants ${f.tokenGrants} (target 1)`);
  console.log(`  synth ${seconds(f.synthMs)} (target ≤ 10 s at 10,000 users); no-op terraform plan ${seconds(f.planMs)} (target ≤ 3 s at 10,000 users)`);
  console.log(`  peak memory of the largest handler process: ${f.peakRssMiB.toFixed(0)} MiB`);
  const terraformCpu = f.cpu.terraform === undefined ? "not measured (no /proc)" : seconds(f.cpu.terraform);
  console.log(
    `  CPU during the apply: terraform and the processes it waited for (its shells, the handlers it started itself) ${terraformCpu}, handler processes ${seconds(f.cpu.handlers)} (the warm handler ${seconds(f.cpu.warmHandlers)}), emulator ${seconds(f.cpu.emulator)}; the floor: its client ${seconds(f.cpu.floorClient)}, emulator ${seconds(f.cpu.floorEmulator)}`,
  );
  if (f.cpu.terraform !== undefined) {
    // No schedule of that work on this machine's cores can be faster than its CPU spread evenly.
    const bound = (f.cpu.terraform + f.cpu.warmHandlers + f.cpu.emulator) / CORES;
    const uncounted = backend.kind === "pg" ? " (PostgreSQL's own CPU is not counted: the least time is higher still)" : "";
    console.log(`  that CPU spread evenly over the ${CORES} cores takes at least ${seconds(bound)} → ${(bound / f.floorMs).toFixed(2)}× the floor: no apply spending that CPU can beat it here${uncounted}`);
  }
}

export async function rolloutBench(root: string): Promise<void> {
  const scale = Number(process.env.BENCH_ROLLOUT_SCALE ?? 1);
  const small = await rollout(root, Math.max(1, Math.round(20 * scale)), 50);
  report(small, Math.max(1, Math.round(20 * scale)));
  const largeCustomers = Math.max(1, Math.round(200 * scale));
  const large = await rollout(root, largeCustomers, 50);
  report(large, largeCustomers);
  const unavailable = postgresUnavailable();
  if (unavailable) console.log(`rollout with the state in PostgreSQL: not measured (${unavailable})`);
  else {
    let server: PostgresServer | undefined;
    try {
      server = await startPostgres();
      // A server on loopback without TLS: terraform's pg backend (lib/pq) requires TLS unless told.
      const backend: Backend = { kind: "pg", url: `${await server.createDatabase("bench")}?sslmode=disable`, schema: "tfstate_rollout" };
      report(await rollout(root, largeCustomers, 50, backend), largeCustomers, backend);
    } finally {
      await server?.stop();
    }
  }
  const growth = (key: Exclude<keyof RolloutFigures, "cpu" | "terraformAloneCpuMs">) => (large[key] / small[key]).toFixed(1);
  console.log(
    `growth from ${small.users} to ${large.users} users (${(large.users / small.users).toFixed(0)}× the users): apply ${growth("applyMs")}×, floor ${growth("floorMs")}×, requests ${growth("requests")}×, synth ${growth("synthMs")}×, terraform alone ${growth("terraformAloneMs")}×, plan ${growth("planMs")}×, peak handler memory ${growth("peakRssMiB")}×`,
  );
  await oneUserChange(root, Math.max(2, Math.round(5000 * scale)));
}
