/**
 * examples/export/main.ts is what `dimensions export` writes for the README's Acme tenant (its
 * "Bringing an existing tenant under code" section shows it): generated from this snapshot by the
 * export's own generator (`npm run docs` rewrites it; test/cli/export-example.test.ts fails when it
 * is stale and synthesizes it). Only its import names this repository's sources instead of the package.
 */
import { planExport } from "../src/cli/export/plan";
import type { SnapshotCustomer } from "../src/cli/export/read";
import { renderApp } from "../src/cli/export/render";

export const EXPORT_EXAMPLE_FILE = "examples/export/main.ts";

/** The tenant as `dimensions export --customer ACME-001` reads it. */
export const ACME_TENANT: SnapshotCustomer = {
  reference: "ACME-001",
  name: "Acme Corporation",
  description: "Acme contact centre",
  enabled: true,
  timezone: "Europe/Paris",
  countryCode: "FR",
  syncAcdAgentWithPbx: false,
  sendNewUserEmail: true,
  sendConnectWelcomeEmail: true,
  pbx: { hostRest: "https://pbx.acme.example:8443", hostWebsocket: "wss://pbx.acme.example:5065", accountId: "acme-kazoo-0001" },
  // The API (here the emulator) reports each user's PBX devices (`devices`, ours): the reception's
  // softphone, and none for the others.
  users: [
    { email: "ana.martin@acme.example", displayName: "Ana Martin", roles: ["customer.user", "customer.user.supervisorl1", "user.admin"], devices: [] },
    { email: "bruno.petit@acme.example", displayName: "Bruno Petit", roles: ["customer.user", "customer.user.supervisorl2", "recording.viewer"], devices: [] },
    { email: "carla.rossi@acme.example", displayName: "Carla Rossi", roles: ["customer.user", "customer.user.supervisorl4", "pbx.agentcontrol", "pbx.silentmonitor"], devices: [] },
    {
      email: "reception@acme.example",
      displayName: "Reception Desk",
      roles: ["customer.user", "customer.user.pbx", "customer.user.pbx.realtime", "customer.user.uc", "customer.user.uc.softphone"],
      devices: [{ device: "b5f1c2d3e4a5968778695a4b3c2d1e0f", clientType: "webrtc" }],
    },
  ],
};

export function renderExportExample(): string {
  const plan = planExport({ customers: [ACME_TENANT] });
  const main = renderApp(plan, {
    command: "dimensions export --customer ACME-001 --region eu",
    readAt: "2026-01-05T10:00:00.000Z",
    source: "https://api.eu.myreports.cloud",
    region: "eu",
    versions: { self: "^0.1.0", cdktf: "^0.21.0", constructs: "^10.4.2", cdktfCli: "^0.21.0", tsx: "^4.0.0", typescript: "~5.9.0", typesNode: "^20.0.0" },
  }).get("main.ts")!;
  return main.replace('from "cdktf-dimensions";', 'from "../../src"; // "cdktf-dimensions" in your app');
}
