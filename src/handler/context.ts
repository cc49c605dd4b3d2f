/**
 * What every operation function receives: its dependencies as arguments, so tests pass an
 * in-memory API, a fake clock and a recording reporter.
 */
import type { DimensionsApi } from "../client/types";
import type { Manifest } from "../contracts/handler";
import type { Reporter } from "./report";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface HandlerDeps {
  readonly api: DimensionsApi;
  /** The desired-state manifest of the current synth. */
  readonly manifest: Manifest;
  readonly report: Reporter;
  readonly clock: Clock;
  /** Where the Kazoo API key variables (C4) are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** How long the last-admin guard waits for a successor admin's grant (H1). */
  readonly adminWaitSeconds: number;
  /** @default "terraform_data" */
  readonly variant?: "terraform_data" | "null_resource";
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

export function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

export function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** `[a, b, c]` for log lines. */
export function list(values: Iterable<string>): string {
  return `[${sorted(values).join(", ")}]`;
}

/**
 * Whether a destroy provisioner's old payload and the manifest's entry for its key describe the
 * same object, i.e. this is a real destroy, not a replacement. With terraform_data only `t`
 * (triggers_replace) can replace a resource; `i` (input) changes in place, so a destroy that sees
 * the same `t` is a destroy whatever `i` says — `terraform destroy` after an unapplied change of a
 * removal policy must still release. null_resource's triggers hold `i` too: there a changed `i`
 * alone is a replacement.
 */
export function sameObject(entry: { readonly t: unknown; readonly i: unknown }, old: { readonly t: unknown; readonly i: unknown }, variant: HandlerDeps["variant"]): boolean {
  return variant === "null_resource" ? canonicalEqual(entry, old) : canonicalEqual(entry.t, old.t);
}
