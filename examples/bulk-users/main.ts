/**
 * Bulk users from a CSV file (H6): the customer in code, its users in `users.csv` — one row per
 * user, one TRUE/FALSE column per role or bundle. Reordering rows changes nothing (each user's
 * Terraform address derives from its e-mail); removing a row releases that user on the next apply.
 *
 * Synthesize with `npx tsx examples/bulk-users/main.ts` (writes cdktf.out/stacks/bulk-users, with
 * dimensions.licenses.json beside cdk.tf.json), then `npx dimensions licenses`.
 */
import * as path from "node:path";
import { App } from "cdktf";
import { Construct } from "constructs";
import { Customer, CustomerUsersFromCsv, DimensionsStack, Role, RoleBundle } from "../../src";
// RoleBundle is not re-exported from the package index yet (another change of issue 4 owns it).

export interface BulkUsersStackProps {
  /** @default - users.csv beside this file */
  readonly csvFile?: string;
}

export class BulkUsersStack extends DimensionsStack {
  public readonly users: CustomerUsersFromCsv;

  constructor(scope: Construct, id: string, props: BulkUsersStackProps = {}) {
    // C6: supervisor levels are licensed; opting in to charges is a visible decision.
    super(scope, id, { acceptCharges: true, region: "eu" });

    const acme = new Customer(this, "acme", {
      name: "Acme Corporation",
      description: "Acme contact centre, Paris and Lyon",
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

    // A bundle of our own, usable as the column `bundle:team-lead`.
    const teamLead = RoleBundle.of("team-lead", [RoleBundle.REPORT_SUPERVISOR, Role.SILENT_MONITOR, Role.SUPERVISOR_AGENT_CONTROL]);

    this.users = new CustomerUsersFromCsv(this, "users", {
      customer: acme,
      file: props.csvFile ?? path.join(__dirname, "users.csv"),
      bundles: [teamLead],
    });
  }
}

if (require.main === module) {
  const app = new App();
  new BulkUsersStack(app, "bulk-users");
  app.synth();
}
