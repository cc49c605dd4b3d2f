/**
 * The DimensionsApi over HTTP. Every answer is parsed with the contract's schemas; creates are
 * safe to repeat (a failed POST whose outcome is unknown is looked up before it is sent again),
 * deletes treat 404 as done.
 */
import type { z } from "zod";
import {
  ACCEPT_CHARGES_HEADER,
  FIELD_LIMITS,
  accessRequest,
  collectionEnvelope,
  customer,
  customerUser,
  emptySuccessEnvelope,
  errorEnvelope,
  isGuid,
  partnerUser,
  successEnvelope,
  userAlreadyExistsData,
  type AccessRequest,
  type CreateAccessRequestRequest,
  type CreateCustomerRequest,
  type CreateUserRequest,
  type Customer,
  type CustomerUser,
  type JsonPatchOperation,
  type PartnerUser,
} from "../contracts/api";
import { ApiError, InvalidArgumentError, NetworkError, UnexpectedResponseError } from "./errors";
import { HttpTransport, type HttpOptions, type HttpRequest, type HttpResponse } from "./http";
import type { DimensionsApi, RequestOptions } from "./types";

export interface DimensionsClientOptions extends HttpOptions {
  /** Page size for list calls (1–1000). Default 1000. */
  readonly pageSize?: number;
  /** POST attempts of a create, a lookup before each repeat. Default 3. */
  readonly createAttempts?: number;
  /** Wait before the lookup that follows an unknown POST outcome; doubles per attempt. Default 1 s. */
  readonly createRetryDelayMs?: number;
}

/** Statuses after which a POST may or may not have taken effect (or certainly did not: 429). */
const AMBIGUOUS_STATUSES = [429, 500, 502, 503, 504];
/** A server that ignores pageIndex would otherwise page forever. */
const MAX_PAGES = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class DimensionsClient implements DimensionsApi {
  private readonly http: HttpTransport;
  private readonly pageSize: number;
  private readonly createAttempts: number;
  private readonly createRetryDelayMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: DimensionsClientOptions) {
    this.http = new HttpTransport(options);
    this.pageSize = Math.min(Math.max(1, Math.floor(options.pageSize ?? FIELD_LIMITS.pageSizeMax)), FIELD_LIMITS.pageSizeMax);
    this.createAttempts = Math.max(1, options.createAttempts ?? 3);
    this.createRetryDelayMs = options.createRetryDelayMs ?? 1_000;
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
    return this.pages(`customers/${id(customerId, "customerId")}/users`, customerUser);
  }

  async findUserByEmail(customerId: string, email: string): Promise<CustomerUser | undefined> {
    const wanted = email.toLowerCase();
    const match = (await this.listUsers(customerId)).find((u) => u.email.toLowerCase() === wanted);
    // Collections carry no roles: fetch the user itself.
    return match ? this.getUser(customerId, match.id) : undefined;
  }

  async getUser(customerId: string, userId: string): Promise<CustomerUser> {
    const path = `customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}`;
    return this.data(await this.http.send({ method: "GET", path }), customerUser, "GET", path);
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
    return this.createOnce(request, async () => {
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
    }, lookup);
  }

  async patchUser(customerId: string, userId: string, patch: JsonPatchOperation[], options?: RequestOptions): Promise<void> {
    await this.patch(`customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}`, patch, options);
  }

  async deleteUser(customerId: string, userId: string): Promise<boolean> {
    return this.delete(`customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}`);
  }

  async sendActivationEmail(customerId: string, userId: string): Promise<void> {
    // Not repeated on failure: a second e-mail is the worse outcome and nothing can look it up.
    await this.http.send({
      method: "POST",
      path: `customers/${id(customerId, "customerId")}/users/${id(userId, "userId")}/sendActivationEmail`,
    });
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

  /** Every page until one is shorter than the page size (api-contract §1.2). */
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
   * Sends a POST; when its outcome is unknown (no answer, 5xx) or it was refused for rate (429),
   * waits, looks the object up by its natural key and returns it if it is there, else sends the
   * POST again, at most `createAttempts` times in all. Never a blind repeat.
   */
  private async createOnce<T>(request: HttpRequest, post: () => Promise<T>, lookup: () => Promise<T | undefined>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await post();
      } catch (err) {
        if (!isAmbiguous(err)) throw err;
        const retryAfterMs = err instanceof ApiError && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : 0;
        await sleep(Math.max(retryAfterMs, this.createRetryDelayMs * 2 ** (attempt - 1)));
        const found = await lookup();
        if (found !== undefined) {
          this.log(`POST /api/v1.0/${request.path}: ${describe(err)}, but the lookup found it created; not sending it again`);
          return found;
        }
        if (attempt >= this.createAttempts) throw err;
        this.log(`POST /api/v1.0/${request.path}: ${describe(err)} and the lookup found nothing; sending it again (attempt ${attempt + 1} of ${this.createAttempts})`);
      }
    }
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
