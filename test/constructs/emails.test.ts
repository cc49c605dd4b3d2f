/**
 * sendActivation and sendWelcome on CustomerUser (H5, U14): what synth renders into the user's
 * line of its tenant resource (so the plan of a change shows it), and what it refuses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Lazy } from "cdktf";
import { CustomerUser, Role, RoleAssignment } from "../../src";
import { buildEmailsExample } from "../../examples/emails/main";
import { acmeWithAdmin, newApp, newStack, stackDir, synthErrors, synthFailure, synthJson, useFakeHandlerBundle, userEntryIn } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

describe("rendering", () => {
  test("H5: GIVEN a date and a counter WHEN synthesized THEN the user's line carries activation= and welcome=, in cdk.tf.json and the manifest alike", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.UC_CLIENT], sendActivation: "2026-12-01", sendWelcome: 2 });

    const json = synthJson(app, stack);

    expect(userEntryIn(json, "bo@acme.test").entry).toMatchObject({ activation: "2026-12-01", welcome: "2" });
    const manifest = fs.readFileSync(path.join(stackDir(app, stack), "dimensions.manifest.json"), "utf8");
    expect(manifest).toContain("customer.user customer.user.uc | activation=2026-12-01 | welcome=2 | name=Bo");
  });

  test("GIVEN no trigger WHEN synthesized THEN the line is as before (no flag, nothing to send)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });

    const { entry } = userEntryIn(synthJson(app, stack), "bo@acme.test");

    expect(entry).not.toHaveProperty("activation");
    expect(entry).not.toHaveProperty("welcome");
  });

  test("GIVEN a template user with triggers WHEN another copies its roles THEN the triggers are not copied (only roles are, H2)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const lead = new CustomerUser(stack, "lead", { customer, email: "lead@acme.test", displayName: "Lead", roles: [Role.WEBSITE_ACCESS, Role.UC_CLIENT], sendActivation: 1, sendWelcome: 1 });
    new CustomerUser(stack, "copy", { customer, email: "copy@acme.test", displayName: "Copy", roles: [], rolesFrom: lead });

    const { entry } = userEntryIn(synthJson(app, stack), "copy@acme.test");

    expect(entry.roles).toContain(Role.UC_CLIENT);
    expect(entry).not.toHaveProperty("activation");
  });

  test("GIVEN an adopted user WHEN it has sendActivation THEN it is rendered too (a PBX user being given portal access)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "reception", { customer, email: "reception@acme.test", roles: [Role.WEBSITE_ACCESS], sendActivation: "2026-12-01" });

    expect(userEntryIn(synthJson(app, stack), "reception@acme.test").entry).toMatchObject({ origin: "adopted", activation: "2026-12-01" });
  });
});

describe("EmailTriggerInvalid [H5/U14]", () => {
  test.each([
    ["an empty string", ""],
    ["a value with a space", "next monday"],
    ["a value with the line's separator", "a|b"],
    ["a negative counter", -1],
    ["a fraction", 1.5],
    ["a boolean", true],
    ["65 characters", "x".repeat(65)],
  ])("H5: GIVEN sendActivation as %s WHEN synthesized THEN EmailTriggerInvalid names the user and the value", (_what, value) => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], sendActivation: value as string });

    const errors = synthErrors(app);

    expect(errors.map((e) => `${e.path} ${e.code} ${e.rule}`)).toEqual(["stack/bo EmailTriggerInvalid H5/U14"]);
    expect(errors[0].text).toMatch(/^sendActivation of user "bo@acme\.test" is .*; set sendActivation to a date such as "2026-12-01"/);
  });

  test("H5: GIVEN sendActivation as a token WHEN synthesized THEN EmailTriggerInvalid: the value must be known at synth", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], sendActivation: Lazy.stringValue({ produce: () => "2026-12-01" }) });

    expect(synthErrors(app).map((e) => `${e.code}: ${e.text}`)).toEqual([expect.stringMatching(/^EmailTriggerInvalid: sendActivation of user "bo@acme\.test" is a token/)]);
  });

  test("H5: GIVEN a date, a counter 0 and a ticket label WHEN synthesized THEN they are accepted", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "a", { customer, email: "a@acme.test", displayName: "A", roles: [Role.WEBSITE_ACCESS], sendActivation: "2026-12-01" });
    new CustomerUser(stack, "b", { customer, email: "b@acme.test", displayName: "B", roles: [Role.WEBSITE_ACCESS], sendActivation: 0 });
    new CustomerUser(stack, "c", { customer, email: "c@acme.test", displayName: "C", roles: [Role.WEBSITE_ACCESS], sendActivation: "INC-1234:resend_2" });

    expect(synthFailure(app)).toBe("");
  });
});

describe("WelcomeEmailNeedsUc [U14]", () => {
  test("U14: GIVEN sendWelcome on a user without the UC client WHEN synthesized THEN WelcomeEmailNeedsUc, once, with the fix", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], sendWelcome: 1 });

    const errors = synthErrors(app);

    expect(errors.map((e) => `${e.path} ${e.code} ${e.rule}`)).toEqual(["stack/bo WelcomeEmailNeedsUc U14"]);
    expect(errors[0].text).toMatch(/add Role\.UC_CLIENT \("customer\.user\.uc"\) to the user's roles, or remove sendWelcome$/);
  });

  test("U14: GIVEN the UC client granted by a RoleAssignment WHEN the user has sendWelcome THEN the synth accepts it (roles are folded first)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const bo = new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], sendWelcome: 1 });
    new RoleAssignment(stack, "uc", { customer, roles: [Role.UC_CLIENT], users: [bo] });

    expect(synthFailure(app)).toBe("");
  });

  test("U14: GIVEN a mistyped role key WHEN the user has sendWelcome THEN only UnknownRole is reported (one mistake, one error)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, "customer.user.ucc"], sendWelcome: 1 });

    expect(synthErrors(app).map((e) => e.code)).toEqual(["UnknownRole"]);
  });
});

test("GIVEN examples/emails (the README's code) WHEN synthesized THEN it passes, with Bruno's activation and Carla's welcome triggers in their lines", () => {
  const app = newApp();
  const stack = buildEmailsExample(app);

  const json = synthJson(app, stack);

  expect(userEntryIn(json, "bruno.petit@acme.example").entry).toMatchObject({ origin: "adopted", activation: "2026-12-01" });
  expect(userEntryIn(json, "carla.rossi@acme.example").entry).toMatchObject({ welcome: "2" });
});
