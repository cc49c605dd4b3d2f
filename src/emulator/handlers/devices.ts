/**
 * `POST|PUT /customers/{C}/users/{U}/devices/pbx/{D}/assign` and `/unassign` `{ clientType }`
 * (API contract §4; rules U5, U7, U14). The contract says what succeeds (201; clientType one of
 * desktop, mobile, webrtc, crm; assigning needs `customer.user.uc` and
 * `customer.user.uc.softphone`); the rest is ours, chosen so that a client's retry is harmless and
 * a conflict is never resolved silently:
 *
 * - `{D}` is a PBX device id (contracts/api PBX_DEVICE_ID), else 400 ValidationFailed "The value
 *   '<D>' is not valid." (as for a malformed GUID); unknown customer or user: 404 NotFound;
 * - the body is `{ clientType }`, else 400 ValidationFailed naming the allowed values;
 * - a customer without an admin: 400 AdministratorRequired (U5), as for any user change;
 * - assign:
 *   - without the UC client or its softphone: 400 RolePrerequisiteMissing (U7);
 *   - a device no entry of the customer's PBX directory lists: 404 DeviceNotFound;
 *   - a device another user of the customer holds: 409 DeviceAlreadyAssigned;
 *   - the same device again with the same client type: 201, nothing changes (idempotent, so a
 *     retried PUT whose first attempt landed succeeds); with another client type: 409
 *     DeviceAlreadyAssigned (unassign it first: a device is held with one client type);
 * - unassign: a device the user does not hold: 201, nothing changes (idempotent); held with another
 *   client type: 409 DeviceAlreadyAssigned; needs no role;
 * - a PATCH that takes `customer.user.uc` or `customer.user.uc.softphone` from a user still holding
 *   a device is refused with 400 RolePrerequisiteMissing: unassign first (`requireRolesOfDevices`);
 *   deleting the user releases its devices with it.
 *
 * `GET /customers/{C}/users/{U}` reports the devices in `devices: [{ deviceId, clientType }]`.
 */
import { deviceAssignmentRequest, deviceClientType, isPbxDeviceId } from "../../contracts/api";
import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import { ok, type RequestContext } from "../http";
import { requireAdministrator, SOFTPHONE_ROLE, UC_ROLE } from "../rules";
import type { DeviceRecord, UserRecord } from "../store";
import { customerFor } from "./scope";

/** Roles a user must hold while it holds a device (§4). */
const DEVICE_ROLES = [UC_ROLE, SOFTPHONE_ROLE];

export function device(ctx: RequestContext, core: EmulatorCore, action: "assign" | "unassign") {
  const customer = customerFor(ctx, core, ctx.params.C);
  const user = core.store.user(customer.id, ctx.params.U);
  if (!user) throw errors.notFound();
  const deviceId = ctx.params.D;
  if (!isPbxDeviceId(deviceId)) throw errors.invalidValue(deviceId.slice(0, 100));
  const body = deviceAssignmentRequest.safeParse(ctx.json());
  if (!body.success) throw errors.validation(`The field 'clientType' is required and must be one of ${deviceClientType.options.join(", ")}.`);
  const clientType = body.data.clientType;
  requireAdministrator(core, user.customerId);
  const held = user.devices.find((d) => d.deviceId === deviceId);

  if (action === "unassign") {
    if (held && held.clientType !== clientType) throw errors.deviceClientTypeMismatch(deviceId, held.clientType);
    if (held) core.store.assign(user, { devices: user.devices.filter((d) => d !== held) });
    return answer(ctx, user, deviceId, clientType, false);
  }

  for (const role of DEVICE_ROLES) if (!user.roles.includes(role)) throw errors.devicePrerequisiteMissing(role);
  if (held) {
    if (held.clientType !== clientType) throw errors.deviceClientTypeMismatch(deviceId, held.clientType);
    return answer(ctx, user, deviceId, clientType, true);
  }
  const accountId = customer.pbxConnectionProfile?.accountId;
  const directory = accountId === undefined ? [] : (core.store.get("pbxDirectory", accountId) ?? []);
  if (!directory.some((entry) => entry.devices?.includes(deviceId))) throw errors.deviceNotFound(deviceId);
  if (core.store.usersOf(customer.id).some((u) => u.id !== user.id && u.devices.some((d) => d.deviceId === deviceId))) {
    throw errors.deviceAssignedElsewhere(deviceId);
  }
  const assigned: DeviceRecord = { deviceId, clientType };
  core.store.assign(user, { devices: [...user.devices, assigned] });
  return answer(ctx, user, deviceId, clientType, true);
}

function answer(ctx: RequestContext, user: UserRecord, deviceId: string, clientType: string, assigned: boolean) {
  return ok(ctx, { userId: user.id, deviceId, clientType, assigned }, 201);
}

/** A role change may not take away what an assigned device needs: unassign first. */
export function requireRolesOfDevices(user: UserRecord, rolesAfter: readonly string[]): void {
  const first = user.devices[0];
  if (!first) return;
  const missing = DEVICE_ROLES.find((r) => !rolesAfter.includes(r));
  if (missing) throw errors.roleNeededByDevice(missing, first.deviceId);
}

/** `devices` of a one-user answer [ours]. */
export function devicesView(user: UserRecord): Array<{ deviceId: string; clientType: string }> {
  return user.devices.map((d) => ({ deviceId: d.deviceId, clientType: d.clientType }));
}
