/**
 * The customer half of a tenant's reconcile: whether the live customer (found by reference, C2)
 * must be created or patched to match the code. Pure; the PBX API key (C4) is added by the
 * executor from the environment, never here.
 */
import type { CreateCustomerRequest, Customer, JsonPatchOperation } from "../contracts/api";
import { PATCHABLE_CUSTOMER_FIELDS, type CustomerDesired } from "../contracts/handler";

export type CustomerStep =
  | { readonly kind: "create"; readonly body: Omit<CreateCustomerRequest, "pbxConnectionProfile"> }
  | { readonly kind: "patch"; readonly patch: JsonPatchOperation[] }
  | { readonly kind: "none" };

/** The JSON Patch that makes `current` match `desired` on the patchable fields; empty when nothing differs. */
export function customerPatch(current: Customer, desired: CustomerDesired): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  for (const field of PATCHABLE_CUSTOMER_FIELDS) {
    const want = desired[field];
    if (want === undefined) continue; // not declared: the customer keeps its current value
    const have = current[field] ?? undefined;
    if (have !== want) ops.push({ op: "replace", path: `/${field}`, value: want });
  }
  return ops;
}

export function planCustomer(desired: CustomerDesired, current: Customer | undefined): CustomerStep {
  if (!current) {
    const body: Omit<CreateCustomerRequest, "pbxConnectionProfile"> = { name: desired.name, description: desired.description, reference: desired.reference, enabled: desired.enabled };
    for (const field of ["timezone", "countryCode", "syncAcdAgentWithPbx", "sendNewUserEmail", "sendConnectWelcomeEmail"] as const) {
      if (desired[field] !== undefined) Object.assign(body, { [field]: desired[field] });
    }
    return { kind: "create", body };
  }
  const patch = customerPatch(current, desired);
  return patch.length ? { kind: "patch", patch } : { kind: "none" };
}

/**
 * The API cannot move a customer to another PBX (C3): a mismatch is a problem to report, a missing
 * connection a warning. Undefined when the live customer is connected as declared.
 */
export function pbxProblem(current: Customer, desired: CustomerDesired): { level: "error" | "warning"; message: string; hint: string } | undefined {
  if (!desired.pbx) return undefined;
  const accountId = current.pbxConnectionProfile?.accountId;
  if (typeof accountId !== "string" || accountId === "") {
    return {
      level: "warning",
      message: `the existing customer has no PBX connection; the API cannot add one to an existing customer (connect PBX account ${desired.pbx.accountId} in the portal)`,
      hint: "",
    };
  }
  if (accountId !== desired.pbx.accountId) {
    return {
      level: "error",
      message: `the existing customer is connected to PBX account "${accountId}" but the code declares "${desired.pbx.accountId}"; the API cannot change a customer's PBX`,
      hint: `declare pbx.accountId "${accountId}" for this customer, or use another reference for a new customer`,
    };
  }
  return undefined;
}
