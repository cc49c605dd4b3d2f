/**
 * The credentials store: where a sign-in's tokens go and where every process that calls the API
 * finds them. One small interface, so that the commands writing to it (`dimensions login`) do not
 * depend on how it keeps them: today the shared token cache file (mode 0600, updated under a
 * lock, src/client/token-cache.ts); a store shared by many machines can implement the same.
 */
import { ENV } from "../contracts/handler";
import { SharedTokenCache, defaultCredentialsFile } from "./token-cache";

/** What a sign-in hands to the store. Never logged, never printed. */
export interface SignInTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Lifetime of the access token, from the token answer's `expires_in`. */
  readonly expiresInSeconds: number;
}

export interface CredentialsStore {
  /** Where the credentials are kept, for messages: a path, or a URL without its password. */
  readonly location: string;
  /**
   * Keeps a sign-in's tokens as the credentials of this store's (token URL, client id), under the
   * store's lock, replacing what it held: every process that reads the store next uses them, and
   * refreshes from the new refresh token.
   */
  storeSignIn(tokens: SignInTokens): Promise<void>;
}

export interface CredentialsStoreSettings {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The environment's refresh token, if any: a sign-in supersedes it. */
  readonly refreshToken?: string;
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The store the environment selects (`get` reads a variable, region suffix applied): the shared
 * token cache file `DIMENSIONS_CREDENTIALS_FILE` (default `~/.config/dimensions/credentials.json`).
 */
export function credentialsStoreFromEnv(get: (name: string) => string | undefined, settings: CredentialsStoreSettings): CredentialsStore {
  const credentialsFile = defaultCredentialsFile({ [ENV.credentialsFile]: get(ENV.credentialsFile) });
  return new SharedTokenCache({ ...settings, credentialsFile });
}
