import type { IConstruct } from "constructs";
import { DefaultTokenResolver, StringConcat, Tokenization } from "../../framework";

/**
 * Resolves the tokens (Lazy values) a payload may hold, the way cdktf resolves the stack's JSON, so
 * the manifest holds the values the resources render. Plain values come back unchanged.
 */
export function resolveTokens<T>(scope: IConstruct, value: T): T {
  return Tokenization.resolve(value, { scope, resolver: new DefaultTokenResolver(new StringConcat()) }) as T;
}
