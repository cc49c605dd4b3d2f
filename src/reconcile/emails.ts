/**
 * Activation and UC welcome e-mails (H5, U14, U15), decided here, sent by the executor and the CLI.
 *
 * Declaratively, a user carries an e-mail trigger (`activation=<v>`, `welcome=<v>` in its entry):
 * a CHANGE of it, between what was applied before and what the code declares now, sends that
 * e-mail once. Only a known previous state can show a change, so nothing is sent:
 * - when the previous state is unknown (a first create of the tenant resource, `-replace`,
 *   `taint`): Terraform cannot tell a first create from a `-replace` or `taint`, and those must
 *   send nothing;
 * - for a user the previous state does not hold (just added to the code, or adopted): the value is
 *   the baseline, like the first create (the platform sends its own new-user e-mail when it creates
 *   a user: the customer's `sendNewUserEmail`);
 * - when the value is removed.
 * Pure: no I/O, no clock.
 */
import { Role } from "../catalogue/roles";
import type { ApplyCode } from "../contracts/apply-codes";
import { EMAIL_KINDS, type EmailKind } from "../contracts/handler";
import type { PlanIssue, PlanNotice, UserPlanInput } from "./plan";
import type { LiveUser, UserMap } from "./users";

/** One e-mail to send: to the live user `userId`, because its trigger changed to `value`. */
export interface EmailSend {
  readonly email: string;
  readonly userId: string;
  readonly kind: EmailKind;
  readonly value: string;
}

/** What the e-mail is called in log lines and CLI output. */
export const EMAIL_NAMES: Readonly<Record<EmailKind, string>> = {
  activation: "activation e-mail",
  welcome: "UC welcome e-mail",
};

/** Why an e-mail is not sent to a user: a failure (its code is an error) or a notice (by rule). */
export interface EmailRefusal {
  readonly code: ApplyCode;
  readonly rule: string;
  readonly failure: boolean;
  readonly message: string;
  readonly hint: string;
}

/**
 * Whether `kind` may be sent to a user that (once the change ran) holds `roles` and whose
 * activation the API reported as `activated`. undefined: it may.
 * - H5: the activation e-mail only to a user that has not activated its account; an answer that
 *   does not say is a failure, never a guess (`activated` is our contract's field, the vendor's API
 *   may lack it);
 * - U14: the UC welcome e-mail is for users of the UC client (`customer.user.uc`).
 * U15 (only from the user's primary tenant) is the server's to say: `TenantNotPrimary`.
 */
export function emailRefusal(kind: EmailKind, user: { readonly roles: readonly string[]; readonly activated?: boolean }): EmailRefusal | undefined {
  if (kind === "activation") {
    if (user.activated === true) {
      return {
        code: "UserAlreadyActivated",
        rule: "H5",
        failure: false,
        message: "has activated its account already: the activation e-mail is not sent again (H5)",
        hint: "nothing to do; a user who cannot log in needs a password reset from the portal",
      };
    }
    if (user.activated !== false) {
      return {
        code: "ActivationStatusUnknown",
        rule: "H5",
        failure: true,
        message: "the API's answer for the user does not say whether it has activated its account (no boolean field \"activated\"), so the activation e-mail is not sent (H5: only to users who have not activated)",
        hint: "check that the API serves the field \"activated\" on GET /customers/{C}/users/{U}; meanwhile send it from the portal (Resend invitation)",
      };
    }
    return undefined;
  }
  if (!user.roles.includes(Role.UC_CLIENT)) {
    return {
      code: "WelcomeEmailNeedsUc",
      rule: "U14",
      failure: true,
      message: `does not hold "${Role.UC_CLIENT}" (UC Client): the UC welcome e-mail, which links to the UC clients, is not sent`,
      hint: `grant "${Role.UC_CLIENT}" (Role.UC_CLIENT) to the user first, or do not send it the UC welcome e-mail`,
    };
  }
  return undefined;
}

/**
 * The e-mails a change sends: one per declared user and kind whose trigger differs from the one
 * applied before, for users the previous state holds. `live` holds the users read (with roles and
 * activation) for every user `usersToRead` named: a changed trigger makes the user touched.
 */
export function planEmails(input: UserPlanInput, live: UserMap<LiveUser>): { sends: EmailSend[]; issues: PlanIssue[]; notices: PlanNotice[] } {
  const sends: EmailSend[] = [];
  const issues: PlanIssue[] = [];
  const notices: PlanNotice[] = [];
  if (!input.previous) return { sends, issues, notices };
  for (const [key, { email, entry }] of input.desired) {
    const before = input.previous.get(key)?.entry;
    if (!before) continue;
    for (const kind of EMAIL_KINDS) {
      const value = entry[kind];
      if (value === undefined || value === before[kind]) continue;
      const current = live.get(key);
      if (!current) {
        notices.push({ email, text: `not in the tenant, so created by this change: the ${EMAIL_NAMES[kind]} (${kind}=${value}) is not sent (the platform sends its own new-user e-mail when the customer's sendNewUserEmail is on)` });
        continue;
      }
      const refusal = emailRefusal(kind, { roles: [...entry.roles, ...(current.roles ?? [])], activated: current.activated });
      if (refusal?.failure) issues.push({ email, code: refusal.code, message: refusal.message, hint: refusal.hint, rule: refusal.rule });
      else if (refusal) notices.push({ email, code: refusal.code, text: refusal.message });
      else sends.push({ email, userId: current.id, kind, value });
    }
  }
  sends.sort((a, b) => a.email.toLowerCase().localeCompare(b.email.toLowerCase()) || a.kind.localeCompare(b.kind));
  return { sends, issues, notices };
}
