/**
 * Entry of the handler that Terraform's local-exec provisioners run (bundled to dist/handler.cjs):
 *
 *   DIMENSIONS_PAYLOAD[_n]=<base64gzip({t,i})> DIMENSIONS_MANIFEST=<path> \
 *   DIMENSIONS_MANIFEST_DIGEST=<sha256> node handler.cjs apply|release
 *
 * Parses argv, environment, payload and manifest once (the manifest proven to belong to this
 * configuration before anything else), creates the API client (credentials from the environment
 * only), runs one operation, exits 0, or prints one coded line (plus a hint) on stderr and exits 1.
 * The client (got) is loaded only when the operation calls the API.
 */
import * as path from "node:path";
import type { DimensionsClientApi } from "../client";
import type { TokenProvider } from "../client/token-cache";
import type { DimensionsApi } from "../client/types";
import { ENV, STACK_RESOURCE_ID, type HandlerOperation, type Manifest, type Settings } from "../contracts/handler";
import { applyAccessRequest, releaseAccessRequest } from "./access-request";
import { stateBackendOf } from "./backend";
import { systemClock, type Clock, type HandlerDeps } from "./context";
import { applyInventory, releaseInventory } from "./inventory";
import { HandlerError } from "./errors";
import { FileMarkerStore, type MarkerStore } from "./markers";
import { decodePayload, parseOperation, parseRuntimeEnv, payloadFromEnv, payloadFromManifest, readManifest, type Payload } from "./payload";
import { createReporter, type Reporter, type Sink } from "./report";
import { FileSentLog, type SentLog } from "./sent-log";
import { applyStack, releaseStack } from "./stack";
import { applyTenant, releaseTenant } from "./tenant";
import { terraformRunKind } from "./terraform-run";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;

export type ApiFactory = (env: NodeJS.ProcessEnv, settings: Pick<Settings, "region" | "apiUrl">, report: Reporter) => Promise<DimensionsApi>;

export interface MainOptions {
  readonly sink?: Sink;
  readonly clock?: Clock;
  /** Tests pass an in-memory API; by default the real client is created from the environment. */
  readonly createApi?: ApiFactory;
  /** Tests pass an in-memory store; by default markers live beside the manifest. */
  readonly markers?: MarkerStore;
  /** Tests pass an in-memory log; by default it lives beside the markers. */
  readonly sent?: SentLog;
  /** What a process running many jobs keeps open across them (the warm handler of a run). */
  readonly shared?: SharedResources;
}

/** Filled on demand by the jobs of one process; its owner closes it when the process is done. */
export interface SharedResources {
  pgConnections?: import("./pg-markers").PgConnections;
}

/** Every run names the host it talks to, and which setting chose it (a region's own variable, DIMENSIONS_API_URL, the stack's apiUrl or the region's URL). */
function nameEndpoint(client: DimensionsClientApi, settings: Pick<Settings, "region">, report: Reporter): void {
  report.action("api", `${new URL(client.endpoint.url).host} (${client.endpoint.source}${settings.region ? `; stack region ${settings.region}` : ""})`);
}

const createRealApi: ApiFactory = async (env, settings, report) => {
  // Loaded on demand: the stack's and inventory's applies never need got, and start-up is per resource.
  const { createClientFromEnv } = await import("../client");
  const client = createClientFromEnv(env, { region: settings.region, apiUrl: settings.apiUrl }, { log: (line: string) => report.debug(line) });
  nameEndpoint(client, settings, report);
  return client;
};

/**
 * For a process that runs many jobs with one environment (the warm handler of a run): each job
 * gets a client of its own (its request count and debug lines are the job's), sharing one token
 * per region and URL, so the jobs neither read the credentials store nor refresh one by one.
 */
export function sharedApiFactory(load: () => Promise<Pick<typeof import("../client"), "createClientFromEnv">> = () => import("../client")): ApiFactory {
  const tokens = new Map<string, TokenProvider>();
  return async (env, settings, report) => {
    const { createClientFromEnv } = await load();
    const key = JSON.stringify([settings.region ?? null, settings.apiUrl ?? null]);
    const shared = tokens.get(key);
    const client = createClientFromEnv(env, { region: settings.region, apiUrl: settings.apiUrl }, { log: (line: string) => report.debug(line), ...(shared ? { tokens: shared } : {}) });
    if (!shared) tokens.set(key, client.tokens);
    nameEndpoint(client, settings, report);
    return client;
  };
}

async function openMarkers(manifestFile: string, env: NodeJS.ProcessEnv, shared: SharedResources | undefined): Promise<MarkerStore> {
  const backend = stateBackendOf(path.dirname(manifestFile), env);
  if (backend.kind !== "pg") return new FileMarkerStore(manifestFile);
  // Loaded on demand, as the client is: a local state never needs node-postgres.
  const { PgConnections, PgMarkerStore } = await import("./pg-markers");
  if (shared) shared.pgConnections ??= new PgConnections();
  return PgMarkerStore.open(backend, manifestFile, env, shared?.pgConnections);
}

export function runOperation(op: HandlerOperation, parsed: Payload, deps: HandlerDeps): Promise<void> {
  switch (parsed.kind) {
    case "tenant":
      return op === "apply" ? applyTenant(parsed.payload, deps) : releaseTenant(parsed.payload, deps);
    case "stack":
      return op === "apply" ? applyStack(parsed.payload, deps, deps.stackDir) : releaseStack(parsed.payload, deps);
    case "inventory":
      return op === "apply" ? applyInventory(parsed.payload, deps) : releaseInventory(parsed.payload, deps);
    case "access-request":
      return op === "apply" ? applyAccessRequest(parsed.payload, deps) : releaseAccessRequest(parsed.payload, deps);
    case "legacy":
      // A resource of the 0.1 layout, dropped by the upgrade: its tenant resource converges what it held.
      deps.report.action(`${parsed.payload.i.kind} of the 0.1 layout`, "replaced by the per-customer layout: nothing released");
      return Promise.resolve();
  }
}

/** Only these need no API: they are answered before a client is built. */
/**
 * The settings this run's client uses: the payload's own; for the stack resource, whose payload
 * holds none (contracts/handler stackPayload), the manifest's.
 */
function settingsOf(parsed: Payload, manifest: Manifest): Settings {
  if (parsed.kind === "legacy") return { acceptCharges: false };
  const own = parsed.payload.i.settings;
  if (own) return own;
  if (manifest.settings) return manifest.settings;
  // A manifest written before it carried the settings: the objects' share them.
  return Object.values(manifest.objects)[0]?.i.settings ?? { acceptCharges: false };
}

function needsApi(op: HandlerOperation, parsed: Payload): boolean {
  if (parsed.kind === "legacy") return false;
  return !(op === "apply" && (parsed.kind === "stack" || parsed.kind === "inventory"));
}

/** Rejects with HandlerTimeout once `seconds` have passed; the timer never holds the process. */
function withDeadline(work: Promise<void>, seconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new HandlerError("HandlerTimeout", `the run did not end within ${seconds} s (${ENV.handlerTimeoutSeconds}); what it did so far stays done`, {
          hint: `check that the API answers (each request is bounded by ${ENV.requestTimeoutSeconds}), or raise ${ENV.handlerTimeoutSeconds} for a very large customer, then apply again`,
        }),
      );
    }, seconds * 1000);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, options: MainOptions = {}): Promise<number> {
  const report = createReporter({
    level: env[ENV.logLevel] === "debug" ? "debug" : "info",
    sink: options.sink,
    secrets: [env[ENV.clientSecret], env[ENV.refreshToken], env[ENV.accessToken]],
  });
  try {
    const op = parseOperation(argv);
    const runtime = parseRuntimeEnv(env);
    // A create of an object the manifest lists: its payload is the manifest's entry (its digest
    // checked by readManifest); every other run decodes its payload from the environment.
    const objectKey = op === "apply" ? env[ENV.objectKey] : undefined;
    const decoded = objectKey ? undefined : decodePayload(payloadFromEnv(env));
    const manifestFile = env[ENV.manifest];
    const manifest = readManifest(manifestFile, env[ENV.manifestDigest]);
    const parsed = decoded ?? payloadFromManifest(manifest, objectKey!);
    // Markers, and the log of e-mails an unfinished change sent, live where the state lives:
    // beside it in PostgreSQL with the pg backend (every CI runner sees them), else in the stack's folder.
    const markers = options.markers ?? (await openMarkers(manifestFile!, env, options.shared));
    const settings = settingsOf(parsed, manifest);
    const api = needsApi(op, parsed) ? await (options.createApi ?? createRealApi)(env, settings, report) : undefined;
    const work = runOperation(op, parsed, {
      api: api ?? (undefined as unknown as DimensionsApi),
      manifest,
      report,
      clock: options.clock ?? systemClock,
      env,
      markers,
      sent: options.sent ?? markers.sentLog?.() ?? new FileSentLog(manifestFile!),
      concurrency: runtime.concurrency,
      variant: parsed.variant,
      ...(parsed.objectForm ? { objectForm: true } : {}),
      runKind: () => terraformRunKind(env, `${parsed.variant ?? "terraform_data"}.${STACK_RESOURCE_ID}`, path.dirname(manifestFile!)),
      stackDir: path.dirname(manifestFile!),
    });
    let done = false;
    try {
      await withDeadline(work, runtime.handlerTimeoutSeconds);
      done = true;
    } finally {
      // What was written before a failure must land too (an object marked released). A marker
      // that did not land fails a run that succeeded; a failed run reports its own failure.
      await markers.close?.().catch((e: unknown) => {
        if (done) throw e;
      });
    }
    return EXIT_OK;
  } catch (e) {
    report.fail(e);
    return EXIT_FAILED;
  }
}

if (require.main === module && process.argv[2] === "worker") {
  // `worker <spool dir> <terraform pid>`: the warm handler of one terraform run (see ./worker).
  void import("./worker").then(({ runWorker }) => runWorker(process.argv[3] ?? "", Number(process.argv[4]), process.env)).then(
    () => undefined,
    (e: unknown) => {
      process.stderr.write(`dimensions: WorkerFailed: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
} else if (require.main === module) {
  void main(process.argv.slice(2), process.env).then((code) => {
    // exitCode, not exit(): lets stdout drain; the client holds no timers once the work is done.
    // A run that hit its deadline may still have requests in flight: they must not outlive it.
    process.exitCode = code;
    if (code !== EXIT_OK) setTimeout(() => process.exit(code), 200).unref();
  });
}
