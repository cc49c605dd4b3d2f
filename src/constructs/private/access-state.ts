/**
 * State of TenantAccessRequest constructs, kept off their public surface under a `Symbol.for`
 * brand (as internals.ts does for customers and users), and the payload each renders. The
 * stack-level inventory and the manifest (payloads.ts) list access requests through this module.
 */
import type { IConstruct } from "constructs";
import { accessRequestKey, type AccessModeValue, type AccessRequestPayload, type AccessWait } from "../../contracts/handler";
import type { TerraformResource } from "../../framework";
import { canonicalAssociations } from "../../validation/access";
import { isAttached, type CustomerState, type StackState } from "./internals";

export const ACCESS_REQUEST_STATE = Symbol.for("cdktf-dimensions.TenantAccessRequest");

export interface AccessAssociationState {
  readonly partnerUsers: readonly string[];
  readonly customers: readonly CustomerState[];
  readonly mode: AccessModeValue;
}

export interface AccessRequestState {
  readonly construct: IConstruct;
  readonly stack: StackState;
  readonly name: string;
  readonly message: string;
  readonly associations: readonly AccessAssociationState[];
  readonly wait?: AccessWait;
  /** Its own props have errors (reported at synth): left out of the app-wide rules. */
  readonly invalid?: boolean;
  resource?: TerraformResource;
}

export function accessRequestStateOf(x: unknown): AccessRequestState | undefined {
  return x !== null && typeof x === "object" ? ((x as Record<symbol, AccessRequestState | undefined>)[ACCESS_REQUEST_STATE] ?? undefined) : undefined;
}

/** `t` = name, message and what each tenant receives (A3); `i` = wait options and settings. */
export function accessRequestPayload(request: AccessRequestState): AccessRequestPayload {
  return {
    t: {
      name: request.name,
      message: request.message,
      associations: canonicalAssociations(
        request.associations.map((a) => ({ partnerUsers: a.partnerUsers, customers: a.customers.map((c) => c.reference), mode: a.mode })),
      ),
    },
    i: { kind: "access-request", ...(request.wait ? { wait: request.wait } : {}), settings: request.stack.settings },
  };
}

/** The stack's attached TenantAccessRequests, in tree order. */
export function accessRequestsOf(stack: StackState): AccessRequestState[] {
  return stack.construct.node
    .findAll()
    .map((n) => accessRequestStateOf(n))
    .filter((r): r is AccessRequestState => r !== undefined && r.stack === stack && isAttached(r.construct));
}

/** `[key, payload]` of every access request of the stack (for the inventory and the manifest). */
export function accessRequestEntries(stack: StackState): Array<[string, AccessRequestPayload]> {
  return accessRequestsOf(stack).map((r) => [accessRequestKey(r.name), accessRequestPayload(r)]);
}
