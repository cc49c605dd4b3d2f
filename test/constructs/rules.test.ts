/**
 * Every synth-time rule through the constructs: props wrong on their own and cross-construct rules
 * alike fail `app.synth()` (and so `cdktf synth`), all at once, one line each:
 * `[<construct path>] <Code> [<rule>]: <message>; <fix>`. Only what cannot be built at all throws
 * a coded DimensionsError where it is written (a construct outside a DimensionsStack).
 */
import { Lazy, TerraformStack } from "cdktf";
import { Acknowledgements, Customer, CustomerUser, DimensionsError, DimensionsStack, HANDLER_BUNDLE_ENV, Role, RoleAssignment, UserRemovalPolicy } from "../../src";
import { acmeWithAdmin, ADMIN, customerProps, newApp, newStack, synthErrorCodes, synthErrors, synthFailure, thrown, useFakeHandlerBundle, warnings } from "./helpers";

/** acme with its primary admin, the customer built from these props. */
function acmeWith(overrides: Parameters<typeof customerProps>[0]) {
  const stack = newStack();
  const { customer } = acmeWithAdmin(stack, overrides);
  return { stack, customer };
}

beforeAll(() => {
  useFakeHandlerBundle();
});

test("a compliant stack synthesizes", () => {
  const app = newApp();
  acmeWithAdmin(newStack(app));
  expect(synthFailure(app)).toBe("");
});

describe("C1: customer fields", () => {
  test("C1: valid fields, including timezone UTC and an alpha-3 country code, are accepted", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app), { timezone: "UTC", countryCode: "FRA" });
    expect(synthFailure(app)).toBe("");
  });

  test("C1: a name longer than 100 characters fails the synth with code, rule, path and the value received", () => {
    const { stack } = acmeWith({ name: "x".repeat(101) });
    const [e, ...others] = synthErrors(stack);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ code: "CustomerFieldInvalid", rule: "C1", path: "stack/acme" });
    expect(e.text).toMatch(/^name of customer "ACME-001" is 101 characters long/);
  });

  test("C1: a timezone that is not an IANA zone fails", () => {
    expect(synthErrorCodes(acmeWith({ timezone: "CET+1" }).stack)).toEqual(["stack/acme InvalidTimezone"]);
  });

  test("C1: a country code that is not ISO 3166 shaped fails", () => {
    expect(synthErrorCodes(acmeWith({ countryCode: "FRANCE" }).stack)).toEqual(["stack/acme InvalidCountryCode"]);
  });

  test("C1: an owned customer without PBX details fails", () => {
    expect(synthErrors(acmeWith({ pbx: undefined as never }).stack)).toEqual([expect.objectContaining({ code: "PbxDetailsMissing", rule: "C1" })]);
  });

  test("C1: every wrong field of every customer is reported by the one synth, not only the first", () => {
    const stack = newStack();
    acmeWithAdmin(stack, { name: "x".repeat(101), timezone: "CET+1" });
    const beta = new Customer(stack, "beta", customerProps({ reference: "BETA-001", countryCode: "FRANCE" }));
    new CustomerUser(stack, "bea", { customer: beta, email: "bea@beta.test", displayName: "Bea", roles: [...ADMIN], primaryAdmin: true });
    expect(synthErrorCodes(stack)).toEqual(["stack/acme CustomerFieldInvalid", "stack/acme InvalidTimezone", "stack/beta InvalidCountryCode"]);
  });
});

describe("C2: one reference per customer across the app", () => {
  test("C2: different references in two stacks pass", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app, {}, "one"));
    const two = newStack(app, {}, "two");
    Customer.fromReference(two, "beta", "BETA-001");
    expect(synthFailure(app)).toBe("");
  });

  test("C2: the same reference in two stacks (owned and referenced) fails the synth, once, on the second", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app, {}, "one"));
    Customer.fromReference(newStack(app, {}, "two"), "acme-again", "ACME-001");
    const [e, ...others] = synthErrors(app);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ path: "two/acme-again", code: "DuplicateCustomerReference", rule: "C2" });
    expect(e.text).toContain('already used by "one/acme"');
  });
});

describe("C4: the Kazoo API key is never in the configuration", () => {
  test("C4: an environment variable name is accepted", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app));
    expect(synthFailure(app)).toBe("");
  });

  test("C4: a secret value instead of a variable name fails, without echoing it", () => {
    const secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    const { stack } = acmeWith({ pbx: { ...customerProps().pbx, apiKeyEnv: secret } });
    const failure = synthFailure(stack.node.root as never);
    expect(synthErrors(stack)).toEqual([expect.objectContaining({ code: "SecretInConfiguration", rule: "C4", path: "stack/acme" })]);
    expect(failure).not.toContain(secret);
  });

  test("C4: a name that is not an environment variable name fails", () => {
    const { stack } = acmeWith({ pbx: { ...customerProps().pbx, apiKeyEnv: "acme kazoo key" } });
    expect(synthErrors(stack)).toEqual([expect.objectContaining({ code: "InvalidApiKeyEnv", rule: "C4" })]);
  });
});

describe("C6/U9: the explicit opt-in to charges", () => {
  test("C6: a stack without the opt-in may reference customers and grant unlicensed roles", () => {
    const app = newApp();
    const stack = newStack(app, { acceptCharges: false });
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK] });
    expect(synthFailure(app)).toBe("");
  });

  test("C6: an owned customer in a stack without the opt-in fails, once on the stack, naming every chargeable change and how to opt in", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app, { acceptCharges: false }));
    const [e, ...others] = synthErrors(app);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ path: "stack", code: "ChargesNotAccepted", rule: "C6/U9" });
    expect(e.text).toContain('creating customer "ACME-001" ("stack/acme")');
    expect(e.text).toContain('"customer.user.supervisorl1" of user "ana@acme.test" ("stack/ana")');
    expect(e.text).toContain("acceptCharges: true");
  });

  test("U9: a licensed role in a stack without the opt-in fails, naming the user", () => {
    const app = newApp();
    const stack = newStack(app, { acceptCharges: false });
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.ANALYTICS_SUPERVISOR] });
    expect(synthFailure(app)).toContain('[stack] ChargesNotAccepted [C6/U9]: stack "stack" does not accept charges, but declares 1 chargeable change(s): licensed role(s) "customer.user.supervisorl2" of user "bo@acme.test" ("stack/bo")');
  });
});

describe("U1: users", () => {
  test("U1: two users with distinct e-mails pass", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    expect(synthFailure(app)).toBe("");
  });

  test("U1: a missing display name and an invalid e-mail fail the synth, both", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "", roles: [] });
    new CustomerUser(stack, "cy", { customer, email: "cy at acme", displayName: "Cy", roles: [] });
    expect(synthErrors(stack)).toEqual([
      expect.objectContaining({ code: "UserFieldInvalid", rule: "U1", path: "stack/bo" }),
      expect.objectContaining({ code: "UserFieldInvalid", rule: "U1", path: "stack/cy", text: expect.stringContaining('e-mail "cy at acme" is not a valid address') }),
    ]);
  });

  test("U1: a user whose e-mail is unusable is left out, and so are the errors it would cause (its customer's admin, an assignment naming it)", () => {
    const stack = newStack();
    const customer = new Customer(stack, "acme", customerProps());
    const ana = new CustomerUser(stack, "ana", { customer, email: "ana@acme", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    new RoleAssignment(stack, "live", { customer, roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], users: [ana] });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], rolesFrom: ana });
    expect(synthErrorCodes(stack)).toEqual(["stack/ana UserFieldInvalid"]);
  });

  test("U1: two users with the same e-mail (another case) fail the synth", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "ana2", { customer, email: "ANA@acme.test", displayName: "Ana again", roles: [Role.WEBSITE_ACCESS] });
    expect(synthFailure(app)).toContain("[stack/ana2] DuplicateUserEmail [U1]");
  });
});

describe("U1 (warning): a RoleAssignment e-mail one edit away from a declared user", () => {
  test("U1: an e-mail of a user the app does not declare, and not near one, synthesizes without a warning", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const live = new RoleAssignment(stack, "live", { customer, roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], users: ["team.lead@acme.test"] });
    expect(synthFailure(app)).toBe("");
    expect(warnings(live)).toEqual([]);
  });

  test("U1: an e-mail one letter away from a declared user is a synth warning naming both, which can be acknowledged", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const live = new RoleAssignment(stack, "live", { customer, roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], users: ["ana@acme.tset"] });
    expect(synthFailure(app)).toBe("");
    expect(warnings(live)).toEqual([
      'AssignedEmailNearDeclaredUser [U1]: "ana@acme.tset" is declared by no user of the app and is one edit away from the declared "ana@acme.test" ("stack/ana") of customer "ACME-001"; an e-mail no user declares must name an existing user, or the apply fails; name "ana@acme.test" (or its CustomerUser) if that user is meant, or acknowledge the finding if "ana@acme.tset" is another existing user',
    ]);

    const app2 = newApp();
    const stack2 = newStack(app2);
    const { customer: c2 } = acmeWithAdmin(stack2);
    const live2 = new RoleAssignment(stack2, "live", { customer: c2, roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], users: ["anna@acme.test"] });
    Acknowledgements.of(live2).add({ code: "AssignedEmailNearDeclaredUser", reason: "Anna is Ana's colleague, created in the portal" });
    expect(synthFailure(app2)).toBe("");
    expect(warnings(live2)).toEqual([]);
  });
});

describe("U2: adopted users are never deleted", () => {
  test("U2: an adopted user defaults to REVOKE", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    expect(CustomerUser.adopt(stack, "rec", { customer, email: "rec@acme.test", roles: [Role.WEBSITE_ACCESS] }).removalPolicy).toBe(UserRemovalPolicy.REVOKE);
  });

  test("U2: adopting with DELETE fails the synth", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "rec", { customer, email: "rec@acme.test", roles: [], removalPolicy: UserRemovalPolicy.DELETE });
    expect(synthErrorCodes(stack)).toEqual(["stack/rec AdoptedUserDeleteForbidden"]);
  });
});

describe("U3: admins can log in", () => {
  test("U3: user.admin with customer.user passes", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app));
    expect(synthFailure(app)).toBe("");
  });

  test("U3: user.admin without customer.user fails", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.MANAGE_USERS] });
    expect(synthFailure(app)).toContain("[stack/bo] AdminWithoutWebsiteAccess [U3]");
  });

  test("U3: one missing customer.user is one error, whatever else needs it and even on the primary admin", () => {
    const stack = newStack();
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR, Role.SILENT_MONITOR], primaryAdmin: true });
    expect(synthErrorCodes(stack)).toEqual(["stack/ana AdminWithoutWebsiteAccess"]);
  });
});

describe("U4: an owned customer needs an admin", () => {
  test("U4: a referenced customer needs none", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    expect(synthFailure(app)).toBe("");
  });

  test("U4: an owned customer without a declared admin fails, once (its fix names primaryAdmin too)", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    expect(synthErrorCodes(app)).toEqual(["stack/acme AdministratorRequired"]);
  });

  test("U4: a primary admin that is no admin is one error, on it (the customer's missing admin is the same mistake)", () => {
    const stack = newStack();
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], primaryAdmin: true });
    expect(synthErrorCodes(stack)).toEqual(["stack/bo PrimaryAdminNotAdmin"]);
  });
});

describe("U6: admins without a supervisor role (warning)", () => {
  test("U6: an admin with a supervisor role has no warning", () => {
    const app = newApp();
    const { ana } = acmeWithAdmin(newStack(app));
    app.synth();
    expect(warnings(ana)).toEqual([]);
  });

  test("U6: an admin without a supervisor role synthesizes with a warning", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    const ana = new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], primaryAdmin: true });
    expect(synthFailure(app)).toBe("");
    expect(warnings(ana)).toEqual([expect.stringMatching(/^AdminWithoutSupervisor \[U6\]: admin user "ana@acme.test"/)]);
  });
});

describe("U7: prerequisites", () => {
  test("U7: a prerequisite granted by a RoleAssignment satisfies the user's role", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const bo = new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.REPORTS_SUPERVISOR] });
    new RoleAssignment(stack, "web", { customer, roles: [Role.WEBSITE_ACCESS], users: [bo] });
    expect(synthFailure(app)).toBe("");
  });

  test("U7: a missing prerequisite fails the synth with the documented message", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "ana.b@acme.test", displayName: "Bo", roles: [Role.REPORTS_SUPERVISOR] });
    expect(synthFailure(app)).toContain(
      `[stack/bo] RolePrerequisiteMissing [U7]: role "customer.user.supervisorl1" of user "ana.b@acme.test" requires "customer.user"; add it to the user's roles`,
    );
  });

  test("U7: a role folded in by a RoleAssignment is checked too, naming the assignment", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    new RoleAssignment(stack, "ws", { customer, roles: [Role.WORKSPACE_ADMINISTRATOR], users: ["BO@acme.test"] });
    const message = synthFailure(app);
    expect(message).toContain("[stack/bo] RolePrerequisiteMissing [U7]");
    expect(message).toContain('RoleAssignment "stack/ws"');
  });

  test("U7: an unknown role fails the synth with the alias hint", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: ["customer.user", "admin.user"] });
    const [e, ...others] = synthErrors(stack);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ code: "UnknownRole", path: "stack/bo" });
    expect(e.text).toContain('did you mean "user.admin"?');
  });

  test("U7: a mistyped role key gets the nearest keys, with their Role constants", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, "customer.user.supervisor1"] });
    expect(synthFailure(stack.node.root as never)).toContain(
      '[stack/bo] UnknownRole [U7]: role "customer.user.supervisor1" of user "bo@acme.test" is not in the role catalogue; did you mean "customer.user.supervisorl1" (Role.REPORTS_SUPERVISOR)? use it instead',
    );
  });

  test("U7: a role key written as its Role constant or catalogue name gets the key", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, "SILENT_MONITOR", "Recording Playback"] });
    const texts = synthErrors(stack).map((e) => e.text);
    expect(texts).toEqual([expect.stringContaining('did you mean "pbx.silentmonitor" (Role.SILENT_MONITOR)?'), expect.stringContaining('did you mean "recording.viewer" (Role.RECORDING_PLAYBACK)?')]);
  });

  test("U7: a mistyped prerequisite is one error (UnknownRole), not also the prerequisite it fails to give", () => {
    const stack = newStack();
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: ["customer.usr", Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR], primaryAdmin: true });
    const errors = synthErrors(stack);
    expect(errors.map((e) => `${e.path} ${e.code}`)).toEqual(["stack/ana UnknownRole"]);
    expect(errors[0].text).toContain('did you mean "customer.user" (Role.WEBSITE_ACCESS)?');
  });

  test("U7: one missing prerequisite is one error, naming every role that needs it", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.REPORTS_SUPERVISOR, Role.SILENT_MONITOR] });
    expect(synthFailure(stack.node.root as never)).toContain(
      '[stack/bo] RolePrerequisiteMissing [U7]: roles "customer.user.supervisorl1", "pbx.silentmonitor" of user "bo@acme.test" require "customer.user"; add it to the user\'s roles',
    );
    expect(synthErrorCodes(stack)).toEqual(["stack/bo RolePrerequisiteMissing"]);
  });
});

describe("U8/H3: exclusive groups", () => {
  test("U8: one supervisor level passes", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.INSIGHTS_SUPERVISOR] });
    expect(synthFailure(app)).toBe("");
  });

  test("U8: two supervisor levels, one of them from an assignment, fail", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer, ana } = acmeWithAdmin(stack);
    new RoleAssignment(stack, "live", { customer, roles: [Role.LIVE_ANALYTICS_SUPERVISOR], users: [ana] });
    expect(synthFailure(app)).toContain("[stack/ana] ExclusiveRoleConflict [U8/H3]");
  });
});

describe("U13: read-only and server-managed roles", () => {
  test("U13: server-managed roles may be asked for", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER, Role.AGENT_USER_ADD_ON] });
    expect(synthFailure(app)).toBe("");
  });

  test("U13: asking for a read-only role fails the synth (also through addRoles and assignments), once each", () => {
    const stack = newStack();
    const { customer, ana } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.MICROSOFT_TEAMS_USER] });
    ana.addRoles(Role.MICROSOFT_TEAMS_USER);
    new RoleAssignment(stack, "ms", { customer, roles: [Role.MICROSOFT_TEAMS_USER], users: [ana] });
    expect(synthErrors(stack).map((e) => `${e.path} ${e.code} [${e.rule}]`)).toEqual(["stack/ana ReadOnlyRole [U13]", "stack/bo ReadOnlyRole [U13]", "stack/ms ReadOnlyRole [U13]"]);
  });
});

describe("H1: the primary admin", () => {
  test("H1: exactly one primary admin holding both admin roles passes", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app));
    expect(synthFailure(app)).toBe("");
  });

  test("H1: an owned customer without a primary admin fails", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] });
    expect(synthFailure(app)).toContain("[stack/acme] PrimaryAdminMissing [H1/U5]");
  });

  test("U5: users of a customer without a primary admin fail the synth with ONE error: nothing can apply the first admin's grants first", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    const [e, ...others] = synthErrors(app);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ path: "stack/acme", code: "PrimaryAdminMissing", rule: "H1/U5" });
    expect(e.text).toContain("no admin's grants are applied before its other users' (U5)");
  });

  test("U5: with a primary admin, the other users are ordered after its grants (no error)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    expect(synthErrors(app)).toEqual([]);
  });

  test("H1: two primary admins fail, once, on the second, naming the first", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [...ADMIN], primaryAdmin: true });
    const [e, ...others] = synthErrors(app);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ path: "stack/bo", code: "MultiplePrimaryAdmins", rule: "H1" });
    expect(e.text).toContain('and so is "ana@acme.test" ("stack/ana")');
  });

  test("H1: a primary admin without both admin roles fails", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], primaryAdmin: true });
    expect(synthFailure(app)).toContain("[stack/bo] PrimaryAdminNotAdmin [H1]");
  });
});

describe("runtime guard rails", () => {
  test("create_before_destroy on a handler resource fails the synth", () => {
    const app = newApp();
    const { ana } = acmeWithAdmin(newStack(app));
    ana.resource.addOverride("lifecycle.create_before_destroy", true);
    expect(synthFailure(app)).toContain("[stack/acme/Default] CreateBeforeDestroyForbidden");
  });

  test("create_before_destroy set through the lifecycle property fails too; other lifecycle settings pass", () => {
    const app = newApp();
    const { customer, ana } = acmeWithAdmin(newStack(app));
    ana.resource.lifecycle = { preventDestroy: true };
    expect(synthFailure(app)).toBe("");
    const app2 = newApp();
    const { customer: c2 } = acmeWithAdmin(newStack(app2));
    c2.resource.lifecycle = { createBeforeDestroy: true };
    expect(synthFailure(app2)).toContain("[stack/acme/Default] CreateBeforeDestroyForbidden");
    expect(customer).toBeDefined();
  });

  test("a user whose customer is in another DimensionsStack fails the synth", () => {
    const app = newApp();
    const { customer } = acmeWithAdmin(newStack(app, {}, "one"));
    const two = newStack(app, {}, "two");
    new CustomerUser(two, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    expect(synthFailure(app)).toContain("[two/bo] CrossStackReference");
  });

  test("constructs outside a DimensionsStack fail with a coded error", () => {
    const plain = new TerraformStack(newApp(), "plain");
    expect(thrown(() => new Customer(plain, "acme", customerProps()))).toMatchObject({ code: "NotInDimensionsStack", path: "plain/acme" });
    expect(() => DimensionsStack.of(plain)).toThrow(/NotInDimensionsStack/);
  });

  test("DimensionsStack.of finds the enclosing stack; isDimensionsStack is a brand check", () => {
    const stack = newStack();
    const { ana } = acmeWithAdmin(stack);
    expect(DimensionsStack.of(ana)).toBe(stack);
    expect(DimensionsStack.isDimensionsStack(stack)).toBe(true);
    expect(DimensionsStack.isDimensionsStack(ana)).toBe(false);
  });

  test("a construct outside a DimensionsStack throws ONE line in the finding format, without a stack trace or extra properties to print", () => {
    const plain = new TerraformStack(newApp(), "plain");
    const e = thrown(() => new Customer(plain, "acme", customerProps()));
    expect(e).toBeInstanceOf(DimensionsError);
    expect(e.message).toMatch(/^\[plain\/acme\] NotInDimensionsStack \[runtime\]: "plain\/acme" is not inside a DimensionsStack; create it in a DimensionsStack/);
    expect(e.message.split("\n")).toHaveLength(1);
    expect(e.stack).toBe(`DimensionsError: ${e.message}`);
    expect(Object.keys(e)).toEqual([]);
  });

  test("a missing handler bundle is a coded error telling what to do", () => {
    const saved = process.env[HANDLER_BUNDLE_ENV];
    process.env[HANDLER_BUNDLE_ENV] = "/nonexistent/handler.cjs";
    try {
      expect(thrown(() => newStack())).toMatchObject({ code: "HandlerBundleMissing", path: "stack" });
    } finally {
      process.env[HANDLER_BUNDLE_ENV] = saved;
    }
  });

  test("acceptCharges is required and region/apiUrl are exclusive", () => {
    expect(synthErrorCodes(new DimensionsStack(newApp(), "s", {} as never))).toEqual(["s InvalidStackSettings"]);
    expect(synthErrorCodes(newStack(newApp(), { region: "eu", apiUrl: "https://api.test" }))).toEqual(["stack InvalidStackSettings"]);
  });

  test("an acceptCharges that is not a boolean is one error, not also every chargeable change it would refuse", () => {
    const stack = newStack(newApp(), { acceptCharges: "yes" as never });
    acmeWithAdmin(stack);
    expect(synthErrorCodes(stack)).toEqual(["stack InvalidStackSettings"]);
    expect(stack.settings.acceptCharges).toBe(false);
  });

  test("a token that cannot be checked in the constructor is reported as a warning and rendered resolved", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps({ name: Lazy.stringValue({ produce: () => "Acme (lazy)" }) }));
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    expect(synthFailure(app)).toBe("");
    expect(warnings(customer)).toEqual([expect.stringMatching(/^UnresolvedValue/)]);
  });
});
