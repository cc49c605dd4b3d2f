/**
 * The cross-construct rules over the plain model (src/validation/model.ts), without any construct
 * tree: GIVEN a model, WHEN validated, THEN these findings (code, rule, construct path).
 */
import { foldGrants, foldRoles, validateModel, type DimensionsModel, type UserModel } from "../../src/validation/model";

const CU = "customer.user";
const ADMIN = [CU, "user.admin", "customer.user.supervisorl1"];

function model(parts: Partial<DimensionsModel> & { users?: UserModel[] } = {}): DimensionsModel {
  return {
    stacks: parts.stacks ?? [{ path: "s", acceptCharges: true }],
    customers: parts.customers ?? [{ path: "s/acme", stackPath: "s", owned: true, reference: "ACME" }],
    users: parts.users ?? [user("ana", ADMIN, { primaryAdmin: true })],
    assignments: parts.assignments ?? [],
  };
}

function user(id: string, roles: string[], extra: Partial<UserModel> = {}): UserModel {
  return { path: `s/${id}`, stackPath: "s", customerPath: "s/acme", email: `${id}@acme.test`, kind: "declared", roles, primaryAdmin: false, ...extra };
}

const found = (m: DimensionsModel) => validateModel(m).map((f) => `${f.code}@${f.path}`);
const errors = (m: DimensionsModel) => validateModel(m).filter((f) => f.level === "error");

test("a compliant customer with its primary admin has no finding", () => {
  expect(validateModel(model())).toEqual([]);
});

test("folding: roles of the user and of assignments are unioned, sorted and held once", () => {
  expect(foldRoles(["b", "a"], ["a", "c"], ["c"])).toEqual(["a", "b", "c"]);
  const grants = foldGrants({
    users: [user("bo", [CU])],
    assignments: [{ path: "s/live", stackPath: "s", customerPath: "s/acme", roles: [CU, "pbx.silentmonitor"], userPaths: ["s/bo"] }],
  });
  expect([...grants.get("s/bo")!.keys()].sort()).toEqual([CU, "pbx.silentmonitor"]);
  expect(grants.get("s/bo")!.get(CU)).toEqual(["own", "s/live"]);
});

describe("C2: one reference, one customer", () => {
  test("C2: distinct references pass", () => {
    const customers = [
      { path: "s/acme", stackPath: "s", owned: true, reference: "ACME" },
      { path: "s/beta", stackPath: "s", owned: false, reference: "BETA" },
    ];
    expect(found(model({ customers }))).toEqual([]);
  });

  test("C2: the same reference twice (owned or referenced, any stack) is one error, on the second, naming the first", () => {
    const customers = [
      { path: "s/acme", stackPath: "s", owned: true, reference: "ACME" },
      { path: "t/acme2", stackPath: "t", owned: false, reference: "ACME" },
    ];
    const m = model({ customers, stacks: [{ path: "s", acceptCharges: true }, { path: "t", acceptCharges: true }] });
    expect(found(m)).toEqual(["DuplicateCustomerReference@t/acme2"]);
    expect(validateModel(m)[0].message).toContain('already used by "s/acme"');
  });

  test("C2: references are compared exactly (case matters)", () => {
    const customers = [
      { path: "s/acme", stackPath: "s", owned: true, reference: "ACME" },
      { path: "s/acme2", stackPath: "s", owned: false, reference: "acme" },
    ];
    expect(found(model({ customers }))).toEqual([]);
  });
});

describe("C6/U9: charges need the stack's opt-in", () => {
  test("C6: an owned customer in a stack that accepts charges passes", () => {
    expect(found(model())).toEqual([]);
  });

  test("C6: an owned customer in a stack that does not accept charges is ONE error, on the stack, naming every chargeable change", () => {
    const m = model({ stacks: [{ path: "s", acceptCharges: false }] });
    expect(found(m)).toEqual(["ChargesNotAccepted@s"]);
    expect(validateModel(m)[0].message).toBe(
      'stack "s" does not accept charges, but declares 2 chargeable change(s): creating customer "ACME" ("s/acme"); licensed role(s) "customer.user.supervisorl1" of user "ana@acme.test" ("s/ana")',
    );
  });

  test("U9: a licensed role without the opt-in is an error naming the user; unlicensed roles pass", () => {
    const m = model({
      stacks: [{ path: "s", acceptCharges: false }],
      customers: [{ path: "s/acme", stackPath: "s", owned: false, reference: "ACME" }],
      users: [user("bo", [CU, "customer.user.supervisorl2"]), user("cy", [CU, "recording.viewer"])],
    });
    expect(found(m)).toEqual(["ChargesNotAccepted@s"]);
    expect(validateModel(m)[0].message).toContain('"customer.user.supervisorl2" of user "bo@acme.test"');
    expect(validateModel(m)[0].message).not.toContain("cy@");
  });

  test("C6: a stack whose acceptCharges setting is itself wrong (reported on its own) adds no charges error", () => {
    expect(found(model({ stacks: [{ path: "s", acceptCharges: undefined }] }))).toEqual([]);
  });
});

describe("U1: unique e-mail per customer", () => {
  test("U1: two users with different e-mails pass", () => {
    expect(found(model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU])] }))).toEqual([]);
  });

  test("U1: the same e-mail, in another case, is an error on the second user", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("ana2", [CU], { email: "ANA@acme.test" })] });
    expect(found(m)).toEqual(["DuplicateUserEmail@s/ana2"]);
  });
});

describe("U3: an admin needs website access", () => {
  test("U3: user.admin with customer.user passes", () => {
    expect(errors(model())).toEqual([]);
  });

  test("U3: user.admin without customer.user is an error (and not also a U7 finding)", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", ["user.admin"])] });
    expect(found(m)).toEqual(["AdminWithoutWebsiteAccess@s/bo"]);
  });

  test("U3: customer.user granted by an assignment completes the admin", () => {
    const m = model({
      users: [user("ana", ["user.admin", "customer.user.supervisorl1"], { primaryAdmin: true })],
      assignments: [{ path: "s/web", stackPath: "s", customerPath: "s/acme", roles: [CU], userPaths: ["s/ana"] }],
    });
    expect(found(m)).toEqual([]);
  });
});

describe("U4: an owned customer needs an admin", () => {
  test("U4: a referenced customer needs no declared admin (nor a primary, H1)", () => {
    const m = model({ customers: [{ path: "s/acme", stackPath: "s", owned: false, reference: "ACME" }], users: [user("bo", [CU])] });
    expect(found(m)).toEqual([]);
  });

  test("U4: an owned customer without any admin is an error; a referenced user does not count", () => {
    const m = model({ users: [user("bo", [CU]), user("ref", ["user.admin", CU], { kind: "referenced" })] });
    expect(found(m)).toContain("AdministratorRequired@s/acme");
  });
});

describe("U6: admins without a supervisor role (warning)", () => {
  test("U6: an admin with a supervisor role has no warning", () => {
    expect(validateModel(model()).filter((f) => f.code === "AdminWithoutSupervisor")).toEqual([]);
  });

  test("U6: an admin without a supervisor role gets a warning, not an error", () => {
    const m = model({ users: [user("ana", [CU, "user.admin"], { primaryAdmin: true })] });
    const [f] = validateModel(m);
    expect(f).toMatchObject({ code: "AdminWithoutSupervisor", rule: "U6", level: "warning", path: "s/ana" });
  });
});

describe("U7: prerequisites, after folding assignments", () => {
  test("U7: a role with its prerequisites passes", () => {
    expect(found(model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU, "customer.settings", "customer.workspace.admin"])] }))).toEqual([]);
  });

  test("U7: a missing prerequisite is an error naming the role, the user and the prerequisite", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", ["customer.user.supervisorl1"])] });
    const [f] = validateModel(m);
    expect(f).toMatchObject({ code: "RolePrerequisiteMissing", rule: "U7", path: "s/bo" });
    expect(f.message).toBe('role "customer.user.supervisorl1" of user "bo@acme.test" requires "customer.user"');
    expect(f.fix).toBe("add it to the user's roles");
  });

  test("U7: a role granted by an assignment without its prerequisite names the assignment", () => {
    const m = model({
      users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU])],
      assignments: [{ path: "s/ws", stackPath: "s", customerPath: "s/acme", roles: ["customer.workspace.admin"], userPaths: ["s/bo"] }],
    });
    const [f] = validateModel(m);
    expect(f).toMatchObject({ code: "RolePrerequisiteMissing", path: "s/bo" });
    expect(f.message).toContain('RoleAssignment "s/ws"');
    expect(f.message).toContain('requires "customer.settings"');
  });

  test("U7: one missing prerequisite is ONE error naming every role that needs it, and the sources to fix", () => {
    const m = model({
      users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", ["customer.user.supervisorl1"])],
      assignments: [{ path: "s/live", stackPath: "s", customerPath: "s/acme", roles: ["pbx.silentmonitor"], userPaths: ["s/bo"] }],
    });
    const [f, ...others] = validateModel(m);
    expect(others).toEqual([]);
    expect(f.message).toBe('roles "customer.user.supervisorl1", "pbx.silentmonitor" (granted by RoleAssignment "s/live") of user "bo@acme.test" require "customer.user"');
    expect(f.fix).toBe("add it to the user's roles");
  });

  test("U7: a user holding a role key that is not in the catalogue (UnknownRole, reported where it is written) gets no finding about a role it lacks", () => {
    // The unknown key may be the very role found missing ("customer.usr"): those rules wait for it.
    const m = model({ users: [user("ana", ["customer.usr", "user.admin", "customer.user.supervisorl1"], { primaryAdmin: true }), user("bo", ["customer.user.supervisorl1", "customer.user.supervisorl2", "typo"])] });
    // Rules about roles it holds still apply (two supervisor levels).
    expect(found(m)).toEqual(["ExclusiveRoleConflict@s/bo"]);
  });

  test("U7: a prerequisite granted by an assignment satisfies the user's own role", () => {
    const m = model({
      users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", ["customer.user.supervisorl1"])],
      assignments: [{ path: "s/web", stackPath: "s", customerPath: "s/acme", roles: [CU], userPaths: ["s/bo"] }],
    });
    expect(found(m)).toEqual([]);
  });
});

describe("U8/H3: exclusive groups", () => {
  test("U8: one supervisor level passes", () => {
    expect(found(model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU, "customer.user.supervisorl2"])] }))).toEqual([]);
  });

  test("U8: two supervisor levels on one user is an error", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU, "customer.user.supervisorl1", "customer.user.supervisorl2"])] });
    expect(found(m)).toEqual(["ExclusiveRoleConflict@s/bo"]);
  });

  test("H3: the conflict is found after folding an assignment in", () => {
    const m = model({
      users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU, "customer.user.supervisorl1"])],
      assignments: [{ path: "s/live", stackPath: "s", customerPath: "s/acme", roles: ["customer.user.supervisorl3"], userPaths: ["s/bo"] }],
    });
    const [f] = validateModel(m);
    expect(f).toMatchObject({ code: "ExclusiveRoleConflict", rule: "U8/H3", path: "s/bo" });
    expect(f.message).toContain('"customer.user.supervisorl3" (granted by RoleAssignment "s/live")');
  });
});

describe("H1: exactly one primary admin, holding both admin roles", () => {
  test("H1: one primary admin passes", () => {
    expect(found(model())).toEqual([]);
  });

  test("H1: no primary admin on an owned customer is an error", () => {
    expect(found(model({ users: [user("ana", ADMIN)] }))).toContain("PrimaryAdminMissing@s/acme");
  });

  test("U5: with a primary admin, every other user is ordered after its grants (no finding)", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU])] });
    expect(found(m).filter((f) => f.startsWith("FirstAdminUnordered"))).toEqual([]);
  });

  test("U5: without a primary admin, nothing orders the other users after an admin: ONE error on the customer, none per user", () => {
    const m = model({ users: [user("ana", ADMIN), user("bo", [CU])] });
    expect(found(m)).toEqual(["PrimaryAdminMissing@s/acme"]);
    expect(validateModel(m)[0]).toMatchObject({ rule: "H1/U5" });
  });

  test("U4/H1: no admin at all is one error (AdministratorRequired, whose fix names primaryAdmin), not also PrimaryAdminMissing", () => {
    expect(found(model({ users: [user("bo", [CU])] }))).toEqual(["AdministratorRequired@s/acme"]);
    expect(found(model({ users: [] }))).toEqual(["AdministratorRequired@s/acme"]);
  });

  test("U4/H1: a customer some of whose users could not be declared (their errors reported) waits for them", () => {
    const m = model({ customers: [{ path: "s/acme", stackPath: "s", owned: true, reference: "ACME", usersIncomplete: true }], users: [user("bo", [CU])] });
    expect(found(m)).toEqual([]);
  });

  test("H1: two primary admins is one error, on the second, naming the first", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", ADMIN, { primaryAdmin: true })] });
    expect(found(m)).toEqual(["MultiplePrimaryAdmins@s/bo"]);
    expect(validateModel(m)[0].message).toContain('and so is "ana@acme.test" ("s/ana")');
  });

  test("H1: a primary admin without the admin roles is an error", () => {
    const m = model({ users: [user("ana", ADMIN), user("bo", [CU, "customer.user.supervisorl1"], { primaryAdmin: true })] });
    expect(found(m)).toEqual(["PrimaryAdminNotAdmin@s/bo"]);
  });
});

describe("H2: template cycles", () => {
  test("H2: a chain of templates without a cycle passes", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU], { rolesFrom: "s/ana" }), user("cy", [], { rolesFrom: "s/bo" })] });
    expect(found(m)).toEqual([]);
  });

  test("H2: a cycle is ONE error, on its first user, whoever else leads into it", () => {
    const m = model({
      users: [user("ana", ADMIN, { primaryAdmin: true }), user("bo", [CU], { rolesFrom: "s/cy" }), user("cy", [CU], { rolesFrom: "s/bo" }), user("dan", [CU], { rolesFrom: "s/bo" })],
    });
    expect(found(m)).toEqual(["RoleTemplateCycle@s/bo"]);
    expect(validateModel(m)[0].message).toBe('user "bo@acme.test" copies its roles through "s/bo" → "s/cy" → "s/bo", which comes back to a user already in the chain');
  });
});

describe("U1 (warning): a RoleAssignment e-mail one edit away from a declared user", () => {
  const assignTo = (userPaths: string[]) => [{ path: "s/live", stackPath: "s", customerPath: "s/acme", roles: [CU, "pbx.silentmonitor"], userPaths }];

  test("U1: an e-mail that no user declares and is not near one passes (an existing user of the customer)", () => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("team.lead", [], { kind: "referenced" })], assignments: assignTo(["s/team.lead"]) });
    expect(found(m)).toEqual([]);
  });

  test.each([
    ["a letter changed", "anna@acme.test"],
    ["two letters swapped", "ana@acme.tset"],
    ["a letter missing", "ana@acme.tst"],
  ])("U1: %s (%s) is a warning on the assignment naming both e-mails", (_what, email) => {
    const m = model({ users: [user("ana", ADMIN, { primaryAdmin: true }), user("typo", [], { kind: "referenced", email })], assignments: assignTo(["s/typo"]) });
    const [f, ...others] = validateModel(m);
    expect(others).toEqual([]);
    expect(f).toMatchObject({ code: "AssignedEmailNearDeclaredUser", rule: "U1", level: "warning", path: "s/live" });
    expect(f.message).toContain(`"${email}" is declared by no user of the app and is one edit away from the declared "ana@acme.test" ("s/ana") of customer "ACME"`);
  });

  test("U1: two edits away, or near a user of another customer, is not a warning", () => {
    const m = model({
      customers: [{ path: "s/acme", stackPath: "s", owned: true, reference: "ACME" }, { path: "s/beta", stackPath: "s", owned: false, reference: "BETA" }],
      users: [
        user("ana", ADMIN, { primaryAdmin: true }),
        user("far", [], { kind: "referenced", email: "anna@acme.tst" }),
        user("bob", [CU], { customerPath: "s/beta", email: "bob@beta.test" }),
        user("bobby", [], { kind: "referenced", email: "bob@beta.tset", customerPath: "s/acme" }),
      ],
      assignments: assignTo(["s/far", "s/bobby"]),
    });
    expect(found(m)).toEqual([]);
  });
});

describe("users and assignments live in their customer's stack", () => {
  test("a user in its customer's stack passes", () => {
    expect(found(model())).toEqual([]);
  });

  test("a user in another stack than its customer is an error", () => {
    const m = model({ stacks: [{ path: "s", acceptCharges: true }, { path: "t", acceptCharges: true }], users: [user("ana", ADMIN, { primaryAdmin: true, stackPath: "t" })] });
    expect(found(m)).toEqual(["CrossStackReference@s/ana"]);
  });
});
