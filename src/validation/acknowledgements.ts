/**
 * Acknowledgements (the cdk-nag "suppressions" of this library), as pure data and functions: which
 * codes may be acknowledged, whether an acknowledgement is well formed, which acknowledgement
 * covers a finding, and whether it has expired.
 *
 * No clock here: "today" is a parameter. The construct layer reads it from the cdktf context key
 * `dimensions:today` (see TODAY_CONTEXT_KEY), or from the real date once per app, so a synth is
 * deterministic and a test (or a CI job replaying an old commit) can pin the date.
 */
import { finding, RULE_CODES, type Finding, type RuleCode } from "./rules";

/** cdktf context key that pins "today" (YYYY-MM-DD) for expiry checks. */
export const TODAY_CONTEXT_KEY = "dimensions:today";

/** The shortest reason accepted: long enough to say why, not just "ok" or "wip". */
export const MIN_REASON_LENGTH = 10;

export interface AcknowledgementSpec {
  /** One finding code (`"AdminWithoutSupervisor"`). Exactly one of `code` and `rule`. */
  readonly code?: string;
  /** A domain rule id (`"U6"`): every acknowledgeable code of that rule. Exactly one of `code` and `rule`. */
  readonly rule?: string;
  /** Why the finding is accepted, for the reviewer and the audit trail (at least 10 characters). */
  readonly reason: string;
  /** Last day (ISO date, `YYYY-MM-DD`, inclusive, UTC) on which the acknowledgement holds. */
  readonly expires?: string;
}

/** An acknowledgement and the construct path it was added to (it covers that subtree). */
export interface PlacedAcknowledgement {
  readonly scopePath: string;
  readonly spec: AcknowledgementSpec;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `value` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== "string") return false;
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** The rule ids a code stands for ("C6/U9" → C6, U9). */
export function ruleIdsOf(code: RuleCode): string[] {
  return RULE_CODES[code].rule.split("/");
}

function isRuleCode(code: string): code is RuleCode {
  return Object.prototype.hasOwnProperty.call(RULE_CODES, code);
}

/** Every code of a rule id, acknowledgeable or not. */
export function codesOfRule(rule: string): RuleCode[] {
  return (Object.keys(RULE_CODES) as RuleCode[]).filter((c) => ruleIdsOf(c).includes(rule));
}

export function isAcknowledgeable(code: RuleCode): boolean {
  return RULE_CODES[code].acknowledgeable;
}

/**
 * Errors in one acknowledgement, at the time it is added (the earliest layer that knows):
 * AcknowledgementInvalid for malformed ones, AcknowledgementNotAllowed for codes the API would
 * refuse anyway or guard rails that protect data and access.
 */
export function checkAcknowledgement(scopePath: string, spec: AcknowledgementSpec): Finding[] {
  const out: Finding[] = [];
  const where = scopePath === "" ? "the app" : `"${scopePath}"`;
  const s = (spec ?? {}) as Partial<Record<keyof AcknowledgementSpec, unknown>>;
  if ((s.code === undefined) === (s.rule === undefined)) {
    out.push(finding("AcknowledgementInvalid", scopePath, `an acknowledgement on ${where} names ${s.code === undefined ? "neither a code nor a rule" : "both a code and a rule"}`, 'name exactly one: code: "AdminWithoutSupervisor" or rule: "U6"'));
  } else if (s.code !== undefined) {
    if (typeof s.code !== "string" || !isRuleCode(s.code)) {
      out.push(finding("AcknowledgementInvalid", scopePath, `an acknowledgement on ${where} names code ${JSON.stringify(s.code)}, which is not in the rule registry`, "use a code of docs/rules.md"));
    } else if (!isAcknowledgeable(s.code)) {
      out.push(
        finding(
          "AcknowledgementNotAllowed",
          scopePath,
          `code "${s.code}" [${RULE_CODES[s.code].rule}] acknowledged on ${where} can never be acknowledged: ${RULE_CODES[s.code].summary}`,
          `fix the configuration instead: ${RULE_CODES[s.code].fix}`,
        ),
      );
    }
  } else {
    const codes = typeof s.rule === "string" ? codesOfRule(s.rule) : [];
    if (codes.length === 0) {
      out.push(finding("AcknowledgementInvalid", scopePath, `an acknowledgement on ${where} names rule ${JSON.stringify(s.rule)}, which no code enforces`, 'use a rule id such as "U6" (docs/rules.md)'));
    } else if (!codes.some(isAcknowledgeable)) {
      out.push(
        finding(
          "AcknowledgementNotAllowed",
          scopePath,
          `rule "${String(s.rule)}" acknowledged on ${where} has no acknowledgeable code (${codes.join(", ")}): the API refuses these changes or the guard protects data or access`,
          "fix the configuration instead (docs/rules.md says how for each code)",
        ),
      );
    }
  }
  if (typeof s.reason !== "string" || s.reason.trim().length < MIN_REASON_LENGTH || s.reason.includes("${")) {
    out.push(
      finding(
        "AcknowledgementInvalid",
        scopePath,
        `the reason of an acknowledgement on ${where} is ${JSON.stringify(s.reason)}`,
        `give a literal reason of at least ${MIN_REASON_LENGTH} characters saying why the finding is accepted`,
      ),
    );
  }
  if (s.expires !== undefined && !isIsoDate(s.expires)) {
    out.push(finding("AcknowledgementInvalid", scopePath, `the expiry of an acknowledgement on ${where} is ${JSON.stringify(s.expires)}, not an ISO date`, 'write it as "YYYY-MM-DD" (the last day it holds)'));
  }
  return out;
}

/** Whether the acknowledgement's last day is before `today` (both YYYY-MM-DD, compared as dates). */
export function isExpired(spec: AcknowledgementSpec, today: string): boolean {
  return spec.expires !== undefined && spec.expires < today;
}

function covers(scopePath: string, path: string): boolean {
  return scopePath === "" || path === scopePath || path.startsWith(`${scopePath}/`);
}

function matchesCode(spec: AcknowledgementSpec, code: RuleCode): boolean {
  if (!isAcknowledgeable(code)) return false;
  return spec.code !== undefined ? spec.code === code : spec.rule !== undefined && ruleIdsOf(code).includes(spec.rule);
}

/**
 * The acknowledgement that covers a finding: added on the finding's construct or an ancestor, for
 * its code (or its rule), not expired. The nearest scope wins (the most specific reason is the one
 * the audit shows). Findings of codes that cannot be acknowledged are never covered.
 */
export function findAcknowledgement(f: Pick<Finding, "code" | "path">, acks: readonly PlacedAcknowledgement[], today: string): PlacedAcknowledgement | undefined {
  return acks
    .filter((a) => covers(a.scopePath, f.path) && matchesCode(a.spec, f.code) && !isExpired(a.spec, today))
    .sort((a, b) => b.scopePath.length - a.scopePath.length)[0];
}

/** AcknowledgementExpired for an acknowledgement whose last day has passed. */
export function expiredFinding(ack: PlacedAcknowledgement, reportPath: string, today: string): Finding {
  const what = ack.spec.code !== undefined ? `code "${ack.spec.code}"` : `rule "${ack.spec.rule}"`;
  const where = ack.scopePath === "" ? "the app" : `"${ack.scopePath}"`;
  return finding(
    "AcknowledgementExpired",
    reportPath,
    `the acknowledgement of ${what} on ${where} ("${ack.spec.reason}") expired on ${ack.spec.expires} (today is ${today})`,
    "fix the finding and remove the acknowledgement, or review it and set a new expires date",
  );
}

/** "[acknowledged …]" text of the info annotation an acknowledged finding becomes. */
export function describeAcknowledged(f: Pick<Finding, "code" | "rule" | "message">, ack: PlacedAcknowledgement): string {
  const where = ack.scopePath === "" ? "the app" : `"${ack.scopePath}"`;
  const until = ack.spec.expires !== undefined ? ` until ${ack.spec.expires}` : "";
  return `Acknowledged ${f.code} [${f.rule}]: ${f.message}; acknowledged on ${where}${until}: ${ack.spec.reason}`;
}
