/**
 * `npm run bench`: figures measured in one run, as ratios to a floor measured in the same run
 * (these machines are shared and noisy, so absolute times mean little):
 *
 * 1. the handler's cold start against `node -e 0`;
 * 2. an apply of the onboarding example against the same resource graph whose commands are `true`
 *    (what Terraform itself costs), plus API requests and token grants per apply.
 *
 * 3. the rollout figures of bench/rollout.ts (10,000 users; BENCH_ROLLOUT=0 skips them,
 *    BENCH_ROLLOUT_SCALE=0.1 runs them at a tenth of the size).
 *
 * Targets: start-up ≤ 1.25×, apply ≤ 3× the floor, exactly one token grant per apply, and those
 * of bench/rollout.ts. The bench prints; it never fails on a figure.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Sandbox } from "../src/cli/sandbox";
import { assertTerraformOk, terraformVersion } from "../src/cli/terraform";
import { MANIFEST_FILE, SYNTH_FAILED_DIGEST } from "../src/contracts/handler";
import { rolloutBench } from "./rollout";

const ROOT = path.resolve(__dirname, "..", "..");
const HANDLER = path.join(ROOT, "dist", "handler.cjs");
const EXAMPLE = path.join(ROOT, "lib", "examples", "onboarding", "main.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeRun(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  return ms;
}

/** Cold start: the handler doing the least it can do (an inventory's apply), not calling the API. */
function coldStart(dir: string): void {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const manifest = JSON.stringify({ version: 2, stack: "bench", objects: {} });
  fs.writeFileSync(manifestPath, manifest);
  const payload = { t: { t: { objects: {} }, i: { kind: "inventory", settings: { region: "eu", acceptCharges: false } } }, i: null };
  const env = {
    ...process.env,
    DIMENSIONS_PAYLOAD: zlib.gzipSync(JSON.stringify(payload)).toString("base64"),
    DIMENSIONS_MANIFEST: manifestPath,
    DIMENSIONS_MANIFEST_DIGEST: createHash("sha256").update(manifest).digest("hex") || SYNTH_FAILED_DIGEST,
    DIMENSIONS_ACCESS_TOKEN: "bench-not-used",
    DIMENSIONS_API_URL: "http://127.0.0.1:9",
  };
  // Interleave the two so load on the machine hits both alike.
  const floor: number[] = [];
  const handler: number[] = [];
  timeRun(process.execPath, ["-e", "0"], env);
  timeRun(process.execPath, [HANDLER, "apply"], env);
  for (let i = 0; i < RUNS; i++) {
    floor.push(timeRun(process.execPath, ["-e", "0"], env));
    handler.push(timeRun(process.execPath, [HANDLER, "apply"], env));
  }
  const ratio = median(handler) / median(floor);
  console.log(`handler cold start: ${median(handler).toFixed(0)} ms vs node -e 0 ${median(floor).toFixed(0)} ms (median of ${RUNS}) → ${ratio.toFixed(2)}× (target ≤ 1.25×)`);
}

/** `GET /_emulator/stats`: `apiRequests` counts /api/v1.0 calls only, not token grants. */
interface Stats {
  readonly apiRequests: number;
  readonly tokenGrants: Record<string, number>;
}

function apiRequests(stats: Stats): number {
  return stats.apiRequests;
}

function grants(stats: Stats): number {
  return Object.values(stats.tokenGrants).reduce((n, c) => n + c, 0);
}

async function applyVersusFloor(dir: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(EXAMPLE) as { ACME_PBX_ACCOUNT_ID: string; ACME_PBX_USERS: unknown[]; ACME_PBX_API_KEY_ENV: string };
  const sandbox = await Sandbox.start({ dir, env: { [example.ACME_PBX_API_KEY_ENV]: "bench-kazoo-key" } });
  try {
    await sandbox.control("PUT", `/pbx/${example.ACME_PBX_ACCOUNT_ID}/users`, example.ACME_PBX_USERS);
    const synth = spawnSync(process.execPath, [EXAMPLE], { cwd: dir, env: { ...process.env, CDKTF_OUTDIR: path.join(dir, "cdktf.out") }, encoding: "utf8" });
    if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
    const stackDir = path.join(dir, "cdktf.out", "stacks", "onboarding");

    // The floor: the same graph (resources, dependencies, provisioners) with `true` as every command.
    const floorDir = path.join(dir, "floor");
    fs.mkdirSync(floorDir);
    const config = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    let resources = 0;
    for (const type of Object.values(config.resource ?? {}) as Array<Record<string, { provisioner?: Array<Record<string, { command?: string }>> }>>) {
      for (const resource of Object.values(type)) {
        resources++;
        for (const provisioner of resource.provisioner ?? []) {
          if (provisioner["local-exec"]) provisioner["local-exec"].command = "true";
        }
      }
    }
    config.terraform.backend = { local: { path: path.join(floorDir, "terraform.tfstate") } };
    fs.writeFileSync(path.join(floorDir, "cdk.tf.json"), JSON.stringify(config));

    for (const d of [floorDir, stackDir]) assertTerraformOk(await sandbox.terraform(["init", "-input=false"], d));
    const timeApply = async (d: string) => {
      const start = process.hrtime.bigint();
      assertTerraformOk(await sandbox.terraform(["apply", "-auto-approve", "-input=false"], d));
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const floorMs = await timeApply(floorDir);
    const before = await sandbox.control<Stats>("GET", "/stats");
    const applyMs = await timeApply(stackDir);
    const after = await sandbox.control<Stats>("GET", "/stats");
    const requests = apiRequests(after) - apiRequests(before);
    const tokenGrants = grants(after) - grants(before);
    console.log(`apply of examples/onboarding (${resources} resources): ${applyMs.toFixed(0)} ms vs the same graph running \`true\` ${floorMs.toFixed(0)} ms → ${(applyMs / floorMs).toFixed(2)}× (target ≤ 3×)`);
    console.log(`API requests per apply: ${requests} (${(requests / resources).toFixed(1)} per resource); token grants per apply: ${tokenGrants} (target 1)`);
  } finally {
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  for (const file of [HANDLER, EXAMPLE]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "npm run build"`);
  }
  const version = terraformVersion();
  console.log(`node ${process.version}; ${version ?? "terraform: not found"}; ${os.cpus().length} cores`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-bench-"));
  try {
    coldStart(dir);
    if (version) {
      await applyVersusFloor(dir);
      if (process.env.BENCH_ROLLOUT !== "0") await rolloutBench(dir);
    } else console.log("apply benchmarks skipped: no terraform binary");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
