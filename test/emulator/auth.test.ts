/**
 * Identity (api-contract §2) and bearer authentication (§1).
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { call, login, tokenRequest, useEmulator } from "./support";

let emulator: RunningEmulator;

useEmulator((ctx) => {
  emulator = ctx.emulator;
});

function refresh(refreshToken: string, clientId = emulator.demo.clientId, clientSecret = emulator.demo.clientSecret) {
  return tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret });
}

describe("refresh_token grant", () => {
  test("GIVEN the demo refresh token WHEN it is exchanged THEN an access token, a new refresh token and the scope come back", async () => {
    const answer = await refresh(emulator.demo.refreshToken);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "openid offline_access onboarding" });
    expect(answer.body.access_token).toEqual(expect.any(String));
    expect(answer.body.refresh_token).not.toBe(emulator.demo.refreshToken);
  });

  test("GIVEN a refresh token that was rotated WHEN it is used again THEN 400 invalid_grant", async () => {
    const { refresh_token } = await login(emulator, "demo", "demo@reseller.test");
    expect((await refresh(refresh_token)).status).toBe(200);

    const reuse = await refresh(refresh_token);

    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe("invalid_grant");
  });

  test("GIVEN a rotated refresh token WHEN the new one is used THEN it works", async () => {
    const { refresh_token } = await login(emulator, "demo", "demo@reseller.test");
    const first = await refresh(refresh_token);

    const second = await refresh(String(first.body.refresh_token));

    expect(second.status).toBe(200);
  });

  test("GIVEN rotation turned off WHEN a refresh token is used twice THEN both work and the same token comes back", async () => {
    await call(emulator, "PUT", "/_emulator/auth", { rotateRefreshTokens: false });
    const { refresh_token } = await login(emulator, "demo", "demo@reseller.test");

    const first = await refresh(refresh_token);
    const second = await refresh(refresh_token);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.refresh_token).toBe(refresh_token);
  });

  test("GIVEN client credentials in HTTP Basic WHEN refreshing THEN the client is authenticated", async () => {
    const { refresh_token } = await login(emulator, "demo", "demo@reseller.test");
    const basic = Buffer.from(`${emulator.demo.clientId}:${emulator.demo.clientSecret}`).toString("base64");

    const answer = await tokenRequest(emulator, { grant_type: "refresh_token", refresh_token }, { authorization: `Basic ${basic}` });

    expect(answer.status).toBe(200);
  });

  test("GIVEN a wrong client secret WHEN refreshing THEN 400 invalid_client and the refresh token survives", async () => {
    const { refresh_token } = await login(emulator, "demo", "demo@reseller.test");

    const wrong = await refresh(refresh_token, emulator.demo.clientId, "wrong");

    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe("invalid_client");
    expect((await refresh(refresh_token)).status).toBe(200);
  });

  test("GIVEN another reseller's client WHEN it presents the demo user's refresh token THEN 400 invalid_grant", async () => {
    const other = await call<{ clientId: string; clientSecret: string }>(emulator, "POST", "/_emulator/resellers", { name: "other-client" });
    const { refresh_token } = await login(emulator, "demo", "demo@reseller.test");

    const answer = await refresh(refresh_token, other.body.clientId, other.body.clientSecret);

    expect(answer.body.error).toBe("invalid_grant");
  });

  test("GIVEN an unknown grant type WHEN requested THEN 400 unsupported_grant_type", async () => {
    const answer = await tokenRequest(emulator, { grant_type: "password", client_id: emulator.demo.clientId, client_secret: emulator.demo.clientSecret });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("unsupported_grant_type");
  });

  test("GIVEN a JSON body WHEN posted to the token endpoint THEN 400 invalid_request (it is form-encoded)", async () => {
    const answer = await call(emulator, "POST", "/connect/token", { grant_type: "refresh_token" });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_request");
  });
});

describe("bearer authentication (§1)", () => {
  test("GIVEN no Authorization header WHEN the API is called THEN 401 with an empty body", async () => {
    const answer = await call(emulator, "GET", "/customers");

    expect(answer.status).toBe(401);
    expect(answer.text).toBe("");
  });

  test("GIVEN an unknown token WHEN the API is called THEN 401 with an empty body", async () => {
    const answer = await call(emulator, "GET", "/customers", undefined, { token: "at_not-a-token" });

    expect(answer.status).toBe(401);
    expect(answer.text).toBe("");
  });

  test("GIVEN a valid access token WHEN the API is called THEN 200", async () => {
    const { access_token } = await login(emulator, "demo", "demo@reseller.test");

    expect((await call(emulator, "GET", "/customers", undefined, { token: access_token })).status).toBe(200);
  });

  test("GIVEN an access token WHEN the emulator clock passes its lifetime THEN 401 with an empty body", async () => {
    await call(emulator, "PUT", "/_emulator/auth", { accessTokenSeconds: 60 });
    const { access_token } = await login(emulator, "demo", "demo@reseller.test");
    await call(emulator, "POST", "/_emulator/clock", { advanceSeconds: 61 });

    const answer = await call(emulator, "GET", "/customers", undefined, { token: access_token });

    expect(answer.status).toBe(401);
    expect(answer.text).toBe("");
  });
});

describe("stats of token grants", () => {
  test("GIVEN two refreshes WHEN stats are read THEN they count two refresh_token grants", async () => {
    const { refresh_token } = await login(emulator, "demo", "demo@reseller.test");
    const first = await refresh(refresh_token);
    await refresh(String(first.body.refresh_token));

    const stats = await call<{ tokenGrants: Record<string, number>; calls: Record<string, number> }>(emulator, "GET", "/_emulator/stats");

    expect(stats.body.tokenGrants).toEqual({ refresh_token: 2 });
    expect(stats.body.calls["POST /connect/token 200"]).toBe(2);
  });
});
