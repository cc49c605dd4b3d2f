/**
 * The synthesized JSON against the real tools: terraform 1.11 accepts it (init + validate, offline,
 * terraform_data needs no provider), and the real `cdktf synth` CLI fails on a broken rule.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CustomerUser, Role, RoleAssignment } from "../../src";
import { acmeWithAdmin, newApp, newStack, stackDir, useFakeHandlerBundle } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const TERRAFORM = process.env.TERRAFORM_BINARY_NAME ?? "terraform";
const hasTerraform = spawnSync(TERRAFORM, ["version"], { encoding: "utf8" }).status === 0;

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

(hasTerraform ? test : test.skip)("terraform init + validate accept the synthesized stack (offline)", () => {
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

test("the real `cdktf synth` CLI exits non-zero and prints the rule code when a rule is broken", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-cli-"));
  // The tiny app lives outside the package: import the library and cdktf by absolute path.
  fs.writeFileSync(
    path.join(dir, "main.ts"),
    [
      `import { App } from ${JSON.stringify(path.join(ROOT, "node_modules", "cdktf"))};`,
      `import { Customer, CustomerUser, DimensionsStack, Role } from ${JSON.stringify(path.join(ROOT, "src"))};`,
      `const app = new App();`,
      `const stack = new DimensionsStack(app, "broken", { acceptCharges: true });`,
      `const customer = new Customer(stack, "acme", { name: "Acme", description: "d", reference: "ACME-001", pbx: { hostRest: "https://pbx", hostWebsocket: "wss://pbx", accountId: "a", apiKeyEnv: "KEY" } });`,
      `new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR], primaryAdmin: true });`,
      `new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.REPORTS_SUPERVISOR] });`,
      `app.synth();`,
    ].join("\n"),
  );
  fs.writeFileSync(
    path.join(dir, "cdktf.json"),
    JSON.stringify({ language: "typescript", app: `${path.join(ROOT, "node_modules", ".bin", "tsx")} main.ts`, projectId: "rules-test", sendCrashReports: "false", terraformProviders: [], terraformModules: [], context: {} }),
  );
  const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "cdktf"), ["synth"], {
    cwd: dir,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "1", CI: "1", DIMENSIONS_HANDLER_BUNDLE: bundle },
    encoding: "utf8",
    timeout: 110_000,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  expect(run.status).not.toBe(0);
  expect(output).toContain("[broken/bo]: RolePrerequisiteMissing [U7]");
  expect(fs.existsSync(path.join(dir, "cdktf.out", "stacks", "broken", "dimensions.manifest.json"))).toBe(false);
}, 120_000);
