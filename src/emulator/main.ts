/**
 * `dimensions emulator [--port N] [--data FILE] [--json] [--region R]` (api-contract §6): serves
 * the emulator on 127.0.0.1 until SIGINT/SIGTERM (or the given abort signal), then closes cleanly.
 *
 * With `--json` it prints exactly one line for the built-in reseller `demo`:
 * `{"url","tokenUrl","clientId","clientSecret","refreshToken"}`; otherwise a readable banner with
 * the same facts.
 */
import { parseArgs } from "node:util";
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

export async function runEmulatorCli(argv: string[], io: EmulatorCliIo = {}): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "0" },
      data: { type: "string" },
      json: { type: "boolean", default: false },
      region: { type: "string", default: "eu" },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer between 0 and 65535; got "${values.port}"`);
  const region = values.region as Region;
  if (!REGIONS.includes(region)) throw new Error(`--region must be one of ${REGIONS.join(", ")}; got "${values.region}"`);
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
