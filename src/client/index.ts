/**
 * The API client: what the handler and the CLI import. `createClientFromEnv` is the one way they
 * build it, from the environment of API contract §7.
 */
import { DEFAULT_TOKEN_URL, REGION_BASE_URLS } from "../contracts/api";
import { ENV } from "../contracts/handler";
import { DimensionsClient } from "./dimensions-client";
import { ClientConfigError } from "./errors";
import { credentialsStoreFromEnv, describeCredentialsStore } from "./credentials-store";
import { StaticTokenProvider, type TokenProvider } from "./token-cache";
import type { DimensionsApi } from "./types";

export * from "./errors";
export * from "./types";
export { DimensionsClient, type DimensionsClientOptions } from "./dimensions-client";
export { HttpTransport, RETRY_ERROR_CODES, RETRY_STATUS_CODES, type HttpOptions, type HttpRequest, type HttpResponse } from "./http";
export {
  SharedTokenCache,
  StaticTokenProvider,
  defaultCredentialsFile,
  type SharedTokenCacheOptions,
  type TokenProvider,
} from "./token-cache";
export { credentialsStoreFromEnv, type CredentialsStore } from "./credentials-store";
export { CREDENTIALS_TABLE, PostgresCredentialsStore } from "./pg-credentials-store";

export type Region = keyof typeof REGION_BASE_URLS;

export interface ClientSettings {
  readonly region?: Region;
  readonly apiUrl?: string;
}

export interface CreateClientOptions {
  /** Retry and refresh notices, one line each, never a secret. */
  readonly log?: (line: string) => void;
  /**
   * The token provider of an earlier client of the same environment and settings, to share its
   * token (one process running many jobs); by default the client makes its own.
   */
  readonly tokens?: TokenProvider;
}

export type DimensionsClientApi = DimensionsApi & { readonly tokenGrants: number; readonly endpoint: Endpoint; readonly tokens: TokenProvider };

/**
 * Builds the client from the process environment (never from synthesized configuration).
 *
 * - Base URL: `DIMENSIONS_API_URL`, else `settings.apiUrl`, else the region's URL.
 * - Token: `DIMENSIONS_ACCESS_TOKEN` as is; otherwise `DIMENSIONS_CLIENT_ID` + `DIMENSIONS_CLIENT_SECRET`
 *   with `DIMENSIONS_REFRESH_TOKEN` or a refresh token already in the credentials store the
 *   environment selects (credentials-store.ts: `DIMENSIONS_CREDENTIALS_URL`, else the file
 *   `DIMENSIONS_CREDENTIALS_FILE`, default `~/.config/dimensions/credentials.json`), against
 *   `DIMENSIONS_TOKEN_URL` (default the vendor's).
 *
 * Throws ClientConfigError synchronously (`CredentialsMissing`, `InvalidConfiguration`) before any
 * request; a database store that holds no credentials says CredentialsMissing at the first request.
 */
export function createClientFromEnv(
  env: NodeJS.ProcessEnv,
  settings: ClientSettings,
  options: CreateClientOptions = {},
): DimensionsClientApi {
  const plain = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  // Each region may have its own endpoint and credentials: DIMENSIONS_API_URL_UK before
  // DIMENSIONS_API_URL, DIMENSIONS_CLIENT_ID_UK before DIMENSIONS_CLIENT_ID, and so on.
  const suffix = settings.region ? `_${settings.region.toUpperCase()}` : "";
  const get = (name: string): string | undefined => (suffix ? plain(`${name}${suffix}`) : undefined) ?? plain(name);

  const endpoint = endpointOf(plain, suffix, settings);
  const baseUrl = endpoint?.url;
  if (!baseUrl) {
    throw new ClientConfigError(
      "InvalidConfiguration",
      `no API base URL: set ${ENV.apiUrl}, or give the stack a region (au, eu, na, uk) or an apiUrl`,
    );
  }
  if (settings.region && !(settings.region in REGION_BASE_URLS)) {
    throw new ClientConfigError("InvalidConfiguration", `unknown region "${settings.region}" (expected au, eu, na or uk)`);
  }

  const tokens = options.tokens ?? tokenProviderFromEnv(get, options.log);
  const client = new DimensionsClient({ baseUrl, tokens, log: options.log, timeoutMs: requestTimeoutMs(get) });
  return Object.assign(client, { endpoint: endpoint!, tokens });
}

/** Where a client's requests go, and which setting said so (printed by every handler run). */
export interface Endpoint {
  readonly url: string;
  readonly source: string;
}

function endpointOf(plain: (name: string) => string | undefined, suffix: string, settings: ClientSettings): Endpoint | undefined {
  const regional = suffix ? plain(`${ENV.apiUrl}${suffix}`) : undefined;
  if (regional) return { url: regional, source: `${ENV.apiUrl}${suffix}` };
  const shared = plain(ENV.apiUrl);
  if (shared) return { url: shared, source: ENV.apiUrl };
  if (settings.apiUrl) return { url: settings.apiUrl, source: "the stack's apiUrl" };
  if (settings.region && settings.region in REGION_BASE_URLS) return { url: REGION_BASE_URLS[settings.region], source: `region ${settings.region}` };
  return undefined;
}

/** `DIMENSIONS_REQUEST_TIMEOUT_SECONDS` (1–600): how long one request may wait for its answer. */
export function requestTimeoutMs(get: (name: string) => string | undefined): number {
  const raw = get(ENV.requestTimeoutSeconds);
  if (raw === undefined) return DEFAULT_REQUEST_TIMEOUT_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) {
    throw new ClientConfigError("InvalidConfiguration", `${ENV.requestTimeoutSeconds} is ${JSON.stringify(raw)}; expected whole seconds from 1 to 600`);
  }
  return seconds * 1000;
}

/** Per request; a hung API costs at most this per attempt (GETs retry a few times). */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 20;

/**
 * The token provider the client would use, from the same environment: `DIMENSIONS_ACCESS_TOKEN` as
 * is, or the selected credentials store, refreshed under its lock (`dimensions token` prints it).
 */
export function createTokenProviderFromEnv(env: NodeJS.ProcessEnv, options: CreateClientOptions & { readonly region?: Region } = {}): TokenProvider {
  const plain = (name: string): string | undefined => env[name]?.trim() || undefined;
  // The same variables a stack of that region reads: DIMENSIONS_CLIENT_ID_UK before DIMENSIONS_CLIENT_ID, …
  const suffix = options.region ? `_${options.region.toUpperCase()}` : "";
  return tokenProviderFromEnv((name) => (suffix ? plain(`${name}${suffix}`) : undefined) ?? plain(name), options.log);
}

function tokenProviderFromEnv(get: (name: string) => string | undefined, log?: (line: string) => void): TokenProvider {
  const accessToken = get(ENV.accessToken);
  if (accessToken) return new StaticTokenProvider(accessToken);

  const tokenUrl = get(ENV.tokenUrl) ?? DEFAULT_TOKEN_URL;
  try {
    const u = new URL(tokenUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("protocol");
  } catch {
    throw new ClientConfigError("InvalidConfiguration", `${ENV.tokenUrl} is not an http(s) URL`);
  }
  const clientId = get(ENV.clientId);
  const clientSecret = get(ENV.clientSecret);
  const refreshToken = get(ENV.refreshToken);
  // The one place a store is chosen (credentials-store.ts); a malformed store URL fails here.
  // Built without a secret too, only to tell whether it holds a refresh token.
  const store = clientId ? credentialsStoreFromEnv(get, { tokenUrl, clientId, clientSecret: clientSecret ?? "", refreshToken, log, timeoutMs: requestTimeoutMs(get) }) : undefined;

  const missing: string[] = [];
  if (!clientId) missing.push(ENV.clientId);
  if (!clientSecret) missing.push(ENV.clientSecret);
  // A database store can only tell at the first request (CredentialsMissing, naming dimensions login).
  if (!refreshToken && (store ? store.hasStoredRefreshToken() === false : true)) missing.push(ENV.refreshToken);
  if (missing.length > 0 || !store || !clientSecret) {
    throw new ClientConfigError(
      "CredentialsMissing",
      `no API credentials: missing ${missing.join(", ")}. Set ${ENV.accessToken} to use a bearer token as is, or ` +
        `${ENV.clientId}, ${ENV.clientSecret} and ${ENV.refreshToken} (the refresh token may instead come from ` +
        `${describeCredentialsStore(get)}, shared by all processes, where dimensions login puts it).`,
    );
  }
  return store;
}
