/**
 * Terraform state in PostgreSQL (Terraform's built-in `pg` backend, PostgresBackend), end to end:
 * a real terraform, the bundled handler, the emulator and a real PostgreSQL server on loopback.
 * Each "runner" is a working directory of its own (its own synth, `.terraform` and markers
 * folder), as CI jobs are; they share the state in PostgreSQL, the emulator and the credentials
 * store (the file store here: refresh tokens rotate, so runners need one shared store — in CI the
 * PostgreSQL one, DIMENSIONS_CREDENTIALS_URL).
 *
 * - two applies of one stack at once: the second fails clearly on the lock, or waits for it;
 * - a kill -9 of terraform and its handlers mid-apply: the lock ends with its session, the state
 *   holds the change still pending, and a re-apply from another runner converges;
 * - a destroy cancelled during the stack's release and resumed on another runner releases the
 *   customers (the markers live beside the state);
 * - a release that sent an e-mail and failed on one runner, run again on another, sends none twice
 *   (the sent log lives beside the state too);
 * - a rollout split into stacks (RolloutStacks), each in its own schema, applied in parallel.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { Client } from "pg";
import { Customer, CustomerRemovalPolicy, CustomerUser, PostgresBackend, RolloutStacks } from "../../src";
import { assertTerraformOk, terraformBinary, type TerraformResult } from "../../src/cli/terraform";
import { describePostgres, startPostgres, type PostgresServer } from "../support/postgres";
import { ADMIN, fixtureStack, PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec, type UserSpec } from "./fixture-stack";
import { describeE2E, sampleWhile, Workspace, type UserRow } from "./harness";

jest.setTimeout(600_000);

const USERS = 16;
const user = (i: number, roles: string[]): UserSpec => ({ id: `u${i}`, email: `u${i}@pg.test`, displayName: `User ${i}`, roles });
const ADMIN_USER: UserSpec = { id: "admin", email: "admin@pg.test", roles: [...ADMIN, "customer.user.supervisorl1"], primary: true };
const BEFORE: FixtureSpec = { users: [ADMIN_USER, ...Array.from({ length: USERS }, (_, i) => user(i, ["customer.user", "recording.viewer"]))] };
/** Removes the first 4 users and changes the next 4. */
const AFTER: FixtureSpec = {
  users: [ADMIN_USER, ...Array.from({ length: USERS }, (_, i) => i).filter((i) => i >= 4).map((i) => user(i, i < 8 ? ["customer.user", "pbx.silentmonitor"] : ["customer.user", "recording.viewer"]))],
};
const SCHEMA = PostgresBackend.defaultSchemaName("e2e");

function expectExactly(users: Map<string, UserRow>, spec: FixtureSpec): void {
  const declared = new Map(spec.users.map((u) => [u.email, [...u.roles].sort()]));
  for (let i = 0; i < USERS; i++) {
    const email = `u${i}@pg.test`;
    expect({ email, roles: users.get(email)?.roles }).toEqual({ email, roles: declared.get(email) });
  }
}

/** A run of terraform started in its own process group, as a CI job's step is. */
interface Started {
  output(): string;
  until(pattern: RegExp): Promise<void>;
  signal(signal: NodeJS.Signals, group?: boolean): void;
  readonly done: Promise<TerraformResult & { endedAt: number }>;
  readonly startedAt: number;
}

/**
 * A CI runner: a working directory of its own — its own synth output, `terraform init`, markers
 * folder — sharing the state (PostgreSQL), the emulator and the credentials store with the others.
 */
class Runner {
  readonly outdir: string;
  constructor(
    private readonly ws: Workspace,
    name: string,
  ) {
    this.outdir = fs.mkdtempSync(path.join(ws.dir, `runner-${name}-`));
  }

  synth(build: (app: App) => void): void {
    const app = new App({ outdir: this.outdir });
    build(app);
    app.synth();
  }

  dir(stack: string): string {
    return path.join(this.outdir, "stacks", stack);
  }

  async terraform(stack: string, args: string[]): Promise<TerraformResult> {
    const dir = this.dir(stack);
    if (!fs.existsSync(path.join(dir, ".terraform"))) assertTerraformOk(await this.ws.sandbox.terraform(["init", "-input=false"], dir));
    return this.ws.sandbox.terraform(args, dir);
  }

  async ok(stack: string, args: string[]): Promise<TerraformResult> {
    return assertTerraformOk(await this.terraform(stack, args));
  }

  async planIsEmpty(stack: string): Promise<boolean> {
    const result = await this.terraform(stack, ["plan", "-detailed-exitcode", "-input=false", "-lock-timeout=120s"]);
    if (result.code !== 0 && result.code !== 2) assertTerraformOk(result);
    return result.code === 0;
  }

  /** Starts terraform detached (its own process group), to be signalled like a cancelled CI job. */
  async start(stack: string, args: string[]): Promise<Started> {
    const dir = this.dir(stack);
    if (!fs.existsSync(path.join(dir, ".terraform"))) assertTerraformOk(await this.ws.sandbox.terraform(["init", "-input=false"], dir));
    const child: ChildProcess = spawn(terraformBinary(this.ws.sandbox.env), [...args, "-no-color"], { cwd: dir, env: this.ws.sandbox.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const startedAt = Date.now();
    let stdout = "";
    let stderr = "";
    const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
    const check = () => {
      for (const w of [...waiters]) {
        if (!w.pattern.test(stdout)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    };
    child.stdout!.setEncoding("utf8").on("data", (c: string) => ((stdout += c), check()));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const done = new Promise<TerraformResult & { endedAt: number }>((resolve) => {
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, args, endedAt: Date.now() }));
    });
    return {
      startedAt,
      done,
      output: () => stdout + stderr,
      until: (pattern) =>
        new Promise<void>((resolve, reject) => {
          waiters.push({ pattern, resolve });
          check();
          void done.then(() => reject(new Error(`terraform ended before ${pattern}:\n${stdout}\n${stderr}`)));
        }),
      signal: (signal, group = false) => {
        try {
          process.kill(group ? -child.pid! : child.pid!, signal);
        } catch {
          // Already gone.
        }
      },
    };
  }
}

/** The fixture stack with its state in PostgreSQL (schema tfstate_e2e). */
function pgFixture(spec: FixtureSpec) {
  return (app: App) => {
    new PostgresBackend(fixtureStack(app, spec));
  };
}

/** Every user write waits, so that a run holds the lock (and its handlers run) long enough to be caught. */
async function slowWrites(ws: Workspace, delayMs: number): Promise<void> {
  const rule = (method: string, route: string) => ({ method, route, kind: "delay", rate: 1, delayMs });
  await ws.control("PUT", "/faults", {
    seed: 7,
    rules: [rule("PATCH", "/api/v1.0/customers/*/users/*"), rule("DELETE", "/api/v1.0/customers/*/users/*"), rule("POST", "/api/v1.0/customers/*/users"), rule("PATCH", "/api/v1.0/customers/*"), rule("DELETE", "/api/v1.0/customers/*")],
  });
}

describeE2E("Terraform state in PostgreSQL (the pg backend)", () => {
  describePostgres("against a real PostgreSQL server", () => {
    let server: PostgresServer;
    let ws: Workspace | undefined;
    let database = 0;

    beforeAll(async () => {
      server = await startPostgres();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });
    afterEach(async () => {
      await ws?.close();
      ws = undefined;
    });

    /** A workspace whose terraform runs reach a fresh database through PG_CONN_STR only. */
    async function workspace(name: string): Promise<{ ws: Workspace; connStr: string }> {
      database += 1;
      const connStr = `${await server.createDatabase(`state_${database}`)}?sslmode=disable`;
      ws = await Workspace.create(name, { PG_CONN_STR: connStr, [PBX_KEY_ENV]: PBX_KEY_VALUE });
      await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, []);
      return { ws, connStr };
    }

    async function query<T>(connStr: string, sql: string): Promise<T[]> {
      const client = new Client({ connectionString: connStr.replace(/\?sslmode=disable$/, "") });
      await client.connect();
      try {
        return (await client.query(sql)).rows as T[];
      } finally {
        await client.end();
      }
    }

    test("GIVEN a stack applied from runner A WHEN runners A and B apply the same change at once THEN B fails clearly on the lock without -lock-timeout, waits for it with one and finds nothing left; nothing is lost", async () => {
      const { ws, connStr } = await workspace("pg-lock");
      const a = new Runner(ws, "a");
      const b = new Runner(ws, "b");
      a.synth(pgFixture(BEFORE));
      await a.ok("e2e", ["apply", "-auto-approve", "-input=false"]);
      a.synth(pgFixture(AFTER));
      b.synth(pgFixture(AFTER));
      await b.ok("e2e", ["init", "-input=false"]);

      await slowWrites(ws, 250);
      const applyA = await a.start("e2e", ["apply", "-auto-approve", "-input=false"]);
      await applyA.until(/terraform_data\.customer: Destroying/);

      const refused = await b.terraform("e2e", ["apply", "-auto-approve", "-input=false", "-lock-timeout=0s"]);
      expect(refused.code).toBe(1);
      expect(refused.stdout + refused.stderr).toMatch(/Error acquiring the state lock[\s\S]*Workspace is already locked: default/);
      expect(refused.stdout).not.toMatch(/local-exec/);

      const waitedStart = Date.now();
      const waited = await b.ok("e2e", ["apply", "-auto-approve", "-input=false", "-lock-timeout=300s"]);
      const resultA = await applyA.done;
      assertTerraformOk(resultA);
      // B started while A held the lock, and ended after A: it waited, then planned against A's state.
      expect(waitedStart).toBeLessThan(resultA.endedAt);
      expect(waited.stdout).toMatch(/No changes\.[\s\S]*Apply complete! Resources: 0 added, 0 changed, 0 destroyed\./);

      await ws.control("DELETE", "/faults");
      expectExactly(await ws.users("E2E-001"), AFTER);
      expect(await a.planIsEmpty("e2e")).toBe(true);
      expect(await b.planIsEmpty("e2e")).toBe(true);
      // One state, in the stack's own schema; the credentials and keys never reach it.
      const rows = await query<{ name: string; data: string }>(connStr, `select name, data from ${SCHEMA}.states`);
      expect(rows.map((r) => r.name)).toEqual(["default"]);
      const everything = [rows[0].data, fs.readFileSync(path.join(a.dir("e2e"), "cdk.tf.json"), "utf8"), fs.readFileSync(path.join(a.dir("e2e"), ".terraform", "terraform.tfstate"), "utf8")].join("\n");
      for (const secret of [new URL(connStr).password, PBX_KEY_VALUE, ws.sandbox.emulator.demo.clientSecret, ws.sandbox.emulator.demo.refreshToken]) expect(everything).not.toContain(secret);
    });

    test("GIVEN a change killed with kill -9 (terraform and its handlers) in the middle of its user changes WHEN runner B plans and applies THEN the lock is already gone, the change is still pending, and B converges it", async () => {
      const { ws } = await workspace("pg-kill");
      const a = new Runner(ws, "a");
      const b = new Runner(ws, "b");
      a.synth(pgFixture(BEFORE));
      await a.ok("e2e", ["apply", "-auto-approve", "-input=false"]);
      a.synth(pgFixture(AFTER));

      await slowWrites(ws, 150);
      const applyA = await a.start("e2e", ["apply", "-auto-approve", "-input=false"]);
      await applyA.until(/(\(local-exec\): dimensions: user u\d+@pg\.test[\s\S]*){3}/);
      applyA.signal("SIGKILL", true);
      expect((await applyA.done).code).not.toBe(0);
      await ws.control("DELETE", "/faults");

      // The advisory lock ended with terraform's connection: no force-unlock, no wait.
      b.synth(pgFixture(AFTER));
      const plan = await b.ok("e2e", ["plan", "-input=false", "-lock-timeout=0s"]);
      // The state is the snapshot before the killed apply: the customer's change is still pending.
      expect(plan.stdout).toMatch(/terraform_data\.customer must be replaced/);
      expect(plan.stdout).toMatch(/Plan: 1 to add, 0 to change, 1 to destroy\./);

      await b.ok("e2e", ["apply", "-auto-approve", "-input=false"]);
      expectExactly(await ws.users("E2E-001"), AFTER);
      expect(await b.planIsEmpty("e2e")).toBe(true);
      expect(await a.planIsEmpty("e2e")).toBe(true);
    });

    test("GIVEN a destroy cancelled during the stack's release (SIGINT: terraform saves a state without the customers) WHEN runner B runs terraform destroy THEN it releases the customer, and nothing is left", async () => {
      const { ws, connStr } = await workspace("pg-destroy");
      const a = new Runner(ws, "a");
      const b = new Runner(ws, "b");
      a.synth(pgFixture(BEFORE));
      await a.ok("e2e", ["apply", "-auto-approve", "-input=false"]);
      const id = (await ws.customer("E2E-001"))!.id;

      await slowWrites(ws, 400);
      const destroyA = await a.start("e2e", ["destroy", "-auto-approve", "-input=false"]);
      await destroyA.until(/terraform_data\.dimensions: Destroying/);
      // What a cancelled CI job gets first; then whatever is left of the job (terraform, or a
      // handler it left running) is killed.
      destroyA.signal("SIGINT");
      await Promise.race([destroyA.done, new Promise((r) => setTimeout(r, 5_000))]);
      destroyA.signal("SIGKILL", true);
      expect((await destroyA.done).code).not.toBe(0);
      await ws.control("DELETE", "/faults");

      b.synth(pgFixture(BEFORE));
      // Runner B's state holds the stack resource alone: the customers' releases ran on A.
      const list = await b.ok("e2e", ["state", "list"]);
      expect(list.stdout.trim().split("\n")).toEqual(["terraform_data.dimensions"]);

      await b.ok("e2e", ["destroy", "-auto-approve", "-input=false"]);
      expect(await ws.customer("E2E-001")).toBeUndefined();
      const state = await ws.control<{ customers: Array<{ id: string; deleted?: boolean }> }>("GET", "/state");
      expect(state.customers.find((c) => c.id === id)).toMatchObject({ deleted: true });
      expect((await b.ok("e2e", ["state", "list"])).stdout.trim()).toBe("");
      expect(await query(connStr, `select key from ${SCHEMA}.dimensions_markers`)).toEqual([]);
    });

    test("GIVEN the lock held by the session of a runner that vanished THEN terraform force-unlock cannot release it, and the README's recovery (find the session, pg_terminate_backend) does", async () => {
      const { ws, connStr } = await workspace("pg-unlock");
      const b = new Runner(ws, "b");
      b.synth(pgFixture(BEFORE));
      await b.ok("e2e", ["apply", "-auto-approve", "-input=false"]);
      // What a runner lost mid-apply leaves: a session, still connected, holding the state's lock.
      const vanished = new Client({ connectionString: connStr.replace(/\?sslmode=disable$/, "") });
      // Its end, below, is an error event on this client: expected.
      vanished.on("error", () => undefined);
      await vanished.connect();
      try {
        await vanished.query(`select pg_advisory_lock(id) from ${SCHEMA}.states where name = 'default'`);
        const locked = await b.terraform("e2e", ["plan", "-input=false", "-lock-timeout=0s"]);
        expect(locked.code).toBe(1);
        expect(locked.stderr).toMatch(/Workspace is already locked: default/);

        const unlocked = await b.ok("e2e", ["force-unlock", "-force", "00000000-0000-0000-0000-000000000000"]);
        expect(unlocked.stdout).toMatch(/successfully unlocked/);
        expect((await b.terraform("e2e", ["plan", "-input=false", "-lock-timeout=0s"])).stderr).toMatch(/Workspace is already locked: default/);

        const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
        const team = readme.slice(readme.indexOf("## Working as a team"));
        const [find] = /```sql\n([\s\S]*?;)/.exec(team)!.slice(1);
        expect(find).toMatch(/pg_locks/);
        const sessions = await query<{ pid: number }>(connStr, find);
        expect(sessions.map((r) => r.pid)).toEqual([(await vanished.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0].pid]);
        await query(connStr, `select pg_terminate_backend(${sessions[0].pid})`);
      } finally {
        await vanished.end().catch(() => undefined);
      }
      expect(await b.planIsEmpty("e2e")).toBe(true);
    });

    test("U15, H5: GIVEN a change whose release sent one activation e-mail on runner A and failed on another WHEN runner B applies it THEN no e-mail goes twice (the sent log is beside the state), and the log is gone after", async () => {
      const { ws, connStr } = await workspace("pg-emails");
      const a = new Runner(ws, "a");
      const b = new Runner(ws, "b");
      const build = (activation: string) => (app: App) => {
        const stack = fixtureStack(app, { users: [ADMIN_USER] });
        new PostgresBackend(stack);
        const customer = stack.node.findAll().find((c): c is Customer => c instanceof Customer)!;
        for (const name of ["bo", "cy"]) new CustomerUser(stack, name, { customer, email: `${name}@pg.test`, displayName: name, roles: ["customer.user"], sendActivation: activation });
      };
      a.synth(build("1"));
      await a.ok("e2e", ["apply", "-auto-approve", "-input=false"]);
      const emails = async () => {
        const { users } = await ws.control<{ users: Array<{ email: string; activation: number }> }>("GET", "/emails");
        return Object.fromEntries(users.filter((u) => u.activation > 0).map((u) => [u.email, u.activation]));
      };
      expect(await emails()).toEqual({});

      // cy's send fails (a POST is never retried): the release fails after bo's e-mail went out.
      const cyId = (await ws.api.listUsers((await ws.customer("E2E-001"))!.id)).find((u) => u.email === "cy@pg.test")!.id;
      await ws.control("PUT", "/faults", { seed: 1, rules: [{ method: "POST", route: `/api/v1.0/customers/*/users/${cyId}/sendActivationEmail`, kind: "500", rate: 1 }] });
      a.synth(build("2"));
      const failed = await a.terraform("e2e", ["apply", "-auto-approve", "-input=false"]);
      expect(failed.code).not.toBe(0);
      expect(failed.stdout + failed.stderr).toMatch(/TenantIncomplete/);
      expect(await emails()).toEqual({ "bo@pg.test": 1 });
      expect((await query<{ key: string }>(connStr, `select key from ${SCHEMA}.dimensions_markers where key like 'sent:%'`)).map((r) => r.key)).toEqual(['sent:["customer:E2E-001","bo@pg.test","activation"]']);

      // Runner B never saw A's working directory: the same release runs again there.
      await ws.control("DELETE", "/faults");
      b.synth(build("2"));
      const again = await b.ok("e2e", ["apply", "-auto-approve", "-input=false"]);
      expect(again.stdout).toMatch(/user bo@pg\.test \(E2E-001\): activation e-mail \(activation=2\) already sent by an earlier run of this change .*\[EmailAlreadySent\]/);
      expect(await emails()).toEqual({ "bo@pg.test": 1, "cy@pg.test": 1 });
      expect(await query(connStr, `select key from ${SCHEMA}.dimensions_markers where key like 'sent:%'`)).toEqual([]);
      expect(await b.planIsEmpty("e2e")).toBe(true);
      expect(await a.planIsEmpty("e2e")).toBe(true);
    });

    test("GIVEN a rollout split into 3 stacks, each with its state in its own schema WHEN they are applied in parallel THEN every customer lands, every plan is empty, and a parallel destroy leaves nothing", async () => {
      const { ws, connStr } = await workspace("pg-rollout");
      const references = Array.from({ length: 6 }, (_, i) => `ROLL-${i + 1}`);
      const runner = new Runner(ws, "rollout");
      let stackIds: string[] = [];
      runner.synth((app) => {
        const rollout = new RolloutStacks(app, { prefix: "rollout", shards: 3, acceptCharges: true, configure: (stack) => new PostgresBackend(stack) });
        for (const reference of references) {
          const stack = rollout.stackFor(reference, "eu");
          const id = reference.toLowerCase();
          const customer = new Customer(stack, id, {
            name: `Customer ${reference}`,
            description: "rollout end-to-end test",
            reference,
            timezone: "Europe/London",
            countryCode: "GB",
            pbx: { hostRest: "https://pbx.e2e.test", hostWebsocket: "wss://pbx.e2e.test", accountId: `${id}-pbx`, apiKeyEnv: PBX_KEY_ENV },
            removalPolicy: CustomerRemovalPolicy.DELETE,
          });
          new CustomerUser(stack, `${id}-admin`, { customer, email: `admin@${id}.test`, displayName: "Admin", roles: ADMIN, primaryAdmin: true });
          new CustomerUser(stack, `${id}-agent`, { customer, email: `agent@${id}.test`, displayName: "Agent", roles: ["customer.user", "recording.viewer"] });
        }
        stackIds = rollout.stacks.map((s) => s.node.id);
      });
      expect(stackIds).toEqual(["rollout-eu-0", "rollout-eu-1", "rollout-eu-2"]);
      await slowWrites(ws, 100);

      // A new state's first apply would hold the pg backend's database-wide creation lock all
      // along (the others would wait); creating each state first takes it for a moment only.
      await Promise.all(stackIds.map((s) => runner.ok(s, ["apply", "-refresh-only", "-auto-approve", "-input=false", "-lock-timeout=120s"])));
      // Each state's lock is an advisory lock on its row id: sampled while the applies run, the
      // three are held at the same moment — the stacks applied side by side, none waiting.
      const applies = Promise.all(stackIds.map((s) => runner.ok(s, ["apply", "-auto-approve", "-input=false", "-lock-timeout=120s"])));
      const held = await sampleWhile(
        async () => (await query<{ n: string }>(connStr, "select count(distinct objid) as n from pg_locks where locktype = 'advisory' and granted and classid = 0")).map((r) => Number(r.n))[0],
        applies,
        50,
      );
      expect(Math.max(...held)).toBe(stackIds.length);
      await ws.control("DELETE", "/faults");

      for (const reference of references) {
        const id = reference.toLowerCase();
        const users = await ws.users(reference);
        expect([...users.keys()].sort()).toEqual([`admin@${id}.test`, `agent@${id}.test`]);
      }
      expect(await Promise.all(stackIds.map((s) => runner.planIsEmpty(s)))).toEqual([true, true, true]);
      const schemas = await query<{ schema: string }>(connStr, "select table_schema as schema from information_schema.tables where table_name = 'states' order by 1");
      expect(schemas.map((r) => r.schema)).toEqual(stackIds.map((s) => PostgresBackend.defaultSchemaName(s)));

      await Promise.all(stackIds.map((s) => runner.ok(s, ["destroy", "-auto-approve", "-input=false", "-lock-timeout=120s"])));
      for (const reference of references) expect(await ws.customer(reference)).toBeUndefined();
      for (const s of stackIds) expect((await runner.ok(s, ["state", "list"])).stdout.trim()).toBe("");
    });
  });
});
