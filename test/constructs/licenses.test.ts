/**
 * U9: every DimensionsStack writes `dimensions.licenses.json` beside its cdk.tf.json: the licensed
 * roles per customer, with counts, users and readable names, deterministic.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Customer, CustomerUser, LICENSES_FILE, Role, RoleAssignment, type LicenseReport } from "../../src";
import { acmeWithAdmin, customerProps, newApp, newStack, stackDir, useFakeHandlerBundle } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

function reportOf(app: ReturnType<typeof newApp>, stack: ReturnType<typeof newStack>): LicenseReport {
  app.synth();
  return JSON.parse(fs.readFileSync(path.join(stackDir(app, stack), LICENSES_FILE), "utf8")) as LicenseReport;
}

function build(app = newApp()) {
  const stack = newStack(app, { region: "eu" });
  const { customer } = acmeWithAdmin(stack); // ana: website access, manage users, reports supervisor
  new CustomerUser(stack, "bob", { customer, email: "Bob@acme.test", displayName: "Bob", roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR, Role.UC_CLIENT] });
  CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER, Role.AGENT_USER_ADD_ON] });
  new CustomerUser(stack, "dora", { customer, email: "dora@acme.test", displayName: "Dora", roles: [Role.WEBSITE_ACCESS] });
  new RoleAssignment(stack, "uc", { customer, roles: [Role.WEBSITE_ACCESS, Role.UC_CLIENT], users: ["lead@acme.test"] });
  const beta = Customer.fromReference(stack, "beta", "BETA-001");
  new CustomerUser(stack, "eve", { customer: beta, email: "eve@beta.test", displayName: "Eve", roles: [Role.WEBSITE_ACCESS, Role.LIVE_ANALYTICS_SUPERVISOR] });
  return { app, stack };
}

test("U9: GIVEN users with licensed roles WHEN synthesized THEN the report counts each licensed role per customer with its name and users", () => {
  const { app, stack } = build();
  const report = reportOf(app, stack);
  expect(report).toMatchObject({ version: 1, stack: "stack", settings: { region: "eu", acceptCharges: true } });
  expect(report.customers.map((c) => c.reference)).toEqual(["ACME-001", "BETA-001"]);
  const acme = report.customers[0];
  expect(acme.owned).toBe(true);
  // Catalogue order: user access types, then supervisors, then clients.
  expect(acme.roles).toEqual([
    { key: Role.ESSENTIAL_USER, name: "Essential User", assignment: "synced", count: 1, users: ["agent@acme.test"] },
    { key: Role.AGENT_USER_ADD_ON, name: "Agent User Add-On", assignment: "auto", count: 1, users: ["agent@acme.test"] },
    { key: Role.REPORTS_SUPERVISOR, name: "Reports Supervisor", assignment: "manual", count: 2, users: ["ana@acme.test", "bob@acme.test"] },
    { key: Role.UC_CLIENT, name: "UC Client", assignment: "manual", count: 2, users: ["bob@acme.test", "lead@acme.test"] },
  ]);
  expect(acme.grants).toBe(6);
});

test("U9: GIVEN managed users without licensed roles THEN they are still listed, with how the app manages them", () => {
  const { app, stack } = build();
  const acme = reportOf(app, stack).customers[0];
  expect(acme.users).toEqual([
    { email: "agent@acme.test", management: "exact", licensed: [Role.AGENT_USER_ADD_ON, Role.ESSENTIAL_USER] },
    { email: "ana@acme.test", management: "exact", licensed: [Role.REPORTS_SUPERVISOR] },
    { email: "bob@acme.test", management: "exact", licensed: [Role.UC_CLIENT, Role.REPORTS_SUPERVISOR].sort() },
    { email: "dora@acme.test", management: "exact", licensed: [] },
    { email: "lead@acme.test", management: "additive", licensed: [Role.UC_CLIENT] },
  ]);
});

test("U9: GIVEN a referenced customer THEN it is reported as not owned", () => {
  const { app, stack } = build();
  expect(reportOf(app, stack).customers[1]).toMatchObject({ reference: "BETA-001", owned: false, grants: 1, roles: [{ key: Role.LIVE_ANALYTICS_SUPERVISOR, count: 1, users: ["eve@beta.test"] }] });
});

test("U9: GIVEN the same app declared twice WHEN synthesized THEN the report is byte-identical", () => {
  const read = () => {
    const { app, stack } = build();
    app.synth();
    return fs.readFileSync(path.join(stackDir(app, stack), LICENSES_FILE), "utf8");
  };
  expect(read()).toBe(read());
});

test("U9: GIVEN a stack without licensed roles THEN the report lists its customer with zero grants", () => {
  const app = newApp();
  const stack = newStack(app);
  const customer = new Customer(stack, "acme", customerProps());
  new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], primaryAdmin: true });
  expect(reportOf(app, stack).customers).toEqual([{ reference: "ACME-001", owned: true, grants: 0, roles: [], users: [{ email: "ana@acme.test", management: "exact", licensed: [] }] }]);
});

test("U9: GIVEN a failing synth THEN no report is written", () => {
  const app = newApp();
  const stack = newStack(app);
  new Customer(stack, "acme", customerProps()); // no admin: U4/H1 fail the synth
  expect(() => app.synth()).toThrow();
  expect(fs.existsSync(path.join(stackDir(app, stack), LICENSES_FILE))).toBe(false);
});
