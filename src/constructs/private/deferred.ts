/**
 * Warnings a constructor finds (e.g. UnresolvedValue) are not annotated at once: the synth-time
 * Aspect reports them with every other finding, so an acknowledgement added after the construct
 * (on it or any ancestor) still covers them.
 */
import type { IConstruct } from "constructs";
import type { Finding } from "../../validation/rules";

const pending = new WeakMap<IConstruct, Finding[]>();

export function deferFinding(construct: IConstruct, f: Finding): void {
  pending.set(construct, [...(pending.get(construct) ?? []), f]);
}

/** Deferred findings of every construct under `root`, in tree order. */
export function deferredFindings(root: IConstruct): Array<{ construct: IConstruct; finding: Finding }> {
  return root.node.findAll().flatMap((construct) => (pending.get(construct) ?? []).map((f) => ({ construct, finding: f })));
}
