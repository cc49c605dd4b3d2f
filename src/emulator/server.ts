/**
 * The Dimensions API emulator (API contract §6): `node:http` on loopback, serving the API under
 * `/api/v1.0`, the identity endpoints under `/connect`, and test controls under `/_emulator`.
 *
 * Per request: read the body (≤ 1 MiB) → refuse `.`/`..` path segments → match the route
 * (404/405) → inject a fault if one is configured (API and identity routes only) → authenticate
 * (401, empty body) → check path GUIDs → run the handler and serialise its answer as one store
 * transaction → persist the store if it changed → answer. A handler validates everything before it
 * changes anything; whatever it throws (a refusal, or a bug answered as a 500) undoes every change it
 * made, so a request that is not answered 2xx/3xx never leaves anything behind. The server never
 * crashes on input.
 *
 * Persistence (`dataFile`): a control call (`/_emulator/*`) is written before it is answered; API
 * and identity calls are written coalesced (`Store.flushSoon`: within an interval that grows with
 * the file, 0.1–5 s), so a burst of thousands of calls does not rewrite the whole file each time.
 * `close()` writes whatever is still pending.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { API_PREFIX } from "../contracts/api";
import { EmulatorClock } from "./clock";
import { EmulatorCore } from "./core";
import { ApiError, errors, OAuthError } from "./errors";
import type { FaultRule } from "./faults";
import { checkGuidParams, RouteTable, type Reply, type RequestContext } from "./http";
import { parseJsonBody } from "./json-body";
import { accessRequestRoutes } from "./handlers/access-requests";
import { authRoutes } from "./handlers/auth";
import { controlRoutes } from "./handlers/controls";
import { customerRoutes } from "./handlers/customers";
import { userRoutes } from "./handlers/users";
import { Store, type Region } from "./store";

export type { Region } from "./store";
export type { StatsSnapshot } from "./stats";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /**
   * Keep the state in this JSON file across restarts: loaded on start, written atomically after
   * changes (control calls at once, API calls coalesced) and on `close()`.
   */
  dataFile?: string;
  /** Base clock in epoch milliseconds; `POST /_emulator/clock` adds an offset to it. @default Date.now */
  clock?: () => number;
  /** Region the emulator plays; the UK imports PBX users with `customer.user.uc.essential` (U10). @default "eu" */
  region?: Region;
}

export interface DemoCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Refresh token of the `demo` partner user (account.user, customer.admin, tm.admin). */
  readonly refreshToken: string;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:<port>`; the API is under `${url}/api/v1.0`. */
  readonly url: string;
  readonly tokenUrl: string;
  readonly demo: DemoCredentials;
  readonly region: Region;
  /** The emulator's current time (epoch ms), including clock advances. */
  now(): number;
  /** Direct access to the model, for assertions in tests. */
  readonly store: Store;
  close(): Promise<void>;
}

/** §1.1 limits: bodies above 1 MiB are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this, an oversized upload is cut off instead of drained. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

type Area = "api" | "connect" | "control";

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const clock = new EmulatorClock(options.clock ?? Date.now);
  const store = new Store(options.dataFile, clock.iso());
  const core = new EmulatorCore(store, clock, options.region ?? "eu");

  const api = new RouteTable();
  customerRoutes(api, core);
  userRoutes(api, core);
  accessRequestRoutes(api, core);
  const root = new RouteTable();
  authRoutes(root, core);
  controlRoutes(root, core);

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      // handle() answers every error itself; this only guards against a failure while answering.
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Malformed HTTP (bad request line, bad headers): answer with an envelope, never crash.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) {
      const body = JSON.stringify(new ApiError(400, "ValidationFailed", "Malformed HTTP request.").envelope(clock.iso()));
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const timestamp = clock.iso();
    let area: Area | undefined;
    let template = "(unknown)";
    let status: number | "dropped" = 500;
    try {
      const { body, tooLarge } = await readBody(req);
      let url: URL;
      try {
        url = new URL(req.url ?? "/", "http://emulator.invalid");
      } catch {
        throw errors.validation("Malformed request URL.");
      }
      // URL parsing resolves dot segments (even %2e%2e): refuse them instead of serving another route.
      if (hasDotSegment(req.url ?? "/")) throw errors.validation("The request path must not hold '.' or '..' segments.");
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
      area = areaOf(path);
      if (!area) throw errors.routeNotFound(method, path);
      const table = area === "api" ? api : root;
      const relative = area === "api" ? path.slice(API_PREFIX.length) || "/" : path;
      template = table.templateOf(relative) ?? "(unknown)";

      if (area !== "control") {
        const fault = core.faults.pick(method, path);
        if (fault) {
          const outcome = await injectFault(fault, req);
          if (outcome === "dropped") {
            status = "dropped";
            return;
          }
          if (outcome) throw outcome;
        }
      }
      if (tooLarge) throw errors.payloadTooLarge(MAX_BODY_BYTES);

      const match = table.resolve(method, relative);
      const ctx: RequestContext = {
        method,
        path,
        query: url.searchParams,
        headers: req.headers,
        params: match.params,
        rawBody: body,
        timestamp,
        json: () => parseJson(req, body),
        form: () => parseForm(req, body),
      };
      if (area === "api") ctx.principal = core.authenticate(req.headersDistinct.authorization);
      checkGuidParams(match.params);
      // One transaction: if the handler, or serialising its answer, throws, nothing it did stays.
      const answer = store.transaction(() => render(match.route.handler(ctx)));
      persist(area);
      status = answer.status;
      send(res, answer);
    } catch (err) {
      // Nothing to persist: a refused or failed request changed nothing (see Store.transaction).
      const answer = render(toReply(err, timestamp));
      status = answer.status;
      if (!res.destroyed) send(res, answer);
    } finally {
      if (area === "api" || area === "connect") core.stats.record(method, template, status, area === "api");
    }
  }

  /** Tests read the data file right after a control call (reset); API bursts are coalesced. */
  function persist(area: Area | undefined): void {
    if (area === "control") store.flush();
    else store.flushSoon();
  }

  async function injectFault(fault: FaultRule, req: http.IncomingMessage): Promise<ApiError | "dropped" | undefined> {
    switch (fault.kind) {
      case "drop":
        // No answer at all: the client sees the connection reset.
        req.socket.destroy();
        return "dropped";
      case "delay":
        await sleep(fault.delayMs ?? 1000);
        return undefined;
      case "429":
        return errors.rateLimited(fault.retryAfterSeconds ?? 1);
      case "500":
        return errors.internal();
      case "503":
        return errors.unavailable();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${address.port}`;
  core.url = url;

  let closed: Promise<void> | undefined;
  return {
    url,
    tokenUrl: `${url}/connect/token`,
    get demo(): DemoCredentials {
      const d = store.state.demo;
      return { clientId: d.clientId, clientSecret: d.clientSecret, refreshToken: d.refreshToken };
    },
    region: core.region,
    now: () => clock.now(),
    store,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close(() => {
          // Coalesced writes still pending go to the data file now; a failure rejects close().
          try {
            store.close();
            resolve();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function areaOf(path: string): Area | undefined {
  const lower = path.toLowerCase();
  if (lower === API_PREFIX.toLowerCase() || lower.startsWith(`${API_PREFIX.toLowerCase()}/`)) return "api";
  if (lower.startsWith("/connect/")) return "connect";
  if (lower === "/_emulator" || lower.startsWith("/_emulator/")) return "control";
  return undefined;
}

function readBody(req: http.IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Drain (so the client reads our 413 instead of a reset), up to a hard cap.
        tooLarge = true;
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: Buffer.concat(chunks), tooLarge }));
    req.on("error", () => resolve({ body: Buffer.alloc(0), tooLarge }));
    req.on("close", () => resolve({ body: Buffer.concat(chunks), tooLarge }));
  });
}

function contentType(req: http.IncomingMessage): string | undefined {
  return req.headers["content-type"]?.split(";")[0].trim().toLowerCase();
}

function parseJson(req: http.IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = contentType(req);
  // Lenient on a missing content type; strict on a wrong one (§1: JSON both ways, JSON Patch too).
  if (type !== undefined && type !== "application/json" && type !== "text/json" && !/^application\/[\w.+-]*\+json$/.test(type)) {
    throw errors.validation(`The content type '${type}' is not supported; send application/json.`);
  }
  return parseJsonBody(body.toString("utf8"));
}

/** A `.` or `..` segment, raw or percent-encoded, with `/` or `\` as separator (as URL parsing reads them). */
function hasDotSegment(target: string): boolean {
  const path = target.split(/[?#]/)[0];
  return path.split(/[/\\]/).some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}

function parseForm(req: http.IncomingMessage, body: Buffer): URLSearchParams {
  if (contentType(req) !== "application/x-www-form-urlencoded") {
    throw new OAuthError("invalid_request", "The token endpoint takes application/x-www-form-urlencoded.");
  }
  return new URLSearchParams(body.toString("utf8"));
}

function toReply(err: unknown, timestamp: string): Reply {
  if (err instanceof OAuthError) {
    return { status: err.status, body: { error: err.error, error_description: err.description }, headers: { "cache-control": "no-store" } };
  }
  if (err instanceof ApiError) {
    if (err.emptyBody) return { status: err.status, headers: { ...err.headers, "www-authenticate": "Bearer" } };
    return { status: err.status, body: err.envelope(timestamp), headers: err.headers };
  }
  return { status: 500, body: errors.internal().envelope(timestamp) };
}

interface Rendered {
  status: number;
  headers: Record<string, string>;
  payload: string | undefined;
}

/** The answer as it goes on the wire; serialised inside the request's transaction. */
function render(reply: Reply): Rendered {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers["content-type"] = "application/json; charset=utf-8";
  }
  headers["content-length"] = String(payload === undefined ? 0 : Buffer.byteLength(payload));
  return { status: reply.status, headers, payload };
}

function send(res: http.ServerResponse, answer: Rendered): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.payload);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    // Unref'd: a pending delay never keeps a closed emulator's process alive.
    setTimeout(resolve, ms).unref();
  });
}
