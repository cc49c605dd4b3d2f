/**
 * The OAuth 2.0 authorization-code flow of API contract §2, as `dimensions login` runs it: the
 * sign-in address with `state` (RFC 6749 §10.12), PKCE S256 (RFC 7636) and an OpenID Connect
 * `nonce`, then the code exchange at the token endpoint and who signed in.
 *
 * Who signed in comes from the id_token of the token answer (scope `openid`) — its `email` (or
 * `preferred_username`) and `name` claims, [ours]: the contract does not say the vendor sends
 * them. An answer without them fails with LoginIdentityMissing and nothing is stored. The id_token
 * comes straight from the token endpoint, so its signature is not checked (OpenID Connect Core
 * §3.1.3.7); its audience and nonce are.
 *
 * Nothing secret reaches a message: the client secret, the code, the verifier and every token are
 * scrubbed from whatever the server answers.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { DEFAULT_TOKEN_URL, OAUTH_SCOPE, tokenErrorResponse } from "../contracts/api";
import { ENV } from "../contracts/handler";
import { credentialsStoreFromEnv, type CredentialsStore, type SignInTokens } from "./credentials-store";
import { AuthError, ClientConfigError, DimensionsClientError, redact } from "./errors";
import { requestTimeoutMs } from "./index";
import { postTokenForm, safePath, tokenAnswer } from "./refresh-grant";

export type LoginErrorCode =
  | "LoginStateMismatch"
  | "LoginDenied"
  | "LoginCallbackInvalid"
  | "LoginTimeout"
  | "LoginPortInUse"
  | "LoginListenFailed"
  | "AuthorizationCodeRejected"
  | "LoginRefreshTokenMissing"
  | "LoginIdentityMissing"
  | "LoginIdentityMismatch";

/** A sign-in that did not complete; nothing was stored. */
export class LoginError extends DimensionsClientError {
  override readonly name = "LoginError";

  constructor(
    readonly code: LoginErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Everything a sign-in needs, from the environment the handler reads too. */
export interface SignInConfig {
  readonly tokenUrl: string;
  readonly authorizeUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly timeoutMs: number;
  readonly store: CredentialsStore;
}

/**
 * `DIMENSIONS_TOKEN_URL` (default the vendor's), `DIMENSIONS_CLIENT_ID`, `DIMENSIONS_CLIENT_SECRET`
 * and the credentials store, each first with the region's suffix (`DIMENSIONS_CLIENT_ID_UK`) as the
 * handler of a stack in that region reads them, so that its runs find this sign-in. The authorize
 * endpoint is the token endpoint's sibling on the identity host (`/connect/token` →
 * `/connect/authorize`, §2) unless `DIMENSIONS_AUTHORIZE_URL` says otherwise.
 */
export function signInConfigFromEnv(env: NodeJS.ProcessEnv, region?: string, log?: (line: string) => void): SignInConfig {
  const plain = (name: string): string | undefined => env[name]?.trim() || undefined;
  const suffix = region ? `_${region.toUpperCase()}` : "";
  const get = (name: string): string | undefined => (suffix ? plain(`${name}${suffix}`) : undefined) ?? plain(name);

  const tokenUrl = get(ENV.tokenUrl) ?? DEFAULT_TOKEN_URL;
  if (!isHttpUrl(tokenUrl)) throw new ClientConfigError("InvalidConfiguration", `${ENV.tokenUrl} is not an http(s) URL`);
  const authorizeUrl = get(AUTHORIZE_URL_ENV) ?? siblingAuthorizeUrl(tokenUrl);
  if (!authorizeUrl || !isHttpUrl(authorizeUrl)) {
    throw new ClientConfigError(
      "InvalidConfiguration",
      authorizeUrl
        ? `${AUTHORIZE_URL_ENV} is not an http(s) URL`
        : `${ENV.tokenUrl} (${safePath(tokenUrl)}) does not end in /token, so the authorize endpoint cannot be derived from it; set ${AUTHORIZE_URL_ENV}`,
    );
  }
  const clientId = get(ENV.clientId);
  const clientSecret = get(ENV.clientSecret);
  const missing = [...(clientId ? [] : [ENV.clientId]), ...(clientSecret ? [] : [ENV.clientSecret])];
  if (!clientId || !clientSecret) {
    throw new ClientConfigError("CredentialsMissing", `signing in needs the reseller's OAuth client: missing ${missing.join(", ")}${suffix ? ` (or its ${suffix} variant)` : ""}`);
  }
  const timeoutMs = requestTimeoutMs(get);
  const store = credentialsStoreFromEnv(get, { tokenUrl, clientId, clientSecret, refreshToken: get(ENV.refreshToken), timeoutMs, log });
  return { tokenUrl, authorizeUrl, clientId, clientSecret, timeoutMs, store };
}

/** [ours] Override of the authorize endpoint, for an identity host laid out unlike the vendor's. */
export const AUTHORIZE_URL_ENV = "DIMENSIONS_AUTHORIZE_URL";

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

function siblingAuthorizeUrl(tokenUrl: string): string | undefined {
  const u = new URL(tokenUrl);
  if (!/\/token\/?$/.test(u.pathname)) return undefined;
  u.pathname = u.pathname.replace(/token\/?$/, "authorize");
  u.search = "";
  return u.toString();
}

/** The secrets of one sign-in attempt: `state` and `nonce` travel, the verifier never leaves the process until the exchange. */
export interface SignInAttempt {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly codeChallenge: string;
}

export function newSignInAttempt(): SignInAttempt {
  // 32 random bytes: 43 base64url characters, the shortest verifier RFC 7636 §4.1 allows.
  const codeVerifier = randomBytes(32).toString("base64url");
  return {
    state: randomBytes(16).toString("base64url"),
    nonce: randomBytes(16).toString("base64url"),
    codeVerifier,
    codeChallenge: createHash("sha256").update(codeVerifier).digest("base64url"),
  };
}

/** The identity host's sign-in page for this attempt (§2: scope `openid offline_access onboarding`). */
export function authorizationUrl(config: SignInConfig, attempt: SignInAttempt, redirectUri: string, loginHint?: string): string {
  const u = new URL(config.authorizeUrl);
  u.searchParams.set("client_id", config.clientId);
  u.searchParams.set("response_type", "code");
  u.searchParams.set("scope", OAUTH_SCOPE);
  u.searchParams.set("redirect_uri", redirectUri);
  u.searchParams.set("state", attempt.state);
  u.searchParams.set("nonce", attempt.nonce);
  u.searchParams.set("code_challenge", attempt.codeChallenge);
  u.searchParams.set("code_challenge_method", "S256");
  if (loginHint) u.searchParams.set("login_hint", loginHint);
  return u.toString();
}

/** Who signed in, as the id_token says. */
export interface SignedInIdentity {
  /** `email`, else `preferred_username`. */
  readonly user: string;
  readonly name?: string;
}

export interface SignInResult {
  readonly tokens: SignInTokens;
  readonly identity: SignedInIdentity;
}

const idTokenClaims = z.looseObject({
  sub: z.string().min(1),
  aud: z.union([z.string(), z.array(z.string())]),
  nonce: z.string().optional(),
  email: z.string().min(1).optional(),
  preferred_username: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
});

/** `grant_type=authorization_code` (§2), then the checks of what came back. Stores nothing. */
export async function exchangeAuthorizationCode(config: SignInConfig, attempt: SignInAttempt, code: string, redirectUri: string): Promise<SignInResult> {
  const tokenPath = safePath(config.tokenUrl);
  const secrets = new Set([config.clientSecret, code, attempt.codeVerifier]);
  const scrub = (text: string): string => redact(text, secrets);
  const response = await postTokenForm(
    config.tokenUrl,
    {
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      code_verifier: attempt.codeVerifier,
      client_id: config.clientId,
      client_secret: config.clientSecret,
    },
    config.timeoutMs,
    scrub,
  );
  if (response.statusCode < 200 || response.statusCode >= 300) throw tokenEndpointRefusal(response.body, response.statusCode, tokenPath, scrub);
  const answer = tokenAnswer(response, tokenPath);
  if (!answer.refresh_token) {
    throw new LoginError(
      "LoginRefreshTokenMissing",
      `the token endpoint ${tokenPath} answered without a refresh token (was the scope offline_access granted? it granted "${answer.scope ?? "(none)"}"); later runs could not renew the access token, so nothing was stored`,
    );
  }
  const identity = identityOf(answer.id_token, config.clientId, attempt.nonce, tokenPath);
  return { tokens: { accessToken: answer.access_token, refreshToken: answer.refresh_token, expiresInSeconds: answer.expires_in }, identity };
}

function tokenEndpointRefusal(body: unknown, status: number, tokenPath: string, scrub: (text: string) => string): Error {
  const oauth = tokenErrorResponse.safeParse(body);
  const description = oauth.success ? scrub(oauth.data.error_description ?? "") : "";
  const detail = oauth.success ? `${oauth.data.error}${description ? `: ${description}` : ""}` : `${status}`;
  if (oauth.success && oauth.data.error === "invalid_grant") {
    return new LoginError(
      "AuthorizationCodeRejected",
      `the token endpoint ${tokenPath} refused the authorization code (${detail}): it expired, was used already, or belongs to another sign-in; nothing was stored. Run dimensions login again.`,
    );
  }
  if (oauth.success && oauth.data.error === "invalid_client") {
    return new AuthError("ClientRejected", `the token endpoint ${tokenPath} rejected the client (${detail}); check ${ENV.clientId} and ${ENV.clientSecret}.`, status);
  }
  return new AuthError("TokenEndpointError", `the token endpoint ${tokenPath} answered ${status}${oauth.success ? ` ${detail}` : ""}`, status);
}

function identityOf(idToken: unknown, clientId: string, nonce: string, tokenPath: string): SignedInIdentity {
  const missing = (why: string) =>
    new LoginError("LoginIdentityMissing", `the token endpoint ${tokenPath} answered without naming who signed in: ${why}; nothing was stored`);
  if (typeof idToken !== "string" || idToken === "") throw missing("no id_token (scope openid)");
  const parts = idToken.split(".");
  let payload: unknown;
  try {
    if (parts.length !== 3) throw new Error("not three parts");
    payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw missing("its id_token is not a JWT");
  }
  const claims = idTokenClaims.safeParse(payload);
  if (!claims.success) throw missing(`its id_token lacks ${claims.error.issues.map((i) => i.path.join(".") || "(claims)").join(", ")}`);
  const audiences = typeof claims.data.aud === "string" ? [claims.data.aud] : claims.data.aud;
  if (!audiences.includes(clientId)) {
    throw new LoginError("LoginIdentityMismatch", `the id_token from ${tokenPath} was issued to another client (aud); nothing was stored`);
  }
  if (claims.data.nonce !== nonce) {
    throw new LoginError("LoginIdentityMismatch", `the id_token from ${tokenPath} does not carry this sign-in's nonce; nothing was stored`);
  }
  const user = claims.data.email ?? claims.data.preferred_username;
  if (!user) throw missing("its id_token has no email or preferred_username claim");
  return { user, ...(claims.data.name ? { name: claims.data.name } : {}) };
}
