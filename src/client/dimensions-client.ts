/**
 * The DimensionsApi over HTTP. Every answer is parsed with the contract's schemas; a create is sent
 * again only when the server certainly did not take it (connection refused, 429); after any other
 * failure its outcome is awaited by looking it up, never by sending it again (API contract §1.4).
 * Deletes treat 404 as done.
 */
import type { z } from "zod";
import {
  ACCEPT_CHARGES_HEADER,
  FIELD_LIMITS,
  accessRequest,
  collectionEnvelope,
  customer,
  customerUser,
  customerUserDevicesIfReported,
  customerUserLenient,
  emptySuccessEnvelope,
  errorEnvelope,
  isGuid,
  isPbxDeviceId,
  partnerUser,
  successEnvelope,
  userAlreadyExistsData,
  type AccessRequest,
  type CreateAccessRequestRequest,
  type CreateCustomerRequest,
  type CreateUserRequest,
  type Customer,
  type CustomerUser,
  type DeviceClientType,
  type JsonPatchOperation,
  type PartnerUser,
} from "../contracts/api";
import { ApiError, CreateOutcomeUnknownError, DevicesNotReportedError, InvalidArgumentError, isTenantNotPrimary, NetworkError, TenantNotPrimaryError, UnexpectedResponseError } from "./errors";
import { HttpTransport, type HttpOptions, type HttpRequest, type HttpResponse } from "./http";
import type { DimensionsApi, GetUserOptions, RequestOptions } from "./types";

export interface DimensionsClientOptions extends HttpOptions {
  /** Page size for list calls (1–1000). Default 1000. */
  readonly pageSize?: number;
  /**
   * POST attempts of a create in all, counting only repeats after the server certainly did not take
   * it (connection refused, 429). Default 5.
   */
  readonly createAttempts?: number;
  /**
   * First wait before re-sending a refused create (or the `Retry-After`, if longer) and before the
   * first lookup after an ambiguous failure; doubles per step, capped at `maxBackoffMs`. Default 1 s.
   */
  readonly createRetryDelayMs?: number;
  /**
   * After an ambiguous create failure (timeout, connection dropped after sending, 500/502/503/504):
   * how long to keep looking the object up, from the failure, before giving up with
   * CreateOutcomeUnknown. Longer than the request timeout, so a create still being processed is
   * seen landing. Default `timeoutMs` + 30 s (60 s).
   */
  readonly createOutcomeWaitMs?: number;
}

/** Statuses after which a POST may or may not have taken effect (or certainly did not: 429). */
const AMBIGUOUS_STATUSES = [429, 500, 502, 503, 504];
/** Socket errors raised before a request could reach the server (no connection was made). */
const NOT_SENT_ERROR_CODES = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"];
/** A server that ignores pageIndex would otherwise page forever. */
const MAX_PAGES = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class DimensionsClient implements DimensionsApi {
  private readonly http: HttpTransport;
  private readonly pageSize: number;
  private readonly createAttempts: number;
  private readonly createRetryDelayMs: number;
  private readonly createOutcomeWaitMs: number;
  private readonly createMaxStepMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: DimensionsClientOptions) {
    this.http = new HttpTransport(options);
    this.pageSize = Math.min(Math.max(1, Math.floor(options.pageSize ?? FIELD_LIMITS.pageSizeMax)), FIELD_LIMITS.pageSizeMax);
    this.createAttempts = Math.max(1, options.createAttempts ?? 5);
    this.createRetryDelayMs = options.createRetryDelayMs ?? 1_000;
    this.createOutcomeWaitMs = Math.max(0, options.createOutcomeWaitMs ?? (options.timeoutMs ?? 30_000) + 30_000);
    this.createMaxStepMs = options.maxBackoffMs ?? 8_000;
    this.log = options.log ?? (() => undefined);
  }

  get requestCount(): number {
    return this.http.requestCount;
  }

  /** Successful token grants (refreshes) this process performed. */
  get tokenGrants(): number {
    return this.options.tokens.grants;
  }

  // -------------------------------------------------------------------------------------------
  // Customers

  async listCustomers(filter?: string): Promise<Customer[]> {
    return this.pages("customers", customer, filter ? { filter } : {});
  }

  async findCustomersByReference(reference: string): Promise<Customer[]> {
    // `filter` is a contains-match on name and reference: narrow to the exact reference.
    const candidates = await this.listCustomers(reference);
    return candidates.filter((c) => c.reference === reference);
  }

  async getCustomer(customerId: string): Promise<Customer> {
    const path = `customers/${id(customerId, "customerId")}`;
    return this.data(await this.http.send({ method: "GET", path }), customer, "GET", path);
  }

  async createCustomer(body: CreateCustomerRequest, options?: RequestOptions): Promise<Customer> {
    const secrets = body.pbxConnectionProfile?.apiKey ? [body.pbxConnectionProfile.apiKey] : [];
    const request: HttpRequest = { method: "POST", path: "customers", json: body, headers: charges(options), secrets };
    return this.createOnce(
      request,
      `reference ${JSON.stringify(body.reference)}`,
      async () => this.createdObject(await this.http.send(request), customer, request, (newId) => this.getCustomer(newId)),
      async () => (await this.findCustomersByReference(body.reference))[0],
    );
  }

  async patchCustomer(customerId: string, patch: JsonPatchOperation[], options?: RequestOptions): Promise<void> {
    await this.patch(`customers/${id(customerId, "customerId")}`, patch, options);
  }

  async deleteCustomer(customerId: string): Promise<boolean> {
    return this.delete(`customers/${id(customerId, "customerId")}`);
  }

  // -------------------------------------------------------------------------------------------
  // Customer users

  async listUsers(customerId: string): Promise<CustomerUser[]> {
    return this.pages(`customers/${id(customerId, "customerId")}/users`, customerUserLenient);
  }

  async findUserByEmail(customerId: string, email: string): Promise<CustomerUser | undefined> {
    const wanted = email.toLowerCase();
    const match = (await this.listUsers(customerId)).find((u) => u.email.toLowerCase() === wanted);
    // Collections carry no roles: fetch the user itself.
    return match ? this.getUser(customerId, match.id) : undefined;
  }

  async getUser(customerId: string, userId: string, options: GetUserOptions = {}): Promise<CustomerUser> {
    const path = `customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}`;
    // Devices are parsed strictly only by a reader that plans them (see customerUserLenient).
    const schema = options.devices === true ? customerUser : options.devices === "if-reported" ? customerUserDevicesIfReported : customerUserLenient;
    const user = this.data(await this.http.send({ method: "GET", path }), schema, "GET", path);
    // Never assume "no devices" from silence: a real API without the field would be re-assigned blindly.
    if (options.devices === true && !Array.isArray(user.devices)) throw new DevicesNotReportedError("GET", `/api/v1.0/${path}`);
    return user;
  }

  async createUser(
    customerId: string,
    body: CreateUserRequest,
    options?: RequestOptions,
  ): Promise<{ created: CustomerUser } | { existing: string }> {
    const request: HttpRequest = {
      method: "POST",
      path: `customers/${id(customerId, "customerId")}/users`,
      json: { email: body.email, displayName: body.displayName, roles: body.roles ?? [] },
      headers: charges(options),
    };
    const lookup = async (): Promise<{ existing: string } | undefined> => {
      const found = await this.findUserByEmail(customerId, body.email);
      return found ? { existing: found.id } : undefined;
    };
    return this.createOnce(request, `e-mail ${JSON.stringify(body.email)}`, async () => {
      const res = await this.http.send(request, [409]);
      if (res.status === 409) {
        const envelope = errorEnvelope.safeParse(res.body);
        const code = envelope.success ? envelope.data.errorCode : undefined;
        if (code !== undefined && code !== "UserAlreadyExists") throw this.http409(request, res);
        const adopted = userAlreadyExistsData.safeParse(envelope.success ? envelope.data.data : undefined);
        if (adopted.success) return { existing: adopted.data.id };
        // The vendor may not name the id: find it by e-mail.
        const found = await lookup();
        if (found) return found;
        throw this.http409(request, res);
      }
      const created = await this.createdObject(res, customerUser, request, (newId) => this.getUser(customerId, newId), async () => {
        // Neither a user in `data` nor a Location: it was created, so the e-mail finds it.
        return this.findUserByEmail(customerId, body.email);
      });
      return { created };
    }, lookup, { resendWhenAbsent: true });
  }

  async patchUser(customerId: string, userId: string, patch: JsonPatchOperation[], options?: RequestOptions): Promise<void> {
    await this.patch(`customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}`, patch, options);
  }

  async deleteUser(customerId: string, userId: string): Promise<boolean> {
    return this.delete(`customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}`);
  }

  async sendActivationEmail(customerId: string, userId: string): Promise<void> {
    await this.sendEmail(customerId, userId, "sendActivationEmail");
  }

  async sendUcWelcomeEmail(customerId: string, userId: string): Promise<void> {
    await this.sendEmail(customerId, userId, "sendUConnectActivationEmail");
  }

  private async sendEmail(customerId: string, userId: string, route: string): Promise<void> {
    try {
      // Not repeated on failure: a second e-mail is the worse outcome and nothing can look it up.
      await this.http.send({ method: "POST", path: `customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}/${route}` });
    } catch (err) {
      throw err instanceof ApiError && isTenantNotPrimary(err) ? new TenantNotPrimaryError(err) : err;
    }
  }

  async assignDevice(customerId: string, userId: string, deviceId: string, clientType: DeviceClientType): Promise<void> {
    await this.device(customerId, userId, deviceId, clientType, "assign");
  }

  async unassignDevice(customerId: string, userId: string, deviceId: string, clientType: string): Promise<void> {
    await this.device(customerId, userId, deviceId, clientType, "unassign");
  }

  private async device(customerId: string, userId: string, deviceId: string, clientType: string, action: "assign" | "unassign"): Promise<void> {
    if (!isPbxDeviceId(deviceId)) {
      throw new InvalidArgumentError("InvalidArgument", `deviceId ${JSON.stringify(String(deviceId)).slice(0, 80)} is not a PBX device id (1–64 letters, digits, ".", "_" or "-")`);
    }
    // PUT, not POST (both are offered, §4): idempotent, so the transport retries it safely.
    const path = `customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}/devices/pbx/${deviceId}/${action}`;
    await this.http.send({ method: "PUT", path, json: { clientType } });
  }

  // -------------------------------------------------------------------------------------------
  // Partner users and access requests

  async listPartnerUsers(): Promise<PartnerUser[]> {
    return this.pages("accounts/me/users", partnerUser);
  }

  async listAccessRequests(status?: string): Promise<AccessRequest[]> {
    return this.pages("accessrequests", accessRequest, status ? { status } : {});
  }

  async getAccessRequest(requestId: string): Promise<AccessRequest> {
    const path = `accessrequests/${id(requestId, "requestId")}`;
    return this.data(await this.http.send({ method: "GET", path }), accessRequest, "GET", path);
  }

  /** A 409 `AccessRequestExists` (name in use) is thrown as ApiError; the caller decides to adopt. */
  async createAccessRequest(body: CreateAccessRequestRequest): Promise<AccessRequest> {
    const request: HttpRequest = { method: "POST", path: "accessrequests", json: body };
    return this.createOnce(
      request,
      `name ${JSON.stringify(body.name)}`,
      async () => this.createdObject(await this.http.send(request), accessRequest, request, (newId) => this.getAccessRequest(newId)),
      // Only an active request proves the POST landed: a withdrawn one may keep the same name.
      async () =>
        (await this.listAccessRequests()).find((r) => r.name.toLowerCase() === body.name.toLowerCase() && r.tenants.some((t) => t.status !== "withdrawn")),
    );
  }

  async deleteAccessRequest(requestId: string): Promise<boolean> {
    return this.delete(`accessrequests/${id(requestId, "requestId")}`);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** Every page until one is shorter than the page size (API contract §1.2). */
  private async pages<T extends z.ZodType>(path: string, item: T, params: Record<string, string> = {}): Promise<z.infer<T>[]> {
    const schema = collectionEnvelope(item);
    const out: z.infer<T>[] = [];
    for (let pageIndex = 0; pageIndex < MAX_PAGES; pageIndex++) {
      const res = await this.http.send({ method: "GET", path, searchParams: { ...params, pageIndex, pageSize: this.pageSize } });
      const page = this.parse(schema, res, "GET", path);
      out.push(...(page.data as z.infer<T>[]));
      // A server that caps the page size lower than asked still pages correctly.
      const effective = page.page_size > 0 ? Math.min(this.pageSize, page.page_size) : this.pageSize;
      if (page.data.length < effective || page.data.length === 0) return out;
    }
    throw new UnexpectedResponseError("GET", `/api/v1.0/${path}`, 200, [`paging did not end after ${MAX_PAGES} pages`]);
  }

  private async patch(path: string, patch: JsonPatchOperation[], options?: RequestOptions): Promise<void> {
    if (patch.length === 0) return; // nothing to change; the API rejects an empty patch
    const res = await this.http.send({ method: "PATCH", path, json: patch, headers: charges(options) });
    if (res.body !== undefined) this.parse(emptySuccessEnvelope, res, "PATCH", path);
  }

  private async delete(path: string): Promise<boolean> {
    const res = await this.http.send({ method: "DELETE", path }, [404]);
    if (res.status === 404) return false;
    if (res.body !== undefined) this.parse(emptySuccessEnvelope, res, "DELETE", path);
    return true;
  }

  private parse<S extends z.ZodType>(schema: S, res: HttpResponse, method: string, path: string): z.infer<S> {
    const parsed = schema.safeParse(res.body);
    if (parsed.success) return parsed.data;
    throw new UnexpectedResponseError(
      method,
      `/api/v1.0/${path}`,
      res.status,
      parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
    );
  }

  private data<T extends z.ZodType>(res: HttpResponse, item: T, method: string, path: string): z.infer<T> {
    return (this.parse(successEnvelope(item), res, method, path) as { data: z.infer<T> }).data;
  }

  /**
   * The object a 201 describes: its `data`; failing that the object at `Location`; failing that a
   * lookup (when the caller has one). Otherwise the answer is not what the contract says: fail.
   */
  private async createdObject<T extends z.ZodType>(
    res: HttpResponse,
    item: T,
    request: HttpRequest,
    fetchById: (newId: string) => Promise<z.infer<T>>,
    lookup?: () => Promise<z.infer<T> | undefined>,
  ): Promise<z.infer<T>> {
    const parsed = successEnvelope(item).safeParse(res.body);
    if (parsed.success) return (parsed.data as { data: z.infer<T> }).data;
    const location = res.headers.location;
    const newId = typeof location === "string" ? location.split("?")[0]?.split("/").pop() : undefined;
    if (newId && isGuid(newId)) return fetchById(newId);
    const found = lookup ? await lookup() : undefined;
    if (found !== undefined) return found;
    return this.parse(successEnvelope(item), res, request.method, request.path) as never; // throws, with the issues
  }

  /**
   * Sends a create POST at most once per certain refusal (API contract §1.4):
   * - refused before the server processed it (connection refused, 429 on the POST itself): waits
   *   (honouring `Retry-After`) and sends it again, at most `createAttempts` times in all;
   * - any other failure whose outcome is unknown (timeout, dropped connection, 500/502/503/504, or
   *   a failure after the POST was answered): looked up, never sent blindly (see `awaitOutcome`); it
   *   goes again only once a lookup proves it absent, and then only after the server's own 500/503
   *   (its processing ended) or, with `resendWhenAbsent` (users: the API refuses a duplicate e-mail),
   *   after any failure.
   */
  private async createOnce<T>(
    request: HttpRequest,
    naturalKey: string,
    post: () => Promise<T>,
    lookup: () => Promise<T | undefined>,
    options: { readonly resendWhenAbsent?: boolean } = {},
  ): Promise<T> {
    const label = `${request.method} /api/v1.0/${request.path}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await post();
      } catch (err) {
        const attempts = options.resendWhenAbsent ? Math.max(this.createAttempts, RESEND_ATTEMPTS) : this.createAttempts;
        if (refusedBeforeProcessing(err, request)) {
          if (attempt >= attempts) throw err;
          const retryAfterMs = err instanceof ApiError && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : 0;
          const delay = Math.max(retryAfterMs, Math.min(this.createRetryDelayMs * 2 ** (attempt - 1), this.createMaxStepMs));
          this.log(
            `${label}: ${describe(err)}, so the server did not take it; sending it again in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attempts})`,
          );
          await sleep(delay);
          continue;
        }
        if (!isAmbiguous(err)) throw err;
        // A user create may go again once a lookup proves it absent: the API refuses a second
        // user with the same e-mail (UserAlreadyExists, adopted), so a late first one costs nothing.
        // The server's own 500/503 ends its processing: a lookup then proves the outcome, and a
        // create it proves absent may go again (API contract §1.4). A drop or a timeout may still be
        // in flight: only a user create (duplicates refused) goes again after those.
        const answered = err instanceof ApiError && (err.status === 500 || err.status === 503);
        if ((options.resendWhenAbsent || answered) && attempt < attempts) {
          let found: T | undefined;
          try {
            found = await lookup();
          } catch (lookupErr) {
            if (!isAmbiguous(lookupErr)) throw lookupErr;
            return this.awaitOutcome(request, naturalKey, err, lookup);
          }
          if (found !== undefined) {
            this.log(`${label}: ${describe(err)}, but ${naturalKey} exists: it landed once, not sending it again`);
            return found;
          }
          const delay = Math.min(this.createRetryDelayMs * 2 ** (attempt - 1), this.createMaxStepMs);
          this.log(`${label}: ${describe(err)} and ${naturalKey} is absent; sending it again in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attempts}; a duplicate is refused by the API)`);
          await sleep(delay);
          continue;
        }
        return this.awaitOutcome(request, naturalKey, err, lookup);
      }
    }
  }

  /**
   * After an ambiguous create failure: looks the object up by its natural key with backoff until it
   * appears (returned as the lookup gives it) or `createOutcomeWaitMs` has passed since the failure;
   * then throws CreateOutcomeUnknownError. The POST is never sent again: it may still be processing.
   */
  private async awaitOutcome<T>(request: HttpRequest, naturalKey: string, failure: NetworkError | ApiError, lookup: () => Promise<T | undefined>): Promise<T> {
    const path = `/api/v1.0/${request.path}`;
    const label = `${request.method} ${path}`;
    const started = Date.now();
    // A 500 or 503 is the server's own answer: its processing has ended, and whatever landed can
    // be seen at once; only a timeout, a dropped connection or a gateway's 502/504 leaves the
    // request possibly still in flight behind it, worth the long wait.
    const answered = failure instanceof ApiError && (failure.status === 500 || failure.status === 503);
    const waitMs = answered ? Math.min(this.createOutcomeWaitMs, ANSWERED_OUTCOME_WAIT_MS) : this.createOutcomeWaitMs;
    const deadline = started + waitMs;
    this.log(`${label}: ${describe(failure)}; it may have landed, so it is not sent again: looking up ${naturalKey} for up to ${Math.round(waitMs / 1000)} s`);
    let step = this.createRetryDelayMs;
    let lookupFailure: string | undefined;
    for (;;) {
      await sleep(Math.max(0, Math.min(step, deadline - Date.now())));
      step = Math.min(step * 2, this.createMaxStepMs);
      try {
        const found = await lookup();
        if (found !== undefined) {
          this.log(`${label}: ${naturalKey} found after ${((Date.now() - started) / 1000).toFixed(1)} s; it landed once, not sending it again`);
          return found;
        }
        lookupFailure = undefined;
      } catch (err) {
        // A lookup that fails transiently does not end the wait; anything else is thrown as is.
        if (!isAmbiguous(err)) throw err;
        lookupFailure = describe(err);
      }
      if (Date.now() >= deadline) break;
    }
    throw new CreateOutcomeUnknownError(request.method, path, naturalKey, describe(failure), Date.now() - started, lookupFailure);
  }

  private http409(request: HttpRequest, res: HttpResponse): ApiError {
    const envelope = errorEnvelope.safeParse(res.body);
    return new ApiError(
      409,
      envelope.success ? envelope.data.errorCode : undefined,
      envelope.success ? (envelope.data.message ?? "") : "",
      request.method,
      `/api/v1.0/${request.path}`,
    );
  }
}

/**
 * Attempts in all of a create that may go again once a lookup proves it absent (users): safe, so
 * more than for other creates — at 20 % of failed requests, six attempts leave one user in 15,000.
 */
const RESEND_ATTEMPTS = 6;

/** How long to look for a create the server answered with 500/503 (see awaitOutcome). */
const ANSWERED_OUTCOME_WAIT_MS = 3_000;

/** The create POST itself (not a follow-up GET) was refused before the server processed it. */
function refusedBeforeProcessing(err: unknown, request: HttpRequest): err is NetworkError | ApiError {
  const fromPost = (err instanceof NetworkError || err instanceof ApiError) && err.method === request.method && err.path === `/api/v1.0/${request.path}`;
  if (!fromPost) return false;
  return err instanceof NetworkError ? NOT_SENT_ERROR_CODES.includes(err.causeCode) : err.status === 429;
}

function isAmbiguous(err: unknown): err is NetworkError | ApiError {
  return err instanceof NetworkError || (err instanceof ApiError && AMBIGUOUS_STATUSES.includes(err.status));
}

function describe(err: NetworkError | ApiError): string {
  return err instanceof NetworkError ? `no response (${err.causeCode})` : `${err.status} ${err.errorCode}`;
}

function charges(options: RequestOptions | undefined): Record<string, string> | undefined {
  return options?.acceptCharges === true ? { [ACCEPT_CHARGES_HEADER]: "true" } : undefined;
}

/** Ids go into paths: refuse anything but a GUID (the API would answer 400 anyway, or worse, route elsewhere). */
function id(value: string, what: string): string {
  if (typeof value !== "string" || !isGuid(value)) {
    throw new InvalidArgumentError("InvalidGuid", `${what} ${JSON.stringify(String(value)).slice(0, 80)} is not a GUID`);
  }
  return value;
}
