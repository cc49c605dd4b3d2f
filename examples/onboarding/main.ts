/**
 * Onboarding a customer: the customer with its Kazoo PBX (whose users the platform imports, C3),
 * a primary admin (H1), supervisors at different levels (U8), ACD agents and a receptionist adopted
 * from the PBX import, and one RoleAssignment that grants live-monitoring rights across several
 * users — including a PBX user the app does not otherwise declare.
 *
 * Run it with `npx dimensions demo` (embedded emulator + real terraform; `npm start` in the
 * repository), or synthesize it with `npx cdktf synth` and apply the stack in
 * cdktf.out/stacks/onboarding with terraform.
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import {
  Customer,
  CustomerRemovalPolicy,
  CustomerUser,
  DimensionsStack,
  DimensionsStackProps,
  Role,
  RoleAssignment,
} from "../../src";

/** The PBX account of the example customer, and the users the emulator's PBX directory holds. */
export const ACME_PBX_ACCOUNT_ID = "acme-kazoo-0001";
export const ACME_PBX_USERS = [
  { email: "reception@acme.example", displayName: "Reception Desk" },
  { email: "agent.one@acme.example", displayName: "Agent One", acdAgent: true },
  { email: "agent.two@acme.example", displayName: "Agent Two", acdAgent: true },
  { email: "team.lead@acme.example", displayName: "Team Lead" },
  { email: "warehouse@acme.example", displayName: "Warehouse Phone" },
] as const;

/** The variable that holds the PBX API key at apply time (C4: never in code or state). */
export const ACME_PBX_API_KEY_ENV = "ACME_KAZOO_API_KEY";

export interface OnboardingStackProps extends Partial<DimensionsStackProps> {
  /** @default CustomerRemovalPolicy.RETAIN - destroying the stack leaves the customer in place */
  readonly customerRemovalPolicy?: CustomerRemovalPolicy;
}

export class OnboardingStack extends DimensionsStack {
  public readonly acme: Customer;

  constructor(scope: Construct, id: string, props: OnboardingStackProps = {}) {
    super(scope, id, {
      // C6: creating a customer and granting supervisor licences costs money; opting in is
      // deliberate and shows up in code review.
      acceptCharges: true,
      region: "eu",
      ...props,
    });

    this.acme = new Customer(this, "acme", {
      name: "Acme Corporation",
      description: "Acme contact centre, Paris and Lyon",
      reference: "ACME-001",
      timezone: "Europe/Paris",
      countryCode: "FR",
      syncAcdAgentWithPbx: true,
      pbx: {
        hostRest: "https://pbx.acme.example:8443",
        hostWebsocket: "wss://pbx.acme.example:5065",
        accountId: ACME_PBX_ACCOUNT_ID,
        apiKeyEnv: ACME_PBX_API_KEY_ENV,
      },
      removalPolicy: props.customerRemovalPolicy ?? CustomerRemovalPolicy.RETAIN,
    });

    // H1: the primary admin; every other user change of the customer waits for its grants (U5).
    new CustomerUser(this, "ana", {
      customer: this.acme,
      email: "ana.martin@acme.example",
      displayName: "Ana Martin",
      roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR],
      primaryAdmin: true,
    });

    const bruno = new CustomerUser(this, "bruno", {
      customer: this.acme,
      email: "bruno.petit@acme.example",
      displayName: "Bruno Petit",
      roles: [Role.WEBSITE_ACCESS, Role.ANALYTICS_SUPERVISOR],
    });

    const carla = new CustomerUser(this, "carla", {
      customer: this.acme,
      email: "carla.rossi@acme.example",
      displayName: "Carla Rossi",
      roles: [Role.WEBSITE_ACCESS, Role.CONTACT_CENTRE_SUPERVISOR, Role.RECORDING_PLAYBACK],
    });

    // PBX-imported users, adopted by e-mail: never deleted by the app, only their roles are managed.
    for (const agent of ["agent.one@acme.example", "agent.two@acme.example"]) {
      CustomerUser.adopt(this, agent.split("@")[0].replace(".", "-"), {
        customer: this.acme,
        email: agent,
        roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER, Role.AGENT_USER_ADD_ON],
      });
    }
    CustomerUser.adopt(this, "reception", {
      customer: this.acme,
      email: "reception@acme.example",
      roles: [Role.WEBSITE_ACCESS, Role.DEVICE_ACCESS],
    });

    // Live monitoring for both supervisors and the team lead (an imported user the app does not
    // otherwise manage: only these roles are added to it, nothing else it holds is touched).
    new RoleAssignment(this, "live-monitoring", {
      customer: this.acme,
      roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR, Role.SUPERVISOR_AGENT_CONTROL],
      users: [bruno, carla, "team.lead@acme.example"],
    });
  }
}

if (require.main === module) {
  const app = new App();
  new OnboardingStack(app, "onboarding");
  app.synth();
}
