/**
 * A throwaway PostgreSQL server on loopback for the tests that need a real one (the credentials
 * store, Terraform's `pg` backend). Debian keeps the server binaries off PATH, under
 * /usr/lib/postgresql/<version>/bin; `.ci/run` installs the `postgresql` package when it is missing.
 * The server refuses to run as root, so as root it runs as the unprivileged `postgres` user
 * (created by the Debian package).
 *
 * In CI (CI=true) a server that cannot start fails the suite; elsewhere the suite is skipped
 * LOUDLY, as the end-to-end harness does for a missing terraform.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";

export interface PostgresServer {
  /** `postgresql://dimensions:<password>@127.0.0.1:<port>/postgres` — holds a password: never print it. */
  readonly url: string;
  readonly port: number;
  /** A URL for a fresh, empty database of this server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const SUPERUSER = "dimensions";

/** The directory holding initdb and postgres, or undefined when no server is installed. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.DIMENSIONS_TEST_PG_BINDIR;
  if (fromEnv) return fs.existsSync(path.join(fromEnv, "postgres")) ? fromEnv : undefined;
  const root = "/usr/lib/postgresql";
  if (fs.existsSync(root)) {
    const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "postgres")));
    versions.sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v postgres"], { encoding: "utf8" });
  const found = which.stdout.trim();
  return which.status === 0 && found ? path.dirname(fs.realpathSync(found)) : undefined;
}

/** Why a server cannot start here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  const bin = postgresBinDir();
  if (!bin) return "no PostgreSQL server binaries (install Debian's postgresql package; .ci/run does)";
  if (!fs.existsSync(path.join(bin, "initdb"))) return `no initdb next to ${bin}/postgres`;
  if (process.getuid?.() === 0) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    if (id.status !== 0) return "running as root and there is no unprivileged postgres user to run the server";
  }
  return undefined;
}

/** `describe` when a PostgreSQL server can start; in CI its absence is a failure, elsewhere a loud skip. */
export function describePostgres(name: string, body: () => void): void {
  const why = postgresUnavailable();
  if (!why) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      test("a PostgreSQL server can start in CI", () => {
        throw new Error(`POSTGRESQL TESTS CANNOT RUN IN CI: ${why}`);
      });
    });
    return;
  }
  process.stderr.write(`\n!!!!!!!!\n!!! POSTGRESQL TESTS SKIPPED (${name}): ${why}\n!!!!!!!!\n\n`);
  const skipped = describe.skip;
  skipped(name, body);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** As root, the uid/gid of the unprivileged `postgres` user, so the child *is* the server (no runuser in between to eat signals). */
function serverUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
  return { uid, gid };
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8", cwd: "/", ...serverUser() });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  }
}

async function waitReady(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${log()}`);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query("select 1");
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${timeoutMs} ms: ${String(error)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts a server with its own data directory, listening on 127.0.0.1 only (and a socket in the
 * data directory, never /var/run). Password authentication over TCP, so the URLs the code under
 * test receives look like real ones.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = postgresBinDir() as string;
  // 0755 parent so the postgres user can reach its data directory under a root-owned tmpdir.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-pg-"));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, "data");
  const password = `pw-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const pwfile = path.join(dir, "pwfile");
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
  fs.mkdirSync(data, { mode: 0o700 });
  if (process.getuid?.() === 0) spawnSync("chown", ["-R", "postgres:postgres", dir]);
  run(path.join(bin, "initdb"), [
    "-D", data, "-U", SUPERUSER, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256",
    "--no-sync", "--encoding=UTF8", "--locale=C",
  ]);
  fs.rmSync(pwfile, { force: true });

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const child = spawn(path.join(bin, "postgres"), [
      "-D", data, "-p", String(port), "-k", data, "-c", "listen_addresses=127.0.0.1",
      // A throwaway server: durability is not what these tests check.
      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
      "-c", "max_connections=200",
    ], { stdio: ["ignore", "pipe", "pipe"], cwd: "/", ...serverUser() });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    const url = `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    try {
      await waitReady(url, child, () => output.slice(-2000), 30_000);
    } catch (error) {
      lastError = error;
      child.kill("SIGKILL");
      continue;
    }
    // "close", not "exit": the pipes close only once every server process is gone.
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    return {
      url,
      port,
      async createDatabase(name: string): Promise<string> {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`create database ${name}`);
        } finally {
          await client.end();
        }
        return url.replace(/\/postgres$/, `/${name}`);
      },
      async stop(): Promise<void> {
        // SIGINT: fast shutdown, open sessions are ended.
        if (child.exitCode === null) child.kill("SIGINT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await closed;
        clearTimeout(timer);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
