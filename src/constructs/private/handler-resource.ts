/**
 * Renders one handler resource (contract: contracts/handler): `terraform_data` with
 * `triggers_replace = { t, i }`, or `null_resource` with `triggers = { t, i }`, `t` and `i` as
 * canonical JSON text;
 * plus the create-time `apply` and destroy-time `release` local-exec provisioners.
 */
import { gzipSync } from "node:zlib";
import type { Construct } from "constructs";
import {
  accessRequestKey,
  canonicalJson,
  customerKey,
  desiredDigest,
  doneFileName,
  ENV,
  MANIFEST_FILE,
  MARKER_DIR,
  markerStem,
  PAYLOAD_CHUNK_CHARS,
  PAYLOAD_CHUNKS,
  payloadChunkVar,
  type RenderedPayload,
} from "../../contracts/handler";
import {
  anyToHclTerraform,
  anyToTerraform,
  hashMapper,
  hashMapperHcl,
  Lazy,
  NullResource,
  TerraformResource,
  Token,
  type IResolvable,
  type IResolveContext,
  type LocalExecProvisioner,
} from "../../framework";

export type ResourceTypeValue = "terraform_data" | "null_resource";

/** Terraform expression of the stack directory; a destroy provisioner may use only self and path.*. */
const MODULE_DIR = "${abspath(path.module)}";

/**
 * Literal strings in Terraform JSON are templates: `${` and `%{` in a customer's name would be
 * evaluated. Doubling them makes Terraform store the text as written.
 */
export function escapeTemplates<T>(value: T): T {
  // Replacement functions, not strings: "$$" in a replacement string means one "$".
  if (typeof value === "string") return value.replace(/([$%])\{/g, (_m, sigil: string) => `${sigil}${sigil}{`) as T;
  if (Array.isArray(value)) return value.map((v) => escapeTemplates(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeTemplates(v)])) as T;
  }
  return value;
}

export interface HandlerResourceOptions {
  readonly resourceType: ResourceTypeValue;
  /** Path of the handler asset relative to the stack directory (TerraformAsset.path). */
  readonly handlerAssetPath: string;
  /** Path of forward.sh (TerraformAsset.path), when shipped: tenant creates go through it. */
  readonly forwarderAssetPath?: string;
  /** Produces the payload at synth (resolved: no unresolved tokens inside). */
  readonly payload: () => RenderedPayload;
  /** The sha256 of the stack's manifest as this synth writes it (or SYNTH_FAILED_DIGEST). */
  readonly manifestDigest: string;
}

/**
 * The provisioners' environment. One environment value is limited to 128 KiB on Linux, and a
 * customer of thousands of users is larger than that even compressed: the payload is split over up
 * to PAYLOAD_CHUNKS values. Each `substr(base64gzip(…))` is evaluated by every plan, so only as many
 * as this payload needs (with room for a state 8 times larger: the destroy provisioner decodes the
 * OLD state with the CURRENT configuration's expressions) are expressions; the rest are "". The
 * digest ties every run to the manifest this synth wrote (a destroy provisioner may reference only
 * self and path.*, but literals are fine).
 */
export function provisioners(
  resourceType: ResourceTypeValue,
  handlerAssetPath: string,
  manifestDigest: string,
  chunksNeeded: () => number = () => PAYLOAD_CHUNKS,
  applyCommand?: (node: string) => string,
  objectKey?: string,
): LocalExecProvisioner[] {
  const encoded =
    resourceType === "terraform_data"
      ? "base64gzip(jsonencode({ t = self.triggers_replace, i = self.input }))"
      : "base64gzip(jsonencode({ t = self.triggers.t, i = self.triggers.i }))";
  const environment: Record<string, string> = {
    [ENV.manifest]: `${MODULE_DIR}/${MANIFEST_FILE}`,
    [ENV.manifestDigest]: manifestDigest,
  };
  for (let i = 0; i < PAYLOAD_CHUNKS; i++) {
    const expression = `\${substr(${encoded}, ${i * PAYLOAD_CHUNK_CHARS}, ${PAYLOAD_CHUNK_CHARS})}`;
    environment[payloadChunkVar(i)] = i === 0 ? expression : Lazy.stringValue({ produce: (context) => (!context.preparing && i < chunksNeeded() ? expression : "") });
  }
  // The command names the CURRENT asset (a path kept in state breaks once a re-synth deletes the
  // old asset folder); the data comes from self.
  const handler = `${MODULE_DIR}/${handlerAssetPath}`;
  // An object the manifest lists (a customer, an access request) is created from the manifest's
  // entry: the create needs only its key, and skips the payload expressions every plan and apply
  // would otherwise evaluate. A destroy needs its OLD state, which only self holds.
  const applyEnvironment = objectKey ? { [ENV.manifest]: environment[ENV.manifest], [ENV.manifestDigest]: manifestDigest, [ENV.objectKey]: objectKey } : environment;
  return [
    { type: "local-exec", command: applyCommand ? applyCommand(`node "${handler}" apply`) : `node "${handler}" apply`, environment: applyEnvironment },
    { type: "local-exec", when: "destroy", command: `node "${handler}" release`, environment },
  ];
}

/**
 * A value computed at synth, like cdktf's Lazy.anyValue but without recording a full stack trace
 * when it is created: six per resource made that the largest cost of constructing thousands of
 * users.
 */
class Produced implements IResolvable {
  public readonly creationStack: string[] = [];
  constructor(
    private readonly produce: () => unknown,
    private readonly whilePreparing: unknown = {},
  ) {}
  public resolve(context: IResolveContext): unknown {
    // cdktf resolves every element once "preparing", before Aspects run (so before the synth
    // checks and their per-synth memo): computing a payload then would fold the whole app's
    // grants once per resource. Nothing reads the preparing result.
    if (context.preparing) return this.whilePreparing;
    return this.produce();
  }
  public toString(): string {
    return Token.asString(this);
  }
}

/**
 * A tenant's create command: when the release just before it in the same run took the tenant to
 * exactly this desired state, it left a "done" file (contracts doneFileName); the shell finds it,
 * removes it with the marker, and no handler process starts. Otherwise the handler runs.
 */
function skipWhenDone(payload: () => RenderedPayload, node: string, handlerAssetPath: string, forwarderAssetPath: string | undefined): string {
  return Lazy.stringValue({
    produce: (context) => {
      const p = context.preparing ? undefined : payload();
      if (!p || p.i.kind !== "tenant") return node;
      const key = customerKey((p.t as { customer: { reference: string } }).customer.reference);
      const dir = `${MODULE_DIR}/${MARKER_DIR}`;
      const done = `${dir}/${doneFileName(key, desiredDigest(p.t))}`;
      // Sourced, not run: this shell is terraform's own child, which finds the run's warm handler
      // by $PPID, and no second shell starts (see forward.sh on what each process costs).
      const run = forwarderAssetPath ? `{ set -- "${MODULE_DIR}/${handlerAssetPath}"; . "${MODULE_DIR}/${forwarderAssetPath}"; }` : node;
      return `test -f "${done}" && rm -f "${done}" "${dir}/${markerStem(key)}.json" || ${run}`;
    },
  });
}

function keyOf(p: RenderedPayload): string {
  return p.i.kind === "tenant" ? customerKey((p.t as { customer: { reference: string } }).customer.reference) : accessRequestKey((p.t as { name: string }).name);
}

const envCharsMemo = new WeakMap<RenderedPayload, number>();

/**
 * The characters this payload takes in the destroy provisioner's environment once applied: base64
 * of gzip of `jsonencode({ t = self.triggers_replace, i = self.input })`, as terraform renders it
 * (node's gzip, at zlib's default level as Go's: the same size give or take a few bytes).
 */
export function payloadEnvChars(payload: RenderedPayload): number {
  const memo = envCharsMemo.get(payload);
  if (memo !== undefined) return memo;
  const state = { i: null, t: { i: canonicalJson(payload.i), t: canonicalJson(payload.t) } };
  const chars = Math.ceil(gzipSync(JSON.stringify(state)).length / 3) * 4;
  envCharsMemo.set(payload, chars);
  return chars;
}

/** What the destroy provisioner's environment can carry: PAYLOAD_CHUNKS values of PAYLOAD_CHUNK_CHARS. */
export const PAYLOAD_ENV_CAPACITY = PAYLOAD_CHUNKS * PAYLOAD_CHUNK_CHARS;

/** Chunks of PAYLOAD_CHUNK_CHARS for a state 8 times the size of this payload (at least 2). */
function chunksFor(payload: RenderedPayload): number {
  return Math.min(PAYLOAD_CHUNKS, Math.max(2, Math.ceil((8 * payloadEnvChars(payload)) / PAYLOAD_CHUNK_CHARS)));
}

export function createHandlerResource(scope: Construct, id: string, options: HandlerResourceOptions): TerraformResource {
  const { payload, resourceType } = options;
  // Which kind of resource this is is known when the construct is created; its key only at synth.
  const kind = payload().i.kind;
  const objectKey = kind === "tenant" || kind === "access-request" ? Lazy.stringValue({ produce: (context) => (context.preparing ? "" : keyOf(payload())) }) : undefined;
  const provisioner = provisioners(resourceType, options.handlerAssetPath, options.manifestDigest, () => chunksFor(payload()), (node) => skipWhenDone(payload, node, options.handlerAssetPath, options.forwarderAssetPath), objectKey);
  // `t` and `i` as JSON text, for both resource types. Terraform stores the type of every nested
  // value beside it and rewrites (local backend) or snapshots the whole state as the apply goes:
  // as objects, a 200 × 50-user rollout kept 2.3 MB of state and cost terraform alone 7.1 s and
  // 9.0 s of CPU; as text, 1.1 MB, 5.0 s and 6.1 s. A plan still shows a JSON string's diff as
  // `jsonencode(…)` with one line per user that changed and the rest hidden. Canonical JSON
  // (sorted keys): the text depends only on the desired state, never on declaration order.
  const text = (part: "t" | "i") => new Produced(() => escapeTemplates(canonicalJson(payload()[part])), "");
  if (resourceType === "null_resource") {
    return new NullResource(scope, id, { triggers: { t: Token.asString(text("t")), i: Token.asString(text("i")) }, provisioners: provisioner });
  }
  // Everything in triggers_replace, nothing in input: terraform_data mirrors input into `output`,
  // which a plan of a replacement prints whole as "known after apply" (and state holds twice).
  return new HandlerData(scope, id, { triggersReplace: { t: text("t"), i: text("i") }, provisioners: provisioner });
}

/**
 * Terraform's built-in `terraform_data`, rendered as cdktf's DataResource renders it, without
 * DataResource's per-resource validation: that runs `terraform version` in a child process for
 * every resource at synth (about 64 ms each: five minutes for 5,000 users). DimensionsStack checks
 * the Terraform version once per stack instead.
 */
class HandlerData extends TerraformResource {
  private readonly triggersReplace: Record<string, unknown>;

  constructor(scope: Construct, id: string, config: { triggersReplace: Record<string, unknown>; provisioners: LocalExecProvisioner[] }) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      provisioners: config.provisioners,
    });
    this.triggersReplace = config.triggersReplace;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { triggers_replace: hashMapper(anyToTerraform)(this.triggersReplace) };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { triggers_replace: hashMapperHcl(anyToHclTerraform)(this.triggersReplace) };
  }
}
