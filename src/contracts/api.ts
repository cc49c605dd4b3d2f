/**
 * The Dimensions REST API (v1.0) as zod schemas: the one module both the
 * client (to parse answers) and the emulator (to parse requests and shape answers) use.
 *
 * Response schemas are lenient on unknown fields (the real service may add some) and accept both
 * spellings where the vendor is inconsistent; request schemas are what we send and what the
 * emulator accepts.
 */
import { z } from "zod";

export const API_PREFIX = "/api/v1.0";

/** Base URLs per region. */
export const REGION_BASE_URLS = {
  au: "https://api.au.myreports.cloud",
  eu: "https://api.eu.myreports.cloud",
  na: "https://api.na.myreports.cloud",
  uk: "https://api.uk.myreports.cloud",
} as const;

export const DEFAULT_TOKEN_URL = "https://login.xarios.cloud/connect/token";

export const ACCEPT_CHARGES_HEADER = "accept-charges";

export const FIELD_LIMITS = {
  customerName: 100,
  customerDescription: 200,
  customerReference: 200,
  timezone: 40,
  countryCode: 5,
  userDisplayName: 100,
  userEmail: 200,
  accessRequestName: 100,
  accessRequestMessage: 1000,
  pageSizeMax: 1000,
} as const;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const guid = z.string().regex(GUID, "not a GUID");
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

// ---------------------------------------------------------------------------------------------
// Envelopes (§1.1)

export const ERROR_CODES = [
  "NotFound",
  "ValidationFailed",
  "UserAlreadyExists",
  "LastUserAdministrator",
  "AdministratorRequired",
  "UnknownRole",
  "RolePrerequisiteMissing",
  "SupervisorLevelConflict",
  "RoleReadOnly",
  "TenantNotPrimary",
  "DeviceNotFound",
  "DeviceAlreadyAssigned",
  "ChargesNotAccepted",
  "RoleRequired",
  "AccessRequestExists",
  "AccessDenied",
  "RateLimited",
  "InternalError",
  "Unauthorized",
] as const;
export type ApiErrorCode = (typeof ERROR_CODES)[number];

/** Error envelope. `errorCode` is optional in the vendor's API; the emulator always sends it. */
export const errorEnvelope = z.looseObject({
  error: z.number().int().optional(),
  errorCode: z.string().optional(),
  message: z.string().optional(),
  status: z.literal("error").optional(),
  timestamp: z.string().optional(),
  data: z.unknown().optional(),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelope>;

// One envelope per item schema, built once: zod compiles a schema on its first use, and building
// one per request made that compile (and its garbage) a visible share of a rollout's CPU.
const successEnvelopes = new WeakMap<z.ZodType, z.ZodType>();
const collectionEnvelopes = new WeakMap<z.ZodType, z.ZodType>();
function memo<T extends z.ZodType, E extends z.ZodType>(cache: WeakMap<z.ZodType, z.ZodType>, item: T, build: (item: T) => E): E {
  let envelope = cache.get(item) as E | undefined;
  if (!envelope) {
    envelope = build(item);
    cache.set(item, envelope);
  }
  return envelope;
}

export function successEnvelope<T extends z.ZodType>(data: T) {
  return memo(successEnvelopes, data, (d) => z.looseObject({ data: d, status: z.literal("success"), timestamp: z.string().optional() }));
}

/** Success without data (patch, delete). */
export const emptySuccessEnvelope = z.looseObject({
  status: z.literal("success"),
  timestamp: z.string().optional(),
});

export function collectionEnvelope<T extends z.ZodType>(item: T) {
  return memo(collectionEnvelopes, item, (i) =>
    z.looseObject({
      page_size: z.number().int(),
      page_index: z.number().int(),
      data: z.array(i),
      status: z.literal("success"),
      timestamp: z.string().optional(),
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// JSON Patch (RFC 6902 subset the API accepts)

export const jsonPatchOperation = z.discriminatedUnion("op", [
  z.object({ op: z.literal("add"), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal("remove"), path: z.string() }),
  z.object({ op: z.literal("replace"), path: z.string(), value: z.unknown() }),
]);
export const jsonPatch = z.array(jsonPatchOperation).min(1);
export type JsonPatchOperation = z.infer<typeof jsonPatchOperation>;

// ---------------------------------------------------------------------------------------------
// Customers (§3)

export const kazooPbxConnectionProfile = z.looseObject({
  _type: z.literal("KazooPbxConnectionProfile"),
  hostRest: z.string(),
  hostWebsocket: z.string(),
  accountId: z.string(),
  /** Secret: echoed back by the API in clear; never log or store it. */
  apiKey: z.string(),
  monitorSubAccounts: z.boolean().optional(),
});
export type KazooPbxConnectionProfile = z.infer<typeof kazooPbxConnectionProfile>;

/** Customer as the API returns it. */
export const customer = z.looseObject({
  id: guid,
  name: z.string(),
  description: z.string().nullish(),
  reference: z.string().nullish(),
  dateCreated: z.string().nullish(),
  parentTenantId: z.string().nullish(),
  enabled: z.boolean().optional(),
  timezone: z.string().nullish(),
  countryCode: z.string().nullish(),
  features: z.record(z.string(), z.number()).nullish(),
  pbxConnectionProfile: z.looseObject({ _type: z.string().optional() }).nullish(),
  syncAcdAgentWithPbx: z.boolean().optional(),
  sendNewUserEmail: z.boolean().optional(),
  sendConnectWelcomeEmail: z.boolean().optional(),
  tenantProfileType: z.string().nullish(),
  trialDuration: z.number().int().nullish(),
});
export type Customer = z.infer<typeof customer>;

/** `POST /customers` body. */
export const createCustomerRequest = z.object({
  name: z.string().min(1).max(FIELD_LIMITS.customerName),
  description: z.string().min(1).max(FIELD_LIMITS.customerDescription),
  reference: z.string().min(1).max(FIELD_LIMITS.customerReference),
  enabled: z.boolean().optional(),
  timezone: z.string().max(FIELD_LIMITS.timezone).optional(),
  countryCode: z.string().max(FIELD_LIMITS.countryCode).optional(),
  features: z.record(z.string(), z.number()).optional(),
  pbxConnectionProfile: kazooPbxConnectionProfile.optional(),
  syncAcdAgentWithPbx: z.boolean().optional(),
  sendNewUserEmail: z.boolean().optional(),
  sendConnectWelcomeEmail: z.boolean().optional(),
  tenantProfileType: z.string().optional(),
  trialDuration: z.number().int().min(0).optional(),
});
export type CreateCustomerRequest = z.infer<typeof createCustomerRequest>;

/** Paths `PATCH /customers/{C}` accepts (§3); any other is refused by the server. */
export const CUSTOMER_PATCHABLE_PATHS = [
  "/name",
  "/description",
  "/reference",
  "/enabled",
  "/timezone",
  "/countryCode",
  "/syncAcdAgentWithPbx",
  "/sendNewUserEmail",
  "/sendConnectWelcomeEmail",
] as const;

// ---------------------------------------------------------------------------------------------
// Customer users (§4)

/** The softphone client types a PBX device is assigned with (§4, U14). */
export const CLIENT_TYPES = ["desktop", "mobile", "webrtc", "crm"] as const;
export const deviceClientType = z.enum(CLIENT_TYPES);
export type DeviceClientType = z.infer<typeof deviceClientType>;

/**
 * A PBX device id as the library sends it in a path and the emulator accepts it [ours]: 1–64
 * letters, digits, `.`, `_` or `-`, starting with a letter or digit (Kazoo ids are 32 hex digits,
 * extensions such as `1001` are digits), so it can never hold a `/`, a `%` or a dot segment.
 */
export const PBX_DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function isPbxDeviceId(value: unknown): boolean {
  return typeof value === "string" && PBX_DEVICE_ID.test(value);
}

/**
 * A device assigned to a user, as `GET /customers/{C}/users/{U}` reports it in `devices` [ours]:
 * §4 gives no way to read a user's devices, so the emulator adds the field and the client refuses
 * to plan device changes when an answer lacks it (DevicesNotReported), rather than assign blindly.
 */
export const assignedDevice = z.looseObject({ deviceId: z.string(), clientType: z.string() });
export type AssignedDevice = z.infer<typeof assignedDevice>;

/** User as the API returns it (`roles` absent in collections). */
export const customerUser = z.looseObject({
  id: guid,
  displayName: z.string(),
  email: z.string(),
  roles: z.array(z.string()).optional(),
  primaryTenant: z.string().nullish(),
  isParent: z.boolean().nullish(),
  /**
   * [ours] H5: whether the user has activated its account (followed the activation e-mail's link).
   * The vendor documents no such field: its absence is not an error here, but a reader that needs
   * it (an activation e-mail) fails with ActivationStatusUnknown instead of guessing.
   */
  activated: z.boolean().nullish(),
  /** [ours] The user's assigned PBX devices (one-user answers only); see `assignedDevice`. */
  devices: z.array(assignedDevice).nullish(),
});
export type CustomerUser = z.infer<typeof customerUser>;

/**
 * The same user for readers that need neither [ours] field: a vendor answer whose `devices` or
 * `activated` has another shape must not break every apply of apps that use neither softphones nor
 * activation e-mails. An unreadable value reads as absent, so a reader that does need it still
 * fails clearly (DevicesNotReported, ActivationStatusUnknown).
 */
export const customerUserLenient = customerUser.extend({
  activated: z.boolean().nullish().catch(undefined),
  devices: z.unknown().optional().transform((): undefined => undefined),
});

/**
 * The same user for a reader that takes the devices where they are reported and leaves them alone
 * otherwise (`dimensions export`): a `devices` of another shape reads as absent, never as "none".
 */
export const customerUserDevicesIfReported = customerUserLenient.extend({
  devices: z.array(assignedDevice).nullish().catch(undefined),
});

export const createUserRequest = z.object({
  email: z.string().min(1).max(FIELD_LIMITS.userEmail),
  displayName: z.string().min(1).max(FIELD_LIMITS.userDisplayName),
  roles: z.array(z.string()).default([]),
});
export type CreateUserRequest = z.input<typeof createUserRequest>;

/** `data` of a 409 `UserAlreadyExists`: the existing user's id. */
export const userAlreadyExistsData = z.looseObject({ id: guid });

/** `POST|PUT /customers/{C}/users/{U}/devices/pbx/{D}/assign` and `/unassign` body. */
export const deviceAssignmentRequest = z.object({ clientType: deviceClientType });

// ---------------------------------------------------------------------------------------------
// Partner users and access requests (§5)

export const partnerUser = z.looseObject({
  id: guid,
  displayName: z.string(),
  email: z.string(),
  roles: z.array(z.string()).optional(),
});
export type PartnerUser = z.infer<typeof partnerUser>;

export const accessMode = z.enum(["configure", "support"]);
export type AccessMode = z.infer<typeof accessMode>;
export const accessStatus = z.enum(["pending", "granted", "rejected", "expired", "withdrawn"]);
export type AccessStatus = z.infer<typeof accessStatus>;

export const accessAssociation = z.object({
  userIds: z.array(guid).min(1),
  tenantIds: z.array(guid).min(1),
  mode: accessMode,
});

export const createAccessRequestRequest = z.object({
  name: z.string().min(1).max(FIELD_LIMITS.accessRequestName).regex(/^[A-Za-z0-9]+$/, "letters and digits only"),
  message: z.string().max(FIELD_LIMITS.accessRequestMessage).optional(),
  associations: z.array(accessAssociation).min(1),
});
export type CreateAccessRequestRequest = z.infer<typeof createAccessRequestRequest>;

export const accessRequestTenant = z.looseObject({
  tenantId: guid,
  status: accessStatus,
  userIds: z.array(z.string()).optional(),
  mode: accessMode.optional(),
  respondedAt: z.string().nullish(),
  responseMessage: z.string().nullish(),
  expiresAt: z.string().nullish(),
});

export const accessRequest = z.looseObject({
  id: guid,
  name: z.string(),
  message: z.string().nullish(),
  associations: z.array(accessAssociation.loose()),
  tenants: z.array(accessRequestTenant),
  dateCreated: z.string().nullish(),
});
export type AccessRequest = z.infer<typeof accessRequest>;

/** What a customer admin sees of a request (§5, A2: no name, no user list). */
export const tenantAccessRequest = z.looseObject({
  id: guid,
  message: z.string().nullish(),
  status: accessStatus,
  mode: accessMode.optional(),
  respondedAt: z.string().nullish(),
  responseMessage: z.string().nullish(),
  expiresAt: z.string().nullish(),
  dateCreated: z.string().nullish(),
});

export const grantAccessRequest = z.object({
  message: z.string().max(FIELD_LIMITS.accessRequestMessage).optional(),
  expiresAt: z.string().datetime().optional(),
});
export const rejectAccessRequest = z.object({
  message: z.string().max(FIELD_LIMITS.accessRequestMessage).optional(),
});
export const impersonateRequest = z.object({ mode: accessMode });
export const impersonateResponse = z.looseObject({ token: z.string() });

// ---------------------------------------------------------------------------------------------
// OAuth (§2)

export const tokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponse>;

export const tokenErrorResponse = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});

export const OAUTH_SCOPE = "openid offline_access onboarding";
