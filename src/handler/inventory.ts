/**
 * Inventories. An object deleted from the code loses its resource without a destroy provisioner;
 * the inventory that listed it is replaced, and its release sees the old keys with their payloads.
 * It releases exactly the keys the manifest no longer lists. On a full destroy the manifest still
 * lists every key, so it releases nothing and each object's own destroy does the work.
 */
import type { AccessRequestPayload, InventoryPayload, ObjectPayload, CustomerPayload, UserPayload } from "../contracts/handler";
import { releaseAccessRequest } from "./access-request";
import { meter, type HandlerDeps } from "./context";
import { releaseCustomer } from "./customer";
import { HandlerError, toHandlerError } from "./errors";
import { formatFailure } from "./report";
import { releaseUser } from "./user";

/** Objects released at once: enough to overlap latency, few enough to stay polite to the API. */
export const INVENTORY_CONCURRENCY = 4;

export function inventorySubject(payload: InventoryPayload): string {
  return payload.t.scope === "users" ? `inventory of users of ${payload.t.customer ?? "?"}` : "inventory of customers and access requests";
}

/** Apply: the objects' own resources do the work. */
export async function applyInventory(payload: InventoryPayload, deps: Pick<HandlerDeps, "report">): Promise<void> {
  deps.report.debug(`${inventorySubject(payload)}: ${payload.t.keys.length} objects; nothing to do at apply`);
}

/** The keys of the old inventory the manifest no longer lists. */
export function vanishedKeys(payload: InventoryPayload, deps: Pick<HandlerDeps, "manifest">): string[] {
  return Object.keys(payload.i.objects)
    .filter((key) => deps.manifest.objects[key] === undefined)
    .sort();
}

/** Release: fully release every object that left the code; all that can be, then fail with a summary. */
export async function releaseInventory(payload: InventoryPayload, deps: HandlerDeps): Promise<void> {
  const subject = inventorySubject(payload);
  const keys = vanishedKeys(payload, deps);
  if (keys.length === 0) {
    deps.report.action(subject, "no object left the code");
    return;
  }
  const requests = meter(deps.api);
  // Several objects share one client: a per-object request count would mix them up.
  const objectDeps: HandlerDeps = { ...deps, report: deps.report.uncounted() };
  const failures: Array<{ key: string; error: HandlerError }> = [];
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      try {
        await releaseObject(payload.i.objects[key], objectDeps);
      } catch (e) {
        failures.push({ key, error: toHandlerError(e, key) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(INVENTORY_CONCURRENCY, keys.length) }, worker));

  const released = keys.length - failures.length;
  deps.report.action(subject, `released ${released} of ${keys.length} object${keys.length === 1 ? "" : "s"} that left the code`, requests());
  if (failures.length) {
    failures.sort((a, b) => a.key.localeCompare(b.key));
    const first = failures[0].error;
    // One line: each failure as its own coded line would read, without the "dimensions:" prefix.
    const summary = failures.map((f) => formatFailure(f.error)[0].replace(/^dimensions: /, "")).join("; ");
    throw new HandlerError("InventoryReleaseFailed", `${failures.length} of ${keys.length} objects that left the code could not be released: ${summary}`, {
      subject,
      hint: failures.length === 1 ? first.hint : "fix the causes above and apply again; objects already released are not touched twice",
    });
  }
}

function releaseObject(object: ObjectPayload, deps: HandlerDeps): Promise<void> {
  switch (object.i.kind) {
    case "customer":
      return releaseCustomer(object as CustomerPayload, deps);
    case "access-request":
      return releaseAccessRequest(object as AccessRequestPayload, deps);
    default:
      return releaseUser(object as UserPayload, deps);
  }
}
