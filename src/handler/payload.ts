/**
 * The handler's boundary: argv, environment, payload and manifest, each parsed once with the
 * contract's zod schemas. Everything after this module works on typed values.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import {
  accessRequestPayload,
  customerPayload,
  ENV,
  HANDLER_OPERATIONS,
  inventoryPayload,
  manifest as manifestSchema,
  MANIFEST_FILE,
  objectPayload,
  userPayload,
  type AccessRequestPayload,
  type CustomerPayload,
  type HandlerOperation,
  type InventoryPayload,
  type Manifest,
  type UserPayload,
} from "../contracts/handler";
import { HandlerError } from "./errors";

export type Payload = (
  | { readonly kind: "customer"; readonly payload: CustomerPayload }
  | { readonly kind: "user"; readonly payload: UserPayload }
  | { readonly kind: "inventory"; readonly payload: InventoryPayload }
  | { readonly kind: "access-request"; readonly payload: AccessRequestPayload }
) & {
  /** Which resource type ran the handler: null_resource's triggers hold t and i as JSON strings. */
  readonly variant?: ResourceVariant;
};

export type ResourceVariant = "terraform_data" | "null_resource";

export const DEFAULT_ADMIN_WAIT_SECONDS = 120;

export function parseOperation(argv: readonly string[]): HandlerOperation {
  const op = argv[0];
  if (argv.length === 1 && (HANDLER_OPERATIONS as readonly string[]).includes(op ?? "")) return op as HandlerOperation;
  throw new HandlerError("UsageInvalid", `expected one argument, ${HANDLER_OPERATIONS.join(" or ")}; got ${argv.length ? argv.map((a) => JSON.stringify(a)).join(" ") : "none"}`, {
    hint: "the handler is run by the provisioners the Dimensions constructs render: node handler.cjs apply|release",
  });
}

const runtimeEnv = z.object({
  [ENV.adminWaitSeconds]: z.coerce.number().int().min(0).max(3600).optional(),
  [ENV.logLevel]: z.enum(["info", "debug"]).optional(),
});

export interface RuntimeSettings {
  readonly adminWaitSeconds: number;
  readonly logLevel: "info" | "debug";
}

export function parseRuntimeEnv(env: NodeJS.ProcessEnv): RuntimeSettings {
  const raw = {
    [ENV.adminWaitSeconds]: env[ENV.adminWaitSeconds] || undefined,
    [ENV.logLevel]: env[ENV.logLevel] || undefined,
  };
  const parsed = runtimeEnv.safeParse(raw);
  if (!parsed.success) {
    throw new HandlerError("EnvInvalid", describeIssues(parsed.error), {
      hint: `${ENV.adminWaitSeconds} is a whole number of seconds (0–3600); ${ENV.logLevel} is "info" or "debug"`,
    });
  }
  return {
    adminWaitSeconds: parsed.data[ENV.adminWaitSeconds] ?? DEFAULT_ADMIN_WAIT_SECONDS,
    logLevel: parsed.data[ENV.logLevel] ?? "info",
  };
}

/** Decodes `DIMENSIONS_PAYLOAD` (base64 of gzip of JSON `{t, i}`) and parses it by its `i.kind`. */
export function decodePayload(encoded: string | undefined): Payload {
  if (!encoded) throw payloadError(`${ENV.payload} is not set or empty`);
  let json: string;
  try {
    const bytes = Buffer.from(encoded.trim(), "base64");
    json = gunzipSync(bytes).toString("utf8");
  } catch (e) {
    throw payloadError(`${ENV.payload} is not base64 of gzip data (${(e as Error).message})`);
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
  const t = unwrapString(raw.t, "t");
  const i = unwrapString(raw.i, "i");
  const value = stripNulls({ t, i });
  const kind = isRecord(i) ? i.kind : undefined;
  switch (kind) {
    case "customer":
      return { kind, variant, payload: parseWith(customerPayload, value, "customer payload") };
    case "user":
      return { kind, variant, payload: parseWith(userPayload, value, "user payload") };
    case "inventory":
      return { kind, variant, payload: parseWith(inventoryPayload, value, "inventory payload") };
    case "access-request":
      return { kind, variant, payload: parseWith(accessRequestPayload, value, "access request payload") };
    default:
      throw payloadError(`i.kind is ${JSON.stringify(kind ?? null)}; expected "customer", "user", "access-request" or "inventory"`);
  }
}

/** Reads the manifest the stack wrote at synth (`DIMENSIONS_MANIFEST`). */
export function readManifest(file: string | undefined): Manifest {
  const hint = `re-run "cdktf synth" (or "cdktf deploy") so the stack's ${MANIFEST_FILE} is written beside its Terraform JSON, then apply again`;
  if (!file) throw new HandlerError("ManifestMissing", `${ENV.manifest} is not set`, { hint });
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new HandlerError("ManifestMissing", `cannot read the manifest ${file} (${code})`, { hint });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HandlerError("ManifestInvalid", `the manifest ${file} is not JSON`, { hint });
  }
  const mismatch = (issues: string) =>
    new HandlerError("ManifestInvalid", `the manifest ${file} does not match this handler: ${issues}`, {
      hint: "synthesize and apply with the same version of cdktf-dimensions",
    });
  const envelope = manifestEnvelope.safeParse(raw);
  if (!envelope.success) throw mismatch(describeIssues(envelope.error));
  return { ...envelope.data, objects: lazilyParsed(envelope.data.objects, mismatch) };
}

/** The manifest without its entries: checked at start (a version mismatch fails at once). */
const manifestEnvelope = manifestSchema.extend({ objects: z.record(z.string(), z.unknown()) });

/**
 * The manifest's entries, each parsed the first time it is read. Every resource runs the handler
 * once, and most runs read one or two entries: parsing all of them each time cost about 100 ms
 * per run for 5,000 users (minutes of CPU over one apply).
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
