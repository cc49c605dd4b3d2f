/**
 * The smallest working stack, as the README shows it: one customer with its PBX and its primary
 * admin. (The README's code blocks are checked against the files in examples/.)
 */
import { App } from "cdktf";
import { Customer, CustomerUser, DimensionsStack, Role } from "../../src"; // "cdktf-dimensions" in your app

const app = new App();
const stack = new DimensionsStack(app, "customers", {
  region: "eu",
  acceptCharges: true, // C6: creating customers and licensed roles costs money — say so in code
});

const acme = new Customer(stack, "acme", {
  name: "Acme Corporation",
  description: "Acme contact centre",
  reference: "ACME-001", // the natural key: an existing customer with this reference is adopted
  timezone: "Europe/Paris",
  countryCode: "FR",
  pbx: {
    hostRest: "https://pbx.acme.example:8443",
    hostWebsocket: "wss://pbx.acme.example:5065",
    accountId: "acme-kazoo-0001",
    apiKeyEnv: "ACME_KAZOO_API_KEY", // the NAME of a variable, read at apply time (C4)
  },
});

new CustomerUser(stack, "ana", {
  customer: acme,
  email: "ana.martin@acme.example",
  displayName: "Ana Martin",
  roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR],
  primaryAdmin: true, // H1
});

if (require.main === module) app.synth();

export { app };
