/**
 * Deterministic fault injection (`PUT /_emulator/faults`): each request to the API or the identity
 * endpoints draws from a seeded PRNG once per matching rule, in rule order; the first rule whose
 * draw falls under its rate fires. Same seed + same request sequence = same faults.
 * Faults never apply to `/_emulator`.
 */
import { z } from "zod";
import { API_PREFIX } from "../contracts/api";
import { Prng } from "./prng";

export const faultRule = z.object({
  /**
   * A path prefix (`/api/v1.0/customers`) or a glob (`/api/v1.0/customers/*\/users`: `*` is one
   * segment, `**` any depth; a glob must match the whole path). A route that does not start with
   * `/api/` or `/connect` is taken as relative to `/api/v1.0`.
   */
  route: z.string().min(1).optional(),
  method: z.string().min(1).optional(),
  rate: z.number().min(0).max(1),
  kind: z.enum(["429", "500", "503", "drop", "delay"]),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
});
export type FaultRule = z.infer<typeof faultRule>;

export const faultConfig = z.object({
  seed: z.number().int(),
  rules: z.array(faultRule).max(100),
});
export type FaultConfig = z.infer<typeof faultConfig>;

interface CompiledRule {
  rule: FaultRule;
  matches(path: string): boolean;
}

export class FaultInjector {
  private config: FaultConfig | undefined;
  private rules: CompiledRule[] = [];
  private prng = new Prng(0);
  injected = 0;

  configure(config: FaultConfig): void {
    this.config = config;
    this.prng = new Prng(config.seed);
    this.rules = config.rules.map((rule) => ({ rule, matches: compileRoute(rule.route) }));
  }

  clear(): void {
    this.config = undefined;
    this.rules = [];
  }

  current(): FaultConfig | undefined {
    return this.config;
  }

  /** The fault for this request, if any (consumes PRNG draws for matching rules only). */
  pick(method: string, path: string): FaultRule | undefined {
    for (const { rule, matches } of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!matches(path)) continue;
      if (this.prng.next() < rule.rate) {
        this.injected++;
        return rule;
      }
    }
    return undefined;
  }
}

function compileRoute(route: string | undefined): (path: string) => boolean {
  if (!route) return () => true;
  let absolute = route.startsWith("/") ? route : `/${route}`;
  if (!/^\/(api\/|connect)/i.test(absolute)) absolute = `${API_PREFIX}${absolute}`;
  absolute = absolute.length > 1 ? absolute.replace(/\/+$/, "") : absolute;
  if (absolute.includes("*")) {
    const source = absolute
      .split(/(\*\*|\*)/)
      .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
      .join("");
    const regex = new RegExp(`^${source}/?$`, "i");
    return (path) => regex.test(path);
  }
  const prefix = absolute.toLowerCase();
  return (path) => {
    const p = path.toLowerCase();
    return p === prefix || p.startsWith(`${prefix}/`);
  };
}
