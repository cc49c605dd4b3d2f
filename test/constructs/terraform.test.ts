/**
 * The synthesized JSON against the real tools: terraform 1.11 accepts it (init + validate, offline,
 * terraform_data needs no provider), and the real `cdktf synth` CLI fails on broken rules, printing
 * each finding once, one line each, without a stack trace, and our closing line last.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CustomerUser, Role, RoleAssignment } from "../../src";
import { FORCED_SYNTH_CONSTRUCT_ID, FORCED_SYNTH_LINE } from "../../src/constructs/private/synth";
import { acmeWithAdmin, newApp, newStack, stackDir, useFakeHandlerBundle } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const TERRAFORM = process.env.TERRAFORM_BINARY_NAME ?? "terraform";
const hasTerraform = spawnSync(TERRAFORM, ["version"], { encoding: "utf8" }).status === 0;
// In CI the test always runs (a missing terraform fails it); elsewhere its absence is said loudly.
if (!hasTerraform && !process.env.CI) process.stderr.write(`\n!!! TERRAFORM VALIDATE TEST SKIPPED: no "${TERRAFORM}" binary on PATH\n\n`);
const terraformTest = hasTerraform || process.env.CI ? test : test.skip;

let bundle: string;
beforeAll(() => {
  bundle = useFakeHandlerBundle();
});

function terraformEnv(): NodeJS.ProcessEnv {
  // The image points TF_CLI_CONFIG_FILE at a file that does not exist: use an empty one of our own.
  const rc = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-tfrc-")), "terraformrc");
  fs.writeFileSync(rc, "");
  return { ...process.env, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
}

terraformTest("terraform init + validate accept the synthesized stack (offline)", () => {
  const app = newApp();
  const stack = newStack(app);
  const { customer } = acmeWithAdmin(stack, { name: "Acme ${literal}" });
  const bo = new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
  new RoleAssignment(stack, "live", { customer, roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], users: [bo, "team.lead@acme.test"] });
  app.synth();
  const dir = stackDir(app, stack);
  const env = terraformEnv();
  const init = spawnSync(TERRAFORM, ["init", "-input=false", "-backend=false", "-no-color"], { cwd: dir, env, encoding: "utf8" });
  expect(init.stderr).toBe("");
  expect(init.status).toBe(0);
  const validate = spawnSync(TERRAFORM, ["validate", "-json"], { cwd: dir, env, encoding: "utf8" });
  const result = JSON.parse(validate.stdout) as { valid: boolean; error_count: number; warning_count: number; diagnostics: unknown[] };
  expect(result).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
  expect(validate.status).toBe(0);
}, 60_000);

/** Runs the real `cdktf synth` on a tiny app of these statements (after `stack` and `customer` exist). */
function cdktfSynth(name: string, statements: string[]): { status: number | null; output: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-cli-"));
  // The tiny app lives outside the package: import the library and cdktf by absolute path.
  fs.writeFileSync(
    path.join(dir, "main.ts"),
    [
      `import { App } from ${JSON.stringify(path.join(ROOT, "node_modules", "cdktf"))};`,
      `import { Customer, CustomerUser, CustomerUsersFromCsv, DimensionsStack, Role, RoleAssignment } from ${JSON.stringify(path.join(ROOT, "src"))};`,
      `const app = new App();`,
      `const stack = new DimensionsStack(app, ${JSON.stringify(name)}, { acceptCharges: true });`,
      `const customer = new Customer(stack, "acme", { name: "Acme", description: "d", reference: "ACME-001", pbx: { hostRest: "https://pbx", hostWebsocket: "wss://pbx", accountId: "a", apiKeyEnv: "KEY" } });`,
      ...statements,
      `app.synth();`,
    ].join("\n"),
  );
  fs.writeFileSync(
    path.join(dir, "cdktf.json"),
    JSON.stringify({ language: "typescript", app: `${path.join(ROOT, "node_modules", ".bin", "tsx")} main.ts`, projectId: "rules-test", sendCrashReports: "false", terraformProviders: [], terraformModules: [], context: {} }),
  );
  const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "cdktf"), ["synth"], {
    cwd: dir,
    env: { ...terraformEnv(), DISABLE_VERSION_CHECK: "1", CI: "1", DIMENSIONS_HANDLER_BUNDLE: bundle },
    encoding: "utf8",
    timeout: 110_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}`, dir };
}

test("the real `cdktf synth` CLI exits non-zero and prints every finding once, one line each, without a stack trace, our line last", () => {
  const { status, output, dir } = cdktfSynth("broken", [
    `new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR] });`,
    `new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.REPORTS_SUPERVISOR, "customer.user.supervisor1"] });`,
    `new CustomerUser(stack, "cy", { customer, email: "cy@acme.test", displayName: "", roles: [Role.REPORTS_SUPERVISOR] });`,
    `new RoleAssignment(stack, "live", { customer, roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], users: ["ana@acme.tset"] });`,
  ]);
  expect(status).not.toBe(0);
  const lines = output.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const findings = lines.filter((l) => /^(ERROR|WARN) \[/.test(l));
  expect(findings).toEqual([
    expect.stringMatching(/^ERROR \[broken\/acme\]: PrimaryAdminMissing \[H1\/U5\]: /),
    expect.stringMatching(/^ERROR \[broken\/bo\]: UnknownRole \[U7\]: role "customer.user.supervisor1" .*did you mean "customer.user.supervisorl1" \(Role.REPORTS_SUPERVISOR\)\?/),
    expect.stringMatching(/^ERROR \[broken\/cy\]: UserFieldInvalid \[U1\]: user "cy@acme.test" has no displayName/),
    expect.stringMatching(/^ERROR \[broken\/cy\]: RolePrerequisiteMissing \[U7\]: /),
    expect.stringMatching(/^WARN \[broken\/live\]: AssignedEmailNearDeclaredUser \[U1\]: "ana@acme.tset" is declared by no user of the app and is one edit away from the declared "ana@acme.test"/),
    `ERROR [broken/${FORCED_SYNTH_CONSTRUCT_ID}]: ${FORCED_SYNTH_LINE}`,
  ]);
  // No stack trace: neither cdktf's annotation traces nor a Node error's frames.
  expect(output).not.toMatch(/^\s+at |Annotations\.addMessage|\.ts:\d+:\d+/m);
  // Ours is the last line but cdktf's own closing one, after which the CLI prints nothing else.
  const ours = lines.indexOf(`ERROR [broken/${FORCED_SYNTH_CONSTRUCT_ID}]: ${FORCED_SYNTH_LINE}`);
  expect(lines.slice(ours + 1).filter((l) => !/^\W*Synthesizing$/.test(l))).toEqual(["Error: While synthesizing one or more error annotations have been encountered. Please check the log output above."]);
  expect(fs.existsSync(path.join(dir, "cdktf.out", "stacks", "broken", "dimensions.manifest.json"))).toBe(false);
}, 120_000);

test("the real `cdktf synth` CLI prints a users CSV's problems once: one head line, one line per problem", () => {
  const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-cli-csv-")), "users.csv");
  fs.writeFileSync(csv, "email,displayName,primaryAdmin,Website Access,Manage Users,Reports Supervisr\nana@acme.test,Ana,TRUE,TRUE,TRUE,\nbo@acme.test,,,TRUE,,\nana@acme.test,Ana,,oui,,\n");
  const { status, output } = cdktfSynth("csv", [
    `new CustomerUsersFromCsv(stack, "users", { customer, file: ${JSON.stringify(csv)} });`,
  ]);
  expect(status).not.toBe(0);
  const lines = output.split("\n").filter((l) => l.includes(csv) || /^(ERROR|WARN) \[/.test(l));
  expect(lines).toEqual([
    `ERROR [csv/users]: CsvRowsInvalid [H6]: 4 problem(s) on 3 line(s) of ${csv}; correct each cell listed (file:line:column) and synthesize again; no user of the file is declared until every row is valid:`,
    expect.stringMatching(new RegExp(`^  ${csv}:1:6 CsvFileInvalid \\[H6\\]: column "Reports Supervisr" .*; did you mean "Reports Supervisor"\\?`)),
    expect.stringMatching(new RegExp(`^  ${csv}:3:2 UserFieldInvalid \\[U1\\]: `)),
    expect.stringMatching(new RegExp(`^  ${csv}:4:1 DuplicateUserEmail \\[U1\\]: `)),
    expect.stringMatching(new RegExp(`^  ${csv}:4:4 CsvValueInvalid \\[H6\\]: `)),
    `ERROR [csv/${FORCED_SYNTH_CONSTRUCT_ID}]: ${FORCED_SYNTH_LINE}`,
  ]);
}, 120_000);

test("the real `cdktf synth` CLI synthesizes a compliant app without our closing line", () => {
  const { status, output, dir } = cdktfSynth("fine", [
    `new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR], primaryAdmin: true });`,
  ]);
  expect(output).not.toContain(FORCED_SYNTH_LINE);
  expect(status).toBe(0);
  expect(fs.existsSync(path.join(dir, "cdktf.out", "stacks", "fine", "dimensions.manifest.json"))).toBe(true);
}, 120_000);
