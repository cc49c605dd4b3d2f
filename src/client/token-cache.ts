/**
 * OAuth access tokens, shared by every process on the machine through one credentials file.
 *
 * Terraform runs up to 10 handler processes at once and the vendor's refresh tokens rotate: a
 * refresh token works once, and on some servers reusing a spent one revokes the whole family. So
 * a refresh happens under a cross-process lock, after re-reading the file, and its result (new
 * access AND refresh token) is written back atomically before the lock is released. The file is
 * mode 0600 in a 0700 directory; entries are keyed by (token URL, client id).
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as lockfile from "proper-lockfile";
import { z } from "zod";
import type { TokenResponse } from "../contracts/api";
import type { CredentialsStore, SignInTokens } from "./credentials-store";
import { AuthError, TokenCacheError } from "./errors";
import { refreshTokenGrant } from "./refresh-grant";

export { safePath } from "./refresh-grant";

/** What the HTTP layer needs from a token source. */
export interface TokenProvider {
  /** A bearer token believed valid now. */
  getToken(): Promise<string>;
  /** The API answered 401 to `token`: do not hand it out again. */
  invalidate(token: string): void;
  /** False for a fixed token (DIMENSIONS_ACCESS_TOKEN): a 401 cannot be cured by retrying. */
  readonly canRefresh: boolean;
  /** Token grants this process performed (successful refreshes). */
  readonly grants: number;
  /** Values to scrub from any error text. */
  secrets(): string[];
}

/** `DIMENSIONS_ACCESS_TOKEN`: used as is, never refreshed, never written anywhere. */
export class StaticTokenProvider implements TokenProvider {
  readonly canRefresh = false;
  readonly grants = 0;

  constructor(private readonly token: string) {}

  async getToken(): Promise<string> {
    return this.token;
  }

  invalidate(): void {
    // Nothing to do: there is no other token to try.
  }

  secrets(): string[] {
    return [this.token];
  }
}

export function defaultCredentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.DIMENSIONS_CREDENTIALS_FILE;
  if (explicit) return path.resolve(explicit);
  return path.join(os.homedir(), ".config", "dimensions", "credentials.json");
}

// ---------------------------------------------------------------------------------------------
// The file

const cacheEntry = z.looseObject({
  accessToken: z.string().optional(),
  /** Epoch ms when the access token was obtained and when it expires. */
  obtainedAt: z.number().optional(),
  expiresAt: z.number().optional(),
  refreshToken: z.string().optional(),
  /**
   * sha256 of the refresh token this chain was started from (the env one). When the env still
   * holds that token it has been spent already, so only the cached successor may be used.
   */
  seed: z.string().optional(),
  updatedAt: z.number().optional(),
});
export type CacheEntry = z.infer<typeof cacheEntry>;

const cacheFile = z.looseObject({
  version: z.literal(1),
  entries: z.record(z.string(), cacheEntry),
});
type CacheFile = z.infer<typeof cacheFile>;

export function cacheKey(tokenUrl: string, clientId: string): string {
  return `${tokenUrl} ${clientId}`;
}

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Reads the cache; a missing file is empty, a corrupt one is reported and treated as empty. */
export function readCacheFile(file: string, log?: (line: string) => void): CacheFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, entries: {} };
    throw new TokenCacheError("CredentialsFileUnreadable", `cannot read credentials file ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = cacheFile.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: not JSON
  }
  log?.(`credentials file ${file} is not a valid token cache; it will be rewritten on the next refresh`);
  return { version: 1, entries: {} };
}

/** Atomic replace: temp file (0600) in the same directory, fsync, rename. */
function writeCacheFile(file: string, content: CacheFile): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      fs.fchmodSync(fd, 0o600); // umask cannot widen it, but an odd umask could narrow owner bits
      fs.writeFileSync(fd, `${JSON.stringify(content, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // best effort
    }
    throw new TokenCacheError("CredentialsWriteFailed", `cannot write credentials file ${file}: ${(err as Error).message}`);
  }
}

function ensureDirectory(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

// ---------------------------------------------------------------------------------------------
// The provider

export interface SharedTokenCacheOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** From DIMENSIONS_REFRESH_TOKEN; optional when the cache already holds one. */
  readonly refreshToken?: string;
  readonly credentialsFile: string;
  readonly log?: (line: string) => void;
  /** Timeout of one token request. */
  readonly timeoutMs?: number;
  /** Injected clock (tests). */
  readonly now?: () => number;
  /** How long to wait for another process's lock before failing. Default about 30 s. */
  readonly lockWaitMs?: number;
}

/** Safety margin before expiry: 60 s, or a quarter of a short token's life. */
export function stillValid(entry: CacheEntry | undefined, now: number, rejected: string | undefined): entry is CacheEntry & { accessToken: string } {
  if (!entry?.accessToken || entry.expiresAt === undefined) return false;
  if (entry.accessToken === rejected) return false;
  const lifetime = entry.expiresAt - (entry.obtainedAt ?? entry.expiresAt - 3_600_000);
  const margin = Math.min(60_000, Math.max(0, lifetime / 4));
  return now < entry.expiresAt - margin;
}

export class SharedTokenCache implements TokenProvider, CredentialsStore {
  readonly canRefresh = true;
  private grantCount = 0;
  private memory: (CacheEntry & { accessToken: string }) | undefined;
  private rejected: string | undefined;
  private inflight: Promise<string> | undefined;
  private readonly key: string;
  private readonly now: () => number;
  /** Tokens seen by this process, for redaction. */
  private readonly seen = new Set<string>();

  constructor(private readonly options: SharedTokenCacheOptions) {
    this.key = cacheKey(options.tokenUrl, options.clientId);
    this.now = options.now ?? Date.now;
    if (options.refreshToken) this.seen.add(options.refreshToken);
  }

  get grants(): number {
    return this.grantCount;
  }

  get credentialsFile(): string {
    return this.options.credentialsFile;
  }

  secrets(): string[] {
    return [this.options.clientSecret, ...this.seen];
  }

  get location(): string {
    return this.options.credentialsFile;
  }

  /** CredentialsStore: whether the file holds a refresh token for this client (read now, without the lock). */
  hasStoredRefreshToken(): boolean {
    return hasCachedRefreshToken(this.options.credentialsFile, this.options.tokenUrl, this.options.clientId);
  }

  /** CredentialsStore: a sign-in's tokens become this client's entry, under the file's lock. */
  async storeSignIn(tokens: SignInTokens): Promise<void> {
    const file = this.options.credentialsFile;
    ensureDirectory(file);
    const release = await this.lock(file);
    try {
      const cache = readCacheFile(file, this.options.log);
      const obtainedAt = this.now();
      const entry = {
        accessToken: tokens.accessToken,
        obtainedAt,
        expiresAt: obtainedAt + tokens.expiresInSeconds * 1000,
        refreshToken: tokens.refreshToken,
        // The environment's refresh token predates this sign-in: as the chain's seed, it is
        // never preferred over the signed-in one (see candidates()).
        ...(this.options.refreshToken ? { seed: sha256(this.options.refreshToken) } : {}),
        updatedAt: obtainedAt,
      };
      cache.entries[this.key] = entry;
      writeCacheFile(file, cache);
      this.rejected = undefined;
      this.remember(entry);
    } finally {
      await release().catch(() => undefined);
    }
  }

  invalidate(token: string): void {
    this.rejected = token;
    if (this.memory?.accessToken === token) this.memory = undefined;
  }

  async getToken(): Promise<string> {
    if (stillValid(this.memory, this.now(), this.rejected)) return this.memory.accessToken;
    // One refresh per process at a time; concurrent callers share it.
    this.inflight ??= this.acquire().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private remember(entry: CacheEntry & { accessToken: string }): string {
    this.memory = entry;
    this.seen.add(entry.accessToken);
    if (entry.refreshToken) this.seen.add(entry.refreshToken);
    return entry.accessToken;
  }

  private async acquire(): Promise<string> {
    const file = this.options.credentialsFile;
    // Fast path without the lock: another process may have refreshed already.
    const before = readCacheFile(file, this.options.log).entries[this.key];
    if (stillValid(before, this.now(), this.rejected)) return this.remember(before);

    ensureDirectory(file);
    const release = await this.lock(file);
    try {
      const cache = readCacheFile(file, this.options.log);
      const entry = cache.entries[this.key];
      if (stillValid(entry, this.now(), this.rejected)) return this.remember(entry);
      const fresh = await this.refresh(entry);
      cache.entries[this.key] = fresh;
      writeCacheFile(file, cache);
      return this.remember(fresh);
    } finally {
      await release().catch(() => undefined); // a compromised lock is released already
    }
  }

  private async lock(file: string): Promise<() => Promise<void>> {
    const waitMs = this.options.lockWaitMs ?? 30_000;
    // retries × maxTimeout roughly bounds the wait; small steps keep the hand-over quick.
    const maxTimeout = 200;
    try {
      return await lockfile.lock(file, {
        realpath: false, // the file may not exist yet; the lock is the sibling `<file>.lock`
        stale: 15_000,
        retries: { retries: Math.ceil(waitMs / (maxTimeout * 0.75)), factor: 1.3, minTimeout: 20, maxTimeout, randomize: true },
        // Default would throw from a timer and crash the process; the atomic write keeps the file sane.
        onCompromised: (err) => this.options.log?.(`credentials lock compromised: ${err.message}`),
      });
    } catch (err) {
      throw new TokenCacheError(
        "CredentialsLockTimeout",
        `could not lock ${file} within ${Math.round(waitMs / 1000)} s (${(err as Error).message}); another process holds it. If none is running, remove ${file}.lock`,
      );
    }
  }

  /** Which refresh tokens to try, in order, never one known to be spent already. */
  private candidates(entry: CacheEntry | undefined): { token: string; seed: string | undefined }[] {
    const env = this.options.refreshToken;
    const cached = entry?.refreshToken;
    if (!cached) return env ? [{ token: env, seed: sha256(env) }] : [];
    if (!env || env === cached || entry.seed === sha256(env)) return [{ token: cached, seed: entry.seed }];
    // The env holds a token this cache has never seen: the user just supplied it; prefer it.
    return [
      { token: env, seed: sha256(env) },
      { token: cached, seed: entry.seed },
    ];
  }

  private async refresh(entry: CacheEntry | undefined): Promise<CacheEntry & { accessToken: string }> {
    const candidates = this.candidates(entry);
    if (candidates.length === 0) {
      throw new AuthError(
        "RefreshTokenRejected",
        `no refresh token: sign in with dimensions login or set DIMENSIONS_REFRESH_TOKEN (the credentials file ${this.options.credentialsFile} holds none for this client)`,
      );
    }
    let rejection: AuthError | undefined;
    for (const candidate of candidates) {
      try {
        const obtainedAt = this.now();
        const answer = await this.grant(candidate.token);
        this.grantCount += 1;
        return {
          accessToken: answer.access_token,
          obtainedAt,
          expiresAt: obtainedAt + answer.expires_in * 1000,
          // Servers that do not rotate send no new refresh token: the old one stays good.
          refreshToken: answer.refresh_token ?? candidate.token,
          seed: candidate.seed,
          updatedAt: this.now(),
        };
      } catch (err) {
        if (err instanceof AuthError && err.code === "RefreshTokenRejected") {
          rejection = err;
          continue;
        }
        throw err;
      }
    }
    throw rejection ?? new AuthError("RefreshTokenRejected", "refresh token rejected");
  }

  /** One `refresh_token` grant. */
  private grant(refreshToken: string): Promise<TokenResponse> {
    return refreshTokenGrant(this.options, refreshToken, this.seen, { location: this.options.credentialsFile, noun: "the credentials file" });
  }
}

/**
 * Whether the credentials file holds a refresh token for this client. Synchronous: used once at
 * start-up to tell the user which variables are missing before any request.
 */
export function hasCachedRefreshToken(file: string, tokenUrl: string, clientId: string): boolean {
  try {
    return Boolean(readCacheFile(file).entries[cacheKey(tokenUrl, clientId)]?.refreshToken);
  } catch {
    return false;
  }
}
