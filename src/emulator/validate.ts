/**
 * Turns zod failures into the API's ValidationFailed messages (C1, U1): they name the field and
 * the limit, the way the real service does, e.g. "The field 'name' must be at most 100 characters."
 */
import type { z } from "zod";
import { errors, type ApiError } from "./errors";

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "body";
  switch (issue.code) {
    case "invalid_type":
      if (issue.path.length > 0 && valueAt(input, issue.path) === undefined) return `The field '${field}' is required.`;
      return `The field '${field}' must be of type ${issue.expected}.`;
    case "too_big":
      if (issue.origin === "string") return `The field '${field}' must be at most ${String(issue.maximum)} characters.`;
      if (issue.origin === "array") return `The field '${field}' must have at most ${String(issue.maximum)} items.`;
      return `The field '${field}' must be at most ${String(issue.maximum)}.`;
    case "too_small":
      if (issue.origin === "string") {
        return Number(issue.minimum) <= 1 ? `The field '${field}' is required.` : `The field '${field}' must be at least ${String(issue.minimum)} characters.`;
      }
      if (issue.origin === "array") return `The field '${field}' must have at least ${String(issue.minimum)} item(s).`;
      return `The field '${field}' must be at least ${String(issue.minimum)}.`;
    case "invalid_value":
      return `The field '${field}' must be one of ${issue.values.map((v) => String(v)).join(", ")}.`;
    case "invalid_format":
      return `The field '${field}' is not valid (${issue.message}).`;
    default:
      return `The field '${field}' is not valid: ${issue.message}.`;
  }
}

/** Parses with the schema or throws 400 ValidationFailed naming the first offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(result.error, input);
}

export function validationError(error: z.ZodError, input: unknown): ApiError {
  const messages = error.issues.map((i) => describeIssue(i, input));
  return errors.validation(messages.join(" "), { fields: error.issues.map((i) => i.path.map(String).join(".")) });
}

/** U1: a plausible e-mail address (the service does not send mail to check it). */
export function isEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

/** C1: an IANA zone name the runtime knows. */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** C1: an ISO 3166 code (alpha-2/alpha-3, or a subdivision such as "GB-SC" within 5 chars). */
export function isCountryCode(value: string): boolean {
  return /^[A-Za-z]{2,3}$|^[A-Za-z]{2}-[A-Za-z0-9]{1,2}$/.test(value);
}
