/**
 * Softphones (U14) at synth: a user's PBX devices and their client types. Two halves, as for roles:
 * - `checkSoftphones`: one construct's own prop (a list of `{ device, clientType }`): malformed device
 *   ids, unknown client types, tokens, a device listed twice (constructor time);
 * - `softphoneFindings`: rules across constructs: a softphone needs `customer.user.uc` and
 *   `customer.user.uc.softphone` among the roles the user will hold, assignments and templates
 *   folded in (U7; the API refuses the assign otherwise), and one device is held by one user of a
 *   customer (the API answers 409 otherwise).
 * Pure and deterministic.
 */
import { findRole, Role } from "../catalogue/roles";
import { CLIENT_TYPES, isPbxDeviceId } from "../contracts/api";
import { Token } from "../framework";
import type { DimensionsModel, GrantSources, UserModel } from "./model";
import { finding, type Finding } from "./rules";
import { didYouMean, nearest } from "./suggest";

export type ClientTypeValue = (typeof CLIENT_TYPES)[number];

/** A softphone as the validation model holds it: checked, literal. */
export interface SoftphoneModel {
  readonly device: string;
  readonly clientType: ClientTypeValue;
}

/** What a softphone needs the user to hold (API contract §4), in prerequisite order. */
export const SOFTPHONE_ROLES = [Role.UC_CLIENT, Role.UC_CLIENT_SOFTPHONE] as const;

const describe = (x: unknown): string => (typeof x === "string" ? JSON.stringify(x) : x === null || typeof x !== "object" ? String(x) : Array.isArray(x) ? "an array" : "an object");

/**
 * The softphones of one user's prop, and what is wrong with them. Only well-formed, distinct
 * softphones are kept (a wrong one is reported and left out, so it is not reported again).
 */
export function checkSoftphones(path: string, subject: string, value: unknown, held: readonly SoftphoneModel[] = []): { findings: Finding[]; softphones: SoftphoneModel[] | undefined } {
  if (value === undefined) return { findings: [], softphones: undefined };
  if (!Array.isArray(value)) {
    return {
      findings: [finding("SoftphoneInvalid", path, `softphones of ${subject} is ${describe(value)}, not a list`, 'pass a list such as [{ device: "1001", clientType: "desktop" }] (or [] for none)')],
      softphones: undefined,
    };
  }
  const findings: Finding[] = [];
  const softphones: SoftphoneModel[] = [];
  const seen = new Map<string, number>();
  value.forEach((item: unknown, index) => {
    const at = `softphone ${index + 1} of ${subject}`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      findings.push(finding("SoftphoneInvalid", path, `${at} is ${describe(item)}, not { device, clientType }`, 'write it as { device: "1001", clientType: "desktop" }'));
      return;
    }
    const { device, clientType } = item as { device?: unknown; clientType?: unknown };
    let ok = true;
    if (typeof device === "string" && Token.isUnresolved(device)) {
      findings.push(finding("SoftphoneInvalid", path, `device of ${at} is a token ("${device}"); the devices a user holds are compared at plan time and must be known at synth`, "pass the device id as a literal string"));
      ok = false;
    } else if (!isPbxDeviceId(device)) {
      findings.push(
        finding(
          "SoftphoneInvalid",
          path,
          `device ${describe(device)} of ${at} is not a PBX device id`,
          "use the device's id on the PBX: 1–64 letters, digits, \".\", \"_\" or \"-\", starting with a letter or a digit (e.g. \"1001\" or a Kazoo device id)",
        ),
      );
      ok = false;
    }
    if (!(CLIENT_TYPES as readonly unknown[]).includes(clientType)) {
      const near = typeof clientType === "string" ? nearest(clientType, CLIENT_TYPES) : [];
      findings.push(
        finding(
          "SoftphoneInvalid",
          path,
          `clientType ${describe(clientType)} of ${at} is not a softphone client type`,
          `${near.length ? `${didYouMean(near)} ` : ""}use one of ${CLIENT_TYPES.map((c) => `"${c}"`).join(", ")} (ClientType.DESKTOP, …)`,
        ),
      );
      ok = false;
    }
    if (!ok) return;
    const first = seen.get(device as string);
    if (first !== undefined || held.some((h) => h.device === device)) {
      const where = first !== undefined ? `(softphones ${first + 1} and ${index + 1})` : "(once already, before this addSoftphones)";
      findings.push(
        finding(
          "DuplicateSoftphoneDevice",
          path,
          `device "${String(device)}" is listed twice among the softphones of ${subject} ${where}; a device is held with one client type`,
          "list each device once, with the client type it is used with",
        ),
      );
      return;
    }
    seen.set(device as string, index);
    softphones.push({ device: device as string, clientType: clientType as ClientTypeValue });
  });
  return { findings, softphones };
}

/** The cross-construct softphone rules, in model order. `grants` is validateModel's fold. */
export function softphoneFindings(model: Pick<DimensionsModel, "users" | "customers">, grants: ReadonlyMap<string, GrantSources>): Finding[] {
  const out: Finding[] = [];
  const holders = new Map<string, UserModel>();
  const reference = new Map(model.customers.map((c) => [c.path, c.reference]));
  for (const user of model.users) {
    const softphones = user.softphones ?? [];
    if (softphones.length === 0) continue;
    const roles = [...(grants.get(user.path)?.keys() ?? [])];
    const who = `user "${user.email}"`;
    const named = softphones.map((s) => `${s.device} (${s.clientType})`).join(", ");
    // A mistyped role key leaves the roles unknown: its own error says so first.
    const missing = roles.some((r) => !findRole(r)) ? [] : SOFTPHONE_ROLES.filter((r) => !roles.includes(r));
    if (missing.length > 0) {
      out.push(
        finding(
          "SoftphoneRoleMissing",
          user.path,
          `softphone${softphones.length === 1 ? "" : "s"} ${named} of ${who} need${softphones.length === 1 ? "s" : ""} ${missing.map((r) => `"${r}" (${findRole(r)!.name})`).join(" and ")}, which the user would not hold: the API refuses the device`,
          `add ${missing.length === SOFTPHONE_ROLES.length ? "RoleBundle.UC_SOFTPHONE" : `Role.UC_CLIENT_SOFTPHONE ("${missing[0]}")`} to the user's roles, or remove the softphones`,
        ),
      );
    }
    for (const s of softphones) {
      const key = `${user.customerPath}\u0000${s.device}`;
      const first = holders.get(key);
      if (!first) {
        holders.set(key, user);
        continue;
      }
      if (first === user) continue;
      out.push(
        finding(
          "DuplicateSoftphoneDevice",
          user.path,
          `device "${s.device}" of ${who} is also a softphone of "${first.email}" ("${first.path}") in customer "${reference.get(user.customerPath) ?? user.customerPath}"; the API lets one user hold a device`,
          "give the device to one user only (a device moving between users: remove it from one and add it to the other in the same change)",
        ),
      );
    }
  }
  return out;
}
