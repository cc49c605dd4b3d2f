/**
 * Every way the handler's input can be wrong ends the same way: exit 1, exactly one coded line
 * `dimensions: <Code> [<rule>]: …` on stderr (plus at most one `dimensions: hint:` line), and no
 * stack trace. Table-driven over `main()`: malformed payloads, manifests, environments, and API
 * answers that break the contract (the real client against a fake server on 127.0.0.1).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { createClientFromEnv, DimensionsClient, StaticTokenProvider } from "../../src/client";
import { PAYLOAD_CHUNK_CHARS, SYNTH_FAILED_DIGEST } from "../../src/contracts/handler";
import { main, type ApiFactory } from "../../src/handler/main";
import { MemoryMarkerStore } from "../../src/handler/markers";
import { drop, fail, guid, ok, page, reply, startServer, type FakeServer, type Recorded } from "../client/fixtures/fake-server";
import { ANA, anaEntry, CUSTOMER, encodePayload, manifestOf, PBX_ENV, PBX_KEY, REF, tenantPayload } from "./fake-api";

const PAYLOAD = tenantPayload(anaEntry());
const MANIFEST = JSON.stringify(manifestOf(PAYLOAD));
const TOKEN = "static-access-token-0123456789";

let dir: string;
let servers: FakeServer[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-failure-lines-"));
});

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Writes a manifest (raw text) and returns its path and digest. */
function manifest(content: string | Buffer = MANIFEST, name = "dimensions.manifest.json"): { file: string; digest: string } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return { file, digest: sha256(content) };
}

/** The environment of a valid run of PAYLOAD, without API credentials (and no shared credentials file). */
function validEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { file, digest } = manifest();
  return {
    DIMENSIONS_PAYLOAD: encodePayload(PAYLOAD),
    DIMENSIONS_MANIFEST: file,
    DIMENSIONS_MANIFEST_DIGEST: digest,
    DIMENSIONS_CREDENTIALS_FILE: path.join(dir, "credentials.json"),
    [PBX_ENV]: PBX_KEY,
    ...overrides,
  };
}

const gzipBase64 = (text: string | Buffer): string => gzipSync(text).toString("base64");

// --- a fake API: each case writes the answer to one route, the rest answer as the contract says ---

type Route = (req: Recorded, res: http.ServerResponse) => boolean;

const LIVE = { id: guid(1), name: CUSTOMER.name, description: CUSTOMER.description, reference: REF, enabled: true, timezone: CUSTOMER.timezone, pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", accountId: CUSTOMER.pbx.accountId } };

async function api(route: Route): Promise<string> {
  const server = await startServer((req, res) => {
    if (route(req, res)) return;
    if (req.method === "GET" && req.path === "/api/v1.0/customers") return page(res, req, []);
    if (req.method === "GET" && req.path.endsWith("/users")) return page(res, req, []);
    if (req.method === "PATCH") return ok(res);
    fail(res, 404, "NotFound", "Not Found");
  });
  servers.push(server);
  return server.url;
}

const listingCustomers = (req: Recorded) => req.method === "GET" && req.path === "/api/v1.0/customers";
const creating = (req: Recorded) => req.method === "POST";

/** A route that answers the requests `match` picks with `answer`. */
function when(match: (req: Recorded) => boolean, answer: (req: Recorded, res: http.ServerResponse) => void): Route {
  return (req, res) => {
    if (!match(req)) return false;
    answer(req, res);
    return true;
  };
}

/** The first of `routes` that answers. */
function either(...routes: Route[]): Route {
  return (req, res) => routes.some((route) => route(req, res));
}

/** An answer of `status` with `text` as it is. */
function text(status: number, body: string, contentType = "text/html"): (req: Recorded, res: http.ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(status, body ? { "content-type": contentType } : {});
    res.end(body);
  };
}

/** The environment of a valid run against `url`, with a bearer token (the real client, from the environment). */
async function against(route: Route, overrides: NodeJS.ProcessEnv = {}): Promise<Run> {
  const url = await api(route);
  return { env: validEnv({ DIMENSIONS_API_URL: url, DIMENSIONS_ACCESS_TOKEN: TOKEN, ...overrides }) };
}

/** As `against`, with the real client told not to retry (so a 5xx or a drop fails at once). */
async function againstWithoutRetries(route: Route): Promise<Run> {
  const url = await api(route);
  const createApi: ApiFactory = async () => new DimensionsClient({ baseUrl: url, tokens: new StaticTokenProvider(TOKEN), retryLimit: 0, createOutcomeWaitMs: 0, timeoutMs: 5000 });
  return { env: validEnv(), createApi };
}

/** A token endpoint that answers every grant with `status` and `body`. */
async function tokenEndpoint(status: number, body: unknown, contentType = "application/json"): Promise<Run> {
  const url = await api(when((req) => req.path === "/connect/token", text(status, typeof body === "string" ? body : JSON.stringify(body), contentType)));
  return {
    env: validEnv({
      DIMENSIONS_API_URL: url,
      DIMENSIONS_TOKEN_URL: `${url}/connect/token`,
      DIMENSIONS_CLIENT_ID: "client-1",
      DIMENSIONS_CLIENT_SECRET: "client-secret-0123456789",
      DIMENSIONS_REFRESH_TOKEN: "refresh-token-0123456789",
    }),
  };
}

// --- the cases ------------------------------------------------------------------------------------

interface Run {
  argv?: string[];
  env: NodeJS.ProcessEnv;
  /** Default: the real client, built from the environment. */
  createApi?: ApiFactory;
}

/**
 * What main() builds by default, imported statically: the handler loads the client with a dynamic
 * import(), which jest's VM cannot run.
 */
const fromEnvironment: ApiFactory = async (env, settings, report) =>
  createClientFromEnv(env, { region: settings.region, apiUrl: settings.apiUrl }, { log: (line) => report.debug(line) });

interface Case {
  given: string;
  run: () => Run | Promise<Run>;
  code: string;
  rule?: string;
  /** On the rest of the line, after `<Code> [<rule>]: `. */
  message?: RegExp;
}

const payloadCases: Case[] = [
  { given: "no payload", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: undefined }) }), code: "PayloadInvalid", message: /not set or empty/ },
  { given: "a payload that is not base64", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: "definitely not a payload!" }) }), code: "PayloadInvalid", message: /is not base64/ },
  { given: "a payload that is base64 but not gzip", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: Buffer.from("plain text").toString("base64") }) }), code: "PayloadInvalid", message: /not of gzip data/ },
  { given: "a payload that is gzip but not JSON", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: gzipBase64("{not json") }) }), code: "PayloadInvalid", message: /does not hold JSON/ },
  { given: "a payload that is a JSON array", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: encodePayload([PAYLOAD]) }) }), code: "PayloadInvalid", message: /not an object with t and i/ },
  { given: "a payload without i", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: encodePayload({ t: PAYLOAD.t }) }) }), code: "PayloadInvalid", message: /i\.kind is null/ },
  { given: "a payload of an unknown kind", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: encodePayload({ t: {}, i: { kind: "bucket" } }) }) }), code: "PayloadInvalid", message: /i\.kind is "bucket"/ },
  { given: "a tenant payload of the wrong shape", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: encodePayload({ t: { customer: 42, users: [] }, i: PAYLOAD.i }) }) }), code: "PayloadInvalid", message: /tenant payload does not match the contract: t\.customer/ },
  { given: "t as a string that is not JSON (null_resource)", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: encodePayload({ t: "{oops", i: JSON.stringify(PAYLOAD.i) }) }) }), code: "PayloadInvalid", message: /t is a string that does not hold JSON/ },
  {
    given: "a payload whose second chunk is missing",
    run: () => {
      const encoded = encodePayload(PAYLOAD);
      return { env: validEnv({ DIMENSIONS_PAYLOAD: encoded.slice(0, 40), DIMENSIONS_PAYLOAD_2: encoded.slice(40) }) };
    },
    code: "PayloadInvalid",
    message: /DIMENSIONS_PAYLOAD_1 is unset or empty while DIMENSIONS_PAYLOAD_2 is set/,
  },
  { given: "a payload cut at the end of its last chunk", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: "A".repeat(PAYLOAD_CHUNK_CHARS) }) }), code: "PayloadTooLarge", message: /it is cut/ },
  { given: "a payload that decompresses to 65 MiB (a gzip bomb)", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: gzipBase64(Buffer.alloc(65 * 1024 * 1024, 0x20)) }) }), code: "PayloadInvalid", message: /more than 64 MiB/ },
  { given: "a payload nested 100,000 deep", run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: gzipBase64(`{"t":${"[".repeat(100_000)}${"]".repeat(100_000)},"i":{"kind":"tenant"}}`) }) }), code: "PayloadInvalid", message: /deeper than 64 levels/ },
  { given: 'a payload with a "__proto__" user', run: () => ({ env: validEnv({ DIMENSIONS_PAYLOAD: gzipBase64(JSON.stringify(PAYLOAD).replace('"users":{', '"users":{"__proto__":{"roles":["user.admin"]},')) }) }), code: "PayloadInvalid", message: /"__proto__"/ },
];

const manifestCases: Case[] = [
  { given: "no manifest variable", run: () => ({ env: validEnv({ DIMENSIONS_MANIFEST: undefined }) }), code: "ManifestMissing", message: /DIMENSIONS_MANIFEST is not set/ },
  { given: "a manifest path that does not exist", run: () => ({ env: validEnv({ DIMENSIONS_MANIFEST: path.join(dir, "missing.json") }) }), code: "ManifestMissing", message: /\(ENOENT\)$/ },
  { given: "a manifest path that is a directory", run: () => ({ env: validEnv({ DIMENSIONS_MANIFEST: dir }) }), code: "ManifestMissing", message: /\(EISDIR\)$/ },
  { given: "a manifest that is not JSON", run: () => ({ env: validEnv({ ...digestOf("{not json") }) }), code: "ManifestInvalid", message: /is not JSON$/ },
  { given: "a manifest that is JSON null", run: () => ({ env: validEnv({ ...digestOf("null") }) }), code: "ManifestInvalid", message: /does not match this handler/ },
  { given: "a manifest of version 1", run: () => ({ env: validEnv({ ...digestOf(JSON.stringify({ ...manifestOf(PAYLOAD), version: 1 })) }) }), code: "ManifestInvalid", message: /version/ },
  { given: "a manifest nested 100,000 deep", run: () => ({ env: validEnv({ ...digestOf(`{"version":2,"stack":"s","objects":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`) }) }), code: "ManifestInvalid", message: /deeper than 64 levels/ },
  {
    given: "a manifest whose entry for this customer breaks the contract",
    run: () => against(() => false, digestOf(JSON.stringify({ version: 2, stack: "s", objects: { [`customer:${REF}`]: { t: {}, i: { kind: "tenant" } } } }))),
    code: "ManifestInvalid",
    message: /entry "customer:ACME-001"/,
  },
  { given: "a manifest without this customer", run: () => against(() => false, digestOf(JSON.stringify(manifestOf()))), code: "ManifestMismatch", message: /does not hold this customer/ },
  { given: "a manifest of another configuration (digest mismatch)", run: () => ({ env: validEnv({ DIMENSIONS_MANIFEST_DIGEST: sha256("another synth") }) }), code: "ManifestMismatch", message: /does not belong to the configuration being applied/ },
  { given: "no manifest digest", run: () => ({ env: validEnv({ DIMENSIONS_MANIFEST_DIGEST: undefined }) }), code: "ManifestMismatch", message: /DIMENSIONS_MANIFEST_DIGEST is not set/ },
  { given: "a configuration synthesized with errors", run: () => ({ env: validEnv({ DIMENSIONS_MANIFEST_DIGEST: SYNTH_FAILED_DIGEST }) }), code: "SynthFailed" },
];

/** The manifest variables for a manifest holding `content`. */
function digestOf(content: string): NodeJS.ProcessEnv {
  const { file, digest } = manifest(content, "other.manifest.json");
  return { DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: digest };
}


const environmentCases: Case[] = [
  ...["0", "65", "soon", "2.5", "-1", " "].map((value): Case => ({
    given: `DIMENSIONS_CONCURRENCY=${JSON.stringify(value)}`,
    run: () => ({ env: validEnv({ DIMENSIONS_CONCURRENCY: value }) }),
    code: "EnvInvalid",
    message: /DIMENSIONS_CONCURRENCY/,
  })),
  { given: "DIMENSIONS_LOG_LEVEL=verbose", run: () => ({ env: validEnv({ DIMENSIONS_LOG_LEVEL: "verbose" }) }), code: "EnvInvalid", message: /DIMENSIONS_LOG_LEVEL/ },
  { given: "no argument", run: () => ({ argv: [], env: validEnv() }), code: "UsageInvalid", message: /got none/ },
  { given: "the argument destroy", run: () => ({ argv: ["destroy"], env: validEnv() }), code: "UsageInvalid" },
  { given: "two arguments", run: () => ({ argv: ["apply", "--force"], env: validEnv() }), code: "UsageInvalid" },
  { given: "no API credentials", run: () => ({ env: validEnv({ DIMENSIONS_API_URL: "http://127.0.0.1:9" }) }), code: "CredentialsMissing", message: /DIMENSIONS_CLIENT_ID/ },
  { given: "an API URL that is not a URL", run: () => ({ env: validEnv({ DIMENSIONS_API_URL: "not a url", DIMENSIONS_ACCESS_TOKEN: TOKEN }) }), code: "InvalidConfiguration", message: /is not a URL/ },
  { given: "an API URL that is not http(s)", run: () => ({ env: validEnv({ DIMENSIONS_API_URL: "ftp://api.test", DIMENSIONS_ACCESS_TOKEN: TOKEN }) }), code: "InvalidConfiguration", message: /must be http or https/ },
  {
    given: "a token URL that is not http(s)",
    run: () => ({ env: validEnv({ DIMENSIONS_API_URL: "http://127.0.0.1:9", DIMENSIONS_TOKEN_URL: "file:///etc/passwd", DIMENSIONS_CLIENT_ID: "c", DIMENSIONS_CLIENT_SECRET: "s", DIMENSIONS_REFRESH_TOKEN: "r" }) }),
    code: "InvalidConfiguration",
    message: /DIMENSIONS_TOKEN_URL is not an http\(s\) URL/,
  },
  { given: "no Kazoo API key for a customer to create", run: () => against(() => false, { [PBX_ENV]: undefined }), code: "PbxApiKeyMissing", rule: "C4", message: /ACME_KAZOO_KEY is not set/ },
];

const apiCases: Case[] = [
  {
    given: "the customer list answered 200 with HTML",
    run: () => against(when(listingCustomers, text(200, "<html>maintenance</html>"))),
    code: "ResponseSchemaMismatch",
    message: /not JSON/,
  },
  { given: "the customer list answered 200 with data that is not a list", run: () => against(when(listingCustomers, (_req, res) => ok(res, "nope"))), code: "ResponseSchemaMismatch" },
  { given: "the customer list answered 200 with an empty body", run: () => against(when(listingCustomers, text(200, ""))), code: "ResponseSchemaMismatch" },
  { given: "a customer whose id is not a GUID", run: () => against(when(listingCustomers, (req, res) => page(res, req, [{ ...LIVE, id: "not-a-guid" }]))), code: "ResponseSchemaMismatch", message: /data\.0\.id/ },
  { given: "users without an e-mail", run: () => against(either(when(listingCustomers, (req, res) => page(res, req, [LIVE])), when((req) => req.path.endsWith("/users"), (req, res) => page(res, req, [{ id: guid(2), displayName: "Ana" }])))), code: "ResponseSchemaMismatch" },
  { given: "a created customer without an id", run: () => against(when(creating, (_req, res) => ok(res, { name: "Acme" }, 201))), code: "ResponseSchemaMismatch" },
  {
    given: "an error code with a line break and a terminal escape",
    run: () => against(when(listingCustomers, (_req, res) => fail(res, 400, "Bad\nCode\u001b[2J", "first line\nsecond line\u001b[31m red"))),
    code: "Http400",
    message: /first line second line .*red/,
  },
  { given: "a 100 KB error message", run: () => against(when(listingCustomers, (_req, res) => fail(res, 400, "ValidationFailed", "x".repeat(100_000)))), code: "ValidationFailed", message: /… \(99500 more characters\)/ },
  { given: "a 404 with an HTML body", run: () => against(when(listingCustomers, text(404, "<h1>Not Found</h1>"))), code: "Http404" },
  { given: "a 401 (the bearer token is refused)", run: () => against(when(listingCustomers, (_req, res) => reply(res, 401))), code: "Unauthorized", message: /rejected the credentials/ },
  { given: "a 403 AccessDenied", run: () => against(when(listingCustomers, (_req, res) => fail(res, 403, "AccessDenied", "No."))), code: "AccessDenied" },
  { given: "a 429 asking to wait an hour", run: () => against(when(listingCustomers, (_req, res) => fail(res, 429, "RateLimited", "Too Many Requests", {}, { "retry-after": "3600" }))), code: "RateLimited" },
  { given: "a 500 (no retries)", run: () => againstWithoutRetries(when(listingCustomers, (_req, res) => fail(res, 500, "InternalError", "Internal Server Error"))), code: "InternalError" },
  { given: "a dropped connection (no retries)", run: () => againstWithoutRetries(when(listingCustomers, (_req, res) => drop(res))), code: "NetworkError", message: /no response/ },
  { given: "a create answered 402", run: () => against(when(creating, (_req, res) => fail(res, 402, "ChargesNotAccepted", "Creating a customer adds charges."))), code: "ChargesNotAccepted", rule: "C6", message: /^customer ACME-001: .*costs money/ },
  {
    given: "two customers with the reference",
    run: () => against(when(listingCustomers, (req, res) => page(res, req, [LIVE, { ...LIVE, id: guid(9) }]))),
    code: "DuplicateReference",
    rule: "C2",
  },
  { given: "the token endpoint refusing the refresh token", run: () => tokenEndpoint(400, { error: "invalid_grant", error_description: "used\nalready" }), code: "RefreshTokenRejected", message: /used already/ },
  { given: "the token endpoint refusing the client", run: () => tokenEndpoint(400, { error: "invalid_client" }), code: "ClientRejected" },
  { given: "the token endpoint answering 200 with HTML", run: () => tokenEndpoint(200, "<html></html>", "text/html"), code: "ResponseSchemaMismatch" },
  { given: "the token endpoint answering 500", run: () => tokenEndpoint(500, "oops", "text/plain"), code: "TokenEndpointError" },
];

const GROUPS: Array<[string, Case[]]> = [
  ["payload", payloadCases],
  ["manifest", manifestCases],
  ["environment", environmentCases],
  ["API answer", apiCases],
];

describe.each(GROUPS)("malformed %s", (_group, cases) => {
  test.each(cases.map((c) => [c.given, c] as const))("GIVEN %s WHEN the handler runs THEN it exits 1 with one coded line, at most a hint, and no stack trace", async (_given, c) => {
    const { argv, env, createApi } = await c.run();
    const out: string[] = [];
    const err: string[] = [];

    const code = await main(argv ?? ["apply"], env, { sink: { out: (l) => out.push(l), err: (l) => err.push(l) }, createApi: createApi ?? fromEnvironment, markers: new MemoryMarkerStore() });

    expect({ code, err }).toMatchObject({ code: 1 });
    const rule = c.rule ? ` \\[${c.rule}\\]` : "";
    expect(err[0]).toMatch(new RegExp(`^dimensions: ${c.code}${rule}: \\S`));
    if (c.message) expect(err[0].replace(/^dimensions: \S+( \[\w+\])?: /, "")).toMatch(c.message);
    expect(err.slice(1)).toEqual(err.length > 1 ? [expect.stringMatching(/^dimensions: hint: \S/)] : []);
    for (const line of [...out, ...err]) {
      // One line each, printable, and never a stack frame or a secret.
      // eslint-disable-next-line no-control-regex
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(line).not.toMatch(/\bat .+:\d+:\d+\)?$|^\s+at /);
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(PBX_KEY);
    }
  });
});

test("GIVEN a manifest starting with a UTF-8 byte-order mark WHEN the handler applies THEN it is read as the manifest and the tenant converges", async () => {
  const ana = { id: guid(2), displayName: "Ana", email: ANA };
  const url = await api(
    either(
      when(listingCustomers, (req, res) => page(res, req, [LIVE])),
      when((req) => req.method === "GET" && req.path === `/api/v1.0/customers/${LIVE.id}/users`, (req, res) => page(res, req, [ana])),
      when((req) => req.method === "GET" && req.path === `/api/v1.0/customers/${LIVE.id}/users/${ana.id}`, (_req, res) => ok(res, { ...ana, roles: ["customer.user", "user.admin"] })),
    ),
  );
  const { file, digest } = manifest(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MANIFEST)]), "bom.manifest.json");
  const err: string[] = [];

  const code = await main(["apply"], validEnv({ DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: digest, DIMENSIONS_API_URL: url, DIMENSIONS_ACCESS_TOKEN: TOKEN }), {
    sink: { out: () => undefined, err: (l) => err.push(l) },
    createApi: fromEnvironment,
    markers: new MemoryMarkerStore(),
  });

  expect({ code, err }).toEqual({ code: 0, err: [] });
});
