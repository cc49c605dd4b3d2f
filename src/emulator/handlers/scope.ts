/**
 * Who may touch what: a partner user acts for its reseller (never another's: 404, isolation); an
 * impersonation token acts on one customer while its access lasts (A5, A6); a customer admin's
 * token (A4) only answers access requests of its own tenant.
 */
import type { EmulatorCore } from "../core";
import { errors } from "../errors";
import type { RequestContext } from "../http";
import type { CustomerRecord, PartnerUserRecord, Principal } from "../store";

export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw errors.unauthorized();
  return ctx.principal;
}

/** Reseller-side routes: only a partner user's own token. */
export function partnerOf(ctx: RequestContext, core: EmulatorCore): PartnerUserRecord {
  const principal = principalOf(ctx);
  if (principal.kind !== "partner") throw errors.accessDenied("This call needs a partner user's token.");
  const user = core.store.get("partnerUsers", principal.partnerUserId);
  if (!user) throw errors.unauthorized();
  return user;
}

/** Whether an impersonation token still gives access (A5 expiry, withdrawal, A6 legacy cut-off). */
export function impersonationValid(principal: Extract<Principal, { kind: "impersonation" }>, core: EmulatorCore): boolean {
  const customer = core.store.get("customers", principal.customerId);
  if (!customer || customer.deleted) return false;
  if (principal.requestId === null) {
    const partner = core.store.get("partnerUsers", principal.partnerUserId);
    return !customer.accessGrantedOnce && partner !== undefined && partner.roles.includes("customer.admin");
  }
  const request = core.store.get("accessRequests", principal.requestId);
  if (!request || request.withdrawn) return false;
  return request.tenants.some(
    (t) => t.tenantId === principal.customerId && t.mode === principal.mode && t.userIds.includes(principal.partnerUserId) && core.effectiveStatus(t) === "granted",
  );
}

/**
 * The customer a reseller-side call addresses: a partner sees its reseller's active customers; an
 * impersonation token sees its one customer while valid. Anything else is 404 (or 403).
 */
export function customerFor(ctx: RequestContext, core: EmulatorCore, id: string): CustomerRecord {
  const principal = principalOf(ctx);
  switch (principal.kind) {
    case "partner": {
      const found = core.store.activeCustomer(principal.resellerId, id);
      if (!found) throw errors.notFound();
      return found;
    }
    case "impersonation": {
      if (principal.customerId !== id.toLowerCase()) throw errors.accessDenied();
      if (!impersonationValid(principal, core)) throw errors.accessDenied("Access to this tenant has ended.");
      const found = core.store.activeCustomer(principal.resellerId, id);
      if (!found) throw errors.notFound();
      return found;
    }
    case "customerAdmin":
      throw errors.accessDenied("A customer admin's token only answers access requests.");
  }
}

/** The reseller a collection call lists for (impersonation tokens do not list customers). */
export function resellerOf(ctx: RequestContext, core: EmulatorCore): string {
  return partnerOf(ctx, core).resellerId;
}
