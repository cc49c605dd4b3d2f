/**
 * The small HTTP toolkit the handlers share: the request context, replies, envelopes (§1.1),
 * paging (§1.2) and a route table that tells 404 from 405.
 */
import type { IncomingHttpHeaders } from "node:http";
import { FIELD_LIMITS, isGuid } from "../contracts/api";
import { errors } from "./errors";
import type { Principal } from "./store";

export interface Reply {
  status: number;
  /** Serialised as JSON when present; absent = empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RequestContext {
  readonly method: string;
  /** Full path, e.g. /api/v1.0/customers/…; */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly params: Readonly<Record<string, string>>;
  readonly rawBody: Buffer;
  /** Set by the server for bearer-protected routes. */
  principal?: Principal;
  /** Request body as JSON; 400 ValidationFailed when malformed or not JSON. */
  json(): unknown;
  /** Request body as `application/x-www-form-urlencoded` (OAuth). */
  form(): URLSearchParams;
  readonly timestamp: string;
}

/** Synchronous: the server runs it as one store transaction, with nothing interleaved. */
export type Handler = (ctx: RequestContext) => Reply;

export interface Route {
  readonly method: string;
  /** Template relative to its area, e.g. `/customers/{C}/users/{U}`; used as the stats key. */
  readonly template: string;
  readonly handler: Handler;
}

/** Params whose values must be GUIDs (§1: a malformed one is 400 "The value '…' is not valid."). */
const GUID_PARAMS = new Set(["C", "U", "R"]);

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export class RouteTable {
  private readonly routes: Array<{ route: Route; segments: string[] }> = [];

  add(method: string, template: string, handler: Handler): this {
    this.routes.push({ route: { method, template, handler }, segments: split(template) });
    return this;
  }

  /** The template a path falls under (for stats), whatever the method. */
  templateOf(path: string): string | undefined {
    const segments = split(path);
    return this.routes.find((r) => matchSegments(r.segments, segments) !== undefined)?.route.template;
  }

  /** Finds the route, or throws 404 (no template) / 405 (template, other method). */
  resolve(method: string, path: string): RouteMatch {
    const segments = split(path);
    const allowed: string[] = [];
    for (const entry of this.routes) {
      const params = matchSegments(entry.segments, segments);
      if (params === undefined) continue;
      if (entry.route.method !== method) {
        allowed.push(entry.route.method);
        continue;
      }
      return { route: entry.route, params };
    }
    if (allowed.length > 0) throw errors.methodNotAllowed(method, [...new Set(allowed)]);
    throw errors.routeNotFound(method, path);
  }
}

/**
 * §1: a malformed GUID in a path is 400 "The value '…' is not valid." Checked after
 * authentication, as model binding is on the real service.
 */
export function checkGuidParams(params: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(params)) {
    if (GUID_PARAMS.has(name) && !isGuid(value)) throw errors.invalidValue(value);
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

function matchSegments(template: string[], actual: string[]): Record<string, string> | undefined {
  if (template.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    const a = actual[i];
    if (t.startsWith("{") && t.endsWith("}")) {
      let value: string;
      try {
        value = decodeURIComponent(a);
      } catch {
        value = a;
      }
      params[t.slice(1, -1)] = value;
    } else if (t.toLowerCase() !== a.toLowerCase()) {
      // The vendor's routes are case-insensitive (ASP.NET); so are ours.
      return undefined;
    }
  }
  return params;
}

// --- envelopes (§1.1) ---------------------------------------------------------------------------

export function ok(ctx: RequestContext, data: unknown, status = 200, headers?: Record<string, string>): Reply {
  return { status, body: { data, status: "success", timestamp: ctx.timestamp }, headers };
}

/** Patch and delete answer without `data`. */
export function done(ctx: RequestContext, status = 200): Reply {
  return { status, body: { status: "success", timestamp: ctx.timestamp } };
}

export function created(ctx: RequestContext, data: unknown, location: string): Reply {
  return ok(ctx, data, 201, { location });
}

export function noContent(): Reply {
  return { status: 204 };
}

// --- paging (§1.2) ------------------------------------------------------------------------------

export interface Page {
  pageIndex: number;
  pageSize: number;
}

export function readPage(query: URLSearchParams): Page {
  const pageIndex = readInt(query, "pageIndex", 0, 0, Number.MAX_SAFE_INTEGER);
  const pageSize = readInt(query, "pageSize", FIELD_LIMITS.pageSizeMax, 1, FIELD_LIMITS.pageSizeMax);
  return { pageIndex, pageSize };
}

function readInt(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw errors.validation(`The field '${name}' must be an integer between ${min} and ${max}; got '${raw}'.`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw errors.validation(`The field '${name}' must be an integer between ${min} and ${max}; got '${raw}'.`);
  return value;
}

/** One page of `items`; `view` (the API's shape of an item) runs on that page's items only. */
export function collection<T>(ctx: RequestContext, items: readonly T[], page: Page, view: (item: T) => unknown = (item) => item): Reply {
  const start = page.pageIndex * page.pageSize;
  const data = items.slice(start, start + page.pageSize).map((item) => view(item));
  return {
    status: 200,
    body: { page_size: page.pageSize, page_index: page.pageIndex, data, status: "success", timestamp: ctx.timestamp },
  };
}

// --- headers ------------------------------------------------------------------------------------

/** C6/§1.3: the caller accepted charges. */
export function acceptsCharges(ctx: RequestContext): boolean {
  const value = ctx.headers["accept-charges"];
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === "string" && text.trim().toLowerCase() === "true";
}
