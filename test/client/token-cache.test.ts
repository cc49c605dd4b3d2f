/**
 * The shared token cache and createClientFromEnv: file permissions, reuse across "processes"
 * (instances), rotation, 401 handling, and clear errors for missing or rejected credentials.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AuthError, ClientConfigError, DimensionsClient, SharedTokenCache, createClientFromEnv } from "../../src/client";
import { type TokenServer, page, startTokenServer } from "./fixtures/fake-server";

const CLIENT = { clientId: "client-1", clientSecret: "client-secret-value", refreshToken: "refresh-0-initial" };

let dir: string;
let tokens: TokenServer | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-client-"));
});
afterEach(async () => {
  await tokens?.close();
  tokens = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function envFor(server: TokenServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    DIMENSIONS_API_URL: server.url,
    DIMENSIONS_TOKEN_URL: server.tokenUrl,
    DIMENSIONS_CLIENT_ID: CLIENT.clientId,
    DIMENSIONS_CLIENT_SECRET: CLIENT.clientSecret,
    DIMENSIONS_REFRESH_TOKEN: CLIENT.refreshToken,
    DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "nested", "credentials.json"),
    ...extra,
  };
}

describe("credentials file", () => {
  test("GIVEN no cache WHEN the first call needs a token THEN the file is created with mode 0600 in a 0700 directory", async () => {
    tokens = await startTokenServer(CLIENT);
    const env = envFor(tokens);
    const api = createClientFromEnv(env, {});
    await api.listCustomers();
    const file = env.DIMENSIONS_CREDENTIALS_FILE as string;
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(api.tokenGrants).toBe(1);
    // The rotated refresh token is what the file keeps, never the spent one.
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain(tokens.currentRefreshToken);
    expect(text).not.toContain(CLIENT.refreshToken);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith(".tmp") || f.endsWith(".lock"))).toEqual([]);
  });

  test("GIVEN a valid cached token WHEN a second process starts THEN it uses the cache without a grant", async () => {
    tokens = await startTokenServer(CLIENT);
    const env = envFor(tokens);
    await createClientFromEnv(env, {}).listCustomers();
    const second = createClientFromEnv(env, {});
    await second.listCustomers();
    expect(second.tokenGrants).toBe(0);
    expect(tokens.grants).toBe(1);
  });

  test("GIVEN an expired cached token and a spent env refresh token WHEN refreshing THEN the cached (rotated) refresh token is used", async () => {
    tokens = await startTokenServer({ ...CLIENT, expiresIn: 1 });
    const env = envFor(tokens);
    await createClientFromEnv(env, {}).listCustomers();
    await new Promise((r) => setTimeout(r, 1100));
    const later = createClientFromEnv(env, {});
    await later.listCustomers();
    expect(later.tokenGrants).toBe(1);
    expect(tokens.grants).toBe(2);
    expect(tokens.rejected).toBe(0); // the spent env token was never tried
  });

  test("GIVEN a new refresh token in the env WHEN refreshing THEN it is preferred over the cached chain", async () => {
    tokens = await startTokenServer({ ...CLIENT, expiresIn: 1 });
    const env = envFor(tokens);
    await createClientFromEnv(env, {}).listCustomers();
    await new Promise((r) => setTimeout(r, 1100));
    // The user signed in again: the server issued a new refresh token out of band.
    tokens.currentRefreshToken = "refresh-from-new-login";
    const api = createClientFromEnv({ ...env, DIMENSIONS_REFRESH_TOKEN: "refresh-from-new-login" }, {});
    await api.listCustomers();
    expect(tokens.rejected).toBe(0);
    expect(api.tokenGrants).toBe(1);
  });

  test("GIVEN a cached refresh token WHEN DIMENSIONS_REFRESH_TOKEN is unset THEN the cache alone is enough", async () => {
    tokens = await startTokenServer({ ...CLIENT, expiresIn: 1 });
    const env = envFor(tokens);
    await createClientFromEnv(env, {}).listCustomers();
    await new Promise((r) => setTimeout(r, 1100));
    const { DIMENSIONS_REFRESH_TOKEN: _unused, ...withoutRefresh } = env;
    const api = createClientFromEnv(withoutRefresh, {});
    await api.listCustomers();
    expect(api.tokenGrants).toBe(1);
  });

  test("GIVEN a revoked refresh token WHEN refreshing THEN RefreshTokenRejected says what happened and how to fix it", async () => {
    tokens = await startTokenServer(CLIENT);
    tokens.currentRefreshToken = "something-else";
    const api = createClientFromEnv(envFor(tokens), {});
    const err = (await api.listCustomers().catch((e: unknown) => e)) as AuthError;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe("RefreshTokenRejected");
    expect(err.message).toMatch(/rotate/);
    expect(err.message).toMatch(/DIMENSIONS_REFRESH_TOKEN/);
    expect(err.message).toMatch(/Sign in again/);
  });

  test("GIVEN DIMENSIONS_ACCESS_TOKEN WHEN calling THEN it is used as is and no file is written", async () => {
    tokens = await startTokenServer(CLIENT);
    tokens.validAccessTokens.add("fixed-access-token");
    const env: NodeJS.ProcessEnv = { ...envFor(tokens), DIMENSIONS_ACCESS_TOKEN: "fixed-access-token" };
    const api = createClientFromEnv(env, {});
    await api.listCustomers();
    expect(tokens.grants).toBe(0);
    expect(fs.existsSync(env.DIMENSIONS_CREDENTIALS_FILE as string)).toBe(false);
  });
});

describe("401 handling", () => {
  test("GIVEN the access token is revoked early WHEN a call answers 401 THEN the client refreshes once and retries once", async () => {
    tokens = await startTokenServer(CLIENT, (req, res) => page(res, req, []));
    const env = envFor(tokens);
    const api = createClientFromEnv(env, {});
    await api.listCustomers();
    tokens.revokeAccessTokens();
    await api.listCustomers();
    expect(api.tokenGrants).toBe(2);
    expect(api.requestCount).toBe(3); // 1 + (401 + retry)
  });

  test("GIVEN a server that keeps answering 401 WHEN calling THEN only one refresh and one retry happen before the 401 surfaces", async () => {
    tokens = await startTokenServer(CLIENT, (_req, res) => {
      res.writeHead(401);
      res.end();
    });
    const api = createClientFromEnv(envFor(tokens), {});
    await expect(api.listCustomers()).rejects.toMatchObject({ status: 401, errorCode: "Http401" });
    expect(api.tokenGrants).toBe(2);
    expect(api.requestCount).toBe(2);
  });

  test("GIVEN a fixed access token WHEN the API answers 401 THEN there is no retry", async () => {
    tokens = await startTokenServer(CLIENT);
    const api = createClientFromEnv({ ...envFor(tokens), DIMENSIONS_ACCESS_TOKEN: "not-valid" }, {});
    await expect(api.listCustomers()).rejects.toMatchObject({ status: 401 });
    expect(api.requestCount).toBe(1);
  });

  test("GIVEN concurrent calls in one process WHEN no token is cached THEN they share a single grant", async () => {
    tokens = await startTokenServer({ ...CLIENT, delayMs: 100 }, (req, res) => page(res, req, []));
    const cache = new SharedTokenCache({ ...CLIENT, tokenUrl: tokens.tokenUrl, credentialsFile: path.join(dir, "c.json") });
    const api = new DimensionsClient({ baseUrl: tokens.url, tokens: cache });
    await Promise.all([api.listCustomers(), api.listCustomers(), api.listUsers("00000000-0000-4000-8000-000000000001")]);
    expect(tokens.grants).toBe(1);
  });
});

describe("createClientFromEnv", () => {
  test("GIVEN no credentials at all WHEN creating THEN CredentialsMissing lists every missing variable", () => {
    const err = (() => {
      try {
        createClientFromEnv({ DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "none.json") }, { region: "eu" });
      } catch (e) {
        return e;
      }
      return undefined;
    })() as ClientConfigError;
    expect(err).toBeInstanceOf(ClientConfigError);
    expect(err.code).toBe("CredentialsMissing");
    for (const name of ["DIMENSIONS_CLIENT_ID", "DIMENSIONS_CLIENT_SECRET", "DIMENSIONS_REFRESH_TOKEN", "DIMENSIONS_ACCESS_TOKEN"]) {
      expect(err.message).toContain(name);
    }
  });

  test("GIVEN only a client id and secret WHEN creating THEN only the refresh token is reported missing", () => {
    expect(() =>
      createClientFromEnv({ DIMENSIONS_CLIENT_ID: "a", DIMENSIONS_CLIENT_SECRET: "b", DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "none.json") }, { region: "eu" }),
    ).toThrow(/missing DIMENSIONS_REFRESH_TOKEN\./);
  });

  test("GIVEN no URL anywhere WHEN creating THEN InvalidConfiguration says what to set", () => {
    expect(() => createClientFromEnv({ DIMENSIONS_ACCESS_TOKEN: "t" }, {})).toThrow(/DIMENSIONS_API_URL/);
  });

  test("GIVEN DIMENSIONS_API_URL and settings WHEN creating THEN the env wins, then apiUrl, then the region", async () => {
    tokens = await startTokenServer(CLIENT);
    tokens.validAccessTokens.add("t");
    // env wins over a bogus apiUrl: the call reaches the fake server
    await createClientFromEnv({ DIMENSIONS_ACCESS_TOKEN: "t", DIMENSIONS_API_URL: tokens.url }, { apiUrl: "http://127.0.0.1:9", region: "eu" }).listCustomers();
    // apiUrl wins over the region
    await createClientFromEnv({ DIMENSIONS_ACCESS_TOKEN: "t" }, { apiUrl: tokens.url, region: "eu" }).listCustomers();
    expect(tokens.validAccessTokens.size).toBe(1);
    expect(() => createClientFromEnv({ DIMENSIONS_ACCESS_TOKEN: "t" }, { region: "uk" })).not.toThrow();
  });
});

describe("robustness", () => {
  test("GIVEN a corrupt credentials file WHEN a token is needed THEN it is reported, refreshed and rewritten", async () => {
    tokens = await startTokenServer(CLIENT);
    const env = envFor(tokens);
    const file = env.DIMENSIONS_CREDENTIALS_FILE as string;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, "{ not json", { mode: 0o644 });
    const lines: string[] = [];
    await createClientFromEnv(env, {}, { log: (l) => lines.push(l) }).listCustomers();
    expect(lines.some((l) => l.includes("not a valid token cache"))).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({ version: 1 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test("GIVEN a server that caps the page size below the asked one WHEN listing THEN every page is still fetched", async () => {
    const all = Array.from({ length: 5 }, (_, n) => ({ id: `00000000-0000-4000-8000-00000000000${n}`, name: `c${n}` }));
    tokens = await startTokenServer(CLIENT, (req, res) => {
      const index = Number(req.query.get("pageIndex"));
      // Ignores pageSize=1000 and serves 2 per page, saying so in page_size.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ page_size: 2, page_index: index, data: all.slice(index * 2, index * 2 + 2), status: "success" }));
    });
    expect(await createClientFromEnv(envFor(tokens), {}).listCustomers()).toHaveLength(5);
  });
});
