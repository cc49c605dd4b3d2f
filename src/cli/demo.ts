/**
 * `dimensions demo`: what `npm start` runs. Starts the embedded emulator, seeds the example
 * customer's PBX directory, synthesizes examples/onboarding with its own process (as `cdktf synth`
 * would), applies it with the real terraform, checks a second plan is empty, and prints the
 * customers, users and roles that now exist — read back through the API client, not from state.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { createClientFromEnv } from "../client";
import { execute, withAction } from "./command-line";
import { table } from "./table";
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

export interface DemoOptions {
  readonly dir: string;
  readonly keepRunning?: boolean;
}

/** `dimensions demo`: its options, help and action. */
export function demoCommand(): Command {
  const command = new Command("demo")
    .summary("start the embedded emulator, synthesize the onboarding example, apply it with terraform, print what exists")
    .description(
      "Onboards the example customer end to end: starts the embedded emulator on 127.0.0.1, seeds the customer's PBX directory, synthesizes the onboarding example, " +
        "runs terraform init and apply on it, checks that a second plan is empty, and prints the customers, users and roles that now exist, read back through the API. " +
        "Needs Terraform ≥ 1.4 on PATH (or TERRAFORM_BINARY_NAME).",
    )
    .option("--dir <dir>", "working directory, emptied and recreated on every run", ".demo")
    .option("--keep-running", "leave the emulator up afterwards (Ctrl-C to stop)");
  return withAction(command, (values: DemoOptions) => demo(values));
}

export function runDemo(argv: string[]): Promise<number> {
  return execute(demoCommand(), argv);
}

async function demo(values: DemoOptions): Promise<number> {
  const dir = path.resolve(values.dir);
  if (!fs.existsSync(EXAMPLE_JS)) {
    throw new Error(`the compiled onboarding example is missing (${EXAMPLE_JS}): the installed package ships it (reinstall cdktf-dimensions); in the repository, run "npm run build"`);
  }
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

    step("synthesizing the onboarding example");
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
    if (values.keepRunning) {
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
    const lines = table(
      rows.map((user) => [user.email, [...(user.roles ?? [])].sort().join(", ")]),
      { indent: "  ", columns: [{ minWidth: 5 }] },
    );
    for (const line of lines) console.log(line);
  }
  console.log(`\n(${api.requestCount} API requests to print this)`);
}

function step(text: string): void {
  console.log(`==> ${text}`);
}

function indent(chunk: string): string {
  return chunk.replace(/^(?=.)/gm, "    ");
}
