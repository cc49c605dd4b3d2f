/**
 * H3, H4, U7, U10 are data in the catalogue, not special cases: these tests walk the catalogue
 * itself, so a role or group added there is covered without a new test. Pure: validateModel over a
 * plain model, no construct tree.
 */
import { ROLE_CATALOGUE, findRole, isAvailableIn, regionalEquivalents, type Region } from "../../src/catalogue/roles";
import { validateModel, type DimensionsModel, type UserModel } from "../../src/validation/model";
import { checkAcknowledgement, findAcknowledgement, isExpired, isIsoDate } from "../../src/validation/acknowledgements";
import { RULE_CODES, type RuleCode } from "../../src/validation/rules";

const CU = "customer.user";
const ADMIN = [CU, "user.admin", "customer.user.supervisorl1"];

function model(bo: string[], region?: Region): DimensionsModel {
  const user = (id: string, roles: string[], extra: Partial<UserModel> = {}): UserModel => ({
    path: `s/${id}`, stackPath: "s", customerPath: "s/acme", email: `${id}@acme.test`, kind: "declared", roles, primaryAdmin: false, ...extra,
  });
  return {
    stacks: [{ path: "s", acceptCharges: true, ...(region ? { region } : {}) }],
    customers: [{ path: "s/acme", stackPath: "s", owned: true, reference: "ACME" }],
    users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", bo)],
    assignments: [],
  };
}

const codesOnBo = (m: DimensionsModel) => validateModel(m).filter((f) => f.path === "s/bo" && f.level === "error").map((f) => f.code);

/** The role with all its prerequisites, recursively (what a compliant user holds). */
function withPrerequisites(key: string): string[] {
  const out = new Set<string>([key]);
  for (const p of findRole(key)?.prerequisites ?? []) for (const k of withPrerequisites(p)) out.add(k);
  return [...out];
}

const grantable = ROLE_CATALOGUE.filter((r) => r.assignment !== "read-only" && isAvailableIn(r, "eu"));

describe("U7/H4: every prerequisite of every catalogue role is enforced (a licence requirement is one)", () => {
  test.each(grantable.map((r) => [r.key]))("U7: %s with all its prerequisites passes", (key) => {
    expect(codesOnBo(model([CU, ...withPrerequisites(key)], "eu"))).toEqual([]);
  });

  const missing = grantable.flatMap((r) => r.prerequisites.map((p) => [r.key, p] as const));
  test.each(missing)("H4: %s without %s is RolePrerequisiteMissing", (key, prerequisite) => {
    const roles = withPrerequisites(key).filter((k) => k !== prerequisite);
    const found = validateModel(model(roles, "eu")).filter((f) => f.path === "s/bo" && f.level === "error");
    if (key === "user.admin" && prerequisite === CU) {
      // U3 names this one case more precisely (the admin cannot log in), instead of U7.
      expect(found.map((f) => f.code)).toEqual(["AdminWithoutWebsiteAccess"]);
      return;
    }
    // One finding per missing prerequisite, naming every role that needs it.
    const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(found.map((f) => f.message)).toContainEqual(expect.stringMatching(new RegExp(`^roles? (".*", )?"${escape(key)}"(, ".*")? of user "bo@acme.test" requires? "${escape(prerequisite)}"`)));
  });
});

describe("H3: every exclusive group of the catalogue holds at most one role per user", () => {
  const groups = [...new Set(ROLE_CATALOGUE.map((r) => r.exclusiveGroup).filter((g): g is string => g !== undefined))];
  test("H3: the catalogue has exclusive groups as data", () => {
    expect(groups).toContain("supervisor");
  });
  const pairs = groups.flatMap((g) => {
    const members = ROLE_CATALOGUE.filter((r) => r.exclusiveGroup === g).map((r) => r.key);
    return members.flatMap((a, i) => members.slice(i + 1).map((b) => [g, a, b] as const));
  });
  test.each(pairs)("H3: group %s: %s with %s is ExclusiveRoleConflict", (_g, a, b) => {
    expect(codesOnBo(model([...withPrerequisites(a), ...withPrerequisites(b)], "eu"))).toEqual(["ExclusiveRoleConflict"]);
  });
  test.each(groups.flatMap((g) => ROLE_CATALOGUE.filter((r) => r.exclusiveGroup === g).map((r) => [g, r.key] as const)))("H3: group %s: %s alone passes", (_g, a) => {
    expect(codesOnBo(model(withPrerequisites(a), "eu"))).toEqual([]);
  });
});

describe("U10: regional availability is catalogue data", () => {
  const regions: Region[] = ["au", "eu", "na", "uk"];
  const cases = ROLE_CATALOGUE.filter((r) => r.assignment !== "read-only").flatMap((r) => regions.map((region) => [r.key, region, isAvailableIn(r, region)] as const));
  test.each(cases)("U10: %s in region %s: available = %s", (key, region, available) => {
    // The role itself as asked; its prerequisites in the region's form (U10 equivalents).
    const prerequisites = withPrerequisites(key).filter((k) => k !== key).flatMap((k) => (isAvailableIn(findRole(k)!, region) ? [k] : regionalEquivalents(k)));
    const codes = codesOnBo(model([CU, key, ...prerequisites], region));
    expect(codes.includes("RoleUnavailableInRegion")).toBe(!available);
  });
});

describe("acknowledgements, pure", () => {
  test("ISO dates are real calendar dates", () => {
    expect(isIsoDate("2024-02-29")).toBe(true);
    expect(isIsoDate("2025-02-29")).toBe(false);
    expect(isIsoDate("2025-6-1")).toBe(false);
  });

  test("expiry is inclusive and compared with the given today, never the clock", () => {
    expect(isExpired({ reason: "x".repeat(10), expires: "2025-06-30" }, "2025-06-30")).toBe(false);
    expect(isExpired({ reason: "x".repeat(10), expires: "2025-06-30" }, "2025-07-01")).toBe(true);
    expect(isExpired({ reason: "x".repeat(10) }, "9999-12-31")).toBe(false);
  });

  test("only registry codes marked acknowledgeable can be acknowledged, by code or by rule", () => {
    for (const code of Object.keys(RULE_CODES) as RuleCode[]) {
      const problems = checkAcknowledgement("s", { code, reason: "reviewed by the team" }).map((f) => f.code);
      expect(problems).toEqual(RULE_CODES[code].acknowledgeable ? [] : ["AcknowledgementNotAllowed"]);
    }
  });

  test("the nearest scope's acknowledgement covers a finding; other subtrees and expired ones do not", () => {
    const f = { code: "AdminWithoutSupervisor" as const, path: "s/ana" };
    const app = { scopePath: "", spec: { rule: "U6", reason: "app-wide reason" } };
    const near = { scopePath: "s/ana", spec: { code: "AdminWithoutSupervisor", reason: "nearest reason" } };
    const sibling = { scopePath: "s/an", spec: { code: "AdminWithoutSupervisor", reason: "not an ancestor" } };
    const old = { scopePath: "s", spec: { code: "AdminWithoutSupervisor", reason: "expired reason", expires: "2020-01-01" } };
    expect(findAcknowledgement(f, [app, near, sibling, old], "2025-01-01")).toBe(near);
    expect(findAcknowledgement(f, [sibling, old], "2025-01-01")).toBeUndefined();
    expect(findAcknowledgement({ code: "RolePrerequisiteMissing", path: "s/ana" }, [{ scopePath: "", spec: { code: "RolePrerequisiteMissing", reason: "forced past add()" } }], "2025-01-01")).toBeUndefined();
  });
});
