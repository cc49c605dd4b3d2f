/**
 * One `refresh_token` grant at the token endpoint (API contract §2), shared by every credentials
 * store: the file (token-cache.ts) and PostgreSQL (pg-credentials-store.ts). A store calls it only
 * while it holds its lock, since refresh tokens rotate: the answer's new refresh token must reach
 * the store before anyone else may refresh.
 */
import got from "got";
import type { z } from "zod";
import { tokenErrorResponse, tokenResponse } from "../contracts/api";
import { AuthError, NetworkError, UnexpectedResponseError, redact } from "./errors";

export interface GrantSettings {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Timeout of one token request. */
  readonly timeoutMs?: number;
}

/** How a store is named in the messages that tell the user where a new sign-in goes. */
export interface StoreNames {
  /** `/home/ci/.config/dimensions/credentials.json`, or `the credentials store postgresql://ci@db/ci`. */
  readonly location: string;
  /** `the credentials file`, `the credentials store`. */
  readonly noun: string;
}

/** Origin and path of a URL, never its query (a misconfigured URL could carry a secret). */
export function safePath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** What the token endpoint answered: its status and its body as JSON (undefined when it is not JSON). */
export interface TokenEndpointAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}

/**
 * POSTs one form to the token endpoint (§2), for every grant: the refresh and the sign-in's
 * authorization code. Neither is idempotent (refresh tokens rotate, a code is single-use), so it
 * is sent again only when the server certainly did not take it: a refused connection, or 429 and
 * 503, which refuse a request before handling it. A transport failure is a NetworkError whose
 * message went through `scrub`.
 */
export async function postTokenForm(tokenUrl: string, form: Record<string, string>, timeoutMs: number, scrub: (text: string) => string): Promise<TokenEndpointAnswer> {
  let response;
  try {
    response = await got.post(tokenUrl, {
      form,
      headers: { accept: "application/json" },
      responseType: "text",
      throwHttpErrors: false,
      timeout: { request: timeoutMs },
      retry: { limit: 3, methods: ["POST"], statusCodes: [429, 503], errorCodes: ["ECONNREFUSED"], maxRetryAfter: 10_000, backoffLimit: 2_000 },
      followRedirect: false,
    });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new NetworkError("POST", safePath(tokenUrl), e.code ?? "UNKNOWN", scrub(e.message ?? "request failed"));
  }
  let body: unknown;
  try {
    body = response.body ? JSON.parse(response.body) : undefined;
  } catch {
    body = undefined;
  }
  return { statusCode: response.statusCode, body };
}

/** A 2xx answer's tokens, or UnexpectedResponseError naming what does not match the contract. */
export function tokenAnswer(answer: TokenEndpointAnswer, tokenPath: string): z.infer<typeof tokenResponse> {
  const parsed = tokenResponse.safeParse(answer.body);
  if (!parsed.success) {
    throw new UnexpectedResponseError("POST", tokenPath, answer.statusCode, parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`));
  }
  return parsed.data;
}

/**
 * Sends one grant. Every token it sees is added to `seen` (the caller's redaction set) before it
 * returns. Throws AuthError (RefreshTokenRejected, ClientRejected, TokenEndpointError),
 * NetworkError or UnexpectedResponseError; none carries a secret.
 */
export async function refreshTokenGrant(
  settings: GrantSettings,
  refreshToken: string,
  seen: Set<string>,
  store: StoreNames,
): Promise<z.infer<typeof tokenResponse>> {
  const { tokenUrl, clientId, clientSecret } = settings;
  const tokenPath = safePath(tokenUrl);
  const scrub = (text: string): string => redact(text, [clientSecret, refreshToken, ...seen]);
  const response = await postTokenForm(
    tokenUrl,
    { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret },
    settings.timeoutMs ?? 30_000,
    scrub,
  );
  const body = response.body;
  if (response.statusCode >= 200 && response.statusCode < 300) {
    const tokens = tokenAnswer(response, tokenPath);
    seen.add(tokens.access_token);
    if (tokens.refresh_token) seen.add(tokens.refresh_token);
    return tokens;
  }
  const oauth = tokenErrorResponse.safeParse(body);
  const description = oauth.success ? scrub(oauth.data.error_description ?? "") : "";
  if (oauth.success && oauth.data.error === "invalid_grant") {
    throw new AuthError(
      "RefreshTokenRejected",
      `the token endpoint ${tokenPath} rejected the refresh token (invalid_grant${description ? `: ${description}` : ""}). ` +
        "Refresh tokens rotate: it was used already, revoked or has expired. Sign in again with dimensions login, which stores " +
        `the new credentials in ${store.location} (or set a new refresh token in DIMENSIONS_REFRESH_TOKEN; ${store.noun} takes it over on the next run).`,
      response.statusCode,
    );
  }
  if (oauth.success && oauth.data.error === "invalid_client") {
    throw new AuthError(
      "ClientRejected",
      `the token endpoint ${tokenPath} rejected the client (invalid_client${description ? `: ${description}` : ""}); check DIMENSIONS_CLIENT_ID and DIMENSIONS_CLIENT_SECRET.`,
      response.statusCode,
    );
  }
  throw new AuthError(
    "TokenEndpointError",
    `the token endpoint ${tokenPath} answered ${response.statusCode}${oauth.success ? ` ${oauth.data.error}${description ? `: ${description}` : ""}` : ""}`,
    response.statusCode,
  );
}
