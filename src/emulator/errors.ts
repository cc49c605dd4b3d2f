/**
 * The error factory: every failure the emulator answers with, in the real service's vocabulary
 * (API contract §1.1 envelope, §4 error table). Handlers throw these; the server writes them.
 */
import type { ApiErrorCode } from "../contracts/api";

/** The contract's codes, plus transport-level codes the contract leaves open. */
export type EmulatorErrorCode = ApiErrorCode | "RouteNotFound" | "MethodNotAllowed" | "PayloadTooLarge" | "ServiceUnavailable";

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly errorCode: EmulatorErrorCode,
    message: string,
    public readonly data?: unknown,
    public readonly headers: Readonly<Record<string, string>> = {},
    /** §1: a 401 has an empty body. */
    public readonly emptyBody = false,
  ) {
    super(message);
  }

  envelope(timestamp: string): Record<string, unknown> {
    const body: Record<string, unknown> = { error: this.status, errorCode: this.errorCode, message: this.message, status: "error", timestamp };
    if (this.data !== undefined) body.data = this.data;
    return body;
  }
}

/** RFC 6749 §4.1.2.1 and §5.2, plus OpenID Connect's for an authorization request. */
export type OAuthErrorCode =
  | "invalid_grant"
  | "invalid_client"
  | "invalid_request"
  | "invalid_scope"
  | "access_denied"
  | "unsupported_grant_type"
  | "unsupported_response_type";

/** OAuth errors (API contract §2) use the OAuth shape, not the API envelope. */
export class OAuthError extends Error {
  constructor(
    public readonly error: OAuthErrorCode,
    public readonly description: string,
    public readonly status = 400,
  ) {
    super(description);
  }
}

export const errors = {
  unauthorized: () => new ApiError(401, "Unauthorized", "", undefined, {}, true),
  notFound: () => new ApiError(404, "NotFound", "Not Found"),
  routeNotFound: (method: string, path: string) => new ApiError(404, "RouteNotFound", `No route matches ${method} ${path}.`),
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    new ApiError(405, "MethodNotAllowed", `The method '${method}' is not allowed here; use ${allowed.join(", ")}.`, undefined, { allow: allowed.join(", ") }),
  payloadTooLarge: (limit: number) => new ApiError(413, "PayloadTooLarge", `The request body is larger than ${limit} bytes.`),
  /** §1: a malformed GUID in a path. */
  invalidValue: (value: string) => new ApiError(400, "ValidationFailed", `The value '${value}' is not valid.`),
  validation: (message: string, data?: unknown) => new ApiError(400, "ValidationFailed", message, data),
  /** §3, §4: JSON Patch on a path the resource does not offer. */
  pathNotFound: (segment: string) => new ApiError(400, "ValidationFailed", `The target location specified by path segment '${segment}' was not found.`),
  /** C6, §1.3 */
  chargesNotAccepted: (what: string) =>
    new ApiError(402, "ChargesNotAccepted", `${what} adds charges; send the header 'accept-charges: true' to accept them.`),
  userAlreadyExists: (email: string, id: string) => new ApiError(409, "UserAlreadyExists", `A user with the email '${email}' already exists.`, { id }),
  lastUserAdministrator: () => new ApiError(400, "LastUserAdministrator", "There must be at least one user administrator."),
  administratorRequired: () =>
    new ApiError(400, "AdministratorRequired", "A user administrator must be assigned before other users or roles can be modified."),
  unknownRole: (key: string) => new ApiError(400, "UnknownRole", `Unknown role '${key}'.`),
  rolePrerequisiteMissing: (key: string, prerequisite: string) =>
    new ApiError(400, "RolePrerequisiteMissing", `Role '${key}' requires '${prerequisite}'.`),
  /** §4: a softphone device needs customer.user.uc and customer.user.uc.softphone. */
  devicePrerequisiteMissing: (role: string) =>
    new ApiError(400, "RolePrerequisiteMissing", `Assigning a PBX device requires the role '${role}'.`),
  /** §4 [ours]: the role change would leave an assigned device without what it needs. */
  roleNeededByDevice: (role: string, deviceId: string) =>
    new ApiError(400, "RolePrerequisiteMissing", `Role '${role}' is needed by the PBX device '${deviceId}' assigned to the user; unassign the device first.`),
  /** §4 [ours]: no entry of the customer's PBX directory lists the device. */
  deviceNotFound: (deviceId: string) => new ApiError(404, "DeviceNotFound", `Device '${deviceId}' is not a device of the customer's PBX.`),
  deviceAssignedElsewhere: (deviceId: string) => new ApiError(409, "DeviceAlreadyAssigned", `Device '${deviceId}' is assigned to another user.`),
  deviceClientTypeMismatch: (deviceId: string, held: string) =>
    new ApiError(409, "DeviceAlreadyAssigned", `Device '${deviceId}' is assigned to this user as '${held}'; unassign it with that client type first.`),
  supervisorLevelConflict: () => new ApiError(400, "SupervisorLevelConflict", "A user can hold only one supervisor role."),
  roleReadOnly: (key: string) => new ApiError(400, "RoleReadOnly", `Role '${key}' is read-only.`),
  tenantNotPrimary: () => new ApiError(400, "TenantNotPrimary", "This customer is not the user's primary tenant; send the e-mail from the primary tenant."),
  roleRequired: (role: string) => new ApiError(403, "RoleRequired", `The role '${role}' is required.`),
  accessRequestExists: (name: string) => new ApiError(409, "AccessRequestExists", `An access request named '${name}' already exists.`),
  accessDenied: (why = "Access to this tenant is denied.") => new ApiError(403, "AccessDenied", why),
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError(429, "RateLimited", "Too Many Requests", undefined, { "retry-after": String(retryAfterSeconds) }),
  internal: () => new ApiError(500, "InternalError", "Internal Server Error"),
  unavailable: () => new ApiError(503, "ServiceUnavailable", "Service Unavailable", undefined, { "retry-after": "1" }),
};
