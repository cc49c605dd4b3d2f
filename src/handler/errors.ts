/**
 * The handler's one error type and the mapping of API errors onto it. Every failure ends as a
 * HandlerError so that report.ts can print one coded line (plus an optional hint) and nothing else.
 */

/** A failure the person reading the Terraform log can act on. */
export class HandlerError extends Error {
  constructor(
    /** Stable code, e.g. "LastAdminGuard", "PayloadInvalid". */
    public readonly code: string,
    message: string,
    public readonly details: {
      /** Domain rule id (domain-rules.md) when the failure proves one, e.g. "H1". */
      readonly rule?: string;
      /** The object, e.g. `user ana@acme.test (ACME-001)`; never a payload. */
      readonly subject?: string;
      /** A second line saying how to fix it. */
      readonly hint?: string;
    } = {},
  ) {
    super(message);
    this.name = "HandlerError";
  }

  get rule(): string | undefined {
    return this.details.rule;
  }
  get subject(): string | undefined {
    return this.details.subject;
  }
  get hint(): string | undefined {
    return this.details.hint;
  }

  /** A copy naming `subject` when this error does not name one yet. */
  withSubject(subject: string | undefined): HandlerError {
    if (subject === undefined || this.details.subject !== undefined) return this;
    return new HandlerError(this.code, this.message, { ...this.details, subject });
  }
}

/**
 * What the client's ApiError (src/client/errors.ts) carries. Matched structurally so the operation
 * modules depend on the client's interface only, and test doubles need not import the client.
 */
export interface ApiErrorLike extends Error {
  readonly status: number;
  readonly errorCode?: string;
  readonly method: string;
  readonly path: string;
  /** The server's own message (the client's `message` also repeats method, path and status). */
  readonly serverMessage?: string;
}

export function isApiError(error: unknown): error is ApiErrorLike {
  if (!(error instanceof Error)) return false;
  const e = error as Error & Record<string, unknown>;
  // status ≥ 400: a 2xx that failed the schema (UnexpectedResponseError) is not an API refusal.
  return typeof e.status === "number" && e.status >= 400 && typeof e.method === "string" && typeof e.path === "string";
}

export function isNotFound(error: unknown): boolean {
  return isApiError(error) && (error.status === 404 || error.errorCode === "NotFound");
}

/** Server error codes that prove a domain rule, with a hint where the fix is not obvious. */
const API_ERRORS: Record<string, { rule?: string; hint?: string }> = {
  LastUserAdministrator: {
    rule: "U4",
    hint: "give another user user.admin + customer.user (and name it primary admin) in the same change, or keep this one",
  },
  AdministratorRequired: {
    rule: "U5",
    hint: "the customer has no admin yet: declare a primary admin; its grants are applied before any other user change",
  },
  RolePrerequisiteMissing: { rule: "U7" },
  SupervisorLevelConflict: { rule: "U8" },
  RoleReadOnly: { rule: "U13" },
  UnknownRole: { hint: "check the role key against the role catalogue (docs/roles.md)" },
  UserAlreadyExists: { rule: "U2" },
  TenantNotPrimary: {
    rule: "U15",
    hint: "activation and UC welcome e-mails are sent only from the user's primary tenant: send it from that customer, or remove the e-mail trigger (sendActivation, sendWelcome) from this customer's user",
  },
  DeviceNotFound: { rule: "U14", hint: "check the device id against the customer's PBX (softphones of the CustomerUser)" },
  DeviceAlreadyAssigned: { rule: "U14", hint: "a device is held by one user with one client type: unassign it where it is held (portal), or change the code to match, then apply again" },
};

const CHARGES_HINT =
  "set acceptCharges: true on the DimensionsStack (it is visible in code review) to allow changes that cost money";

/**
 * Turns anything thrown by an operation into a HandlerError naming `subject`. Only the API's own
 * message, code, method and path are kept: never a request body (it may hold the Kazoo apiKey).
 */
export function toHandlerError(error: unknown, subject?: string, action?: string): HandlerError {
  if (error instanceof HandlerError) return error.withSubject(subject);
  if (isApiError(error)) {
    const where = `(${error.method} ${error.path} → ${error.status})`;
    const doing = action ? `${action} refused: ` : "";
    if (error.status === 402 || error.errorCode === "ChargesNotAccepted") {
      return new HandlerError("ChargesNotAccepted", `${action ?? "the change"} costs money and the stack has not accepted charges ${where}`, {
        rule: "C6",
        subject,
        hint: CHARGES_HINT,
      });
    }
    if (error.status === 401 || error.errorCode === "Unauthorized") {
      return new HandlerError("Unauthorized", `${doing}the API rejected the credentials ${where}`, {
        subject,
        hint: "set DIMENSIONS_CLIENT_ID + DIMENSIONS_CLIENT_SECRET (+ DIMENSIONS_REFRESH_TOKEN) or DIMENSIONS_ACCESS_TOKEN in the environment of terraform",
      });
    }
    // An errorCode is printed as the failure's code: only a plain identifier is taken as one.
    const code = error.errorCode && CODE.test(error.errorCode) ? error.errorCode : `Http${error.status}`;
    const known = Object.hasOwn(API_ERRORS, code) ? API_ERRORS[code] : {};
    const text = typeof error.serverMessage === "string" ? error.serverMessage || "(no message)" : error.message;
    return new HandlerError(code, `${doing}${clip(text)} ${where}`, { ...known, subject });
  }
  if (!(error instanceof Error)) return new HandlerError("HandlerFailed", String(error), { subject });
  // The client's other errors (NetworkError, AuthError, ClientConfigError, …) carry a stable
  // `code` and start their message with it.
  const own = (error as Error & { code?: unknown }).code;
  const code = typeof own === "string" && CODE.test(own) ? own : CODE.test(error.name) && error.name !== "Error" ? error.name : "HandlerFailed";
  const message = error.message.startsWith(`${code}: `) ? error.message.slice(code.length + 2) : error.message;
  return new HandlerError(code, clip(message), { subject, ...(Object.hasOwn(CLIENT_HINTS, code) ? CLIENT_HINTS[code] : {}) });
}

/** What the failure line accepts as a code: a plain identifier (never an answer's odd text). */
const CODE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** A server message past this is cut: the failure stays one readable line. */
const MAX_MESSAGE_CHARS = 500;

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length - MAX_MESSAGE_CHARS} more characters)` : text;
}

const CREDENTIALS_HINT = "the handler reads credentials from the environment of terraform only (DIMENSIONS_ACCESS_TOKEN, or DIMENSIONS_CLIENT_ID + DIMENSIONS_CLIENT_SECRET + DIMENSIONS_REFRESH_TOKEN; the README's Environment section)";
const CLIENT_HINTS: Record<string, { hint: string; rule?: string }> = {
  CredentialsMissing: { hint: CREDENTIALS_HINT },
  RefreshTokenRejected: { hint: `${CREDENTIALS_HINT}: get a new refresh token and set DIMENSIONS_REFRESH_TOKEN` },
  ClientRejected: { hint: `${CREDENTIALS_HINT}: check DIMENSIONS_CLIENT_ID and DIMENSIONS_CLIENT_SECRET` },
  NetworkError: { hint: "the request may or may not have landed; applying again is safe (every operation adopts what exists); each request waits at most DIMENSIONS_REQUEST_TIMEOUT_SECONDS (default 20)" },
  DevicesNotReported: { rule: "U14", hint: "this API does not report a user's devices: remove softphones from the user's declaration (the app then leaves its devices alone), or use an API that reports them" },
  CredentialsStoreUnreachable: { hint: "the handler could not reach the PostgreSQL credentials store of DIMENSIONS_CREDENTIALS_URL from where terraform runs: check the server, the URL's host, port and sslmode; applying again is safe" },
  CredentialsStoreRefused: { hint: "the PostgreSQL credentials store refused the role of DIMENSIONS_CREDENTIALS_URL: check its user, password and database, and its privileges on the dimensions_credentials table" },
  CredentialsStoreFailed: { hint: "the PostgreSQL credentials store of DIMENSIONS_CREDENTIALS_URL failed; applying again is safe unless the message says the refresh token is spent (then: dimensions login)" },
  CredentialsLockTimeout: { hint: "another process held the credentials lock too long (a refresh in progress); apply again" },
  TokenEndpointError: { hint: "the token endpoint failed after the refresh may have been processed; apply again — if it then says RefreshTokenRejected, the refresh token rotated away: set a new one in DIMENSIONS_REFRESH_TOKEN" },
};
