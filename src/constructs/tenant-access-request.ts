import { Construct } from "constructs";
import { Aspects, type TerraformResource } from "../framework";
import { checkAccessRequestFields, WAIT_LIMITS } from "../validation/access";
import { customerState, type ICustomer } from "./customer";
import { DimensionsStack } from "./dimensions-stack";
import { AccessRequestOrdering } from "./private/access-synth";
import { ACCESS_REQUEST_STATE, accessRequestPayload, accessRequestStateOf, type AccessRequestState } from "./private/access-state";
import { deferFindings } from "./private/deferred";
import { attachState, stackStateOf } from "./private/internals";

/** How a partner user works inside a customer's tenant once access is granted (A7). */
export enum AccessMode {
  /** "Impersonate & Configure": change the tenant's configuration. */
  CONFIGURE = "configure",
  /** "Impersonate & Support": help with support cases. */
  SUPPORT = "support",
}

/** One link between partner users and customer tenants (A3). */
export interface TenantAccessAssociation {
  /**
   * The partner users (the reseller's own account users, `GET /accounts/me/users`) by e-mail,
   * compared case-insensitively and resolved to ids when the request is sent.
   */
  readonly partnerUsers: string[];
  /** The customers whose tenants they need: `Customer` constructs or `Customer.fromReference`. */
  readonly customers: ICustomer[];
  /** A8: a partner user holds at most one mode per tenant, across every request of the app. */
  readonly mode: AccessMode;
}

/** Waiting, during `terraform apply`, for the customers to answer (A4, A7). */
export interface WaitForDecisionOptions {
  /**
   * The longest the apply waits, 1–3600 seconds; then it reports each tenant still pending and
   * ends (the request stays sent).
   */
  readonly timeoutSeconds: number;
  /** @default 10 - seconds between two reads of the request (never more than the time left) */
  readonly pollSeconds?: number;
  /**
   * Fail the apply unless every tenant granted. The request stays sent either way; Terraform
   * marks the resource tainted, and the next apply adopts the same request (nothing is sent twice)
   * and waits again.
   * @default false - rejected, expired and still-pending tenants are reported, the apply succeeds
   */
  readonly requireGrant?: boolean;
}

export interface TenantAccessRequestProps {
  /**
   * The request's name: 1–100 letters and digits, no spaces (A2). Its natural key: an active
   * request with this name and the same content is adopted; one with other content fails the apply.
   * The customer never sees it.
   */
  readonly name: string;
  /**
   * The only text the customer sees (A2): say who needs access and why. At most 1000 characters.
   * @default "" - a synth warning (AccessRequestMessageEmpty): the customer sees neither the name nor the users
   */
  readonly message?: string;
  /** One or more links of partner users to customers with a mode (A3). */
  readonly associations: TenantAccessAssociation[];
  /**
   * @default - no wait: the apply ends once the request is sent; read the outcome with
   * `dimensions access-requests`
   */
  readonly waitForDecision?: WaitForDecisionOptions;
}

/**
 * A tenant access request (seed 002): the reseller asks customers to let named partner users
 * into their tenants, in a mode. Each customer named in the request receives its own request
 * for just the partner users associated with it (A3); its admin grants or rejects it and may set
 * an expiry (A4); past the expiry access ends (A5); once a tenant granted one, legacy
 * impersonation is closed for everyone not named in a granted request (A6).
 *
 * What apply does: resolves the partner users' e-mails (`GET /accounts/me/users`) and the
 * customers' references to ids, then adopts the active request with this name if its content is
 * the same, or sends it (`POST /accessrequests`; needs `tm.admin`, A1). An active request with
 * this name and other content fails the apply (`AccessRequestNameTaken`). With `waitForDecision`
 * it then waits for the customers and prints one line per tenant: granted (with expiry), rejected
 * (with the customer's message), expired, or still pending.
 *
 * What release does: withdraws the request (`DELETE /accessrequests/{id}`; already withdrawn is
 * fine), which ends every tenant's access granted through it — on `terraform destroy`, when the
 * construct leaves the code (the stack's inventory notices), and when it is replaced.
 *
 * Terraform resource: `<id>/Default` (`terraform_data.<id>` when declared directly in the stack),
 * depending on every owned customer it names in the same stack.
 *
 * Replacement — read this before changing a request that customers have granted: `name`,
 * `message` and the associations are desired state; changing any of them (or a partner user's or
 * customer's membership) replaces the resource. The API cannot edit a request and keeps names
 * unique among active requests, so a replacement WITHDRAWS the old request and SENDS a new one:
 * every tenant of the request — including those whose partner users and mode did not change —
 * loses its access at once and gets a new pending request to grant again (and, because legacy
 * impersonation stays closed for a tenant that granted once, A6, nobody gets in meanwhile).
 * Regrouping the same links differently (same users, customers and modes) is not a change.
 * `waitForDecision` is not desired state: changing it replaces the resource, and the apply adopts
 * the same request (nothing is withdrawn or sent again).
 *
 * To change a granted request without a gap: declare a NEW TenantAccessRequest with a new name
 * and the new content, apply, let the customers grant it, then remove the old construct and
 * apply again (the old request is withdrawn). The same path renews an expired grant (A5).
 */
export class TenantAccessRequest extends Construct {
  /** Brand check that works across copies of this library. */
  public static isTenantAccessRequest(x: unknown): x is TenantAccessRequest {
    return accessRequestStateOf(x) !== undefined;
  }

  public readonly name: string;
  /** The request's handler resource. */
  public readonly resource: TerraformResource;
  private readonly state: AccessRequestState;

  constructor(scope: Construct, id: string, props: TenantAccessRequestProps) {
    super(scope, id);
    const stack = DimensionsStack.of(this);
    const stackState = stackStateOf(stack);
    if (!stackState) throw new Error("internal: DimensionsStack without state");
    const path = this.node.path;
    const associations = Array.isArray(props?.associations) ? props.associations : [];
    // Customers first: a foreign ICustomer is a coded error of its own (CrossStackReference).
    const customers = associations.map((a) => (Array.isArray(a?.customers) ? a.customers.map((c) => customerState(c, path)) : []));
    // Every problem is reported at synth (private/deferred). A request with errors of its own is
    // rendered from what it was given but takes no part in the app-wide rules (A2 names, A8
    // modes): those would only repeat its mistakes.
    const invalid = deferFindings(
      this,
      checkAccessRequestFields(path, {
        name: props?.name,
        message: props?.message,
        associations: Array.isArray(props?.associations)
          ? associations.map((a, i) => ({ partnerUsers: a?.partnerUsers, customers: Array.isArray(a?.customers) ? customers[i].map((c) => c.reference) : undefined, mode: a?.mode }))
          : undefined,
        waitForDecision: props?.waitForDecision,
      }),
    );

    this.name = typeof props?.name === "string" ? props.name : String(props?.name ?? "");
    const wait = props?.waitForDecision;
    const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : []);
    this.state = {
      construct: this,
      stack: stackState,
      name: this.name,
      message: typeof props?.message === "string" ? props.message : "",
      associations: associations.map((a, i) => ({ partnerUsers: strings(a?.partnerUsers), customers: customers[i], mode: a?.mode as AccessMode })),
      ...(wait
        ? {
            wait: {
              timeoutSeconds: wait.timeoutSeconds,
              pollSeconds: Math.min(wait.pollSeconds ?? WAIT_LIMITS.defaultPollSeconds, wait.timeoutSeconds),
              requireGrant: wait.requireGrant ?? false,
            },
          }
        : {}),
      ...(invalid ? { invalid: true } : {}),
    };
    attachState(this, ACCESS_REQUEST_STATE, this.state);
    registerOrdering(stack, stackState);

    this.resource = stack.createHandlerResource(this, "Default", () => accessRequestPayload(this.state));
    this.state.resource = this.resource;
  }

  /** The request resource's address, so other resources can `dependsOn` it. */
  public get fqn(): string {
    return this.resource.fqn;
  }
}

const ordered = new WeakSet<object>();
/** One AccessRequestOrdering Aspect per stack that holds a request. */
function registerOrdering(stack: DimensionsStack, state: NonNullable<ReturnType<typeof stackStateOf>>): void {
  if (ordered.has(stack)) return;
  ordered.add(stack);
  Aspects.of(stack).add(new AccessRequestOrdering(state));
}
