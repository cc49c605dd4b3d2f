/**
 * The registry of finding codes: one entry per code, naming the domain rule it enforces (C…, U…,
 * A…, H…) or the Terraform runtime trap it guards against (cited as "runtime"). Messages, tests and
 * the generated rules page (docs/rules.md) all read this table.
 */

/**
 * "info" is never a registry level: it is what an acknowledged finding is reported as (still
 * visible in the synthesized output, for audit).
 */
export type FindingLevel = "error" | "warning";

export interface RuleCodeDefinition {
  /**
   * Domain rule id(s) ("U7", "C6/U9"), "runtime" for the library's guard rails against Terraform
   * traps, or "ack" for the acknowledgement mechanism itself.
   */
  readonly rule: string;
  readonly level: FindingLevel;
  /**
   * Whether `Acknowledgements.of(scope).add()` may accept the finding. Never for errors the API
   * would refuse anyway (server rules), nor for guard rails whose bypass loses data or access:
   * acknowledging those would only move the failure from synth to apply.
   */
  readonly acknowledgeable: boolean;
  /** One sentence: what the code means. */
  readonly summary: string;
  /** One sentence: the usual way to fix it (each finding also carries a fix naming its values). */
  readonly fix: string;
}

export const RULE_CODES = {
  CustomerFieldInvalid: { rule: "C1", level: "error", acknowledgeable: false, summary: "A customer field is missing, too long or malformed.", fix: "Give name (1–100), description (1–200) and reference (1–200) as literal strings." },
  InvalidTimezone: { rule: "C1", level: "error", acknowledgeable: false, summary: "The customer's timezone is not an IANA time zone.", fix: "Use an IANA zone such as \"Europe/Paris\" or \"UTC\"." },
  InvalidCountryCode: { rule: "C1", level: "error", acknowledgeable: false, summary: "The customer's country code is not an ISO 3166 alpha-2/alpha-3 code.", fix: "Use an ISO 3166 alpha-2 or alpha-3 code such as \"FR\" or \"FRA\"." },
  PbxDetailsMissing: { rule: "C1", level: "error", acknowledgeable: false, summary: "An owned customer needs its PBX connection details.", fix: "Set pbx: { hostRest, hostWebsocket, accountId, apiKeyEnv }, or use Customer.fromReference for a customer the app does not own." },
  DuplicateCustomerReference: { rule: "C2", level: "error", acknowledgeable: false, summary: "Two customers of the app share one reference.", fix: "Declare each customer once (Customer.fromReference elsewhere) or give each its own reference." },
  InvalidApiKeyEnv: { rule: "C4", level: "error", acknowledgeable: false, summary: "apiKeyEnv is not the name of an environment variable.", fix: "Pass the NAME of an environment variable as a literal, e.g. \"ACME_KAZOO_API_KEY\"." },
  SecretInConfiguration: { rule: "C4", level: "error", acknowledgeable: false, summary: "A value that looks like a secret was given where a variable name is expected.", fix: "Pass the NAME of an environment variable and export the key in it where terraform runs." },
  ChargesNotAccepted: { rule: "C6/U9", level: "error", acknowledgeable: false, summary: "A chargeable change is declared in a stack that did not opt in to charges.", fix: "Opt in with acceptCharges: true on the DimensionsStack, or remove the chargeable customer or licensed roles." },
  UserFieldInvalid: { rule: "U1", level: "error", acknowledgeable: false, summary: "A user's display name or e-mail is missing, too long or malformed.", fix: "Give a valid e-mail (≤200) and a display name (1–100) as literal strings." },
  DuplicateUserEmail: { rule: "U1", level: "error", acknowledgeable: false, summary: "Two users of one customer share an e-mail (compared case-insensitively).", fix: "Declare each user once; grant extra roles with addRoles(), a bundle or a RoleAssignment." },
  AdminWithoutWebsiteAccess: { rule: "U3", level: "error", acknowledgeable: false, summary: "user.admin without customer.user: the user cannot log in.", fix: "Add customer.user (Role.WEBSITE_ACCESS) wherever user.admin is granted." },
  AdministratorRequired: { rule: "U4", level: "error", acknowledgeable: false, summary: "An owned customer needs at least one declared admin (and it is then its primary admin, H1).", fix: "Declare a CustomerUser holding user.admin and customer.user, with primaryAdmin: true." },
  AdminWithoutSupervisor: { rule: "U6", level: "warning", acknowledgeable: true, summary: "An admin without a supervisor role cannot see workspaces.", fix: "Add a supervisor role (e.g. Role.REPORTS_SUPERVISOR) if the admin needs workspaces, or acknowledge the finding." },
  RolePrerequisiteMissing: { rule: "U7", level: "error", acknowledgeable: false, summary: "A role is held without one of its prerequisites.", fix: "Add the prerequisite role to the user (or to the RoleAssignment, bundle or template that grants the role)." },
  ExclusiveRoleConflict: { rule: "U8/H3", level: "error", acknowledgeable: false, summary: "A user holds more than one role of an exclusive group.", fix: "Keep one role of the group (higher supervisor levels include what lower ones give)." },
  ReadOnlyRole: { rule: "U13", level: "error", acknowledgeable: false, summary: "A read-only role was asked for; only the server sets it.", fix: "Remove the role: only the server sets it." },
  UnknownRole: { rule: "U7", level: "error", acknowledgeable: false, summary: "A role key is not in the catalogue.", fix: "Use a key of the role catalogue (Role.X, docs/roles.md)." },
  PrimaryAdminMissing: { rule: "H1/U5", level: "error", acknowledgeable: false, summary: "An owned customer has admins but no primary admin: automation could remove the last admin (H1), and no admin's grants are applied before the other users' (U5).", fix: "Set primaryAdmin: true on the admin that automation must never remove: its grants are applied first." },
  MultiplePrimaryAdmins: { rule: "H1", level: "error", acknowledgeable: false, summary: "A customer has more than one primary admin.", fix: "Set primaryAdmin: true on exactly one user of the customer." },
  PrimaryAdminNotAdmin: { rule: "H1", level: "error", acknowledgeable: false, summary: "The primary admin does not hold both admin roles.", fix: "Give the primary admin both user.admin and customer.user (RoleBundle.ADMINISTRATOR)." },
  AssignedEmailNearDeclaredUser: { rule: "U1", level: "warning", acknowledgeable: true, summary: "A RoleAssignment names an e-mail that no user of the app declares, one edit away from the e-mail of a user its customer declares: probably a typo, which would only fail at apply (no such user).", fix: "Name the declared user (its CustomerUser, or its exact e-mail); if the e-mail is another existing user, acknowledge the finding." },
  InvalidRoleAssignment: { rule: "U1", level: "error", acknowledgeable: false, summary: "A RoleAssignment names no role, no user, or a user of another customer.", fix: "Name at least one role and one user of the assignment's own customer." },
  AdoptedUserDeleteForbidden: { rule: "U2", level: "error", acknowledgeable: false, summary: "An adopted user can never be deleted by the app.", fix: "Use UserRemovalPolicy.REVOKE (default) or RETAIN, or declare the user with new CustomerUser." },
  CustomerTooLarge: { rule: "runtime", level: "error", acknowledgeable: false, summary: "A customer's desired state would not fit the destroy provisioner's environment once applied (from some 20,000 users, depending on how well their data compresses): no later change, replacement or destroy of it could run.", fix: "Split the customer's users over several stacks, with Customer.fromReference in each of the others." },
  CreateBeforeDestroyForbidden: { rule: "runtime", level: "error", acknowledgeable: false, summary: "create_before_destroy on a handler resource skips its destroy provisioner.", fix: "Remove create_before_destroy from the resource (lifecycle or escape-hatch override)." },
  CrossStackReference: { rule: "runtime", level: "error", acknowledgeable: false, summary: "A user or assignment is in another stack than its customer.", fix: "Declare the user or assignment in its customer's stack, or use Customer.fromReference there." },
  NotInDimensionsStack: { rule: "runtime", level: "error", acknowledgeable: false, summary: "A Dimensions construct must be created inside a DimensionsStack.", fix: "Create the construct inside a DimensionsStack instead of a plain TerraformStack." },
  HandlerBundleMissing: { rule: "runtime", level: "error", acknowledgeable: false, summary: "The bundled handler (dist/handler.cjs) was not found.", fix: "Reinstall cdktf-dimensions (the package ships dist/handler.cjs); in its repository, run npm run build. Or set DIMENSIONS_HANDLER_BUNDLE to a bundled handler." },
  InvalidStackSettings: { rule: "C6", level: "error", acknowledgeable: false, summary: "The stack's settings (acceptCharges, region, apiUrl, resourceType) are invalid.", fix: "Set acceptCharges to true or false, and either region (au, eu, na, uk) or apiUrl." },
  UnresolvedValue: { rule: "runtime", level: "warning", acknowledgeable: true, summary: "A value is a token and cannot be checked at synth.", fix: "Pass a literal value to have it checked before apply, or acknowledge the finding." },
  TemplateSequenceInKey: { rule: "runtime", level: "error", acknowledgeable: false, summary: "A natural key contains a Terraform template sequence (${ or %{).", fix: "Remove \"${\" or \"%{\" from the reference or e-mail." },
  // Terraform state in PostgreSQL (constructs/postgres-backend, private/backend-checks).
  InvalidStateBackend: { rule: "runtime", level: "error", acknowledgeable: false, summary: "A stack's pg backend writes a password into cdk.tf.json (conn_str), or names a schema that is not a plain PostgreSQL name.", fix: "Use PostgresBackend (it leaves conn_str out) and export PG_CONN_STR where terraform runs; name the schema with a-z, 0-9 and _ (at most 63, not starting with a digit)." },
  SharedStateSchema: { rule: "runtime", level: "warning", acknowledgeable: true, summary: "Two stacks keep their Terraform state in one PostgreSQL schema: in one workspace they share one state, and an apply of either would release the other's customers.", fix: "Give each stack its own schema (PostgresBackend's default), or acknowledge it when every stack runs in a workspace of its own." },
  // Region, automatic charges, bundles, templates (issue 4).
  RoleUnavailableInRegion: { rule: "U10", level: "error", acknowledgeable: false, summary: "A role does not exist in the stack's region (the UK uses customer.user.uc.essential instead of customer.user.pbx).", fix: "Use the region's equivalent role named in the message (the catalogue's unavailableIn/onlyIn, docs/roles.md)." },
  AutomaticChargeableRoles: { rule: "U11/C6", level: "warning", acknowledgeable: true, summary: "A role makes the server add licensed roles to other users of the customer by itself (supervisor level 3+ adds the Real-Time Add-On to every PBX user).", fix: "Check that the customer expects these charges, then acknowledge the finding with the reason." },
  InvalidRoleBundle: { rule: "H2", level: "error", acknowledgeable: false, summary: "A role bundle has no name, no role, or a role that cannot be asked for.", fix: "Give the bundle a kebab-case name and at least one catalogue role that is not read-only." },
  InvalidRoleTemplate: { rule: "H2", level: "error", acknowledgeable: false, summary: "rolesFrom names something other than a CustomerUser of this library.", fix: "Pass a CustomerUser (declared or adopted) as the template." },
  RoleTemplateCycle: { rule: "H2", level: "error", acknowledgeable: false, summary: "Users copy their roles from each other in a cycle.", fix: "Break the cycle: give one of the users its own roles instead of rolesFrom." },
  // Activation and welcome e-mails (validation/emails).
  EmailTriggerInvalid: { rule: "H5/U14", level: "error", acknowledgeable: false, summary: "sendActivation or sendWelcome is not a literal date, counter or short label (1–64 letters, digits, '.', '_', ':' or '-').", fix: "Use a date such as \"2026-12-01\" or a counter such as 2; change it to send the e-mail again." },
  WelcomeEmailNeedsUc: { rule: "U14", level: "error", acknowledgeable: false, summary: "sendWelcome on a user that will not hold customer.user.uc: the UC welcome e-mail links to the UC clients.", fix: "Grant Role.UC_CLIENT to the user, or remove sendWelcome." },
  // Softphones (validation/softphones).
  SoftphoneInvalid: { rule: "U14", level: "error", acknowledgeable: false, summary: "A softphone is not { device, clientType } with a PBX device id and a client type the API knows (desktop, mobile, webrtc, crm).", fix: "Write each softphone as { device: \"1001\", clientType: ClientType.DESKTOP } with the device's id on the PBX." },
  DuplicateSoftphoneDevice: { rule: "U14", level: "error", acknowledgeable: false, summary: "A device is listed twice for a user, or is a softphone of two users of one customer; the API lets one user hold a device, with one client type.", fix: "List each device once, on one user of the customer." },
  SoftphoneRoleMissing: { rule: "U7", level: "error", acknowledgeable: false, summary: "A user has softphones without customer.user.uc and customer.user.uc.softphone among the roles it will hold; the API refuses the device.", fix: "Add RoleBundle.UC_SOFTPHONE (or the missing role) to the user's roles, or remove the softphones." },
  // Acknowledgements (validation/acknowledgements).
  AcknowledgementInvalid: { rule: "ack", level: "error", acknowledgeable: false, summary: "An acknowledgement names no known code or rule, has a reason shorter than 10 characters, or an expiry that is not an ISO date.", fix: "Name one code (or one rule id), give a reason of at least 10 characters and, optionally, expires: \"YYYY-MM-DD\"." },
  AcknowledgementNotAllowed: { rule: "ack", level: "error", acknowledgeable: false, summary: "The finding cannot be acknowledged: the API would refuse the change, or the guard protects data or access.", fix: "Fix the configuration instead (the rules page lists which codes can be acknowledged)." },
  AcknowledgementExpired: { rule: "ack", level: "error", acknowledgeable: false, summary: "An acknowledgement's expiry date has passed.", fix: "Fix the finding and remove the acknowledgement, or review it and set a new expiry date." },
  // Tenant access requests (validation/access).
  AccessRequestNameInvalid: { rule: "A2", level: "error", acknowledgeable: false, summary: "An access request name is not 1–100 letters and digits.", fix: "Use 1–100 letters and digits, no spaces or special characters." },
  AccessRequestMessageTooLong: { rule: "A2", level: "error", acknowledgeable: false, summary: "An access request message is longer than 1000 characters.", fix: "Shorten the message to at most 1000 characters." },
  AccessRequestMessageEmpty: { rule: "A2", level: "warning", acknowledgeable: true, summary: "An access request has no message: the customer sees neither its name nor its users.", fix: "Write a message saying who needs access and why, or acknowledge the finding." },
  DuplicateAccessRequestName: { rule: "A2", level: "error", acknowledgeable: false, summary: "Two access requests of the app share a name (compared case-insensitively).", fix: "Give each access request its own name." },
  AccessAssociationInvalid: { rule: "A3", level: "error", acknowledgeable: false, summary: "An access request has no association, or an association without partner users or customers, or with a malformed e-mail.", fix: "Give each association at least one partner user (valid e-mail) and one customer." },
  AccessAssociationDuplicate: { rule: "A3", level: "error", acknowledgeable: false, summary: "An association lists the same partner user or the same customer twice.", fix: "List each partner user and each customer once per association." },
  AccessModeInvalid: { rule: "A7", level: "error", acknowledgeable: false, summary: "An access mode is not \"configure\" or \"support\".", fix: "Use \"configure\" or \"support\"." },
  AccessWaitInvalid: { rule: "A7", level: "error", acknowledgeable: false, summary: "waitForDecision has a timeout or poll interval out of range.", fix: "Use a timeout and poll interval within the documented range." },
  PartnerAccessModeConflict: { rule: "A8", level: "error", acknowledgeable: false, summary: "A partner user would hold two access modes on one tenant.", fix: "Give the partner user one access mode per tenant." },
  // Users from a CSV file (validation/csv).
  CsvFileInvalid: { rule: "H6", level: "error", acknowledgeable: false, summary: "A users CSV cannot be read or parsed, or a header or row does not fit the column convention (unknown, blank, repeated or ambiguous column; missing email/displayName column; wrong cell count).", fix: "Follow the header convention (email, displayName, primaryAdmin, one column per role or bundle:<name>, # for notes) with one cell per column in every row." },
  CsvValueInvalid: { rule: "H6", level: "error", acknowledgeable: false, summary: "A role, bundle or primaryAdmin cell of a users CSV is not TRUE or FALSE.", fix: "Write TRUE or FALSE (an empty cell is FALSE)." },
  CsvRowsInvalid: { rule: "H6", level: "error", acknowledgeable: false, summary: "Rows of a users CSV break rules; one error lists every problem with file, line and column.", fix: "Correct each cell listed and synthesize again." },
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

/** The one line every finding is shown as: `[<construct path>] <Code> [<rule>]: <message>; <fix>`. */
export function formatFindingLine(f: Pick<Finding, "code" | "rule" | "path" | "message" | "fix">): string {
  return `[${f.path}] ${formatFinding(f)}`;
}

/**
 * Thrown only where going on is impossible: a construct outside a DimensionsStack, a customer that
 * is not one of this library's, a handler bundle that does not exist, a RoleBundle (a value, with no
 * construct to report on). Every other finding is reported at synth, as an annotation.
 *
 * The message is the finding's one line (`[path] Code [rule]: message; fix`; one line per finding
 * when there are several) and the stack is that message alone: the error is about the app's
 * declarations, not about where in this library it was noticed. `code`, `rule`, `path` and `fix`
 * (those of the first finding) are there for callers and tests, and are not printed with it.
 */
export class DimensionsError extends Error {
  public declare readonly code: RuleCode;
  public declare readonly rule: string;
  public declare readonly path: string;
  public declare readonly fix: string;
  /** Every finding the error reports (one, except for a RoleBundle with several problems). */
  public declare readonly findings: readonly Finding[];

  constructor(f: Pick<Finding, "code" | "rule" | "path" | "message" | "fix">, ...more: Finding[]) {
    const first: Finding = { level: "error", ...f };
    const all = [first, ...more];
    super(all.map(formatFindingLine).join("\n"));
    // Not enumerable: Node prints an uncaught error's own enumerable properties after it.
    const hidden = (key: string, value: unknown) => Object.defineProperty(this, key, { value, enumerable: false, writable: false });
    hidden("name", "DimensionsError");
    hidden("code", f.code);
    hidden("rule", f.rule);
    hidden("path", f.path);
    hidden("fix", f.fix);
    hidden("findings", all);
    hidden("stack", `${this.name}: ${this.message}`);
  }

  static of(f: Finding): DimensionsError {
    return new DimensionsError(f);
  }
}

/** Throws one DimensionsError listing every error-level finding, if any; returns the warnings. */
export function throwErrors(findings: readonly Finding[]): Finding[] {
  const errors = findings.filter((f) => f.level === "error");
  if (errors.length > 0) throw new DimensionsError(errors[0], ...errors.slice(1));
  return findings.filter((f) => f.level === "warning");
}
