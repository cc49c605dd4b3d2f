/**
 * The e-mail triggers of a user (H5, U14): `sendActivation` and `sendWelcome`, values whose change
 * sends the activation or UC welcome e-mail once at the next apply. Checked at synth: the value
 * itself (a literal date, counter or short label: it is rendered into the plan, as one flag of the
 * user's line), and, across constructs, that a user sent the UC welcome e-mail holds the UC client.
 * Pure and deterministic.
 */
import { Role } from "../catalogue/roles";
import { EMAIL_TRIGGER } from "../contracts/handler";
import { isUnresolved } from "./props";
import { finding, type Finding } from "./rules";

export type EmailTriggerProp = "sendActivation" | "sendWelcome";

/**
 * H5, U14: the value as it is rendered (a number as its decimal text), or undefined with a finding
 * when it is malformed: a token (unknown at synth), a non-integer or negative number, or text that
 * is not 1–64 letters, digits, ".", "_", ":" or "-".
 */
export function checkEmailTrigger(path: string, subject: string, prop: EmailTriggerProp, value: unknown): { value?: string; findings: Finding[] } {
  if (value === undefined) return { findings: [] };
  const fix = `set ${prop} to a date such as "2026-12-01" or a counter such as 2, and change it whenever the e-mail is to be sent again`;
  const bad = (what: string) => ({ findings: [finding("EmailTriggerInvalid", path, `${prop} of ${subject} ${what}`, fix)] });
  if (isUnresolved(value)) return bad("is a token: the value whose change sends the e-mail must be known at synth");
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) return bad(`is ${String(value)}, not a whole number ≥ 0`);
    return { value: String(value), findings: [] };
  }
  if (typeof value !== "string") return bad(`is ${JSON.stringify(value) ?? String(value)}, not a string or a number`);
  if (!EMAIL_TRIGGER.test(value)) return bad(`is ${JSON.stringify(value)}: it takes 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`);
  return { value, findings: [] };
}

/** What the e-mail rule needs of a user. */
export interface EmailUser {
  readonly path: string;
  readonly email: string;
  readonly sendWelcome?: string;
}

/**
 * U14: the UC welcome e-mail links to the UC clients: a user whose trigger asks for it must hold
 * `customer.user.uc` (after its bundles, template and assignments are folded in). `uncertain`: a
 * user whose roles hold a mistyped key is not judged (its UnknownRole says it).
 */
export function checkWelcomeNeedsUc(user: EmailUser, roles: readonly string[], uncertain: boolean): Finding[] {
  if (user.sendWelcome === undefined || uncertain || roles.includes(Role.UC_CLIENT)) return [];
  return [
    finding(
      "WelcomeEmailNeedsUc",
      user.path,
      `user "${user.email}" has sendWelcome "${user.sendWelcome}" but will not hold "${Role.UC_CLIENT}" (UC Client): the UC welcome e-mail links to the UC clients`,
      `add Role.UC_CLIENT ("${Role.UC_CLIENT}") to the user's roles, or remove sendWelcome`,
    ),
  ];
}
