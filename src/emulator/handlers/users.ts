/**
 * `/customers/{C}/users` (API contract §4; rules U1, U4, U5, U7, U8, U10, U11, U13, U15, C6).
 *
 * JSON Patch on a user is validated in full on a copy before anything is applied (atomic).
 * U10/U13 choices: `replace /roles` keeps the region's synchronised role (`customer.user.pbx`, in
 * the UK `customer.user.uc.essential`) and read-only roles the user holds; a role of another
 * region is an unknown role (UnknownRole); an explicit
 * `remove /roles/{i}` of a synchronised role is silently ignored (the PBX would put it back), while
 * one of a read-only role is refused with RoleReadOnly.
 */
import { z } from "zod";
import { API_PREFIX, createUserRequest, FIELD_LIMITS, jsonPatch, type JsonPatchOperation } from "../../contracts/api";
import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import { acceptsCharges, collection, created, done, noContent, ok, readPage, type RequestContext, type RouteTable } from "../http";
import {
  applyRealtimeAddOn,
  checkAdministratorRules,
  isReadOnly,
  isSynchronised,
  requireChargesForAddedRoles,
  validateRoles,
  WEBSITE_ACCESS,
} from "../rules";
import { newId, type Region, type UserRecord } from "../store";
import { isEmail, parseOrThrow } from "../validate";
import { firstSegment, requireString } from "./customers";
import { device, devicesView, requireRolesOfDevices } from "./devices";
import { customerFor } from "./scope";

export function userRoutes(table: RouteTable, core: EmulatorCore): void {
  table.add("GET", "/customers/{C}/users", (ctx) => {
    const customer = customerFor(ctx, core, ctx.params.C);
    const page = readPage(ctx.query);
    // §4: collection items come without roles; only the requested page is rendered.
    return collection(ctx, core.store.usersOf(customer.id), page, (u) => toApiUser(u, false));
  });

  table.add("GET", "/customers/{C}/users/{U}", (ctx) => ok(ctx, toApiUser(userFor(ctx, core), true)));
  table.add("POST", "/customers/{C}/users", (ctx) => createUser(ctx, core));
  table.add("PATCH", "/customers/{C}/users/{U}", (ctx) => patchUser(ctx, core));

  table.add("DELETE", "/customers/{C}/users/{U}", (ctx) => {
    const user = userFor(ctx, core);
    // U4 (last admin) and U5 (admin first).
    checkAdministratorRules(core, user.customerId, new Map([[user.id, null]]));
    core.store.removeUser(user);
    return done(ctx);
  });

  for (const method of ["POST", "PUT"]) {
    table.add(method, "/customers/{C}/users/{U}/devices/pbx/{D}/assign", (ctx) => device(ctx, core, "assign"));
    table.add(method, "/customers/{C}/users/{U}/devices/pbx/{D}/unassign", (ctx) => device(ctx, core, "unassign"));
  }

  table.add("POST", "/customers/{C}/users/{U}/sendActivationEmail", (ctx) => sendEmail(ctx, core, "activation"));
  table.add("POST", "/customers/{C}/users/{U}/sendUConnectActivationEmail", (ctx) => sendEmail(ctx, core, "welcome"));
}

export function toApiUser(u: UserRecord, withRoles: boolean): Record<string, unknown> {
  // `activated` is [ours] (API contract §4): the client refuses an activation e-mail without it (H5).
  const base: Record<string, unknown> = { id: u.id, displayName: u.displayName, email: u.email, primaryTenant: u.primaryTenant, isParent: u.isParent, activated: u.activated ?? false };
  if (withRoles) Object.assign(base, { roles: [...u.roles], devices: devicesView(u) });
  return base;
}

function userFor(ctx: RequestContext, core: EmulatorCore): UserRecord {
  const customer = customerFor(ctx, core, ctx.params.C);
  const user = core.store.user(customer.id, ctx.params.U);
  if (!user) throw errors.notFound();
  return user;
}

function unique(roles: readonly string[]): string[] {
  return [...new Set(roles)];
}

function createUser(ctx: RequestContext, core: EmulatorCore) {
  const customer = customerFor(ctx, core, ctx.params.C);
  // U1: displayName and email required, with their limits.
  const body = parseOrThrow(createUserRequest, ctx.json());
  if (!isEmail(body.email)) throw errors.validation(`The field 'email' must be a valid e-mail address; got '${body.email}'.`);
  // U1: e-mail unique within the customer, case-insensitively; U2 relies on data.id to adopt.
  const existing = core.store.userByEmail(customer.id, body.email);
  if (existing) throw errors.userAlreadyExists(body.email, existing.id);
  // §4 [vendor]: customer.user is always added.
  const roles = unique([...body.roles, WEBSITE_ACCESS]);
  validateRoles(roles, [], core.region);
  const id = newId();
  checkAdministratorRules(core, customer.id, new Map([[id, roles]]));
  requireChargesForAddedRoles(roles, [], acceptsCharges(ctx));
  const hadHigh = core.store.holdsHighSupervisor(customer.id);
  const user: UserRecord = {
    id,
    customerId: customer.id,
    displayName: body.displayName,
    email: body.email,
    roles,
    primaryTenant: customer.id,
    isParent: false,
    devices: [],
    fromPbx: false,
    activationEmailsSent: 0,
  };
  core.store.addUser(user);
  applyRealtimeAddOn(core, customer.id, hadHigh);
  return created(ctx, toApiUser(user, true), `${API_PREFIX}/customers/${customer.id}/users/${id}`);
}

function patchUser(ctx: RequestContext, core: EmulatorCore) {
  const user = userFor(ctx, core);
  const ops = parseOrThrow(jsonPatch, ctx.json());
  const draft = { displayName: user.displayName, roles: [...user.roles] };
  for (const op of ops) applyUserOp(draft, op, user.roles, core.region);
  draft.roles = unique(draft.roles);
  validateRoles(draft.roles, user.roles, core.region);
  requireRolesOfDevices(user, draft.roles);
  checkAdministratorRules(core, user.customerId, new Map([[user.id, draft.roles]]));
  requireChargesForAddedRoles(draft.roles, user.roles, acceptsCharges(ctx));
  const hadHigh = core.store.holdsHighSupervisor(user.customerId);
  if (draft.displayName !== user.displayName) core.store.assign(user, { displayName: draft.displayName });
  core.store.setRoles(user, draft.roles);
  applyRealtimeAddOn(core, user.customerId, hadHigh);
  return done(ctx);
}

const roleValue = z.string().min(1);
const roleList = z.array(z.string().min(1));

function applyUserOp(draft: { displayName: string; roles: string[] }, op: JsonPatchOperation, held: readonly string[], region: Region): void {
  const segments = op.path.split("/").slice(1);
  const head = segments[0]?.toLowerCase();
  if (head === "displayname" && segments.length === 1) {
    if (op.op === "remove") throw errors.validation("The field 'displayName' is required.");
    draft.displayName = requireString("displayName", op.value, 1, FIELD_LIMITS.userDisplayName);
    return;
  }
  if (head !== "roles" || segments.length > 2) throw errors.pathNotFound(firstSegment(op.path));
  if (segments.length === 1) {
    // Whole list: replace (add on an existing array replaces it too; remove empties it).
    const listed = op.op === "remove" ? [] : parseRoleList(op.value);
    // U10/U13: synchronised and read-only roles stay whatever the list says.
    const kept = held.filter((r) => (isSynchronised(r, region) || isReadOnly(r)) && !listed.includes(r));
    draft.roles = [...listed, ...kept];
    return;
  }
  const index = segments[1];
  if (op.op === "add") {
    if (index !== "-" && !/^\d+$/.test(index)) throw errors.pathNotFound(index);
    const role = parseRole(op.value);
    if (!draft.roles.includes(role)) draft.roles.push(role);
    return;
  }
  if (!/^\d+$/.test(index) || Number(index) >= draft.roles.length) throw errors.pathNotFound(index);
  const position = Number(index);
  const current = draft.roles[position];
  if (op.op === "remove") {
    // U10: a synchronised role is never removed; the op is ignored.
    if (isSynchronised(current, region)) return;
    draft.roles.splice(position, 1);
    return;
  }
  const role = parseRole(op.value);
  if (isSynchronised(current, region)) draft.roles.push(role);
  else draft.roles[position] = role;
}

function parseRole(value: unknown): string {
  const parsed = roleValue.safeParse(value);
  if (!parsed.success) throw errors.validation("The field 'roles' must hold role keys (non-empty strings).");
  return parsed.data;
}

function parseRoleList(value: unknown): string[] {
  const parsed = roleList.safeParse(value);
  if (!parsed.success) throw errors.validation("The field 'roles' must be an array of role keys.");
  return parsed.data;
}

/** §4: 204, counted per user and kind for tests (`GET /_emulator/emails`). */
function sendEmail(ctx: RequestContext, core: EmulatorCore, kind: "activation" | "welcome") {
  const user = userFor(ctx, core);
  // U15: only from the user's primary tenant.
  if (user.primaryTenant !== user.customerId) throw errors.tenantNotPrimary();
  if (kind === "activation") core.store.assign(user, { activationEmailsSent: user.activationEmailsSent + 1 });
  else core.store.assign(user, { welcomeEmailsSent: (user.welcomeEmailsSent ?? 0) + 1 });
  return noContent();
}
