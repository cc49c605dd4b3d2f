/**
 * The hostile-input corpus: requests a careless or malicious client could send, each answered with
 * the right status and error code, never a 500, and never leaving anything behind. Every case is
 * one or a few loopback requests against a fresh world (two resellers, a customer with an admin,
 * a plain user and an access request); after it, the emulator still lists customers and its state
 * (the `/_emulator/state` dump, the model itself, clock and faults) is what it was before.
 *
 * Groups: malformed and oversized bodies on every JSON route; prototype keys in every table (tokens,
 * ids in paths, resellers, PBX accounts, JSON Patch paths, header names); odd methods and headers;
 * path traversal; cross-tenant and cross-reseller access.
 */
import * as net from "node:net";
import type { RunningEmulator } from "../../src/emulator/server";
import { call, Client, login, tokenRequest, uniqueRef, useEmulator, type Answer } from "./support";

let emulator: RunningEmulator;

useEmulator((ctx) => {
  emulator = ctx.emulator;
});

// --- the world each case starts from --------------------------------------------------------------

interface World {
  /** The demo reseller's partner user (account.user, customer.admin, tm.admin). */
  demo: Client;
  partnerUserId: string;
  demoCredentials: { clientId: string; clientSecret: string; refreshToken: string };
  /** A demo customer with an admin and a plain user, and a pending access request for it. */
  customerId: string;
  adminId: string;
  userId: string;
  requestId: string;
  /** That customer's admin (A4), and a legacy impersonation of it by the demo partner. */
  adminToken: string;
  impersonationToken: string;
  /** Another customer of the demo reseller. */
  secondCustomerId: string;
  /** A second reseller (POST /_emulator/resellers), with a customer and an admin of its own. */
  other: Client;
  otherCredentials: { clientId: string; clientSecret: string; refreshToken: string };
  otherCustomerId: string;
  otherUserId: string;
}

async function ok<T>(answer: Promise<Answer<T>>, status = 200): Promise<T> {
  const settled = await answer;
  if (settled.status !== status) throw new Error(`world setup → ${settled.status} ${settled.text}`);
  return settled.body;
}

async function world(): Promise<World> {
  const demoLogin = await login(emulator, "demo", "demo@reseller.test");
  const demo = new Client(emulator, demoLogin.access_token);
  const { customerId, adminId } = await demo.customerWithAdmin();
  const userId = await demo.createUser(customerId, "ana@acme.test", ["customer.user"]);
  const secondCustomerId = await demo.createCustomer();
  const request = await ok(
    demo.call<{ data: { id: string } }>("POST", "/accessrequests", {
      name: "SupportAccess",
      associations: [{ userIds: [demoLogin.partnerUserId], tenantIds: [customerId], mode: "support" }],
    }),
    201,
  );
  const adminToken = (await ok(call<{ access_token: string }>(emulator, "POST", `/_emulator/customers/${customerId}/admin-token`))).access_token;
  const impersonationToken = (await ok(demo.call<{ data: { token: string } }>("POST", `/customers/${customerId}/impersonate`, { mode: "support" }))).data.token;
  const reseller = await ok(
    call<{ accessToken: string; clientId: string; clientSecret: string; refreshToken: string }>(emulator, "POST", "/_emulator/resellers", { name: "other" }),
    201,
  );
  const other = new Client(emulator, reseller.accessToken);
  const otherCustomer = await other.customerWithAdmin();
  const d = emulator.demo;
  return {
    demo,
    partnerUserId: demoLogin.partnerUserId,
    demoCredentials: { clientId: d.clientId, clientSecret: d.clientSecret, refreshToken: d.refreshToken },
    customerId,
    adminId,
    userId,
    requestId: request.data.id,
    adminToken,
    impersonationToken,
    secondCustomerId,
    other,
    otherCredentials: { clientId: reseller.clientId, clientSecret: reseller.clientSecret, refreshToken: reseller.refreshToken },
    otherCustomerId: otherCustomer.customerId,
    otherUserId: otherCustomer.adminId,
  };
}

/** Everything a refused request must leave alone. */
async function snapshot() {
  const dump = await call<Record<string, unknown>>(emulator, "GET", "/_emulator/state");
  expect(dump.status).toBe(200);
  const { now: _now, ...state } = dump.body;
  return {
    state,
    model: JSON.stringify(emulator.store.state),
    clock: (await call<{ offsetSeconds: number }>(emulator, "GET", "/_emulator/clock")).body.offsetSeconds,
    faults: (await call(emulator, "GET", "/_emulator/faults")).body,
  };
}

// --- raw HTTP, for what fetch would refuse or normalise -------------------------------------------

/** Sends `head` (request line and headers, without the final blank line) and `body` as they are. */
function raw(head: string, body = ""): Promise<Answer> {
  const { port } = new URL(emulator.url);
  const text = `${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ""}\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.end(text));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error("no answer within 5 s")), 5000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString("utf8");
      const split = response.indexOf("\r\n\r\n");
      const [statusLine, ...headerLines] = response.slice(0, split).split("\r\n");
      const headers = new Headers();
      for (const line of headerLines) headers.append(line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim());
      const bodyText = response.slice(split + 4);
      let parsed: unknown;
      try {
        parsed = bodyText ? JSON.parse(bodyText) : undefined;
      } catch {
        parsed = undefined;
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, text: bodyText, body: parsed as Record<string, unknown> });
    });
  });
}

// --- the cases ------------------------------------------------------------------------------------

interface Case {
  /** What is sent, for the test's name. */
  given: string;
  send: (w: World) => Promise<Answer>;
  status: number;
  /** The envelope's errorCode (API and control routes). */
  errorCode?: string;
  /** The OAuth error (`/connect/token`). */
  oauth?: string;
  /** Checks beyond status and code. */
  then?: (answer: Answer, w: World) => void;
}

/** A JSON body route, with a body it would accept and the token it needs to reach the body. */
interface BodyRoute {
  method: string;
  path: (w: World) => string;
  body: (w: World) => unknown;
  token?: (w: World) => string;
  charges?: boolean;
}

const BODY_ROUTES: Record<string, BodyRoute> = {
  "POST /customers": { method: "POST", path: () => "/customers", body: () => ({ name: "Acme", description: "d", reference: uniqueRef() }), charges: true },
  "PATCH /customers/{C}": { method: "PATCH", path: (w) => `/customers/${w.customerId}`, body: () => [{ op: "replace", path: "/name", value: "Renamed" }] },
  "POST /customers/{C}/users": {
    method: "POST",
    path: (w) => `/customers/${w.customerId}/users`,
    body: () => ({ email: "new@acme.test", displayName: "New", roles: [] }),
    charges: true,
  },
  "PATCH /customers/{C}/users/{U}": { method: "PATCH", path: (w) => `/customers/${w.customerId}/users/${w.userId}`, body: () => [{ op: "replace", path: "/displayName", value: "Ana B" }] },
  "POST …/devices/pbx/{D}/assign": { method: "POST", path: (w) => `/customers/${w.customerId}/users/${w.userId}/devices/pbx/dev-1/assign`, body: () => ({ clientType: "desktop" }) },
  "PUT …/devices/pbx/{D}/unassign": { method: "PUT", path: (w) => `/customers/${w.customerId}/users/${w.userId}/devices/pbx/dev-1/unassign`, body: () => ({ clientType: "desktop" }) },
  "POST /accessrequests": {
    method: "POST",
    path: () => "/accessrequests",
    body: (w) => ({ name: "ConfigureAccess", associations: [{ userIds: [w.partnerUserId], tenantIds: [w.customerId], mode: "configure" }] }),
  },
  "POST /customers/{C}/impersonate": { method: "POST", path: (w) => `/customers/${w.customerId}/impersonate`, body: () => ({ mode: "support" }) },
  "POST /customers/{C}/accessrequests/{R}/grant": {
    method: "POST",
    path: (w) => `/customers/${w.customerId}/accessrequests/${w.requestId}/grant`,
    body: () => ({ message: "ok" }),
    token: (w) => w.adminToken,
  },
  "POST /customers/{C}/accessrequests/{R}/reject": {
    method: "POST",
    path: (w) => `/customers/${w.customerId}/accessrequests/${w.requestId}/reject`,
    body: () => ({ message: "no" }),
    token: (w) => w.adminToken,
  },
  "PATCH /customers/{C}/accessrequests/{R}": {
    method: "PATCH",
    path: (w) => `/customers/${w.customerId}/accessrequests/${w.requestId}`,
    body: () => [{ op: "replace", path: "/expiresAt", value: null }],
    token: (w) => w.adminToken,
  },
  "POST /_emulator/resellers": { method: "POST", path: () => "/_emulator/resellers", body: () => ({ name: "third" }) },
  "POST /_emulator/resellers/{name}/partner-users": {
    method: "POST",
    path: () => "/_emulator/resellers/demo/partner-users",
    body: () => [{ email: "p@reseller.test", displayName: "P", roles: [] }],
  },
  "PUT /_emulator/pbx/{account}/users": { method: "PUT", path: () => "/_emulator/pbx/acct-1/users", body: () => [{ email: "r@acme.test", displayName: "R" }] },
  "POST /_emulator/login": { method: "POST", path: () => "/_emulator/login", body: () => ({ reseller: "demo", email: "demo@reseller.test" }) },
  "PATCH /_emulator/customers/{C}/users/{U}": { method: "PATCH", path: (w) => `/_emulator/customers/${w.customerId}/users/${w.userId}`, body: () => ({ isParent: true }) },
  "POST /_emulator/clock": { method: "POST", path: () => "/_emulator/clock", body: () => ({ advanceSeconds: 60 }) },
  "PUT /_emulator/faults": { method: "PUT", path: () => "/_emulator/faults", body: () => ({ seed: 1, rules: [{ rate: 1, kind: "500" }] }) },
  "PUT /_emulator/auth": { method: "PUT", path: () => "/_emulator/auth", body: () => ({ accessTokenSeconds: 60 }) },
};

/** `{"x":{"x":…1…}}`, `levels` deep. */
function nested(levels: number): string {
  return `${'{"x":'.repeat(levels)}1${"}".repeat(levels)}`;
}

const DEEP = nested(5000);

/** The route's valid body as text, with `extra` (raw JSON text) added to its first object. */
function withExtra(body: unknown, key: string, extra: string): string {
  return JSON.stringify(body).replace("{", `{${JSON.stringify(key)}:${extra},`);
}

function sendBody(w: World, route: BodyRoute, text: string, contentType = "application/json"): Promise<Answer> {
  const token = route.token?.(w) ?? w.demo.token;
  return call(emulator, route.method, route.path(w), undefined, { token, charges: route.charges, raw: text, headers: { "content-type": contentType } });
}

const bodyCases: Case[] = Object.entries(BODY_ROUTES).flatMap(([name, route]): Case[] => [
  {
    given: `${name} with an extra key nested 5,000 deep`,
    send: (w) => sendBody(w, route, withExtra(route.body(w), "extra", DEEP)),
    status: 400,
    errorCode: "ValidationFailed",
    then: (a) => expect(a.body.message).toMatch(/deeper than 32 levels/),
  },
  {
    given: `${name} with a "__proto__" key`,
    send: (w) => sendBody(w, route, withExtra(route.body(w), "__proto__", '{"polluted":true}')),
    status: 400,
    errorCode: "ValidationFailed",
    then: (a) => expect(a.body.message).toMatch(/'__proto__'/),
  },
  { given: `${name} with a body that is not JSON`, send: (w) => sendBody(w, route, '{"name": "Acme",'), status: 400, errorCode: "ValidationFailed" },
  {
    given: `${name} with content type text/plain`,
    send: (w) => sendBody(w, route, JSON.stringify(route.body(w)), "text/plain"),
    status: 400,
    errorCode: "ValidationFailed",
  },
]);

const KAZOO = { _type: "KazooPbxConnectionProfile", hostRest: "https://pbx.test", hostWebsocket: "wss://pbx.test", accountId: "acct-1", apiKey: "k" };
const TEN_MB = "x".repeat(10 * 1024 * 1024);

const malformedCases: Case[] = [
  {
    given: "POST /customers with a PBX profile holding an extra key nested 5,000 deep (issue 8)",
    send: (w) => {
      const text = JSON.stringify({ name: "A", description: "d", reference: uniqueRef(), pbxConnectionProfile: KAZOO }).replace('"apiKey":"k"', `"apiKey":"k","extra":${DEEP}`);
      return w.demo.call("POST", "/customers", undefined, { charges: true, raw: text, headers: { "content-type": "application/json" } });
    },
    status: 400,
    errorCode: "ValidationFailed",
  },
  {
    given: "POST /customers with a body nested 33 deep (one past the limit)",
    send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true, raw: withExtra({ name: "A", description: "d", reference: uniqueRef() }, "features", nested(32)), headers: { "content-type": "application/json" } }),
    status: 400,
    errorCode: "ValidationFailed",
  },
  {
    given: "POST /customers with a body nested 32 deep (at the limit: refused for its content, not its depth)",
    send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true, raw: withExtra({ name: "A", description: "d", reference: uniqueRef() }, "features", nested(31)), headers: { "content-type": "application/json" } }),
    status: 400,
    errorCode: "ValidationFailed",
    then: (a) => expect(a.body.message).toBe("The field 'features.x' must be of type number."),
  },
  { given: "POST /customers with a 10 MB body", send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true, raw: `{"name":"${TEN_MB}"}`, headers: { "content-type": "application/json" } }), status: 413, errorCode: "PayloadTooLarge" },
  { given: "PUT /_emulator/pbx/{account}/users with a 10 MB body", send: () => call(emulator, "PUT", "/_emulator/pbx/acct-1/users", undefined, { raw: `["${TEN_MB}"]`, headers: { "content-type": "application/json" } }), status: 413, errorCode: "PayloadTooLarge" },
  {
    given: "POST /connect/token with a 10 MB form",
    send: () => call(emulator, "POST", "/connect/token", undefined, { raw: `grant_type=refresh_token&refresh_token=${TEN_MB}`, headers: { "content-type": "application/x-www-form-urlencoded" } }),
    status: 413,
    errorCode: "PayloadTooLarge",
  },
  { given: "POST /customers with an empty body", send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true }), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /customers with the body null", send: (w) => w.demo.call("POST", "/customers", null, { charges: true }), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /customers/{C}/users with an array body", send: (w) => w.demo.call("POST", `/customers/${w.customerId}/users`, [{ email: "a@acme.test" }], { charges: true }), status: 400, errorCode: "ValidationFailed" },
  { given: "PATCH /customers/{C} with an object instead of a JSON Patch", send: (w) => w.demo.call("PATCH", `/customers/${w.customerId}`, { name: "X" }), status: 400, errorCode: "ValidationFailed" },
  {
    given: "PATCH /customers/{C} whose second operation is invalid (the first must not apply)",
    send: (w) => w.demo.call("PATCH", `/customers/${w.customerId}`, [{ op: "replace", path: "/name", value: "Renamed" }, { op: "replace", path: "/enabled", value: "yes" }]),
    status: 400,
    errorCode: "ValidationFailed",
  },
  { given: "POST /customers with trialDuration 1e308", send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true, raw: `{"name":"A","description":"d","reference":"${uniqueRef()}","trialDuration":1e308}`, headers: { "content-type": "application/json" } }), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /customers with a feature count of 1e400 (Infinity)", send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true, raw: `{"name":"A","description":"d","reference":"${uniqueRef()}","features":{"agent":1e400}}`, headers: { "content-type": "application/json" } }), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /customers with pageIndex past 2^53", send: (w) => w.demo.call("GET", "/customers?pageIndex=99999999999999999999"), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /customers with pageSize 0", send: (w) => w.demo.call("GET", "/customers?pageSize=0"), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /connect/token with a JSON body", send: () => call(emulator, "POST", "/connect/token", { grant_type: "refresh_token" }), status: 400, oauth: "invalid_request" },
  { given: "a request line that is not HTTP", send: () => raw("THIS IS NOT HTTP"), status: 400, errorCode: "ValidationFailed" },
  {
    given: "a body with two different Content-Length headers",
    send: () => raw('POST /_emulator/clock HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6', '{"advanceSeconds":60}'),
    status: 400,
    errorCode: "ValidationFailed",
  },
];

const PROTOTYPE_NAMES = ["__proto__", "constructor", "hasOwnProperty", "toString", "valueOf"];

const prototypeCases: Case[] = [
  // Tokens
  ...PROTOTYPE_NAMES.map((name): Case => ({
    given: `Authorization: Bearer ${name}`,
    send: () => call(emulator, "GET", "/customers", undefined, { token: name }),
    status: 401,
  })),
  ...["__proto__", "constructor", "toString"].map((name): Case => ({
    given: `refresh_token=${name}`,
    send: (w) => tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: name, client_id: w.demoCredentials.clientId, client_secret: w.demoCredentials.clientSecret }),
    status: 400,
    oauth: "invalid_grant",
    then: (a) => expect(a.body.error_description).toMatch(/invalid/),
  })),
  ...["__proto__", "constructor"].map((name): Case => ({
    given: `an authorization code ${name}`,
    send: (w) => tokenRequest(emulator, { grant_type: "authorization_code", code: name, client_id: w.demoCredentials.clientId, client_secret: w.demoCredentials.clientSecret }),
    status: 400,
    oauth: "invalid_grant",
    then: (a) => expect(a.body.error_description).toMatch(/invalid/),
  })),
  ...["__proto__", "constructor"].map((name): Case => ({
    given: `client_id=${name}`,
    send: (w) => tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: w.demoCredentials.refreshToken, client_id: name, client_secret: "x" }),
    status: 400,
    oauth: "invalid_client",
  })),
  // Ids in paths
  { given: "GET /customers/__proto__", send: (w) => w.demo.call("GET", "/customers/__proto__"), status: 400, errorCode: "ValidationFailed" },
  { given: "DELETE /customers/constructor", send: (w) => w.demo.call("DELETE", "/customers/constructor"), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /customers/{C}/users/__proto__", send: (w) => w.demo.call("GET", `/customers/${w.customerId}/users/__proto__`), status: 400, errorCode: "ValidationFailed" },
  { given: "DELETE /customers/{C}/users/constructor", send: (w) => w.demo.call("DELETE", `/customers/${w.customerId}/users/constructor`), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /accessrequests/__proto__", send: (w) => w.demo.call("GET", "/accessrequests/__proto__"), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /_emulator/customers/__proto__/admin-token", send: () => call(emulator, "POST", "/_emulator/customers/__proto__/admin-token"), status: 400, errorCode: "ValidationFailed" },
  { given: "PATCH /_emulator/customers/{C}/users/constructor", send: (w) => call(emulator, "PATCH", `/_emulator/customers/${w.customerId}/users/constructor`, { isParent: true }), status: 400, errorCode: "ValidationFailed" },
  // Resellers
  ...["__proto__", "constructor"].map((name): Case => ({
    given: `POST /_emulator/resellers/${name}/partner-users`,
    send: () => call(emulator, "POST", `/_emulator/resellers/${name}/partner-users`, [{ email: "p@x.test", displayName: "P", roles: [] }]),
    status: 404,
    errorCode: "NotFound",
  })),
  ...["__proto__", "toString"].map((name): Case => ({
    given: `POST /_emulator/login as reseller ${name}`,
    send: () => call(emulator, "POST", "/_emulator/login", { reseller: name, email: "demo@reseller.test" }),
    status: 404,
    errorCode: "NotFound",
  })),
  { given: "POST /_emulator/resellers named like the demo reseller", send: () => call(emulator, "POST", "/_emulator/resellers", { name: "demo" }), status: 400, errorCode: "ValidationFailed" },
  // JSON Patch paths
  ...["/__proto__", "/constructor", "/__proto__/name", "/toString", "/pbxConnectionProfile"].map((path): Case => ({
    given: `PATCH /customers/{C} on ${path}`,
    send: (w) => w.demo.call("PATCH", `/customers/${w.customerId}`, [{ op: "replace", path, value: "x" }]),
    status: 400,
    errorCode: "ValidationFailed",
    then: (a) => expect(a.body.message).toMatch(/^The target location specified by path segment '.+' was not found\.$/),
  })),
  ...[
    ["add", "/roles/__proto__"],
    ["replace", "/roles/__proto__"],
    ["remove", "/roles/__proto__"],
    ["remove", "/roles/constructor"],
    ["add", "/roles/length"],
    ["replace", "/__proto__"],
    ["replace", "/constructor"],
    ["add", "/roles/__proto__/0"],
  ].map(([op, path]): Case => ({
    given: `PATCH /customers/{C}/users/{U} ${op} ${path}`,
    send: (w) => w.demo.patchUser(w.customerId, w.userId, [{ op, path, value: "customer.user.supervisorl1" }]),
    status: 400,
    errorCode: "ValidationFailed",
  })),
  {
    given: "PATCH /customers/{C}/accessrequests/{R} on /__proto__",
    send: (w) => call(emulator, "PATCH", `/customers/${w.customerId}/accessrequests/${w.requestId}`, [{ op: "replace", path: "/__proto__", value: null }], { token: w.adminToken }),
    status: 400,
    errorCode: "ValidationFailed",
  },
  { given: "POST /customers with features {\"__proto__\": 5}", send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true, raw: `{"name":"A","description":"d","reference":"${uniqueRef()}","features":{"__proto__":5}}`, headers: { "content-type": "application/json" } }), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /customers with the key \"\\u005f_proto__\" (escaped)", send: (w) => w.demo.call("POST", "/customers", undefined, { charges: true, raw: `{"name":"A","description":"d","reference":"${uniqueRef()}","features":{"\\u005f_proto__":5}}`, headers: { "content-type": "application/json" } }), status: 400, errorCode: "ValidationFailed" },
  // Header names
  {
    given: "POST /customers with headers named __proto__ and constructor but no accept-charges",
    send: (w) => raw(`POST /api/v1.0/customers HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}\r\nContent-Type: application/json\r\n__proto__: accept-charges\r\nconstructor: true`, JSON.stringify({ name: "A", description: "d", reference: uniqueRef() })),
    status: 402,
    errorCode: "ChargesNotAccepted",
  },
];

const methodCases: Case[] = [
  { given: "TRACE /customers", send: (w) => raw(`TRACE /api/v1.0/customers HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}`), status: 405, errorCode: "MethodNotAllowed", then: (a) => expect(a.headers.get("allow")).toBe("GET, POST") },
  { given: "OPTIONS /customers/{C}", send: (w) => raw(`OPTIONS /api/v1.0/customers/${w.customerId} HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}`), status: 405, errorCode: "MethodNotAllowed" },
  { given: "OPTIONS *", send: () => raw("OPTIONS * HTTP/1.1"), status: 404, errorCode: "RouteNotFound" },
  { given: "a method HTTP does not know (FOO)", send: () => raw("FOO /api/v1.0/customers HTTP/1.1"), status: 400, errorCode: "ValidationFailed" },
  { given: "PUT /_emulator/reset", send: () => call(emulator, "PUT", "/_emulator/reset"), status: 405, errorCode: "MethodNotAllowed" },
  { given: "DELETE /_emulator/state", send: () => call(emulator, "DELETE", "/_emulator/state"), status: 405, errorCode: "MethodNotAllowed" },
  {
    given: "two Authorization headers, the first valid",
    send: (w) => raw(`DELETE /api/v1.0/customers/${w.customerId} HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}\r\nAuthorization: Bearer at_other`),
    status: 401,
  },
  { given: "two Authorization headers, both the same valid token", send: (w) => raw(`DELETE /api/v1.0/customers/${w.customerId} HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}\r\nAuthorization: Bearer ${w.demo.token}`), status: 401 },
  { given: "Authorization: Bearer with two tokens in one header", send: (w) => call(emulator, "DELETE", `/customers/${w.customerId}`, undefined, { headers: { authorization: `Bearer ${w.demo.token} ${w.demo.token}` } }), status: 401 },
  { given: "Authorization: Basic with the demo client on the API", send: (w) => call(emulator, "GET", "/customers", undefined, { headers: { authorization: `Basic ${Buffer.from(`${w.demoCredentials.clientId}:${w.demoCredentials.clientSecret}`).toString("base64")}` } }), status: 401 },
  { given: "a 20 KB header", send: (w) => raw(`GET /api/v1.0/customers HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}\r\nX-Padding: ${"a".repeat(20_000)}`), status: 400, errorCode: "ValidationFailed" },
  { given: "accept-charges: true, twice", send: (w) => raw(`POST /api/v1.0/customers HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}\r\nContent-Type: application/json\r\naccept-charges: true\r\naccept-charges: false`, JSON.stringify({ name: "A", description: "d", reference: uniqueRef() })), status: 402, errorCode: "ChargesNotAccepted" },
  { given: "POST /customers with accept-charges: yes", send: (w) => w.demo.call("POST", "/customers", { name: "A", description: "d", reference: uniqueRef() }, { headers: { "accept-charges": "yes" } }), status: 402, errorCode: "ChargesNotAccepted" },
];

const traversalCases: Case[] = [
  { given: "GET /api/v1.0/../_emulator/state", send: () => raw("GET /api/v1.0/../_emulator/state HTTP/1.1"), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /api/v1.0/customers/../../_emulator/reset", send: () => raw("POST /api/v1.0/customers/../../_emulator/reset HTTP/1.1"), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /api/v1.0/%2e%2e/_emulator/state", send: () => raw("GET /api/v1.0/%2e%2e/_emulator/state HTTP/1.1"), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /api/v1.0/%2E%2e/%2e%2E/_emulator/reset", send: () => raw("POST /api/v1.0/%2E%2e/%2e%2E/_emulator/reset HTTP/1.1"), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /api/v1.0\\..\\_emulator\\state", send: () => raw("GET /api/v1.0\\..\\_emulator\\state HTTP/1.1"), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /api/v1.0/customers/./{C}", send: (w) => raw(`GET /api/v1.0/customers/./${w.customerId} HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}`), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /_emulator/../_emulator/reset", send: () => raw("POST /_emulator/../_emulator/reset HTTP/1.1"), status: 400, errorCode: "ValidationFailed" },
  { given: "POST /api/v1.0/customers/..%2F..%2F_emulator/reset (an encoded slash stays in its segment)", send: (w) => raw(`POST /api/v1.0/customers/..%2F..%2F_emulator/reset HTTP/1.1\r\nAuthorization: Bearer ${w.demo.token}`), status: 404, errorCode: "RouteNotFound" },
  { given: "DELETE /api/v1.0/customers/..%2F{C}", send: (w) => w.demo.call("DELETE", `/customers/..%2F${w.customerId}`), status: 400, errorCode: "ValidationFailed" },
  { given: "GET /api/v1.0/%252e%252e/_emulator/state (double-encoded)", send: () => raw("GET /api/v1.0/%252e%252e/_emulator/state HTTP/1.1"), status: 404, errorCode: "RouteNotFound" },
];

/** The first reseller's objects never appear in an answer to the second. */
function mentionsNone(...ids: Array<(w: World) => string>) {
  return (a: Answer, w: World) => {
    for (const id of ids) expect(a.text).not.toContain(id(w));
  };
}

const isolationCases: Case[] = [
  // The second reseller against the first one's objects
  { given: "the second reseller listing customers", send: (w) => w.other.call("GET", "/customers"), status: 200, then: mentionsNone((w) => w.customerId, (w) => w.secondCustomerId) },
  { given: "the second reseller filtering customers by the first one's name", send: (w) => w.other.call("GET", "/customers?filter=Acme"), status: 200, then: (a, w) => expect((a.body.data as Array<{ id: string }>).map((c) => c.id)).toEqual([w.otherCustomerId]) },
  { given: "the second reseller reading the first one's customer", send: (w) => w.other.call("GET", `/customers/${w.customerId}`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller renaming the first one's customer", send: (w) => w.other.call("PATCH", `/customers/${w.customerId}`, [{ op: "replace", path: "/name", value: "Stolen" }]), status: 404, errorCode: "NotFound" },
  { given: "the second reseller deleting the first one's customer", send: (w) => w.other.call("DELETE", `/customers/${w.customerId}`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller listing the first one's users", send: (w) => w.other.call("GET", `/customers/${w.customerId}/users`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller reading the first one's user", send: (w) => w.other.call("GET", `/customers/${w.customerId}/users/${w.userId}`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller adding a user to the first one's customer", send: (w) => w.other.call("POST", `/customers/${w.customerId}/users`, { email: "x@acme.test", displayName: "X", roles: ["customer.user", "user.admin"] }, { charges: true }), status: 404, errorCode: "NotFound" },
  { given: "the second reseller granting roles to the first one's user", send: (w) => w.other.patchUser(w.customerId, w.userId, [{ op: "add", path: "/roles/-", value: "user.admin" }]), status: 404, errorCode: "NotFound" },
  { given: "the second reseller deleting the first one's admin", send: (w) => w.other.call("DELETE", `/customers/${w.customerId}/users/${w.adminId}`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller assigning a device to the first one's user", send: (w) => w.other.call("POST", `/customers/${w.customerId}/users/${w.userId}/devices/pbx/d1/assign`, { clientType: "desktop" }), status: 404, errorCode: "NotFound" },
  { given: "the second reseller sending the first one's user an activation e-mail", send: (w) => w.other.call("POST", `/customers/${w.customerId}/users/${w.userId}/sendActivationEmail`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller reading a user of its own customer through the first one's customer id", send: (w) => w.other.call("GET", `/customers/${w.customerId}/users/${w.otherUserId}`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller reading the first one's user through its own customer id", send: (w) => w.other.call("GET", `/customers/${w.otherCustomerId}/users/${w.userId}`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller listing access requests", send: (w) => w.other.call("GET", "/accessrequests"), status: 200, then: mentionsNone((w) => w.requestId) },
  { given: "the second reseller reading the first one's access request", send: (w) => w.other.call("GET", `/accessrequests/${w.requestId}`), status: 404, errorCode: "NotFound" },
  { given: "the second reseller withdrawing the first one's access request", send: (w) => w.other.call("DELETE", `/accessrequests/${w.requestId}`), status: 404, errorCode: "NotFound" },
  {
    given: "the second reseller requesting access to the first one's customer",
    send: (w) => w.other.call("POST", "/accessrequests", { name: "Sneak", associations: [{ userIds: [w.partnerUserId], tenantIds: [w.customerId], mode: "support" }] }),
    status: 400,
    errorCode: "ValidationFailed",
  },
  { given: "the second reseller impersonating the first one's customer", send: (w) => w.other.call("POST", `/customers/${w.customerId}/impersonate`, { mode: "support" }), status: 404, errorCode: "NotFound" },
  { given: "the second reseller listing partner users", send: (w) => w.other.call("GET", "/accounts/me/users"), status: 200, then: mentionsNone((w) => w.partnerUserId) },
  {
    given: "the second reseller's client refreshing the demo user's token",
    send: (w) => tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: w.demoCredentials.refreshToken, client_id: w.otherCredentials.clientId, client_secret: w.otherCredentials.clientSecret }),
    status: 400,
    oauth: "invalid_grant",
  },
  {
    given: "the demo client with the second reseller's secret",
    send: (w) => tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: w.demoCredentials.refreshToken, client_id: w.demoCredentials.clientId, client_secret: w.otherCredentials.clientSecret }),
    status: 400,
    oauth: "invalid_client",
  },
  { given: "a login as the demo partner user under the second reseller", send: () => call(emulator, "POST", "/_emulator/login", { reseller: "other", email: "demo@reseller.test" }), status: 404, errorCode: "NotFound" },
  { given: "the demo reseller reading the second one's customer", send: (w) => w.demo.call("GET", `/customers/${w.otherCustomerId}`), status: 404, errorCode: "NotFound" },
  // Tenant tokens outside their tenant
  { given: "a customer admin's token listing the reseller's customers", send: (w) => call(emulator, "GET", "/customers", undefined, { token: w.adminToken }), status: 403, errorCode: "AccessDenied" },
  { given: "a customer admin's token reading another customer's access requests", send: (w) => call(emulator, "GET", `/customers/${w.secondCustomerId}/accessrequests`, undefined, { token: w.adminToken }), status: 403, errorCode: "AccessDenied" },
  { given: "a customer admin's token granting on another reseller's customer", send: (w) => call(emulator, "POST", `/customers/${w.otherCustomerId}/accessrequests/${w.requestId}/grant`, {}, { token: w.adminToken }), status: 403, errorCode: "AccessDenied" },
  { given: "a customer admin's token changing a user", send: (w) => call(emulator, "PATCH", `/customers/${w.customerId}/users/${w.userId}`, [{ op: "replace", path: "/displayName", value: "X" }], { token: w.adminToken }), status: 403, errorCode: "AccessDenied" },
  { given: "a partner token granting a request (A4: only the tenant's admin)", send: (w) => w.demo.call("POST", `/customers/${w.customerId}/accessrequests/${w.requestId}/grant`, {}), status: 403, errorCode: "AccessDenied" },
  { given: "an impersonation token on another customer of the same reseller", send: (w) => call(emulator, "GET", `/customers/${w.secondCustomerId}/users`, undefined, { token: w.impersonationToken }), status: 403, errorCode: "AccessDenied" },
  { given: "an impersonation token on the second reseller's customer", send: (w) => call(emulator, "DELETE", `/customers/${w.otherCustomerId}`, undefined, { token: w.impersonationToken }), status: 403, errorCode: "AccessDenied" },
  { given: "an impersonation token listing customers", send: (w) => call(emulator, "GET", "/customers", undefined, { token: w.impersonationToken }), status: 403, errorCode: "AccessDenied" },
  { given: "an impersonation token creating an access request", send: (w) => call(emulator, "POST", "/accessrequests", { name: "X", associations: [{ userIds: [w.partnerUserId], tenantIds: [w.customerId], mode: "support" }] }, { token: w.impersonationToken }), status: 403, errorCode: "AccessDenied" },
];

const GROUPS: Array<[string, Case[]]> = [
  ["malformed and oversized bodies on every JSON route", bodyCases],
  ["malformed requests", malformedCases],
  ["prototype keys", prototypeCases],
  ["odd methods and headers", methodCases],
  ["path traversal", traversalCases],
  ["cross-tenant and cross-reseller access", isolationCases],
];

describe.each(GROUPS)("hostile input: %s", (_group, cases) => {
  test.each(cases.map((c) => [c.given, c] as const))("GIVEN %s WHEN it is sent THEN the answer is coded, the emulator still answers and nothing changed", async (_given, c) => {
    const w = await world();
    const before = await snapshot();

    const answer = await c.send(w);

    expect({ status: answer.status, text: answer.text.slice(0, 300) }).toMatchObject({ status: c.status });
    if (c.errorCode) expect(answer.body).toMatchObject({ error: c.status, errorCode: c.errorCode, status: "error" });
    if (c.oauth) expect(answer.body).toMatchObject({ error: c.oauth });
    // §1: a 401 has an empty body.
    if (c.status === 401) expect(answer.text).toBe("");
    c.then?.(answer, w);
    expect((await w.demo.call("GET", "/customers")).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });
});

// --- names that look like prototype members are ordinary names ------------------------------------

describe("hostile input: prototype names as ordinary keys", () => {
  test.each(["__proto__", "constructor", "0", "toString"])(
    "GIVEN a PBX directory seeded for account %p WHEN a customer is created with that account THEN 201 and exactly that directory's users are imported",
    async (account) => {
      const w = await world();
      const seeded = await call(emulator, "PUT", `/_emulator/pbx/${encodeURIComponent(account)}/users`, [{ email: "reception@acme.test", displayName: "Reception" }]);

      const created = await w.demo.call<{ data: { id: string } }>("POST", "/customers", { name: "Pbx", description: "d", reference: uniqueRef(), pbxConnectionProfile: { ...KAZOO, accountId: account } }, { charges: true });

      expect(seeded.status).toBe(200);
      expect(created.status).toBe(201);
      const users = await w.demo.call<{ data: Array<{ email: string }> }>("GET", `/customers/${created.body.data.id}/users`);
      expect(users.body.data.map((u) => u.email)).toEqual(["reception@acme.test"]);
      expect((await call(emulator, "GET", "/_emulator/state")).status).toBe(200);
    },
  );

  test.each(["__proto__", "constructor", "0", "hasOwnProperty"])(
    "GIVEN no PBX directory for account %p WHEN it is read, and a customer is created with it THEN the directory is empty and no user is imported",
    async (account) => {
      const w = await world();

      const read = await call<{ users: unknown[] }>(emulator, "GET", `/_emulator/pbx/${encodeURIComponent(account)}/users`);
      const created = await w.demo.call<{ data: { id: string } }>("POST", "/customers", { name: "Pbx", description: "d", reference: uniqueRef(), pbxConnectionProfile: { ...KAZOO, accountId: account } }, { charges: true });

      expect(read.body).toEqual({ accountId: account, users: [] });
      expect(created.status).toBe(201);
      const users = await w.demo.call<{ data: unknown[] }>("GET", `/customers/${created.body.data.id}/users`);
      expect(users.body.data).toEqual([]);
    },
  );

  test.each(["0", "constructor", "toString"])(
    "GIVEN a PBX directory seeded for account __proto__ WHEN a customer is created with account %p THEN 201, nothing is imported and the state still dumps (issue 8)",
    async (account) => {
      const w = await world();
      await call(emulator, "PUT", "/_emulator/pbx/__proto__/users", [{ email: "reception@acme.test", displayName: "Reception" }]);

      const created = await w.demo.call<{ data: { id: string } }>("POST", "/customers", { name: "Pbx", description: "d", reference: uniqueRef(), pbxConnectionProfile: { ...KAZOO, accountId: account } }, { charges: true });

      expect(created.status).toBe(201);
      const users = await w.demo.call<{ data: unknown[] }>("GET", `/customers/${created.body.data.id}/users`);
      expect(users.body.data).toEqual([]);
      expect((await call(emulator, "GET", "/_emulator/state")).status).toBe(200);
      expect((await call(emulator, "GET", `/_emulator/pbx/${account}/users`)).body).toEqual({ accountId: account, users: [] });
    },
  );

  test("GIVEN a reseller named constructor WHEN it logs in and lists customers THEN it sees only its own", async () => {
    const w = await world();
    const created = await call<{ accessToken: string }>(emulator, "POST", "/_emulator/resellers", { name: "constructor" });
    const reseller = new Client(emulator, created.body.accessToken);

    const listed = await reseller.call<{ data: unknown[] }>("GET", "/customers");

    expect(created.status).toBe(201);
    expect(listed.body.data).toEqual([]);
    expect((await w.demo.call("GET", "/customers")).status).toBe(200);
  });

  test("GIVEN a feature named constructor WHEN a customer is created THEN it is stored and echoed like any other", async () => {
    const w = await world();

    const created = await w.demo.call<{ data: { features: Record<string, number> } }>("POST", "/customers", { name: "F", description: "d", reference: uniqueRef(), features: { constructor: 2, agent: 1 } }, { charges: true });

    expect(created.status).toBe(201);
    expect(created.body.data.features).toEqual({ constructor: 2, agent: 1 });
  });
});
