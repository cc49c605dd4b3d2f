/**
 * A team's app (README "Working as a team"): a rollout of customers split into stacks by region and
 * by shard (RolloutStacks), each stack with its Terraform state in PostgreSQL, in a schema of its
 * own (PostgresBackend: Terraform reads the connection from PG_CONN_STR where it runs; none of it
 * is written to cdk.tf.json). Copied to the root of the app's repository with its CI —
 * .github/workflows/dimensions.yml and ci/*.sh beside this file — every pull request gets a plan
 * summary per stack, a merge applies exactly the plans reviewed, and drift is looked for every
 * morning.
 *
 * Synthesize with `npx tsx examples/gitops/main.ts` (writes cdktf.out/stacks/customers-eu-0 and
 * customers-eu-1), then `npx dimensions stacks`.
 */
import { App } from "cdktf";
import { Customer, CustomerUser, PostgresBackend, Role, RolloutStacks, type DimensionsRegion } from "../../src";

export interface RolloutUser {
  readonly email: string;
  readonly displayName: string;
}

export interface RolloutCustomer {
  readonly reference: string;
  readonly name: string;
  readonly region: DimensionsRegion;
  readonly timezone: string;
  readonly countryCode: string;
  readonly pbxAccountId: string;
  /** The customer's primary admin (H1). */
  readonly admin: RolloutUser;
  /** Reports supervisors (a licensed role: C6/U9). */
  readonly supervisors: readonly RolloutUser[];
}

/** The reseller's Kazoo cluster key, read at apply time only (C4): one variable for every customer here. */
export const KAZOO_API_KEY_ENV = "KAZOO_API_KEY";

export const CUSTOMERS: readonly RolloutCustomer[] = [
  {
    reference: "ACME-001",
    name: "Acme Corporation",
    region: "eu",
    timezone: "Europe/Paris",
    countryCode: "FR",
    pbxAccountId: "acme-kazoo-0001",
    admin: { email: "ana.martin@acme.example", displayName: "Ana Martin" },
    supervisors: [{ email: "bruno.petit@acme.example", displayName: "Bruno Petit" }],
  },
  {
    reference: "GLOBEX-002",
    name: "Globex",
    region: "eu",
    timezone: "Europe/Berlin",
    countryCode: "DE",
    pbxAccountId: "globex-kazoo-0002",
    admin: { email: "grace.hopper@globex.example", displayName: "Grace Hopper" },
    supervisors: [{ email: "hank.scorpio@globex.example", displayName: "Hank Scorpio" }],
  },
  {
    reference: "INITECH-003",
    name: "Initech",
    region: "eu",
    timezone: "Europe/Madrid",
    countryCode: "ES",
    pbxAccountId: "initech-kazoo-0003",
    admin: { email: "peter.gibbons@initech.example", displayName: "Peter Gibbons" },
    supervisors: [],
  },
  {
    reference: "UMBRELLA-004",
    name: "Umbrella",
    region: "eu",
    timezone: "Europe/Rome",
    countryCode: "IT",
    pbxAccountId: "umbrella-kazoo-0004",
    admin: { email: "alice.abernathy@umbrella.example", displayName: "Alice Abernathy" },
    supervisors: [{ email: "carlos.oliveira@umbrella.example", displayName: "Carlos Oliveira" }],
  },
];

export function buildTeamApp(app: App, customers: readonly RolloutCustomer[] = CUSTOMERS): RolloutStacks {
  // A customer's stack follows from its reference and region alone: choose `shards` once.
  const rollout = new RolloutStacks(app, {
    prefix: "customers",
    shards: 2,
    acceptCharges: true, // C6: creating customers and licensed roles costs money — say so in code
    configure: (stack) => new PostgresBackend(stack), // state in schema tfstate_<stack id>, from PG_CONN_STR
  });
  for (const c of customers) {
    const stack = rollout.stackFor(c.reference, c.region);
    const id = c.reference.toLowerCase();
    const customer = new Customer(stack, id, {
      name: c.name,
      description: `${c.name} contact centre`,
      reference: c.reference,
      timezone: c.timezone,
      countryCode: c.countryCode,
      pbx: { hostRest: `https://pbx.${id}.example:8443`, hostWebsocket: `wss://pbx.${id}.example:5065`, accountId: c.pbxAccountId, apiKeyEnv: KAZOO_API_KEY_ENV },
    });
    new CustomerUser(stack, `${id}-admin`, { customer, ...c.admin, roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR], primaryAdmin: true });
    for (const s of c.supervisors) new CustomerUser(stack, `${id}-${s.email.split("@")[0]}`, { customer, ...s, roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR] });
  }
  return rollout;
}

if (require.main === module) {
  const app = new App();
  buildTeamApp(app);
  app.synth();
}
