/**
 * Rules, acknowledgements and role bundles: a UK customer whose users are declared with bundles and
 * a template user, and two findings the team has reviewed and acknowledged.
 *
 * Synthesize it with `npx tsx examples/rules/main.ts`: `cdktf.out/stacks/uk-customers/` then holds
 * `cdk.tf.json`, the manifest and `dimensions.findings.json`, which lists both acknowledged findings
 * with their reasons.
 */
import { App } from "cdktf";
import {
  Acknowledgements,
  Customer,
  CustomerUser,
  DimensionsStack,
  Role,
  RoleAssignment,
  RoleBundle,
} from "../../src";

export function buildRulesExample(app: App): DimensionsStack {
  // --- stack
  const stack = new DimensionsStack(app, "uk-customers", { region: "uk", acceptCharges: true });

  const globex = new Customer(stack, "globex", {
    name: "Globex UK",
    description: "Globex contact centre, Manchester",
    reference: "GLOBEX-UK-001",
    timezone: "Europe/London",
    countryCode: "GB",
    pbx: {
      hostRest: "https://pbx.globex.example:8443",
      hostWebsocket: "wss://pbx.globex.example:5065",
      accountId: "globex-kazoo-0001",
      apiKeyEnv: "GLOBEX_KAZOO_API_KEY",
    },
  });
  // --- end stack

  // --- bundles
  // Built-in bundles are expanded where they are used: the user holds the roles, not the bundle.
  new CustomerUser(stack, "grace", {
    customer: globex,
    email: "grace.hopper@globex.example",
    displayName: "Grace Hopper",
    roles: [RoleBundle.ADMINISTRATOR_WITH_REPORTS],
    primaryAdmin: true,
  });

  // A bundle of your own: roles and other bundles. In the UK, customer.user.uc.essential stands in
  // for customer.user.pbx (U10), and meets the ACD add-on's prerequisite.
  const ukAgent = RoleBundle.of("uk-agent", [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER_UK, Role.AGENT_USER_ADD_ON], "a UK call-centre agent");
  const teamLead = RoleBundle.of("team-lead", [RoleBundle.LIVE_MONITORING, Role.CONTACT_CENTRE_SUPERVISOR], "supervises a team live");
  // --- end bundles

  // --- template
  // H2: the first team lead is the template; the others copy whatever it will hold (its own roles,
  // its bundles' and its RoleAssignments'), resolved at synth.
  const lead = CustomerUser.adopt(stack, "lead-north", { customer: globex, email: "lead.north@globex.example", roles: [teamLead] });
  CustomerUser.adopt(stack, "lead-south", { customer: globex, email: "lead.south@globex.example", roles: [], rolesFrom: lead });
  new RoleAssignment(stack, "recordings", { customer: globex, roles: [Role.RECORDING_PLAYBACK], users: [lead] });
  // --- end template

  // An IT-desk admin: manages users, never runs reports (U6 would warn).
  new CustomerUser(stack, "it-desk", { customer: globex, email: "it.desk@globex.example", displayName: "IT Desk", roles: [RoleBundle.ADMINISTRATOR] });

  for (const agent of ["agent.one", "agent.two"]) {
    CustomerUser.adopt(stack, agent.replace(".", "-"), { customer: globex, email: `${agent}@globex.example`, roles: [ukAgent] });
  }

  // --- acknowledgements
  // U11: a supervisor level 4 makes the server add the licensed Real-Time Add-On to every PBX
  // user. Reviewed with the customer: acknowledged on the customer, for this contract year.
  Acknowledgements.of(globex).add({
    code: "AutomaticChargeableRoles",
    reason: "Globex ordered real-time statistics for every agent (contract GX-2025-07)",
    expires: "2027-06-30",
  });

  // U6 for every stack of the app: an acknowledgement on the App covers every construct under it.
  Acknowledgements.of(app).add({ rule: "U6", reason: "IT-desk admins manage users only; reports are for supervisors" });
  // --- end acknowledgements

  return stack;
}

if (require.main === module) {
  const app = new App();
  buildRulesExample(app);
  app.synth();
}
