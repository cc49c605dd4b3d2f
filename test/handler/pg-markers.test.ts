/**
 * Markers beside a state in PostgreSQL (src/handler/pg-markers.ts), against a real server: CI
 * runners do not share a working directory, so what one run's releases leave must reach the run
 * that follows wherever it runs. The case that needs it: a `terraform destroy` killed on runner A
 * after the tenants' releases (Terraform saved a snapshot without them) and resumed on runner B,
 * whose state holds the stack resource alone. With markers in A's folder, B's stack release cannot
 * tell that from a `-replace` of itself and releases nothing; with markers beside the state it
 * releases every customer.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { STACK_MARKER_KEY, type StackPayload } from "../../src/contracts/handler";
import { FileMarkerStore, type MarkerStore } from "../../src/handler/markers";
import { MARKER_TABLE, PgConnections, PgMarkerStore, SENT_KEY_PREFIX, sentRowKey, type PgTarget } from "../../src/handler/pg-markers";
import { FileSentLog } from "../../src/handler/sent-log";
import { releaseStack } from "../../src/handler/stack";
import { applyTenant, releaseTenant } from "../../src/handler/tenant";
import { describePostgres, startPostgres, type PostgresServer } from "../support/postgres";
import { anaEntry, entry, failure, FakeClock, makeDeps, manifestOf, seedAcme, SETTINGS, tenantPayload } from "./fake-api";

const STACK: StackPayload = { t: { stack: "test" }, i: { kind: "stack", settings: SETTINGS } };
const CU = "customer.user";

/** A runner's working directory: its own folder for the manifest (and the local "done" files). */
function runnerDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-markers-runner-"));
  return path.join(dir, "dimensions.manifest.json");
}

/** A customer with ana@ (primary admin) and bruno@ (created by the app: deleted on release). */
function acme() {
  const { api, cid } = seedAcme();
  api.addUser(cid, "bruno@acme.test", [CU, "recording.viewer"]);
  const payload = tenantPayload({ ...anaEntry(), "bruno@acme.test": entry([CU, "recording.viewer"], { displayName: "bruno" }) }, { i: { removalPolicy: "disable" } });
  return { api, cid, payload };
}

describePostgres("markers beside a state in PostgreSQL", () => {
  let server: PostgresServer;
  let url: string;
  let target: PgTarget;

  beforeAll(async () => {
    server = await startPostgres();
    url = `${await server.createDatabase("markers")}?sslmode=disable`;
    const client = new Client({ connectionString: url });
    await client.connect();
    // terraform init creates the state's schema; the handler only adds its table there.
    await client.query("create schema tfstate_test");
    await client.end();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    target = { connStr: url, schema: "tfstate_test", workspace: `w${Math.random().toString(36).slice(2, 8)}` };
  });

  async function withStore<T>(manifestFile: string, work: (store: MarkerStore) => Promise<T>, at: PgTarget = target): Promise<T> {
    const store = await PgMarkerStore.open(at, manifestFile, {});
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  test("GIVEN a destroy whose tenant releases ran on runner A WHEN the stack's release runs on runner B THEN it releases the customer by its policies", async () => {
    const { api, cid, payload } = acme();
    const clock = new FakeClock();
    const manifest = manifestOf(payload);
    // Runner A: the tenant's release sees its own desired state again and leaves an "identical" marker.
    await withStore(runnerDir(), (markers) => releaseTenant(payload, { ...makeDeps({ api, manifest, clock }), markers }));
    expect(api.calls).toEqual([]);

    // Runner B (another folder): only the stack resource is left in the state.
    const deps = { ...makeDeps({ api, manifest, clock }), markers: undefined as unknown as MarkerStore };
    await withStore(runnerDir(), (markers) => releaseStack(STACK, { ...deps, markers }));

    expect(api.writes()).toEqual(["DELETE user bruno@acme.test", `PATCH customer ${cid} [{"op":"replace","path":"/enabled","value":false}]`]);
    expect(deps.out.join("\n")).toMatch(/destroyed: released 1 of 1 object/);
  });

  test("GIVEN the same runs with markers in each runner's folder THEN runner B releases nothing: why the markers follow the state", async () => {
    const { api, payload } = acme();
    const manifest = manifestOf(payload);
    await releaseTenant(payload, { ...makeDeps({ api, manifest }), markers: new FileMarkerStore(runnerDir()) });
    const deps = makeDeps({ api, manifest });
    await releaseStack(STACK, { ...deps, markers: new FileMarkerStore(runnerDir()) });
    expect(api.writes()).toEqual([]);
    expect(deps.out.join("\n")).toMatch(/replaced, not destroyed/);
  });

  test("GIVEN a replacement's release reconciled the tenant on runner A WHEN the create runs on runner B THEN nothing is left to do", async () => {
    const { api, payload } = acme();
    const next = tenantPayload({ ...anaEntry(), "bruno@acme.test": entry([CU], { displayName: "bruno" }) }, { i: { removalPolicy: "disable" } });
    const manifest = manifestOf(next);
    await withStore(runnerDir(), (markers) => releaseTenant(payload, { ...makeDeps({ api, manifest }), markers }));
    const changed = api.writes().length;
    expect(changed).toBeGreaterThan(0);

    const deps = makeDeps({ api, manifest });
    await withStore(runnerDir(), (markers) => applyTenant(next, { ...deps, markers }));
    expect(api.writes().length).toBe(changed);
    expect(deps.out.join("\n")).toMatch(/already taken to the declared state by the replacement's release/);
    // The create consumed the marker, for every runner.
    await withStore(runnerDir(), async (markers) => expect(markers.read(`customer:${payload.t.customer.reference}`)).toBeUndefined());
  });

  test("GIVEN markers of one workspace THEN another workspace or schema of the same database sees none", async () => {
    await withStore(runnerDir(), async (markers) => markers.write({ version: 2, key: STACK_MARKER_KEY, state: "applied", digest: "", writtenAt: 1 }));
    await withStore(runnerDir(), async (markers) => expect(markers.read(STACK_MARKER_KEY)).toMatchObject({ state: "applied" }));
    await withStore(runnerDir(), async (markers) => expect(markers.read(STACK_MARKER_KEY)).toBeUndefined(), { ...target, workspace: `${target.workspace}-other` });
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query("create schema tfstate_other");
    await client.end();
    await withStore(runnerDir(), async (markers) => expect(markers.read(STACK_MARKER_KEY)).toBeUndefined(), { ...target, schema: "tfstate_other" });
  });

  test("GIVEN several handlers opening at once on a fresh schema THEN each creates or finds the table, and every write lands", async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query("create schema tfstate_race");
    await client.end();
    const at = { ...target, schema: "tfstate_race" };
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => withStore(runnerDir(), async (markers) => markers.write({ version: 2, key: `customer:C${i}`, state: "identical", digest: "d", writtenAt: i }), at)),
    );
    await withStore(runnerDir(), async (markers) => {
      for (let i = 0; i < 6; i++) expect(markers.read(`customer:C${i}`)).toMatchObject({ writtenAt: i });
    }, at);
  });

  test("GIVEN the jobs of a warm handler (one PgConnections) WHEN each opens and closes its store THEN they share one connection, see each other's writes, and a broken one is replaced", async () => {
    const connections = new PgConnections();
    const admin = new Client({ connectionString: url });
    await admin.connect();
    const handlerSessions = async () =>
      (await admin.query<{ pid: number }>("select pid from pg_stat_activity where application_name = 'dimensions-handler' and datname = 'markers'")).rows.map((r) => r.pid);
    try {
      const jobs = Array.from({ length: 5 }, (_, i) => i);
      // Opened at once, as concurrent creates of one run do.
      const stores = await Promise.all(jobs.map(() => PgMarkerStore.open(target, runnerDir(), {}, connections)));
      stores.forEach((store, i) => store.write({ version: 2, key: `customer:S${i}`, state: "identical", digest: "d", writtenAt: i }));
      await Promise.all(stores.map((store) => store.close()));
      const [only] = await handlerSessions();
      expect(await handlerSessions()).toEqual([only]);
      const next = await PgMarkerStore.open(target, runnerDir(), {}, connections);
      for (const i of jobs) expect(next.read(`customer:S${i}`)).toMatchObject({ writtenAt: i });
      await next.close();

      // The server ends that session (a restart, an idle timeout): the next job connects again.
      // Opened at once after: whether the client has seen the end yet or not, the job gets a live one.
      await admin.query("select pg_terminate_backend($1)", [only]);
      const after = await PgMarkerStore.open(target, runnerDir(), {}, connections);
      expect(after.read("customer:S0")).toMatchObject({ writtenAt: 0 });
      await after.close();
      const sessions = await handlerSessions();
      expect(sessions).toHaveLength(1);
      expect(sessions[0]).not.toBe(only);

      await connections.closeAll();
      await new Promise((r) => setTimeout(r, 200));
      expect(await handlerSessions()).toEqual([]);
    } finally {
      await connections.closeAll();
      await admin.end();
    }
  });

  test("GIVEN jobs writing at once through one shared connection THEN it runs one statement at a time, in order (node-postgres's own queueing is deprecated, and pg 9 removes it)", async () => {
    const connections = new PgConnections();
    const inFlight = new Map<Client, number>();
    let most = 0;
    // Counts each connection's statements in flight (the store only uses promise-returning queries).
    const original = Client.prototype.query as unknown as (this: Client, ...args: unknown[]) => Promise<unknown>;
    const query = jest.spyOn(Client.prototype, "query").mockImplementation(function (this: Client, ...args: unknown[]) {
      inFlight.set(this, (inFlight.get(this) ?? 0) + 1);
      most = Math.max(most, inFlight.get(this)!);
      return original.apply(this, args).finally(() => inFlight.set(this, inFlight.get(this)! - 1)) as never;
    });
    try {
      const stores = await Promise.all(Array.from({ length: 5 }, () => PgMarkerStore.open(target, runnerDir(), {}, connections)));
      stores.forEach((store, i) => {
        for (let n = 0; n < 3; n++) store.write({ version: 2, key: `customer:Q${i}`, state: "identical", digest: "d", writtenAt: n });
      });
      await Promise.all(stores.map((store) => store.close()));
      expect(most).toBe(1);
      query.mockRestore();
      // The last of each store's writes is the one that stays.
      const check = await PgMarkerStore.open(target, runnerDir(), {}, connections);
      for (let i = 0; i < 5; i++) expect(check.read(`customer:Q${i}`)).toMatchObject({ writtenAt: 2 });
      await check.close();
    } finally {
      query.mockRestore();
      await connections.closeAll();
    }
  });

  test("GIVEN a wrong password THEN MarkerStoreUnavailable names the database, never the password", async () => {
    const wrong = url.replace(/:[^:@/]+@/, ":not-the-password@");
    const e = await failure(PgMarkerStore.open({ ...target, connStr: wrong }, runnerDir(), {}));
    expect(e.code).toBe("MarkerStoreUnavailable");
    expect(e.message).toMatch(new RegExp(`${MARKER_TABLE} on 127\\.0\\.0\\.1:${server.port}/markers, schema tfstate_test`));
    expect(e.message).toMatch(/password authentication failed/);
    expect(`${e.message}\n${e.hint}`).not.toContain("not-the-password");
    expect(`${e.message}\n${e.hint}`).not.toContain(new URL(url).password);
  });

  test("GIVEN a write that cannot land (the table dropped under the run) WHEN the store closes THEN the run fails with MarkerStoreUnavailable", async () => {
    const store = await PgMarkerStore.open(target, runnerDir(), {});
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(`alter table tfstate_test.${MARKER_TABLE} rename to gone_${target.workspace}`);
    try {
      store.write({ version: 2, key: "customer:X", state: "identical", digest: "d", writtenAt: 0 });
      const e = await failure(store.close());
      expect(e.code).toBe("MarkerStoreUnavailable");
      expect(e.message).toMatch(/what this run did stays done/);
    } finally {
      await client.query(`alter table tfstate_test.gone_${target.workspace} rename to ${MARKER_TABLE}`);
      await client.end();
    }
  });

  describe("the sent log beside the state (H5, U14, U15)", () => {
    const BO = "bo@acme.test";
    const CY = "cy@acme.test";
    /** bo and cy change their activation trigger; cy's send is refused the first time. */
    function twoSends() {
      const { api, cid } = seedAcme();
      api.addUser(cid, BO, [CU], "bo");
      api.addUser(cid, CY, [CU], "cy");
      api.notPrimary.add(CY);
      const at = (activation: string) => tenantPayload({ ...anaEntry(), [BO]: entry([CU], { displayName: "bo", activation }), [CY]: entry([CU], { displayName: "cy", activation }) });
      return { api, old: at("1"), next: at("2") };
    }

    async function rows(): Promise<Array<{ key: string }>> {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<{ key: string }>(`select key from tfstate_test.${MARKER_TABLE} where workspace = $1 order by key`, [target.workspace])).rows;
      } finally {
        await client.end();
      }
    }

    test("U15: GIVEN a release that sent one e-mail on runner A and failed on the other WHEN it runs again on runner B THEN no e-mail is sent twice, and the log is gone once it succeeded", async () => {
      const { api, old, next } = twoSends();
      const manifest = manifestOf(next);
      const onRunner = (dir: string) => withStore(dir, (markers) => releaseTenant(old, { ...makeDeps({ api, manifest }), markers, sent: markers.sentLog!() }));

      expect((await failure(onRunner(runnerDir()))).code).toBe("TenantIncomplete");
      expect(api.sentEmails).toEqual([`activation ${BO}`]);
      // One row per send, beside the state.
      expect(await rows()).toEqual([{ key: sentRowKey("customer:ACME-001", BO, "activation") }]);

      api.notPrimary.delete(CY);
      await onRunner(runnerDir());

      expect(api.sentEmails).toEqual([`activation ${BO}`, `activation ${CY}`]);
      // Only the marker of the replacement is left: the log went with the change's success.
      expect((await rows()).map((r) => r.key)).toEqual(["customer:ACME-001"]);
    });

    test("GIVEN the same runs with the log in each runner's folder THEN runner B sends bo's e-mail again: why the log follows the state", async () => {
      const { api, old, next } = twoSends();
      const manifest = manifestOf(next);
      const onRunner = (dir: string) => withStore(dir, (markers) => releaseTenant(old, { ...makeDeps({ api, manifest }), markers, sent: new FileSentLog(dir) }));

      await failure(onRunner(runnerDir()));
      api.notPrimary.delete(CY);
      await onRunner(runnerDir());

      expect(api.sentEmails).toEqual([`activation ${BO}`, `activation ${BO}`, `activation ${CY}`]);
    });

    test("GIVEN log rows and markers of one workspace THEN the store reads each as what it is, and another workspace sees neither", async () => {
      await withStore(runnerDir(), async (store) => {
        store.write({ version: 2, key: "customer:ACME-001", state: "identical", digest: "d", writtenAt: 1 });
        store.sentLog!().record("customer:ACME-001", "Bo@Acme.test", "welcome", "3", 42);
        store.sentLog!().record("customer:ACME-0012", "bo@acme.test", "welcome", "3", 43);
      });

      await withStore(runnerDir(), async (store) => {
        expect(store.read("customer:ACME-001")).toMatchObject({ state: "identical" });
        expect(store.sentLog!().sentAt("customer:ACME-001", "bo@acme.test", "welcome", "3")).toBe(42);
        expect(store.sentLog!().sentAt("customer:ACME-001", "bo@acme.test", "welcome", "4")).toBeUndefined();
        // Clearing one customer's log leaves another's, whose key it prefixes as text.
        store.sentLog!().clear("customer:ACME-001");
      });
      await withStore(runnerDir(), async (store) => {
        expect(store.sentLog!().sentAt("customer:ACME-001", "bo@acme.test", "welcome", "3")).toBeUndefined();
        expect(store.sentLog!().sentAt("customer:ACME-0012", "bo@acme.test", "welcome", "3")).toBe(43);
        expect(store.read("customer:ACME-001")).toMatchObject({ state: "identical" });
      });
      await withStore(runnerDir(), async (store) => {
        expect(store.sentLog!().sentAt("customer:ACME-001", "bo@acme.test", "welcome", "3")).toBeUndefined();
      }, { ...target, workspace: `${target.workspace}-other` });
    });

    test("GIVEN customers whose changes succeed with no log row WHEN their logs are cleared THEN no statement is sent (a rollout pays nothing for the log)", async () => {
      const store = await PgMarkerStore.open(target, runnerDir(), {});
      const log = store.sentLog();
      const spied = jest.spyOn(Client.prototype, "query");
      try {
        for (let c = 0; c < 20; c++) log.clear(`customer:C-${c}`);
        await store.close();
        expect(spied).not.toHaveBeenCalled();
      } finally {
        spied.mockRestore();
      }
    });

    test("GIVEN a foreign or torn log row, or a marker's value under a log row's key THEN it guards nothing (at worst an e-mail goes again) and no marker is read from it", async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await withStore(runnerDir(), async () => undefined);
        const insert = `insert into tfstate_test.${MARKER_TABLE} (workspace, key, marker) values ($1, $2, $3)`;
        const send = (key: string, value: unknown) => ({ version: 1, key, email: BO, kind: "activation", value, at: 1 });
        // Under another send's key; a value of the wrong type; a marker where a send belongs.
        await client.query(insert, [target.workspace, sentRowKey("customer:ACME-001", BO, "activation"), JSON.stringify(send("customer:OTHER", "2"))]);
        await client.query(insert, [target.workspace, sentRowKey("customer:ACME-002", BO, "activation"), JSON.stringify(send("customer:ACME-002", 2))]);
        await client.query(insert, [target.workspace, `${SENT_KEY_PREFIX}customer:ACME-003`, JSON.stringify({ version: 2, key: "customer:ACME-003", state: "identical", digest: "d", writtenAt: 1 })]);
      } finally {
        await client.end();
      }
      await withStore(runnerDir(), async (store) => {
        expect(store.sentLog!().sentAt("customer:ACME-001", BO, "activation", "2")).toBeUndefined();
        expect(store.sentLog!().sentAt("customer:OTHER", BO, "activation", "2")).toBeUndefined();
        expect(store.sentLog!().sentAt("customer:ACME-002", BO, "activation", "2")).toBeUndefined();
        expect(store.read("customer:ACME-003")).toBeUndefined();
      });
    });

    test("GIVEN a change that sends 2,000 e-mails WHEN each is recorded THEN each is one small row, and all land", async () => {
      await withStore(runnerDir(), async (store) => {
        for (let i = 0; i < 2_000; i++) store.sentLog!().record("customer:ACME-001", `user${i}@acme.test`, "activation", "1", i);
      });
      const sizes = await (async () => {
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query<{ n: string; largest: number }>(`select count(*) as n, max(length(marker::text)) as largest from tfstate_test.${MARKER_TABLE} where workspace = $1`, [target.workspace])).rows[0];
        } finally {
          await client.end();
        }
      })();
      expect(Number(sizes.n)).toBe(2_000);
      expect(sizes.largest).toBeLessThan(200);
      await withStore(runnerDir(), async (store) => expect(store.sentLog!().sentAt("customer:ACME-001", "user1999@acme.test", "activation", "1")).toBe(1999));
    });
  });
});
