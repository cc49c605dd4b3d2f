/**
 * The stack's inventory. An object deleted from the code loses its resource without a destroy
 * provisioner; the inventory, whose `t` lists the keys, is replaced, and its release sees the old
 * keys with their release records. It releases exactly the keys the manifest no longer lists. On a
 * full destroy the manifest still lists every key, so it releases nothing (the stack resource does).
 */
import type { InventoryPayload, ReleaseRecord } from "../contracts/handler";
import { withdrawAccessRequest } from "./access-request";
import { meter, type HandlerDeps } from "./context";
import { HandlerError, toHandlerError } from "./errors";
import { formatFailure } from "./report";
import { releaseWholeTenant } from "./tenant";

export const INVENTORY_SUBJECT = "inventory";

export function applyInventory(payload: InventoryPayload, deps: Pick<HandlerDeps, "report">): Promise<void> {
  deps.report.debug(`${INVENTORY_SUBJECT}: ${Object.keys(payload.t.objects).length} objects; nothing to do at apply`);
  return Promise.resolve();
}

/** The keys of the old inventory the manifest no longer lists. */
export function vanishedKeys(payload: InventoryPayload, deps: Pick<HandlerDeps, "manifest">): string[] {
  return Object.keys(payload.t.objects)
    .filter((key) => deps.manifest.objects[key] === undefined)
    .sort();
}

export async function releaseInventory(payload: InventoryPayload, deps: HandlerDeps): Promise<void> {
  const keys = vanishedKeys(payload, deps);
  if (keys.length === 0) {
    deps.report.action(INVENTORY_SUBJECT, "no object left the code");
    return;
  }
  const requests = meter(deps.api);
  const failures: HandlerError[] = [];
  // Access requests first: partner access ends before the customers it names are released.
  const ordered = [...keys].sort((a, b) => Number(payload.t.objects[b].kind === "access-request") - Number(payload.t.objects[a].kind === "access-request"));
  for (const key of ordered) {
    try {
      await releaseRecord(payload.t.objects[key], payload.i.settings.acceptCharges, deps);
    } catch (e) {
      const error = toHandlerError(e, key);
      failures.push(error);
      deps.report.action(key, `FAILED: ${formatFailure(error)[0].replace(/^dimensions: /, "")}`);
    }
  }
  deps.report.action(INVENTORY_SUBJECT, `released ${keys.length - failures.length} of ${keys.length} object${keys.length === 1 ? "" : "s"} that left the code`, requests());
  if (failures.length) {
    throw new HandlerError("InventoryReleaseFailed", `${failures.length} of ${keys.length} objects that left the code could not be released (each is reported above)`, {
      subject: INVENTORY_SUBJECT,
      hint: failures.length === 1 && failures[0].hint ? failures[0].hint : "fix the causes above and apply again; objects already released are not touched twice",
    });
  }
}

function releaseRecord(record: ReleaseRecord, acceptCharges: boolean, deps: HandlerDeps): Promise<void> {
  switch (record.kind) {
    case "customer":
      // Its users go with it: the customer's removal policy decides (C5).
      return releaseWholeTenant({ reference: record.reference, users: {}, removalPolicy: record.removalPolicy }, deps, acceptCharges);
    case "referenced-customer":
      return releaseWholeTenant({ reference: record.reference, users: record.users }, deps, acceptCharges);
    case "access-request":
      return withdrawAccessRequest(record.name, "it left the code", deps);
  }
}
