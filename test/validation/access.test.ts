/**
 * The pure access-request rules (src/validation/access.ts) on plain data, without a construct
 * tree: A8 across requests, A2 unique names, and A3's per-tenant rendering.
 */
import { canonicalAssociations, checkAccessRequestFields, validateAccessRequests, type AccessRequestModel } from "../../src/validation/access";

const tom = { path: "app/s/tom", stackPath: "app/s", reference: "TSFP-001" };
const acre = { path: "app/s/acre", stackPath: "app/s", reference: "HAWAG-001" };

function request(path: string, name: string, associations: AccessRequestModel["associations"]): AccessRequestModel {
  return { path, stackPath: "app/s", name, associations };
}

test("A8: GIVEN one user with one mode per tenant across two requests THEN no finding", () => {
  const findings = validateAccessRequests([
    request("app/s/a", "A", [{ mode: "support", partnerUsers: ["c@x.test"], customers: [tom] }]),
    request("app/s/b", "B", [{ mode: "configure", partnerUsers: ["c@x.test"], customers: [acre] }]),
  ]);
  expect(findings).toEqual([]);
});

test("A8: GIVEN one user (in two spellings) with two modes on one tenant across requests THEN ONE PartnerAccessModeConflict, on the later request, naming both", () => {
  const findings = validateAccessRequests([
    request("app/s/a", "A", [{ mode: "support", partnerUsers: ["c@x.test"], customers: [tom] }]),
    request("app/s/b", "B", [{ mode: "configure", partnerUsers: ["C@X.test"], customers: [tom] }]),
  ]);
  expect(findings.map((f) => [f.code, f.rule, f.path])).toEqual([["PartnerAccessModeConflict", "A8", "app/s/b"]]);
  expect(findings[0].message).toContain('(association 1 of "app/s/a") and "configure" (association 1 of "app/s/b")');
});

test("A2: GIVEN two requests named alike in different case THEN ONE DuplicateAccessRequestName, on the second, naming the first", () => {
  const findings = validateAccessRequests([request("app/s/a", "Support", []), request("app/s/b", "SUPPORT", [])]);
  expect(findings.map((f) => [f.code, f.path])).toEqual([["DuplicateAccessRequestName", "app/s/b"]]);
  expect(findings[0].message).toBe('access request name "SUPPORT" is already used by "app/s/a" ("Support")');
});

test("A2: GIVEN a compliant request THEN its own props give no finding; an empty message gives only the warning", () => {
  const props = { name: "SupportAccess", message: "Why", associations: [{ partnerUsers: ["c@x.test"], customers: ["TSFP-001"], mode: "support" }] };
  expect(checkAccessRequestFields("p", props)).toEqual([]);
  expect(checkAccessRequestFields("p", { ...props, message: "" }).map((f) => [f.code, f.level])).toEqual([["AccessRequestMessageEmpty", "warning"]]);
});

test("A3: GIVEN the seed's associations THEN each tenant's expectation lists only its users, sorted and lower-cased", () => {
  expect(
    canonicalAssociations([
      { partnerUsers: ["Caroline@x.test"], customers: ["TSFP-001"], mode: "support" },
      { partnerUsers: ["charlotte@x.test"], customers: ["TSFP-001", "HAWAG-001"], mode: "support" },
    ]),
  ).toEqual([
    { customer: "HAWAG-001", mode: "support", partnerUsers: ["charlotte@x.test"] },
    { customer: "TSFP-001", mode: "support", partnerUsers: ["caroline@x.test", "charlotte@x.test"] },
  ]);
});
