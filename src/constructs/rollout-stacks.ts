import type { Construct } from "constructs";
import { DimensionsStack, type DimensionsRegion, type DimensionsStackProps } from "./dimensions-stack";

export interface RolloutStacksProps {
  /** Stack ids are `<prefix>-<region>-<shard>` (Terraform state per stack: keep them stable). */
  readonly prefix: string;
  /**
   * Stacks per region. Terraform's own cost grows with the square of the resources in one state,
   * and stacks apply in parallel (one CI job each, `dimensions stacks --json` lists them).
   * @default 1
   */
  readonly shards?: number;
  /** Passed to every stack (C6: the explicit opt-in to charges). */
  readonly acceptCharges: boolean;
  /** @default "terraform_data" */
  readonly resourceType?: DimensionsStackProps["resourceType"];
  /**
   * Called once for each stack as it is created, before any customer is added to it: for what
   * every stack needs, such as where its state lives (`(stack) => new PostgresBackend(stack)`).
   * @default - nothing: each stack has cdktf's local state file
   */
  readonly configure?: (stack: DimensionsStack) => void;
}

/**
 * Splits a rollout into stacks by region and by shard: each customer goes to the stack of its
 * region and of the shard its reference hashes to, so a customer never moves between stacks when
 * others are added or removed (moving one would release it from one state and adopt it in the
 * other). Changing `shards` moves customers: choose it once, generously.
 *
 * ```ts
 * const rollout = new RolloutStacks(app, { prefix: "customers", shards: 4, acceptCharges: true });
 * new Customer(rollout.stackFor("ACME-001", "eu"), "acme", { … });
 * ```
 */
export class RolloutStacks {
  public readonly prefix: string;
  public readonly shards: number;
  private readonly byId = new Map<string, DimensionsStack>();

  constructor(
    private readonly scope: Construct,
    private readonly props: RolloutStacksProps,
  ) {
    const shards = props.shards ?? 1;
    if (!Number.isInteger(shards) || shards < 1 || shards > 1000) throw new RangeError(`RolloutStacks: shards must be a whole number from 1 to 1000, got ${String(shards)}`);
    if (!/^[A-Za-z][A-Za-z0-9-]{0,40}$/.test(props.prefix)) throw new RangeError(`RolloutStacks: prefix "${props.prefix}" must be letters, digits and dashes (a stack id)`);
    this.prefix = props.prefix;
    this.shards = shards;
  }

  /** The shard (0-based) a customer reference belongs to: FNV-1a of the reference, stable forever. */
  public static shardOf(reference: string, shards: number): number {
    let hash = 0x811c9dc5;
    for (const ch of Buffer.from(reference, "utf8")) {
      hash ^= ch;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash % shards;
  }

  /** The stack of this customer (created on first use). */
  public stackFor(reference: string, region: DimensionsRegion): DimensionsStack {
    const id = `${this.prefix}-${region}-${RolloutStacks.shardOf(reference, this.shards)}`;
    let stack = this.byId.get(id);
    if (!stack) {
      stack = new DimensionsStack(this.scope, id, { acceptCharges: this.props.acceptCharges, region, ...(this.props.resourceType ? { resourceType: this.props.resourceType } : {}) });
      this.byId.set(id, stack);
      this.props.configure?.(stack);
    }
    return stack;
  }

  /** The stacks made so far, by id. */
  public get stacks(): DimensionsStack[] {
    return [...this.byId.values()].sort((a, b) => a.node.id.localeCompare(b.node.id));
  }
}
