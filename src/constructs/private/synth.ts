/**
 * What happens at synth, once every construct exists: the domain rules (an Aspect turns the
 * findings of the pure `validateModel` into annotations, so `app.synth()` and `cdktf synth` fail),
 * U5 ordering (`depends_on`), the create_before_destroy guard, and the manifest file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Construct, type IConstruct } from "constructs";
import { desiredDigest, MANIFEST_FILE, MANIFEST_VERSION, type RenderedManifest } from "../../contracts/handler";
import { AnnotationMetadataEntryType, dependable, TerraformStack, type IAspect, type ISynthesisSession } from "../../framework";
import { validateModel } from "../../validation/model";
import { finding, formatFinding, type Finding } from "../../validation/rules";
import {
  describeAcknowledged,
  expiredFinding,
  findAcknowledgement,
  isExpired,
  isIsoDate,
  TODAY_CONTEXT_KEY,
  type PlacedAcknowledgement,
} from "../../validation/acknowledgements";
import { Acknowledgements } from "../acknowledgements";
import { stateBackendFindings } from "./backend-checks";
import { deferredFindings } from "./deferred";
import { accessFindings } from "./access-synth";
import { stackStateOf, type StackState } from "./internals";
import { resolveTokens } from "./tokens";
import { customersOf, manifestObjects, tenantPayload } from "./payloads";
import { PAYLOAD_ENV_CAPACITY, payloadEnvChars } from "./handler-resource";
import { buildModel } from "./model";

const reported = new WeakMap<IConstruct, Set<string>>();

/**
 * Adds a finding as an annotation once, however often the checks run (one run per stack synth).
 * An acknowledged finding becomes an info annotation naming the acknowledgement: it no longer
 * fails or warns, and stays visible (cdktf's manifest.json and the stack's findings file).
 */
export function report(construct: IConstruct, f: Finding, acknowledgement?: PlacedAcknowledgement): void {
  const level = acknowledgement ? "info" : f.level;
  const text = acknowledgement ? describeAcknowledged(f, acknowledgement) : formatFinding(f);
  const seen = reported.get(construct) ?? new Set<string>();
  if (seen.has(`${level}:${text}`)) return;
  seen.add(`${level}:${text}`);
  reported.set(construct, seen);
  // No stack trace: it would point into this library, not at the declaration; the path does.
  const type = level === "error" ? AnnotationMetadataEntryType.ERROR : level === "warning" ? AnnotationMetadataEntryType.WARN : AnnotationMetadataEntryType.INFO;
  construct.node.addMetadata(type, text, { stackTrace: false });
}

/** The app's first DimensionsStack, where findings about no stack (the App, the context) go. */
function firstDimensionsStack(root: IConstruct): IConstruct | undefined {
  return root.node.findAll().find((n) => stackStateOf(n) !== undefined);
}

/** Whether the construct is in a TerraformStack (its annotations are collected with that stack's). */
function inStack(construct: IConstruct): boolean {
  return construct.node.scopes.some((s) => TerraformStack.isStack(s));
}

/** One line of `dimensions.findings.json`. */
export interface FindingRecord extends Finding {
  /** Present when an acknowledgement covers the finding: it then neither fails nor warns. */
  readonly acknowledged?: { readonly scope: string; readonly reason: string; readonly expires?: string; readonly code?: string; readonly rule?: string };
}

/** The findings of each stack's last check, for the findings file. */
const stackFindings = new WeakMap<StackState, FindingRecord[]>();

function recordOf(f: Finding, ack: PlacedAcknowledgement | undefined): FindingRecord {
  if (!ack) return { ...f };
  const { reason, expires, code, rule } = ack.spec;
  return {
    ...f,
    acknowledged: { scope: ack.scopePath, reason, ...(expires !== undefined ? { expires } : {}), ...(code !== undefined ? { code } : {}), ...(rule !== undefined ? { rule } : {}) },
  };
}

function within(path: string, ancestor: string): boolean {
  return ancestor === "" || path === ancestor || path.startsWith(`${ancestor}/`);
}

/** The real date, read once per app (so every stack of one synth agrees), as YYYY-MM-DD in UTC. */
const clockToday = new WeakMap<IConstruct, string>();

/**
 * "Today" for acknowledgement expiry: the context value `dimensions:today` (YYYY-MM-DD) when set —
 * deterministic synths, tests, replaying an old commit — otherwise the real date, read once per
 * app here in the construct layer (validation itself never reads the clock).
 */
export function todayOf(scope: IConstruct): { today: string; problem?: Finding } {
  const root = scope.node.root;
  const pinned: unknown = scope.node.tryGetContext(TODAY_CONTEXT_KEY);
  if (pinned !== undefined) {
    if (isIsoDate(pinned)) return { today: pinned };
    const problem = finding("AcknowledgementInvalid", scope.node.path, `context "${TODAY_CONTEXT_KEY}" is ${JSON.stringify(pinned)}, not an ISO date`, `set "${TODAY_CONTEXT_KEY}" to a date like "2025-06-30", or remove it to use today's date`);
    return { today: "9999-12-31", problem };
  }
  let today = clockToday.get(root);
  if (today === undefined) {
    today = new Date().toISOString().slice(0, 10);
    clockToday.set(root, today);
  }
  return { today };
}

/**
 * Every tenant resource depends on the stack resource, so Terraform creates that first and
 * destroys it last (its release is what tells a destroy from a replacement). U5 needs no
 * dependency: one process applies a customer's users, its admins first.
 */
function wiresDependencies(stack: StackState): void {
  if (!stack.stackResource) return;
  for (const customer of customersOf(stack)) {
    if (customer.resource) customer.resource.dependsOn = [dependable(stack.stackResource)];
  }
}

type Json = Record<string, unknown>;

/** create_before_destroy skips the destroy provisioner of the replaced object: never allowed. */
function checkLifecycle(stack: StackState, records: FindingRecord[]): void {
  for (const resource of stack.handlerResources) {
    const rendered = resource.toTerraform() as { resource?: Record<string, Record<string, Json>> };
    const blocks = Object.values(rendered.resource ?? {}).flatMap((byName) => Object.values(byName));
    const viaOverride = blocks.some((b) => (b.lifecycle as Json | undefined)?.create_before_destroy === true);
    if (viaOverride || resource.lifecycle?.createBeforeDestroy === true) {
      const f = finding(
        "CreateBeforeDestroyForbidden",
        resource.node.path,
        `${resource.terraformResourceType} "${resource.node.path}" has lifecycle.create_before_destroy = true: the destroy provisioner of a replaced object would not run`,
        "remove create_before_destroy from this resource (an escape hatch or lifecycle setting)",
      );
      report(resource, f);
      records.push(recordOf(f, undefined));
    }
  }
}

/**
 * A customer's create reads its desired state from the manifest, whatever its size; every later
 * change, replacement or destroy passes the state terraform kept through the destroy
 * provisioner's environment, which holds PAYLOAD_ENV_CAPACITY characters. A customer past that
 * would apply once and then fail every run after it (PayloadTooLarge), with nothing to undo it
 * but editing the state: refused here, before anything is sent. A margin covers the few bytes by
 * which terraform's gzip may differ from node's.
 */
function checkPayloadSizes(stack: StackState, records: FindingRecord[]): void {
  const limit = Math.floor(PAYLOAD_ENV_CAPACITY * 0.95);
  for (const customer of customersOf(stack)) {
    const payload = tenantPayload(customer);
    const chars = payloadEnvChars(payload);
    if (chars <= limit) continue;
    const users = Object.keys(payload.t.users).length;
    const fits = Math.floor((users * limit * 0.9) / chars);
    const f = finding(
      "CustomerTooLarge",
      customer.construct.node.path,
      `customer "${customer.reference}" declares ${users} users in this stack: applied, its state would take ${chars} characters of the destroy provisioner's environment, more than the ${limit} it safely carries (95 % of ${PAYLOAD_ENV_CAPACITY}), so later changes, replacements or destroys of it could not run`,
      `declare at most about ${fits} of its users in one stack: split them over several stacks, with Customer.fromReference in each of the others`,
    );
    report(customer.construct, f);
    records.push(recordOf(f, undefined));
  }
}

/** The Aspect each DimensionsStack registers on itself; acts once, on the stack node. */
export class DimensionsSynthChecks implements IAspect {
  constructor(private readonly stack: StackState) {}

  public visit(node: IConstruct): void {
    if (node !== this.stack.construct) return;
    // The tree is final from here on: payloads computed from now on hold for this synth.
    this.stack.synthEpoch++;
    const root = node.node.root;
    const stackPath = node.node.path;
    const { model, byPath } = buildModel(root);
    const acknowledgements = Acknowledgements.collect(root);
    const { today, problem } = todayOf(node);
    const records: FindingRecord[] = [];
    // Findings about no stack (a wrong context value, an acknowledgement on the App) go on the
    // app's first DimensionsStack: once, wherever cdktf collects and prints annotations.
    const first = firstDimensionsStack(root) === node;
    if (problem && first) {
      report(node, problem);
      records.push(recordOf(problem, undefined));
    }

    // Every finding of the app is annotated (report() de-duplicates across the stacks' runs); the
    // stack's findings file keeps those under this stack.
    // cdktf prints them construct by construct, in tree order; on one construct, what its own
    // props say comes first.
    const found = [
      ...deferredFindings(root),
      ...validateModel(model).map((f) => ({ construct: byPath.get(f.path), finding: f })),
      // Tenant access requests (A2 names, A8 modes, customers of other stacks).
      ...accessFindings(root),
    ];
    for (const { construct, finding: f } of found) {
      if (!construct) continue;
      const ack = findAcknowledgement(f, acknowledgements, today);
      if (inStack(construct)) {
        report(construct, f, ack);
        if (within(f.path, stackPath)) records.push(recordOf(f, ack));
      } else if (first) {
        report(node, f, ack);
        records.push(recordOf(f, ack));
      }
    }

    // An expired acknowledgement fails the synth even when nothing matches it any more: someone
    // must review it. One on an ancestor of the stack (the App) is reported on the stack.
    for (const ack of acknowledgements) {
      if (!isExpired(ack.spec, today)) continue;
      const target = within(ack.scopePath, stackPath) ? ack.scope : within(stackPath, ack.scopePath) ? node : undefined;
      if (!target) continue;
      const f = expiredFinding(ack, target.node.path, today);
      report(target, f);
      records.push(recordOf(f, undefined));
    }

    // Where the stack's state lives (pg: no password in cdk.tf.json, one schema per stack).
    for (const f of stateBackendFindings(node as TerraformStack)) {
      const ack = findAcknowledgement(f, acknowledgements, today);
      report(node, f, ack);
      records.push(recordOf(f, ack));
    }

    wiresDependencies(this.stack);
    checkLifecycle(this.stack, records);
    checkPayloadSizes(this.stack, records);
    stackFindings.set(this.stack, records);
  }
}

/**
 * The last line of a failed synth's output. cdktf closes its list of errors by suggesting
 * CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS; here that only moves the failure to apply.
 */
export const FORCED_SYNTH_LINE =
  "dimensions: do not set CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS to get past these errors: a configuration synthesized with errors carries no manifest digest, every handler run refuses it (SynthFailed) and nothing is sent; fix the errors above";

/** Id of the construct that carries FORCED_SYNTH_LINE when cdktf goes on past errors (its CLI does). */
export const FORCED_SYNTH_CONSTRUCT_ID = "synth-failed";

/**
 * Makes FORCED_SYNTH_LINE the last line a user reads when a synth has errors, whichever way it runs:
 *
 * - `app.synth()` (a test, `tsx main.ts`): cdktf throws one Error listing the error annotations and
 *   ending with its advice; the line is appended to it, and its stack (frames inside cdktf and this
 *   library, which say nothing about the app) is left out;
 * - `cdktf synth` (which sets CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS and prints every
 *   annotation itself, each stack after the other) or a synth forced by the user: the app's last
 *   DimensionsStack annotates the line as its last error, on a construct added last.
 */
export function endFailedSynthsWithForcingLine(stack: TerraformStack): { afterCustomSynthesis: () => void } {
  const cdktf = stack.synthesizer;
  const continues =
    (cdktf as { continueOnErrorAnnotations?: unknown }).continueOnErrorAnnotations === true || process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS !== undefined;
  stack.synthesizer = {
    synthesize: (session: ISynthesisSession) => {
      try {
        cdktf.synthesize(session);
      } catch (e) {
        if (e instanceof Error && hasErrors(stack) && !e.message.includes(FORCED_SYNTH_LINE)) {
          e.message = `${e.message.trimEnd()}\n${FORCED_SYNTH_LINE}`;
          e.stack = `${e.name}: ${e.message}`;
        }
        throw e;
      }
    },
  };
  return {
    // Called by the stack's custom synthesis, which cdktf runs after every other one of the stack
    // (leaves first): every finding of this stack is annotated by then, and cdktf collects the
    // annotations next, in tree order.
    afterCustomSynthesis: () => {
      if (!continues) return;
      const root = stack.node.root;
      const last = root.node.findAll().filter((n) => stackStateOf(n) !== undefined).pop();
      if (last !== stack || !hasErrors(root) || stack.node.tryFindChild(FORCED_SYNTH_CONSTRUCT_ID)) return;
      new Construct(stack, FORCED_SYNTH_CONSTRUCT_ID).node.addMetadata(AnnotationMetadataEntryType.ERROR, FORCED_SYNTH_LINE, { stackTrace: false });
    },
  };
}

export function hasErrors(stack: IConstruct): boolean {
  return stack.node.findAll().some((n) => n.node.metadata.some((m) => m.type === AnnotationMetadataEntryType.ERROR));
}

/** Stable JSON: object keys sorted at every level, so the manifest is byte-identical across synths. */
export function stableStringify(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.keys(v as Json).sort().map((k) => [k, sort((v as Json)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2) + "\n";
}

export function buildManifest(stack: StackState, tfStack: TerraformStack): RenderedManifest {
  const objects = resolveTokens(tfStack, manifestObjects(stack));
  const digests = Object.fromEntries(Object.entries(objects).map(([key, payload]) => [key, desiredDigest(payload.t)]));
  return { version: MANIFEST_VERSION, stack: tfStack.node.id, objects, digests, settings: stack.settings };
}

/**
 * Writes `dimensions.manifest.json` beside the stack's Terraform JSON (the same directory
 * TerraformAsset uses). Skipped when the synth is failing, so an old cdk.tf.json is never paired
 * with a newer manifest.
 */
export function writeManifest(stack: StackState, tfStack: TerraformStack, session: ISynthesisSession): void {
  // Same directory as TerraformAsset's: <outdir>/stacks/<stack>, where cdk.tf.json goes.
  const dir = path.join(session.outdir, session.manifest.forStack(tfStack).workingDirectory);
  fs.mkdirSync(dir, { recursive: true });
  // Written even when the synth fails: that is when the list of findings is most wanted.
  fs.writeFileSync(path.join(dir, FINDINGS_FILE), stableStringify(buildFindingsFile(stack, tfStack)));
  if (hasErrors(tfStack)) return;
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), stableStringify(buildManifest(stack, tfStack)));
}

/** The audit file written beside `cdk.tf.json`: every finding of the stack, acknowledged or not. */
export const FINDINGS_FILE = "dimensions.findings.json";
export const FINDINGS_FILE_VERSION = 1;

export interface FindingsFile {
  readonly version: number;
  readonly stack: string;
  /** Sorted by path, then code: the same bytes for the same app. */
  readonly findings: readonly FindingRecord[];
  /** Every acknowledgement that applies to the stack (added on it, under it, or on an ancestor). */
  readonly acknowledgements: ReadonlyArray<{ readonly scope: string; readonly code?: string; readonly rule?: string; readonly reason: string; readonly expires?: string; readonly used: number }>;
}

export function buildFindingsFile(stack: StackState, tfStack: TerraformStack): FindingsFile {
  const stackPath = tfStack.node.path;
  const findings = [...(stackFindings.get(stack) ?? [])].sort((a, b) => (a.path === b.path ? a.code.localeCompare(b.code) : a.path < b.path ? -1 : 1));
  const acknowledgements = Acknowledgements.collect(tfStack.node.root)
    .filter((a) => within(a.scopePath, stackPath) || within(stackPath, a.scopePath))
    .map((a) => ({
      scope: a.scopePath,
      ...a.spec,
      used: findings.filter((f) => f.acknowledged?.scope === a.scopePath && f.acknowledged.reason === a.spec.reason && f.acknowledged.code === a.spec.code && f.acknowledged.rule === a.spec.rule).length,
    }));
  return { version: FINDINGS_FILE_VERSION, stack: tfStack.node.id, findings, acknowledgements };
}
