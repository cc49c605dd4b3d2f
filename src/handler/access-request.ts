/**
 * Tenant access requests (seed 002; API contract §5; rules A1–A7). A request is found by its name
 * among the reseller's active (not withdrawn) requests — never by an id kept in state — so a re-run
 * after a crash, or after a failed wait, adopts what the first run sent.
 *
 * - apply: resolve partner e-mails (`GET /accounts/me/users`) and customer references to ids; adopt
 *   the active request with this name when its content is the same, fail (AccessRequestNameTaken)
 *   when its content differs, otherwise send it. Optionally wait, bounded, for the customers'
 *   decisions and print one line per tenant.
 * - release: withdraw the active request with this name (none: already done). A replacement that
 *   keeps the same desired state (only wait options changed) keeps the request.
 */
import type { AccessRequest, CreateAccessRequestRequest } from "../contracts/api";
import { accessRequestKey, type AccessModeValue, type AccessRequestDesired, type AccessRequestPayload, type AccessWait } from "../contracts/handler";
import { canonicalDigest, canonicalEqual, meter, type HandlerDeps } from "./context";
import { findCustomer } from "./executor";
import { HandlerError, isApiError, toHandlerError } from "./errors";

export function accessRequestSubject(name: string): string {
  return `access request ${name}`;
}

/** E-mail (lower-cased) → partner user id; customer reference → tenant id. */
export interface ResolvedIds {
  readonly users: ReadonlyMap<string, string>;
  readonly customers: ReadonlyMap<string, string>;
}

/** One tenant's request as the API holds it: its tenant, mode and partner users (ids, lower-cased). */
interface TenantExpectation {
  readonly tenantId: string;
  readonly mode: AccessModeValue;
  readonly userIds: readonly string[];
}

const keyOf = (tenantId: string, mode: string) => `${tenantId.toLowerCase()}|${mode}`;

/** A3: what each tenant must receive, by tenant id and mode. */
export function desiredExpectations(t: AccessRequestDesired, ids: ResolvedIds): Map<string, TenantExpectation> {
  const out = new Map<string, TenantExpectation>();
  for (const a of t.associations) {
    const tenantId = ids.customers.get(a.customer)!.toLowerCase();
    const key = keyOf(tenantId, a.mode);
    const users = new Set(out.get(key)?.userIds ?? []);
    for (const email of a.partnerUsers) users.add(ids.users.get(email.toLowerCase())!.toLowerCase());
    out.set(key, { tenantId, mode: a.mode, userIds: [...users].sort() });
  }
  return out;
}

/** The per-tenant requests of an API request (from `tenants`, else from `associations`). */
export function apiExpectations(request: AccessRequest): Map<string, TenantExpectation> {
  const out = new Map<string, TenantExpectation>();
  const add = (tenantId: string, mode: AccessModeValue, userIds: readonly string[]) => {
    const key = keyOf(tenantId, mode);
    const users = new Set(out.get(key)?.userIds ?? []);
    for (const u of userIds) users.add(u.toLowerCase());
    out.set(key, { tenantId: tenantId.toLowerCase(), mode, userIds: [...users].sort() });
  };
  const complete = request.tenants.length > 0 && request.tenants.every((t) => t.mode !== undefined && t.userIds !== undefined);
  if (complete) for (const t of request.tenants) add(t.tenantId, t.mode!, t.userIds!);
  else for (const a of request.associations) for (const tenantId of a.tenantIds) add(tenantId, a.mode, a.userIds);
  return out;
}

/** Same message and the same partner users per tenant and mode: the request the code declares. */
export function sameContent(request: AccessRequest, t: AccessRequestDesired, ids: ResolvedIds): boolean {
  if ((request.message ?? "") !== t.message) return false;
  const want = desiredExpectations(t, ids);
  const have = apiExpectations(request);
  if (want.size !== have.size) return false;
  for (const [key, w] of want) {
    const h = have.get(key);
    if (!h || !canonicalEqual(h.userIds, w.userIds)) return false;
  }
  return true;
}

/** A request is active while any of its tenants' requests is not withdrawn. */
export function isActive(request: AccessRequest): boolean {
  return request.tenants.some((t) => t.status !== "withdrawn");
}

/** The active request with this name (compared case-insensitively, as the API does), if any. */
export async function findActiveRequest(deps: Pick<HandlerDeps, "api">, name: string): Promise<AccessRequest | undefined> {
  const wanted = name.toLowerCase();
  const found = (await deps.api.listAccessRequests()).filter((r) => r.name.toLowerCase() === wanted && isActive(r));
  if (found.length > 1) {
    throw new HandlerError("DuplicateAccessRequestName", `${found.length} active access requests are named "${name}" (ids ${found.map((r) => r.id).join(", ")})`, {
      rule: "A2",
      hint: "withdraw the extra requests (dimensions access-requests lists them), then apply again",
    });
  }
  return found[0];
}

/** Partner e-mails and customer references of `t`, resolved to ids; every missing one named at once. */
export async function resolveIds(t: AccessRequestDesired, deps: Pick<HandlerDeps, "api">): Promise<ResolvedIds> {
  const emails = [...new Set(t.associations.flatMap((a) => a.partnerUsers.map((e) => e.toLowerCase())))].sort();
  const references = [...new Set(t.associations.map((a) => a.customer))].sort();
  const partners = await deps.api.listPartnerUsers();
  const users = new Map<string, string>();
  for (const p of partners) users.set(p.email.toLowerCase(), p.id);
  const missingUsers = emails.filter((e) => !users.has(e));
  if (missingUsers.length > 0) {
    throw new HandlerError("PartnerUserNotFound", `partner user(s) ${missingUsers.join(", ")} are not among the reseller's account users`, {
      rule: "A3",
      hint: "check the e-mails in the request's associations against GET /accounts/me/users (your own staff, not customer users)",
    });
  }
  const customers = new Map<string, string>();
  const missingCustomers: string[] = [];
  for (const reference of references) {
    const customer = await findCustomer(deps, reference);
    if (customer) customers.set(reference, customer.id);
    else missingCustomers.push(reference);
  }
  if (missingCustomers.length > 0) {
    throw new HandlerError("CustomerNotFound", `customer(s) ${missingCustomers.join(", ")} do not exist`, {
      rule: "A3",
      hint: "declare the customer in this stack (the request then waits for it), or check the reference given to Customer.fromReference",
    });
  }
  return { users: new Map([...users].filter(([email]) => emails.includes(email))), customers };
}

function createBody(t: AccessRequestDesired, ids: ResolvedIds): CreateAccessRequestRequest {
  return {
    name: t.name,
    ...(t.message !== "" ? { message: t.message } : {}),
    // Already one association per (tenant, mode): exactly what each tenant receives (A3).
    associations: t.associations.map((a) => ({
      userIds: a.partnerUsers.map((e) => ids.users.get(e.toLowerCase())!),
      tenantIds: [ids.customers.get(a.customer)!],
      mode: a.mode,
    })),
  };
}

const NAME_TAKEN_HINT =
  "another active request already uses this name with other users, customers, modes or message; the API cannot edit a request: " +
  "give this request a new name (then remove the old one from wherever it was made), or withdraw the existing one first";

function nameTaken(t: AccessRequestDesired, existing: AccessRequest): HandlerError {
  return new HandlerError("AccessRequestNameTaken", `the active request ${existing.id} named "${existing.name}" has other content than the code declares`, {
    rule: "A2",
    subject: accessRequestSubject(t.name),
    hint: NAME_TAKEN_HINT,
  });
}

/** Apply: adopt or send the request (A1, A2, A3), then optionally wait for the customers (A4, A7). */
export async function applyAccessRequest(payload: AccessRequestPayload, deps: HandlerDeps): Promise<void> {
  const { t, i } = payload;
  const subject = accessRequestSubject(t.name);
  const requests = meter(deps.api);
  let request: AccessRequest;
  let ids: ResolvedIds;
  try {
    ids = await resolveIds(t, deps);
    const existing = await findActiveRequest(deps, t.name);
    if (existing) {
      if (!sameContent(existing, t, ids)) throw nameTaken(t, existing);
      request = existing;
      deps.report.action(subject, `adopted request ${existing.id}: already as declared`, requests());
    } else {
      request = await send(t, ids, deps);
      const n = request.tenants.length;
      deps.report.action(subject, `sent request ${request.id} (${n} tenant request${n === 1 ? "" : "s"})`, requests());
    }
  } catch (e) {
    throw toHandlerError(e, subject, `sending access request ${t.name}`);
  }
  // The request exists as declared: a release's marker for it has served its purpose.
  deps.markers.remove(accessRequestKey(t.name));
  const labels = tenantLabels(t, ids);
  if (!i.wait) {
    for (const line of outcomeLines(request, labels, deps.clock.now())) deps.report.action(subject, line);
    return;
  }
  await waitForDecision(request, labels, i.wait, deps);
}

async function send(t: AccessRequestDesired, ids: ResolvedIds, deps: HandlerDeps): Promise<AccessRequest> {
  try {
    return await deps.api.createAccessRequest(createBody(t, ids));
  } catch (e) {
    if (isApiError(e) && e.errorCode === "RoleRequired") {
      throw new HandlerError("RoleRequired", `the partner user whose credentials terraform uses may not create access requests (${e.method} ${e.path} → ${e.status})`, {
        rule: "A1",
        hint: "access requests need the reseller role tm.admin (TM Admin): grant it to that account user, or run terraform with the credentials of one who holds it",
      });
    }
    // Someone (or a concurrent run) took the name between the lookup and the POST.
    if (isApiError(e) && (e.errorCode === "AccessRequestExists" || e.status === 409)) {
      const existing = await findActiveRequest(deps, t.name);
      if (existing && sameContent(existing, t, ids)) return existing;
      if (existing) throw nameTaken(t, existing);
    }
    throw e;
  }
}

/** `TSFP-001 (support)` for each tenant request, by tenant id and mode. */
function tenantLabels(t: AccessRequestDesired, ids: ResolvedIds): Map<string, { label: string; users: string[] }> {
  const out = new Map<string, { label: string; users: string[] }>();
  for (const a of t.associations) {
    out.set(keyOf(ids.customers.get(a.customer)!, a.mode), { label: `customer ${a.customer} (${a.mode})`, users: [...a.partnerUsers] });
  }
  return out;
}

type Tenant = AccessRequest["tenants"][number];

/** Effective status: a grant past its expiry reads as expired even if the server still says granted (A5). */
export function statusOf(tenant: Tenant, now: number): Tenant["status"] {
  if (tenant.status === "granted" && tenant.expiresAt && Date.parse(tenant.expiresAt) <= now) return "expired";
  return tenant.status;
}

/** One line per tenant request: status, users, expiry and the customer's message (A7). */
export function outcomeLines(request: AccessRequest, labels: ReadonlyMap<string, { label: string; users: string[] }>, now: number, waitedSeconds?: number): string[] {
  return request.tenants.map((tenant) => {
    const known = tenant.mode ? labels.get(keyOf(tenant.tenantId, tenant.mode)) : undefined;
    const label = known?.label ?? `tenant ${tenant.tenantId}${tenant.mode ? ` (${tenant.mode})` : ""}`;
    const users = known ? ` for ${known.users.join(", ")}` : "";
    const said = tenant.responseMessage ? `; the customer says "${tenant.responseMessage}"` : "";
    switch (statusOf(tenant, now)) {
      case "granted":
        return `${label}: granted${users}${tenant.expiresAt ? `, expires ${tenant.expiresAt}` : ", no expiry"}${said}`;
      case "rejected":
        return `${label}: rejected${users}${said}`;
      case "expired":
        return `${label}: expired${tenant.expiresAt ? ` at ${tenant.expiresAt}` : ""}${users}; access has ended — send a new request (a new name) to continue (A5)`;
      case "withdrawn":
        return `${label}: withdrawn`;
      case "pending":
        return waitedSeconds === undefined ? `${label}: pending${users} — waiting for the customer's admin to grant or reject it` : `${label}: still pending after ${waitedSeconds} s${users}`;
    }
  });
}

/**
 * Polls the request until no tenant is pending or the timeout passes — never longer: the loop is
 * bounded by time and by count. Then one line per tenant; with requireGrant, anything but granted
 * everywhere fails the apply (the request stays sent; the next apply adopts it and waits again).
 */
export async function waitForDecision(
  request: AccessRequest,
  labels: ReadonlyMap<string, { label: string; users: string[] }>,
  wait: AccessWait,
  deps: HandlerDeps,
): Promise<void> {
  const subject = accessRequestSubject(request.name);
  const start = deps.clock.now();
  const deadline = start + wait.timeoutSeconds * 1000;
  const maxPolls = Math.ceil(wait.timeoutSeconds / wait.pollSeconds) + 1;
  let current = request;
  const pending = (r: AccessRequest) => r.tenants.some((t) => statusOf(t, deps.clock.now()) === "pending");
  deps.report.action(subject, `waiting up to ${wait.timeoutSeconds} s for the customers' decisions`);
  try {
    for (let poll = 0; poll < maxPolls && pending(current); poll++) {
      const left = deadline - deps.clock.now();
      if (left <= 0) break;
      await deps.clock.sleep(Math.min(wait.pollSeconds * 1000, left));
      current = await deps.api.getAccessRequest(request.id);
    }
  } catch (e) {
    throw toHandlerError(e, subject, `reading access request ${request.name}`);
  }
  const waited = Math.round((deps.clock.now() - start) / 1000);
  for (const line of outcomeLines(current, labels, deps.clock.now(), waited)) deps.report.action(subject, line);
  if (!wait.requireGrant) return;
  const notGranted = current.tenants.filter((t) => statusOf(t, deps.clock.now()) !== "granted");
  if (notGranted.length > 0) {
    const what = notGranted.map((t) => `${labels.get(keyOf(t.tenantId, t.mode ?? ""))?.label ?? t.tenantId} ${statusOf(t, deps.clock.now())}`).join(", ");
    throw new HandlerError("AccessNotGranted", `${notGranted.length} of ${current.tenants.length} tenant requests are not granted: ${what}`, {
      rule: "A4",
      subject,
      hint: "waitForDecision.requireGrant is set: the request stays sent; apply again to wait again (it is adopted, not re-sent), or ask the customer's admin",
    });
  }
}

/**
 * Release, with the old payload from state and the manifest's entry for the same name:
 * - absent: the request left the code: the stack's inventory withdraws it;
 * - same desired state: `-replace`, a tainted successor or a destroy: nothing now; a marker tells
 *   the apply that follows (which adopts the same request) or the stack's release (which withdraws);
 * - different: a replacement. The API cannot edit a request and keeps names unique among active
 *   ones, so the old one is withdrawn and the apply sends the new one (it must be granted again).
 */
export async function releaseAccessRequest(payload: AccessRequestPayload, deps: HandlerDeps): Promise<void> {
  const { t } = payload;
  const key = accessRequestKey(t.name);
  const subject = accessRequestSubject(t.name);
  const entry = deps.manifest.objects[key];
  if (entry === undefined || entry.i.kind !== "access-request") {
    deps.report.action(subject, "left the code: the stack's inventory withdraws it");
    return;
  }
  if (canonicalEqual(entry.t, t)) {
    // The upgrade of a state written before t and i were JSON text replaces the stack resource too:
    // "upgraded" tells its release that this is no destroy (handler/tenant).
    const state = deps.objectForm ? "upgraded" : "identical";
    deps.markers.write({ version: 2, key, state, digest: canonicalDigest(t), payload, writtenAt: deps.clock.now() });
    deps.report.action(subject, deps.objectForm ? "replaced by the upgrade of its state's layout, with the same request: nothing changes" : "destroyed or replaced with the same request: nothing changes now (on terraform destroy, the stack resource withdraws it last)");
    return;
  }
  await withdrawAccessRequest(t.name, "replaced: the new request is sent next and must be granted again", deps);
  if (deps.objectForm) deps.markers.write({ version: 2, key, state: "upgraded", digest: "", writtenAt: deps.clock.now() });
}

/** Withdraws the active request with this name (none: already done); ends access granted through it (A7). */
export async function withdrawAccessRequest(name: string, why: string, deps: HandlerDeps): Promise<void> {
  const subject = accessRequestSubject(name);
  const requests = meter(deps.api);
  try {
    const existing = await findActiveRequest(deps, name);
    if (!existing) {
      deps.report.action(subject, "already withdrawn", requests());
      return;
    }
    const deleted = await deps.api.deleteAccessRequest(existing.id);
    deps.report.action(
      subject,
      deleted ? `withdrew request ${existing.id} (${why}); access granted through it has ended for ${existing.tenants.length} tenant request${existing.tenants.length === 1 ? "" : "s"}` : "already withdrawn",
      requests(),
    );
  } catch (e) {
    throw toHandlerError(e, subject, `withdrawing access request ${name}`);
  }
}
