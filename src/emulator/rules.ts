/**
 * Server-side domain rules (domain-rules.md) shared by the handlers: role validation (U7, U8,
 * U13, UnknownRole), the admin rules (U4, U5), charges for licensed roles (C6/U9) and the side
 * effects the platform performs by itself (C3 import, U10, U11, U12).
 */
import {
  ACD_ROLE,
  essentialRoleFor,
  inRegion,
  isAdminRoles,
  isLicensed,
  isReadOnly,
  REALTIME_ROLE,
  roleIn,
  serverRole,
  supervisorLevels,
} from "./catalogue";
import type { EmulatorCore } from "./core";

// Handlers reach the role table through this module (lint reads "../catalogue" from a handler as
// the library's src/catalogue, which the emulator must not import).
export { isAdminRoles, isReadOnly, isSynchronised, PARTNER_ROLES, SOFTPHONE_ROLE, UC_ROLE, WEBSITE_ACCESS } from "./catalogue";
import { errors } from "./errors";
import { newId, type CustomerRecord, type Region, type UserRecord } from "./store";

/**
 * Validates a user's role set after a change in the region the emulator plays. `before` is what
 * the user held (empty on create), so only roles being added are checked against the region's
 * catalogue and the read-only list.
 */
export function validateRoles(after: readonly string[], before: readonly string[], region: Region): void {
  const held = new Set(before);
  const next = new Set(after);
  for (const role of after) {
    if (held.has(role)) continue;
    // U10: a role of another region (customer.user.pbx in the UK) is unknown here.
    if (!roleIn(role, region)) throw errors.unknownRole(role);
    // U13: a read-only role is never added through the API.
    if (isReadOnly(role)) throw errors.roleReadOnly(role);
  }
  for (const role of before) {
    // U13: nor removed.
    if (!next.has(role) && isReadOnly(role)) throw errors.roleReadOnly(role);
  }
  // U7: every role with all of its prerequisites, each in the region's form (U10: in the UK,
  // customer.user.uc.essential meets a prerequisite on customer.user.pbx).
  for (const role of after) {
    for (const prerequisite of serverRole(role)?.prerequisites ?? []) {
      const needed = inRegion(prerequisite, region);
      if (!next.has(needed)) throw errors.rolePrerequisiteMissing(role, needed);
    }
  }
  // U8: at most one supervisor level.
  if (supervisorLevels(after).length > 1) throw errors.supervisorLevelConflict();
}

/** C6/U9: a change that adds a licensed role needs `accept-charges: true`. */
export function requireChargesForAddedRoles(after: readonly string[], before: readonly string[], accepted: boolean): void {
  if (accepted) return;
  const added = after.filter((r) => !before.includes(r) && isLicensed(r));
  if (added.length > 0) throw errors.chargesNotAccepted(`Adding the licensed role '${added[0]}'`);
}

/**
 * U4 and U5 for one proposed change of a customer's users. `change` maps a user id to its roles
 * after the change (null = deleted); a new user is a new id.
 */
export function checkAdministratorRules(core: EmulatorCore, customerId: string, change: ReadonlyMap<string, readonly string[] | null>): void {
  // Counted from the store's admin index: O(size of the change), not of the customer.
  const admins = core.store.adminsOf(customerId);
  const hadAdmin = admins.size > 0;
  let adminsAfter = admins.size;
  for (const [id, roles] of change) {
    const wasAdmin = admins.has(id);
    const isAdmin = roles !== null && isAdminRoles(roles);
    adminsAfter += Number(isAdmin) - Number(wasAdmin);
  }
  const hasAdmin = adminsAfter > 0;
  // U5: with no admin yet, only a change that produces the first admin is allowed.
  if (!hadAdmin && !hasAdmin) throw errors.administratorRequired();
  // U4: never from some admins to none.
  if (hadAdmin && !hasAdmin) throw errors.lastUserAdministrator();
}

/** U5 for changes that do not touch roles (devices): the customer needs an admin first. */
export function requireAdministrator(core: EmulatorCore, customerId: string): void {
  if (core.store.adminsOf(customerId).size === 0) throw errors.administratorRequired();
}

/**
 * U11: when the first supervisor level 3+ of a customer appears, every user holding
 * `customer.user.pbx` (in the UK `customer.user.uc.essential`, U10) gets
 * `customer.user.pbx.realtime`. Call after the change, with whether a level 3+ existed before it.
 */
export function applyRealtimeAddOn(core: EmulatorCore, customerId: string, hadHighSupervisorBefore: boolean): void {
  // Only on the transition to a first level 3+: the walk over the customer's users is the change itself.
  if (hadHighSupervisorBefore || !core.store.holdsHighSupervisor(customerId)) return;
  const essential = essentialRoleFor(core.region);
  for (const user of core.store.usersOf(customerId)) {
    if (user.roles.includes(essential) && !user.roles.includes(REALTIME_ROLE)) core.store.setRoles(user, [...user.roles, REALTIME_ROLE]);
  }
}

/**
 * C3 (and U10, U12): a customer created with a Kazoo profile imports every user of that PBX account,
 * holding only the region's synchronised role, plus the ACD add-on for agents when the customer
 * syncs them. Imported users have no portal access (no `customer.user`).
 */
export function importPbxUsers(core: EmulatorCore, customer: CustomerRecord): void {
  const accountId = customer.pbxConnectionProfile?.accountId;
  if (!accountId) return;
  // Any string names an account ("0", "constructor", "__proto__"): the directory is a Table.
  const directory = core.store.get("pbxDirectory", accountId) ?? [];
  const seen = new Set<string>();
  const role = essentialRoleFor(core.region);
  for (const entry of directory) {
    const key = entry.email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const user: UserRecord = {
      id: newId(),
      customerId: customer.id,
      displayName: entry.displayName,
      email: entry.email,
      roles: [role],
      primaryTenant: customer.id,
      isParent: false,
      devices: [],
      fromPbx: true,
      activationEmailsSent: 0,
    };
    core.store.addUser(user);
  }
  applyAcdSync(core, customer);
}

/**
 * U12: with `syncAcdAgentWithPbx` on, users the PBX flags as ACD agents get `customer.user.acd`
 * (only where its prerequisite is held — U7: `customer.user.pbx`, in the UK
 * `customer.user.uc.essential`, U10).
 */
export function applyAcdSync(core: EmulatorCore, customer: CustomerRecord): void {
  if (!customer.syncAcdAgentWithPbx) return;
  const accountId = customer.pbxConnectionProfile?.accountId;
  if (!accountId) return;
  const agents = new Set((core.store.get("pbxDirectory", accountId) ?? []).filter((e) => e.acdAgent).map((e) => e.email.toLowerCase()));
  const essential = essentialRoleFor(core.region);
  for (const user of core.store.usersOf(customer.id)) {
    if (agents.has(user.email.toLowerCase()) && user.roles.includes(essential) && !user.roles.includes(ACD_ROLE)) {
      core.store.setRoles(user, [...user.roles, ACD_ROLE]);
    }
  }
}
