/**
 * Dispatch of a parsed payload to its operation: the one function main.ts calls after parsing,
 * and the one tests can call with a fake API.
 */
import type { CustomerPayload, HandlerOperation } from "../contracts/handler";
import { applyAccessRequest, releaseAccessRequest } from "./access-request";
import type { HandlerDeps } from "./context";
import { applyCustomer, releaseCustomer } from "./customer";
import { applyInventory, releaseInventory } from "./inventory";
import type { Payload } from "./payload";
import { ensurePrimaryAdmin } from "./primary-admin";
import { applyUser, releaseUser } from "./user";

export { applyCustomer, releaseCustomer } from "./customer";
export { applyUser, releaseUser } from "./user";
export { applyInventory, releaseInventory } from "./inventory";
export { applyAccessRequest, releaseAccessRequest } from "./access-request";

/** The customer, then its first admin's grants (U5), before any other user of it runs. */
async function applyCustomerAndPrimaryAdmin(payload: CustomerPayload, deps: HandlerDeps): Promise<void> {
  await applyCustomer(payload, deps);
  await ensurePrimaryAdmin(payload.t.reference, deps);
}

export function runOperation(op: HandlerOperation, parsed: Payload, deps: HandlerDeps): Promise<void> {
  switch (parsed.kind) {
    case "customer":
      return op === "apply" ? applyCustomerAndPrimaryAdmin(parsed.payload, deps) : releaseCustomer(parsed.payload, deps);
    case "user":
      return op === "apply" ? applyUser(parsed.payload, deps) : releaseUser(parsed.payload, deps);
    case "inventory":
      return op === "apply" ? applyInventory(parsed.payload, deps) : releaseInventory(parsed.payload, deps);
    case "access-request":
      return op === "apply" ? applyAccessRequest(parsed.payload, deps) : releaseAccessRequest(parsed.payload, deps);
  }
}

