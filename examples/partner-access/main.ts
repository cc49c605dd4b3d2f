/**
 * Partner access to customer tenants — the scenario of the product documentation (seed 002):
 * Elizabeth Bennet, admin of the reseller Classics, Inc., asks for access for her two account
 * managers. Caroline Bingley and Charlotte Lucas co-manage Tom Sawyer Fence Painting Co.; Charlotte
 * also manages Hundred Acre Wood Art Gallery. One request, `SupportAccess`, with two associations:
 *
 * - Caroline → Tom Sawyer Fence Painting Co.
 * - Charlotte → Tom Sawyer Fence Painting Co. and Hundred Acre Wood Art Gallery
 *
 * Tom Sawyer receives a request for Caroline and Charlotte; Hundred Acre receives its own for
 * Charlotte only (A3). Both customers exist already (the reseller onboarded them long ago), so they
 * are referenced, not owned.
 *
 * Synthesize with `npx cdktf synth` (or `npx tsx examples/partner-access/main.ts`) and apply the
 * stack in cdktf.out/stacks/partner-access with the credentials of a partner user holding tm.admin.
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import {
  AccessMode,
  Customer,
  DimensionsStack,
  DimensionsStackProps,
  TenantAccessRequest,
  type ICustomer,
  type WaitForDecisionOptions,
} from "../../src";

/** The customers of the scenario (they exist before this stack is applied). */
export const TOM_SAWYER = { reference: "TSFP-001", name: "Tom Sawyer Fence Painting Co.", description: "Large account co-managed by Caroline and Charlotte" } as const;
export const HUNDRED_ACRE = { reference: "HAWAG-001", name: "Hundred Acre Wood Art Gallery", description: "Small account managed by Charlotte" } as const;

/** The partner users (Classics, Inc.'s own staff) of the scenario, as an emulator seed. */
export const CAROLINE = "caroline.bingley@classics.example";
export const CHARLOTTE = "charlotte.lucas@classics.example";
export const CLASSICS_PARTNER_USERS = [
  { email: "elizabeth.bennet@classics.example", displayName: "Elizabeth Bennet", roles: ["account.user", "user.admin", "customer.admin", "tm.admin"] },
  { email: CAROLINE, displayName: "Caroline Bingley", roles: ["account.user"] },
  { email: CHARLOTTE, displayName: "Charlotte Lucas", roles: ["account.user"] },
  // Not in any request: after a grant, denied "by any method" (A6), legacy impersonation included.
  { email: "mary.bennet@classics.example", displayName: "Mary Bennet", roles: ["account.user", "customer.admin"] },
] as const;

export const SUPPORT_ACCESS = "SupportAccess";

export interface PartnerAccessStackProps extends Partial<DimensionsStackProps> {
  /**
   * Names of the requests to declare, each with the scenario's associations. A renewal (A5) or a
   * change without a gap is a second name: declare both, apply, have it granted, drop the first.
   * @default ["SupportAccess"]
   */
  readonly requestNames?: string[];
  /** @default - the apply does not wait for the customers' decisions */
  readonly waitForDecision?: WaitForDecisionOptions;
}

export class PartnerAccessStack extends DimensionsStack {
  public readonly tomSawyer: ICustomer;
  public readonly hundredAcre: ICustomer;
  public readonly requests: TenantAccessRequest[];

  constructor(scope: Construct, id: string, props: PartnerAccessStackProps = {}) {
    const { requestNames, waitForDecision, ...stackProps } = props;
    // No customer is created and access requests cost nothing: no charges to accept (C6).
    super(scope, id, { acceptCharges: false, region: "eu", ...stackProps });

    this.tomSawyer = Customer.fromReference(this, "tom-sawyer", TOM_SAWYER.reference);
    this.hundredAcre = Customer.fromReference(this, "hundred-acre", HUNDRED_ACRE.reference);

    this.requests = (requestNames ?? [SUPPORT_ACCESS]).map(
      (name) =>
        new TenantAccessRequest(this, name, {
          name, // "SupportAccess": letters and digits only (A2); the customer never sees it
          // A2: the customer sees this message, never the request's name nor the users it names.
          message:
            "Caroline Bingley and Charlotte Lucas, your account managers at Classics, Inc., " +
            "need access to your tenant to help with your support cases.",
          associations: [
            { partnerUsers: [CAROLINE], customers: [this.tomSawyer], mode: AccessMode.SUPPORT },
            { partnerUsers: [CHARLOTTE], customers: [this.tomSawyer, this.hundredAcre], mode: AccessMode.SUPPORT },
          ],
          ...(waitForDecision ? { waitForDecision } : {}),
        }),
    );
  }
}

if (require.main === module) {
  const app = new App();
  new PartnerAccessStack(app, "partner-access");
  app.synth();
}
