/** examples/bulk-users synthesizes: the CSV of the example is valid and every row is a user (H6). */
import * as fs from "node:fs";
import * as path from "node:path";
import { LICENSES_FILE, type LicenseReport } from "../../src";
import { BulkUsersStack } from "../../examples/bulk-users/main";
import { newApp, useFakeHandlerBundle } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

test("H6: GIVEN examples/bulk-users WHEN synthesized THEN every row of users.csv is a user and the licence report counts them", () => {
  const app = newApp();
  const stack = new BulkUsersStack(app, "bulk-users");
  app.synth();
  expect(stack.users.users.map((u) => u.email)).toEqual([
    "ana.martin@acme.example",
    "bruno.petit@acme.example",
    "carla.rossi@acme.example",
    "dev.patel@acme.example",
    "emma.leroy@acme.example",
  ]);
  const report = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "bulk-users", LICENSES_FILE), "utf8")) as LicenseReport;
  expect(report.customers[0].roles.map((r) => `${r.name}: ${r.count}`)).toEqual(["Reports Supervisor: 2", "Analytics Supervisor: 1", "Contact Centre Supervisor: 1"]);
});
