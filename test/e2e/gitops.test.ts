/**
 * The example team workflow end to end (examples/gitops): the `run:` steps of its jobs, as GitHub
 * runs them (bash -eo pipefail, from the app's root, matrix values substituted), with its ci/
 * scripts, a real terraform, the emulator and a real PostgreSQL holding every stack's state. Each
 * job runs in a working directory of its own, as runners do; the apply job gets the plan job's
 * stack directory without its hidden files, as upload-artifact passes it.
 *
 * What a job's steps leave out here: `npm ci` (this repository is built already) and `npx cdktf
 * synth` (the example is synthesized in process; package-install.test.ts runs the command itself).
 * The credentials are the file store shared by the jobs, standing in for DIMENSIONS_CREDENTIALS_URL.
 * The tests run in order, as a repository's history does: merge, drift, a pull request and its merge.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { buildTeamApp, CUSTOMERS, KAZOO_API_KEY_ENV, type RolloutCustomer } from "../../examples/gitops/main";
import type { StackRow } from "../../src/cli/stacks";
import { terraformBinary } from "../../src/cli/terraform";
import { describePostgres, startPostgres, type PostgresServer } from "../support/postgres";
import { GITOPS_DIR, runSteps, shellCommands } from "../support/workflow";
import { describeE2E, Workspace } from "./harness";

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, "../..");
export const SKIPPED_IN_E2E = ["npm ci", "npx cdktf synth"];

interface StepResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describeE2E("the example team workflow (examples/gitops)", () => {
  describePostgres("against a real PostgreSQL server", () => {
    let server: PostgresServer;
    let ws: Workspace;
    let env: NodeJS.ProcessEnv;
    let runners = 0;

    beforeAll(async () => {
      server = await startPostgres();
      const connStr = `${await server.createDatabase("gitops")}?sslmode=disable`;
      ws = await Workspace.create("gitops", { PG_CONN_STR: connStr, [KAZOO_API_KEY_ENV]: "kazoo-secret-gitops-51d0" });
      // The scripts call `terraform` by name: the binary the harness uses goes first on PATH.
      fs.mkdirSync(path.join(ws.dir, "bin"));
      fs.symlinkSync(resolveBinary(terraformBinary(ws.sandbox.env)), path.join(ws.dir, "bin", "terraform"));
      env = { ...ws.sandbox.env, PATH: `${path.join(ws.dir, "bin")}${path.delimiter}${ws.sandbox.env.PATH ?? ""}` };
    }, 120_000);
    afterAll(async () => {
      await ws?.close();
      await server?.stop();
    });

    /**
     * A runner's checkout of the app: the example's ci/ scripts, a package.json and the built
     * `dimensions` bin (what `npm ci` installs in the app), and optionally its synth output.
     */
    function runner(customers?: readonly RolloutCustomer[]): string {
      runners += 1;
      const app = path.join(ws.dir, `runner-${runners}`);
      fs.mkdirSync(path.join(app, "node_modules", ".bin"), { recursive: true });
      fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "team-app", version: "1.0.0", private: true }));
      fs.symlinkSync(path.join(ROOT, "dist", "cli.cjs"), path.join(app, "node_modules", ".bin", "dimensions"));
      fs.cpSync(path.join(GITOPS_DIR, "ci"), path.join(app, "ci"), { recursive: true });
      if (customers) {
        const cdktf = new App({ outdir: path.join(app, "cdktf.out") });
        buildTeamApp(cdktf, customers);
        cdktf.synth();
      }
      return app;
    }

    function bash(script: string, cwd: string, extra: NodeJS.ProcessEnv = {}): Promise<StepResult> {
      return new Promise((resolve, reject) => {
        // GitHub's default shell for run: steps on Linux.
        const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd, env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
        child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    }

    /** Runs the job's run: steps in order (GitHub stops at the first that fails), matrix values substituted. */
    async function runJob(job: string, app: string, matrix?: StackRow, extra: NodeJS.ProcessEnv = {}): Promise<StepResult[]> {
      const results: StepResult[] = [];
      for (const step of runSteps().filter((s) => s.job === job)) {
        if (shellCommands(step.run).every((c) => SKIPPED_IN_E2E.includes(c.join(" ")))) continue;
        const script = step.run.replace(/\$\{\{\s*matrix\.stack\.(\w+)\s*\}\}/g, (_m, key: string) => String((matrix as unknown as Record<string, unknown>)?.[key]));
        const result = await bash(script, app, extra);
        results.push(result);
        if (result.code !== 0) break;
      }
      return results;
    }

    function ok(results: StepResult[], what: string): StepResult[] {
      const failed = results.find((r) => r.code !== 0);
      if (failed) throw new Error(`${what} failed (${failed.code}):\n${failed.stdout}\n${failed.stderr}`);
      return results;
    }

    /** The stacks job: its GITHUB_OUTPUT line, parsed as GitHub's fromJSON would. */
    async function stacksJob(app: string): Promise<StackRow[]> {
      const output = path.join(app, "github-output");
      fs.writeFileSync(output, "");
      ok(await runJob("stacks", app, undefined, { GITHUB_OUTPUT: output }), "stacks job");
      const line = fs.readFileSync(output, "utf8").split("\n").find((l) => l.startsWith("stacks="));
      return JSON.parse(line!.slice("stacks=".length)) as StackRow[];
    }

    /** upload-artifact, then download-artifact: the stack's directory without its hidden files. */
    function passArtifact(from: string, to: string, dir: string): void {
      fs.cpSync(path.join(from, dir), path.join(to, dir), { recursive: true, filter: (src) => !path.basename(src).startsWith(".") });
    }

    async function planIsEmpty(app: string, dir: string): Promise<boolean> {
      const result = await bash("terraform plan -detailed-exitcode -input=false -lock-timeout=120s", path.join(app, dir));
      if (result.code !== 0 && result.code !== 2) throw new Error(`plan failed:\n${result.stdout}\n${result.stderr}`);
      return result.code === 0;
    }

    /** Merge: the plan job and the apply job of every stack, each stack's jobs side by side with the others'. */
    async function merge(customers: readonly RolloutCustomer[]): Promise<{ stacks: StackRow[]; applyRunner: string }> {
      const planRunner = runner(customers);
      const stacks = await stacksJob(planRunner);
      const applyRunner = runner();
      await Promise.all(
        stacks.map(async (stack) => {
          ok(await runJob("plan", planRunner, stack), `plan job of ${stack.stack}`);
          passArtifact(planRunner, applyRunner, stack.dir);
          ok(await runJob("apply", applyRunner, stack), `apply job of ${stack.stack}`);
        }),
      );
      return { stacks, applyRunner };
    }

    test("1: GIVEN the example app WHEN merged THEN every stack is planned and its saved plan applied, every customer lands, plans are empty and the drift job finds nothing", async () => {
      const { stacks, applyRunner } = await merge(CUSTOMERS);
      expect(stacks.map((s) => s.stack)).toEqual(["customers-eu-0", "customers-eu-1"]);
      expect(stacks.map((s) => s.dir)).toEqual(["cdktf.out/stacks/customers-eu-0", "cdktf.out/stacks/customers-eu-1"]);

      for (const c of CUSTOMERS) {
        const users = await ws.users(c.reference);
        expect([...users.keys()].sort()).toEqual([c.admin.email, ...c.supervisors.map((s) => s.email)].sort());
      }
      for (const stack of stacks) expect(await planIsEmpty(applyRunner, stack.dir)).toBe(true);

      const drift = runner(CUSTOMERS);
      for (const stack of stacks) {
        const [result] = await runJob("drift", drift, stack);
        expect({ stack: stack.stack, code: result.code, stderr: result.stderr }).toEqual({ stack: stack.stack, code: 0, stderr: "" });
      }
    });

    test("2: GIVEN a role added by hand in the portal THEN the morning's drift job fails (exit 2) naming the user and the command that converges", async () => {
      const acme = CUSTOMERS[0];
      const customer = await ws.customer(acme.reference);
      const bruno = (await ws.api.listUsers(customer!.id)).find((u) => u.email === acme.supervisors[0].email)!;
      const held = (await ws.api.getUser(customer!.id, bruno.id)).roles ?? [];
      await ws.api.patchUser(customer!.id, bruno.id, [{ op: "replace", path: "/roles", value: [...held, "pbx.silentmonitor"] }]);

      const drift = runner(CUSTOMERS);
      const stacks = await stacksJob(drift);
      const stack = stacks.find((s) => s.stack === `customers-${acme.region}-1`)!;
      const [result] = await runJob("drift", drift, stack);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain(`${acme.supervisors[0].email}: apply changes its roles -pbx.silentmonitor`);
      expect(result.stdout).toContain(`terraform apply -replace=terraform_data.${acme.reference.toLowerCase()}`);
      const other = stacks.find((s) => s !== stack)!;
      expect((await runJob("drift", drift, other))[0].code).toBe(0);
    });

    test("3: GIVEN a pull request that removes a supervisor THEN its plan job's summary names the removal, and the merge removes exactly that user", async () => {
      const globex = CUSTOMERS[1];
      const changed = CUSTOMERS.map((c) => (c === globex ? { ...c, supervisors: [] } : c));

      const pr = runner(changed);
      const stacks = await stacksJob(pr);
      const summaries = await Promise.all(
        stacks.map(async (stack) => {
          ok(await runJob("plan", pr, stack), `plan job of ${stack.stack}`);
          return fs.readFileSync(path.join(pr, stack.dir, "summary.md"), "utf8");
        }),
      );
      const globexSummary = summaries.find((s) => s.includes(globex.reference))!;
      expect(globexSummary).toContain(globex.supervisors[0].email);
      expect(globexSummary).toMatch(/remov/i);
      expect(summaries.find((s) => !s.includes(globex.reference))).toMatch(/no change/i);

      const { applyRunner } = await merge(changed);
      const users = await ws.users(globex.reference);
      expect([...users.keys()]).toEqual([globex.admin.email]);
      for (const stack of stacks) expect(await planIsEmpty(applyRunner, stack.dir)).toBe(true);
    });
  });
});

/** terraform as a path (the harness may name it by TERRAFORM_BINARY_NAME). */
function resolveBinary(name: string): string {
  if (path.isAbsolute(name)) return name;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not on PATH`);
}
