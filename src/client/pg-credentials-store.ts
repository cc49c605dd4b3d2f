/**
 * The credentials store for many machines: one PostgreSQL table shared by every process on every
 * CI runner (`DIMENSIONS_CREDENTIALS_URL=postgresql://…`), where the file store
 * (token-cache.ts) only serves one machine's processes.
 *
 * One row per credentials identity, (token URL, OAuth client id): the issuer and the client a
 * refresh token belongs to, the same key as the file's entries. The region is not part of it: a
 * region with its own identity host or client (`DIMENSIONS_CLIENT_ID_UK`, …) has its own row
 * through its own variables, and a region that must keep a separate sign-in of the same client
 * points `DIMENSIONS_CREDENTIALS_URL_UK` at another database.
 *
 * Refresh tokens rotate, so a refresh happens inside a transaction that holds the row's lock
 * (`select … for update`): the process that gets the lock first refreshes and commits the new
 * access AND refresh token; every process that waited then finds a valid access token in the row
 * and uses it. Expiry is judged by the database server's clock, not the runner's, so runners with
 * skewed clocks still refresh once per expiry.
 *
 * Every wait is bounded (connect, lock, statements) and every failure is a coded error naming the
 * store by its URL without the password; no token or password reaches a message.
 */
import { createHash } from "node:crypto";
import type { Client as PgClient, ClientConfig } from "pg";
import { ENV } from "../contracts/handler";
import type { CredentialsStore, SignInTokens } from "./credentials-store";
import { AuthError, ClientConfigError, CredentialsStoreError, redact } from "./errors";
import { refreshTokenGrant, safePath, type GrantSettings } from "./refresh-grant";
import { stillValid, type CacheEntry } from "./token-cache";

/** The table, in the first schema of the connection's search_path. */
export const CREDENTIALS_TABLE = "dimensions_credentials";

/**
 * Created on first use. `seeds`: sha256 of every environment refresh token (DIMENSIONS_REFRESH_TOKEN)
 * this row's chain was started from or that a sign-in superseded: spent or stale, so never sent
 * again. `rejected_at`: when the token endpoint last rejected the row's refresh token (the row
 * then holds none).
 */
export const CREDENTIALS_TABLE_DDL = `create table if not exists ${CREDENTIALS_TABLE} (
  token_url text not null,
  client_id text not null,
  refresh_token text,
  access_token text,
  access_obtained_at timestamptz,
  access_expires_at timestamptz,
  seeds text[] not null default '{}',
  rejected_at timestamptz,
  refreshes bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (token_url, client_id)
)`;

/** Seeds kept per row: enough for every bootstrap token a team will ever paste. */
const MAX_SEEDS = 32;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_LOCK_WAIT_MS = 30_000;
const SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"];

/** A `DIMENSIONS_CREDENTIALS_URL` checked once: what to connect with, and how to name it. */
export interface CredentialsUrl {
  readonly connectionString: string;
  /** `postgresql://user@host:port/db?sslmode=…`: never the password nor any other parameter. */
  readonly display: string;
  /** Passwords it carries (user info, `password=`), to scrub from any text. */
  readonly secrets: readonly string[];
}

/**
 * Checks a `postgresql://` (or `postgres://`) URL without echoing it: a malformed one may hold a
 * password in any of its parts. `variable` names where it came from (a region's own variable).
 */
export function parseCredentialsUrl(raw: string, variable: string = ENV.credentialsUrl): CredentialsUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ClientConfigError("InvalidConfiguration", `${variable} is not a URL; expected postgresql://user:password@host:port/database (its value is not printed: it may hold a password)`);
  }
  if (u.protocol !== "postgresql:" && u.protocol !== "postgres:") {
    throw new ClientConfigError("InvalidConfiguration", `${variable} is a ${u.protocol.replace(/:$/, "")}: URL; expected postgresql://user:password@host:port/database`);
  }
  const secrets = [u.password, safeDecode(u.password), u.searchParams.get("password") ?? ""].filter((s) => s.length > 0);
  const display = describeUrl(u);
  if (!u.hostname && !u.searchParams.get("host")) {
    throw new ClientConfigError("InvalidConfiguration", `${variable} (${display}) names no host; expected postgresql://user:password@host:port/database`);
  }
  const sslmode = u.searchParams.get("sslmode");
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    throw new ClientConfigError("InvalidConfiguration", `${variable} (${display}) has sslmode=${JSON.stringify(sslmode.slice(0, 20))}; expected one of ${SSL_MODES.join(", ")}`);
  }
  return { connectionString: raw, display, secrets };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function describeUrl(u: URL): string {
  const user = u.username ? `${u.username}@` : "";
  const shown = ["host", "sslmode"].flatMap((name) => {
    const value = u.searchParams.get(name);
    return value === null ? [] : [`${name}=${encodeURIComponent(value)}`];
  });
  return `${u.protocol}//${user}${u.host}${u.pathname}${shown.length ? `?${shown.join("&")}` : ""}`;
}

export interface PostgresCredentialsStoreOptions extends GrantSettings {
  readonly url: CredentialsUrl;
  /** Which variable held the URL, for messages. @default DIMENSIONS_CREDENTIALS_URL */
  readonly variable?: string;
  /** From DIMENSIONS_REFRESH_TOKEN: seeds the row when the store has none. */
  readonly refreshToken?: string;
  readonly log?: (line: string) => void;
  /** How long to wait for a connection (TCP, TLS and authentication). @default 10 s */
  readonly connectTimeoutMs?: number;
  /** How long to wait for another process's row or schema lock. @default 30 s */
  readonly lockWaitMs?: number;
}

interface Row {
  readonly refresh_token: string | null;
  readonly access_token: string | null;
  readonly seeds: string[];
  readonly rejected_at: Date | null;
  /** Milliseconds left of the access token, by the server's clock (negative once expired). */
  readonly remaining_ms: number | null;
  readonly lifetime_ms: number | null;
  /** The server's clock when the row was read. */
  readonly db_now: Date;
}

/** What a transaction hands back: a token, or an error to throw once what it recorded is committed. */
type Outcome = { readonly token: string; readonly refreshed?: true } | { readonly error: Error };

/** `30 s`, `0.5 s`. */
function seconds(ms: number): string {
  return `${ms >= 10_000 ? Math.round(ms / 1000) : Number((ms / 1000).toFixed(1))} s`;
}

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

const SELECT_ROW = `select refresh_token, access_token, seeds, rejected_at, clock_timestamp() as db_now,
  (extract(epoch from (access_expires_at - clock_timestamp())) * 1000)::float8 as remaining_ms,
  (extract(epoch from (access_expires_at - access_obtained_at)) * 1000)::float8 as lifetime_ms
  from ${CREDENTIALS_TABLE} where token_url = $1 and client_id = $2`;

/** SQLSTATEs of a server that answered but refused: authentication, database, privilege. */
const REFUSED_STATES: Record<string, string> = {
  "28P01": "the password was refused",
  "28000": "the role may not connect",
  "3D000": "the database does not exist",
  "42501": "the role lacks a privilege",
  "53300": "it has no connection slot left (max_connections)",
};

export class PostgresCredentialsStore implements CredentialsStore {
  readonly canRefresh = true;
  readonly location: string;
  private grantCount = 0;
  private memory: (CacheEntry & { accessToken: string }) | undefined;
  private rejected: string | undefined;
  private inflight: Promise<string> | undefined;
  private schemaReady = false;
  private readonly key: [string, string];
  private readonly seen = new Set<string>();
  private readonly names: { location: string; noun: string };
  private readonly connectTimeoutMs: number;
  private readonly lockWaitMs: number;

  constructor(private readonly options: PostgresCredentialsStoreOptions) {
    this.key = [options.tokenUrl, options.clientId];
    this.location = options.url.display;
    this.names = { location: `the credentials store ${options.url.display}`, noun: "the credentials store" };
    if (options.refreshToken) this.seen.add(options.refreshToken);
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
  }

  get grants(): number {
    return this.grantCount;
  }

  secrets(): string[] {
    return [this.options.clientSecret, ...this.options.url.secrets, ...this.seen, ...(process.env.PGPASSWORD ? [process.env.PGPASSWORD] : [])];
  }

  /** Unknown until the database is asked: a missing row is reported at first use (CredentialsMissing). */
  hasStoredRefreshToken(): boolean | undefined {
    return undefined;
  }

  invalidate(token: string): void {
    this.rejected = token;
    if (this.memory?.accessToken === token) this.memory = undefined;
  }

  async getToken(): Promise<string> {
    if (stillValid(this.memory, Date.now(), this.rejected)) return this.memory.accessToken;
    this.inflight ??= this.acquire().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** CredentialsStore: a sign-in's tokens replace the row's, under its lock (an upsert waits for a refresh in progress). */
  async storeSignIn(tokens: SignInTokens): Promise<void> {
    const env = this.options.refreshToken;
    await this.withClient(async (client) => {
      const outcome = await this.transaction(client, async () => {
        await client.query(
          `insert into ${CREDENTIALS_TABLE} as c (token_url, client_id, refresh_token, access_token, access_obtained_at, access_expires_at, seeds, updated_at)
           values ($1, $2, $3, $4, clock_timestamp(), clock_timestamp() + $5::float8 * interval '1 second', $6::text[], clock_timestamp())
           on conflict (token_url, client_id) do update set
             refresh_token = excluded.refresh_token, access_token = excluded.access_token,
             access_obtained_at = excluded.access_obtained_at, access_expires_at = excluded.access_expires_at,
             seeds = array(select distinct s from unnest(c.seeds || excluded.seeds) as s),
             rejected_at = null, updated_at = excluded.updated_at`,
          // The environment's refresh token predates this sign-in: it is never preferred over it.
          [...this.key, tokens.refreshToken, tokens.accessToken, tokens.expiresInSeconds, env ? [sha256(env)] : []],
        );
        return { token: tokens.accessToken };
      });
      if ("error" in outcome) throw outcome.error;
    });
    this.seen.add(tokens.accessToken).add(tokens.refreshToken);
    this.rejected = undefined;
    const now = Date.now();
    this.memory = { accessToken: tokens.accessToken, obtainedAt: now, expiresAt: now + tokens.expiresInSeconds * 1000 };
  }

  private async acquire(): Promise<string> {
    return this.withClient(async (client) => {
      // Fast path without the lock: the row's token is valid most of the time.
      const before = (await this.query<Row>(client, SELECT_ROW, this.key)).rows[0];
      const valid = before && this.validToken(before);
      if (valid) return valid;
      const outcome = await this.transaction(client, async () => {
        // Seeding needs a row to lock: a first process with DIMENSIONS_REFRESH_TOKEN creates it
        // (concurrent inserts of one key wait for each other; only one row results).
        if (this.options.refreshToken) {
          await this.query(client, `insert into ${CREDENTIALS_TABLE} (token_url, client_id) values ($1, $2) on conflict do nothing`, this.key);
        }
        const row = (await this.query<Row>(client, `${SELECT_ROW} for update`, this.key)).rows[0];
        if (!row) return { error: this.missing() };
        // Another process refreshed while this one waited: use its token.
        const fresh = this.validToken(row);
        if (fresh) return { token: fresh };
        return this.refreshRow(client, row);
      });
      if ("error" in outcome) throw outcome.error;
      return outcome.token;
    });
  }

  /** The row's access token if it is valid by the server's clock (same margin as the file store), remembered locally. */
  private validToken(row: Row): string | undefined {
    if (!row.access_token || row.remaining_ms === null || row.lifetime_ms === null) return undefined;
    const now = Date.now();
    const entry = { accessToken: row.access_token, obtainedAt: now - (row.lifetime_ms - row.remaining_ms), expiresAt: now + row.remaining_ms };
    if (!stillValid(entry, now, this.rejected)) return undefined;
    this.memory = entry;
    this.seen.add(row.access_token);
    if (row.refresh_token) this.seen.add(row.refresh_token);
    return row.access_token;
  }

  /** Under the row lock: refresh from the environment's token if it is new here, else from the row's. */
  private async refreshRow(client: PgClient, row: Row): Promise<Outcome> {
    const env = this.options.refreshToken;
    const envSeed = env ? sha256(env) : undefined;
    const seeds = [...row.seeds];
    if (row.refresh_token) this.seen.add(row.refresh_token);
    const candidates: { token: string; fromEnv: boolean }[] = [];
    if (env && envSeed && env !== row.refresh_token && !seeds.includes(envSeed)) candidates.push({ token: env, fromEnv: true });
    if (row.refresh_token) candidates.push({ token: row.refresh_token, fromEnv: false });
    if (candidates.length === 0) {
      if (row.rejected_at) {
        return {
          error: new AuthError(
            "RefreshTokenRejected",
            `${this.names.location} holds no usable refresh token: the token endpoint ${safePath(this.options.tokenUrl)} rejected the last one at ${row.rejected_at.toISOString()} (refresh tokens rotate: it was used already, revoked or has expired). ` +
              `Sign in again with dimensions login, which stores the new credentials there (or set a new refresh token in ${ENV.refreshToken}; the credentials store takes it over on the next run).`,
          ),
        };
      }
      return { error: this.missing() };
    }

    const addSeed = (seed: string | undefined): void => {
      if (seed && !seeds.includes(seed)) seeds.push(seed);
    };
    let rejection: AuthError | undefined;
    for (const candidate of candidates) {
      let answer;
      try {
        answer = await refreshTokenGrant(this.options, candidate.token, this.seen, this.names);
      } catch (err) {
        if (err instanceof AuthError && err.code === "RefreshTokenRejected") {
          if (candidate.fromEnv) addSeed(envSeed); // dead: never sent again by any process
          rejection = err;
          continue;
        }
        // Any other failure may not have reached the server: the token stays a candidate. Record
        // what was learnt (a seed rejected just before) before failing.
        if (seeds.length !== row.seeds.length) await this.query(client, `update ${CREDENTIALS_TABLE} set seeds = $3 where token_url = $1 and client_id = $2`, [...this.key, seeds.slice(-MAX_SEEDS)]);
        return { error: err as Error };
      }
      this.grantCount += 1;
      if (candidate.fromEnv) addSeed(envSeed);
      const refreshToken = answer.refresh_token ?? candidate.token; // a server that does not rotate
      try {
        await this.query(
          client,
          `update ${CREDENTIALS_TABLE} set refresh_token = $3, access_token = $4, access_obtained_at = $5,
             access_expires_at = $5::timestamptz + $6::float8 * interval '1 second', seeds = $7, rejected_at = null,
             refreshes = refreshes + 1, updated_at = clock_timestamp()
           where token_url = $1 and client_id = $2`,
          // Obtained when the lock was taken, before the grant: the expiry errs early, never late.
          [...this.key, refreshToken, answer.access_token, row.db_now, answer.expires_in, seeds.slice(-MAX_SEEDS)],
        );
      } catch (err) {
        throw this.lostRefresh(err);
      }
      const now = Date.now();
      this.memory = { accessToken: answer.access_token, obtainedAt: now, expiresAt: now + answer.expires_in * 1000 };
      return { token: answer.access_token, refreshed: true };
    }
    // Every candidate was rejected: the chain is dead. The row says so, so that the processes
    // waiting behind this one fail at once instead of sending the dead token again.
    await this.query(
      client,
      `update ${CREDENTIALS_TABLE} set refresh_token = null, access_token = null, access_expires_at = null, seeds = $3,
         rejected_at = clock_timestamp(), updated_at = clock_timestamp() where token_url = $1 and client_id = $2`,
      [...this.key, seeds.slice(-MAX_SEEDS)],
    );
    return { error: rejection ?? new AuthError("RefreshTokenRejected", "refresh token rejected") };
  }

  private missing(): Error {
    return new ClientConfigError(
      "CredentialsMissing",
      `no API credentials: ${this.names.location} holds none for this client at ${safePath(this.options.tokenUrl)} (never signed in). ` +
        `Sign in with dimensions login, which stores them there, or set ${ENV.refreshToken} once: the store takes it over and keeps the rotated successor.`,
    );
  }

  private lostRefresh(err: unknown): CredentialsStoreError {
    return new CredentialsStoreError(
      "CredentialsStoreFailed",
      `the token endpoint issued new tokens but ${this.names.location} could not save them (${this.describe(err)}); the refresh token it held is spent now. ` +
        "Sign in again with dimensions login (or set a new refresh token in DIMENSIONS_REFRESH_TOKEN).",
    );
  }

  // -------------------------------------------------------------------------------------------
  // Connections: one per acquisition, closed after it, so that no socket keeps a process alive.

  private async withClient<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await this.ensureSchema(client);
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<PgClient> {
    // Loaded on first use: the handler starts once per resource, and most runs use the file store.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require works in tsc, esbuild and Jest alike; import() does not under Jest
    const { Client } = require("pg") as typeof import("pg");
    // The longest a grant can hold the row lock (4 attempts, back-off, Retry-After): the server
    // ends a session idle in a transaction longer than that, so a hung holder frees the lock.
    const grantBoundMs = 4 * (this.options.timeoutMs ?? 30_000) + 60_000;
    const config: ClientConfig = {
      connectionString: this.options.url.connectionString,
      connectionTimeoutMillis: this.connectTimeoutMs,
      keepAlive: true,
      application_name: "cdktf-dimensions",
      statement_timeout: this.lockWaitMs + 10_000,
      query_timeout: this.lockWaitMs + 15_000,
      idle_in_transaction_session_timeout: grantBoundMs,
    };
    let client: PgClient;
    try {
      client = new Client(config);
    } catch (err) {
      // The URL's sslrootcert/sslcert/sslkey are read here.
      throw new ClientConfigError("InvalidConfiguration", `${this.variable} (${this.location}) cannot be used: ${this.describe(err)}`);
    }
    // A connection that drops while idle surfaces as the next query's failure, never as a crash.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw this.connectFailure(err);
    }
    return client;
  }

  /** Creates the table once, under an advisory lock: concurrent `create table if not exists` can collide in pg_type. */
  private async ensureSchema(client: PgClient): Promise<void> {
    if (this.schemaReady) return;
    const present = await this.query<{ present: boolean }>(client, "select to_regclass($1::text) is not null as present", [CREDENTIALS_TABLE]);
    if (!present.rows[0]?.present) {
      const outcome = await this.transaction(client, async () => {
        // The two-key form in a class of our own ("dims"): terraform's pg backend locks its states
        // with the one-key form on their row ids, and the two must never meet.
        await this.query(client, "select pg_advisory_xact_lock(1684630899, hashtext('cdktf-dimensions:credentials-schema'))");
        await this.query(client, CREDENTIALS_TABLE_DDL);
        return { token: "" };
      });
      if ("error" in outcome) throw outcome.error;
    }
    this.schemaReady = true;
  }

  /** begin … commit with a bounded lock wait; rolled back on any failure, committed when the work returns an Outcome. */
  private async transaction(client: PgClient, work: () => Promise<Outcome>): Promise<Outcome> {
    await this.query(client, "begin");
    try {
      await this.query(client, "select set_config('lock_timeout', $1, true)", [`${this.lockWaitMs}ms`]);
      const outcome = await work();
      try {
        await this.query(client, "commit");
      } catch (err) {
        throw "refreshed" in outcome ? this.lostRefresh(err) : err;
      }
      return outcome;
    } catch (err) {
      await client.query("rollback").catch(() => undefined);
      throw err;
    }
  }

  private async query<R extends object = Record<string, unknown>>(client: PgClient, text: string, values?: unknown[]): Promise<{ rows: R[] }> {
    try {
      return await client.query<R & Record<string, unknown>>(text, values);
    } catch (err) {
      throw this.queryFailure(err);
    }
  }

  private get variable(): string {
    return this.options.variable ?? ENV.credentialsUrl;
  }

  /** A driver error as one line, scrubbed of the URL's passwords and every token. */
  private describe(err: unknown): string {
    const e = err as { message?: unknown; code?: unknown };
    const message = typeof e?.message === "string" && e.message ? e.message : String(err);
    const code = typeof e?.code === "string" ? e.code : undefined;
    const line = `${message.replace(/\s+/g, " ").trim()}${code && !message.includes(code) ? ` (${code})` : ""}`;
    return redact(line.length > 300 ? `${line.slice(0, 300)}…` : line, this.secrets());
  }

  private connectFailure(err: unknown): CredentialsStoreError {
    if (err instanceof CredentialsStoreError) return err;
    const state = (err as { code?: unknown })?.code;
    const refused = typeof state === "string" ? REFUSED_STATES[state] : undefined;
    if (refused) {
      return new CredentialsStoreError(
        "CredentialsStoreRefused",
        `${this.names.location} refused the connection: ${refused} (${this.describe(err)}); check the user, password and database of ${this.variable}`,
      );
    }
    return new CredentialsStoreError(
      "CredentialsStoreUnreachable",
      `cannot connect to ${this.names.location} (${this.describe(err)}; a connection is given ${seconds(this.connectTimeoutMs)}); check that the server runs and accepts connections from here, and the host, port and sslmode of ${this.variable}`,
    );
  }

  private queryFailure(err: unknown): CredentialsStoreError {
    if (err instanceof CredentialsStoreError) return err;
    const state = (err as { code?: unknown })?.code;
    if (state === "55P03") {
      return new CredentialsStoreError(
        "CredentialsLockTimeout",
        `could not lock the credentials of this client in ${this.names.location} within ${seconds(this.lockWaitMs)}: another process holds them (a refresh in progress, or a session stuck in a transaction: the server ends those after idle_in_transaction_session_timeout)`,
      );
    }
    if (state === "42501") {
      return new CredentialsStoreError(
        "CredentialsStoreRefused",
        `${this.names.location} refused: the role lacks a privilege (${this.describe(err)}); it needs select, insert and update on ${CREDENTIALS_TABLE}, and create on the schema the first time (the README's Credentials in PostgreSQL shows the table)`,
      );
    }
    return new CredentialsStoreError("CredentialsStoreFailed", `${this.names.location} failed: ${this.describe(err)}`);
  }
}
