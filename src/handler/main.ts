/**
 * Entry of the handler that Terraform's local-exec provisioners run (bundled to dist/handler.cjs):
 *
 *   DIMENSIONS_PAYLOAD=<base64gzip({t,i})> DIMENSIONS_MANIFEST=<path> node handler.cjs apply|release
 *
 * Parses argv, environment, payload and manifest once, creates the API client (credentials from
 * the environment only), runs one operation, exits 0, or prints one coded line (plus a hint) on
 * stderr and exits 1. It runs once per resource, so start-up time matters: the client (got) is
 * loaded only when the operation calls the API.
 */
import type { DimensionsApi } from "../client/types";
import { ENV, type Settings } from "../contracts/handler";
import { systemClock, type Clock } from "./context";
import { applyInventory } from "./inventory";
import { runOperation } from "./operations";
import { decodePayload, parseOperation, parseRuntimeEnv, readManifest } from "./payload";
import { createReporter, type Reporter, type Sink } from "./report";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;

export type ApiFactory = (env: NodeJS.ProcessEnv, settings: Pick<Settings, "region" | "apiUrl">, report: Reporter) => Promise<DimensionsApi>;

export interface MainOptions {
  readonly sink?: Sink;
  readonly clock?: Clock;
  /** Tests pass an in-memory API; by default the real client is created from the environment. */
  readonly createApi?: ApiFactory;
}

const createRealApi: ApiFactory = async (env, settings, report) => {
  // Loaded on demand: an inventory apply never needs got, and start-up time is per resource.
  const { createClientFromEnv } = await import("../client");
  return createClientFromEnv(env, { region: settings.region, apiUrl: settings.apiUrl }, { log: (line: string) => report.debug(line) });
};

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, options: MainOptions = {}): Promise<number> {
  const report = createReporter({
    level: env[ENV.logLevel] === "debug" ? "debug" : "info",
    sink: options.sink,
    secrets: [env[ENV.clientSecret], env[ENV.refreshToken], env[ENV.accessToken]],
  });
  try {
    const op = parseOperation(argv);
    const runtime = parseRuntimeEnv(env);
    const parsed = decodePayload(env[ENV.payload]);
    const manifest = readManifest(env[ENV.manifest]);
    if (parsed.kind === "inventory" && op === "apply") {
      await applyInventory(parsed.payload, { report });
      return EXIT_OK;
    }
    const api = await (options.createApi ?? createRealApi)(env, parsed.payload.i.settings, report);
    await runOperation(op, parsed, {
      api,
      manifest,
      report,
      clock: options.clock ?? systemClock,
      env,
      adminWaitSeconds: runtime.adminWaitSeconds,
      variant: parsed.variant,
    });
    return EXIT_OK;
  } catch (e) {
    report.fail(e);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2), process.env).then((code) => {
    // exitCode, not exit(): lets stdout drain; the client holds no timers once the work is done.
    process.exitCode = code;
  });
}
