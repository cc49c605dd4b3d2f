/**
 * terraform with the PostgreSQL credentials store: every handler process (the bundled
 * dist/handler.cjs, run by terraform's provisioners, three tenants at once) takes its token from
 * the one row in DIMENSIONS_CREDENTIALS_URL, never from a credentials file. One refresh grant per
 * expiry for the whole apply; a change after the access token expired makes exactly one more;
 * no secret in terraform's output or state.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { App } from "cdktf";
import { Client } from "pg";
import { Customer, CustomerRemovalPolicy, CustomerUser, DimensionsStack } from "../../src";
import { CREDENTIALS_TABLE } from "../../src/client";
import { describePostgres, startPostgres, type PostgresServer } from "../support/postgres";
import { ADMIN, PBX_KEY_ENV, PBX_KEY_VALUE } from "./fixture-stack";
import { describeE2E, Workspace } from "./harness";

jest.setTimeout(300_000);

const REFERENCES = ["E2E-PG-1", "E2E-PG-2", "E2E-PG-3"];

/** Three customers in one stack: terraform applies their tenants in parallel processes. */
function threeCustomers(app: App, withBruno: boolean): DimensionsStack {
  const stack = new DimensionsStack(app, "e2e", { acceptCharges: true, region: "eu" });
  REFERENCES.forEach((reference, i) => {
    const customer = new Customer(stack, `customer-${i}`, {
      name: `PG Customer ${i}`,
      description: "end-to-end test customer",
      reference,
      timezone: "Europe/London",
      countryCode: "GB",
      pbx: { hostRest: "https://pbx.e2e.test", hostWebsocket: "wss://pbx.e2e.test", accountId: `e2e-pg-${i}`, apiKeyEnv: PBX_KEY_ENV },
      removalPolicy: CustomerRemovalPolicy.DELETE,
    });
    new CustomerUser(stack, `ana-${i}`, { customer, email: `ana${i}@e2e.test`, displayName: "Ana", roles: ADMIN, primaryAdmin: true });
    if (withBruno) new CustomerUser(stack, `bruno-${i}`, { customer, email: `bruno${i}@e2e.test`, displayName: "Bruno", roles: ["customer.user"] });
  });
  return stack;
}

describeE2E("terraform with the PostgreSQL credentials store", () => {
  describePostgres("one row for every handler process", () => {
    let server: PostgresServer;
    let ws: Workspace;
    let db: Client;

    beforeAll(async () => {
      server = await startPostgres();
    }, 60_000);

    afterAll(async () => {
      await server?.stop();
    });

    beforeEach(async () => {
      const url = await server.createDatabase(`e2e_${process.pid}`);
      ws = await Workspace.create("pg-credentials", { [PBX_KEY_ENV]: PBX_KEY_VALUE, DIMENSIONS_CREDENTIALS_URL: url });
      db = new Client({ connectionString: url });
      await db.connect();
    });

    afterEach(async () => {
      await db?.end();
      await ws?.close();
    });

    async function refreshGrants(): Promise<{ granted: number; rejected: number }> {
      const stats = await ws.stats();
      return { granted: stats.tokenGrants.refresh_token ?? 0, rejected: stats.calls["POST /connect/token 400"] ?? 0 };
    }

    test("apply, plan, a change after expiry, destroy: one grant per expiry, no credentials file, no secret in output or state", async () => {
      ws.synth((app) => threeCustomers(app, false));
      const first = await ws.apply();

      expect(await refreshGrants()).toEqual({ granted: 1, rejected: 0 });
      for (const reference of REFERENCES) expect([...(await ws.users(reference)).keys()]).toEqual([`ana${REFERENCES.indexOf(reference)}@e2e.test`]);
      expect((await ws.planHasChanges()).changes).toBe(false);
      expect(fs.existsSync(String(ws.sandbox.env.DIMENSIONS_CREDENTIALS_FILE))).toBe(false);

      // An hour later, for the emulator and for the store's row alike.
      await ws.control("POST", "/clock", { advanceSeconds: 3601 });
      await db.query(`update ${CREDENTIALS_TABLE} set access_expires_at = clock_timestamp() - interval '1 second', access_obtained_at = clock_timestamp() - interval '3601 seconds'`);
      ws.synth((app) => threeCustomers(app, true));
      const second = await ws.apply();

      expect(await refreshGrants()).toEqual({ granted: 2, rejected: 0 });
      for (const [i, reference] of REFERENCES.entries()) expect([...(await ws.users(reference)).keys()].sort()).toEqual([`ana${i}@e2e.test`, `bruno${i}@e2e.test`]);
      const row = (await db.query<{ refresh_token: string; access_token: string; refreshes: string }>(`select refresh_token, access_token, refreshes from ${CREDENTIALS_TABLE}`)).rows;
      expect(row).toEqual([expect.objectContaining({ refreshes: "2" })]);

      const destroy = await ws.destroy();
      for (const reference of REFERENCES) expect(await ws.customer(reference)).toBeUndefined();
      expect(await refreshGrants()).toEqual({ granted: 2, rejected: 0 });

      const state = fs.readFileSync(path.join(ws.dir, "e2e.tfstate"), "utf8");
      const password = decodeURIComponent(new URL(String(ws.sandbox.env.DIMENSIONS_CREDENTIALS_URL)).password);
      const secrets = [password, ws.sandbox.emulator.demo.clientSecret, ws.sandbox.emulator.demo.refreshToken, row[0].refresh_token, row[0].access_token, PBX_KEY_VALUE];
      for (const text of [first.stdout, first.stderr, second.stdout, second.stderr, destroy.stdout, destroy.stderr, state]) {
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
    });
  });
});
