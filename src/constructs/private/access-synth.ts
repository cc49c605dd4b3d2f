/**
 * The synth-time checks of tenant access requests that span constructs (A2 unique names, A8 one
 * mode per partner user and tenant, customers of other stacks), reported by the stack's synth
 * checks, and the ordering of each request after the customers it names (an Aspect registered
 * once per stack by its first TenantAccessRequest).
 */
import type { IConstruct } from "constructs";
import { dependable, type IAspect } from "../../framework";
import { validateAccessRequests, type AccessRequestModel } from "../../validation/access";
import { accessRequestStateOf, accessRequestsOf } from "./access-state";
import type { Finding } from "../../validation/rules";
import { isAttached, type StackState } from "./internals";

/** Every attached TenantAccessRequest of the app (A2 and A8 are app-wide), as plain data. */
export function buildAccessModel(root: IConstruct): { requests: AccessRequestModel[]; byPath: Map<string, IConstruct> } {
  const byPath = new Map<string, IConstruct>();
  const requests: AccessRequestModel[] = [];
  for (const node of root.node.findAll()) {
    const state = accessRequestStateOf(node);
    if (!state || state.invalid || !isAttached(node)) continue;
    byPath.set(node.node.path, node);
    requests.push({
      path: node.node.path,
      stackPath: state.stack.construct.node.path,
      name: state.name,
      associations: state.associations.map((a) => ({
        mode: a.mode,
        partnerUsers: a.partnerUsers,
        customers: a.customers.map((c) => ({ path: c.construct.node.path, stackPath: c.stack.construct.node.path, reference: c.reference })),
      })),
    });
  }
  return { requests, byPath };
}

/**
 * A request depends on the stack resource (which Terraform must destroy after it: its release
 * reads the request's marker) and on every customer it names in its own stack: the customer
 * exists before the request is sent, and on destroy the request is withdrawn before the customer
 * is released.
 */
function wireDependencies(stack: StackState): void {
  for (const request of accessRequestsOf(stack)) {
    if (!request.resource) continue;
    const named = request.associations
      .flatMap((a) => a.customers)
      .filter((c) => c.stack === stack && c.resource !== undefined && isAttached(c.construct));
    const unique = [...new Set(named.map((c) => c.resource!))];
    request.resource.dependsOn = [...(stack.stackResource ? [stack.stackResource] : []), ...unique].map((r) => dependable(r));
  }
}

/**
 * The cross-construct findings of every access request of the app, with the construct each is
 * about. The stack's DimensionsSynthChecks reports them with every other finding (acknowledgements
 * and the findings file included; report() de-duplicates across stacks).
 */
export function accessFindings(root: IConstruct): Array<{ construct: IConstruct | undefined; finding: Finding }> {
  const { requests, byPath } = buildAccessModel(root);
  return validateAccessRequests(requests).map((f) => ({ construct: byPath.get(f.path), finding: f }));
}

/** Registered once per stack by its first TenantAccessRequest: orders its requests after their customers. */
export class AccessRequestOrdering implements IAspect {
  constructor(private readonly stack: StackState) {}

  public visit(node: IConstruct): void {
    if (node === this.stack.construct) wireDependencies(this.stack);
  }
}
