/**
 * Every domain rule id the product cites (`// rule U7`, `test("U7: …")`, `[U7]` in a finding), with
 * one line saying what it asks and where it is enforced. The codes registry (./rules.ts and
 * contracts/apply-codes.ts) names these ids; the rules page (docs/rules.md) lists them; a test
 * (test/docs/rule-coverage.test.ts) holds every id to a compliant and a non-compliant test.
 *
 * synth: caught while the app synthesizes; apply: enforced or tolerated by the handler while
 * Terraform runs; server: the API (and so the emulator) enforces it.
 */
export type RuleStage = "synth" | "apply" | "server";

export interface DomainRule {
  readonly id: string;
  readonly stages: readonly RuleStage[];
  /** One line: what the rule asks. */
  readonly summary: string;
}

export const DOMAIN_RULES: readonly DomainRule[] = [
  { id: "C1", stages: ["synth", "server"], summary: "A customer has a name (≤100), a description (≤200), a reference (≤200) and PBX details; an IANA timezone and an ISO 3166 country code." },
  { id: "C2", stages: ["synth", "apply"], summary: "The reference identifies the customer: unique among the reseller's customers, found before creating (adopt, never duplicate)." },
  { id: "C3", stages: ["server"], summary: "A customer created with PBX details imports every PBX user, holding call tracking (customer.user.pbx) and no portal access." },
  { id: "C4", stages: ["apply"], summary: "The PBX API key never enters the configuration or the state: the name of an environment variable, read at apply." },
  { id: "C5", stages: ["server"], summary: "Deleting a customer deactivates it and flags it for deletion; removal retains or disables unless deletion is asked for." },
  { id: "C6", stages: ["synth", "server"], summary: "Creating a customer or adding licensed roles needs accept-charges: true, opted into explicitly in code." },
  { id: "U1", stages: ["synth", "server"], summary: "A user has a display name (≤100) and an e-mail (≤200, valid, unique within the customer, case-insensitive)." },
  { id: "U2", stages: ["apply"], summary: "Creating a user that exists already (imported from the PBX) falls back to patching it: adopt." },
  { id: "U3", stages: ["synth", "server"], summary: "An admin holds user.admin and customer.user; user.admin alone cannot log in." },
  { id: "U4", stages: ["synth", "server"], summary: "A customer always keeps at least one admin." },
  { id: "U5", stages: ["synth", "apply", "server"], summary: "An admin must exist before other users or roles change: the first admin's grants come first." },
  { id: "U6", stages: ["synth"], summary: "An admin without a supervisor role cannot see workspaces (warning)." },
  { id: "U7", stages: ["synth", "server"], summary: "A role is held only with all of its prerequisites." },
  { id: "U8", stages: ["synth", "server"], summary: "Supervisor levels 1–5 are mutually exclusive." },
  { id: "U9", stages: ["synth"], summary: "Licensed roles cost money when added or changed (C6)." },
  { id: "U10", stages: ["server"], summary: "customer.user.pbx (customer.user.uc.essential in the UK) is synchronised from the PBX; a role change never removes it." },
  { id: "U11", stages: ["server"], summary: "The customer's first supervisor level 3+ makes the server add customer.user.pbx.realtime to every customer.user.pbx holder." },
  { id: "U12", stages: ["server"], summary: "With syncAcdAgentWithPbx on, the server gives customer.user.acd to the PBX's call-centre agents." },
  { id: "U13", stages: ["synth", "apply"], summary: "Server-assigned, synchronised and read-only roles are never fought over nor removed; asking for a read-only role is an error." },
  { id: "U14", stages: ["apply"], summary: "The user operations: get, create, patch, assign or unassign a softphone device, delete, send the activation and UC welcome e-mails." },
  { id: "U15", stages: ["server"], summary: "Activation and welcome e-mails are sent only from the user's primary tenant." },
  { id: "A1", stages: ["server"], summary: "Creating access requests needs the reseller role tm.admin." },
  { id: "A2", stages: ["synth", "server"], summary: "A request's name is 1–100 letters and digits; its message (≤1000) should say who needs access and why." },
  { id: "A3", stages: ["synth"], summary: "A request's associations link partner users to tenants; each tenant receives its own request for its own users." },
  { id: "A4", stages: ["server"], summary: "A customer admin grants or rejects each tenant's request, optionally with a message and an expiry." },
  { id: "A5", stages: ["server"], summary: "After the expiry date access ends; continuing needs a new request." },
  { id: "A6", stages: ["server"], summary: "Once a tenant granted a request, legacy impersonation stops for every partner user not in a granted request." },
  { id: "A7", stages: ["apply"], summary: "The requester sees each tenant's status and impersonates a granted tenant in configure or support mode." },
  { id: "A8", stages: ["synth"], summary: "A partner user holds at most one access mode per tenant." },
  { id: "H1", stages: ["synth", "apply"], summary: "Each customer has a primary admin that no automation removes unless another is named primary in the same change." },
  { id: "H2", stages: ["synth"], summary: "A user's roles can come from a template user and from named role bundles." },
  { id: "H3", stages: ["synth"], summary: "Exclusive role groups beyond supervisor levels: at most one role of a group per user, the group being data." },
  { id: "H4", stages: ["synth"], summary: "A role may require a licence the user holds; the mechanism is the prerequisite of U7." },
  { id: "H5", stages: ["apply"], summary: "Users who have not activated their account can be sent the activation e-mail again." },
  { id: "H6", stages: ["synth"], summary: "Users and roles can be declared in bulk from a CSV file; bad rows are reported with file, line and column." },
  { id: "H7", stages: ["apply"], summary: "A user that exists on the PBX is never deleted by automation; removing it revokes the roles the app manages." },
  { id: "H8", stages: ["synth", "apply"], summary: "A customer may declare its users authoritatively: undeclared users lose every role the app can remove, and are never deleted." },
];

/** Every rule id, in document order. */
export const DOMAIN_RULE_IDS: readonly string[] = DOMAIN_RULES.map((r) => r.id);
