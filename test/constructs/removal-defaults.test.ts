/**
 * C5: deleting a customer is destructive, so the construct's default on removal is the safe choice
 * and deletion must be asked for in code. Checked where the handler reads it: the tenant payload
 * (what a replacement or destroy releases) and the stack's inventory (what leaving the code releases).
 */
import { customerKey, inventoryPayload, tenantPayload } from "../../src/contracts/handler";
import { CustomerRemovalPolicy } from "../../src";
import { acmeWithAdmin, newApp, newStack, payloadIn, resourceAt, synthJson, useFakeHandlerBundle } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

function released(removalPolicy?: CustomerRemovalPolicy): { tenant: string | undefined; inventory: unknown } {
  const app = newApp();
  const stack = newStack(app);
  acmeWithAdmin(stack, removalPolicy ? { removalPolicy } : {});
  const json = synthJson(app, stack);
  const tenant = tenantPayload.parse(payloadIn(resourceAt(json, "stack/acme/Default").body));
  const inventory = inventoryPayload.parse(payloadIn(resourceAt(json, "stack/dimensions-inventory").body));
  return { tenant: tenant.i.removalPolicy, inventory: inventory.t.objects[customerKey("ACME-001")] };
}

test("C5 (non-compliant): a customer whose code names no removal policy is never deleted on removal or destroy: the handler is told retain", () => {
  expect(released()).toEqual({ tenant: "retain", inventory: { kind: "customer", reference: "ACME-001", removalPolicy: "retain" } });
});

test("C5 (compliant): deletion asked for in code (CustomerRemovalPolicy.DELETE) is what the handler is told", () => {
  expect(released(CustomerRemovalPolicy.DELETE)).toEqual({ tenant: "delete", inventory: { kind: "customer", reference: "ACME-001", removalPolicy: "delete" } });
  expect(released(CustomerRemovalPolicy.DISABLE).tenant).toBe("disable");
});
