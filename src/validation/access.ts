/**
 * Synth-time rules of tenant access requests (seed 002; rules A2, A3, A7, A8), pure and
 * deterministic like the rest of this layer:
 *
 * - `checkAccessRequestFields`: one TenantAccessRequest's own props (its constructor records them;
 *   the synth reports them with every other finding): A2 name and message, A3 association shapes,
 *   A7 modes and wait options.
 * - `validateAccessRequests`: rules across constructs (the Aspect reports them): A2 unique names,
 *   A8 one mode per partner user and tenant across every request of the app, and customers that
 *   live in another stack.
 * - `canonicalAssociations`: what each tenant receives (A3), the shape the resource renders.
 */
import { FIELD_LIMITS } from "../contracts/api";
import type { AccessAssociationDesired, AccessModeValue } from "../contracts/handler";
import { isUnresolved } from "./props";
import { finding, type Finding } from "./rules";

export const ACCESS_MODES: readonly AccessModeValue[] = ["configure", "support"];
/** A2: letters and digits only (no spaces, no special characters), 1–100. */
const NAME = /^[A-Za-z0-9]+$/;
// As loose as the user e-mail check (the server is the judge): one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const WAIT_LIMITS = { timeoutSecondsMax: 3600, pollSecondsMax: 300, defaultPollSeconds: 10 } as const;

export interface AccessAssociationFields {
  readonly partnerUsers?: readonly unknown[];
  /** References of the customers (already resolved from the constructs). */
  readonly customers?: readonly string[];
  readonly mode?: unknown;
}

export interface AccessRequestFields {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly associations?: readonly AccessAssociationFields[];
  readonly waitForDecision?: { readonly timeoutSeconds?: unknown; readonly pollSeconds?: unknown; readonly requireGrant?: unknown };
}

/** A2, A3, A7 on one request's own props. */
export function checkAccessRequestFields(path: string, props: AccessRequestFields): Finding[] {
  const out: Finding[] = [];
  const { name, message } = props;
  const subject = typeof name === "string" && !isUnresolved(name) && name !== "" ? `access request "${name}"` : "the access request";

  if (typeof name !== "string" || name === "") {
    out.push(finding("AccessRequestNameInvalid", path, `the access request has no name (${JSON.stringify(name ?? null)})`, "set name to 1–100 letters and digits, e.g. \"SupportAccess\""));
  } else if (isUnresolved(name)) {
    out.push(finding("AccessRequestNameInvalid", path, `name is a token ("${name}"); it is the request's natural key and must be known at synth`, "pass the name as a literal string"));
  } else if (name.length > FIELD_LIMITS.accessRequestName || !NAME.test(name)) {
    const why = name.length > FIELD_LIMITS.accessRequestName ? `is ${name.length} characters long (max ${FIELD_LIMITS.accessRequestName})` : "holds characters other than letters and digits";
    out.push(finding("AccessRequestNameInvalid", path, `name "${name}" ${why}`, `use 1–${FIELD_LIMITS.accessRequestName} letters and digits, no spaces (e.g. "${suggestName(name)}")`));
  }

  if (message !== undefined && typeof message !== "string") {
    out.push(finding("AccessRequestMessageTooLong", path, `message of ${subject} is not a string (${JSON.stringify(message)})`, "set message to a string of at most 1000 characters"));
  } else if (typeof message === "string" && !isUnresolved(message) && message.length > FIELD_LIMITS.accessRequestMessage) {
    out.push(
      finding("AccessRequestMessageTooLong", path, `message of ${subject} is ${message.length} characters long (max ${FIELD_LIMITS.accessRequestMessage}): "${message.slice(0, 40)}…"`, `shorten the message to at most ${FIELD_LIMITS.accessRequestMessage} characters`),
    );
  } else if (message === undefined || message.trim() === "") {
    out.push(
      finding(
        "AccessRequestMessageEmpty",
        path,
        `${subject} has no message; the customer sees neither the request's name nor the partner users it names`,
        "set message to say who needs access and why (e.g. \"Caroline Bingley and Charlotte Lucas, your account managers, to help with support cases\")",
      ),
    );
  }

  const associations = props.associations;
  if (!Array.isArray(associations) || associations.length === 0) {
    out.push(finding("AccessAssociationInvalid", path, `${subject} has no association`, "add at least one association: { partnerUsers: [e-mails], customers: [Customer…], mode }"));
  } else {
    associations.forEach((a, index) => out.push(...checkAssociation(path, subject, a, index)));
  }

  out.push(...checkWait(path, subject, props.waitForDecision));
  return out;
}

function checkAssociation(path: string, subject: string, a: AccessAssociationFields, index: number): Finding[] {
  const out: Finding[] = [];
  const where = `association ${index + 1} of ${subject}`;
  if (!ACCESS_MODES.includes(a?.mode as AccessModeValue)) {
    out.push(finding("AccessModeInvalid", path, `mode ${JSON.stringify(a?.mode ?? null)} of ${where} is not an access mode`, `use AccessMode.SUPPORT ("support") or AccessMode.CONFIGURE ("configure")`));
  }
  const users = a?.partnerUsers;
  if (!Array.isArray(users) || users.length === 0) {
    out.push(finding("AccessAssociationInvalid", path, `${where} names no partner user`, "list the e-mails of the partner users (your own account users) who need access"));
  } else {
    const seen = new Set<string>();
    for (const email of users) {
      if (typeof email !== "string" || isUnresolved(email)) {
        out.push(finding("AccessAssociationInvalid", path, `partner user ${JSON.stringify(email)} of ${where} is not a literal e-mail`, "pass partner users as literal e-mail strings"));
        continue;
      }
      if (!EMAIL.test(email) || email.length > FIELD_LIMITS.userEmail) {
        out.push(finding("AccessAssociationInvalid", path, `partner user "${email}" of ${where} is not a valid e-mail address`, "use an address like \"caroline@classics.example\""));
        continue;
      }
      const key = email.toLowerCase();
      if (seen.has(key)) {
        out.push(finding("AccessAssociationDuplicate", path, `partner user "${email}" is listed twice in ${where}`, "list each partner user once per association"));
      }
      seen.add(key);
    }
  }
  const customers = a?.customers;
  if (!Array.isArray(customers) || customers.length === 0) {
    out.push(finding("AccessAssociationInvalid", path, `${where} names no customer`, "list the customers (Customer or Customer.fromReference) whose tenants the partner users need"));
  } else {
    const seen = new Set<string>();
    for (const reference of customers) {
      if (seen.has(reference)) {
        out.push(finding("AccessAssociationDuplicate", path, `customer "${reference}" is listed twice in ${where}`, "list each customer once per association"));
      }
      seen.add(reference);
    }
  }
  return out;
}

function checkWait(path: string, subject: string, wait: AccessRequestFields["waitForDecision"]): Finding[] {
  if (wait === undefined) return [];
  const out: Finding[] = [];
  const { timeoutSeconds, pollSeconds, requireGrant } = wait ?? {};
  if (!Number.isInteger(timeoutSeconds) || (timeoutSeconds as number) < 1 || (timeoutSeconds as number) > WAIT_LIMITS.timeoutSecondsMax) {
    out.push(
      finding("AccessWaitInvalid", path, `waitForDecision.timeoutSeconds of ${subject} is ${JSON.stringify(timeoutSeconds ?? null)}`, `use a whole number of seconds from 1 to ${WAIT_LIMITS.timeoutSecondsMax} (a Terraform run must not hang on a customer's decision)`),
    );
  }
  if (pollSeconds !== undefined && (!Number.isInteger(pollSeconds) || (pollSeconds as number) < 1 || (pollSeconds as number) > WAIT_LIMITS.pollSecondsMax)) {
    out.push(finding("AccessWaitInvalid", path, `waitForDecision.pollSeconds of ${subject} is ${JSON.stringify(pollSeconds)}`, `use a whole number of seconds from 1 to ${WAIT_LIMITS.pollSecondsMax}`));
  }
  if (requireGrant !== undefined && typeof requireGrant !== "boolean") {
    out.push(finding("AccessWaitInvalid", path, `waitForDecision.requireGrant of ${subject} is ${JSON.stringify(requireGrant)}`, "use true or false"));
  }
  return out;
}

function suggestName(name: string): string {
  const cleaned = name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("")
    .slice(0, FIELD_LIMITS.accessRequestName);
  return cleaned || "SupportAccess";
}

// ---------------------------------------------------------------------------------------------
// Across constructs

export interface AccessCustomerRef {
  /** Construct path of the Customer (or Customer.fromReference). */
  readonly path: string;
  readonly stackPath: string;
  readonly reference: string;
}

export interface AccessAssociationModel {
  readonly mode: AccessModeValue;
  readonly partnerUsers: readonly string[];
  readonly customers: readonly AccessCustomerRef[];
}

export interface AccessRequestModel {
  readonly path: string;
  readonly stackPath: string;
  readonly name: string;
  readonly associations: readonly AccessAssociationModel[];
}

/** A2 (unique names), A8 (one mode per partner user and tenant, app-wide), customers of other stacks. */
export function validateAccessRequests(requests: readonly AccessRequestModel[]): Finding[] {
  const out: Finding[] = [];

  // A2: the API keeps names unique (case-insensitively) among a reseller's active requests.
  const byName = new Map<string, AccessRequestModel[]>();
  for (const r of requests) byName.set(r.name.toLowerCase(), [...(byName.get(r.name.toLowerCase()) ?? []), r]);
  // One mistake, one error: reported on each request after the first, naming the first.
  for (const r of requests) {
    const first = (byName.get(r.name.toLowerCase()) ?? [])[0];
    if (first !== undefined && first !== r) {
      out.push(
        finding(
          "DuplicateAccessRequestName",
          r.path,
          `access request name "${r.name}" is already used by "${first.path}" ("${first.name}")`,
          "give each access request its own name (names are compared case-insensitively)",
        ),
      );
    }
  }

  for (const r of requests) {
    for (const a of r.associations) {
      for (const c of a.customers) {
        if (c.stackPath === r.stackPath) continue;
        out.push(
          finding(
            "CrossStackReference",
            r.path,
            `access request "${r.name}" is in stack "${r.stackPath}" but its customer "${c.reference}" is in stack "${c.stackPath}"`,
            "use Customer.fromReference in the request's stack (it orders nothing across stacks)",
          ),
        );
      }
    }
  }

  // A8: every (partner user, tenant) of the app, with each mode and where it comes from.
  const grants = new Map<string, Map<AccessModeValue, Array<{ request: AccessRequestModel; index: number; email: string; reference: string }>>>();
  for (const r of requests) {
    r.associations.forEach((a, index) => {
      for (const email of a.partnerUsers) {
        for (const c of a.customers) {
          const key = `${email.toLowerCase()}\u0000${c.reference}`;
          const modes = grants.get(key) ?? new Map();
          grants.set(key, modes);
          modes.set(a.mode, [...(modes.get(a.mode) ?? []), { request: r, index, email, reference: c.reference }]);
        }
      }
    });
  }
  for (const modes of grants.values()) {
    if (modes.size < 2) continue;
    const sources = [...modes.entries()].flatMap(([mode, list]) => list.map((s) => ({ ...s, mode })));
    const first = sources[0];
    const described = sources.map((s) => `"${s.mode}" (association ${s.index + 1} of "${s.request.path}")`).join(" and ");
    // One conflict, one error: on the last request declared of those it names (it brings the
    // conflict in), whose message names every association involved.
    const last = requests.filter((r) => sources.some((s) => s.request === r)).pop()!;
    out.push(
      finding(
        "PartnerAccessModeConflict",
        last.path,
        `partner user "${first.email}" would hold ${described} on customer "${first.reference}"; a partner user holds at most one access mode per tenant`,
        "keep one mode for this partner user on this customer (configure or support) and remove the other association",
      ),
    );
  }
  return out;
}

/**
 * A3: what each tenant receives — one entry per (customer reference, mode) with the sorted,
 * lower-cased, de-duplicated e-mails of its partner users; entries sorted by reference, then mode.
 */
export function canonicalAssociations(associations: ReadonlyArray<{ readonly partnerUsers: readonly string[]; readonly customers: readonly string[]; readonly mode: AccessModeValue }>): AccessAssociationDesired[] {
  const byTenant = new Map<string, { customer: string; mode: AccessModeValue; users: Set<string> }>();
  for (const a of associations) {
    for (const customer of a.customers) {
      const key = `${customer}\u0000${a.mode}`;
      const entry = byTenant.get(key) ?? { customer, mode: a.mode, users: new Set<string>() };
      byTenant.set(key, entry);
      for (const email of a.partnerUsers) entry.users.add(email.toLowerCase());
    }
  }
  return [...byTenant.values()]
    .sort((x, y) => (x.customer < y.customer ? -1 : x.customer > y.customer ? 1 : x.mode < y.mode ? -1 : x.mode > y.mode ? 1 : 0))
    .map((e) => ({ customer: e.customer, mode: e.mode, partnerUsers: [...e.users].sort() }));
}
