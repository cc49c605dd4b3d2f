/**
 * `/customers` (API contract §3; rules C1, C2, C3, C5, C6, U12).
 */
import { API_PREFIX, createCustomerRequest, CUSTOMER_PATCHABLE_PATHS, FIELD_LIMITS, jsonPatch, type JsonPatchOperation } from "../../contracts/api";
import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import { acceptsCharges, collection, created, done, ok, readPage, type RequestContext, type RouteTable } from "../http";
import { applyAcdSync, importPbxUsers } from "../rules";
import { newId, type CustomerRecord } from "../store";
import { isCountryCode, isTimeZone, parseOrThrow } from "../validate";
import { customerFor, resellerOf } from "./scope";

export function customerRoutes(table: RouteTable, core: EmulatorCore): void {
  table.add("GET", "/customers", (ctx) => {
    const resellerId = resellerOf(ctx, core);
    const page = readPage(ctx.query);
    const filter = (ctx.query.get("filter") ?? "").trim().toLowerCase();
    const matching = core.store
      .activeCustomersOf(resellerId)
      .filter((c) => !filter || c.name.toLowerCase().includes(filter) || (c.reference ?? "").toLowerCase().includes(filter));
    return collection(ctx, matching, page, toApiCustomer);
  });

  table.add("GET", "/customers/{C}", (ctx) => ok(ctx, toApiCustomer(customerFor(ctx, core, ctx.params.C))));

  table.add("POST", "/customers", (ctx) => createCustomer(ctx, core));

  table.add("PATCH", "/customers/{C}", (ctx) => patchCustomer(ctx, core));

  table.add("DELETE", "/customers/{C}", (ctx) => {
    const customer = customerFor(ctx, core, ctx.params.C);
    // C5: a soft delete — disabled, flagged, no longer listed; the record stays in /_emulator/state.
    core.store.deleteCustomer(customer);
    return done(ctx);
  });
}

/** The API's view of a customer (the Kazoo apiKey is echoed in clear, as the real API does). */
export function toApiCustomer(c: CustomerRecord): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    reference: c.reference,
    dateCreated: c.dateCreated,
    parentTenantId: c.resellerId,
    enabled: c.enabled,
    timezone: c.timezone,
    countryCode: c.countryCode,
    features: { ...c.features },
    pbxConnectionProfile: c.pbxConnectionProfile ? { ...c.pbxConnectionProfile } : null,
    syncAcdAgentWithPbx: c.syncAcdAgentWithPbx,
    sendNewUserEmail: c.sendNewUserEmail,
    sendConnectWelcomeEmail: c.sendConnectWelcomeEmail,
    tenantProfileType: c.tenantProfileType,
    trialDuration: c.trialDuration,
  };
}

function createCustomer(ctx: RequestContext, core: EmulatorCore) {
  const resellerId = resellerOf(ctx, core);
  // C1: required fields and limits, named in the message.
  const body = parseOrThrow(createCustomerRequest, ctx.json());
  if (body.timezone !== undefined) checkTimezone(body.timezone);
  if (body.countryCode !== undefined) checkCountryCode(body.countryCode);
  checkReferenceFree(core, resellerId, body.reference, undefined);
  // C6: creating a customer (and its PBX profile) costs money.
  if (!acceptsCharges(ctx)) throw errors.chargesNotAccepted("Creating a customer");
  const id = newId();
  const customer: CustomerRecord = {
    id,
    resellerId,
    name: body.name,
    description: body.description,
    reference: body.reference,
    dateCreated: core.clock.iso(),
    enabled: body.enabled ?? false,
    timezone: body.timezone ?? null,
    countryCode: body.countryCode ?? null,
    features: { ...(body.features ?? {}) },
    pbxConnectionProfile: body.pbxConnectionProfile ? { ...body.pbxConnectionProfile } : null,
    syncAcdAgentWithPbx: body.syncAcdAgentWithPbx ?? false,
    sendNewUserEmail: body.sendNewUserEmail ?? true,
    sendConnectWelcomeEmail: body.sendConnectWelcomeEmail ?? true,
    tenantProfileType: body.tenantProfileType ?? null,
    trialDuration: body.trialDuration ?? 0,
    deleted: false,
    accessGrantedOnce: false,
  };
  core.store.addCustomer(customer);
  // C3: the PBX users arrive with the customer.
  importPbxUsers(core, customer);
  return created(ctx, toApiCustomer(customer), `${API_PREFIX}/customers/${id}`);
}

type Patchable = (typeof CUSTOMER_PATCHABLE_PATHS)[number];

function patchCustomer(ctx: RequestContext, core: EmulatorCore) {
  const customer = customerFor(ctx, core, ctx.params.C);
  const ops = parseOrThrow(jsonPatch, ctx.json());
  // Atomic: every op is checked on a copy before anything changes.
  const next: CustomerRecord = { ...customer };
  for (const op of ops) applyCustomerOp(next, op);
  if (next.reference !== customer.reference && next.reference !== null) checkReferenceFree(core, customer.resellerId, next.reference, customer.id);
  const turnedSyncOn = next.syncAcdAgentWithPbx && !customer.syncAcdAgentWithPbx;
  core.store.updateCustomer(customer, next);
  // U12: switching the sync on brings the ACD add-on to the PBX's agents.
  if (turnedSyncOn) applyAcdSync(core, customer);
  return done(ctx);
}

function applyCustomerOp(target: CustomerRecord, op: JsonPatchOperation): void {
  const path = CUSTOMER_PATCHABLE_PATHS.find((p) => p.toLowerCase() === op.path.toLowerCase()) as Patchable | undefined;
  if (!path) throw errors.pathNotFound(firstSegment(op.path));
  const field = path.slice(1);
  if (op.op === "remove") {
    if (path === "/description" || path === "/timezone" || path === "/countryCode") {
      target[path.slice(1) as "description" | "timezone" | "countryCode"] = null;
      return;
    }
    throw errors.validation(`The field '${field}' cannot be removed.`);
  }
  const value = op.value;
  switch (path) {
    case "/name":
      target.name = requireString(field, value, 1, FIELD_LIMITS.customerName);
      return;
    case "/description":
      target.description = requireString(field, value, 1, FIELD_LIMITS.customerDescription);
      return;
    case "/reference":
      target.reference = requireString(field, value, 1, FIELD_LIMITS.customerReference);
      return;
    case "/timezone":
      target.timezone = checkTimezone(requireString(field, value, 1, FIELD_LIMITS.timezone));
      return;
    case "/countryCode":
      target.countryCode = checkCountryCode(requireString(field, value, 1, FIELD_LIMITS.countryCode));
      return;
    case "/enabled":
    case "/syncAcdAgentWithPbx":
    case "/sendNewUserEmail":
    case "/sendConnectWelcomeEmail":
      if (typeof value !== "boolean") throw errors.validation(`The field '${field}' must be of type boolean.`);
      target[field as "enabled" | "syncAcdAgentWithPbx" | "sendNewUserEmail" | "sendConnectWelcomeEmail"] = value;
      return;
  }
}

export function firstSegment(path: string): string {
  return path.split("/").filter((s) => s.length > 0)[0] ?? path;
}

export function requireString(field: string, value: unknown, min: number, max: number): string {
  if (typeof value !== "string") throw errors.validation(`The field '${field}' must be of type string.`);
  if (value.length < min) throw errors.validation(`The field '${field}' is required.`);
  if (value.length > max) throw errors.validation(`The field '${field}' must be at most ${max} characters.`);
  return value;
}

function checkTimezone(value: string): string {
  if (value.length > FIELD_LIMITS.timezone) throw errors.validation(`The field 'timezone' must be at most ${FIELD_LIMITS.timezone} characters.`);
  if (!isTimeZone(value)) throw errors.validation(`The field 'timezone' must be an IANA time zone; got '${value}'.`);
  return value;
}

function checkCountryCode(value: string): string {
  if (value.length > FIELD_LIMITS.countryCode) throw errors.validation(`The field 'countryCode' must be at most ${FIELD_LIMITS.countryCode} characters.`);
  if (!isCountryCode(value)) throw errors.validation(`The field 'countryCode' must be an ISO 3166 code; got '${value}'.`);
  return value;
}

/** C2: a reference identifies one active customer of the reseller. */
function checkReferenceFree(core: EmulatorCore, resellerId: string, reference: string, exceptId: string | undefined): void {
  const clash = core.store.activeCustomerByReference(resellerId, reference, exceptId);
  if (clash) {
    throw errors.validation(`The field 'reference' must be unique: a customer with the reference '${reference}' already exists.`, { id: clash.id });
  }
}
