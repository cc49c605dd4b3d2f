/**
 * The registry of finding codes: one entry per code, naming the domain rule it enforces
 * (shared/spec/domain-rules.md) or the runtime trap it guards against (design/terraform-runtime.md,
 * cited as "runtime"). Messages, tests and a generated rules page all read this table.
 */

export type FindingLevel = "error" | "warning";

export interface RuleCodeDefinition {
  /** Domain rule id(s) ("U7", "C6/U9") or "runtime"/"api" for library guard rails. */
  readonly rule: string;
  readonly level: FindingLevel;
  /** One sentence: what the code means. */
  readonly summary: string;
}

export const RULE_CODES = {
  CustomerFieldInvalid: { rule: "C1", level: "error", summary: "A customer field is missing, too long or malformed." },
  InvalidTimezone: { rule: "C1", level: "error", summary: "The customer's timezone is not an IANA time zone." },
  InvalidCountryCode: { rule: "C1", level: "error", summary: "The customer's country code is not an ISO 3166 alpha-2/alpha-3 code." },
  PbxDetailsMissing: { rule: "C1", level: "error", summary: "An owned customer needs its PBX connection details." },
  DuplicateCustomerReference: { rule: "C2", level: "error", summary: "Two customers of the app share one reference." },
  InvalidApiKeyEnv: { rule: "C4", level: "error", summary: "apiKeyEnv is not the name of an environment variable." },
  SecretInConfiguration: { rule: "C4", level: "error", summary: "A value that looks like a secret was given where a variable name is expected." },
  ChargesNotAccepted: { rule: "C6/U9", level: "error", summary: "A chargeable change is declared in a stack that did not opt in to charges." },
  UserFieldInvalid: { rule: "U1", level: "error", summary: "A user's display name or e-mail is missing, too long or malformed." },
  DuplicateUserEmail: { rule: "U1", level: "error", summary: "Two users of one customer share an e-mail (compared case-insensitively)." },
  AdminWithoutWebsiteAccess: { rule: "U3", level: "error", summary: "user.admin without customer.user: the user cannot log in." },
  AdministratorRequired: { rule: "U4", level: "error", summary: "An owned customer needs at least one declared admin." },
  AdminWithoutSupervisor: { rule: "U6", level: "warning", summary: "An admin without a supervisor role cannot see workspaces." },
  RolePrerequisiteMissing: { rule: "U7", level: "error", summary: "A role is held without one of its prerequisites." },
  ExclusiveRoleConflict: { rule: "U8/H3", level: "error", summary: "A user holds more than one role of an exclusive group." },
  ReadOnlyRole: { rule: "U13", level: "error", summary: "A read-only role was asked for; only the server sets it." },
  UnknownRole: { rule: "U7", level: "error", summary: "A role key is not in the catalogue." },
  PrimaryAdminMissing: { rule: "H1", level: "error", summary: "An owned customer has no primary admin." },
  FirstAdminUnordered: { rule: "U5", level: "error", summary: "Users of an owned customer cannot be ordered after its first admin: no primary admin is declared." },
  MultiplePrimaryAdmins: { rule: "H1", level: "error", summary: "A customer has more than one primary admin." },
  PrimaryAdminNotAdmin: { rule: "H1", level: "error", summary: "The primary admin does not hold both admin roles." },
  InvalidRoleAssignment: { rule: "U1", level: "error", summary: "A RoleAssignment names no role, no user, or a user of another customer." },
  AdoptedUserDeleteForbidden: { rule: "U2", level: "error", summary: "An adopted user can never be deleted by the app." },
  CreateBeforeDestroyForbidden: { rule: "runtime", level: "error", summary: "create_before_destroy on a handler resource skips its destroy provisioner." },
  CrossStackReference: { rule: "runtime", level: "error", summary: "A user or assignment is in another stack than its customer." },
  NotInDimensionsStack: { rule: "runtime", level: "error", summary: "A Dimensions construct must be created inside a DimensionsStack." },
  HandlerBundleMissing: { rule: "runtime", level: "error", summary: "The bundled handler (dist/handler.cjs) was not found." },
  InvalidStackSettings: { rule: "C6", level: "error", summary: "The stack's settings (acceptCharges, region, apiUrl, resourceType) are invalid." },
  UnresolvedValue: { rule: "runtime", level: "warning", summary: "A value is a token and cannot be checked at synth." },
  TemplateSequenceInKey: { rule: "runtime", level: "error", summary: "A natural key contains a Terraform template sequence (${ or %{)." },
} as const satisfies Record<string, RuleCodeDefinition>;

export type RuleCode = keyof typeof RULE_CODES;

/** A problem found in the app's declarations, with where it is and how to fix it. */
export interface Finding {
  readonly code: RuleCode;
  /** Domain rule id, from RULE_CODES. */
  readonly rule: string;
  readonly level: FindingLevel;
  /** Construct path the finding is about. */
  readonly path: string;
  /** What is wrong, naming the value received. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

export function finding(code: RuleCode, path: string, message: string, fix: string, level?: FindingLevel): Finding {
  const def: RuleCodeDefinition = RULE_CODES[code];
  return { code, rule: def.rule, level: level ?? def.level, path, message, fix };
}

/** `RolePrerequisiteMissing [U7]: <message>; <fix>` — the construct path is added by whoever reports it. */
export function formatFinding(f: Pick<Finding, "code" | "rule" | "message" | "fix">): string {
  return `${f.code} [${f.rule}]: ${f.message}; ${f.fix}`;
}

/**
 * The error thrown for props that are wrong on their own (constructor checks) and for misuse of the
 * API. Carries the same fields as a finding so callers and tests can match on `code`.
 */
export class DimensionsError extends Error {
  public readonly code: RuleCode;
  public readonly rule: string;
  public readonly path: string;
  public readonly fix: string;

  constructor(f: Pick<Finding, "code" | "rule" | "path" | "message" | "fix">) {
    super(`${formatFinding(f)} (at ${f.path})`);
    this.name = "DimensionsError";
    this.code = f.code;
    this.rule = f.rule;
    this.path = f.path;
    this.fix = f.fix;
  }

  static of(f: Finding): DimensionsError {
    return new DimensionsError(f);
  }
}

/** Throws the first error-level finding, if any; returns the warnings for the caller to report. */
export function throwFirstError(findings: readonly Finding[]): Finding[] {
  const error = findings.find((f) => f.level === "error");
  if (error) throw DimensionsError.of(error);
  return findings.filter((f) => f.level === "warning");
}
