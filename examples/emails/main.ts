/**
 * Activation and UC welcome e-mails as reviewed code (H5, U14): a user's `sendActivation` or
 * `sendWelcome` is a value whose change sends that e-mail once, at the next apply. The README's
 * "Activation and welcome e-mails" section shows this file.
 *
 * Synthesize it with `npx tsx examples/emails/main.ts`.
 */
import { App } from "cdktf";
import { Customer, CustomerUser, DimensionsStack, Role } from "../../src"; // "cdktf-dimensions" in your app

export function buildEmailsExample(app: App): DimensionsStack {
  const stack = new DimensionsStack(app, "customers", { region: "eu", acceptCharges: true });
  const acme = new Customer(stack, "acme", {
    name: "Acme Corporation",
    description: "Acme contact centre",
    reference: "ACME-001",
    timezone: "Europe/Paris",
    countryCode: "FR",
    pbx: {
      hostRest: "https://pbx.acme.example:8443",
      hostWebsocket: "wss://pbx.acme.example:5065",
      accountId: "acme-kazoo-0001",
      apiKeyEnv: "ACME_KAZOO_API_KEY",
    },
  });
  new CustomerUser(stack, "ana", {
    customer: acme,
    email: "ana.martin@acme.example",
    displayName: "Ana Martin",
    roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR],
    primaryAdmin: true,
  });

  // --- emails
  // H5: Bruno, imported from the PBX, was given portal access and lost his invitation. Changing
  // the value (a date here; a counter works too) sends the activation e-mail once, at the next apply.
  CustomerUser.adopt(stack, "bruno", {
    customer: acme,
    email: "bruno.petit@acme.example",
    roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR],
    sendActivation: "2026-12-01",
  });

  // U14: the UC welcome e-mail links to the UC clients, so only a user holding Role.UC_CLIENT gets it.
  new CustomerUser(stack, "carla", {
    customer: acme,
    email: "carla.rossi@acme.example",
    displayName: "Carla Rossi",
    roles: [Role.WEBSITE_ACCESS, Role.UC_CLIENT],
    sendWelcome: 2,
  });
  // --- end emails

  return stack;
}

if (require.main === module) {
  const app = new App();
  buildEmailsExample(app);
  app.synth();
}
