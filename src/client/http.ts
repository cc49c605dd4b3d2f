/**
 * The one configured `got` instance that speaks to the API: base URL + `/api/v1.0`, bearer token
 * from the token provider, JSON, timeout, bounded retry with backoff honouring `Retry-After` for
 * idempotent methods only, one token refresh on 401, and every failure turned into a client error
 * (got's own errors carry the request options, Authorization header included, so none escapes).
 */
import type { IncomingHttpHeaders } from "node:http";
import got, { RequestError, type Got, type RetryObject } from "got";
import { API_PREFIX } from "../contracts/api";
import { errorEnvelope } from "../contracts/api";
import { ApiError, ClientConfigError, DimensionsClientError, NetworkError, UnexpectedResponseError, redact } from "./errors";
import type { TokenProvider } from "./token-cache";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Status codes and socket errors worth another try of an idempotent request. */
export const RETRY_STATUS_CODES = [429, 500, 502, 503, 504];
export const RETRY_ERROR_CODES = ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENETUNREACH"];
/** POST is absent on purpose: only DimensionsClient.createOnce repeats a create, and only when it was refused (API contract §1.4). */
const RETRY_METHODS: HttpMethod[] = ["GET", "PUT", "PATCH", "DELETE"];

export interface HttpOptions {
  /** e.g. `https://api.eu.myreports.cloud`; `/api/v1.0` is appended. */
  readonly baseUrl: string;
  readonly tokens: TokenProvider;
  /** Retry notices (one line each, no secrets). */
  readonly log?: (line: string) => void;
  /** Per attempt. Default 30 s. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  readonly retryLimit?: number;
  /** First backoff step; doubles each retry up to `maxBackoffMs`. Default 500 ms. */
  readonly backoffBaseMs?: number;
  readonly maxBackoffMs?: number;
  /** A `Retry-After` above this is not waited for: the request fails with the 429. Default 30 s. */
  readonly maxRetryAfterMs?: number;
  /** Total time one request may spend waiting between retries. Default 60 s. */
  readonly maxTotalRetryWaitMs?: number;
}

export interface HttpRequest {
  readonly method: HttpMethod;
  /** Relative to `/api/v1.0`, without a leading slash, ids already validated: `customers/<guid>`. */
  readonly path: string;
  readonly searchParams?: Record<string, string | number>;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  /** Values of this request to scrub from error text (e.g. a PBX apiKey in the body). */
  readonly secrets?: readonly string[];
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty body. */
  readonly body: unknown;
}

export function resolveApiPrefix(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ClientConfigError("InvalidConfiguration", `API base URL "${baseUrl}" is not a URL (DIMENSIONS_API_URL or the stack's apiUrl)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ClientConfigError("InvalidConfiguration", `API base URL "${baseUrl}" must be http or https`);
  }
  if (url.search || url.username || url.password) {
    throw new ClientConfigError("InvalidConfiguration", "API base URL must not carry a query string or user info");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}${API_PREFIX}/`;
}

interface RetryBudget {
  waitedMs: number;
}

export class HttpTransport {
  readonly got: Got;
  private sent = 0;
  private readonly log: (line: string) => void;

  constructor(private readonly options: HttpOptions) {
    this.log = options.log ?? (() => undefined);
    this.got = this.createGot();
  }

  /** Requests put on the wire, retries included (token grants excluded). */
  get requestCount(): number {
    return this.sent;
  }

  private createGot(): Got {
    const { tokens } = this.options;
    const base = this.options.backoffBaseMs ?? 500;
    const maxBackoff = this.options.maxBackoffMs ?? 8_000;
    const maxTotal = this.options.maxTotalRetryWaitMs ?? 60_000;
    return got.extend({
      prefixUrl: resolveApiPrefix(this.options.baseUrl),
      headers: { accept: "application/json", "user-agent": "cdktf-dimensions" },
      responseType: "text", // parsed here, so a non-JSON 2xx fails clearly instead of inside got
      throwHttpErrors: false, // statuses become ApiError below; retries still apply before that
      followRedirect: false, // never carry the bearer token to another host
      timeout: { request: this.options.timeoutMs ?? 30_000 },
      retry: {
        limit: this.options.retryLimit ?? 4,
        methods: RETRY_METHODS,
        statusCodes: RETRY_STATUS_CODES,
        errorCodes: RETRY_ERROR_CODES,
        maxRetryAfter: this.options.maxRetryAfterMs ?? 30_000,
        calculateDelay: (retry: RetryObject) => {
          // got's own verdict first: 0 means not retryable (method, code, limit, Retry-After too long).
          if (retry.computedValue <= 0) return 0;
          const label = `${retry.error.options.method} ${displayPath(retry.error.options.url)}`;
          // RetryError: our 401 hook asked for one more try with a fresh token.
          if (retry.error.name === "RetryError") return 1;
          const delay =
            retry.retryAfter !== undefined && retry.retryAfter > 0
              ? retry.computedValue // got already set it to the Retry-After time
              : Math.min(base * 2 ** (retry.attemptCount - 1), maxBackoff) * (0.8 + Math.random() * 0.4);
          // got copies options per attempt but keeps context values by reference: one budget per send().
          const budget = retry.error.options.context.retryBudget as RetryBudget | undefined;
          const total = (budget?.waitedMs ?? 0) + delay;
          if (total > maxTotal) {
            this.log(`${label}: giving up after waiting ${Math.round((total - delay) / 1000)} s in retries`);
            return 0;
          }
          if (budget) budget.waitedMs = total;
          const why = retry.error.response ? String(retry.error.response.statusCode) : (retry.error.code ?? "network error");
          this.log(`${label} → ${why}; retry ${retry.attemptCount} of ${retry.retryOptions.limit} in ${(delay / 1000).toFixed(1)} s`);
          return delay;
        },
      },
      hooks: {
        beforeRequest: [
          async (options) => {
            options.headers.authorization = `Bearer ${await tokens.getToken()}`;
            this.sent += 1;
          },
        ],
        afterResponse: [
          (response, retryWithMergedOptions) => {
            // 401: the token expired or was revoked early. Drop it and try once more; got removes
            // this hook for the retry, so it happens at most once per request. The server refused
            // the request, so this is safe for a POST too.
            if (response.statusCode === 401 && tokens.canRefresh) {
              const auth = response.request.options.headers.authorization;
              if (typeof auth === "string") tokens.invalidate(auth.replace(/^Bearer\s+/i, ""));
              this.log(`${response.request.options.method} ${displayPath(response.request.options.url)} → 401; refreshing the token and retrying once`);
              return retryWithMergedOptions({});
            }
            return response;
          },
        ],
      },
    });
  }

  /**
   * Sends one request (with the retries above). 2xx and the `allow`ed statuses are returned; any
   * other status throws ApiError, no answer throws NetworkError, a non-JSON body UnexpectedResponseError.
   */
  async send(request: HttpRequest, allow: readonly number[] = []): Promise<HttpResponse> {
    const fullPath = `${API_PREFIX}/${request.path}`;
    const scrub = (text: string): string => redact(text, [...this.options.tokens.secrets(), ...(request.secrets ?? [])]);
    let response;
    try {
      response = await this.got(request.path, {
        method: request.method,
        searchParams: request.searchParams,
        json: request.json,
        headers: request.headers,
        context: { retryBudget: { waitedMs: 0 } satisfies RetryBudget },
      });
    } catch (err) {
      // Our own errors thrown inside a hook (token refresh failed) come back wrapped by got.
      if (err instanceof RequestError && err.cause instanceof DimensionsClientError) throw err.cause;
      if (err instanceof DimensionsClientError) throw err;
      const e = err as { code?: string; message?: string };
      throw new NetworkError(request.method, fullPath, e.code ?? "UNKNOWN", scrub(e.message ?? "request failed"));
    }
    const status = response.statusCode;
    const text = typeof response.body === "string" ? response.body : "";
    let body: unknown;
    let parseFailed = false;
    if (text.trim().length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        parseFailed = true;
      }
    }
    if (status >= 200 && status < 300) {
      if (parseFailed) throw new UnexpectedResponseError(request.method, fullPath, status, ["(body): not JSON"]);
      return { status, headers: response.headers, body };
    }
    if (allow.includes(status)) return { status, headers: response.headers, body };
    throw toApiError(request.method, fullPath, status, response.statusMessage, body, scrub, response.headers["retry-after"]);
  }
}

export function toApiError(
  method: string,
  fullPath: string,
  status: number,
  statusMessage: string | undefined,
  body: unknown,
  scrub: (text: string) => string,
  retryAfter?: string,
): ApiError {
  const envelope = errorEnvelope.safeParse(body);
  const errorCode = envelope.success ? envelope.data.errorCode : undefined;
  const message = envelope.success && envelope.data.message ? envelope.data.message : (statusMessage ?? "");
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
  return new ApiError(status, errorCode, scrub(message), method, fullPath, seconds);
}

/** Path of a got URL for log lines: never the query string. */
function displayPath(url: unknown): string {
  if (url instanceof URL) return url.pathname;
  if (typeof url === "string") return url.split("?")[0] ?? url;
  return "(unknown)";
}
