/**
 * Markers beside a state kept in PostgreSQL (Terraform's `pg` backend): a table in the state's
 * schema, one row per workspace and object key (and one per e-mail an unfinished change sent:
 * the sent log, see SENT_KEY_PREFIX). CI runners do not share a working directory, but they
 * share the state; markers in a folder of one runner would be invisible to the next. A
 * `terraform destroy` killed on one runner once the tenants' releases ran (and Terraform saved a
 * snapshot without them: it does every 20 s) and resumed on another would otherwise find no
 * marker: the stack's release could not tell the destroy from a `-replace` of itself, and would
 * release nothing.
 *
 * Every run of terraform holds the state's lock while its handlers run, so the runs that write a
 * workspace's markers take turns as they do for the state itself.
 *
 * The store reads the workspace's markers once when it opens (the operations read them
 * synchronously), then writes through: each write or removal is sent at once, in order, on one
 * connection; `close()` waits for them and fails the run (MarkerStoreUnavailable) when one did not
 * land. The "done" files the create provisioner tests from the shell stay in the local folder:
 * they only spare a process in the same run, and without one the handler reads the marker here.
 */
// Static: this module itself is loaded only for a pg backend (main.ts imports it on demand).
import { Client, type ClientConfig, type QueryResult, type QueryResultRow } from "pg";
import { marker as markerSchema, type EmailKind, type Marker } from "../contracts/handler";
import type { StateBackend } from "./backend";
import { HandlerError } from "./errors";
import { FileMarkerStore, type MarkerStore } from "./markers";
import { SentEntries, sentRecord, type SentLog, type SentRecord } from "./sent-log";

export const MARKER_TABLE = "dimensions_markers";
/**
 * Rows of the same table holding the sent log (sent-log.ts), one per e-mail sent, keyed
 * `sent:["<object key>","<e-mail>","<kind>"]`: read with the markers in the one select a run
 * makes, and never a marker to any reader (their value does not parse as one, so an older handler
 * ignores them too).
 */
export const SENT_KEY_PREFIX = "sent:";

/** The row key of one send; every row of a customer's log starts with sentRowPrefix(key). */
export function sentRowKey(key: string, email: string, kind: string): string {
  return `${SENT_KEY_PREFIX}${JSON.stringify([key, email.toLowerCase(), kind])}`;
}

function sentRowPrefix(key: string): string {
  return `${SENT_KEY_PREFIX}${JSON.stringify([key]).slice(0, -1)},`;
}
const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 30_000;

export type PgTarget = Omit<Extract<StateBackend, { kind: "pg" }>, "kind">;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** host:port/database of a connection string, never its user or password (for messages). */
export function describeConnection(connStr: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (connStr && /^postgres(ql)?:\/\//i.test(connStr)) {
    try {
      const url = new URL(connStr);
      return `${url.hostname || "localhost"}${url.port ? `:${url.port}` : ""}${url.pathname || "/"}`;
    } catch {
      return "the database of PG_CONN_STR";
    }
  }
  const kv = connStr ? parseKeyValue(connStr) : {};
  const host = kv.host ?? env.PGHOST ?? "localhost";
  const port = kv.port ?? env.PGPORT;
  return `${host}${port ? `:${port}` : ""}/${kv.dbname ?? env.PGDATABASE ?? ""}`;
}

/** libpq's key=value form (`host=db user=ci dbname=state sslmode=require`), which node-postgres does not parse. */
function parseKeyValue(connStr: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of connStr.matchAll(/(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S*))/g)) out[m[1].toLowerCase()] = (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1");
  return out;
}

/** What node-postgres needs to reach the database terraform uses (lib/pq's defaults where they differ). */
export function clientConfig(connStr: string | undefined, env: NodeJS.ProcessEnv): ClientConfig {
  const base: ClientConfig = { connectionTimeoutMillis: CONNECT_TIMEOUT_MS, statement_timeout: STATEMENT_TIMEOUT_MS, application_name: "dimensions-handler" };
  let sslmode: string | undefined;
  let config: ClientConfig;
  if (connStr && /^postgres(ql)?:\/\//i.test(connStr)) {
    config = { ...base, connectionString: connStr };
    sslmode = /[?&]sslmode=([^&]*)/i.exec(connStr)?.[1];
  } else if (connStr) {
    const kv = parseKeyValue(connStr);
    config = {
      ...base,
      ...(kv.host ? { host: kv.host } : {}),
      ...(kv.port ? { port: Number(kv.port) } : {}),
      ...(kv.user ? { user: kv.user } : {}),
      ...(kv.password ? { password: kv.password } : {}),
      ...(kv.dbname ? { database: kv.dbname } : {}),
    };
    sslmode = kv.sslmode;
  } else {
    config = { ...base };
  }
  sslmode = (sslmode ?? env.PGSSLMODE ?? "require").toLowerCase();
  // lib/pq (terraform) defaults to sslmode=require, which encrypts without checking the
  // certificate; node-postgres would not encrypt at all unless told.
  if (sslmode === "disable") config.ssl = false;
  else if (sslmode === "verify-ca" || sslmode === "verify-full") config.ssl = true;
  else config.ssl = { rejectUnauthorized: false };
  if (config.connectionString) {
    // node-postgres would read sslmode itself, with other meanings than libpq's: the ssl setting above decides.
    try {
      const url = new URL(config.connectionString);
      url.searchParams.delete("sslmode");
      config.connectionString = url.toString();
    } catch {
      // Not parseable as a URL: node-postgres will say so when it connects.
    }
  }
  return config;
}

/** The last statement sent on each connection: the next one waits for it. */
const tails = new WeakMap<Client, Promise<unknown>>();

/**
 * One statement at a time on a connection, in the order sent. A store's writes are not awaited
 * one by one, and the warm handler's jobs share a connection: node-postgres queues concurrent
 * queries itself, but that is deprecated (it warns, and pg 9 removes it).
 */
function serialQuery<R extends QueryResultRow>(client: Client, sql: string, values: unknown[]): Promise<QueryResult<R>> {
  const run = (tails.get(client) ?? Promise.resolve()).then(() => client.query<R>(sql, values));
  tails.set(client, run.catch(() => undefined));
  return run;
}

/** The first key of our advisory locks ("dims"), so they never share a key with terraform's (row ids). */
export const ADVISORY_LOCK_CLASS = 0x64696d73;

/**
 * Connections kept open across the jobs of one process (the warm handler of a run): a connection
 * per job cost a TCP connect, a SCRAM exchange and the table check for every customer. Each is set
 * up (connected, table checked) before any job uses it, so the jobs' statements, each a
 * transaction of its own, never run inside the setup's `begin`.
 */
export class PgConnections {
  private readonly open = new Map<string, { readonly opening: Promise<Client>; client?: Client }>();

  /** The connection for this configuration and table, connected and with the table in place. */
  connection(config: ClientConfig, table: string, schema: string): Promise<Client> {
    const key = JSON.stringify([config, table]);
    const found = this.open.get(key);
    if (found) return found.opening;
    const entry: { opening: Promise<Client>; client?: Client } = {
      opening: connectWithTable(config, table, schema, () => this.drop(entry)),
    };
    this.open.set(key, entry);
    entry.opening.then(
      (client) => {
        entry.client = client;
      },
      // One that failed to open is not kept: the next job tries again.
      () => this.drop(entry),
    );
    return entry.opening;
  }

  /** Drops a connection that failed a statement, so the next job opens another. */
  discard(client: Client): void {
    for (const entry of this.open.values()) if (entry.client === client) this.drop(entry);
    void client.end().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((e) => e.opening.then((client) => client.end()).catch(() => undefined)));
  }

  private drop(entry: { readonly opening: Promise<Client> }): void {
    for (const [key, e] of this.open) if (e === entry) this.open.delete(key);
  }
}

async function connectWithTable(config: ClientConfig, table: string, schema: string, onBroken: () => void): Promise<Client> {
  const client = new Client(config);
  // An idle connection that breaks between writes must fail the run at close, not crash it.
  client.on("error", onBroken);
  try {
    await client.connect();
    await ensureTable(client, table, schema);
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

async function ensureTable(client: Client, table: string, schema: string): Promise<void> {
  try {
    // `create table if not exists` is not safe against itself: two sessions creating it at once
    // can fail with "type … already exists". Serialized per schema under a transaction lock.
    await client.query("begin");
    // The two-key form, in a class of our own: terraform's pg backend locks each state with
    // the one-key form on its row id, and the two must never meet.
    await client.query("select pg_advisory_xact_lock($1, hashtext($2))", [ADVISORY_LOCK_CLASS, `cdktf-dimensions:markers:${schema}`]);
    await client.query(`create table if not exists ${table} (
      workspace text not null,
      key text not null,
      marker jsonb not null,
      written_at timestamptz not null default now(),
      primary key (workspace, key)
    )`);
    await client.query("commit");
  } catch (e) {
    await client.query("rollback").catch(() => undefined);
    // Another process (an older handler without the lock) created it meanwhile.
    const code = (e as { code?: string }).code;
    if (code !== "23505" && code !== "42P07" && code !== "42710") throw e;
  }
}

export class PgMarkerStore implements MarkerStore {
  /**
   * Connects (or takes the process's open connection, with `connections`), creates the table when
   * missing and reads the workspace's markers.
   */
  static async open(target: PgTarget, manifestFile: string, env: NodeJS.ProcessEnv, connections?: PgConnections): Promise<PgMarkerStore> {
    const where = `${describeConnection(target.connStr, env)}, schema ${target.schema}, workspace ${target.workspace}`;
    const config = clientConfig(target.connStr, env);
    const table = `${quoteIdent(target.schema)}.${MARKER_TABLE}`;
    let client: Client | undefined;
    const select = (c: Client) => serialQuery<{ key: string; marker: unknown }>(c, `select key, marker from ${table} where workspace = $1`, [target.workspace]);
    try {
      client = connections ? await connections.connection(config, table, target.schema) : await connectWithTable(config, table, target.schema, () => undefined);
      let result;
      try {
        result = await select(client);
      } catch (e) {
        if (!connections) throw e;
        // A kept connection the server ended while idle: once more on a new one.
        connections.discard(client);
        client = await connections.connection(config, table, target.schema);
        result = await select(client);
      }
      const store = new PgMarkerStore(client, table, target.workspace, where, manifestFile, connections);
      for (const row of result.rows) {
        if (row.key.startsWith(SENT_KEY_PREFIX)) {
          const sent = sentRecord.safeParse(row.marker);
          // A foreign or torn row guards nothing (at worst an e-mail goes again, as with a file).
          if (sent.success && row.key === sentRowKey(sent.data.key, sent.data.email, sent.data.kind)) store.sentEntries(sent.data.key).add(sent.data.email, sent.data.kind, sent.data.value, sent.data.at);
          continue;
        }
        const parsed = markerSchema.safeParse(row.marker);
        // A marker of another version is no evidence of anything: ignore it (as the file store does).
        if (parsed.success) store.cache.set(parsed.data.key, parsed.data);
      }
      return store;
    } catch (e) {
      if (client && connections) connections.discard(client);
      else await client?.end().catch(() => undefined);
      throw unavailable(where, e, "nothing is sent");
    }
  }

  private readonly cache = new Map<string, Marker>();
  /** Each customer's sent log, as read at open and recorded since. */
  private readonly sentCache = new Map<string, SentEntries>();
  private readonly files: FileMarkerStore;
  private readonly pending: Promise<void>[] = [];
  private failure: unknown;

  private constructor(
    private readonly client: Client,
    private readonly table: string,
    private readonly workspace: string,
    private readonly where: string,
    manifestFile: string,
    private readonly connections: PgConnections | undefined,
  ) {
    this.files = new FileMarkerStore(manifestFile);
  }

  read(key: string): Marker | undefined {
    return this.cache.get(key);
  }

  write(marker: Marker): void {
    this.cache.set(marker.key, marker);
    this.send(
      `insert into ${this.table} (workspace, key, marker, written_at) values ($1, $2, $3, now())
       on conflict (workspace, key) do update set marker = excluded.marker, written_at = excluded.written_at`,
      [this.workspace, marker.key, JSON.stringify(marker)],
    );
  }

  remove(key: string): void {
    this.cache.delete(key);
    this.send(`delete from ${this.table} where workspace = $1 and key = $2`, [this.workspace, key]);
    this.files.remove(key);
  }

  markDone(key: string, digest: string): void {
    this.files.markDone(key, digest);
  }

  /**
   * The sent log beside the state: a release that failed after sending e-mails on one CI runner
   * and runs again on another (whose working directory never saw the first) sends none twice.
   * Read with the markers; written through with them, a row per send, so close() waits for it too.
   */
  sentLog(): SentLog {
    return {
      sentAt: (key: string, email: string, kind: EmailKind, value: string) => this.sentCache.get(key)?.sentAt(email, kind, value),
      record: (key: string, email: string, kind: EmailKind, value: string, at: number) => {
        this.sentEntries(key).add(email, kind, value, at);
        const record: SentRecord = { version: 1, key, email: email.toLowerCase(), kind, value, at };
        this.send(
          `insert into ${this.table} (workspace, key, marker, written_at) values ($1, $2, $3, now())
           on conflict (workspace, key) do update set marker = excluded.marker, written_at = excluded.written_at`,
          [this.workspace, sentRowKey(key, email, kind), JSON.stringify(record)],
        );
      },
      clear: (key: string) => {
        // Every customer's change that succeeds clears its log: only one that holds rows costs a
        // statement (this run read every row of the workspace, under the state's lock).
        const entries = this.sentCache.get(key);
        this.sentCache.delete(key);
        if (!entries || entries.size === 0) return;
        const prefix = sentRowPrefix(key);
        this.send(`delete from ${this.table} where workspace = $1 and left(key, length($2)) = $2`, [this.workspace, prefix]);
      },
    };
  }

  private sentEntries(key: string): SentEntries {
    let entries = this.sentCache.get(key);
    if (!entries) {
      entries = new SentEntries();
      this.sentCache.set(key, entries);
    }
    return entries;
  }

  /** Waits for every write, then disconnects (a shared connection stays open); a write that did not land fails the run. */
  async close(): Promise<void> {
    await Promise.all(this.pending);
    if (!this.connections) await this.client.end().catch(() => undefined);
    else if (this.failure !== undefined) this.connections.discard(this.client);
    if (this.failure !== undefined) throw unavailable(this.where, this.failure, "what this run did stays done, and the next apply runs again what the marker would have told it");
  }

  private send(sql: string, values: unknown[]): void {
    this.pending.push(
      serialQuery(this.client, sql, values).then(
        () => undefined,
        (e: unknown) => {
          this.failure ??= e;
        },
      ),
    );
  }
}

function unavailable(where: string, cause: unknown, consequence: string): HandlerError {
  // node-postgres's messages name the server's answer, never the password.
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new HandlerError("MarkerStoreUnavailable", `the markers beside the state (${MARKER_TABLE} on ${where}) cannot be read or written: ${reason}; ${consequence}`, {
    hint: "export PG_CONN_STR (or libpq's PG* variables) where terraform runs, as terraform itself needs, and let its role create and write tables in the state's schema; then apply again",
  });
}
