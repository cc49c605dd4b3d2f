/**
 * H6, the pure half: parseUsersCsv takes the file's text and reports every bad row with file,
 * line and column, checking all rows before anyone fails.
 */
import { RoleBundle } from "../../src/constructs/role-bundle";
import { Role } from "../../src/catalogue/roles";
import { parseUsersCsv, roleForHeader, type UsersCsv } from "../../src/validation/csv";

const HEADER = "email,displayName,primaryAdmin,Website Access,Manage Users,Reports Supervisor";

function parse(text: string, options: Partial<Parameters<typeof parseUsersCsv>[1]> = {}): UsersCsv {
  return parseUsersCsv(text, { file: "users.csv", ...options });
}

/** `<path> <code>` of each finding, the shape the tests compare. */
function problems(result: UsersCsv): string[] {
  return result.findings.map((f) => `${f.path} ${f.code}`);
}

describe("H6: a compliant file", () => {
  test("H6: GIVEN a file with an admin and a supervisor WHEN parsed THEN both rows are users with their roles and no finding", () => {
    const result = parse(`${HEADER}\nana@acme.test,Ana Martin,TRUE,TRUE,TRUE,TRUE\nbob@acme.test,Bob Petit,FALSE,true,,TRUE\n`);
    expect(result.findings).toEqual([]);
    expect(result.rows).toEqual([
      { line: 2, email: "ana@acme.test", displayName: "Ana Martin", roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR, Role.MANAGE_USERS], primaryAdmin: true },
      { line: 3, email: "bob@acme.test", displayName: "Bob Petit", roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR], primaryAdmin: false },
    ]);
  });

  test("H6: GIVEN headers as role keys, catalogue names and Role constants in any case THEN each names its role", () => {
    expect(roleForHeader("customer.user.supervisorl1")).toBe(Role.REPORTS_SUPERVISOR);
    expect(roleForHeader("reports supervisor")).toBe(Role.REPORTS_SUPERVISOR);
    expect(roleForHeader("REPORTS_SUPERVISOR")).toBe(Role.REPORTS_SUPERVISOR);
    expect(roleForHeader("Role.REPORTS_SUPERVISOR")).toBe(Role.REPORTS_SUPERVISOR);
    expect(roleForHeader("Essential User (UK)")).toBe(Role.ESSENTIAL_USER_UK);
    expect(roleForHeader("Real-Time Add-On")).toBe(Role.REAL_TIME_ADD_ON);
  });

  test("H6: GIVEN a built-in bundle column and a bundle of the app THEN TRUE grants the bundle's roles", () => {
    const teamLead = RoleBundle.of("team-lead", [RoleBundle.REPORT_SUPERVISOR, Role.SILENT_MONITOR]);
    const result = parse("email,displayName,bundle:administrator-with-reports,team-lead\nana@acme.test,Ana,TRUE,\nbo@acme.test,Bo,,TRUE\n", { bundles: [teamLead] });
    expect(result.findings).toEqual([]);
    expect(result.rows.map((r) => r.roles)).toEqual([
      [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR, Role.MANAGE_USERS],
      [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR, Role.SILENT_MONITOR],
    ]);
  });

  test("H6: GIVEN a semicolon file with a BOM, CRLF, VRAI/FAUX, a note column and blank rows THEN it is read like the comma file", () => {
    const text = "\uFEFFe-mail;Display Name;Website Access;# notes\r\n\r\nana@acme.test;Ana;VRAI;a note, with a comma\r\n;;;\r\nbo@acme.test;Bo;faux;\r\n";
    const result = parse(text);
    expect(result.findings).toEqual([]);
    expect(result.rows.map((r) => [r.line, r.email, r.roles])).toEqual([
      [3, "ana@acme.test", [Role.WEBSITE_ACCESS]],
      [5, "bo@acme.test", []],
    ]);
  });

  test("H6: GIVEN adopted users (display name not required) THEN an empty display name is allowed and absent from the row", () => {
    const result = parse("email,displayName,Website Access\nagent@acme.test,,TRUE\n", { displayNameRequired: false });
    expect(result.findings).toEqual([]);
    expect(result.rows[0]).not.toHaveProperty("displayName");
  });
});

describe("H6: every bad row is reported with file, line and column", () => {
  test("H6: GIVEN several bad rows WHEN parsed THEN every problem is listed, in file order, and only good rows are returned", () => {
    const text = [
      HEADER,
      "ana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE", // 2: fine
      "bob@acme.test,Bob,,maybe,,", // 3: not TRUE/FALSE
      "not-an-email,X,,TRUE,,", // 4: U1 e-mail
      "ANA@acme.test,Ana again,,TRUE,,", // 5: U1 duplicate, case-insensitive
      "carla@acme.test,,,TRUE,,", // 6: no display name
      "dan@acme.test,Dan,,,,TRUE", // 7: U7 supervisor without website access
      "eve@acme.test,Eve,,TRUE,TRUE", // 8: cell count
    ].join("\n");
    const result = parse(text);
    expect(problems(result)).toEqual([
      "users.csv:3:4 CsvValueInvalid",
      "users.csv:4:1 UserFieldInvalid",
      "users.csv:5:1 DuplicateUserEmail",
      "users.csv:6:2 UserFieldInvalid",
      "users.csv:7:6 RolePrerequisiteMissing",
      "users.csv:8:6 CsvFileInvalid",
    ]);
    expect(result.rows.map((r) => r.email)).toEqual(["ana@acme.test"]);
    expect(result.findings[2].message).toContain("already on line 2");
  });

  test("H6: GIVEN a row breaking U8 and U13 THEN each points at the cell that granted the role", () => {
    const text = "email,displayName,Website Access,Reports Supervisor,Analytics Supervisor,Microsoft Teams User\nana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE\n";
    const result = parse(text);
    expect(problems(result)).toEqual(["users.csv:2:6 ReadOnlyRole", "users.csv:2:4 ExclusiveRoleConflict"]);
  });

  test("H6: GIVEN user.admin without customer.user THEN U3 points at the Manage Users cell", () => {
    expect(problems(parse(`${HEADER}\nana@acme.test,Ana,,,TRUE,\n`))).toEqual(["users.csv:2:5 AdminWithoutWebsiteAccess"]);
  });

  test("H6: GIVEN two primary admins, one not an admin THEN H1 is reported on the primaryAdmin cells", () => {
    const result = parse(`${HEADER}\nana@acme.test,Ana,TRUE,TRUE,TRUE,\nbob@acme.test,Bob,TRUE,TRUE,,\n`);
    expect(problems(result)).toEqual(["users.csv:3:3 MultiplePrimaryAdmins", "users.csv:3:3 PrimaryAdminNotAdmin"]);
  });

  test("H6: GIVEN unknown, misspelt, repeated and blank headers THEN each is reported on line 1 and the rows are still checked", () => {
    const text = "email,displayName,Website Acess,admin.user,customer.user,WEBSITE_ACCESS,,bundle:nope\nbad,Ana,x,,TRUE,,,\n";
    const result = parse(text);
    expect(problems(result)).toEqual([
      "users.csv:1:3 CsvFileInvalid",
      "users.csv:1:4 UnknownRole",
      "users.csv:1:6 CsvFileInvalid",
      "users.csv:1:7 CsvFileInvalid",
      "users.csv:1:8 CsvFileInvalid",
      "users.csv:2:1 UserFieldInvalid",
    ]);
    expect(result.findings[1].fix).toContain('"user.admin"');
  });

  test("H6: GIVEN a header naming a role and a bundle alike THEN the column is ambiguous", () => {
    const result = parse("email,displayName,Workspace Administrator\n");
    expect(result.findings).toEqual([expect.objectContaining({ code: "CsvFileInvalid", path: "users.csv:1:3" })]);
    expect(result.findings[0].fix).toContain("bundle:workspace-administrator");
  });

  test("H6: GIVEN no email column THEN the header is reported and no row is read", () => {
    const result = parse("displayName,Website Access\nAna,TRUE\n");
    expect(problems(result)).toEqual(["users.csv:1 CsvFileInvalid"]);
    expect(result.rows).toEqual([]);
  });

  test("H6: GIVEN an unclosed quote THEN rows before it are checked and the broken record's first line is reported", () => {
    const text = `${HEADER}\nana@acme.test,Ana,TRUE,TRUE,TRUE,TRUE\nbad@acme.test,"Bad,,,,\nlast@acme.test,Last,,,,\n`;
    const result = parse(text);
    expect(problems(result)).toEqual(["users.csv:3 CsvFileInvalid"]);
    expect(result.findings[0].message).toMatch(/cannot be parsed: Quote Not Closed/);
  });

  test("H6: GIVEN a quoted display name spanning lines THEN the next rows keep their true line numbers", () => {
    const text = `email,displayName,Website Access\r\nana@acme.test,"Ana\r\nMartin",TRUE\r\nbo@acme.test,Bo,maybe\r\n`;
    expect(problems(parse(text))).toEqual(["users.csv:2:2 UserFieldInvalid", "users.csv:4:3 CsvValueInvalid"]);
  });

  test("H6: GIVEN too long fields THEN U1 limits are reported", () => {
    const long = `${"a".repeat(200)}@acme.test`;
    const result = parse(`email,displayName\n${long},${"N".repeat(101)}\n`);
    expect(problems(result)).toEqual(["users.csv:2:1 UserFieldInvalid", "users.csv:2:2 UserFieldInvalid"]);
  });

  test("H6: GIVEN a UK stack WHEN a row asks for customer.user.pbx THEN U10 is reported on its cell", () => {
    const result = parse("email,displayName,Essential User\nana@acme.test,Ana,TRUE\n", { region: "uk" });
    expect(problems(result)).toEqual(["users.csv:2:3 RoleUnavailableInRegion"]);
  });
});

test("H6: GIVEN 5,000 rows WHEN parsed THEN every row is a user (the timing is printed by bench/csv.ts)", () => {
  const lines = [HEADER];
  for (let i = 0; i < 5000; i++) lines.push(`user${i}@acme.test,User ${i},${i === 0 ? "TRUE" : "FALSE"},TRUE,${i === 0 ? "TRUE" : ""},${i % 2 ? "TRUE" : ""}`);
  const result = parse(lines.join("\n"));
  expect(result.findings).toEqual([]);
  expect(result.rows).toHaveLength(5000);
});
