/**
 * `dimensions emulator [--port N] [--data FILE] [--json] [--region R]` (API contract §6): serves
 * the emulator on 127.0.0.1 until SIGINT/SIGTERM (or the given abort signal), then closes cleanly.
 *
 * With `--json` it prints exactly one line for the built-in reseller `demo`:
 * `{"url","tokenUrl","clientId","clientSecret","refreshToken"}`; otherwise a readable banner with
 * the same facts.
 *
 * The commander definition is the one the `dimensions` program adds; its usage errors and help are
 * printed by the program (the emulator layer imports nothing of the CLI).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { startEmulator, type Region } from "./server";

export interface EmulatorCliIo {
  /** Where the banner / JSON line goes. @default console.log */
  readonly write?: (line: string) => void;
  /** Stops the emulator when aborted (tests); SIGINT and SIGTERM always do. */
  readonly signal?: AbortSignal;
  /** Called once the emulator listens, with its URL. */
  readonly onReady?: (url: string) => void;
}

const REGIONS: readonly Region[] = ["au", "eu", "na", "uk"];

export interface EmulatorOptions {
  readonly port: number;
  readonly data?: string;
  readonly json?: boolean;
  readonly region: Region;
}

function port(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("--port must be an integer between 0 and 65535.");
  return n;
}

/** `dimensions emulator`: its options, help and action. */
export function emulatorCommand(io: EmulatorCliIo = {}): Command {
  return new Command("emulator")
    .summary("serve the Dimensions API emulator on 127.0.0.1")
    .description(
      "Serves the Dimensions API emulator on 127.0.0.1 until Ctrl-C: OAuth with rotating refresh tokens, PBX import, paging, soft delete, isolated resellers, access requests, " +
        "and test controls under /_emulator (faults, clock, stats, state, reset). It prints the URL and the credentials of the built-in reseller \"demo\".",
    )
    .option("--port <n>", "port to listen on; 0 picks a free one", port, 0)
    .option("--data <file>", "keep the state in this file across restarts (default: in memory)")
    .option("--json", "print one JSON line: url, tokenUrl, clientId, clientSecret, refreshToken")
    .addOption(new Option("--region <region>", "the region the emulator plays: its roles and its PBX import (U10)").choices(REGIONS).default("eu"))
    .action((values: EmulatorOptions) => serve(values, io));
}

/**
 * Runs the command on `argv` outside the program: resolves when the emulator stopped (or help was
 * printed); a usage error rejects with commander's message.
 */
export async function runEmulatorCli(argv: string[], io: EmulatorCliIo = {}): Promise<void> {
  const write = io.write ?? ((line: string) => console.log(line));
  const command = emulatorCommand(io)
    .exitOverride()
    .configureOutput({ writeOut: (text) => write(text.replace(/\n$/, "")), outputError: () => undefined });
  try {
    await command.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError && e.exitCode === 0) return;
    throw e;
  }
}

async function serve(values: EmulatorOptions, io: EmulatorCliIo): Promise<void> {
  const { port, region } = values;
  const write = io.write ?? ((line: string) => console.log(line));

  const emulator = await startEmulator({ port, dataFile: values.data, region });
  const { url, tokenUrl, demo } = emulator;
  if (values.json) {
    write(JSON.stringify({ url, tokenUrl, clientId: demo.clientId, clientSecret: demo.clientSecret, refreshToken: demo.refreshToken }));
  } else {
    write(
      [
        `Dimensions API emulator listening on ${url} (region ${region})`,
        `  API:            ${url}/api/v1.0`,
        `  token URL:      ${tokenUrl}`,
        `  controls:       ${url}/_emulator/{state,stats,reset,faults,clock,auth,...}`,
        `  state file:     ${values.data ?? "(in memory)"}`,
        `reseller "demo" (partner user demo@reseller.test: account.user, customer.admin, tm.admin):`,
        `  DIMENSIONS_API_URL=${url}`,
        `  DIMENSIONS_TOKEN_URL=${tokenUrl}`,
        `  DIMENSIONS_CLIENT_ID=${demo.clientId}`,
        `  DIMENSIONS_CLIENT_SECRET=${demo.clientSecret}`,
        `  DIMENSIONS_REFRESH_TOKEN=${demo.refreshToken}`,
        "Ctrl-C to stop.",
      ].join("\n"),
    );
  }
  io.onReady?.(url);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      io.signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener("abort", stop);
  });
  await emulator.close();
}
