/**
 * Softphones (U14): the PBX devices a user of the code holds, with their client type, as the
 * handler contract carries them in a user entry (contracts/handler `userEntry.softphones`) and
 * renders them in the user's line of text:
 *
 *   `… | softphones=1001:desktop,1002:mobile | name=Ana`
 *
 * Absent: the code does not manage the user's devices (the app only takes back what it assigned
 * before). Present, even empty (`softphones=`): the user holds exactly these devices.
 */
import { z } from "zod";
import { deviceClientType, isPbxDeviceId, PBX_DEVICE_ID, type DeviceClientType } from "./api";

export const softphone = z.object({
  device: z.string().regex(PBX_DEVICE_ID, "not a PBX device id"),
  clientType: deviceClientType,
});
export type Softphone = z.infer<typeof softphone>;

export const SOFTPHONES_FLAG = "softphones=";

/** `1001 (desktop)`: how a softphone is named in log lines and summaries. */
export function describeSoftphone(s: Softphone): string {
  return `${s.device} (${s.clientType})`;
}

/** Sorted by device, so that the rendered line (and the plan) does not depend on the code's order. */
export function sortedSoftphones(list: readonly Softphone[]): Softphone[] {
  return [...list].sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.clientType < b.clientType ? -1 : a.clientType > b.clientType ? 1 : 0));
}

/** The flag of a user line: `softphones=1001:desktop,1002:mobile`. */
export function encodeSoftphones(list: readonly Softphone[]): string {
  return SOFTPHONES_FLAG + sortedSoftphones(list).map((s) => `${s.device}:${s.clientType}`).join(",");
}

/** The softphones a flag's value stands for; undefined when it is not one. */
export function decodeSoftphones(value: string): Softphone[] | undefined {
  if (value === "") return [];
  const out: Softphone[] = [];
  for (const item of value.split(",")) {
    const at = item.lastIndexOf(":");
    const device = item.slice(0, at);
    const clientType = item.slice(at + 1);
    if (at < 0 || !isPbxDeviceId(device) || !deviceClientType.safeParse(clientType).success) return undefined;
    out.push({ device, clientType: clientType as DeviceClientType });
  }
  return out;
}

/** Whether two declarations ask for the same devices (undefined, "not managed", differs from []). */
export function sameSoftphones(a: readonly Softphone[] | undefined, b: readonly Softphone[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const key = (s: Softphone) => `${s.device}:${s.clientType}`;
  const sa = new Set(a.map(key));
  const sb = new Set(b.map(key));
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}
