/**
 * `dimensions`: the project's command-line program. Each command is one commander definition,
 * beside its implementation, that drives its parsing, validation and `--help`; this file only
 * puts them together. `dimensions --help` lists them, `dimensions <command> --help` shows one.
 */
import { Command } from "commander";
import { accessRequestsCommand } from "./access-requests";
import { consoleIo, execute, type CommandIo } from "./command-line";
import { demoCommand } from "./demo";
import { driftCommand } from "./drift";
import { exportCommand } from "./export/command";
import { planSummaryCommand } from "./plan-summary";
import { stacksCommand } from "./stacks";
import { tokenCommand } from "./token";
import { licensesCommand } from "./licenses";
import { loginCommand } from "./login";
import { usersCommand } from "./users";
import { emulatorCommand } from "../emulator/main";
import { packageVersion } from "./version";

/** The whole program; `io` receives help, usage errors and the commands' own output. */
export function program(io: CommandIo = consoleIo, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Command {
  return new Command("dimensions")
    .description(
      "The command line of cdktf-dimensions: sign-in and tokens, reviews of what the synthesized " +
        "stacks grant and change (licences, plan summaries, drift, tenant access), the stacks of a " +
        "rollout, an emulator of the Dimensions API and an end-to-end demo.",
    )
    .version(packageVersion(), "-V, --version", "print the version of cdktf-dimensions")
    .addCommand(emulatorCommand({ write: io.out }))
    .addCommand(demoCommand())
    .addCommand(accessRequestsCommand(env, { ...io, now: () => Date.now() }))
    .addCommand(licensesCommand({ out: io.out, err: io.err, env, cwd }))
    .addCommand(driftCommand({ out: io.out, err: io.err, env, cwd }))
    .addCommand(exportCommand({ out: io.out, err: io.err, env, cwd }))
    .addCommand(usersCommand({ out: io.out, err: io.err, env, cwd }))
    .addCommand(planSummaryCommand(io))
    .addCommand(loginCommand({ ...io, env }))
    .addCommand(tokenCommand(env, io))
    .addCommand(stacksCommand(cwd, io))
    .addHelpText("after", '\nRun "dimensions <command> --help" for the options of a command.');
}

/** Runs the program on its arguments; returns the exit code (0 ok, 1 failed, 2 usage error). */
export function main(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  // No command at all: the overview, as `--help` shows it (commander would call it an error).
  return execute(program(io), argv.length === 0 ? ["--help"] : argv, io);
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
