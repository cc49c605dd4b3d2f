/**
 * Request bodies as JSON, bounded before anything reads them: the nesting depth is checked on the
 * text (one linear pass, no recursion) before `JSON.parse`, so no later step (zod, the answer's
 * `JSON.stringify`, a state dump) can run out of stack on what a client sent; and a key
 * `__proto__` anywhere is refused, since JavaScript code that copies it with `obj[key] = value`
 * (zod among them) replaces a prototype or drops the value silently.
 */
import { errors } from "./errors";

/** Deepest nesting of objects and arrays a body may have; the API's own bodies need 4. */
export const MAX_JSON_DEPTH = 32;

const FORBIDDEN_KEY = "__proto__";

/** Parses a JSON request body, or throws 400 ValidationFailed saying what is wrong with it. */
export function parseJsonBody(text: string): unknown {
  checkDepth(text);
  let forbidden = false;
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (key === FORBIDDEN_KEY) forbidden = true;
      return v;
    }) as unknown;
  } catch (err) {
    throw errors.validation(`The request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}.`);
  }
  if (forbidden) throw errors.validation(`The request body holds the key '${FORBIDDEN_KEY}', which is not allowed.`);
  return value;
}

function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) throw errors.validation(`The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
}
