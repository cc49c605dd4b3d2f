/**
 * Every synth-time rule through the constructs: props wrong on their own throw a coded
 * DimensionsError from the constructor; cross-construct rules fail `app.synth()` (and so
 * `cdktf synth`) with `[<construct path>] <Code> [<rule>]: ...`.
 */
import { Lazy, TerraformStack } from "cdktf";
import { Customer, CustomerUser, DimensionsError, DimensionsStack, HANDLER_BUNDLE_ENV, Role, RoleAssignment, UserRemovalPolicy } from "../../src";
import { acmeWithAdmin, ADMIN, customerProps, newApp, newStack, synthFailure, thrown, useFakeHandlerBundle, warnings } from "./helpers";

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

  test("C1: a name longer than 100 characters fails in the constructor with code, rule and path", () => {
    const stack = newStack();
    const e = thrown(() => new Customer(stack, "acme", customerProps({ name: "x".repeat(101) })));
    expect(e).toBeInstanceOf(DimensionsError);
    expect(e).toMatchObject({ code: "CustomerFieldInvalid", rule: "C1", path: "stack/acme" });
    expect(e.message).toMatch(/^CustomerFieldInvalid \[C1\]: name of customer "ACME-001" is 101 characters long/);
  });

  test("C1: a timezone that is not an IANA zone fails", () => {
    expect(thrown(() => new Customer(newStack(), "acme", customerProps({ timezone: "CET+1" })))).toMatchObject({ code: "InvalidTimezone", path: "stack/acme" });
  });

  test("C1: a country code that is not ISO 3166 shaped fails", () => {
    expect(thrown(() => new Customer(newStack(), "acme", customerProps({ countryCode: "FRANCE" })))).toMatchObject({ code: "InvalidCountryCode", path: "stack/acme" });
  });

  test("C1: an owned customer without PBX details fails", () => {
    const props = { ...customerProps(), pbx: undefined } as unknown as ReturnType<typeof customerProps>;
    expect(thrown(() => new Customer(newStack(), "acme", props))).toMatchObject({ code: "PbxDetailsMissing", rule: "C1" });
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

  test("C2: the same reference in two stacks (owned and referenced) fails the synth", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app, {}, "one"));
    Customer.fromReference(newStack(app, {}, "two"), "acme-again", "ACME-001");
    const message = synthFailure(app);
    expect(message).toContain("[one/acme] DuplicateCustomerReference [C2]");
    expect(message).toContain('"two/acme-again"');
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
    const pbx = { ...customerProps().pbx, apiKeyEnv: secret };
    const e = thrown(() => new Customer(newStack(), "acme", customerProps({ pbx })));
    expect(e).toMatchObject({ code: "SecretInConfiguration", rule: "C4", path: "stack/acme" });
    expect(e.message).not.toContain(secret);
  });

  test("C4: a name that is not an environment variable name fails", () => {
    const pbx = { ...customerProps().pbx, apiKeyEnv: "acme kazoo key" };
    expect(thrown(() => new Customer(newStack(), "acme", customerProps({ pbx })))).toMatchObject({ code: "InvalidApiKeyEnv", rule: "C4" });
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

  test("C6: an owned customer in a stack without the opt-in fails, saying how to opt in", () => {
    const app = newApp();
    acmeWithAdmin(newStack(app, { acceptCharges: false }));
    const message = synthFailure(app);
    expect(message).toContain("[stack/acme] ChargesNotAccepted [C6/U9]");
    expect(message).toContain("acceptCharges: true");
  });

  test("U9: a licensed role in a stack without the opt-in fails on the user", () => {
    const app = newApp();
    const stack = newStack(app, { acceptCharges: false });
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.ANALYTICS_SUPERVISOR] });
    expect(synthFailure(app)).toContain("[stack/bo] ChargesNotAccepted [C6/U9]");
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

  test("U1: a missing display name and an invalid e-mail fail in the constructor", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    expect(thrown(() => new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "", roles: [] }))).toMatchObject({ code: "UserFieldInvalid", rule: "U1", path: "stack/bo" });
    expect(thrown(() => new CustomerUser(stack, "cy", { customer, email: "cy at acme", displayName: "Cy", roles: [] }))).toMatchObject({ code: "UserFieldInvalid", path: "stack/cy" });
  });

  test("U1: two users with the same e-mail (another case) fail the synth", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "ana2", { customer, email: "ANA@acme.test", displayName: "Ana again", roles: [Role.WEBSITE_ACCESS] });
    expect(synthFailure(app)).toContain("[stack/ana2] DuplicateUserEmail [U1]");
  });
});

describe("U2: adopted users are never deleted", () => {
  test("U2: an adopted user defaults to REVOKE", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    expect(CustomerUser.adopt(stack, "rec", { customer, email: "rec@acme.test", roles: [Role.WEBSITE_ACCESS] }).removalPolicy).toBe(UserRemovalPolicy.REVOKE);
  });

  test("U2: adopting with DELETE fails in the constructor", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    const e = thrown(() => CustomerUser.adopt(stack, "rec", { customer, email: "rec@acme.test", roles: [], removalPolicy: UserRemovalPolicy.DELETE }));
    expect(e).toMatchObject({ code: "AdoptedUserDeleteForbidden", path: "stack/rec" });
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
});

describe("U4: an owned customer needs an admin", () => {
  test("U4: a referenced customer needs none", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    expect(synthFailure(app)).toBe("");
  });

  test("U4: an owned customer without a declared admin fails", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], primaryAdmin: true });
    expect(synthFailure(app)).toContain("[stack/acme] AdministratorRequired [U4]");
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

  test("U7: an unknown role fails in the constructor with the alias hint", () => {
    const stack = newStack();
    const { customer } = acmeWithAdmin(stack);
    const e = thrown(() => new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: ["customer.user", "admin.user"] }));
    expect(e).toMatchObject({ code: "UnknownRole", path: "stack/bo" });
    expect(e.message).toContain('did you mean "user.admin"?');
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

  test("U13: asking for a read-only role fails in the constructor (also through addRoles and assignments)", () => {
    const stack = newStack();
    const { customer, ana } = acmeWithAdmin(stack);
    expect(thrown(() => new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.MICROSOFT_TEAMS_USER] }))).toMatchObject({ code: "ReadOnlyRole", rule: "U13", path: "stack/bo" });
    expect(thrown(() => ana.addRoles(Role.MICROSOFT_TEAMS_USER))).toMatchObject({ code: "ReadOnlyRole", path: "stack/ana" });
    expect(thrown(() => new RoleAssignment(stack, "ms", { customer, roles: [Role.MICROSOFT_TEAMS_USER], users: [ana] }))).toMatchObject({ code: "ReadOnlyRole", path: "stack/ms" });
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
    expect(synthFailure(app)).toContain("[stack/acme] PrimaryAdminMissing [H1]");
  });

  test("U5: users of a customer without a primary admin fail the synth: nothing can apply the first admin's grants first", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    const failure = synthFailure(app);
    expect(failure).toContain("[stack/bo] FirstAdminUnordered [U5]");
    expect(failure).toContain('"bo@acme.test"');
  });

  test("H1: two primary admins fail, on each", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [...ADMIN], primaryAdmin: true });
    const message = synthFailure(app);
    expect(message).toContain("[stack/ana] MultiplePrimaryAdmins [H1]");
    expect(message).toContain("[stack/bo] MultiplePrimaryAdmins [H1]");
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
    expect(thrown(() => new DimensionsStack(newApp(), "s", {} as never))).toMatchObject({ code: "InvalidStackSettings" });
    expect(thrown(() => newStack(newApp(), { region: "eu", apiUrl: "https://api.test" }))).toMatchObject({ code: "InvalidStackSettings" });
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
