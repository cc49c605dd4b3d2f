/**
 * The credentials store: where a sign-in's tokens go and where every process that calls the API
 * finds them, refreshing them under the store's lock. One small interface, so that the commands
 * using it (the handler's client, `dimensions token`, `dimensions login`, every CLI command that
 * calls the API) do not depend on how it keeps them, and one function that chooses it:
 *
 * - `DIMENSIONS_CREDENTIALS_URL=postgresql://…`: a table shared by many machines
 *   (src/client/pg-credentials-store.ts), for CI runners without a persistent home;
 * - otherwise the token cache file `DIMENSIONS_CREDENTIALS_FILE` (default
 *   `~/.config/dimensions/credentials.json`; mode 0600, updated under a lock,
 *   src/client/token-cache.ts), shared by the processes of one machine.
 */
import { ENV } from "../contracts/handler";
import { PostgresCredentialsStore, parseCredentialsUrl } from "./pg-credentials-store";
import { SharedTokenCache, defaultCredentialsFile, type TokenProvider } from "./token-cache";

/** What a sign-in hands to the store. Never logged, never printed. */
export interface SignInTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Lifetime of the access token, from the token answer's `expires_in`. */
  readonly expiresInSeconds: number;
}

/** A token provider that keeps its tokens somewhere every process of the client finds them. */
export interface CredentialsStore extends TokenProvider {
  /** Where the credentials are kept, for messages: a path, or a URL without its password. */
  readonly location: string;
  /**
   * Keeps a sign-in's tokens as the credentials of this store's (token URL, client id), under the
   * store's lock, replacing what it held: every process that reads the store next uses them, and
   * refreshes from the new refresh token.
   */
  storeSignIn(tokens: SignInTokens): Promise<void>;
  /**
   * Whether the store holds a refresh token for this client, when that can be told at once
   * (start-up checks name the missing variables before any request); undefined when only the
   * first use can tell (a database), which then fails with CredentialsMissing.
   */
  hasStoredRefreshToken(): boolean | undefined;
}

export interface CredentialsStoreSettings {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The environment's refresh token, if any: it seeds an empty store; a sign-in supersedes it. */
  readonly refreshToken?: string;
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The store the environment selects (`get` reads a variable, region suffix applied):
 * `DIMENSIONS_CREDENTIALS_URL` when set, else the file. Throws ClientConfigError
 * (InvalidConfiguration) for a malformed URL, without printing it.
 */
export function credentialsStoreFromEnv(get: (name: string) => string | undefined, settings: CredentialsStoreSettings): CredentialsStore {
  const url = get(ENV.credentialsUrl);
  if (url) return new PostgresCredentialsStore({ ...settings, url: parseCredentialsUrl(url) });
  const credentialsFile = defaultCredentialsFile({ [ENV.credentialsFile]: get(ENV.credentialsFile) });
  return new SharedTokenCache({ ...settings, credentialsFile });
}

/** The selected store in words, for messages written before a store exists (`the credentials file /home/…`). */
export function describeCredentialsStore(get: (name: string) => string | undefined): string {
  const url = get(ENV.credentialsUrl);
  if (url) return `the credentials store ${parseCredentialsUrl(url).display}`;
  return `the credentials file ${defaultCredentialsFile({ [ENV.credentialsFile]: get(ENV.credentialsFile) })}`;
}
