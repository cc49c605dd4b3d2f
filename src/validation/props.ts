/**
 * Checks of one construct's own props (the earliest layer that knows, house style): the
 * constructors record what these return on the construct, and the synth reports it with every
 * other finding of the app. Pure and deterministic.
 */
import { isRoleBundle, type RoleLike } from "../catalogue/bundles";
import { findRole, ROLE_ALIASES } from "../catalogue/roles";
import { FIELD_LIMITS } from "../contracts/api";
import { Token } from "../framework";
import { finding, type Finding } from "./rules";
import { didYouMeanRole, suggestRoles } from "./suggest";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Deliberately loose (the server is the judge, U1): one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const COUNTRY_CODE = /^[A-Za-z]{2,3}$/;
const TEMPLATE_SEQUENCE = /[$%]\{/;
const REGIONS = ["au", "eu", "na", "uk"] as const;

let zones: ReadonlySet<string> | undefined;
/** IANA zones known to this Node, plus "UTC" (which Intl lists only as an alias). */
export function isIanaTimezone(value: string): boolean {
  zones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC", "Etc/UTC"]);
  return zones.has(value);
}

export function isEnvVarName(value: string): boolean {
  return ENV_NAME.test(value);
}

/**
 * Heuristic for C4: something that reads like a generated key rather than a variable name
 * (variable names are words joined by underscores; keys are long runs of mixed characters).
 */
export function looksLikeSecret(value: string): boolean {
  const mixedCase = /[a-z]/.test(value) && /[A-Z]/.test(value);
  const digits = (value.match(/[0-9]/g) ?? []).length;
  if (value.length >= 16 && mixedCase && digits > 0) return true;
  if (value.length >= 20 && !value.includes("_") && digits >= 4) return true;
  return /[^A-Za-z0-9_]/.test(value) && value.length >= 16 && digits > 0;
}

export function isUnresolved(value: unknown): boolean {
  return Token.isUnresolved(value);
}

function unresolvedWarning(path: string, what: string): Finding {
  return finding("UnresolvedValue", path, `${what} is a token and cannot be checked at synth`, "pass a literal value if you want it checked before apply");
}

interface TextField {
  readonly label: string;
  readonly value: string | undefined;
  readonly max: number;
  readonly required: boolean;
}

function checkText(path: string, code: "CustomerFieldInvalid" | "UserFieldInvalid", subject: string, field: TextField): Finding[] {
  const { label, value, max, required } = field;
  if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) {
    return required ? [finding(code, path, `${subject} has no ${label}`, `set ${label} (1–${max} characters)`)] : [];
  }
  if (typeof value !== "string") return [finding(code, path, `${label} of ${subject} is not a string (${JSON.stringify(value)})`, `set ${label} to a string`)];
  if (isUnresolved(value)) return [unresolvedWarning(path, `${label} of ${subject}`)];
  if (value.length > max) {
    return [finding(code, path, `${label} of ${subject} is ${value.length} characters long (max ${max}): "${value.slice(0, 40)}…"`, `shorten ${label} to at most ${max} characters`)];
  }
  return [];
}

/** Natural keys end up as manifest keys and Terraform object keys: literals without templates. */
function checkNaturalKey(path: string, label: string, value: string, code: "CustomerFieldInvalid" | "UserFieldInvalid"): Finding[] {
  if (isUnresolved(value)) {
    return [finding(code, path, `${label} is a token ("${value}"); it is the object's natural key and must be known at synth`, `pass ${label} as a literal string`)];
  }
  if (TEMPLATE_SEQUENCE.test(value)) {
    return [finding("TemplateSequenceInKey", path, `${label} "${value}" contains "\${" or "%{"`, `remove the template sequence from ${label}`)];
  }
  return [];
}

export interface PbxFields {
  readonly hostRest?: string;
  readonly hostWebsocket?: string;
  readonly accountId?: string;
  readonly apiKeyEnv?: string;
  readonly monitorSubAccounts?: boolean;
}

export interface CustomerFields {
  readonly name?: string;
  readonly description?: string;
  readonly reference?: string;
  readonly timezone?: string;
  readonly countryCode?: string;
  readonly pbx?: PbxFields;
}

/** C1 (fields, PBX details), C4 (apiKeyEnv is a variable name, not a secret) of an owned customer. */
export function checkCustomerFields(path: string, props: CustomerFields): Finding[] {
  const subject = props.reference && !isUnresolved(props.reference) ? `customer "${props.reference}"` : "the customer";
  const out: Finding[] = [
    ...checkText(path, "CustomerFieldInvalid", subject, { label: "name", value: props.name, max: FIELD_LIMITS.customerName, required: true }),
    ...checkText(path, "CustomerFieldInvalid", subject, { label: "description", value: props.description, max: FIELD_LIMITS.customerDescription, required: true }),
    ...checkReference(path, props.reference),
  ];
  if (props.timezone !== undefined) {
    if (isUnresolved(props.timezone)) out.push(unresolvedWarning(path, `timezone of ${subject}`));
    else if (props.timezone.length > FIELD_LIMITS.timezone || !isIanaTimezone(props.timezone)) {
      out.push(finding("InvalidTimezone", path, `timezone "${props.timezone}" of ${subject} is not an IANA time zone`, `use a zone such as "Europe/Paris" or "UTC"`));
    }
  }
  if (props.countryCode !== undefined) {
    if (isUnresolved(props.countryCode)) out.push(unresolvedWarning(path, `countryCode of ${subject}`));
    else if (props.countryCode.length > FIELD_LIMITS.countryCode || !COUNTRY_CODE.test(props.countryCode)) {
      out.push(finding("InvalidCountryCode", path, `countryCode "${props.countryCode}" of ${subject} is not an ISO 3166 alpha-2 or alpha-3 code`, `use a code such as "FR" or "FRA"`));
    }
  }
  out.push(...checkPbx(path, subject, props.pbx));
  return out;
}

/** C1/C2: the reference is required, ≤200, and a literal (it is the customer's natural key). */
export function checkReference(path: string, reference: string | undefined): Finding[] {
  if (typeof reference === "string" && isUnresolved(reference)) return checkNaturalKey(path, "reference", reference, "CustomerFieldInvalid");
  const text = checkText(path, "CustomerFieldInvalid", "the customer", { label: "reference", value: reference, max: FIELD_LIMITS.customerReference, required: true });
  if (text.length > 0 || reference === undefined) return text;
  return checkNaturalKey(path, "reference", reference, "CustomerFieldInvalid");
}

function checkPbx(path: string, subject: string, pbx: PbxFields | undefined): Finding[] {
  if (!pbx) {
    return [finding("PbxDetailsMissing", path, `${subject} has no PBX connection details`, "set pbx: { hostRest, hostWebsocket, accountId, apiKeyEnv } (or use Customer.fromReference for a customer the app does not own)")];
  }
  const out: Finding[] = [];
  for (const field of ["hostRest", "hostWebsocket", "accountId"] as const) {
    const value = pbx[field];
    if (value === undefined || (typeof value === "string" && value.trim() === "")) {
      out.push(finding("PbxDetailsMissing", path, `pbx.${field} of ${subject} is missing`, `set pbx.${field}`));
    } else if (isUnresolved(value)) {
      out.push(unresolvedWarning(path, `pbx.${field} of ${subject}`));
    }
  }
  out.push(...checkApiKeyEnv(path, subject, pbx.apiKeyEnv));
  return out;
}

/** C4: the Kazoo API key never enters the configuration; only the NAME of its variable does. */
export function checkApiKeyEnv(path: string, subject: string, apiKeyEnv: string | undefined): Finding[] {
  if (apiKeyEnv === undefined || apiKeyEnv === "") {
    return [finding("PbxDetailsMissing", path, `pbx.apiKeyEnv of ${subject} is missing`, "set pbx.apiKeyEnv to the NAME of the environment variable that holds the Kazoo API key at apply time")];
  }
  if (isUnresolved(apiKeyEnv)) {
    return [finding("InvalidApiKeyEnv", path, `pbx.apiKeyEnv of ${subject} is a token`, "pass the variable NAME as a literal string, e.g. \"ACME_KAZOO_API_KEY\"")];
  }
  // The received value is not echoed: it may be the secret itself.
  const hint = "pass the NAME of an environment variable (e.g. \"ACME_KAZOO_API_KEY\") and export the key in that variable where terraform runs";
  if (looksLikeSecret(apiKeyEnv)) {
    return [finding("SecretInConfiguration", path, `pbx.apiKeyEnv of ${subject} looks like a secret value (${apiKeyEnv.length} characters), not a variable name; it would be written to the configuration and state`, hint)];
  }
  if (!isEnvVarName(apiKeyEnv)) {
    return [finding("InvalidApiKeyEnv", path, `pbx.apiKeyEnv of ${subject} ("${apiKeyEnv}") is not an environment variable name (^[A-Za-z_][A-Za-z0-9_]*$)`, hint)];
  }
  return [];
}

export interface UserFields {
  readonly email?: string;
  readonly displayName?: string;
  /** Created users need a display name; adopted users keep theirs when none is given. */
  readonly displayNameRequired: boolean;
}

/** U1: e-mail required, ≤200, valid, a literal (natural key); displayName required (when created), ≤100. */
export function checkUserFields(path: string, props: UserFields): Finding[] {
  const email = props.email;
  const subject = typeof email === "string" && !isUnresolved(email) && email !== "" ? `user "${email}"` : "the user";
  return [...checkUserEmail(path, email), ...checkDisplayName(path, subject, props.displayName, props.displayNameRequired)];
}

/** U1: the display name (required for created users, ≤100). */
export function checkDisplayName(path: string, subject: string, displayName: string | undefined, required: boolean): Finding[] {
  return checkText(path, "UserFieldInvalid", subject, { label: "displayName", value: displayName, max: FIELD_LIMITS.userDisplayName, required });
}

/** U1: the e-mail alone (the user's natural key): an error means the user cannot be identified. */
export function checkUserEmail(path: string, email: unknown): Finding[] {
  if (email === undefined || email === null || (typeof email === "string" && email.trim() === "")) {
    return [finding("UserFieldInvalid", path, "the user has no e-mail", `set email (a valid address, at most ${FIELD_LIMITS.userEmail} characters)`)];
  }
  if (typeof email !== "string") return [finding("UserFieldInvalid", path, `e-mail ${JSON.stringify(email)} is not a string`, "set email to a string")];
  if (isUnresolved(email)) return checkNaturalKey(path, "email", email, "UserFieldInvalid");
  if (email.length > FIELD_LIMITS.userEmail) {
    return [finding("UserFieldInvalid", path, `e-mail of user "${email}" is ${email.length} characters long (max ${FIELD_LIMITS.userEmail})`, `use an address of at most ${FIELD_LIMITS.userEmail} characters`)];
  }
  if (!EMAIL.test(email)) return [finding("UserFieldInvalid", path, `e-mail "${email}" is not a valid address`, "use an address like \"ana@acme.example\"")];
  return checkNaturalKey(path, "email", email, "UserFieldInvalid");
}

/**
 * Role keys on their own: unknown keys (with the alias hint: `admin.user` → `user.admin`) and
 * read-only roles (U13) are errors; server-managed roles ("auto"/"synced") may be asked for.
 */
export function checkRoleKeys(path: string, subject: string, roles: readonly RoleLike[] | undefined): Finding[] {
  if (!Array.isArray(roles)) {
    return [finding("UnknownRole", path, `roles of ${subject} is not a list (${JSON.stringify(roles)})`, "pass roles as an array of role keys, e.g. [Role.WEBSITE_ACCESS]")];
  }
  const out: Finding[] = [];
  for (const item of roles) {
    // H2: a bundle stands for its roles; each is checked as if listed, naming the bundle.
    if (isRoleBundle(item)) {
      out.push(...checkRoleKeys(path, `${subject} (bundle "${item.bundleName}")`, [...item.roles]));
      continue;
    }
    const key: unknown = item;
    if (typeof key !== "string" || isUnresolved(key)) {
      out.push(finding("UnknownRole", path, `role ${JSON.stringify(key)} of ${subject} is not a literal role key`, "use a key of the role catalogue (Role.X) as a literal string"));
      continue;
    }
    const role = findRole(key);
    if (!role) {
      out.push(finding("UnknownRole", path, `role "${key}" of ${subject} is not in the role catalogue`, unknownRoleFix(key)));
    } else if (role.assignment === "read-only") {
      out.push(finding("ReadOnlyRole", path, `role "${key}" of ${subject} is read-only: only the server sets it`, `remove "${key}" from the roles`));
    }
  }
  return out;
}

/**
 * The fix of an UnknownRole: the documented alias (`admin.user` → `user.admin`), else the nearest
 * keys (by key, `Role` constant or catalogue name, within 2 edits), else where the keys are listed.
 */
export function unknownRoleFix(key: string): string {
  const alias = ROLE_ALIASES[key];
  if (alias) return `did you mean "${alias}"? use "${alias}" instead`;
  const suggestion = didYouMeanRole(key);
  if (suggestion) return `${suggestion} use ${suggestRoles(key).length === 1 ? "it" : "one of them"} instead`;
  return "use a key of the role catalogue (see ROLE_CATALOGUE or Role.X)";
}

export interface StackFields {
  readonly acceptCharges?: unknown;
  readonly region?: string;
  readonly apiUrl?: string;
  readonly resourceType?: string;
}

export function checkStackFields(path: string, props: StackFields): Finding[] {
  const out: Finding[] = [];
  if (typeof props.acceptCharges !== "boolean") {
    out.push(finding("InvalidStackSettings", path, `acceptCharges is ${JSON.stringify(props.acceptCharges)}`, "set acceptCharges: true to opt in to charges (C6), or false to refuse every chargeable change"));
  }
  if (props.region !== undefined && props.apiUrl !== undefined) {
    out.push(finding("InvalidStackSettings", path, `both region "${props.region}" and apiUrl "${props.apiUrl}" are set`, "set either region or apiUrl, not both"));
  }
  if (props.region !== undefined && !(REGIONS as readonly string[]).includes(props.region)) {
    out.push(finding("InvalidStackSettings", path, `region "${props.region}" is not one of ${REGIONS.join(", ")}`, `use one of ${REGIONS.map((r) => `"${r}"`).join(", ")}`));
  }
  if (props.apiUrl !== undefined && !isUnresolved(props.apiUrl) && !/^https?:\/\/[^\s]+$/.test(props.apiUrl)) {
    out.push(finding("InvalidStackSettings", path, `apiUrl "${props.apiUrl}" is not an http(s) URL`, "use a base URL such as \"https://api.example.test\""));
  }
  if (props.resourceType !== undefined && props.resourceType !== "terraform_data" && props.resourceType !== "null_resource") {
    out.push(finding("InvalidStackSettings", path, `resourceType "${props.resourceType}" is not supported`, "use \"terraform_data\" (default) or \"null_resource\""));
  }
  return out;
}

const BUNDLE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** H2: a bundle has a kebab-case name and at least one role that may be asked for. */
export function checkBundle(name: unknown, roles: unknown): Finding[] {
  const path = `RoleBundle(${typeof name === "string" ? name : JSON.stringify(name)})`;
  const out: Finding[] = [];
  if (typeof name !== "string" || isUnresolved(name) || !BUNDLE_NAME.test(name) || name.length > 100) {
    out.push(finding("InvalidRoleBundle", path, `bundle name ${JSON.stringify(name)} is not a kebab-case literal of 1–100 characters`, 'name the bundle like "report-supervisor"'));
  }
  if (!Array.isArray(roles) || roles.length === 0) {
    out.push(finding("InvalidRoleBundle", path, `bundle ${JSON.stringify(name)} has no roles (${JSON.stringify(roles)})`, "list at least one role key (Role.X) or bundle"));
    return out;
  }
  // Unknown and read-only roles keep their own codes (UnknownRole, ReadOnlyRole).
  out.push(...checkRoleKeys(path, `bundle "${String(name)}"`, roles as RoleLike[]));
  return out;
}
