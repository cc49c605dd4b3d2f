/**
 * What every `dimensions` command shares: its commander definition drives parsing, validation and
 * `--help`; this module runs a definition and turns commander's outcomes into the program's exit
 * codes (0 done or help shown, 1 the command failed, 2 a usage error — printed on stderr with the
 * command's help).
 *
 * A definition is a function returning a fresh `Command` (options, help text, action), so the same
 * definition serves the program (`dimensions <command> …`) and the command's own `runX(argv)`
 * entry that tests and the demo call.
 */
import { Command, CommanderError } from "commander";

export interface CommandIo {
  /** One chunk of standard output, without its trailing newline. */
  readonly out: (line: string) => void;
  /** One chunk of standard error, without its trailing newline. */
  readonly err: (line: string) => void;
}

export const consoleIo: CommandIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

/** Exit code of a usage error: an unknown option or command, a missing or invalid value. */
export const USAGE_ERROR = 2;

const exitCodes = new WeakMap<Command, number>();

/**
 * Sets the command's action: `run` gets the parsed options and returns the exit code (nothing
 * means 0). What it throws is not a usage error: the program reports it and exits 1.
 */
export function withAction<O>(command: Command, run: (options: O) => Promise<number | void> | number | void): Command {
  return command.action(async (options: O) => {
    const code = await run(options);
    if (typeof code === "number") exitCodes.set(command, code);
  });
}

/**
 * Runs a command, or a whole program, on `argv` (the arguments after the program's name). A
 * command without a parent is run under a `dimensions` program, so its usage reads
 * `dimensions <command> …` however it was started.
 */
export async function execute(command: Command, argv: readonly string[], io: CommandIo = consoleIo): Promise<number> {
  let root = command;
  let args = [...argv];
  if (!command.parent && command.name() !== "dimensions") {
    root = new Command("dimensions").addCommand(command);
    args = [command.name(), ...args];
  }
  configure(root, io);
  try {
    await root.parseAsync(args, { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Help that was asked for is a success; `help` shown because a command is missing is not.
    const help = e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version";
    return help && e.exitCode === 0 ? 0 : USAGE_ERROR;
  }
  return exitCodeOf(root) ?? 0;
}

/** commander does not pass settings to commands added with addCommand(): set them on the tree. */
function configure(command: Command, io: CommandIo): void {
  const write = (sink: (line: string) => void) => (text: string) => sink(text.replace(/\n$/, ""));
  command
    .exitOverride()
    .showHelpAfterError(true)
    .configureOutput({ writeOut: write(io.out), writeErr: write(io.err), outputError: (text, writeErr) => writeErr(text) });
  for (const sub of command.commands) configure(sub, io);
}

function exitCodeOf(command: Command): number | undefined {
  const own = exitCodes.get(command);
  if (own !== undefined) return own;
  for (const sub of command.commands) {
    const code = exitCodeOf(sub);
    if (code !== undefined) return code;
  }
  return undefined;
}
