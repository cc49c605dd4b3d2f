/**
 * Softphones (U14): which PBX devices to assign and unassign so that each user holds what the code
 * declares. Pure, like the rest of the reconcile layer; `planUsers` calls it with the role
 * operations it planned, so device operations know the roles each user will hold.
 *
 * - a user whose entry declares `softphones` (even none) holds exactly those devices: a live
 *   device not declared is unassigned, a declared one not held is assigned; a client type change is
 *   an unassign and an assign (the API holds a device with one client type);
 * - a user whose entry declares none (`softphones` absent) keeps its devices, except those its
 *   previous entry declared: the app takes back what it assigned;
 * - a user leaving the code by revocation loses the devices the app managed; one deleted takes its
 *   devices with it (nothing to send);
 * - whatever the code says, a user whose role operation takes `customer.user.uc` or
 *   `customer.user.uc.softphone` loses its live devices first (the API refuses the revoke, or would
 *   leave a device without its roles).
 *
 * Order (phases in plan.ts): every unassign runs before any role change, so a device moving between
 * users is free before its new holder asks for it and a revoked role never has a device under it;
 * every assign runs after every role change, so the roles it needs are granted (U7).
 */
import type { DeviceClientType } from "../contracts/api";
import { removalOf } from "../contracts/handler";
import type { Softphone } from "../contracts/softphones";
import type { UserOperation, UserPlanInput } from "./plan";
import { leavingUsers, touchedUsers, usersToRead } from "./plan";
import type { LiveDevice, LiveUser, UserMap } from "./users";

/** What a user must hold while it holds a device (API contract §4). */
export const DEVICE_ROLES: readonly string[] = ["customer.user.uc", "customer.user.uc.softphone"];

/** The users whose live devices the plan must know, of those `usersToRead` reads: the code manages them (now or before). */
export function devicesToRead(input: UserPlanInput, listed: UserMap<LiveUser>): string[] {
  return usersToRead(input, listed).filter((key) => input.desired.get(key)?.entry.softphones !== undefined || input.previous?.get(key)?.entry.softphones !== undefined);
}

function devicesOf(live: LiveUser, required: boolean): readonly LiveDevice[] | undefined {
  if (live.devices === undefined && required) throw new Error(`internal: the devices of ${live.email} were not read before planning`);
  return live.devices;
}

/** The device operations of a plan whose role operations are `roleOps`. */
export function planDevices(input: UserPlanInput, live: UserMap<LiveUser>, roleOps: readonly UserOperation[]): UserOperation[] {
  const byUser = new Map(roleOps.map((op) => [op.email.toLowerCase(), op]));
  const out: UserOperation[] = [];
  const rolesAfter = (key: string, current: LiveUser | undefined): readonly string[] | undefined => {
    const op = byUser.get(key);
    if (op?.kind === "create") return op.roles;
    if (op?.kind === "patch") return op.after;
    return current?.roles;
  };
  const unassignAll = (email: string, primary: boolean, current: LiveUser, devices: readonly LiveDevice[], why: (d: LiveDevice) => string) => {
    for (const d of devices) out.push({ kind: "unassign-device", email, primary, phase: "device-unassigns", userId: current.id, device: d.device, clientType: d.clientType, why: why(d) });
  };

  for (const key of touchedUsers(input)) {
    const { email, entry } = input.desired.get(key)!;
    const primary = entry.primary ?? false;
    const declared = entry.softphones;
    const before = input.previous?.get(key)?.entry.softphones;
    const current = live.get(key);
    const op = byUser.get(key);
    // Neither live nor created: the plan already reports the user as missing.
    if (!current && op?.kind !== "create") continue;
    const held = current ? (devicesOf(current, declared !== undefined || before !== undefined) ?? []) : [];
    const keeps = DEVICE_ROLES.every((r) => rolesAfter(key, current)?.includes(r) ?? true);
    const wanted = new Set((declared ?? []).map((s) => `${s.device}:${s.clientType}`));
    const leaving = held.filter((d) => {
      if (!keeps) return true;
      if (declared !== undefined) return !wanted.has(`${d.device}:${d.clientType}`);
      return (before ?? []).some((s) => s.device === d.device);
    });
    if (current) {
      unassignAll(email, primary, current, leaving, (d) => {
        if (!keeps) {
          const role = DEVICE_ROLES.find((r) => !rolesAfter(key, current)?.includes(r))!;
          // Held without its role already (the API let it be): nothing is revoked, the device goes.
          return current.roles?.includes(role) === false ? `the user lacks ${role}, which a device needs` : `its role ${role} is revoked`;
        }
        if (declared?.some((s) => s.device === d.device)) return "its client type changes";
        return declared !== undefined ? "not declared" : "removed from the code";
      });
    }
    const kept = held.filter((d) => !leaving.includes(d));
    for (const s of declared ?? []) {
      if (kept.some((d) => d.device === s.device && d.clientType === s.clientType)) continue;
      out.push({ kind: "assign-device", email, primary, phase: "device-assigns", ...(current ? { userId: current.id } : {}), device: s.device, clientType: s.clientType, why: "declared" });
    }
  }

  for (const { key, email, entry } of leavingUsers(input, live)) {
    const current = live.get(key);
    const op = byUser.get(key);
    // Gone already, retained, or deleted (its devices go with it).
    if (!current || op?.kind === "delete" || removalOf(entry) === "retain") continue;
    const held = devicesOf(current, entry.softphones !== undefined) ?? [];
    const keeps = DEVICE_ROLES.every((r) => rolesAfter(key, current)?.includes(r) ?? true);
    if (entry.softphones !== undefined || !keeps) unassignAll(email, false, current, held, () => (op?.kind === "patch" ? op.why : "removed from the code"));
  }
  return out;
}

/** `assign 1001 (desktop)`: a device operation as a log line names it. */
export function describeDeviceOperation(op: { readonly kind: "assign-device" | "unassign-device"; readonly device: string; readonly clientType: string }): string {
  return `${op.kind === "assign-device" ? "assign" : "unassign"} softphone ${op.device} (${op.clientType})`;
}

export type { DeviceClientType, Softphone };
