/**
 * What the rest of the product (handler, CLI) may ask of the API client. The implementation
 * (./dimensions-client.ts) is the one place that speaks HTTP to the API; tests of the handler
 * can also run against the emulator through it.
 */
import type {
  AccessRequest,
  CreateAccessRequestRequest,
  CreateCustomerRequest,
  CreateUserRequest,
  Customer,
  CustomerUser,
  DeviceClientType,
  JsonPatchOperation,
  PartnerUser,
} from "../contracts/api";

export interface RequestOptions {
  /** Send `accept-charges: true` (C6). Only when the stack opted in. */
  readonly acceptCharges?: boolean;
}

export interface GetUserOptions {
  /**
   * true: the code declares softphones for the user, so its devices must be reported;
   * "if-reported": the devices when the answer reports them as a list of { deviceId, clientType },
   * else none given (`devices` undefined: unknown), never an error.
   * @default false: the answer's devices are not read
   */
  readonly devices?: boolean | "if-reported";
}

export interface DimensionsApi {
  /** Every customer whose reference equals `reference` exactly (filter is a contains-match). */
  findCustomersByReference(reference: string): Promise<Customer[]>;
  listCustomers(filter?: string): Promise<Customer[]>;
  getCustomer(customerId: string): Promise<Customer>;
  /**
   * POST; sent again only when the server certainly did not take it (connection refused, 429). After a
   * timeout, dropped connection or 5xx it is looked up by reference until it appears, never re-sent;
   * if it never appears, CreateOutcomeUnknownError (re-running the apply adopts it if it landed).
   */
  createCustomer(body: CreateCustomerRequest, options?: RequestOptions): Promise<Customer>;
  patchCustomer(customerId: string, patch: JsonPatchOperation[], options?: RequestOptions): Promise<void>;
  /** 404 is success (already gone). Returns false when it was already gone. */
  deleteCustomer(customerId: string): Promise<boolean>;

  /** Every user of the customer (all pages; items without roles). */
  listUsers(customerId: string): Promise<CustomerUser[]>;
  /** The user whose e-mail equals `email` case-insensitively, with roles; undefined if none. */
  findUserByEmail(customerId: string, email: string): Promise<CustomerUser | undefined>;
  /**
   * With `devices: true` the answer must report the user's PBX devices (`devices`, an [ours] field
   * of API contract §4): one that does not fails with DevicesNotReportedError.
   */
  getUser(customerId: string, userId: string, options?: GetUserOptions): Promise<CustomerUser>;
  /**
   * POST; a 409 `UserAlreadyExists` is answered as `{ existing: id }` (adopt, U2). On a dropped
   * connection, timeout or 5xx it is looked up by e-mail and, when absent, sent again (bounded): the
   * API refuses a second user with the same e-mail, so a late first one is adopted, never doubled.
   */
  createUser(
    customerId: string,
    body: CreateUserRequest,
    options?: RequestOptions,
  ): Promise<{ created: CustomerUser } | { existing: string }>;
  patchUser(customerId: string, userId: string, patch: JsonPatchOperation[], options?: RequestOptions): Promise<void>;
  /** 404 is success. Returns false when it was already gone. */
  deleteUser(customerId: string, userId: string): Promise<boolean>;
  /**
   * H5: `POST …/sendActivationEmail` (204), never retried (a second e-mail is the worse outcome).
   * U15: from a tenant that is not the user's primary one, TenantNotPrimaryError.
   */
  sendActivationEmail(customerId: string, userId: string): Promise<void>;
  /** U14: `POST …/sendUConnectActivationEmail`, the UC welcome e-mail (204); as sendActivationEmail. */
  sendUcWelcomeEmail(customerId: string, userId: string): Promise<void>;
  /**
   * U14: PUT `…/devices/pbx/{deviceId}/assign` (or `/unassign`) `{ clientType }`. PUT is idempotent
   * (assigning a device the user holds, or unassigning one it does not, changes nothing), so it is
   * retried like any idempotent call on 429, 5xx and dropped connections.
   */
  assignDevice(customerId: string, userId: string, deviceId: string, clientType: DeviceClientType): Promise<void>;
  /** `clientType` as the user holds the device (the API may report types this library does not assign). */
  unassignDevice(customerId: string, userId: string, deviceId: string, clientType: string): Promise<void>;

  listPartnerUsers(): Promise<PartnerUser[]>;
  listAccessRequests(status?: string): Promise<AccessRequest[]>;
  getAccessRequest(requestId: string): Promise<AccessRequest>;
  createAccessRequest(body: CreateAccessRequestRequest): Promise<AccessRequest>;
  /** 404 is success. */
  deleteAccessRequest(requestId: string): Promise<boolean>;

  /** Requests sent so far by this client (for the handler's one-line summaries and the bench). */
  readonly requestCount: number;
}
