import { Construct, type IConstruct } from "constructs";
import type { CustomerDesired } from "../contracts/handler";
import type { TerraformResource } from "../framework";
import { checkCustomerFields, checkReference } from "../validation/props";
import { DimensionsError, finding } from "../validation/rules";
import { DimensionsStack } from "./dimensions-stack";
import { attachState, CUSTOMER_STATE, customerStateOf, stackStateOf, type CustomerState } from "./private/internals";
import { tenantPayload } from "./private/payloads";
import { deferFindings } from "./private/deferred";

/** What happens to the customer when its construct leaves the code, or on `terraform destroy` (C5). */
export enum CustomerRemovalPolicy {
  /** Leave the customer as it is in Dimensions (the safe default). */
  RETAIN = "retain",
  /** Disable the customer (enabled = false); its users and data stay. */
  DISABLE = "disable",
  /** Delete the customer: the platform deactivates it and flags it for deletion. Destructive. */
  DELETE = "delete",
}

/** Connection to the customer's Kazoo PBX (C1, C3). */
export interface PbxConnectionProps {
  /** REST endpoint of the PBX, e.g. "https://pbx.acme.example:8443". */
  readonly hostRest: string;
  /** WebSocket endpoint of the PBX, e.g. "wss://pbx.acme.example:5065". */
  readonly hostWebsocket: string;
  /** Kazoo account id. */
  readonly accountId: string;
  /**
   * NAME of the environment variable that holds the Kazoo API key where terraform runs (C4). The
   * key itself never enters the configuration or the state.
   */
  readonly apiKeyEnv: string;
  /** @default - the platform's default (sub-accounts are not monitored) */
  readonly monitorSubAccounts?: boolean;
}

export interface CustomerProps {
  /** Display name, 1–100 characters (C1). */
  readonly name: string;
  /** 1–200 characters (C1). */
  readonly description: string;
  /**
   * The reseller's own unique identifier of the customer (C2): the natural key. An existing
   * customer with this reference is adopted, never duplicated. 1–200 characters, a literal.
   */
  readonly reference: string;
  /** PBX connection; creating the customer imports every PBX user (C3). */
  readonly pbx: PbxConnectionProps;
  /** @default - the platform's default timezone; otherwise an IANA zone such as "Europe/Paris" */
  readonly timezone?: string;
  /** @default - no country; otherwise an ISO 3166 alpha-2 or alpha-3 code */
  readonly countryCode?: string;
  /** @default true - the customer is enabled */
  readonly enabled?: boolean;
  /** @default - the platform's default (off): ACD agents are not synchronised from the PBX (U12) */
  readonly syncAcdAgentWithPbx?: boolean;
  /** @default - the platform's default for new-user e-mails */
  readonly sendNewUserEmail?: boolean;
  /** @default - the platform's default for Connect welcome e-mails */
  readonly sendConnectWelcomeEmail?: boolean;
  /**
   * @default CustomerRemovalPolicy.RETAIN - removing the construct or destroying the stack leaves
   * the customer in Dimensions; DELETE must be asked for explicitly (C5)
   */
  readonly removalPolicy?: CustomerRemovalPolicy;
  /**
   * H8: the code is the whole truth about who holds which role in this customer. A user the code
   * does not declare loses every role the app can remove at the next apply (server-synchronised
   * and read-only roles stay, and such a user is never deleted). `dimensions drift` reports them.
   * @default false - users the code does not declare are left alone (the customer's own admins may
   * add users in the portal)
   */
  readonly authoritativeUsers?: boolean;
}

/** A Dimensions customer: one the app owns (`new Customer`) or one it only references. */
export interface ICustomer extends IConstruct {
  /** The customer's reference (C2). */
  readonly reference: string;
  /** Whether the app declares (creates, updates, removes) the customer itself. */
  readonly owned: boolean;
}

function newCustomerState(construct: IConstruct, owned: boolean, reference: string, extra: Partial<CustomerState> = {}): CustomerState {
  const stack = stackStateOf(DimensionsStack.of(construct));
  if (!stack) throw new Error("internal: DimensionsStack without state");
  return { construct, stack, owned, reference, declaredUsers: [], referencedUsers: new Map(), assignments: [], ...extra };
}

/** The state behind any ICustomer of this library; a coded error for foreign implementations. */
export function customerState(customer: ICustomer, usedBy: string): CustomerState {
  const state = customerStateOf(customer);
  if (!state) {
    throw new DimensionsError(
      finding("CrossStackReference", usedBy, `customer "${customer?.node?.path ?? String(customer)}" is not a Customer of this library`, "pass a Customer or the result of Customer.fromReference"),
    );
  }
  return state;
}

/**
 * A customer the app does not own (created elsewhere, or declared by another app). Its tenant
 * resource (`<id>/Default`) applies only the users the code names for it (RoleAssignments and
 * CustomerUsers); the customer itself is never created, changed or released. When it leaves the
 * code, the stack's inventory takes back what the app granted.
 */
class ReferencedCustomer extends Construct implements ICustomer {
  public readonly owned = false;
  /** The tenant resource applying this customer's users. */
  public readonly resource: TerraformResource;

  constructor(
    scope: Construct,
    id: string,
    public readonly reference: string,
  ) {
    super(scope, id);
    // Reported at synth with every other finding (private/deferred).
    deferFindings(this, checkReference(this.node.path, reference));
    const state = newCustomerState(this, false, typeof reference === "string" ? reference : String(reference ?? ""));
    attachState(this, CUSTOMER_STATE, state);
    this.resource = DimensionsStack.of(this).createHandlerResource(this, "Default", () => tenantPayload(state));
    state.resource = this.resource;
  }

  public get fqn(): string {
    return this.resource.fqn;
  }
}

/**
 * A Dimensions customer tenant, owned by this app: created (or adopted by reference, C2) on apply,
 * updated to the declared state, and released on removal according to `removalPolicy` (C5).
 *
 * Terraform resource (construct ids are Terraform addresses — keep them stable): `<id>/Default`
 * (`terraform_data.<id>` when declared directly in the stack), the TENANT resource. Its
 * `triggers_replace` holds the customer's settings and every user the code declares for it, as
 * JSON text (`t = jsonencode({ customer = …, users = { "<e-mail>" = "<roles> | name=…" } })`), so
 * a plan names exactly the users gained, lost or changed and hides the rest.
 *
 * Replacement: any change of a prop or of its users replaces the resource; the handler turns
 * that into an update of the same customer (found by reference) and of exactly the users that
 * changed — nothing the new code keeps is removed, even for a moment. Changing `reference` is a
 * different customer: the old one is released by its removal policy (RETAIN: left as is) and the
 * new one created or adopted. A change of `removalPolicy` alone reads and writes no user.
 */
export class Customer extends Construct implements ICustomer {
  /** A customer the app does not own, found by its reference at apply time. No H1/U4 requirement. */
  public static fromReference(scope: Construct, id: string, reference: string): ICustomer {
    return new ReferencedCustomer(scope, id, reference);
  }

  /** Brand check for owned customers. */
  public static isCustomer(x: unknown): x is Customer {
    return customerStateOf(x)?.owned === true;
  }

  public readonly reference: string;
  public readonly owned = true;
  public readonly removalPolicy: CustomerRemovalPolicy;
  /** The customer's tenant resource (the customer and its users). */
  public readonly resource: TerraformResource;
  /** H8: whether the code is the whole truth about the customer's users. */
  public readonly authoritativeUsers: boolean;

  constructor(scope: Construct, id: string, props: CustomerProps) {
    super(scope, id);
    const stack = DimensionsStack.of(this);
    // Every problem of the props is reported at synth (private/deferred), with the app's others;
    // the customer is still built from what it was given, so its users are checked too.
    const findings = checkCustomerFields(this.node.path, props ?? {});
    props = props ?? ({} as CustomerProps);
    let removalPolicy = props.removalPolicy ?? CustomerRemovalPolicy.RETAIN;
    if (!Object.values(CustomerRemovalPolicy).includes(removalPolicy)) {
      findings.push(finding("CustomerFieldInvalid", this.node.path, `removalPolicy "${String(removalPolicy)}" is not a CustomerRemovalPolicy`, "use CustomerRemovalPolicy.RETAIN, DISABLE or DELETE"));
      removalPolicy = CustomerRemovalPolicy.RETAIN;
    }
    deferFindings(this, findings);
    const reference = typeof props.reference === "string" ? props.reference : String(props.reference ?? "");
    this.reference = reference;
    this.removalPolicy = removalPolicy;

    const pbx: Partial<PbxConnectionProps> = props.pbx ?? {};
    const desired: CustomerDesired = {
      reference,
      name: props.name,
      description: props.description,
      enabled: props.enabled ?? true,
      ...optional("timezone", props.timezone),
      ...optional("countryCode", props.countryCode),
      ...optional("syncAcdAgentWithPbx", props.syncAcdAgentWithPbx),
      ...optional("sendNewUserEmail", props.sendNewUserEmail),
      ...optional("sendConnectWelcomeEmail", props.sendConnectWelcomeEmail),
      pbx: {
        hostRest: pbx.hostRest as string,
        hostWebsocket: pbx.hostWebsocket as string,
        accountId: pbx.accountId as string,
        apiKeyEnv: pbx.apiKeyEnv as string,
        ...optional("monitorSubAccounts", pbx.monitorSubAccounts),
      },
    };
    this.authoritativeUsers = props.authoritativeUsers ?? false;
    const state = newCustomerState(this, true, reference, { desired, removalPolicy, authoritative: this.authoritativeUsers });
    attachState(this, CUSTOMER_STATE, state);
    this.resource = stack.createHandlerResource(this, "Default", () => tenantPayload(state));
    state.resource = this.resource;
  }

  /** The customer resource's address, so other resources can `dependsOn` the customer. */
  public get fqn(): string {
    return this.resource.fqn;
  }
}

/** `{ [key]: value }` when the value is set, `{}` otherwise: absent optionals stay absent in t. */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
