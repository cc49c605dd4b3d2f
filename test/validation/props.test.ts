/**
 * Single-construct checks (src/validation/props.ts): what a constructor rejects on its own.
 * Construct-level tests (test/constructs) check the same rules through the constructs.
 */
import { checkApiKeyEnv, checkCustomerFields, checkRoleKeys, checkStackFields, checkUserFields, isIanaTimezone, looksLikeSecret } from "../../src/validation/props";
import type { CustomerFields } from "../../src/validation/props";

const PATH = "app/stack/acme";
const GOOD: CustomerFields = {
  name: "Acme",
  description: "Acme contact centre",
  reference: "ACME-001",
  timezone: "Europe/Paris",
  countryCode: "FR",
  pbx: { hostRest: "https://pbx", hostWebsocket: "wss://pbx", accountId: "acc", apiKeyEnv: "ACME_KAZOO_API_KEY" },
};
const codes = (fs: Array<{ code: string }>) => fs.map((f) => f.code);

describe("C1: customer fields", () => {
  test("C1: a complete customer has no finding", () => {
    expect(checkCustomerFields(PATH, GOOD)).toEqual([]);
  });

  test("C1: name, description and reference are required and bounded", () => {
    const findings = checkCustomerFields(PATH, { ...GOOD, name: "", description: "x".repeat(201), reference: undefined });
    expect(codes(findings)).toEqual(["CustomerFieldInvalid", "CustomerFieldInvalid", "CustomerFieldInvalid"]);
    expect(findings.every((f) => f.path === PATH && f.rule === "C1")).toBe(true);
    expect(findings[1].message).toContain("201 characters");
  });

  test("C1: the timezone must be an IANA zone (UTC included)", () => {
    expect(isIanaTimezone("UTC")).toBe(true);
    expect(checkCustomerFields(PATH, { ...GOOD, timezone: "UTC" })).toEqual([]);
    const [f] = checkCustomerFields(PATH, { ...GOOD, timezone: "Paris" });
    expect(f).toMatchObject({ code: "InvalidTimezone", rule: "C1", path: PATH });
    expect(f.message).toContain('"Paris"');
  });

  test("C1: the country code must look like ISO 3166 alpha-2/alpha-3", () => {
    expect(checkCustomerFields(PATH, { ...GOOD, countryCode: "FRA" })).toEqual([]);
    expect(codes(checkCustomerFields(PATH, { ...GOOD, countryCode: "France" }))).toEqual(["InvalidCountryCode"]);
    expect(codes(checkCustomerFields(PATH, { ...GOOD, countryCode: "F1" }))).toEqual(["InvalidCountryCode"]);
  });

  test("C1: an owned customer needs its PBX details", () => {
    expect(codes(checkCustomerFields(PATH, { ...GOOD, pbx: undefined }))).toEqual(["PbxDetailsMissing"]);
    expect(codes(checkCustomerFields(PATH, { ...GOOD, pbx: { ...GOOD.pbx, accountId: "" } }))).toEqual(["PbxDetailsMissing"]);
  });

  test("C1: a reference with a Terraform template sequence is refused (it is a natural key)", () => {
    expect(codes(checkCustomerFields(PATH, { ...GOOD, reference: "ACME-${1}" }))).toEqual(["TemplateSequenceInKey"]);
  });
});

describe("C4: the PBX API key is a variable name, never a value", () => {
  test("C4: a variable name is accepted", () => {
    expect(checkApiKeyEnv(PATH, "the customer", "ACME_KAZOO_API_KEY")).toEqual([]);
    expect(checkApiKeyEnv(PATH, "the customer", "kazoo_key")).toEqual([]);
  });

  test("C4: something that is not a variable name is refused with the fix", () => {
    const [f] = checkApiKeyEnv(PATH, "the customer", "acme-key");
    expect(f).toMatchObject({ code: "InvalidApiKeyEnv", rule: "C4", path: PATH });
    expect(f.fix).toContain("NAME of an environment variable");
  });

  test("C4: something that looks like a secret is refused, and the value is not echoed", () => {
    for (const secret of ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "3f9a1c77e0b24d6fa9c1d2e3f4a5b6c7", "a9F3-kd83-LL02-99xx-ZZ"]) {
      expect(looksLikeSecret(secret)).toBe(true);
      const [f] = checkApiKeyEnv(PATH, "the customer", secret);
      expect(f.code).toBe("SecretInConfiguration");
      expect(`${f.message} ${f.fix}`).not.toContain(secret);
    }
    expect(looksLikeSecret("ACME_KAZOO_API_KEY")).toBe(false);
  });
});

describe("U1: user fields", () => {
  test("U1: a valid e-mail and display name pass", () => {
    expect(checkUserFields(PATH, { email: "ana@acme.test", displayName: "Ana", displayNameRequired: true })).toEqual([]);
  });

  test("U1: the e-mail is required, valid and at most 200 characters", () => {
    expect(codes(checkUserFields(PATH, { email: "", displayName: "Ana", displayNameRequired: true }))).toEqual(["UserFieldInvalid"]);
    expect(codes(checkUserFields(PATH, { email: "ana-at-acme", displayName: "Ana", displayNameRequired: true }))).toEqual(["UserFieldInvalid"]);
    const long = `${"a".repeat(195)}@acme.test`;
    expect(checkUserFields(PATH, { email: long, displayName: "Ana", displayNameRequired: true })[0].message).toContain("205 characters");
  });

  test("U1: the display name is required for created users, optional for adopted ones, at most 100", () => {
    expect(codes(checkUserFields(PATH, { email: "ana@acme.test", displayNameRequired: true }))).toEqual(["UserFieldInvalid"]);
    expect(checkUserFields(PATH, { email: "ana@acme.test", displayNameRequired: false })).toEqual([]);
    expect(codes(checkUserFields(PATH, { email: "ana@acme.test", displayName: "x".repeat(101), displayNameRequired: false }))).toEqual(["UserFieldInvalid"]);
  });
});

describe("role keys", () => {
  test("U7: catalogue keys pass; an unknown key is refused with the alias hint", () => {
    expect(checkRoleKeys(PATH, "user", ["customer.user", "user.admin"])).toEqual([]);
    const [f] = checkRoleKeys(PATH, 'user "ana@acme.test"', ["admin.user"]);
    expect(f).toMatchObject({ code: "UnknownRole", path: PATH });
    expect(f.fix).toContain('"user.admin"');
  });

  test("U13: a read-only role is refused; server-managed roles may be asked for", () => {
    expect(codes(checkRoleKeys(PATH, "user", ["customer.user.microsoftteams"]))).toEqual(["ReadOnlyRole"]);
    expect(checkRoleKeys(PATH, "user", ["customer.user.pbx", "customer.user.acd", "customer.user.pbx.realtime"])).toEqual([]);
  });
});

describe("C6: stack settings", () => {
  test("C6: acceptCharges must be an explicit boolean", () => {
    expect(checkStackFields(PATH, { acceptCharges: true })).toEqual([]);
    expect(checkStackFields(PATH, { acceptCharges: false })).toEqual([]);
    expect(codes(checkStackFields(PATH, { acceptCharges: undefined }))).toEqual(["InvalidStackSettings"]);
  });

  test("region and apiUrl are exclusive, and each must be valid", () => {
    expect(codes(checkStackFields(PATH, { acceptCharges: true, region: "eu", apiUrl: "https://x.test" }))).toEqual(["InvalidStackSettings"]);
    expect(codes(checkStackFields(PATH, { acceptCharges: true, region: "mars" }))).toEqual(["InvalidStackSettings"]);
    expect(codes(checkStackFields(PATH, { acceptCharges: true, apiUrl: "ftp://x" }))).toEqual(["InvalidStackSettings"]);
    expect(codes(checkStackFields(PATH, { acceptCharges: true, resourceType: "aws_instance" }))).toEqual(["InvalidStackSettings"]);
  });
});
