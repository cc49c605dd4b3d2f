/**
 * Identity endpoints (API contract §2): `GET /connect/authorize` and `POST /connect/token` with the
 * authorization_code and refresh_token grants. Refresh tokens rotate unless turned off with
 * `PUT /_emulator/auth`; a rotated-away token answers 400 invalid_grant.
 *
 * The authorization-code flow as `dimensions login` drives it, without a sign-in page:
 * - `login_hint` (an e-mail) names the partner user who signs in; without it, the reseller's
 *   first partner user does (the demo user for the demo reseller), as if already signed in to
 *   the browser session. An e-mail no partner user has is `access_denied`.
 * - PKCE is required, S256 only (RFC 7636; OAuth 2.1): the code is bound to the challenge.
 * - redirect_uri must be a loopback http URI, any port (RFC 8252 §7.3: the vendor registers
 *   http://127.0.0.1:8000, and a native client may pick another port). An unknown client or a
 *   bad redirect_uri is answered here (400), never redirected; every other refusal is redirected
 *   with `error` and `state` (RFC 6749 §4.1.2.1).
 * - Codes are single-use and live 5 minutes; a refused exchange leaves the code as it was.
 * - [ours] With `openid`, the token answer carries an id_token (HS256, keyed with the client
 *   secret as OpenID Connect Core §10.1 allows) whose `sub`, `email` and `name` say who signed in.
 */
import { createHash, createHmac } from "node:crypto";
import { OAUTH_SCOPE } from "../../contracts/api";
import type { EmulatorCore } from "../core";
import { OAuthError, type OAuthErrorCode } from "../errors";
import type { Reply, RequestContext, RouteTable } from "../http";
import { newToken, type PartnerUserRecord, type ResellerRecord } from "../store";

const DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000";
const CODE_LIFETIME_MS = 5 * 60 * 1000;
const ID_TOKEN_SECONDS = 300;
const SUPPORTED_SCOPES = new Set(["openid", "offline_access", "onboarding", "profile", "email"]);
/** RFC 7636 §4.2: an S256 challenge is base64url of 32 bytes. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43–128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function authRoutes(table: RouteTable, core: EmulatorCore): void {
  table.add("GET", "/connect/authorize", (ctx) => authorize(ctx, core));
  table.add("POST", "/connect/token", (ctx) => token(ctx, core));
}

/** What a browser sign-in yields: a redirect to the client carrying a code (or an error) and its state. */
function authorize(ctx: RequestContext, core: EmulatorCore): Reply {
  const q = ctx.query;
  // RFC 6749 §3.1: a parameter sent twice is ambiguous (which redirect_uri, which state?).
  for (const name of new Set(q.keys())) {
    if (q.getAll(name).length > 1) throw new OAuthError("invalid_request", `The parameter '${name}' is sent more than once.`);
  }
  const reseller = core.store.resellerByClientId(q.get("client_id") ?? "");
  if (!reseller) throw new OAuthError("invalid_client", "Unknown client_id.");
  const target = loopbackRedirect(q.get("redirect_uri"));
  const state = q.get("state");
  const refuse = (error: OAuthErrorCode, description: string): Reply => redirect(target, { error, error_description: description, state });

  if (q.get("response_type") !== "code") return refuse("unsupported_response_type", "Only response_type=code is supported.");
  const scope = q.get("scope") ?? OAUTH_SCOPE;
  const scopes = scope.split(" ").filter((s) => s !== "");
  if (scopes.length === 0) return refuse("invalid_scope", "scope is empty.");
  const unknown = scopes.find((s) => !SUPPORTED_SCOPES.has(s));
  if (unknown !== undefined) return refuse("invalid_scope", `The scope '${unknown}' is not supported.`);
  const challenge = q.get("code_challenge");
  if (challenge === null) return refuse("invalid_request", "code_challenge is required (PKCE, RFC 7636).");
  // RFC 7636 §4.3: an absent method means plain, which this server refuses.
  if (q.get("code_challenge_method") !== "S256") return refuse("invalid_request", "code_challenge_method must be S256.");
  if (!S256_CHALLENGE.test(challenge)) return refuse("invalid_request", "code_challenge is not an S256 challenge (43 base64url characters).");

  const users = core.store.partnerUsersOf(reseller.id);
  const hint = q.get("login_hint")?.trim().toLowerCase();
  const user = hint ? users.find((u) => u.email.toLowerCase() === hint) : users[0];
  if (!user) return refuse("access_denied", hint ? "No partner user of this reseller has the e-mail in login_hint." : "This reseller has no partner user.");

  const code = newToken("code");
  const now = core.clock.now();
  // Codes nobody exchanged in time go when a new one is made.
  for (const [old, record] of Object.entries(core.store.state.authCodes)) if (record.expiresAt <= now) core.store.remove("authCodes", old);
  core.store.put("authCodes", code, {
    clientId: reseller.clientId,
    resellerId: reseller.id,
    partnerUserId: user.id,
    redirectUri: q.get("redirect_uri"),
    expiresAt: now + CODE_LIFETIME_MS,
    codeChallenge: challenge,
    scope: scopes.join(" "),
    nonce: q.get("nonce"),
  });
  return redirect(target, { code, state });
}

/** RFC 8252 §7.3 and §8.3: http on a loopback IP literal, any port; no userinfo, no fragment. */
function loopbackRedirect(raw: string | null): URL {
  let target: URL;
  try {
    target = new URL(raw ?? DEFAULT_REDIRECT_URI);
  } catch {
    throw new OAuthError("invalid_request", "redirect_uri is not a URL.");
  }
  const loopback = target.hostname === "127.0.0.1" || target.hostname === "[::1]";
  if (target.protocol !== "http:" || !loopback || target.username !== "" || target.password !== "" || (raw ?? "").includes("#")) {
    throw new OAuthError(
      "invalid_request",
      `redirect_uri must be http://127.0.0.1:<port> or http://[::1]:<port>, optionally with a path (the registered ${DEFAULT_REDIRECT_URI}, any port).`,
    );
  }
  return target;
}

function redirect(target: URL, params: Record<string, string | null>): Reply {
  const location = new URL(target.toString());
  for (const [name, value] of Object.entries(params)) if (value !== null) location.searchParams.set(name, value);
  return { status: 302, headers: { location: location.toString(), "cache-control": "no-store" } };
}

function token(ctx: RequestContext, core: EmulatorCore): Reply {
  const form = ctx.form();
  const reseller = authenticateClient(ctx, form, core);
  const grantType = form.get("grant_type");
  let answer;
  switch (grantType) {
    case "authorization_code":
      answer = exchangeCode(form, reseller, core);
      break;
    case "refresh_token": {
      const presented = form.get("refresh_token") ?? "";
      const record = core.store.get("refreshTokens", presented);
      if (!record) throw new OAuthError("invalid_grant", "The refresh token is invalid, expired or was already used.");
      if (record.clientId !== reseller.clientId) throw new OAuthError("invalid_grant", "The refresh token was issued to another client.");
      if (!core.store.get("partnerUsers", record.partnerUserId)) throw new OAuthError("invalid_grant", "The refresh token's user no longer exists.");
      const rotate = core.store.state.auth.rotateRefreshTokens;
      // §2: rotation ends the old token immediately; the caller must use the new one.
      if (rotate) core.store.remove("refreshTokens", presented);
      answer = core.issueTokenPair(reseller.clientId, record.resellerId, record.partnerUserId, rotate ? undefined : presented);
      break;
    }
    case null:
      throw new OAuthError("invalid_request", "grant_type is required.");
    default:
      throw new OAuthError("unsupported_grant_type", `The grant type '${grantType}' is not supported.`);
  }
  core.stats.grant(grantType);
  return { status: 200, body: answer, headers: { "cache-control": "no-store", pragma: "no-cache" } };
}

/** RFC 6749 §4.1.3 with RFC 7636 §4.6: the code, its client, its redirect_uri and its PKCE verifier. */
function exchangeCode(form: URLSearchParams, reseller: ResellerRecord, core: EmulatorCore): Record<string, unknown> {
  const code = form.get("code") ?? "";
  const record = core.store.get("authCodes", code);
  if (!record) throw new OAuthError("invalid_grant", "The authorization code is invalid or was already used.");
  if (record.expiresAt <= core.clock.now()) throw new OAuthError("invalid_grant", "The authorization code has expired.");
  if (record.clientId !== reseller.clientId) throw new OAuthError("invalid_grant", "The authorization code was issued to another client.");
  if (record.redirectUri !== null && form.get("redirect_uri") !== record.redirectUri) {
    throw new OAuthError("invalid_grant", "redirect_uri does not match the authorization request.");
  }
  const verifier = form.get("code_verifier");
  if (verifier === null) throw new OAuthError("invalid_grant", "code_verifier is required (the authorization request sent a code_challenge).");
  if (!CODE_VERIFIER.test(verifier) || record.codeChallenge !== createHash("sha256").update(verifier).digest("base64url")) {
    throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge of the authorization request.");
  }
  const user = core.store.get("partnerUsers", record.partnerUserId);
  if (!user) throw new OAuthError("invalid_grant", "The user who signed in no longer exists.");
  // Single-use: the exchange that succeeds consumes it (a refused one changes nothing).
  core.store.remove("authCodes", code);

  const scopes = (record.scope ?? OAUTH_SCOPE).split(" ");
  const access = core.issueAccessToken({ kind: "partner", resellerId: record.resellerId, partnerUserId: user.id });
  const answer: Record<string, unknown> = { access_token: access.token, token_type: "Bearer", expires_in: access.expiresIn, scope: scopes.join(" ") };
  // A refresh token only for offline_access, an id_token only for openid (OpenID Connect Core §11, §3.1.3.3).
  if (scopes.includes("offline_access")) {
    const refresh = newToken("rt");
    core.store.put("refreshTokens", refresh, { clientId: reseller.clientId, resellerId: record.resellerId, partnerUserId: user.id });
    answer.refresh_token = refresh;
  }
  if (scopes.includes("openid")) answer.id_token = idToken(core, reseller, user, record.nonce ?? null);
  return answer;
}

/** [ours] A signed JWT naming who signed in; the client reads `email` and `name`. */
function idToken(core: EmulatorCore, reseller: ResellerRecord, user: PartnerUserRecord, nonce: string | null): string {
  const now = Math.floor(core.clock.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: core.url,
    sub: user.id,
    aud: reseller.clientId,
    iat: now,
    exp: now + ID_TOKEN_SECONDS,
    auth_time: now,
    email: user.email,
    name: user.displayName,
  };
  if (nonce !== null) claims.nonce = nonce;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  return `${signingInput}.${createHmac("sha256", reseller.clientSecret).update(signingInput).digest("base64url")}`;
}

/** Client credentials in the form body, or HTTP Basic. */
function authenticateClient(ctx: RequestContext, form: URLSearchParams, core: EmulatorCore): ResellerRecord {
  let clientId = form.get("client_id");
  let clientSecret = form.get("client_secret");
  const basic = /^Basic\s+(\S+)$/i.exec(ctx.headers.authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon >= 0) {
      clientId = safeDecode(decoded.slice(0, colon));
      clientSecret = safeDecode(decoded.slice(colon + 1));
    }
  }
  if (!clientId) throw new OAuthError("invalid_client", "client_id is required.");
  const reseller = core.store.resellerByClientId(clientId);
  if (!reseller || reseller.clientSecret !== clientSecret) throw new OAuthError("invalid_client", "Client authentication failed.");
  return reseller;
}

/** RFC 6749 §2.3.1 form-encodes Basic credentials; a broken encoding is taken literally. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}
