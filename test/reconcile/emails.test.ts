/**
 * The e-mail decision of the reconcile layer (src/reconcile/emails.ts) and the trigger's place in a
 * user's rendered line (contracts/handler): pure, no API.
 */
import { decodeUserEntry, encodeUserEntry, type UserEntry } from "../../src/contracts/handler";
import { desiredUsers, emailRefusal, planEmails, planUsers, sameEntry, type LiveUser, type UserPlanInput } from "../../src/reconcile";

const CU = "customer.user";
const UC = "customer.user.uc";
const BO = "bo@acme.test";

function input(desired: Record<string, UserEntry>, previous?: Record<string, UserEntry>): UserPlanInput {
  return { desired: desiredUsers(desired), ...(previous ? { previous: desiredUsers(previous) } : {}), authoritative: false };
}

function live(user: Partial<LiveUser> = {}): Map<string, LiveUser> {
  return new Map([[BO, { id: "11111111-1111-1111-1111-111111111111", email: BO, displayName: "Bo", roles: [CU], activated: false, ...user }]]);
}

describe("the rendered line", () => {
  test("GIVEN triggers WHEN encoded THEN they are flags before the name, and decode gives the entry back", () => {
    const entry: UserEntry = { roles: [CU, UC], displayName: "Bo | the | Builder", activation: "2026-12-01", welcome: "3" };

    const line = encodeUserEntry(entry);

    expect(line).toBe("customer.user customer.user.uc | activation=2026-12-01 | welcome=3 | name=Bo | the | Builder");
    expect(decodeUserEntry(line)).toEqual(entry);
  });

  test.each(["customer.user | activation=", "customer.user | activation=two words", "customer.user | welcome=-1", "customer.user | activation=a|b"])(
    "GIVEN the malformed line %j WHEN decoded THEN it is not a user entry",
    (line) => {
      expect(decodeUserEntry(line)).toBeUndefined();
    },
  );

  test("GIVEN two entries that differ only by a trigger WHEN compared THEN they differ (the change is planned)", () => {
    expect(sameEntry({ roles: [CU], activation: "1" }, { roles: [CU], activation: "2" })).toBe(false);
    expect(sameEntry({ roles: [CU], welcome: "1" }, { roles: [CU] })).toBe(false);
    expect(sameEntry({ roles: [CU], activation: "1" }, { roles: [CU], activation: "1" })).toBe(true);
  });
});

describe("emailRefusal", () => {
  test("H5: GIVEN a user that has not activated WHEN the activation e-mail is asked for THEN it may be sent", () => {
    expect(emailRefusal("activation", { roles: [CU], activated: false })).toBeUndefined();
  });

  test("H5: GIVEN a user that has activated WHEN the activation e-mail is asked for THEN UserAlreadyActivated, a notice, not a failure", () => {
    expect(emailRefusal("activation", { roles: [CU], activated: true })).toMatchObject({ code: "UserAlreadyActivated", rule: "H5", failure: false });
  });

  test("H5: GIVEN an answer without the activation field WHEN the activation e-mail is asked for THEN ActivationStatusUnknown, a failure: never a guess", () => {
    expect(emailRefusal("activation", { roles: [CU] })).toMatchObject({ code: "ActivationStatusUnknown", rule: "H5", failure: true });
  });

  test("U14: GIVEN a user of the UC client WHEN the welcome e-mail is asked for THEN it may be sent, activated or not", () => {
    expect(emailRefusal("welcome", { roles: [CU, UC], activated: true })).toBeUndefined();
  });

  test("U14: GIVEN a user without the UC client WHEN the welcome e-mail is asked for THEN WelcomeEmailNeedsUc", () => {
    expect(emailRefusal("welcome", { roles: [CU], activated: false })).toMatchObject({ code: "WelcomeEmailNeedsUc", rule: "U14", failure: true });
  });
});

describe("planEmails", () => {
  test("H5: GIVEN a trigger that changed on a user the previous state holds WHEN planned THEN exactly one send", () => {
    const plan = planEmails(input({ [BO]: { roles: [CU], activation: "2" } }, { [BO]: { roles: [CU], activation: "1" } }), live());

    expect(plan.sends).toEqual([{ email: BO, userId: "11111111-1111-1111-1111-111111111111", kind: "activation", value: "2" }]);
    expect(plan.issues).toEqual([]);
  });

  test("GIVEN no previous state (first create, -replace, taint) WHEN planned THEN nothing is sent", () => {
    expect(planEmails(input({ [BO]: { roles: [CU, UC], activation: "2", welcome: "2" } }), live()).sends).toEqual([]);
  });

  test("GIVEN a user the previous state does not hold WHEN planned THEN its trigger is the baseline: nothing is sent", () => {
    expect(planEmails(input({ [BO]: { roles: [CU], activation: "2" } }, {}), live()).sends).toEqual([]);
  });

  test("GIVEN a trigger removed, or unchanged WHEN planned THEN nothing is sent", () => {
    expect(planEmails(input({ [BO]: { roles: [CU] } }, { [BO]: { roles: [CU], activation: "1" } }), live()).sends).toEqual([]);
    expect(planEmails(input({ [BO]: { roles: [CU, "recording.viewer"], activation: "1" } }, { [BO]: { roles: [CU], activation: "1" } }), live()).sends).toEqual([]);
  });

  test("U14: GIVEN the UC client granted by the same change WHEN the welcome trigger changes THEN the send is planned (it runs after the role patch)", () => {
    const plan = planUsers(input({ [BO]: { roles: [CU, UC], welcome: "2" } }, { [BO]: { roles: [CU], welcome: "1" } }), live());

    expect(plan.operations.map((o) => o.kind)).toEqual(["patch"]);
    expect(plan.emails.map((e) => e.kind)).toEqual(["welcome"]);
  });

  test("GIVEN a user missing from the tenant WHEN its trigger changed THEN no send, and a notice says the platform's new-user e-mail covers it", () => {
    const plan = planEmails(input({ [BO]: { roles: [CU], activation: "2" } }, { [BO]: { roles: [CU], activation: "1" } }), new Map());

    expect(plan.sends).toEqual([]);
    expect(plan.notices[0].text).toMatch(/created by this change: the activation e-mail \(activation=2\) is not sent/);
  });
});
