/**
 * What every operation function receives: its dependencies as arguments, so tests pass an
 * in-memory API, a fake clock, a recording reporter and an in-memory marker store.
 */
import { createHash } from "node:crypto";
import type { DimensionsApi } from "../client/types";
import { canonicalJson, type Manifest } from "../contracts/handler";
import type { MarkerStore } from "./markers";
import type { Reporter } from "./report";
import type { SentLog } from "./sent-log";
import type { RunKind } from "./terraform-run";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface HandlerDeps {
  readonly api: DimensionsApi;
  /** The desired-state manifest of the current synth (its digest already checked). */
  readonly manifest: Manifest;
  readonly report: Reporter;
  readonly clock: Clock;
  /** Where the Kazoo API key variables (C4) are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** What releases leave for the step after them (src/handler/markers.ts). */
  readonly markers: MarkerStore;
  /** E-mails an unfinished change already sent (src/handler/sent-log.ts). @default - no guard: a re-run sends again */
  readonly sent?: SentLog;
  /** Requests kept in flight at once by this process. */
  readonly concurrency: number;
  /** @default "terraform_data" */
  readonly variant?: "terraform_data" | "null_resource";
  /** The payload's old state was written before t and i were JSON text (handler/payload objectForm). */
  readonly objectForm?: boolean;
  /** Whether the terraform of this run destroys or applies (handler/terraform-run). @default - "unknown": the markers decide */
  readonly runKind?: () => RunKind;
  /** The stack's synth directory (beside the manifest), where terraform runs. */
  readonly stackDir?: string;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** `customer ACME-001` */
export function customerSubject(reference: string): string {
  return `customer ${reference}`;
}

/** `user ana@acme.test (ACME-001)` */
export function userSubject(customerReference: string, email: string): string {
  return `user ${email} (${customerReference})`;
}

/** Requests sent since `start` (a snapshot of api.requestCount). */
export function meter(api: DimensionsApi): () => number {
  const start = api.requestCount;
  return () => api.requestCount - start;
}

/**
 * Deep equality that ignores key order and treats null like an absent key: the payload in state
 * was rendered by Terraform's jsonencode, the manifest's by the synth, and only their meaning counts.
 */
export function canonicalEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => canonicalEqual(v, b[i]));
  }
  if (typeof a === "object" && typeof b === "object") {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    for (const k of keys) if (!canonicalEqual(ra[k], rb[k])) return false;
    return true;
  }
  return false;
}

export { canonicalJson };

/** A digest of a value's meaning (key order and nulls ignored), for markers. */
export function canonicalDigest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** Whether the release's old `t` and the manifest's describe the same desired state. */
export function sameDesired(entry: { readonly t: unknown; readonly i: unknown }, old: { readonly t: unknown; readonly i: unknown }): boolean {
  // Both resource types hold i in what replaces them (triggers_replace, triggers): a changed i
  // alone (a removal policy, the stack's settings) is a change, not a -replace. It must not be
  // taken for one: the create would then converge every declared user, one read each.
  return canonicalEqual(entry, old);
}

export function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** `[a, b, c]` for log lines. */
export function list(values: Iterable<string>): string {
  return `[${sorted(values).join(", ")}]`;
}
