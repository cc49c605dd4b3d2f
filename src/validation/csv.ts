/**
 * H6: users and their roles declared in bulk from a CSV file, one row per user and one TRUE/FALSE
 * column per role or bundle. This module is the pure half: it takes the file's TEXT (the construct
 * reads the file), parses it, and checks EVERY row before anyone fails, so one synth lists every bad
 * row with file, line and column. No file system, no clock, no randomness.
 *
 * Header convention (case-insensitive; spaces, `-` and `_` are interchangeable):
 * - `email` (or `e-mail`): required; the user's natural key (U1).
 * - `displayName` (or `display name`): required unless the users are adopted.
 * - `primaryAdmin` (or `primary admin`): optional TRUE/FALSE; at most one TRUE per file (H1).
 * - `softphones` (U14): optional; each cell lists the row's PBX devices as `<device>:<clientType>`,
 *   separated by spaces, commas or semicolons (`1001:desktop 1002:mobile`). With the column, every
 *   row holds exactly its devices (an empty cell: none), as its roles are exactly its TRUE cells.
 * - a role: its key (`customer.user.supervisorl1`), its catalogue name (`Reports Supervisor`) or its
 *   `Role` constant (`REPORTS_SUPERVISOR`, `Role.REPORTS_SUPERVISOR`).
 * - a bundle (H2): `bundle:<name>` (`bundle:report-supervisor`); the bare bundle name works too
 *   when it names no role.
 * - a header starting with `#` is a note for people (ignored).
 * Cells: TRUE or FALSE (any case; the French spreadsheet spellings VRAI/FAUX too); an empty cell is
 * FALSE. Every cell is trimmed. Blank lines and rows whose cells are all empty are skipped.
 */
import { parse } from "csv-parse/sync";
import { BUILT_IN_BUNDLES, type IRoleBundle } from "../catalogue/bundles";
import { findRole, Role, ROLE_ALIASES, ROLE_CATALOGUE, type Region } from "../catalogue/roles";
import { FIELD_LIMITS } from "../contracts/api";
import { validateModel, type DimensionsModel } from "./model";
import { sortedSoftphones } from "../contracts/softphones";
import { checkUserFields } from "./props";
import { checkSoftphones, type SoftphoneModel } from "./softphones";
import { didYouMean, nearest, suggestRoles } from "./suggest";
import { finding, formatFinding, type Finding, type RuleCode } from "./rules";

/** A column of the users CSV, as its header resolved. */
export type UsersCsvColumn =
  | { readonly kind: "email" }
  | { readonly kind: "displayName" }
  | { readonly kind: "primaryAdmin" }
  | { readonly kind: "softphones" }
  | { readonly kind: "role"; readonly role: string }
  | { readonly kind: "bundle"; readonly bundle: string; readonly roles: readonly string[] }
  | { readonly kind: "note" };

/** One user, from one row. */
export interface UsersCsvRow {
  /** Line of the file where the row starts (1-based; the header is line 1 unless blank lines precede it). */
  readonly line: number;
  readonly email: string;
  /** Absent when the cell is empty (allowed for adopted users only). */
  readonly displayName?: string;
  /** Role keys the row grants (role columns and expanded bundles), sorted, each once. */
  readonly roles: readonly string[];
  readonly primaryAdmin: boolean;
  /** U14: the row's softphones, sorted by device; absent when the file has no softphones column. */
  readonly softphones?: readonly SoftphoneModel[];
}

export interface UsersCsvOptions {
  /** The file name shown in findings (`users.csv:12:4`). */
  readonly file: string;
  /**
   * Bundles usable as columns besides the built-in ones (`RoleBundle.of(...)`).
   * @default - the built-in bundles only
   */
  readonly bundles?: readonly IRoleBundle[];
  /**
   * Whether every row needs a display name (created users) or may leave it empty (adopted users
   * keep theirs).
   * @default true
   */
  readonly displayNameRequired?: boolean;
  /** @default - detected from the header line: `;` or a tab when the header has no `,`, else `,` */
  readonly delimiter?: "," | ";" | "\t";
  /**
   * Region of the stack, so a row asking for a role that does not exist there is reported (U10).
   * @default - unknown: no role is unavailable
   */
  readonly region?: Region;
}

export interface UsersCsv {
  readonly columns: readonly UsersCsvColumn[];
  /** Rows without error findings, in file order. */
  readonly rows: readonly UsersCsvRow[];
  /**
   * Every problem, in file order; `path` is `<file>:<line>:<column>` (column: the 1-based position
   * of the cell in its row, so a spreadsheet user finds it).
   */
  readonly findings: readonly Finding[];
}

/**
 * The ONE finding CustomerUsersFromCsv reports (at synth) when rows are wrong: its head reads as any
 * other coded finding, and every problem of the file follows, one line each, in file order:
 * `  users.csv:12:4 UnknownRole [U7]: …; fix`.
 */
export function csvRowsFinding(constructPath: string, file: string, findings: readonly Finding[]): Finding {
  const errors = findings.filter((f) => f.level === "error");
  const lines = new Set(errors.map((f) => f.path.split(":").slice(-2, -1)[0]));
  return finding(
    "CsvRowsInvalid",
    constructPath,
    `${errors.length} problem(s) on ${lines.size} line(s) of ${file}`,
    // The list goes last, so the head reads as any other coded finding.
    `correct each cell listed (file:line:column) and synthesize again; no user of the file is declared until every row is valid:\n${errors.map((f) => `  ${f.path} ${formatFinding(f)}`).join("\n")}`,
  );
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const TRUE = new Set(["true", "vrai"]);
const FALSE = new Set(["false", "faux", ""]);

/** Header normalisation: case, spaces, `-`, `_`, `(`, `)` do not matter; dots do (role keys). */
export function normalizeHeader(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9.:#]+/g, " ")
    .trim();
}

const STRUCTURAL: ReadonlyMap<string, UsersCsvColumn> = new Map<string, UsersCsvColumn>([
  ["email", { kind: "email" }],
  ["e mail", { kind: "email" }],
  ["displayname", { kind: "displayName" }],
  ["display name", { kind: "displayName" }],
  ["primaryadmin", { kind: "primaryAdmin" }],
  ["primary admin", { kind: "primaryAdmin" }],
  ["softphones", { kind: "softphones" }],
  ["softphone", { kind: "softphones" }],
]);

/** Every spelling of every role: key, catalogue name, `Role` constant (with or without `Role.`). */
const ROLE_HEADERS: ReadonlyMap<string, string> = (() => {
  const out = new Map<string, string>();
  for (const role of ROLE_CATALOGUE) {
    out.set(role.key, role.key);
    out.set(normalizeHeader(role.name), role.key);
  }
  for (const [constant, key] of Object.entries(Role)) {
    out.set(normalizeHeader(constant), key);
    out.set(normalizeHeader(`Role.${constant}`), key);
  }
  return out;
})();

/** The role a header names, if any (exported for the docs and the unit tests). */
export function roleForHeader(header: string): string | undefined {
  return ROLE_HEADERS.get(normalizeHeader(header));
}

function detectDelimiter(text: string): "," | ";" | "\t" {
  const end = text.indexOf("\n");
  const header = end < 0 ? text : text.slice(0, end);
  if (header.includes(",")) return ",";
  if (header.includes(";")) return ";";
  if (header.includes("\t")) return "\t";
  return ",";
}

/** 1-based line of each byte offset, from the positions of "\n" (LF and CRLF files alike). */
function lineIndex(bytes: Buffer): (offset: number) => number {
  const newlines: number[] = [];
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) newlines.push(i);
  return (offset) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

interface RawRecord {
  readonly cells: readonly string[];
  /** Byte offset where the record starts (after the previous record's delimiter). */
  readonly start: number;
}

/** Parses with csv-parse's sync API; records parsed before a syntax error are kept. */
function parseRecords(bytes: Buffer, delimiter: string): { records: RawRecord[]; error?: { message: string; start: number } } {
  const records: RawRecord[] = [];
  let end = 0;
  try {
    parse(bytes, {
      bom: true,
      delimiter,
      relax_column_count: true,
      // csv-parse's own line counter counts a CRLF inside a quoted field twice, so lines are
      // computed here from byte offsets (`context.bytes`: where the record ends, delimiter included).
      on_record: (record, context) => {
        records.push({ cells: record, start: end });
        end = context.bytes;
        return null;
      },
    });
    return { records };
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/ at line \d+/g, "");
    return { records, error: { message, start: end } };
  }
}

/** The first byte of a record that is not a line break (blank lines before it belong to it). */
function firstContent(bytes: Buffer, start: number): number {
  let i = start;
  while (i < bytes.length && (bytes[i] === 10 || bytes[i] === 13)) i++;
  return i;
}

function quoted(list: readonly string[]): string {
  return list.map((x) => `"${x}"`).join(", ");
}

/**
 * Parses and checks a users CSV. Never throws on bad input: every problem is a finding, and only
 * rows without error findings are returned (a caller fails when `findings` holds an error).
 *
 * What is checked (finding codes): the file's syntax and header (CsvFileInvalid: unknown, blank,
 * repeated or ambiguous column, missing email/displayName column, a row with more or fewer cells
 * than the header, an unclosed quote); UnknownRole for a header that reads like a role key but is
 * not one; each TRUE/FALSE cell (CsvValueInvalid); each row's e-mail and display name
 * (UserFieldInvalid, U1), e-mails repeated in the file (DuplicateUserEmail, U1, case-insensitive),
 * more than one primary admin (MultiplePrimaryAdmins, H1); and each row's role set on its own:
 * read-only roles (ReadOnlyRole, U13) and the same rules as any user (U3, U7, U8/H3, U10, H1's
 * admin roles), so a row is valid by itself — a sheet is reviewed row by row, and a row that only
 * works thanks to a RoleAssignment elsewhere is a trap.
 */
export function parseUsersCsv(text: string, options: UsersCsvOptions): UsersCsv {
  const file = options.file;
  const displayNameRequired = options.displayNameRequired ?? true;
  const at = (line: number, column?: number) => (column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`);
  const findings: Finding[] = [];
  const push = (code: RuleCode, line: number, column: number | undefined, message: string, fix: string) =>
    findings.push(finding(code, at(line, column), message, fix));

  const bytes = Buffer.from(text, "utf8");
  const lineOf = lineIndex(bytes);
  const { records, error } = parseRecords(bytes, options.delimiter ?? detectDelimiter(text));
  const blank = (r: RawRecord) => r.cells.every((c) => c.trim() === "");
  const content = records.filter((r) => !blank(r));
  const recordLine = (r: RawRecord) => lineOf(firstContent(bytes, r.start));

  const header = content[0];
  if (!header) {
    if (error) push("CsvFileInvalid", lineOf(firstContent(bytes, error.start)), undefined, `the file cannot be parsed: ${error.message}`, "fix the quoting (a field with a comma, quote or line break is enclosed in \"…\", and a quote inside it is doubled)");
    else push("CsvFileInvalid", 1, undefined, "the file has no header row", "start the file with a header row, e.g. email,displayName,Website Access");
    return { columns: [], rows: [], findings };
  }

  const meant = new Set<string>();
  const columns = resolveHeader(header.cells, recordLine(header), options, push, meant);
  const indexOf = (kind: UsersCsvColumn["kind"]) => columns.findIndex((c) => c?.kind === kind);
  const emailIndex = indexOf("email");
  const nameIndex = indexOf("displayName");
  const primaryIndex = indexOf("primaryAdmin");
  const phonesIndex = indexOf("softphones");
  const deviceLines = new Map<string, number>();
  const headerLine = recordLine(header);
  // A missing column that a mistyped header is suggested for is that header's error alone.
  if (emailIndex < 0 && !meant.has("email")) push("CsvFileInvalid", headerLine, undefined, "the header has no email column", "add an email column (the user's natural key)");
  if (nameIndex < 0 && displayNameRequired && !meant.has("displayName")) push("CsvFileInvalid", headerLine, undefined, "the header has no displayName column", "add a displayName column (required for users the app creates)");
  // Without the key column (or the display names created users need) no row can be read; an
  // unknown or repeated column is reported and its cells ignored, so every row is still checked.
  const headerBroken = emailIndex < 0 || (nameIndex < 0 && displayNameRequired);

  const rows: UsersCsvRow[] = [];
  const seenEmails = new Map<string, number>();
  let primaryLine: number | undefined;
  for (const record of content.slice(1)) {
    if (headerBroken) break; // cells cannot be read against a header that failed
    const line = recordLine(record);
    const before = findings.length;
    const rowFindings = checkRow(record.cells, line);
    findings.push(...rowFindings.extra);
    if (rowFindings.row && !findings.slice(before).some((f) => f.level === "error")) rows.push(rowFindings.row);
  }
  if (error) {
    push("CsvFileInvalid", lineOf(firstContent(bytes, error.start)), undefined, `the rest of the file cannot be parsed: ${error.message}`, "fix the quoting from this line on (a field with a comma, quote or line break is enclosed in \"…\", and a quote inside it is doubled)");
  }
  return { columns: columns.filter((c): c is UsersCsvColumn => c !== undefined), rows, findings };

  function checkRow(cells: readonly string[], line: number): { row?: UsersCsvRow; extra: Finding[] } {
    const extra: Finding[] = [];
    const add = (code: RuleCode, column: number | undefined, message: string, fix: string) => extra.push(finding(code, at(line, column), message, fix));
    if (cells.length !== columns.length) {
      add("CsvFileInvalid", Math.min(cells.length, columns.length) + 1, `the row has ${cells.length} cells, the header ${columns.length}`, "give every row one cell per header column (an empty cell is FALSE)");
      return { extra };
    }
    const cell = (i: number) => cells[i].trim();
    const email = cell(emailIndex);
    const who = email ? `user "${email}"` : "the user";

    // U1: the e-mail (required, ≤200, an address, a literal without "${").
    for (const f of checkUserFields(at(line, emailIndex + 1), { email, displayNameRequired: false })) extra.push(f);
    const key = email.toLowerCase();
    const first = seenEmails.get(key);
    if (email && first !== undefined) {
      add("DuplicateUserEmail", emailIndex + 1, `e-mail "${email}" is already on line ${first} (e-mails are compared case-insensitively)`, "keep one row per user: merge the two rows' roles into one");
    } else if (email) {
      seenEmails.set(key, line);
    }

    // U1: the display name.
    const displayName = nameIndex >= 0 ? cell(nameIndex) : "";
    if (nameIndex >= 0 && displayName === "" && displayNameRequired) {
      add("UserFieldInvalid", nameIndex + 1, `${who} has no display name`, `fill in displayName (1–${FIELD_LIMITS.userDisplayName} characters)`);
    } else if (CONTROL_CHARACTER.test(displayName)) {
      // A quoted cell may hold a line break: legal CSV, never a name the portal can show.
      add("UserFieldInvalid", nameIndex + 1, `display name of ${who} contains a line break or control character`, "keep the display name on one line");
    } else if (displayName.length > FIELD_LIMITS.userDisplayName) {
      add("UserFieldInvalid", nameIndex + 1, `display name of ${who} is ${displayName.length} characters long (max ${FIELD_LIMITS.userDisplayName}): "${displayName.slice(0, 40)}…"`, `shorten it to at most ${FIELD_LIMITS.userDisplayName} characters`);
    }

    // TRUE/FALSE cells; where each role comes from (for the column of a role-set finding).
    const source = new Map<string, number>();
    let primaryAdmin = false;
    columns.forEach((column, i) => {
      if (!column || (column.kind !== "role" && column.kind !== "bundle" && column.kind !== "primaryAdmin")) return;
      const value = cell(i).toLowerCase();
      if (!TRUE.has(value) && !FALSE.has(value)) {
        add("CsvValueInvalid", i + 1, `cell "${cells[i].trim()}" of column "${header!.cells[i].trim()}" (${who}) is not TRUE or FALSE`, "write TRUE or FALSE (an empty cell is FALSE)");
        return;
      }
      if (!TRUE.has(value)) return;
      if (column.kind === "primaryAdmin") primaryAdmin = true;
      else for (const role of column.kind === "role" ? [column.role] : column.roles) if (!source.has(role)) source.set(role, i + 1);
    });

    // A cell that is neither TRUE nor FALSE leaves the role set unknown: checking it would only
    // add consequences of the typo (a prerequisite "missing" because its cell was mistyped).
    if (extra.some((f) => f.code === "CsvValueInvalid")) return { extra };

    // U13: read-only roles are the server's.
    for (const [role, column] of source) {
      if (findRole(role)?.assignment === "read-only") add("ReadOnlyRole", column, `role "${role}" of ${who} is read-only: only the server sets it`, `set the cell to FALSE (or drop the column "${header!.cells[column - 1].trim()}")`);
    }

    // H1: one primary admin per file (the Aspect checks the whole customer too).
    if (primaryAdmin) {
      if (primaryLine !== undefined) {
        add("MultiplePrimaryAdmins", primaryIndex + 1, `${who} is marked primaryAdmin, and so is the user on line ${primaryLine}`, "set primaryAdmin to TRUE on exactly one row");
      } else {
        primaryLine = line;
      }
    }

    // U14: the row's devices, each once in the file (one user of a customer holds a device).
    let softphones: SoftphoneModel[] | undefined;
    if (phonesIndex >= 0) {
      const where = at(line, phonesIndex + 1);
      const items = cell(phonesIndex).split(/[\s,;]+/).filter((x) => x !== "");
      const parsed = items.map((item) => {
        const colon = item.lastIndexOf(":");
        return colon < 0 ? { device: item, clientType: undefined } : { device: item.slice(0, colon), clientType: item.slice(colon + 1) };
      });
      const checked = checkSoftphones(where, who, parsed);
      extra.push(...checked.findings.map((f) => (f.code === "SoftphoneInvalid" ? { ...f, fix: `${f.fix}; a cell lists <device>:<clientType> items, e.g. "1001:desktop 1002:mobile"` } : f)));
      softphones = sortedSoftphones(checked.softphones ?? []);
      for (const s of softphones) {
        const earlier = deviceLines.get(s.device);
        if (earlier !== undefined) add("DuplicateSoftphoneDevice", phonesIndex + 1, `device "${s.device}" of ${who} is already a softphone of the user on line ${earlier}; one user of a customer holds a device`, "give the device to one row only");
        else deviceLines.set(s.device, line);
      }
    }

    // The role set on its own: the same rules as any user (U3, U7, U8/H3, U10, H1 admin roles),
    // by running the model's rules on a one-user model. Warnings (U6) are left to the synth-time
    // Aspect, which reports them on the user's construct with every grant folded in.
    const roles = [...source.keys()].sort();
    const model: DimensionsModel = {
      stacks: [{ path: "csv", acceptCharges: true, ...(options.region ? { region: options.region } : {}) }],
      customers: [],
      users: [{ path: "row", stackPath: "csv", customerPath: "csv", email, kind: "declared", roles, primaryAdmin, ...(softphones ? { softphones } : {}) }],
      assignments: [],
    };
    for (const f of validateModel(model)) {
      if (f.level !== "error" || f.code === "CrossStackReference") continue;
      const column = f.code === "PrimaryAdminNotAdmin" ? primaryIndex + 1 : f.code === "SoftphoneRoleMissing" ? phonesIndex + 1 : columnOfFirstRole(f.message, source);
      extra.push({ ...f, path: at(line, column) });
    }

    const row: UsersCsvRow = {
      line,
      email,
      ...(displayName !== "" ? { displayName } : {}),
      roles,
      primaryAdmin,
      ...(softphones ? { softphones } : {}),
    };
    return { row, extra };
  }
}

/**
 * The column to point at for a role-set finding of the model's rules: the cell that granted the
 * first role the message quotes (U7: the role missing its prerequisite; U8: the first of the
 * exclusive roles; U3: user.admin). The messages are the model's own, so the wording stays one.
 */
function columnOfFirstRole(message: string, source: ReadonlyMap<string, number>): number | undefined {
  for (const match of message.matchAll(/"([^"]+)"/g)) {
    const column = source.get(match[1]);
    if (column !== undefined) return column;
  }
  return undefined;
}

/** The structural headers as a user writes them, for suggestions. */
const STRUCTURAL_SPELLINGS: ReadonlyMap<string, "email" | "displayName" | "primaryAdmin" | "softphones"> = new Map([
  ["email", "email"],
  ["displayName", "displayName"],
  ["primaryAdmin", "primaryAdmin"],
  ["softphones", "softphones"],
]);

/** Every header a user may write (structural, each role's key, name and constant, each bundle), to what it means. */
function headerSpellings(bundleNames: readonly string[]): Map<string, string> {
  return new Map<string, string>([
    ...[...STRUCTURAL_SPELLINGS.keys()].map((h): [string, string] => [h, h]),
    ...ROLE_CATALOGUE.flatMap((r): Array<[string, string]> => [[r.name, r.key], [r.key, r.key]]),
    ...Object.entries(Role).map(([constant, key]): [string, string] => [constant, key]),
    ...bundleNames.flatMap((b): Array<[string, string]> => [[`bundle:${b}`, `bundle:${b}`], [b, `bundle:${b}`]]),
  ]);
}

/** The headers a mistyped one most likely means: one spelling per column it could mean. */
function suggestHeaders(text: string, bundleNames: readonly string[]): string[] {
  const spellings = headerSpellings(bundleNames);
  const seen = new Set<string>();
  return nearest(text, spellings.keys(), normalizeHeader).filter((h) => {
    const meaning = spellings.get(h)!;
    if (seen.has(meaning)) return false;
    seen.add(meaning);
    return true;
  });
}

function resolveHeader(
  cells: readonly string[],
  line: number,
  options: UsersCsvOptions,
  push: (code: RuleCode, line: number, column: number | undefined, message: string, fix: string) => void,
  /** Filled with the structural columns ("email", "displayName") a mistyped header is suggested for. */
  meant: Set<string>,
): Array<UsersCsvColumn | undefined> {
  const bundles = new Map<string, IRoleBundle | { bundleName: string; roles: readonly string[] }>();
  for (const b of [...BUILT_IN_BUNDLES, ...(options.bundles ?? [])]) bundles.set(normalizeHeader(b.bundleName), b);
  const bundleNames = [...bundles.values()].map((b) => b.bundleName);

  const seen = new Map<string, number>();
  return cells.map((raw, i) => {
    const column = i + 1;
    const text = raw.trim();
    const norm = normalizeHeader(text);
    const fail = (code: RuleCode, message: string, fix: string): undefined => {
      push(code, line, column, message, fix);
      return undefined;
    };
    if (text === "") return fail("CsvFileInvalid", `column ${column} has no header`, "name every column (email, displayName, a role or a bundle), or start its header with # for notes");
    if (text.startsWith("#")) return { kind: "note" };

    let resolved: UsersCsvColumn | undefined = STRUCTURAL.get(norm);
    const prefixed = /^bundle\s*:/i.test(text);
    if (!resolved && prefixed) {
      const name = normalizeHeader(text.replace(/^bundle\s*:/i, ""));
      const bundle = bundles.get(name);
      if (!bundle) {
        const hint = didYouMean(nearest(text, bundleNames.map((b) => `bundle:${b}`), normalizeHeader));
        return fail("CsvFileInvalid", `column "${text}" names no bundle`, `${hint ? `${hint} ` : ""}use one of ${quoted(bundleNames.map((b) => `bundle:${b}`))}, or pass the bundle in the construct's bundles prop`);
      }
      resolved = { kind: "bundle", bundle: bundle.bundleName, roles: [...bundle.roles] };
    }
    if (!resolved) {
      const role = ROLE_HEADERS.get(norm);
      const bundle = bundles.get(norm);
      if (role && bundle) {
        return fail("CsvFileInvalid", `column "${text}" names both the role "${role}" and the bundle "${bundle.bundleName}"`, `write "${role}" for the role or "bundle:${bundle.bundleName}" for the bundle`);
      }
      if (role) resolved = { kind: "role", role };
      else if (bundle) resolved = { kind: "bundle", bundle: bundle.bundleName, roles: [...bundle.roles] };
    }
    if (!resolved) {
      const alias = ROLE_ALIASES[text];
      if (alias || /^[a-z]+(\.[a-z0-9]+)+$/i.test(text)) {
        const near = suggestRoles(text);
        const fix = alias
          ? `did you mean "${alias}"? use "${alias}" instead`
          : near.length > 0
            ? `${didYouMean(near)} use ${near.length === 1 ? "it" : "one of them"} instead`
            : "use a role key, catalogue name or Role constant (see ROLE_CATALOGUE)";
        return fail("UnknownRole", `column "${text}" is not a role of the catalogue`, fix);
      }
      const suggestions = suggestHeaders(text, bundleNames);
      for (const s of suggestions) if (STRUCTURAL_SPELLINGS.has(s)) meant.add(STRUCTURAL_SPELLINGS.get(s)!);
      const hint = didYouMean(suggestions);
      return fail(
        "CsvFileInvalid",
        `column "${text}" is neither email, displayName, primaryAdmin, a role nor a bundle`,
        hint
          ? `${hint} otherwise use a role key, catalogue name or Role constant, bundle:<name>, or start the header with # for a note`
          : "use a role key (customer.user.supervisorl1), its catalogue name (Reports Supervisor) or Role constant (REPORTS_SUPERVISOR), bundle:<name>, or start the header with # for a note",
      );
    }

    const identity = resolved.kind === "role" ? `role:${resolved.role}` : resolved.kind === "bundle" ? `bundle:${resolved.bundle}` : resolved.kind;
    const earlier = seen.get(identity);
    if (earlier !== undefined) {
      return fail("CsvFileInvalid", `column ${column} "${text}" repeats column ${earlier} "${cells[earlier - 1].trim()}"`, "keep one column per role, bundle or field");
    }
    seen.set(identity, column);
    return resolved;
  });
}
