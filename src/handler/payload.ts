/**
 * The handler's boundary: argv, environment, payload and manifest, each parsed once with the
 * contract's zod schemas. Everything after this module works on typed values.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import {
  accessRequestPayload,
  ENV,
  HANDLER_OPERATIONS,
  inventoryPayload,
  manifest as manifestSchema,
  MANIFEST_FILE,
  objectPayload,
  PAYLOAD_CHUNK_CHARS,
  PAYLOAD_CHUNKS,
  payloadChunkVar,
  stackPayload,
  SYNTH_FAILED_DIGEST,
  tenantPayload,
  type AccessRequestPayload,
  type HandlerOperation,
  type InventoryPayload,
  type Manifest,
  type StackPayload,
  type TenantPayload,
} from "../contracts/handler";
import { HandlerError } from "./errors";

export type Payload = (
  | { readonly kind: "tenant"; readonly payload: TenantPayload }
  | { readonly kind: "stack"; readonly payload: StackPayload }
  | { readonly kind: "inventory"; readonly payload: InventoryPayload }
  | { readonly kind: "access-request"; readonly payload: AccessRequestPayload }
  /** A resource of the 0.1 layout (one per user): its successor is the tenant resource. */
  | { readonly kind: "legacy"; readonly payload: { readonly t: unknown; readonly i: { readonly kind: string } } }
) & {
  /** Which resource type ran the handler: null_resource's triggers hold t and i as JSON strings. */
  readonly variant?: ResourceVariant;
  /**
   * terraform_data whose t and i were objects, not JSON text: a state written by a build before
   * the text layout, being replaced by the apply that upgrades it (or destroyed before that apply).
   */
  readonly objectForm?: boolean;
};

export type ResourceVariant = "terraform_data" | "null_resource";

export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 64;
/**
 * The decoded payload's JSON may not be larger than this: the chunks hold at most 800,000
 * characters of gzip, and a customer of 20,000 users decodes to a few MB; more is a bomb.
 */
export const MAX_PAYLOAD_JSON_BYTES = 64 * 1024 * 1024;
/** Payloads and manifests nest 6 levels; a deeper one is not the constructs' (and would exhaust the stack). */
export const MAX_JSON_DEPTH = 64;

export function parseOperation(argv: readonly string[]): HandlerOperation {
  const op = argv[0];
  if (argv.length === 1 && (HANDLER_OPERATIONS as readonly string[]).includes(op ?? "")) return op as HandlerOperation;
  throw new HandlerError("UsageInvalid", `expected one argument, ${HANDLER_OPERATIONS.join(" or ")}; got ${argv.length ? argv.map((a) => JSON.stringify(a)).join(" ") : "none"}`, {
    hint: "the handler is run by the provisioners the Dimensions constructs render: node handler.cjs apply|release",
  });
}

const runtimeEnv = z.object({
  [ENV.concurrency]: z.coerce.number().int().min(1).max(MAX_CONCURRENCY).optional(),
  [ENV.handlerTimeoutSeconds]: z.coerce.number().int().min(10).max(86_400).optional(),
  [ENV.logLevel]: z.enum(["info", "debug"]).optional(),
});

/** One handler run, a whole customer's reconcile included: 30 minutes unless set. */
export const DEFAULT_HANDLER_TIMEOUT_SECONDS = 1800;

export interface RuntimeSettings {
  readonly concurrency: number;
  readonly handlerTimeoutSeconds: number;
  readonly logLevel: "info" | "debug";
}

export function parseRuntimeEnv(env: NodeJS.ProcessEnv): RuntimeSettings {
  const raw = {
    [ENV.concurrency]: env[ENV.concurrency] || undefined,
    [ENV.handlerTimeoutSeconds]: env[ENV.handlerTimeoutSeconds] || undefined,
    [ENV.logLevel]: env[ENV.logLevel] || undefined,
  };
  const parsed = runtimeEnv.safeParse(raw);
  if (!parsed.success) {
    throw new HandlerError("EnvInvalid", describeIssues(parsed.error), {
      hint: `${ENV.concurrency} is a whole number from 1 to ${MAX_CONCURRENCY}; ${ENV.handlerTimeoutSeconds} whole seconds from 10 to 86400; ${ENV.logLevel} is "info" or "debug"`,
    });
  }
  return {
    concurrency: parsed.data[ENV.concurrency] ?? DEFAULT_CONCURRENCY,
    handlerTimeoutSeconds: parsed.data[ENV.handlerTimeoutSeconds] ?? DEFAULT_HANDLER_TIMEOUT_SECONDS,
    logLevel: parsed.data[ENV.logLevel] ?? "info",
  };
}

/** The payload's chunks (`DIMENSIONS_PAYLOAD`, `DIMENSIONS_PAYLOAD_1`, …) joined. */
export function payloadFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const chunks: string[] = [];
  for (let i = 0; i < PAYLOAD_CHUNKS; i++) chunks.push(env[payloadChunkVar(i)] ?? "");
  const joined = chunks.join("");
  if (joined === "") return undefined;
  const used = chunks.reduce((n, c, i) => (c !== "" ? i : n), 0);
  // The constructs render every chunk, the unused ones empty: an empty one before a set one is lost.
  const missing = chunks.findIndex((c, i) => c === "" && i < used);
  if (missing >= 0) {
    throw payloadError(`${payloadChunkVar(missing)} is unset or empty while ${payloadChunkVar(used)} is set: a chunk of the payload is missing`);
  }
  // The last chunk used is full: the payload may go on past it (a state much larger than the
  // configuration that renders these expressions, or past all of them).
  if (chunks[used].length >= PAYLOAD_CHUNK_CHARS && !gunzips(joined)) {
    throw new HandlerError("PayloadTooLarge", `the payload fills the ${used + 1} environment value${used === 0 ? "" : "s"} of ${PAYLOAD_CHUNK_CHARS} characters this configuration passes; it is cut`, {
      hint: used + 1 < PAYLOAD_CHUNKS
        ? "a customer shrank to less than an eighth of its users in one change: apply the removal in two steps (half, then the rest)"
        : "split the customer's users over several stacks (a customer holds about 20,000 users at most)",
    });
  }
  return joined;
}

function gunzips(encoded: string): boolean {
  try {
    gunzipSync(Buffer.from(encoded, "base64"), { maxOutputLength: MAX_PAYLOAD_JSON_BYTES });
    return true;
  } catch {
    return false;
  }
}

/** The payload of the object `key` as the manifest holds it (the create of a manifest object). */
export function payloadFromManifest(manifest: Manifest, key: string): Payload {
  const entry = manifest.objects[key];
  if (entry === undefined) {
    throw new HandlerError("ManifestMismatch", `the manifest lists no object "${key}", which this configuration creates; nothing is sent`, {
      hint: 're-run "cdktf synth" (or "cdktf deploy") and apply the configuration it writes',
    });
  }
  return entry.i.kind === "tenant" ? { kind: "tenant", payload: entry as TenantPayload } : { kind: "access-request", payload: entry as AccessRequestPayload };
}

/** Decodes the payload (base64 of gzip of JSON `{t, i}`) and parses it by its `i.kind`. */
export function decodePayload(encoded: string | undefined): Payload {
  if (!encoded) throw payloadError(`${ENV.payload} is not set or empty`);
  const text = encoded.trim();
  // Buffer.from(…, "base64") skips what is not base64: say so rather than blame gzip.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw payloadError(`${ENV.payload} is not base64 (it holds other characters than A-Z, a-z, 0-9, +, / and = padding)`);
  let json: string;
  try {
    json = gunzipSync(Buffer.from(text, "base64"), { maxOutputLength: MAX_PAYLOAD_JSON_BYTES }).toString("utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw payloadError(`${ENV.payload} decompresses to more than ${MAX_PAYLOAD_JSON_BYTES / 1024 / 1024} MiB of JSON, far more than any stack renders`);
    }
    throw payloadError(`${ENV.payload} is base64, but not of gzip data (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw payloadError(`${ENV.payload} does not hold JSON`);
  }
  return parsePayload(raw);
}

/** Parses a decoded `{t, i}` value; `t` and `i` may be JSON strings (null_resource triggers are map(string)). */
export function parsePayload(raw: unknown): Payload {
  if (!isRecord(raw)) throw payloadError("the payload is not an object with t and i");
  const variant: ResourceVariant = typeof raw.t === "string" ? "null_resource" : "terraform_data";
  // terraform_data of layout 2 carries { t, i } in triggers_replace and no input (the expression
  // passes both, so a 0.1 resource destroyed by this handler is still recognised as one). Its `t`
  // and `i` are JSON text, as a null_resource's; a state written before they were is objects.
  const nested = (raw.i === null || raw.i === undefined) && isRecord(raw.t) && "t" in raw.t && "i" in raw.t;
  const t = unwrapString(nested ? (raw.t as Record<string, unknown>).t : raw.t, "t");
  const i = unwrapString(nested ? (raw.t as Record<string, unknown>).i : raw.i, "i");
  const form = nested && isRecord((raw.t as Record<string, unknown>).t) ? { objectForm: true } : {};
  const odd = oddShape({ t, i });
  if (odd) throw payloadError(`the payload ${odd}`);
  const value = stripNulls({ t, i });
  const kind = isRecord(i) ? i.kind : undefined;
  switch (kind) {
    case "tenant":
      return { kind, variant, ...form, payload: parseWith(tenantPayload, value, "tenant payload") };
    case "stack":
      return { kind, variant, ...form, payload: parseWith(stackPayload, value, "stack payload") };
    case "inventory":
      // The 0.1 inventories had a `scope`; they have no successor and release nothing.
      if (isRecord(t) && "scope" in t) return { kind: "legacy", variant, ...form, payload: { t, i: { kind: "inventory" } } };
      return { kind, variant, ...form, payload: parseWith(inventoryPayload, value, "inventory payload") };
    case "access-request":
      return { kind, variant, ...form, payload: parseWith(accessRequestPayload, value, "access request payload") };
    case "customer":
    case "user":
      return { kind: "legacy", variant, ...form, payload: { t, i: { kind } } };
    default:
      throw payloadError(`i.kind is ${JSON.stringify(kind ?? null)}; expected "tenant", "access-request", "stack" or "inventory"`);
  }
}

/**
 * Reads the manifest the stack wrote at synth (`DIMENSIONS_MANIFEST`) and proves it belongs to the
 * configuration being applied: its sha256 must equal `DIMENSIONS_MANIFEST_DIGEST`, which the
 * synth rendered into every provisioner. A synth with errors renders no digest (cdktf still
 * writes its Terraform JSON when told to continue past errors, but not our manifest).
 */
export function readManifest(file: string | undefined, expectedDigest: string | undefined): Manifest {
  const hint = `re-run "cdktf synth" (or "cdktf deploy") so the stack's ${MANIFEST_FILE} is written beside its Terraform JSON, then apply again`;
  if (!file) throw new HandlerError("ManifestMissing", `${ENV.manifest} is not set`, { hint });
  if (expectedDigest === SYNTH_FAILED_DIGEST) {
    throw new HandlerError("SynthFailed", "this configuration was synthesized with errors (forced past them with CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS); nothing is sent", {
      hint: "fix the errors cdktf synth reports and synthesize again; a configuration with errors would release what it fails to declare",
    });
  }
  // The warm handler of a run checks the same file for every customer: hashing a 10,000-user
  // manifest for each was a visible share of its CPU. The file that was hashed, unchanged since
  // (same inode, size and nanosecond mtime), has that digest still.
  const identity = fileIdentity(file);
  if (identity && lastManifest && lastManifest.identity === identity && lastManifest.digest === expectedDigest) return lastManifest.manifest;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new HandlerError("ManifestMissing", `cannot read the manifest ${file} (${code})`, { hint });
  }
  if (!expectedDigest) throw new HandlerError("ManifestMismatch", `${ENV.manifestDigest} is not set, so the manifest cannot be matched to the configuration`, { hint });
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== expectedDigest) {
    throw new HandlerError("ManifestMismatch", `the manifest ${file} does not belong to the configuration being applied (digest ${digest.slice(0, 12)}…, expected ${expectedDigest.slice(0, 12)}…); nothing is sent`, { hint });
  }
  // The warm handler of a run reads the same manifest for every customer: the same bytes (the
  // digest just checked) parse to the same manifest, so they are parsed once per process.
  if (lastManifest?.digest === digest) {
    lastManifest = { ...lastManifest, identity };
    return lastManifest.manifest;
  }
  // A UTF-8 byte-order mark (an editor's) is not part of the JSON.
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HandlerError("ManifestInvalid", `the manifest ${file} is not JSON`, { hint });
  }
  const odd = oddShape(raw);
  if (odd) throw new HandlerError("ManifestInvalid", `the manifest ${file} ${odd}`, { hint });
  const mismatch = (issues: string) =>
    new HandlerError("ManifestInvalid", `the manifest ${file} does not match this handler: ${issues}`, {
      hint: "synthesize and apply with the same version of cdktf-dimensions",
    });
  const envelope = manifestEnvelope.safeParse(raw);
  if (!envelope.success) throw mismatch(describeIssues(envelope.error));
  const manifest = { ...envelope.data, objects: lazilyParsed(envelope.data.objects, mismatch) };
  lastManifest = { digest, manifest, identity };
  return manifest;
}

let lastManifest: { readonly digest: string; readonly manifest: Manifest; readonly identity: string | undefined } | undefined;

function fileIdentity(file: string): string | undefined {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/** The manifest without its entries: checked at start (a version mismatch fails at once). */
const manifestEnvelope = manifestSchema.extend({ objects: z.record(z.string(), z.unknown()) });

/**
 * The manifest's entries, each parsed the first time it is read: most runs read one entry of a
 * manifest that holds every customer of the stack.
 */
function lazilyParsed(raw: Record<string, unknown>, mismatch: (issues: string) => HandlerError): Manifest["objects"] {
  const parsed = new Map<string, Manifest["objects"][string]>();
  return new Proxy(raw, {
    get(target, key) {
      if (typeof key !== "string" || !Object.hasOwn(target, key)) return undefined;
      let entry = parsed.get(key);
      if (entry === undefined) {
        const result = objectPayload.safeParse(stripNulls(target[key]));
        if (!result.success) throw mismatch(`entry "${key}": ${describeIssues(result.error)}`);
        entry = result.data;
        parsed.set(key, entry);
      }
      return entry;
    },
  }) as Manifest["objects"];
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw payloadError(`${what} does not match the contract: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function unwrapString(value: unknown, name: string): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw payloadError(`${name} is a string that does not hold JSON`);
  }
}

/**
 * What makes decoded JSON unsafe for the recursive steps after it (stripNulls, zod): nesting deeper
 * than MAX_JSON_DEPTH, or a `__proto__` key (copied with `out[key] = …` it would replace a
 * prototype instead of keeping an entry). Walks iteratively; undefined when the value is fine.
 */
function oddShape(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= MAX_JSON_DEPTH) return `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`;
    if (!Array.isArray(current) && Object.hasOwn(current, "__proto__")) return 'holds the key "__proto__"';
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

/**
 * Terraform renders an unset optional attribute as null where the manifest leaves it out; the
 * contract's optional fields accept only "absent", so nulls are dropped before parsing (and
 * before comparing payloads).
 */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = stripNulls(v);
    return out;
  }
  return value;
}

/** `t.roles: expected array, received string; i.kind: …` — paths and expectations, never values. */
export function describeIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join(".") : "(root)";
    return `${where}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : "";
  return issues.join("; ") + more;
}

function payloadError(message: string): HandlerError {
  return new HandlerError("PayloadInvalid", message, {
    hint: "the payload is rendered by the Dimensions constructs; synthesize and apply with the same version of cdktf-dimensions",
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
