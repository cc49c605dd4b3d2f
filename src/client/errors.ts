/**
 * Errors the API client throws. Every one has a stable `code` to switch on, a message a person can
 * act on, and nothing secret: no token, client secret or PBX apiKey ever reaches a message, a stack
 * or a JSON rendering (test/client/secrets.test.ts checks this). The client never lets a `got`
 * error escape, because those carry the request options, Authorization header included.
 */

/** Base class: `code` is the most specific stable code (for ApiError the API's `errorCode`). */
export abstract class DimensionsClientError extends Error {
  abstract readonly code: string;

  toJSON(): Record<string, unknown> {
    // Own enumerable fields plus name and message (Error's are not enumerable); never a cause.
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) out[key] = value;
    return out;
  }
}

/** The API answered with a non-2xx status. */
export class ApiError extends DimensionsClientError {
  override readonly name = "ApiError";
  /** Same as `errorCode`, so every client error can be told apart by `code`. */
  readonly code: string;
  /** From the error envelope; `Http<status>` when the vendor sent none (e.g. 401 with no body). */
  readonly errorCode: string;
  /** The server's message, redacted. */
  readonly serverMessage: string;

  constructor(
    readonly status: number,
    errorCode: string | undefined,
    serverMessage: string,
    readonly method: string,
    /** Path only (e.g. `/api/v1.0/customers`): never the query string, never a token. */
    readonly path: string,
    /** From a `Retry-After` header in seconds (429, 503), when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    const code = errorCode && errorCode.length > 0 ? errorCode : `Http${status}`;
    super(`${method} ${path} → ${status} ${code}${serverMessage ? `: ${serverMessage}` : ""}`);
    this.code = code;
    this.errorCode = code;
    this.serverMessage = serverMessage;
  }

  /** True for `404` (any errorCode). */
  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/**
 * U15: the API refused an activation or UC welcome e-mail because the customer it was sent from is
 * not the user's primary tenant. An ApiError still (status 400, code `TenantNotPrimary`), with a
 * message that says what the rule is and what to do.
 */
export class TenantNotPrimaryError extends ApiError {
  readonly rule = "U15";

  constructor(from: ApiError) {
    const own = from.serverMessage ? ` (the API said: ${from.serverMessage})` : "";
    super(
      from.status,
      "TenantNotPrimary",
      `this customer is not the user's primary tenant, and activation and UC welcome e-mails are sent only from the primary tenant (U15)${own}`,
      from.method,
      from.path,
    );
  }
}

/** The vendor's errorCode is optional: without one, its message says it (API contract §1.1). */
export function isTenantNotPrimary(error: ApiError): boolean {
  if (error.errorCode === "TenantNotPrimary") return true;
  return error.status === 400 && error.errorCode === "Http400" && /primary\s*tenant/i.test(error.serverMessage);
}

/** No answer at all (connection refused or dropped, timeout): the request may or may not have landed. */
export class NetworkError extends DimensionsClientError {
  override readonly name = "NetworkError";
  readonly code = "NetworkError";

  constructor(
    readonly method: string,
    readonly path: string,
    /** The socket-level code, e.g. `ECONNRESET`, `ETIMEDOUT`. */
    readonly causeCode: string,
    detail: string,
  ) {
    super(`${method} ${path} → no response (${causeCode}): ${detail}`);
  }
}

/**
 * A create whose outcome stayed unknown: the POST failed ambiguously (timeout, connection dropped
 * after it was sent, 500/502/503/504), the object was looked up by its natural key until
 * `waitedMs` had passed and never appeared, and the POST was NOT sent again (it may still be
 * processing, and a second one would create a duplicate). Re-running the apply adopts the object if
 * it landed (customers by reference, users by e-mail) and creates it otherwise.
 */
export class CreateOutcomeUnknownError extends DimensionsClientError {
  override readonly name = "CreateOutcomeUnknownError";
  readonly code = "CreateOutcomeUnknown";

  constructor(
    readonly method: string,
    /** Path only, e.g. `/api/v1.0/customers`. */
    readonly path: string,
    /** What the lookup searched for, e.g. `reference "acme"`. */
    readonly naturalKey: string,
    /** How the POST failed: `no response (ETIMEDOUT)`, `503 InternalError`, … */
    readonly failure: string,
    readonly waitedMs: number,
    /** The last lookup failure, when the lookups themselves failed too. */
    lookupFailure?: string,
  ) {
    super(
      `CreateOutcomeUnknown: ${method} ${path} for ${naturalKey} failed with ${failure}, and it did not appear within ` +
        `${Math.round(waitedMs / 1000)} s of looking it up${lookupFailure ? ` (last lookup: ${lookupFailure})` : ""}. ` +
        `It was not sent again because the server may still be processing it and it may still land. ` +
        `Re-run the apply: it adopts the object if it landed and creates it if it did not.`,
    );
  }
}

export type ClientConfigErrorCode = "CredentialsMissing" | "InvalidConfiguration";

/** Missing or invalid configuration (environment, settings, credentials file). */
export class ClientConfigError extends DimensionsClientError {
  override readonly name = "ClientConfigError";

  constructor(
    readonly code: ClientConfigErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A caller passed something the client refuses to put on the wire (e.g. a non-GUID id in a path). */
export class InvalidArgumentError extends DimensionsClientError {
  override readonly name = "InvalidArgumentError";

  constructor(
    readonly code: "InvalidGuid" | "InvalidArgument",
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * A 2xx answer that does not match the contract's schema (or is not JSON): the real service differs
 * from what the client was written against. Fail loudly rather than guess.
 */
export class UnexpectedResponseError extends DimensionsClientError {
  override readonly name = "UnexpectedResponseError";
  readonly code = "ResponseSchemaMismatch";

  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** Which fields failed and why (zod issue paths and messages; never the values). */
    readonly issues: string[],
  ) {
    super(`ResponseSchemaMismatch: ${method} ${path} → ${status} did not match the expected schema: ${issues.join("; ")}`);
  }
}

/**
 * A one-user answer without the user's `devices`, asked for because the code declares softphones
 * for that user (or did before). §4 of the contract gives no way to read a user's devices: the
 * `devices` field is ours (the emulator's). Without it the client cannot tell which devices to
 * assign or unassign, so it refuses, rather than assign blindly.
 */
export class DevicesNotReportedError extends DimensionsClientError {
  override readonly name = "DevicesNotReportedError";
  readonly code = "DevicesNotReported";

  constructor(
    readonly method: string,
    /** Path only. */
    readonly path: string,
  ) {
    super(
      `DevicesNotReported: ${method} ${path} answered without "devices": this API does not report a user's PBX devices ` +
        "(API contract §4 [ours]), so the softphones declared for the user cannot be compared with what it holds",
    );
  }
}

export type AuthErrorCode = "RefreshTokenRejected" | "ClientRejected" | "TokenEndpointError";

/** The token endpoint refused or failed a grant. */
export class AuthError extends DimensionsClientError {
  override readonly name = "AuthError";

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    /** HTTP status from the token endpoint, if it answered. */
    readonly status?: number,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The shared credentials file could not be read, locked in time, or written. */
export class TokenCacheError extends DimensionsClientError {
  override readonly name = "TokenCacheError";

  constructor(
    readonly code: "CredentialsLockTimeout" | "CredentialsWriteFailed" | "CredentialsFileUnreadable",
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export type CredentialsStoreErrorCode = "CredentialsStoreUnreachable" | "CredentialsStoreRefused" | "CredentialsStoreFailed" | "CredentialsLockTimeout";

/**
 * The PostgreSQL credentials store (DIMENSIONS_CREDENTIALS_URL) could not be reached, refused the
 * connection or a statement, failed, or its row stayed locked too long. The message names the
 * store by its URL without the password.
 */
export class CredentialsStoreError extends DimensionsClientError {
  override readonly name = "CredentialsStoreError";

  constructor(
    readonly code: CredentialsStoreErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * Replaces every occurrence of the given secrets in `text` with `[redacted]`. Secrets shorter than
 * 4 characters are ignored (they would mangle ordinary words and cannot be meaningful tokens).
 */
export function redact(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  // Belt and braces: anything that looks like a bearer credential.
  return out.replace(/(Bearer\s+)[^\s"']+/gi, "$1[redacted]");
}
