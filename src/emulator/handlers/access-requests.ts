/**
 * Partner users and tenant access requests (API contract §5; rules A1, A2, A3, A4, A5, A6).
 *
 * Legacy impersonation is the same `POST /customers/{C}/impersonate` used without a granted
 * request: it works for partner users holding `customer.admin` until the tenant grants its first
 * request; from then on only users in a granted, unexpired request for that tenant and mode get in.
 */
import { z } from "zod";
import {
  accessStatus,
  API_PREFIX,
  createAccessRequestRequest,
  grantAccessRequest,
  impersonateRequest,
  jsonPatch,
  rejectAccessRequest,
  type AccessMode,
} from "../../contracts/api";
import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import { collection, created, done, ok, readPage, type RequestContext, type RouteTable } from "../http";
import { newId, type AccessRequestRecord, type AccessTenantRecord, type CustomerRecord } from "../store";
import { parseOrThrow } from "../validate";
import { firstSegment } from "./customers";
import { partnerOf, principalOf } from "./scope";

const TM_ADMIN = "tm.admin";
const LEGACY_IMPERSONATION_ROLE = "customer.admin";

export function accessRequestRoutes(table: RouteTable, core: EmulatorCore): void {
  table.add("GET", "/accounts/me/users", (ctx) => {
    const partner = partnerOf(ctx, core);
    const users = core.store.partnerUsersOf(partner.resellerId).map((u) => ({ id: u.id, displayName: u.displayName, email: u.email, roles: [...u.roles] }));
    return collection(ctx, users, readPage(ctx.query));
  });

  table.add("POST", "/accessrequests", (ctx) => createRequest(ctx, core));

  table.add("GET", "/accessrequests", (ctx) => {
    const partner = partnerOf(ctx, core);
    const page = readPage(ctx.query);
    const statusParam = ctx.query.get("status");
    let status: z.infer<typeof accessStatus> | undefined;
    if (statusParam !== null && statusParam !== "") {
      const parsed = accessStatus.safeParse(statusParam);
      if (!parsed.success) throw errors.validation(`The field 'status' must be one of ${accessStatus.options.join(", ")}.`);
      status = parsed.data;
    }
    const requests = Object.values(core.store.state.accessRequests)
      .filter((r) => r.resellerId === partner.resellerId)
      .map((r) => toApiRequest(r, core))
      .filter((r) => status === undefined || r.tenants.some((t) => t.status === status));
    return collection(ctx, requests, page);
  });

  table.add("GET", "/accessrequests/{R}", (ctx) => ok(ctx, toApiRequest(requestFor(ctx, core), core)));

  table.add("DELETE", "/accessrequests/{R}", (ctx) => {
    const request = requestFor(ctx, core);
    // Withdrawal ends every tenant's request, and any access granted through it.
    core.store.assign(request, { withdrawn: true });
    for (const tenant of request.tenants) core.store.assign(tenant, { status: "withdrawn" });
    return done(ctx);
  });

  table.add("POST", "/customers/{C}/impersonate", (ctx) => impersonate(ctx, core));

  // Customer side (A4): a customer admin's token.
  table.add("GET", "/customers/{C}/accessrequests", (ctx) => {
    const customer = tenantFor(ctx, core);
    const items = requestsOfTenant(core, customer).flatMap(({ request, tenant }) => [tenantView(request, tenant, core)]);
    return collection(ctx, items, readPage(ctx.query));
  });
  table.add("POST", "/customers/{C}/accessrequests/{R}/grant", (ctx) => grant(ctx, core));
  table.add("POST", "/customers/{C}/accessrequests/{R}/reject", (ctx) => reject(ctx, core));
  table.add("PATCH", "/customers/{C}/accessrequests/{R}", (ctx) => patchExpiry(ctx, core));
}

function createRequest(ctx: RequestContext, core: EmulatorCore) {
  const partner = partnerOf(ctx, core);
  // A1: only a TM admin creates access requests.
  if (!partner.roles.includes(TM_ADMIN)) throw errors.roleRequired(TM_ADMIN);
  // A2: name of letters and digits (1–100), message ≤ 1000; at least one association.
  const body = parseOrThrow(createAccessRequestRequest, ctx.json());
  for (const association of body.associations) {
    for (const userId of association.userIds) {
      const user = core.store.get("partnerUsers", userId.toLowerCase());
      if (!user || user.resellerId !== partner.resellerId) throw errors.validation(`The field 'associations.userIds' holds '${userId}', which is not one of your partner users.`);
    }
    for (const tenantId of association.tenantIds) {
      if (!core.store.activeCustomer(partner.resellerId, tenantId)) throw errors.validation(`The field 'associations.tenantIds' holds '${tenantId}', which is not one of your customers.`);
    }
  }
  const inUse = Object.values(core.store.state.accessRequests).some(
    (r) => r.resellerId === partner.resellerId && !r.withdrawn && r.name.toLowerCase() === body.name.toLowerCase(),
  );
  if (inUse) throw errors.accessRequestExists(body.name);
  // A3: each tenant gets its own request, for the users associated with it (one entry per mode).
  const tenants: AccessTenantRecord[] = [];
  for (const association of body.associations) {
    for (const rawTenant of association.tenantIds) {
      const tenantId = rawTenant.toLowerCase();
      let entry = tenants.find((t) => t.tenantId === tenantId && t.mode === association.mode);
      if (!entry) {
        entry = { tenantId, status: "pending", userIds: [], mode: association.mode, respondedAt: null, responseMessage: null, expiresAt: null };
        tenants.push(entry);
      }
      for (const userId of association.userIds.map((u) => u.toLowerCase())) if (!entry.userIds.includes(userId)) entry.userIds.push(userId);
    }
  }
  const id = newId();
  const record: AccessRequestRecord = {
    id,
    resellerId: partner.resellerId,
    name: body.name,
    message: body.message ?? null,
    associations: body.associations.map((a) => ({ userIds: a.userIds.map((u) => u.toLowerCase()), tenantIds: a.tenantIds.map((t) => t.toLowerCase()), mode: a.mode })),
    tenants,
    dateCreated: core.clock.iso(),
    createdBy: partner.id,
    withdrawn: false,
  };
  core.store.put("accessRequests", id, record);
  return created(ctx, toApiRequest(record, core), `${API_PREFIX}/accessrequests/${id}`);
}

export function toApiRequest(r: AccessRequestRecord, core: EmulatorCore) {
  return {
    id: r.id,
    name: r.name,
    message: r.message,
    associations: r.associations.map((a) => ({ userIds: [...a.userIds], tenantIds: [...a.tenantIds], mode: a.mode })),
    tenants: r.tenants.map((t) => ({ ...t, userIds: [...t.userIds], status: core.effectiveStatus(t) })),
    dateCreated: r.dateCreated,
  };
}

/** A2: the tenant sees the message, never the request's name nor its users. */
function tenantView(r: AccessRequestRecord, t: AccessTenantRecord, core: EmulatorCore) {
  return {
    id: r.id,
    message: r.message,
    status: core.effectiveStatus(t),
    mode: t.mode,
    respondedAt: t.respondedAt,
    responseMessage: t.responseMessage,
    expiresAt: t.expiresAt,
    dateCreated: r.dateCreated,
  };
}

function requestFor(ctx: RequestContext, core: EmulatorCore): AccessRequestRecord {
  const partner = partnerOf(ctx, core);
  const request = core.store.get("accessRequests", ctx.params.R.toLowerCase());
  if (!request || request.resellerId !== partner.resellerId) throw errors.notFound();
  return request;
}

/** Customer-side calls: only that customer's admin token (A4). */
function tenantFor(ctx: RequestContext, core: EmulatorCore): CustomerRecord {
  const principal = principalOf(ctx);
  if (principal.kind !== "customerAdmin") throw errors.accessDenied("Only the customer's own administrator answers access requests.");
  if (principal.customerId !== ctx.params.C.toLowerCase()) throw errors.accessDenied();
  const customer = core.store.activeCustomer(principal.resellerId, ctx.params.C);
  if (!customer) throw errors.notFound();
  return customer;
}

function requestsOfTenant(core: EmulatorCore, customer: CustomerRecord): Array<{ request: AccessRequestRecord; tenant: AccessTenantRecord }> {
  return Object.values(core.store.state.accessRequests)
    .filter((r) => r.resellerId === customer.resellerId)
    .flatMap((request) => request.tenants.filter((t) => t.tenantId === customer.id).map((tenant) => ({ request, tenant })));
}

function tenantEntries(ctx: RequestContext, core: EmulatorCore): { customer: CustomerRecord; entries: AccessTenantRecord[] } {
  const customer = tenantFor(ctx, core);
  const request = core.store.get("accessRequests", ctx.params.R.toLowerCase());
  const entries = request && request.resellerId === customer.resellerId ? request.tenants.filter((t) => t.tenantId === customer.id) : [];
  if (entries.length === 0) throw errors.notFound();
  return { customer, entries };
}

function futureInstant(core: EmulatorCore, value: string): string {
  if (Date.parse(value) <= core.clock.now()) throw errors.validation(`The field 'expiresAt' must be in the future; got '${value}'.`);
  return new Date(Date.parse(value)).toISOString();
}

function grant(ctx: RequestContext, core: EmulatorCore) {
  const { customer, entries } = tenantEntries(ctx, core);
  const body = parseOrThrow(grantAccessRequest, ctx.json() ?? {});
  const expiresAt = body.expiresAt === undefined ? null : futureInstant(core, body.expiresAt);
  for (const entry of entries) {
    const status = core.effectiveStatus(entry);
    // A5: an expired grant needs a new request; a withdrawn one is over.
    if (status === "expired" || status === "withdrawn") throw errors.validation(`The access request is ${status} and can no longer be granted.`);
  }
  for (const entry of entries) {
    core.store.assign(entry, { status: "granted", respondedAt: core.clock.iso(), responseMessage: body.message ?? null, expiresAt });
  }
  // A6: from now on legacy impersonation of this tenant is over.
  core.store.assign(customer, { accessGrantedOnce: true });
  return done(ctx);
}

function reject(ctx: RequestContext, core: EmulatorCore) {
  const { entries } = tenantEntries(ctx, core);
  const body = parseOrThrow(rejectAccessRequest, ctx.json() ?? {});
  for (const entry of entries) {
    if (entry.status === "withdrawn") throw errors.validation("The access request was withdrawn.");
  }
  for (const entry of entries) {
    core.store.assign(entry, { status: "rejected", respondedAt: core.clock.iso(), responseMessage: body.message ?? null, expiresAt: null });
  }
  return done(ctx);
}

const expiryValue = z.union([z.string().datetime(), z.null()]);

/** A4: the admin sets, changes or clears the expiry of a grant at any time while it lasts. */
function patchExpiry(ctx: RequestContext, core: EmulatorCore) {
  const { entries } = tenantEntries(ctx, core);
  const ops = parseOrThrow(jsonPatch, ctx.json());
  let expiresAt: string | null = entries[0].expiresAt;
  for (const op of ops) {
    if (op.path.toLowerCase() !== "/expiresat") throw errors.pathNotFound(firstSegment(op.path));
    if (op.op === "remove") {
      expiresAt = null;
      continue;
    }
    const parsed = expiryValue.safeParse(op.value);
    if (!parsed.success) throw errors.validation("The field 'expiresAt' must be an ISO 8601 UTC date-time or null.");
    expiresAt = parsed.data === null ? null : futureInstant(core, parsed.data);
  }
  for (const entry of entries) {
    const status = core.effectiveStatus(entry);
    if (status !== "granted") throw errors.validation(`The access request is ${status}; only a granted request has an expiry.`);
  }
  for (const entry of entries) core.store.assign(entry, { expiresAt });
  return done(ctx);
}

function impersonate(ctx: RequestContext, core: EmulatorCore) {
  const partner = partnerOf(ctx, core);
  const customer = core.store.activeCustomer(partner.resellerId, ctx.params.C);
  if (!customer) throw errors.notFound();
  const { mode } = parseOrThrow(impersonateRequest, ctx.json());
  const viaRequest = findGrant(core, customer, partner.id, mode);
  let requestId: string | null;
  if (viaRequest) {
    requestId = viaRequest.id;
  } else if (customer.accessGrantedOnce) {
    // A6: once the tenant has granted a request, only users in a granted request get in.
    throw errors.accessDenied("This tenant only admits partner users named in a granted, unexpired access request for this mode.");
  } else if (partner.roles.includes(LEGACY_IMPERSONATION_ROLE)) {
    requestId = null;
  } else {
    throw errors.accessDenied(`Impersonating this tenant needs a granted access request or the role '${LEGACY_IMPERSONATION_ROLE}'.`);
  }
  const token = core.issueAccessToken({ kind: "impersonation", resellerId: partner.resellerId, customerId: customer.id, partnerUserId: partner.id, mode, requestId });
  return ok(ctx, { token: token.token, expiresIn: token.expiresIn, mode, tenantId: customer.id, legacy: requestId === null });
}

function findGrant(core: EmulatorCore, customer: CustomerRecord, partnerUserId: string, mode: AccessMode): AccessRequestRecord | undefined {
  return Object.values(core.store.state.accessRequests).find(
    (r) =>
      r.resellerId === customer.resellerId &&
      !r.withdrawn &&
      r.tenants.some((t) => t.tenantId === customer.id && t.mode === mode && t.userIds.includes(partnerUserId) && core.effectiveStatus(t) === "granted"),
  );
}
