/**
 * What a constructor finds in its own props (errors and warnings alike) is not thrown nor annotated
 * at once: it is recorded on the construct, and the synth-time Aspect reports it with every other
 * finding of the app — all at once, in one format, and after every acknowledgement exists (one
 * added after the construct, on it or any ancestor, still covers a warning).
 */
import type { IConstruct } from "constructs";
import type { Finding } from "../../validation/rules";

const pending = new WeakMap<IConstruct, Finding[]>();

export function deferFinding(construct: IConstruct, f: Finding): void {
  pending.set(construct, [...(pending.get(construct) ?? []), f]);
}

/** Records every finding on the construct; true when one of them is an error. */
export function deferFindings(construct: IConstruct, findings: readonly Finding[]): boolean {
  for (const f of findings) deferFinding(construct, f);
  return findings.some((f) => f.level === "error");
}

/** Deferred findings of every construct under `root` (itself included), in tree order. */
export function deferredFindings(root: IConstruct): Array<{ construct: IConstruct; finding: Finding }> {
  return root.node.findAll().flatMap((construct) => (pending.get(construct) ?? []).map((f) => ({ construct, finding: f })));
}
