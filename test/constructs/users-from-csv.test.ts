/**
 * H6 through the construct: CustomerUsersFromCsv reads the file; the synth fails with ONE coded
 * error listing every bad row (printed once), and otherwise the construct declares one CustomerUser
 * per row with an id derived from the e-mail (a Terraform address).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Customer, CustomerUser, CustomerUsersFromCsv, Role, RoleAssignment, UserRemovalPolicy } from "../../src";
import { RoleBundle } from "../../src/constructs/role-bundle";
import { customerProps, newApp, newStack, synthErrors, synthFailure, synthJson, useFakeHandlerBundle, userEntryIn } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

const HEADER = "email,displayName,primaryAdmin,Website Access,Manage Users,Reports Supervisor";

function csvFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-csv-")), "users.csv");
  fs.writeFileSync(file, text);
  return file;
}

test("H6: GIVEN a compliant CSV with the primary admin WHEN synthesized THEN each row is a CustomerUser keyed by its e-mail", () => {
  const app = newApp();
  const stack = newStack(app);
  const customer = new Customer(stack, "acme", customerProps());
  const file = csvFile(`${HEADER}\nAna.Martin@acme.test,Ana Martin,TRUE,TRUE,TRUE,TRUE\nbob@acme.test,Bob,,TRUE,,TRUE\n`);
  const csv = new CustomerUsersFromCsv(stack, "users", { customer, file });

  const json = synthJson(app, stack);
  expect(csv.users.map((u) => u.node.path)).toEqual(["stack/users/ana.martin@acme.test", "stack/users/bob@acme.test"]);
  expect(csv.userFor("ANA.MARTIN@acme.test")?.isPrimaryAdmin).toBe(true);
  const bob = userEntryIn(json, "bob@acme.test");
  expect(bob.address).toBe("terraform_data.acme");
  // A created user with the default removal policy (delete): no flags rendered.
  expect(bob.entry).toEqual({ displayName: "Bob", roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR] });
});

test("H6: GIVEN the same rows in another order WHEN synthesized THEN the Terraform JSON is byte-identical", () => {
  const rows = ["ana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE", "bob@acme.test,Bob,,TRUE,,TRUE", "carla@acme.test,Carla,,TRUE,,"];
  const synthOf = (ordered: string[]) => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUsersFromCsv(stack, "users", { customer, file: csvFile([HEADER, ...ordered].join("\n")) });
    app.synth();
    const dir = path.join(app.outdir, "stacks", "stack");
    // The asset hash is the same bundle either way; compare everything the rows could change.
    return [fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8"), fs.readFileSync(path.join(dir, "dimensions.manifest.json"), "utf8")];
  };
  expect(synthOf([rows[2], rows[0], rows[1]])).toEqual(synthOf(rows));
});

test("H6: GIVEN adopt and a removal policy WHEN synthesized THEN every row is an adopted user with that policy", () => {
  const app = newApp();
  const stack = newStack(app);
  const customer = Customer.fromReference(stack, "acme", "ACME-001");
  const file = csvFile("email,displayName,Website Access,bundle:live-monitoring\nagent@acme.test,,TRUE,TRUE\n");
  const csv = new CustomerUsersFromCsv(stack, "agents", { customer, file, adopt: true, removalPolicy: UserRemovalPolicy.RETAIN });
  const json = synthJson(app, stack);
  expect(csv.users[0].adopted).toBe(true);
  const agent = userEntryIn(json, "agent@acme.test").entry;
  expect(agent).not.toHaveProperty("displayName");
  expect(agent).toMatchObject({ roles: [Role.WEBSITE_ACCESS, Role.SUPERVISOR_AGENT_CONTROL, Role.SILENT_MONITOR].sort(), removal: "retain", origin: "adopted" });
});

test("H6: GIVEN a bundle of the app as a column WHEN synthesized THEN its roles are granted", () => {
  const app = newApp();
  const stack = newStack(app);
  const customer = new Customer(stack, "acme", customerProps());
  const teamLead = RoleBundle.of("team-lead", [RoleBundle.REPORT_SUPERVISOR, Role.SILENT_MONITOR]);
  const file = csvFile("email,displayName,primaryAdmin,bundle:administrator-with-reports,team-lead\nana@acme.test,Ana,TRUE,TRUE,\nbo@acme.test,Bo,,,TRUE\n");
  new CustomerUsersFromCsv(stack, "users", { customer, file, bundles: [teamLead] });
  const json = synthJson(app, stack);
  expect(userEntryIn(json, "bo@acme.test").entry).toMatchObject({ roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR, Role.SILENT_MONITOR] });
});

test("H6: GIVEN bad rows WHEN synthesized THEN ONE coded error, printed once, lists every problem with file, line and column (and nothing about the admin the file would declare)", () => {
  const stack = newStack();
  const customer = new Customer(stack, "acme", customerProps());
  const file = csvFile(`${HEADER}\nana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE\nbob@acme.test,Bob,,maybe,,\nana@ACME.test,Ana 2,,TRUE,,\ndan@acme.test,Dan,,,,TRUE\n`);
  const csv = new CustomerUsersFromCsv(stack, "users", { customer, file });
  expect(csv.findings.map((f) => `${f.path} ${f.code}`)).toEqual([`${file}:3:4 CsvValueInvalid`, `${file}:4:1 DuplicateUserEmail`, `${file}:5:6 RolePrerequisiteMissing`]);
  // No user of a bad file is declared: nothing half-applied.
  expect(csv.users).toEqual([]);
  expect(stack.node.tryFindChild("users")?.node.children.length ?? 0).toBe(0);

  const failure = synthFailure(stack.node.root as never);
  const [e, ...others] = synthErrors(stack);
  expect(others).toEqual([]);
  expect(e).toMatchObject({ code: "CsvRowsInvalid", rule: "H6", path: "stack/users" });
  expect(e.text).toContain(`3 problem(s) on 3 line(s) of ${file}`);
  expect(failure).toContain(`\n  ${file}:5:6 RolePrerequisiteMissing [U7]: role "customer.user.supervisorl1" of user "dan@acme.test" requires "customer.user"`);
  expect(failure.split(`${file}:3:4 CsvValueInvalid`)).toHaveLength(2);
});

test("H6: GIVEN a mistyped header WHEN synthesized THEN the fix says which header was meant", () => {
  const stack = newStack();
  const customer = new Customer(stack, "acme", customerProps());
  const file = csvFile("emial,displayName,primaryAdmin,bundle:administrater,Reports Supervisr,customer.usr\nana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE\n");
  const csv = new CustomerUsersFromCsv(stack, "users", { customer, file });
  expect(csv.findings.map((f) => `${f.path.slice(file.length)} ${f.code}: ${f.fix.split("?")[0]}?`)).toEqual([
    ':1:1 CsvFileInvalid: did you mean "email"?',
    ':1:4 CsvFileInvalid: did you mean "bundle:administrator"?',
    ':1:5 CsvFileInvalid: did you mean "Reports Supervisor"?',
    ':1:6 UnknownRole: did you mean "customer.user"?',
  ]);
  // The missing email column is the mistyped header's error: not reported once more.
  expect(synthErrors(stack)).toEqual([expect.objectContaining({ code: "CsvRowsInvalid", text: expect.stringContaining("4 problem(s) on 1 line(s)") })]);
});

test("H6: GIVEN a file that does not exist THEN the synth fails naming the path and how it was resolved", () => {
  const stack = newStack();
  const customer = new Customer(stack, "acme", customerProps());
  new CustomerUsersFromCsv(stack, "users", { customer, file: "no/such/users.csv" });
  const [e, ...others] = synthErrors(stack);
  expect(others).toEqual([]);
  expect(e).toMatchObject({ code: "CsvFileInvalid", path: "stack/users" });
  expect(e.text).toContain("ENOENT");
});

test("H6/H1: GIVEN a primary admin in the CSV and another in code WHEN synthesized THEN the customer-wide H1 rule fails app.synth()", () => {
  const app = newApp();
  const stack = newStack(app);
  const customer = new Customer(stack, "acme", customerProps());
  new CustomerUser(stack, "boss", { customer, email: "boss@acme.test", displayName: "Boss", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR], primaryAdmin: true });
  new CustomerUsersFromCsv(stack, "users", { customer, file: csvFile(`${HEADER}\nana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE\n`) });
  const message = synthFailure(app);
  expect(message).toContain("[stack/users/ana@acme.test] MultiplePrimaryAdmins [H1]");
});

test("H6/U1: GIVEN an e-mail in the CSV also declared in code WHEN synthesized THEN DuplicateUserEmail fails app.synth()", () => {
  const app = newApp();
  const stack = newStack(app);
  const customer = new Customer(stack, "acme", customerProps());
  new CustomerUsersFromCsv(stack, "users", { customer, file: csvFile(`${HEADER}\nana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE\nbob@acme.test,Bob,,TRUE,,\n`) });
  new CustomerUser(stack, "bob", { customer, email: "BOB@acme.test", displayName: "Bob", roles: [Role.WEBSITE_ACCESS] });
  expect(synthFailure(app)).toContain("DuplicateUserEmail [U1]");
});

test("H6: GIVEN a RoleAssignment naming a CSV user WHEN synthesized THEN the roles fold into that user's resource", () => {
  const app = newApp();
  const stack = newStack(app);
  const customer = new Customer(stack, "acme", customerProps());
  const csv = new CustomerUsersFromCsv(stack, "users", { customer, file: csvFile(`${HEADER}\nana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE\nbob@acme.test,Bob,,TRUE,,\n`) });
  new RoleAssignment(stack, "monitoring", { customer, roles: [Role.SILENT_MONITOR], users: [csv.userFor("bob@acme.test")!] });
  const json = synthJson(app, stack);
  expect(userEntryIn(json, "bob@acme.test").entry).toMatchObject({ roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR] });
});
