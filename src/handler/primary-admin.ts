/**
 * U5: an admin must exist on a customer before other users or roles can be changed. Users cannot
 * express that with `depends_on` on the primary admin's resource: handing the primary role from
 * A to B makes the old state say "B after A" and the new config "A after B", and Terraform refuses
 * the cycle when both are replaced. So the customer's own apply, which every user of the customer
 * depends on, converges the primary admin the manifest names (create, or adopt and grant).
 */
import type { UserPayload } from "../contracts/handler";
import type { HandlerDeps } from "./context";
import { applyUser } from "./user";

/** The primary admin (H1) the manifest declares for the customer, if any. */
export function primaryAdminOf(deps: HandlerDeps, customerReference: string): UserPayload | undefined {
  for (const entry of Object.values(deps.manifest.objects)) {
    if (entry.i.kind === "user" && entry.i.primary && "customer" in entry.t && entry.t.customer === customerReference) {
      return entry as UserPayload;
    }
  }
  return undefined;
}

export async function ensurePrimaryAdmin(customerReference: string, deps: HandlerDeps): Promise<void> {
  const primary = primaryAdminOf(deps, customerReference);
  if (primary) await applyUser(primary, deps);
}
