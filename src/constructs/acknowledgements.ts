import type { IConstruct } from "constructs";
import { checkAcknowledgement, type AcknowledgementSpec, type PlacedAcknowledgement } from "../validation/acknowledgements";
import type { RuleCode } from "../validation/rules";
import { deferFindings } from "./private/deferred";

const ACKNOWLEDGEMENTS = Symbol.for("cdktf-dimensions.Acknowledgements");

/** An acknowledgement with the construct it was added to. */
export interface ScopedAcknowledgement extends PlacedAcknowledgement {
  readonly scope: IConstruct;
}

/** One acknowledgement: which finding, why, and until when. */
export interface Acknowledgement extends AcknowledgementSpec {
  /**
   * The finding code, e.g. "AdminWithoutSupervisor" (docs/rules.md lists which codes can be
   * acknowledged). Exactly one of `code` and `rule`.
   * @default - every acknowledgeable code of `rule`
   */
  readonly code?: RuleCode;
  /**
   * A domain rule id, e.g. "U6": covers every acknowledgeable code of that rule.
   * @default - only `code`
   */
  readonly rule?: string;
  /** Why the finding is accepted: at least 10 characters, kept in the synthesized output for audit. */
  readonly reason: string;
  /**
   * Last day the acknowledgement holds (ISO date `YYYY-MM-DD`, inclusive, UTC). After it, the synth
   * fails with AcknowledgementExpired until someone reviews it. "Today" is the cdktf context value
   * `dimensions:today` when set, otherwise the real date, read once per app.
   * @default - never expires
   */
  readonly expires?: string;
}

/**
 * Acknowledgements of findings, like cdk-nag suppressions: a finding on a construct is
 * acknowledged by an acknowledgement added to that construct or to ANY of its ancestors (a
 * customer, the stack, the App). An acknowledged finding no longer fails the synth nor warns; it
 * stays visible for audit as an info annotation and in `dimensions.findings.json` beside
 * `cdk.tf.json`, with the reason and where it was acknowledged.
 *
 * Findings that would only move the failure to apply — the API refuses the change (U7, U8, U3, U4,
 * U13, C1, C6…) or a guard rail that protects data or access — can never be acknowledged: such an
 * `add()` fails the synth with AcknowledgementNotAllowed. docs/rules.md says which codes can.
 *
 * @example
 * Acknowledgements.of(stack).add({
 *   code: "AdminWithoutSupervisor",
 *   reason: "IT admins manage users only; they never run reports",
 *   expires: "2026-12-31",
 * });
 */
export class Acknowledgements {
  /** The acknowledgements of `scope` (a construct or the App). */
  public static of(scope: IConstruct): Acknowledgements {
    const holder = scope as unknown as Record<symbol, Acknowledgements | undefined>;
    const existing = holder[ACKNOWLEDGEMENTS];
    if (existing) return existing;
    const created = new Acknowledgements(scope);
    Object.defineProperty(scope, ACKNOWLEDGEMENTS, { value: created, enumerable: false, writable: false });
    return created;
  }

  /** Every acknowledgement added anywhere under `root` (itself included), with its scope path. */
  public static collect(root: IConstruct): ScopedAcknowledgement[] {
    return root.node
      .findAll()
      .flatMap((n) => ((n as unknown as Record<symbol, Acknowledgements | undefined>)[ACKNOWLEDGEMENTS]?.placed ?? []));
  }

  private readonly entries: Acknowledgement[] = [];

  private constructor(private readonly scope: IConstruct) {}

  /**
   * Acknowledges findings of `code` (or of `rule`) on the scope and everything under it. One that is
   * malformed (AcknowledgementInvalid) or names a finding that can never be acknowledged
   * (AcknowledgementNotAllowed) acknowledges nothing and fails the synth, with every other finding
   * of the app (one added to the App, or to a construct outside any stack, is reported on the
   * app's first DimensionsStack).
   */
  public add(acknowledgement: Acknowledgement): this {
    if (deferFindings(this.scope, checkAcknowledgement(this.scope.node.path, acknowledgement))) return this;
    this.entries.push({ ...acknowledgement });
    return this;
  }

  /** The acknowledgements added to this scope (not its ancestors'). */
  public get all(): readonly Acknowledgement[] {
    return [...this.entries];
  }

  private get placed(): ScopedAcknowledgement[] {
    return this.entries.map((spec) => ({ scopePath: this.scope.node.path, spec, scope: this.scope }));
  }
}
