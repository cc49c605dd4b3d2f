/**
 * The handler invocation contract: what the constructs render into Terraform and what the bundled
 * handler parses. Both sides import this module and nothing of each other.
 *
 * How it works (the README's "How it works" says the same for users):
 *
 * - Every managed object (a customer, a user, a per-customer or per-stack inventory) is one
 *   `terraform_data` resource. Its `triggers_replace` is the object's desired state `t` (so any
 *   change is a replacement and the plan shows exactly what changes); its `input` is `i`, what the
 *   object's release needs and nothing that should touch the API when it changes (removal policy,
 *   primary flag, settings), so changing it is an in-place update with no API call.
 * - Create-time and destroy-time `local-exec` provisioners run `node <handler> apply|release` with
 *   `DIMENSIONS_PAYLOAD` = base64gzip(jsonencode({ t = self.triggers_replace, i = self.input })) and
 *   `DIMENSIONS_MANIFEST` = the path of the stack's desired-state manifest, written at synth beside
 *   the stack's Terraform JSON. Credentials come from the process environment only.
 * - On release the handler compares the old payload (from state) with the manifest's entry for the
 *   same key: absent → the object left the code (or its key changed): release it fully; identical →
 *   a real destroy: release it fully; different → a replacement: release only what the successor no
 *   longer wants (for roles: old − new), so nothing the new config keeps is removed even briefly.
 * - Objects dropped from the code lose their resource without a destroy provisioner; the inventory
 *   whose key list changed is replaced, and its release sees the old keys (with their payloads) and
 *   releases those the manifest no longer lists.
 */
import { z } from "zod";

/** Environment variables the handler (and every CLI command that calls the API) reads. §7 */
export const ENV = {
  apiUrl: "DIMENSIONS_API_URL",
  tokenUrl: "DIMENSIONS_TOKEN_URL",
  clientId: "DIMENSIONS_CLIENT_ID",
  clientSecret: "DIMENSIONS_CLIENT_SECRET",
  refreshToken: "DIMENSIONS_REFRESH_TOKEN",
  accessToken: "DIMENSIONS_ACCESS_TOKEN",
  credentialsFile: "DIMENSIONS_CREDENTIALS_FILE",
  /** Set by the provisioner: base64 of gzip of the JSON payload. */
  payload: "DIMENSIONS_PAYLOAD",
  /** Set by the provisioner: absolute path of the stack's manifest. */
  manifest: "DIMENSIONS_MANIFEST",
  /** Seconds the last-admin guard waits for a successor admin's grant (H1). */
  adminWaitSeconds: "DIMENSIONS_ADMIN_WAIT_SECONDS",
  /** Log level of the handler: "info" (default) or "debug". */
  logLevel: "DIMENSIONS_LOG_LEVEL",
} as const;

export const HANDLER_OPERATIONS = ["apply", "release"] as const;
export type HandlerOperation = (typeof HANDLER_OPERATIONS)[number];

/** File name of the manifest inside the stack's output directory. */
export const MANIFEST_FILE = "dimensions.manifest.json";
export const MANIFEST_VERSION = 1;

export const region = z.enum(["au", "eu", "na", "uk"]);
export type Region = z.infer<typeof region>;

/** Stack-level settings every payload carries. */
export const settings = z.object({
  /** Region whose base URL is used unless DIMENSIONS_API_URL is set. */
  region: region.optional(),
  /** Explicit base URL (the client appends /api/v1.0); overridden by DIMENSIONS_API_URL. */
  apiUrl: z.string().optional(),
  /** C6: send `accept-charges: true`. Only when the stack opted in, visibly, in code. */
  acceptCharges: z.boolean(),
});
export type Settings = z.infer<typeof settings>;

export const customerRemovalPolicy = z.enum(["retain", "disable", "delete"]);
export type CustomerRemovalPolicyValue = z.infer<typeof customerRemovalPolicy>;

/**
 * - delete: delete the user (only for users the app created);
 * - revoke: remove every role the app manages, keep the user (PBX call tracking stays);
 * - retain: leave the user and its roles as they are.
 */
export const userRemovalPolicy = z.enum(["delete", "revoke", "retain"]);
export type UserRemovalPolicyValue = z.infer<typeof userRemovalPolicy>;

/**
 * - exact: the user is declared by a CustomerUser: apply makes its roles exactly the declared ones
 *   (server-managed and read-only roles aside, U13);
 * - additive: the user is only referenced (RoleAssignment to an existing user by e-mail): the app
 *   owns only the roles it grants and leaves every other role alone.
 */
export const userManagement = z.enum(["exact", "additive"]);

/**
 * - created: the app creates the user if missing (and adopts one that exists, U2);
 * - adopted: the user must exist already (for example imported from the PBX); never deleted.
 */
export const userOrigin = z.enum(["created", "adopted"]);

export const pbxDetails = z.object({
  hostRest: z.string(),
  hostWebsocket: z.string(),
  accountId: z.string(),
  /** Name of the environment variable holding the Kazoo API key (C4). Never the key itself. */
  apiKeyEnv: z.string(),
  monitorSubAccounts: z.boolean().optional(),
});

/** Desired state of a customer (`t`). The reference is the natural key (C2). */
export const customerDesired = z.object({
  reference: z.string(),
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  timezone: z.string().optional(),
  countryCode: z.string().optional(),
  syncAcdAgentWithPbx: z.boolean().optional(),
  sendNewUserEmail: z.boolean().optional(),
  sendConnectWelcomeEmail: z.boolean().optional(),
  pbx: pbxDetails.optional(),
});
export type CustomerDesired = z.infer<typeof customerDesired>;

export const customerInput = z.object({
  kind: z.literal("customer"),
  removalPolicy: customerRemovalPolicy,
  settings,
});

/** Desired state of a user (`t`); the key is customer reference + lower-cased e-mail. */
export const userDesired = z.object({
  customer: z.string(),
  email: z.string(),
  /** Absent for additive users (the app does not own their name). */
  displayName: z.string().optional(),
  /** Sorted, de-duplicated union of every grant the code declares for this user. */
  roles: z.array(z.string()),
});
export type UserDesired = z.infer<typeof userDesired>;

export const userInput = z.object({
  kind: z.literal("user"),
  management: userManagement,
  origin: userOrigin,
  removalPolicy: userRemovalPolicy,
  /** H1: the customer's primary admin. */
  primary: z.boolean(),
  /**
   * Whether the customer is declared (owned) by the app. When an owned customer leaves the code,
   * its users go with it (the customer's own removal policy decides), so their release is skipped.
   */
  customerManaged: z.boolean(),
  settings,
});

export const customerPayload = z.object({ t: customerDesired, i: customerInput });
export const userPayload = z.object({ t: userDesired, i: userInput });
export type CustomerPayload = z.infer<typeof customerPayload>;
export type UserPayload = z.infer<typeof userPayload>;

/**
 * Desired state of a tenant access request (`t`; rules A2, A3, A8). The name is the natural key
 * (the API keeps names unique among active requests). `associations` is canonical: one entry per
 * (customer reference, mode), with the sorted, lower-cased e-mails of the partner users that
 * tenant admits — exactly what that tenant receives (A3), so regrouping the same links in code
 * changes nothing, and the plan shows each tenant's expectation.
 */
export const accessMode = z.enum(["configure", "support"]);
export type AccessModeValue = z.infer<typeof accessMode>;

export const accessAssociationDesired = z.object({
  /** The customer's reference (C2), resolved to its tenant id at apply time. */
  customer: z.string(),
  mode: accessMode,
  /** Partner users (the reseller's account users) by e-mail, resolved to ids at apply time. */
  partnerUsers: z.array(z.string()),
});
export type AccessAssociationDesired = z.infer<typeof accessAssociationDesired>;

export const accessRequestDesired = z.object({
  name: z.string(),
  /** The only text the customer sees (A2); "" when the code sets none. */
  message: z.string(),
  associations: z.array(accessAssociationDesired),
});
export type AccessRequestDesired = z.infer<typeof accessRequestDesired>;

/**
 * Waiting for the customers' decision after the request is sent (A4, A7). Bounded: the handler
 * polls every `pollSeconds` until every tenant has answered or `timeoutSeconds` have passed.
 */
export const accessWait = z.object({
  timeoutSeconds: z.number().int().min(1).max(3600),
  pollSeconds: z.number().int().min(1).max(300),
  /** Fail the apply unless every tenant granted (rejected, expired or still pending fail it). */
  requireGrant: z.boolean(),
});
export type AccessWait = z.infer<typeof accessWait>;

export const accessRequestInput = z.object({
  kind: z.literal("access-request"),
  /** Absent: the request is sent and the apply ends; the outcome is read with the CLI. */
  wait: accessWait.optional(),
  settings,
});

export const accessRequestPayload = z.object({ t: accessRequestDesired, i: accessRequestInput });
export type AccessRequestPayload = z.infer<typeof accessRequestPayload>;

export const objectPayload = z.union([customerPayload, userPayload, accessRequestPayload]);
export type ObjectPayload = z.infer<typeof objectPayload>;

/**
 * An inventory: one per stack for customers and tenant access requests (scope "customers",
 * `customer` absent), one per customer for its users.
 * `t.keys` is the sorted list of object keys it covers, so adding or removing an object replaces
 * it; `i.objects` holds each key's payload, which its release needs once the object's own resource
 * is gone from the config. For exact users that payload is a release record (`t.roles` empty, no
 * display name: their release revokes what they hold live), so a role change does not touch it.
 */
export const inventoryPayload = z.object({
  t: z.object({ scope: z.enum(["customers", "users"]), customer: z.string().optional(), keys: z.array(z.string()) }),
  i: z.object({ kind: z.literal("inventory"), objects: z.record(z.string(), objectPayload), settings }),
});
export type InventoryPayload = z.infer<typeof inventoryPayload>;

export const anyPayload = z.union([customerPayload, userPayload, accessRequestPayload, inventoryPayload]);
export type AnyPayload = z.infer<typeof anyPayload>;

/** The manifest: every object's payload by key, exactly as the resources render it. */
export const manifest = z.object({
  version: z.literal(MANIFEST_VERSION),
  stack: z.string(),
  objects: z.record(z.string(), objectPayload),
});
export type Manifest = z.infer<typeof manifest>;

export function customerKey(reference: string): string {
  return `customer:${reference}`;
}

export function userKey(customerReference: string, email: string): string {
  return `user:${customerReference}/${email.toLowerCase()}`;
}

/** Access request names are unique case-insensitively among a reseller's active requests. */
export function accessRequestKey(name: string): string {
  return `access-request:${name.toLowerCase()}`;
}
