/**
 * No error and no log line ever carries an access token, a refresh token, the client secret or a
 * PBX apiKey, even when a (misbehaving) server echoes them back.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { DimensionsClient, SharedTokenCache, createClientFromEnv } from "../../src/client";
import { type Handler, type TokenServer, drop, fail, ok, page, reply, startServer, startTokenServer } from "./fixtures/fake-server";

const SECRETS = {
  clientSecret: "cs-5f0e1d2c3b4a-secret",
  refreshToken: "rt-initial-9a8b7c6d5e4f",
  apiKey: "pbx-apikey-0123456789abcdef",
};
const CLIENT_ID = "client-secret-test";

let dir: string;
let tokens: TokenServer | undefined;
let lines: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-secrets-"));
  lines = [];
});
afterEach(async () => {
  await tokens?.close();
  tokens = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The client's environment for the running token server, with the known secret values. */
function clientEnv(): NodeJS.ProcessEnv {
  if (!tokens) throw new Error("start the token server first");
  return {
    DIMENSIONS_API_URL: tokens.url,
    DIMENSIONS_TOKEN_URL: tokens.tokenUrl,
    DIMENSIONS_CLIENT_ID: CLIENT_ID,
    DIMENSIONS_CLIENT_SECRET: SECRETS.clientSecret,
    DIMENSIONS_REFRESH_TOKEN: SECRETS.refreshToken,
    DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "credentials.json"),
  };
}

async function setup(api: Handler) {
  tokens = await startTokenServer({ clientId: CLIENT_ID, clientSecret: SECRETS.clientSecret, refreshToken: SECRETS.refreshToken }, api);
  return createClientFromEnv(clientEnv(), {}, { log: (line) => lines.push(line) });
}

/** Every secret known at this point: the fixed ones plus every token the server issued. */
function allSecrets(): string[] {
  return [SECRETS.clientSecret, SECRETS.refreshToken, SECRETS.apiKey, ...(tokens?.validAccessTokens ?? []), tokens?.currentRefreshToken ?? ""].filter(
    (s) => s.length > 0,
  );
}

function expectClean(err: unknown): void {
  expect(err).toBeInstanceOf(Error);
  const renderings = [String(err), (err as Error).stack ?? "", JSON.stringify(err), inspect(err, { depth: 10, showHidden: true }), ...lines];
  for (const text of renderings) {
    for (const secret of allSecrets()) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/Bearer\s+(?!\[redacted\])\S/);
  }
}

const pbxCustomer = {
  name: "Acme",
  description: "d",
  reference: "acme",
  pbxConnectionProfile: { _type: "KazooPbxConnectionProfile" as const, hostRest: "h", hostWebsocket: "w", accountId: "a", apiKey: SECRETS.apiKey },
};

test("GIVEN a server that echoes the bearer token and the apiKey in an error WHEN creating a customer THEN the ApiError is redacted", async () => {
  const api = await setup((req, res) => {
    const body = req.json as { pbxConnectionProfile: { apiKey: string } };
    fail(res, 400, "ValidationFailed", `apiKey '${body.pbxConnectionProfile.apiKey}' rejected for ${req.headers.authorization}`);
  });
  const err = await api.createCustomer(pbxCustomer, { acceptCharges: true }).catch((e: unknown) => e);
  expect(String(err)).toContain("ValidationFailed");
  expect(String(err)).toContain("[redacted]");
  expectClean(err);
});

test("GIVEN a 2xx that echoes the apiKey in a malformed customer WHEN creating THEN ResponseSchemaMismatch carries no value", async () => {
  const api = await setup((req, res) => {
    if (req.method === "POST") ok(res, { id: 42, name: "Acme", pbxConnectionProfile: { apiKey: SECRETS.apiKey } }, 201);
    else page(res, req, []);
  });
  const err = await api.createCustomer(pbxCustomer, { acceptCharges: true }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: "ResponseSchemaMismatch" });
  expectClean(err);
});

test("GIVEN a dropped connection on a POST with an apiKey WHEN creating THEN CreateOutcomeUnknown and the lookup log lines are clean", async () => {
  await setup((req, res) => (req.method === "POST" ? drop(res) : page(res, req, [])));
  // Same token cache as createClientFromEnv builds, with a short outcome wait (the default is 60 s).
  const api = new DimensionsClient({
    baseUrl: tokens?.url ?? "",
    tokens: new SharedTokenCache({
      tokenUrl: tokens?.tokenUrl ?? "",
      clientId: CLIENT_ID,
      clientSecret: SECRETS.clientSecret,
      refreshToken: SECRETS.refreshToken,
      credentialsFile: path.join(dir, "credentials.json"),
    }),
    createRetryDelayMs: 20,
    createOutcomeWaitMs: 200,
    log: (line) => lines.push(line),
  });
  const err = await api.createCustomer(pbxCustomer, { acceptCharges: true }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: "CreateOutcomeUnknown" });
  expect(lines.length).toBeGreaterThan(0);
  expectClean(err);
}, 20_000);

test("GIVEN a token endpoint that echoes the refresh token and secret WHEN the grant is refused THEN the AuthError is redacted", async () => {
  const server = await startServer((req, res) => {
    const form = new URLSearchParams(req.text);
    reply(res, 400, { error: "invalid_grant", error_description: `token ${form.get("refresh_token")} for secret ${form.get("client_secret")} is spent` });
  });
  try {
    const api = createClientFromEnv(
      {
        DIMENSIONS_API_URL: server.url,
        DIMENSIONS_TOKEN_URL: `${server.url}/connect/token`,
        DIMENSIONS_CLIENT_ID: CLIENT_ID,
        DIMENSIONS_CLIENT_SECRET: SECRETS.clientSecret,
        DIMENSIONS_REFRESH_TOKEN: SECRETS.refreshToken,
        DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "credentials.json"),
      },
      {},
      { log: (line) => lines.push(line) },
    );
    const err = await api.listCustomers().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RefreshTokenRejected" });
    expectClean(err);
  } finally {
    await server.close();
  }
});

test("GIVEN a wrong client secret WHEN refreshing THEN ClientRejected names the variables, not the values", async () => {
  tokens = await startTokenServer({ clientId: CLIENT_ID, clientSecret: "the-right-one", refreshToken: SECRETS.refreshToken });
  const api = createClientFromEnv(
    clientEnv(),
    {},
  );
  const err = await api.listCustomers().catch((e: unknown) => e);
  expect(err).toMatchObject({ code: "ClientRejected" });
  expect(String(err)).toContain("DIMENSIONS_CLIENT_SECRET");
  expectClean(err);
});

test("GIVEN a 401 and then a 429 WHEN calling THEN the refresh and retry log lines carry no token", async () => {
  let calls = 0;
  const api = await setup((req, res) => {
    calls += 1;
    if (calls === 1) fail(res, 429, "RateLimited", "slow down", {}, { "retry-after": "1" });
    else fail(res, 404, "NotFound", `no such thing for ${req.headers.authorization}`);
  });
  await api.listCustomers().catch(() => undefined); // 429 → retry → 404
  tokens?.revokeAccessTokens();
  const err = await api.getCustomer("00000000-0000-4000-8000-000000000001").catch((e: unknown) => e);
  expect(lines.some((l) => l.includes("401"))).toBe(true);
  expect(lines.some((l) => l.includes("429"))).toBe(true);
  expectClean(err);
});
