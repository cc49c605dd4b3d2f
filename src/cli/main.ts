/**
 * `dimensions`: the project's command-line program.
 *
 *   dimensions emulator [--port N] [--data FILE] [--json]   run the API emulator on loopback
 *   dimensions demo [--dir DIR] [--keep-running]             onboard the example customer end to end
 *   dimensions access-requests [--expiring-within DAYS] [--json] …  tenant access requests per tenant
 *   dimensions licenses [--dir cdktf.out] [--stack NAME] [--json] [--live]  licensed roles (U9)
 */
import { runAccessRequests } from "./access-requests";
import { runDemo } from "./demo";
import { runLicenses } from "./licenses";
import { runEmulatorCli } from "../emulator/main";

const USAGE = `usage: dimensions <command> [options]

commands:
  emulator [--port N] [--data FILE] [--json]   serve the Dimensions API emulator on 127.0.0.1
  demo [--dir DIR] [--keep-running]            start the embedded emulator, synthesize the onboarding
                                               example, apply it with terraform, print what exists
  access-requests [--expiring-within DAYS] [--json] [--all] [--name NAME] [--api-url URL | --region R]
                                               list tenant access requests per tenant: status, mode,
                                               expiry, the customer's message
  licenses [--dir cdktf.out] [--stack NAME] [--json] [--live]
                                               licensed roles per customer and role from the last
                                               synth; --live: the delta against the API (cost of apply)
  help                                         this text`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "emulator":
      await runEmulatorCli(rest);
      return 0;
    case "demo":
      return runDemo(rest);
    case "access-requests":
      return runAccessRequests(rest);
    case "licenses":
      return runLicenses(rest, { out: (line) => console.log(line), env: process.env, cwd: process.cwd() });
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(`dimensions: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`dimensions: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
