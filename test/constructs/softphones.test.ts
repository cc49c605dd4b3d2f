/**
 * Softphones on CustomerUser and adopted users (U14), and the synth rules about them: a softphone
 * needs customer.user.uc and customer.user.uc.softphone among the roles the user will hold (U7),
 * device ids and client types are checked, and a device is listed once per customer. Each rule has a
 * compliant and a non-compliant test; the rendered line carries the devices the plan shows.
 */
import { ClientType, CustomerUser, Role, RoleAssignment, RoleBundle, type Softphone } from "../../src";
import { Token } from "cdktf";
import { acmeWithAdmin, newApp, newStack, payloadIn, synthErrors, synthFailure, synthJson, userEntryIn, useFakeHandlerBundle } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

const UC = [RoleBundle.UC_SOFTPHONE];
const BO = "bo@acme.test";

function world() {
  const app = newApp();
  const stack = newStack(app);
  const { customer } = acmeWithAdmin(stack);
  return { app, stack, customer };
}

function bo(softphones: unknown, roles: Parameters<typeof CustomerUser.adopt>[2]["roles"] = UC) {
  const w = world();
  const user = new CustomerUser(w.stack, "bo", { customer: w.customer, email: BO, displayName: "Bo", roles, softphones: softphones as Softphone[] });
  return { ...w, user };
}

/** The user line as rendered into the tenant resource (what `terraform plan` prints). */
function lineOf(json: ReturnType<typeof synthJson>, email: string): string {
  const tenant = Object.values(json.resource).flatMap((byName) => Object.values(byName)).find((b) => (payloadIn(b)?.t as { users?: Record<string, string> } | undefined)?.users?.[email]);
  return (payloadIn(tenant!)!.t as { users: Record<string, string> }).users[email];
}

describe("U14: declaring softphones", () => {
  test("U14: GIVEN softphones on a CustomerUser WHEN synthesized THEN the user's line carries them sorted by device, before its name", () => {
    const { app, stack } = bo([
      { device: "1002", clientType: ClientType.MOBILE },
      { device: "1001", clientType: "desktop" },
    ]);

    const json = synthJson(app, stack);

    expect(lineOf(json, BO)).toBe("customer.user customer.user.uc customer.user.uc.softphone | softphones=1001:desktop,1002:mobile | name=Bo");
    expect(userEntryIn(json, BO).entry).toMatchObject({ softphones: [{ device: "1001", clientType: "desktop" }, { device: "1002", clientType: "mobile" }] });
  });

  test("U14: GIVEN an adopted user with a softphone WHEN synthesized THEN its line is adopted with the softphone", () => {
    const { app, stack, customer } = world();
    CustomerUser.adopt(stack, "reception", { customer, email: "reception@acme.test", roles: UC, softphones: [{ device: "a1b2c3d4e5f60718293a4b5c6d7e8f90", clientType: ClientType.WEBRTC }] });

    expect(lineOf(synthJson(app, stack), "reception@acme.test")).toBe("customer.user customer.user.uc customer.user.uc.softphone | adopted | softphones=a1b2c3d4e5f60718293a4b5c6d7e8f90:webrtc");
  });

  test("U14: GIVEN softphones: [] WHEN synthesized THEN the line says none (the user holds no device), unlike no declaration at all", () => {
    const { app, stack, customer } = bo([]);
    new CustomerUser(stack, "cy", { customer, email: "cy@acme.test", displayName: "Cy", roles: UC });

    const json = synthJson(app, stack);

    expect(lineOf(json, BO)).toMatch(/ \| softphones= \| name=Bo$/);
    expect(lineOf(json, "cy@acme.test")).not.toMatch(/softphones/);
  });

  test("U14: GIVEN addSoftphones WHEN synthesized THEN the devices are the user's, and readable back", () => {
    const { app, stack, user } = bo(undefined);
    user.addSoftphones({ device: "1001", clientType: "crm" });

    expect(user.softphones).toEqual([{ device: "1001", clientType: "crm" }]);
    expect(lineOf(synthJson(app, stack), BO)).toMatch(/softphones=1001:crm/);
  });
});

describe("U7: the roles a softphone needs", () => {
  test("U7: GIVEN a softphone and RoleBundle.UC_SOFTPHONE WHEN synthesized THEN it is compliant", () => {
    const { app } = bo([{ device: "1001", clientType: "desktop" }]);

    expect(synthFailure(app)).toBe("");
  });

  test("U7: GIVEN a softphone whose roles come from a RoleAssignment WHEN synthesized THEN it is compliant (the fold counts)", () => {
    const { app, stack, customer, user } = bo([{ device: "1001", clientType: "desktop" }], [Role.WEBSITE_ACCESS]);
    new RoleAssignment(stack, "uc", { customer, roles: [Role.UC_CLIENT, Role.UC_CLIENT_SOFTPHONE], users: [user] });

    expect(synthFailure(app)).toBe("");
  });

  test("U7: GIVEN a softphone on a user without customer.user.uc.softphone WHEN synthesized THEN SoftphoneRoleMissing [U7] names the device, the role and the fix", () => {
    const { stack } = bo([{ device: "1001", clientType: "desktop" }], [Role.WEBSITE_ACCESS, Role.UC_CLIENT]);

    expect(synthErrors(stack)).toEqual([
      {
        path: "stack/bo",
        code: "SoftphoneRoleMissing",
        rule: "U7",
        text: 'softphone 1001 (desktop) of user "bo@acme.test" needs "customer.user.uc.softphone" (UC Client Softphone), which the user would not hold: the API refuses the device; add Role.UC_CLIENT_SOFTPHONE ("customer.user.uc.softphone") to the user\'s roles, or remove the softphones',
      },
    ]);
  });

  test("U7: GIVEN softphones on a user without the UC client at all WHEN synthesized THEN one SoftphoneRoleMissing names both roles and RoleBundle.UC_SOFTPHONE", () => {
    const { stack } = bo(
      [
        { device: "1001", clientType: "desktop" },
        { device: "1002", clientType: "mobile" },
      ],
      [Role.WEBSITE_ACCESS],
    );

    const errors = synthErrors(stack);

    expect(errors.map((e) => `${e.code} [${e.rule}]`)).toEqual(["SoftphoneRoleMissing [U7]"]);
    expect(errors[0].text).toMatch(/^softphones 1001 \(desktop\), 1002 \(mobile\) of user "bo@acme\.test" need "customer\.user\.uc" \(UC Client\) and "customer\.user\.uc\.softphone".*; add RoleBundle\.UC_SOFTPHONE to the user's roles/);
  });

  test("U7: GIVEN an empty softphone list on a user without the UC client WHEN synthesized THEN it is compliant (no device needs it)", () => {
    const { app } = bo([], [Role.WEBSITE_ACCESS]);

    expect(synthFailure(app)).toBe("");
  });
});

describe("U14: what a softphone may be", () => {
  test.each([
    ["a device id with a slash", { device: "10/01", clientType: "desktop" }, /device "10\/01" of softphone 1 of user "bo@acme\.test" is not a PBX device id/],
    ["an empty device id", { device: "", clientType: "desktop" }, /device "" of softphone 1 .* is not a PBX device id/],
    ["a device id of 65 characters", { device: "a".repeat(65), clientType: "desktop" }, /is not a PBX device id/],
    ["a numeric device id", { device: 1001, clientType: "desktop" }, /device 1001 of softphone 1 .* is not a PBX device id/],
    ["an unknown client type, one edit away", { device: "1001", clientType: "desktp" }, /clientType "desktp" of softphone 1 .* is not a softphone client type; did you mean "desktop"\? use one of "desktop", "mobile", "webrtc", "crm"/],
    ["no client type", { device: "1001" }, /clientType undefined of softphone 1/],
    ["a string instead of an object", "1001", /softphone 1 of user "bo@acme\.test" is "1001", not \{ device, clientType \}/],
  ])("U14: GIVEN %s WHEN synthesized THEN SoftphoneInvalid [U14] with the value received", (_what, softphone, text) => {
    const { stack } = bo([softphone]);

    const errors = synthErrors(stack);

    expect(errors.map((e) => `${e.path} ${e.code} [${e.rule}]`)).toEqual(["stack/bo SoftphoneInvalid [U14]"]);
    expect(errors[0].text).toMatch(text);
  });

  test("U14: GIVEN softphones that are not a list WHEN synthesized THEN SoftphoneInvalid says so", () => {
    expect(synthErrors(bo({ device: "1001", clientType: "desktop" }).stack)).toEqual([expect.objectContaining({ code: "SoftphoneInvalid", text: expect.stringMatching(/^softphones of user "bo@acme\.test" is an object, not a list/) })]);
  });

  test("U14: GIVEN a device id that is a token WHEN synthesized THEN SoftphoneInvalid asks for a literal", () => {
    const { stack } = bo([{ device: Token.asString({ Ref: "device" }), clientType: "desktop" }]);

    expect(synthErrors(stack)).toEqual([expect.objectContaining({ code: "SoftphoneInvalid", text: expect.stringMatching(/is a token .*; pass the device id as a literal string$/) })]);
  });

  test("U14: GIVEN one device listed twice for a user WHEN synthesized THEN DuplicateSoftphoneDevice [U14], even with two client types", () => {
    const { stack } = bo([
      { device: "1001", clientType: "desktop" },
      { device: "1001", clientType: "mobile" },
    ]);

    expect(synthErrors(stack)).toEqual([
      expect.objectContaining({ path: "stack/bo", code: "DuplicateSoftphoneDevice", rule: "U14", text: expect.stringMatching(/^device "1001" is listed twice among the softphones of user "bo@acme\.test" \(softphones 1 and 2\)/) }),
    ]);
  });

  test("U14: GIVEN addSoftphones with a device the user already holds WHEN synthesized THEN DuplicateSoftphoneDevice", () => {
    const { stack, user } = bo([{ device: "1001", clientType: "desktop" }]);
    user.addSoftphones({ device: "1001", clientType: "mobile" });

    expect(synthErrors(stack).map((e) => e.code)).toEqual(["DuplicateSoftphoneDevice"]);
  });

  test("U14: GIVEN one device on two users of a customer WHEN synthesized THEN DuplicateSoftphoneDevice names the first holder", () => {
    const { stack, customer } = bo([{ device: "1001", clientType: "desktop" }]);
    new CustomerUser(stack, "cy", { customer, email: "cy@acme.test", displayName: "Cy", roles: UC, softphones: [{ device: "1001", clientType: "mobile" }] });

    expect(synthErrors(stack)).toEqual([
      expect.objectContaining({ path: "stack/cy", code: "DuplicateSoftphoneDevice", text: expect.stringMatching(/^device "1001" of user "cy@acme\.test" is also a softphone of "bo@acme\.test" \("stack\/bo"\) in customer "ACME-001"/) }),
    ]);
  });

  test("U14: GIVEN the same device id on users of two customers WHEN synthesized THEN it is compliant (each PBX has its own)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const beta = acmeWithAdmin(newStack(app, {}, "beta"), { reference: "BETA-001" }).customer;
    new CustomerUser(stack, "bo", { customer, email: BO, displayName: "Bo", roles: UC, softphones: [{ device: "1001", clientType: "desktop" }] });
    new CustomerUser(beta.node.scope!, "bo", { customer: beta, email: BO, displayName: "Bo", roles: UC, softphones: [{ device: "1001", clientType: "desktop" }] });

    expect(synthFailure(app)).toBe("");
  });
});
