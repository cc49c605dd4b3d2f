/**
 * `dimensions demo`: what `npm start` runs. Starts the embedded emulator, seeds the example
 * customer's PBX directory, synthesizes examples/onboarding with its own process (as `cdktf synth`
 * would), applies it with the real terraform, checks a second plan is empty, and prints the
 * customers, users and roles that now exist — read back through the API client, not from state.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { createClientFromEnv } from "../client";
import { assertTerraformOk, terraformVersion } from "./terraform";
import { Sandbox } from "./sandbox";

const STACK = "onboarding";
// Which PBX account to seed, and which variable the example reads its PBX key from: the example
// exports both; the compiled example sits beside this bundle's package.
const EXAMPLE_JS = path.join(__dirname, "..", "lib", "examples", "onboarding", "main.js");

interface ExampleModule {
  readonly ACME_PBX_ACCOUNT_ID: string;
  readonly ACME_PBX_USERS: ReadonlyArray<{ email: string; displayName: string; acdAgent?: boolean }>;
  readonly ACME_PBX_API_KEY_ENV: string;
}

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: "string", default: ".demo" }, "keep-running": { type: "boolean", default: false } },
  });
  const dir = path.resolve(values.dir ?? ".demo");
  if (!fs.existsSync(EXAMPLE_JS)) throw new Error(`the compiled example is missing (${EXAMPLE_JS}); run "npm run build" first`);
  const version = terraformVersion();
  if (!version) throw new Error("terraform was not found on PATH (or TERRAFORM_BINARY_NAME); install Terraform ≥ 1.4 to run the demo");

  // A fresh directory each run: the emulator starts empty, so old state would describe nothing.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(EXAMPLE_JS) as ExampleModule;

  step(`${version}; starting the embedded emulator`);
  const sandbox = await Sandbox.start({ dir, env: { [example.ACME_PBX_API_KEY_ENV]: "demo-kazoo-api-key" } });
  try {
    step(`emulator at ${sandbox.emulator.url}; seeding PBX account ${example.ACME_PBX_ACCOUNT_ID} with ${example.ACME_PBX_USERS.length} users`);
    await sandbox.control("PUT", `/pbx/${encodeURIComponent(example.ACME_PBX_ACCOUNT_ID)}/users`, example.ACME_PBX_USERS);

    step("synthesizing examples/onboarding");
    const synth = spawnSync(process.execPath, [EXAMPLE_JS], {
      cwd: dir,
      env: { ...process.env, CDKTF_OUTDIR: path.join(dir, "cdktf.out") },
      encoding: "utf8",
    });
    if (synth.status !== 0) throw new Error(`synth failed:\n${synth.stderr || synth.stdout}`);
    const stackDir = path.join(dir, "cdktf.out", "stacks", STACK);

    const echo = (chunk: string) => process.stdout.write(indent(chunk));
    step("terraform init");
    assertTerraformOk(await sandbox.terraform(["init", "-input=false"], stackDir));
    step("terraform apply");
    assertTerraformOk(await sandbox.terraform(["apply", "-auto-approve", "-input=false"], stackDir, { echo }));
    step("terraform plan (expecting no changes)");
    const plan = await sandbox.terraform(["plan", "-detailed-exitcode", "-input=false"], stackDir);
    if (plan.code === 2) throw new Error(`the second plan is not empty:\n${plan.stdout}`);
    assertTerraformOk(plan);
    step("no changes: the API matches the code");

    await printInventory(sandbox.env);
    if (values["keep-running"]) {
      step(`the emulator keeps running at ${sandbox.emulator.url} (state: ${sandbox.emulator.url}/_emulator/state); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
    return 0;
  } finally {
    await sandbox.close();
  }
}

async function printInventory(env: NodeJS.ProcessEnv): Promise<void> {
  const api = createClientFromEnv(env, {});
  const customers = await api.listCustomers();
  console.log("");
  for (const customer of customers) {
    console.log(`customer ${customer.reference ?? "(no reference)"}  "${customer.name}"  enabled=${customer.enabled ?? false}  id=${customer.id}`);
    const users = await api.listUsers(customer.id);
    const rows = await Promise.all(users.map((u) => api.getUser(customer.id, u.id)));
    rows.sort((a, b) => a.email.localeCompare(b.email));
    const width = Math.max(...rows.map((u) => u.email.length), 5);
    for (const user of rows) {
      console.log(`  ${user.email.padEnd(width)}  ${[...(user.roles ?? [])].sort().join(", ")}`);
    }
  }
  console.log(`\n(${api.requestCount} API requests to print this)`);
}

function step(text: string): void {
  console.log(`==> ${text}`);
}

function indent(chunk: string): string {
  return chunk.replace(/^(?=.)/gm, "    ");
}
