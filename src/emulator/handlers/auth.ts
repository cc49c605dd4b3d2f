/**
 * Identity endpoints (api-contract §2): `GET /connect/authorize` and `POST /connect/token` with the
 * authorization_code and refresh_token grants. Refresh tokens rotate unless turned off with
 * `PUT /_emulator/auth`; a rotated-away token answers 400 invalid_grant.
 */
import type { EmulatorCore } from "../core";
import { OAuthError } from "../errors";
import type { Reply, RequestContext, RouteTable } from "../http";
import { newToken, type ResellerRecord } from "../store";

const DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000";
const CODE_LIFETIME_MS = 5 * 60 * 1000;

export function authRoutes(table: RouteTable, core: EmulatorCore): void {
  table.add("GET", "/connect/authorize", (ctx) => authorize(ctx, core));
  table.add("POST", "/connect/token", (ctx) => token(ctx, core));
}

/** What a browser login yields: a code for the reseller's user (`login_hint`, else its first user). */
function authorize(ctx: RequestContext, core: EmulatorCore): Reply {
  const q = ctx.query;
  const reseller = core.store.resellerByClientId(q.get("client_id") ?? "");
  if (!reseller) throw new OAuthError("invalid_client", "Unknown client_id.");
  if (q.get("response_type") !== "code") throw new OAuthError("unsupported_response_type", "Only response_type=code is supported.");
  const users = core.store.partnerUsersOf(reseller.id);
  const hint = q.get("login_hint")?.toLowerCase();
  const user = hint ? users.find((u) => u.email.toLowerCase() === hint) : users[0];
  if (!user) throw new OAuthError("invalid_request", "No partner user matches login_hint.");
  const redirectUri = q.get("redirect_uri") ?? DEFAULT_REDIRECT_URI;
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    throw new OAuthError("invalid_request", "redirect_uri is not a URL.");
  }
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
  });
  target.searchParams.set("code", code);
  const state = q.get("state");
  if (state !== null) target.searchParams.set("state", state);
  return { status: 302, headers: { location: target.toString() } };
}

function token(ctx: RequestContext, core: EmulatorCore): Reply {
  const form = ctx.form();
  const reseller = authenticateClient(ctx, form, core);
  const grantType = form.get("grant_type");
  let answer;
  switch (grantType) {
    case "authorization_code": {
      const code = form.get("code") ?? "";
      const record = core.store.get("authCodes", code);
      if (!record) throw new OAuthError("invalid_grant", "The authorization code is invalid or was already used.");
      if (record.expiresAt <= core.clock.now()) throw new OAuthError("invalid_grant", "The authorization code has expired.");
      if (record.clientId !== reseller.clientId) throw new OAuthError("invalid_grant", "The authorization code was issued to another client.");
      if (record.redirectUri !== null && form.get("redirect_uri") !== record.redirectUri) {
        throw new OAuthError("invalid_grant", "redirect_uri does not match the authorization request.");
      }
      // Single-use: the exchange that succeeds consumes it (a refused one changes nothing).
      core.store.remove("authCodes", code);
      answer = core.issueTokenPair(reseller.clientId, record.resellerId, record.partnerUserId);
      break;
    }
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
