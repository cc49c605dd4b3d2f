/**
 * H6 with softphones (U14): an optional `softphones` column of the users CSV lists each row's PBX
 * devices as `<device>:<clientType>` items; with the column every row holds exactly its devices.
 * Bad cells are reported with file, line and column like every other cell.
 */
import { parseUsersCsv, type UsersCsv } from "../../src/validation/csv";
import { CustomerUser, CustomerUsersFromCsv, RoleBundle, type Customer, type DimensionsStack } from "../../src";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { acmeWithAdmin, newApp, newStack, synthErrors, synthJson, userEntryIn, useFakeHandlerBundle } from "../constructs/helpers";

const HEADER = "email,displayName,bundle:uc-softphone,softphones";

function parse(text: string): UsersCsv {
  return parseUsersCsv(text, { file: "users.csv" });
}

function problems(result: UsersCsv): string[] {
  return result.findings.map((f) => `${f.path} ${f.code} [${f.rule}]`);
}

describe("U14: the softphones column", () => {
  test("U14: GIVEN devices separated by spaces, commas or semicolons WHEN parsed THEN each row holds them sorted, and an empty cell holds none", () => {
    const result = parse(`${HEADER}\nbo@acme.test,Bo,TRUE,"1002:mobile, 1001:desktop"\ncy@acme.test,Cy,TRUE,1003:crm;1004:webrtc 1005:desktop\ndi@acme.test,Di,TRUE,\n`);

    expect(result.findings).toEqual([]);
    expect(result.rows.map((r) => [r.email, r.softphones])).toEqual([
      ["bo@acme.test", [{ device: "1001", clientType: "desktop" }, { device: "1002", clientType: "mobile" }]],
      ["cy@acme.test", [{ device: "1003", clientType: "crm" }, { device: "1004", clientType: "webrtc" }, { device: "1005", clientType: "desktop" }]],
      ["di@acme.test", []],
    ]);
  });

  test("U14: GIVEN a file without the column WHEN parsed THEN the rows carry no softphones (their devices are left alone)", () => {
    expect(parse("email,displayName,Website Access\nbo@acme.test,Bo,TRUE\n").rows[0]).not.toHaveProperty("softphones");
  });

  test("U14: GIVEN bad softphone cells WHEN parsed THEN each is one finding at its line and column, and those rows are not declared", () => {
    const result = parse(`${HEADER}\nbo@acme.test,Bo,TRUE,1001:desktp\ncy@acme.test,Cy,TRUE,1002\ndi@acme.test,Di,TRUE,../x:crm\nem@acme.test,Em,TRUE,1004:crm 1004:mobile\nfi@acme.test,Fi,TRUE,1005:crm\n`);

    expect(problems(result)).toEqual([
      "users.csv:2:4 SoftphoneInvalid [U14]",
      "users.csv:3:4 SoftphoneInvalid [U14]",
      "users.csv:4:4 SoftphoneInvalid [U14]",
      "users.csv:5:4 DuplicateSoftphoneDevice [U14]",
    ]);
    expect(result.findings[0].fix).toMatch(/^did you mean "desktop"\? .*; a cell lists <device>:<clientType> items/);
    expect(result.rows.map((r) => r.email)).toEqual(["fi@acme.test"]);
  });

  test("U14: GIVEN one device on two rows WHEN parsed THEN DuplicateSoftphoneDevice on the second names the first line", () => {
    const result = parse(`${HEADER}\nbo@acme.test,Bo,TRUE,1001:desktop\ncy@acme.test,Cy,TRUE,1001:mobile\n`);

    expect(problems(result)).toEqual(["users.csv:3:4 DuplicateSoftphoneDevice [U14]"]);
    expect(result.findings[0].message).toMatch(/already a softphone of the user on line 2/);
  });

  test("U7: GIVEN a row with a softphone and without the UC softphone roles WHEN parsed THEN SoftphoneRoleMissing [U7] points at its softphones cell", () => {
    const result = parse(`email,displayName,Website Access,softphones\nbo@acme.test,Bo,TRUE,1001:desktop\n`);

    expect(problems(result)).toEqual(["users.csv:2:4 SoftphoneRoleMissing [U7]"]);
  });

  test("U7: GIVEN a row with a softphone and the uc-softphone bundle WHEN parsed THEN it is compliant", () => {
    expect(parse(`${HEADER}\nbo@acme.test,Bo,TRUE,1001:desktop\n`).findings).toEqual([]);
  });
});

describe("U14: CustomerUsersFromCsv with softphones", () => {
  beforeAll(() => {
    useFakeHandlerBundle();
  });

  function csvFile(text: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-csv-")), "users.csv");
    fs.writeFileSync(file, text);
    return file;
  }

  test("U14: GIVEN a users CSV with a softphones column WHEN synthesized THEN each user's entry carries its devices", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUsersFromCsv(stack, "csv", { customer, file: csvFile(`${HEADER}\nbo@acme.test,Bo,TRUE,1001:desktop\ncy@acme.test,Cy,TRUE,\n`) });

    const json = synthJson(app, stack);

    expect(userEntryIn(json, "bo@acme.test").entry).toMatchObject({ softphones: [{ device: "1001", clientType: "desktop" }] });
    expect(userEntryIn(json, "cy@acme.test").entry).toMatchObject({ softphones: [] });
  });

  test("U14: GIVEN a CSV device that a CustomerUser of the customer also holds WHEN synthesized THEN DuplicateSoftphoneDevice across the two", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUsersFromCsv(stack, "csv", { customer, file: csvFile(`${HEADER}\nbo@acme.test,Bo,TRUE,1001:desktop\n`) });
    acmeSoftphoneUser(stack, customer);

    expect(synthErrors(stack).map((e) => `${e.path} ${e.code}`)).toEqual(["stack/cy DuplicateSoftphoneDevice"]);
  });
});

function acmeSoftphoneUser(stack: DimensionsStack, customer: Customer): CustomerUser {
  return new CustomerUser(stack, "cy", { customer, email: "cy@acme.test", displayName: "Cy", roles: [RoleBundle.UC_SOFTPHONE], softphones: [{ device: "1001", clientType: "mobile" }] });
}
