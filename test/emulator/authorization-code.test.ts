/**
 * The authorization-code flow of api-contract §2 as the emulator plays it: `GET /connect/authorize`
 * (no sign-in page: `login_hint` names who signs in) redirects to the loopback redirect URI with a
 * code and the state; `POST /connect/token grant_type=authorization_code` checks the client, the
 * redirect URI, the PKCE verifier (S256), and that the code is fresh and unused; the answer's
 * id_token [ours] names who signed in.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import type { RunningEmulator } from "../../src/emulator/server";
import { call, tokenRequest, useEmulator } from "./support";

let emulator: RunningEmulator;

useEmulator((ctx) => {
  emulator = ctx.emulator;
});

const REDIRECT_URI = "http://127.0.0.1:8000";

interface Pkce {
  verifier: string;
  challenge: string;
}

function pkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeQuery(p: Pkce, overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    client_id: emulator.demo.clientId,
    response_type: "code",
    state: "state-123",
    redirect_uri: REDIRECT_URI,
    scope: "openid offline_access onboarding",
    code_challenge: p.challenge,
    code_challenge_method: "S256",
    nonce: "nonce-456",
    ...overrides,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return q.toString();
}

async function authorize(query: string) {
  const answer = await call(emulator, "GET", `/connect/authorize?${query}`);
  const location = answer.headers.get("location");
  return { answer, location: location ? new URL(location) : undefined };
}

/** A code for the sign-in, as the browser would carry it back to the redirect URI. */
async function codeFor(p: Pkce, overrides: Record<string, string | undefined> = {}): Promise<string> {
  const { answer, location } = await authorize(authorizeQuery(p, overrides));
  expect(answer.status).toBe(302);
  const code = location?.searchParams.get("code");
  if (!code) throw new Error(`no code in ${location?.toString()}`);
  return code;
}

function exchange(code: string, verifier: string, overrides: Record<string, string | undefined> = {}) {
  const form: Record<string, string> = {};
  const fields: Record<string, string | undefined> = {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    client_id: emulator.demo.clientId,
    client_secret: emulator.demo.clientSecret,
    ...overrides,
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form[k] = v;
  return tokenRequest(emulator, form);
}

function claimsOf(idToken: unknown): Record<string, unknown> {
  const [, payload] = String(idToken).split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

async function seedPartner(email: string, displayName: string): Promise<void> {
  const seeded = await call(emulator, "POST", "/_emulator/resellers/demo/partner-users", [{ email, displayName, roles: ["account.user"] }]);
  expect(seeded.status).toBeLessThan(300);
}

describe("GET /connect/authorize", () => {
  test("GIVEN a valid request WHEN authorized THEN 302 to the redirect URI with a code and the state", async () => {
    const { answer, location } = await authorize(authorizeQuery(pkce()));

    expect(answer.status).toBe(302);
    expect(location?.origin).toBe(REDIRECT_URI);
    expect(location?.searchParams.get("state")).toBe("state-123");
    expect(location?.searchParams.get("code")).toMatch(/^code_/);
  });

  test("GIVEN another loopback port and a path WHEN authorized THEN the redirect goes there (RFC 8252 §7.3)", async () => {
    const { location } = await authorize(authorizeQuery(pkce(), { redirect_uri: "http://127.0.0.1:49152/callback" }));

    expect(location?.toString()).toMatch(/^http:\/\/127\.0\.0\.1:49152\/callback\?code=/);
  });

  test.each([
    ["a non-loopback host", "http://evil.example:8000"],
    ["https on loopback", "https://127.0.0.1:8000"],
    ["localhost (a name, not an address)", "http://localhost:8000"],
    ["userinfo", "http://user@127.0.0.1:8000"],
    ["a fragment", "http://127.0.0.1:8000/#x"],
    ["not a URL", "127.0.0.1:8000"],
  ])("GIVEN a redirect_uri with %s WHEN authorized THEN 400 invalid_request, never a redirect", async (_what, redirectUri) => {
    const { answer, location } = await authorize(authorizeQuery(pkce(), { redirect_uri: redirectUri }));

    expect(answer.status).toBe(400);
    expect(location).toBeUndefined();
    expect(answer.body.error).toBe("invalid_request");
  });

  test("GIVEN an unknown client_id WHEN authorized THEN 400 invalid_client, never a redirect", async () => {
    const { answer, location } = await authorize(authorizeQuery(pkce(), { client_id: "nobody" }));

    expect(answer.status).toBe(400);
    expect(location).toBeUndefined();
    expect(answer.body.error).toBe("invalid_client");
  });

  test("GIVEN a parameter sent twice WHEN authorized THEN 400 invalid_request, never a redirect", async () => {
    const { answer, location } = await authorize(`${authorizeQuery(pkce())}&state=other`);

    expect(answer.status).toBe(400);
    expect(location).toBeUndefined();
    expect(answer.body.error).toBe("invalid_request");
  });

  test.each([
    ["no code_challenge", { code_challenge: undefined }, "invalid_request"],
    ["no code_challenge_method (plain by default)", { code_challenge_method: undefined }, "invalid_request"],
    ["code_challenge_method plain", { code_challenge_method: "plain" }, "invalid_request"],
    ["a challenge that is no S256 digest", { code_challenge: "short" }, "invalid_request"],
    ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ["an unknown scope", { scope: "openid admin" }, "invalid_scope"],
    ["a login_hint no partner user has", { login_hint: "nobody@reseller.test" }, "access_denied"],
  ])("GIVEN %s WHEN authorized THEN the error goes back to the redirect URI with the state, and no code", async (_what, overrides, error) => {
    const { answer, location } = await authorize(authorizeQuery(pkce(), overrides));

    expect(answer.status).toBe(302);
    expect(location?.origin).toBe(REDIRECT_URI);
    expect(location?.searchParams.get("error")).toBe(error);
    expect(location?.searchParams.get("state")).toBe("state-123");
    expect(location?.searchParams.get("code")).toBeNull();
    expect(Object.keys(emulator.store.state.authCodes)).toEqual([]);
  });
});

describe("POST /connect/token grant_type=authorization_code", () => {
  test("GIVEN a code and its verifier WHEN exchanged THEN an access token, a refresh token and an id_token naming the demo user", async () => {
    const p = pkce();
    const answer = await exchange(await codeFor(p), p.verifier);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: "Bearer", scope: "openid offline_access onboarding" });
    expect(answer.body.refresh_token).toEqual(expect.stringMatching(/^rt_/));
    expect(claimsOf(answer.body.id_token)).toMatchObject({
      aud: emulator.demo.clientId,
      nonce: "nonce-456",
      email: "demo@reseller.test",
      name: "Demo Partner",
      iss: emulator.url,
    });
    const works = await call(emulator, "GET", "/customers", undefined, { token: String(answer.body.access_token) });
    expect(works.status).toBe(200);
  });

  test("GIVEN a login_hint WHEN exchanged THEN the tokens and the id_token are that partner user's", async () => {
    await seedPartner("ana@reseller.test", "Ana Martin");
    const p = pkce();

    const answer = await exchange(await codeFor(p, { login_hint: "ANA@reseller.test" }), p.verifier);

    const claims = claimsOf(answer.body.id_token);
    expect(claims).toMatchObject({ email: "ana@reseller.test", name: "Ana Martin" });
    const partner = Object.values(emulator.store.state.partnerUsers).find((u) => u.email === "ana@reseller.test");
    expect(claims.sub).toBe(partner?.id);
    expect(emulator.store.state.refreshTokens[String(answer.body.refresh_token)]?.partnerUserId).toBe(partner?.id);
  });

  test("GIVEN no login_hint WHEN exchanged THEN the reseller's first partner user signed in (the demo user)", async () => {
    await seedPartner("ana@reseller.test", "Ana Martin");
    const p = pkce();

    const answer = await exchange(await codeFor(p, { login_hint: undefined }), p.verifier);

    expect(claimsOf(answer.body.id_token).email).toBe("demo@reseller.test");
  });

  test("GIVEN an id_token WHEN its signature is checked with the client secret THEN it verifies (HS256)", async () => {
    const p = pkce();
    const answer = await exchange(await codeFor(p), p.verifier);

    const [header, payload, signature] = String(answer.body.id_token).split(".");
    expect(JSON.parse(Buffer.from(header, "base64url").toString("utf8"))).toEqual({ alg: "HS256", typ: "JWT" });
    expect(createHmac("sha256", emulator.demo.clientSecret).update(`${header}.${payload}`).digest("base64url")).toBe(signature);
  });

  test("GIVEN a wrong code_verifier WHEN exchanged THEN 400 invalid_grant, and the right verifier still succeeds after it", async () => {
    const p = pkce();
    const code = await codeFor(p);

    const wrong = await exchange(code, pkce().verifier);
    const right = await exchange(code, p.verifier);

    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe("invalid_grant");
    expect(wrong.body.refresh_token).toBeUndefined();
    expect(right.status).toBe(200);
  });

  test.each([
    ["no code_verifier", undefined],
    ["a verifier shorter than 43 characters", "too-short"],
    ["the challenge itself as verifier (plain)", "CHALLENGE"],
  ])("GIVEN %s WHEN exchanged THEN 400 invalid_grant", async (_what, verifier) => {
    const p = pkce();
    const code = await codeFor(p);

    const answer = await exchange(code, "", { code_verifier: verifier === "CHALLENGE" ? p.challenge : verifier });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_grant");
  });

  test("GIVEN a code exchanged once WHEN replayed THEN 400 invalid_grant", async () => {
    const p = pkce();
    const code = await codeFor(p);
    expect((await exchange(code, p.verifier)).status).toBe(200);

    const replay = await exchange(code, p.verifier);

    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe("invalid_grant");
  });

  test.each([
    ["another port", "http://127.0.0.1:8001"],
    ["another path", "http://127.0.0.1:8000/other"],
    ["none", undefined],
  ])("GIVEN a redirect_uri at the exchange with %s than the authorization request's WHEN exchanged THEN 400 invalid_grant", async (_what, redirectUri) => {
    const p = pkce();
    const code = await codeFor(p);

    const answer = await exchange(code, p.verifier, { redirect_uri: redirectUri });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_grant");
  });

  test("GIVEN a code older than 5 minutes on the emulator clock WHEN exchanged THEN 400 invalid_grant", async () => {
    const p = pkce();
    const code = await codeFor(p);
    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 301 });

    const answer = await exchange(code, p.verifier);

    expect(answer.body).toMatchObject({ error: "invalid_grant", error_description: expect.stringMatching(/expired/) });
  });

  test("GIVEN a code issued to the demo client WHEN another reseller's client exchanges it THEN 400 invalid_grant, and the demo client still can", async () => {
    const other = await call<{ clientId: string; clientSecret: string }>(emulator, "POST", "/_emulator/resellers", { name: "other-client" });
    const p = pkce();
    const code = await codeFor(p);

    const stolen = await exchange(code, p.verifier, { client_id: other.body.clientId, client_secret: other.body.clientSecret });

    expect(stolen.body.error).toBe("invalid_grant");
    expect((await exchange(code, p.verifier)).status).toBe(200);
  });

  test("GIVEN a wrong client secret WHEN exchanged THEN 400 invalid_client", async () => {
    const p = pkce();

    const answer = await exchange(await codeFor(p), p.verifier, { client_secret: "wrong" });

    expect(answer.body.error).toBe("invalid_client");
  });

  test("GIVEN scope without offline_access or openid WHEN exchanged THEN neither a refresh token nor an id_token comes back", async () => {
    const p = pkce();

    const answer = await exchange(await codeFor(p, { scope: "onboarding" }), p.verifier);

    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe("onboarding");
    expect(answer.body.refresh_token).toBeUndefined();
    expect(answer.body.id_token).toBeUndefined();
  });

  test("GIVEN an exchange WHEN stats are read THEN it counts as one authorization_code grant", async () => {
    const p = pkce();
    await exchange(await codeFor(p), p.verifier);

    const stats = await call<{ tokenGrants: Record<string, number> }>(emulator, "GET", "/_emulator/stats");

    expect(stats.body.tokenGrants).toEqual({ authorization_code: 1 });
  });
});
