/**
 * The reconcile layer's user model: a tenant's desired users, its previous desired users (what the
 * state says was applied), and its live users (what the API holds), all keyed by lower-cased
 * e-mail (U1). Pure: no I/O, no clock. Shared by the handler, the CLI and the tests.
 */
import { ADMIN_ROLES, findRole, isAdmin, isServerManaged, regionalEquivalents, ROLE_CATALOGUE } from "../catalogue/roles";
import type { CustomerUser } from "../contracts/api";
import { removalOf, type UserEntry, type UserRemovalPolicyValue } from "../contracts/handler";
import { sameSoftphones } from "../contracts/softphones";

/** A user of the code: its e-mail as declared, and its entry. */
export interface DesiredUser {
  readonly email: string;
  readonly entry: UserEntry;
}

/** A PBX device a live user holds (U14); the client type as the API reports it. */
export interface LiveDevice {
  readonly device: string;
  readonly clientType: string;
}

/**
 * A user of the live tenant. `roles` (and `devices`, where the API reports them) are undefined
 * until the user itself was read (listings carry neither).
 */
export interface LiveUser {
  readonly id: string;
  readonly email: string;
  readonly displayName?: string;
  readonly roles?: readonly string[];
  /**
   * H5 [ours]: whether the user has activated its account, from the read of the user itself;
   * undefined when the API's answer does not say (the plan then refuses an activation send).
   */
  readonly activated?: boolean;
  readonly devices?: readonly LiveDevice[];
}

export type UserMap<T> = ReadonlyMap<string, T>;

/** A one-user answer of the API as the plan sees it: roles, and devices where the API reports them. */
export function liveUserOf(user: CustomerUser): LiveUser {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    roles: user.roles ?? [],
    ...(Array.isArray(user.devices) ? { devices: user.devices.map((d) => ({ device: d.deviceId, clientType: d.clientType })) } : {}),
  };
}

export function emailKey(email: string): string {
  return email.toLowerCase();
}

/** `t.users` as a map by lower-cased e-mail. */
export function desiredUsers(users: Readonly<Record<string, UserEntry>>): Map<string, DesiredUser> {
  return new Map(Object.entries(users).map(([email, entry]) => [emailKey(email), { email, entry }]));
}

export function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

export function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Whether two entries ask the same of the API (flags included: they decide removals). */
export function sameEntry(a: UserEntry, b: UserEntry): boolean {
  return (
    a.displayName === b.displayName &&
    sameSet(a.roles, b.roles) &&
    (a.primary ?? false) === (b.primary ?? false) &&
    (a.origin ?? "created") === (b.origin ?? "created") &&
    (a.management ?? "exact") === (b.management ?? "exact") &&
    removalOf(a) === removalOf(b) &&
    // H5, U14: a changed e-mail trigger is a change of the user (its one send is planned then).
    a.activation === b.activation &&
    a.welcome === b.welcome &&
    sameSoftphones(a.softphones, b.softphones)
  );
}

/** `+a +b -c` */
export function roleDiff(before: readonly string[], after: readonly string[]): string {
  const b = new Set(before);
  const a = new Set(after);
  const added = sorted(after.filter((r) => !b.has(r))).map((r) => `+${r}`);
  const removed = sorted(before.filter((r) => !a.has(r))).map((r) => `-${r}`);
  return [...added, ...removed].join(" ");
}

/** Roles the PBX synchronises (U10): holding one means the user exists on the PBX (H7). */
export function isOnPbx(roles: readonly string[]): boolean {
  return roles.some((r) => findRole(r)?.assignment === "synced");
}

/** Exact target (U13): the declared roles plus every server-managed role the user holds now. */
export function exactTarget(declared: readonly string[], live: readonly string[]): string[] {
  return sorted([...declared, ...live.filter(isServerManaged)]);
}

/**
 * Of the roles a release would remove, those no role the user keeps depends on (U7). The app
 * does not know which roles a referenced user held before an assignment granted them: a portal
 * admin given `customer.user` + `pbx.silentmonitor` already held `customer.user`, and taking it
 * back would lock them out.
 */
export function stillRemovable(live: readonly string[], remove: readonly string[]): string[] {
  const removing = new Set(remove);
  const kept = live.filter((r) => !removing.has(r));
  for (let i = 0; i < kept.length; i++) {
    for (const prerequisite of findRole(kept[i])?.prerequisites ?? []) {
      if (removing.delete(prerequisite)) kept.push(prerequisite);
    }
  }
  return remove.filter((r) => removing.has(r));
}

/** The roles of `live` the app may remove (U13: never server-managed or read-only ones). */
export function manageable(live: readonly string[]): string[] {
  return live.filter((r) => !isServerManaged(r));
}

export function losesAdmin(before: readonly string[], after: readonly string[]): boolean {
  return isAdmin(before) && !isAdmin(after);
}

export function withoutAdminRoles(roles: readonly string[]): string[] {
  return roles.filter((r) => !ADMIN_ROLES.includes(r));
}

/** U11: whether the roles hold one that makes the server add roles to other users (a supervisor level 3+). */
export function holdsTrigger(roles: readonly string[]): boolean {
  return roles.some((r) => findRole(r)?.triggersAutoAssign !== undefined);
}

/** U11: a user going from `before` to `after` may be the customer's first supervisor level 3+. */
export function gainsTrigger(before: readonly string[], after: readonly string[]): boolean {
  return !holdsTrigger(before) && holdsTrigger(after);
}

/** `key` and the roles that stand in for it in other regions (U10: customer.user.uc.essential for customer.user.pbx). */
export function withEquivalents(key: string): string[] {
  return [key, ...regionalEquivalents(key)];
}

/** U11: whether the server adds roles to holders of these roles when a first trigger appears (a PBX user, in any region). */
export function receivesAutoRoles(roles: readonly string[]): boolean {
  return ROLE_CATALOGUE.some((r) => r.triggersAutoAssign !== undefined && withEquivalents(r.triggersAutoAssign.toHoldersOf).some((k) => roles.includes(k)));
}

export type { UserRemovalPolicyValue };
