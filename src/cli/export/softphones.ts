/**
 * What the exported app says about each live user's PBX devices (U14). Pure, like ./plan.
 *
 * - The one-user answer reports `devices` (ours, API contract §4): the user declares exactly those
 *   softphones, and `softphones: []` when it holds none. "None" is a fact the API stated, as an
 *   empty role list is: the app then holds the devices exactly, like the roles, and takes back a
 *   device assigned outside the code when the user next changes. Leaving a device-less user
 *   undeclared would make the export say less than it read, and only for some users.
 * - The answer has no `devices` field (the vendor's API documents none): unknown, not "none". The
 *   softphones are left undeclared, so the app leaves the devices alone; never a guess.
 * - Devices the code could not declare are left undeclared, with the reason: a synth rule would
 *   refuse them (U7: a softphone needs customer.user.uc and customer.user.uc.softphone; U14: a
 *   device id or client type the library does not accept, a device held twice). The synth rules
 *   live in validation/softphones, which needs the construct framework the CLI does not load; the
 *   checks here use the same sources (contracts' device ids and client types, reconcile's device
 *   roles), and the export's tests synthesize what it writes.
 */
import { CLIENT_TYPES, isPbxDeviceId, type DeviceClientType } from "../../contracts/api";
import { sortedSoftphones, type Softphone } from "../../contracts/softphones";
import { DEVICE_ROLES, emailKey, type LiveDevice } from "../../reconcile";

/** What the export decides for one user's devices. */
export type SoftphonesDecision =
  | { readonly kind: "declared"; readonly softphones: readonly Softphone[] }
  /** The answer did not report the user's devices. */
  | { readonly kind: "unreported" }
  /** Reported, and not declarable as they are; `reason` says why (with its rule id). */
  | { readonly kind: "undeclared"; readonly reason: string };

export interface DeviceHolder {
  readonly email: string;
  /** The roles the app declares for the user (a softphone needs DEVICE_ROLES among them, U7). */
  readonly roles: readonly string[];
  readonly devices?: readonly LiveDevice[];
}

/** `1001 (desktop), 1002 (mobile)`, as describeSoftphone names a softphone (a reported client type may be one the library does not know). */
const named = (devices: readonly LiveDevice[]): string => devices.map((d) => `${d.device} (${d.clientType})`).join(", ");

/** Why a user's own devices cannot be declared as they are; undefined when they can. */
function ownReason(user: DeviceHolder, devices: readonly LiveDevice[]): string | undefined {
  // No device: `softphones: []` needs no role.
  if (devices.length === 0) return undefined;
  const badIds = devices.filter((d) => !isPbxDeviceId(d.device));
  if (badIds.length) return `${badIds.map((d) => JSON.stringify(d.device)).join(", ")} ${badIds.length === 1 ? "is not a PBX device id" : "are not PBX device ids"} the library accepts (1–64 letters, digits, ".", "_" or "-"; U14)`;
  const badTypes = devices.filter((d) => !(CLIENT_TYPES as readonly string[]).includes(d.clientType));
  if (badTypes.length) return `${badTypes.map((d) => `${d.device} is held as ${JSON.stringify(d.clientType)}`).join(", ")}, not a client type the library assigns (${CLIENT_TYPES.join(", ")}; U14)`;
  const twice = [...new Set(devices.map((d) => d.device).filter((id, i, all) => all.indexOf(id) !== i))];
  if (twice.length) return `${twice.map((id) => `device ${id} is reported twice`).join(", ")}; a device is held with one client type (U14)`;
  const missing = DEVICE_ROLES.filter((r) => !user.roles.includes(r));
  if (missing.length) return `${named(devices)} need${devices.length === 1 ? "s" : ""} ${missing.join(" and ")}, which the user does not hold (U7)`;
  return undefined;
}

/** The decision for each user of one customer, by lower-cased e-mail. */
export function softphonesOf(users: readonly DeviceHolder[]): Map<string, SoftphonesDecision> {
  const out = new Map<string, SoftphonesDecision>();
  // U14: one user of a customer holds a device; a device reported for several is declared for none.
  const holders = new Map<string, string[]>();
  for (const user of users) for (const id of new Set((user.devices ?? []).map((d) => d.device))) holders.set(id, [...(holders.get(id) ?? []), user.email]);
  for (const user of users) {
    const key = emailKey(user.email);
    if (user.devices === undefined) {
      out.set(key, { kind: "unreported" });
      continue;
    }
    const devices = user.devices;
    const shared = [...new Set(devices.map((d) => d.device))].filter((id) => holders.get(id)!.length > 1);
    const reason =
      ownReason(user, devices) ??
      (shared.length ? `${shared.map((id) => `device ${id} is also reported for ${holders.get(id)!.filter((e) => e !== user.email).join(", ")}`).join("; ")}; one user of a customer holds a device (U14)` : undefined);
    out.set(key, reason ? { kind: "undeclared", reason } : { kind: "declared", softphones: sortedSoftphones(devices.map((d) => ({ device: d.device, clientType: d.clientType as DeviceClientType }))) });
  }
  return out;
}
