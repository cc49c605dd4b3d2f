/**
 * The reconcile layer (src/reconcile), pure: which users a tenant's plan reads and writes, in which
 * order (U5, H1, U4), and what it never does (remove server-managed roles, U13; delete a PBX user,
 * H7; touch an undeclared user of a non-authoritative customer, H8; take the primary admin's admin
 * roles without a successor, H1; remove a prerequisite a kept role needs, U7).
 *
 * Each test runs the plan as the executor does: list the users (no roles), read the roles of exactly
 * the users `usersToRead` names, then plan. `planUsers` throws when it needs a user it was not
 * given the roles of, so every test also proves `usersToRead` is enough.
 */
import type { Customer } from "../../src/contracts/api";
import type { CustomerDesired, UserEntry } from "../../src/contracts/handler";
import {
  desiredUsers,
  emailKey,
  leavingUsers,
  pbxProblem,
  planCustomer,
  planUsers,
  stillRemovable,
  touchedUsers,
  usersToRead,
  type LiveUser,
  type UserOperation,
  type UserPlanInput,
} from "../../src/reconcile";

const ADMIN = ["customer.user", "user.admin"];
const CU = "customer.user";
const PBX = "customer.user.pbx";
const UK_PBX = "customer.user.uc.essential";

/** Live users by e-mail: their roles (and the display name the API holds: the local part). */
type Live = Record<string, readonly string[]>;

function entry(roles: string[], overrides: Partial<UserEntry> = {}): UserEntry {
  return { roles: [...roles].sort(), ...overrides };
}

function input(desired: Record<string, UserEntry>, options: { previous?: Record<string, UserEntry>; authoritative?: boolean } = {}): UserPlanInput {
  return {
    desired: desiredUsers(desired),
    ...(options.previous ? { previous: desiredUsers(options.previous) } : {}),
    authoritative: options.authoritative ?? false,
  };
}

const idOf = (email: string) => `id-${emailKey(email)}`;

/** The listing: every live user, without roles (as GET /users answers). */
function listing(live: Live): Map<string, LiveUser> {
  return new Map(Object.keys(live).map((email) => [emailKey(email), { id: idOf(email), email, displayName: email.split("@")[0] }]));
}

/** The listing with the roles of `keys` read (one GET each). */
function withRoles(live: Live, keys: readonly string[]): Map<string, LiveUser> {
  const out = listing(live);
  for (const [email, roles] of Object.entries(live)) {
    if (keys.includes(emailKey(email))) out.set(emailKey(email), { ...out.get(emailKey(email))!, roles: [...roles] });
  }
  return out;
}

/** List, read what usersToRead names, plan: what the executor does. */
function plan(planInput: UserPlanInput, live: Live) {
  const read = usersToRead(planInput, listing(live));
  return { read, ...planUsers(planInput, withRoles(live, read)) };
}

/** `admin-grants: create zoe@acme.test` */
function summary(op: UserOperation): string {
  return `${op.phase}: ${op.kind} ${op.email}`;
}

function patchOf(ops: readonly UserOperation[], email: string) {
  const op = ops.find((o) => o.email === email);
  if (!op || op.kind !== "patch") throw new Error(`expected a patch of ${email}, got ${op ? op.kind : "nothing"}`);
  return op;
}

describe("phases (U5, H1, U4)", () => {
  test("U5/H1: GIVEN new admins, a role change, a removal and a leaving admin WHEN planned THEN admin grants come first (the primary first) and admin revocations last", () => {
    // GIVEN zoe is named primary admin instead of ana, carl is a new admin, fred a new user,
    // dora gains a role and eve left the code
    const previous = {
      "ana@acme.test": entry(ADMIN, { primary: true, displayName: "Ana" }),
      "dora@acme.test": entry([CU], { displayName: "dora" }),
      "eve@acme.test": entry([CU], { displayName: "eve" }),
    };
    const desired = {
      "zoe@acme.test": entry(ADMIN, { primary: true, displayName: "Zoe" }),
      "carl@acme.test": entry(ADMIN, { displayName: "Carl" }),
      "dora@acme.test": entry([CU, "recording.viewer"], { displayName: "dora" }),
      "fred@acme.test": entry([CU], { displayName: "Fred" }),
    };
    const live = { "ana@acme.test": ADMIN, "dora@acme.test": [CU], "eve@acme.test": [CU] };

    // WHEN planned
    const { operations } = plan(input(desired, { previous }), live);

    // THEN
    expect(operations.map(summary)).toEqual([
      "admin-grants: create zoe@acme.test",
      "admin-grants: create carl@acme.test",
      "changes: patch dora@acme.test",
      "changes: create fred@acme.test",
      "removals: delete eve@acme.test",
      "admin-revocations: delete ana@acme.test",
    ]);
  });

  test("U5: GIVEN an existing user who becomes admin WHEN planned THEN its patch is an admin grant, before other changes", () => {
    const desired = { "bruno@acme.test": entry(ADMIN, { primary: true }), "anna@acme.test": entry([CU, "recording.viewer"]) };
    const { operations } = plan(input(desired), { "bruno@acme.test": [CU], "anna@acme.test": [CU] });
    expect(operations.map(summary)).toEqual(["admin-grants: patch bruno@acme.test", "changes: patch anna@acme.test"]);
  });

  test("U4: GIVEN an admin who stays declared but loses admin WHEN planned THEN its patch is an admin revocation, run last", () => {
    const desired = { "ana@acme.test": entry([CU, "customer.user.supervisorl1"]), "bruno@acme.test": entry(ADMIN, { primary: true }), "carl@acme.test": entry([CU, "recording.viewer"]) };
    const { operations } = plan(input(desired), { "ana@acme.test": ADMIN, "bruno@acme.test": ADMIN, "carl@acme.test": [CU] });
    expect(operations.map(summary)).toEqual(["changes: patch carl@acme.test", "admin-revocations: patch ana@acme.test"]);
  });
});

describe("what is read and written", () => {
  const users = {
    "ana@acme.test": entry(ADMIN, { primary: true, displayName: "ana" }),
    "bruno@acme.test": entry([CU, "customer.user.supervisorl2"], { displayName: "bruno" }),
    "carla@acme.test": entry([CU], { displayName: "carla" }),
  };
  const live = { "ana@acme.test": ADMIN, "bruno@acme.test": [CU, "customer.user.supervisorl2"], "carla@acme.test": [CU], "portal@acme.test": [CU, "recording.viewer"] };

  test("GIVEN previous is known and one of three users changed WHEN planned THEN only that user is read and written", () => {
    const desired = { ...users, "bruno@acme.test": entry([CU, "customer.user.supervisorl1"], { displayName: "bruno" }) };
    const planInput = input(desired, { previous: users });

    expect(touchedUsers(planInput)).toEqual(["bruno@acme.test"]);
    const { read, operations, unchanged } = plan(planInput, live);
    expect(read).toEqual(["bruno@acme.test"]);
    expect(operations.map(summary)).toEqual(["changes: patch bruno@acme.test"]);
    expect(unchanged).toBe(0);
  });

  test("GIVEN previous is known and only a user's removal policy changed WHEN planned THEN it is read and nothing is written", () => {
    const desired = { ...users, "carla@acme.test": entry([CU], { displayName: "carla", removal: "retain" }) };
    const { read, operations, unchanged } = plan(input(desired, { previous: users }), live);
    expect(read).toEqual(["carla@acme.test"]);
    expect(operations).toEqual([]);
    expect(unchanged).toBe(1);
  });

  test("GIVEN previous is known and nothing changed WHEN planned THEN nothing is read or written", () => {
    const { read, operations } = plan(input(users, { previous: users }), live);
    expect(read).toEqual([]);
    expect(operations).toEqual([]);
  });

  test("GIVEN previous is unknown WHEN planned THEN every declared user is read and an undeclared live user is neither read nor removed", () => {
    const planInput = input(users);
    expect(leavingUsers(planInput, listing(live))).toEqual([]);
    const { read, operations, unchanged } = plan(planInput, live);
    expect(read).toEqual(["ana@acme.test", "bruno@acme.test", "carla@acme.test"]);
    expect(operations).toEqual([]);
    expect(unchanged).toBe(3);
  });

  test("GIVEN previous is unknown and a live user the code once declared is gone from it WHEN planned THEN nobody is removed (nothing says who left)", () => {
    const desired = { "ana@acme.test": users["ana@acme.test"], "carla@acme.test": users["carla@acme.test"] };
    const { read, operations } = plan(input(desired), live);
    expect(read).toEqual(["ana@acme.test", "carla@acme.test"]);
    expect(operations).toEqual([]);
  });

  test("GIVEN a user that left the code with removal retain WHEN planned THEN it is not read, nothing is sent, and a notice says it is retained", () => {
    const previous = { ...users, "carla@acme.test": entry([CU], { displayName: "carla", removal: "retain" }) };
    const desired = { "ana@acme.test": users["ana@acme.test"], "bruno@acme.test": users["bruno@acme.test"] };
    const { read, operations, notices } = plan(input(desired, { previous }), live);
    expect(read).toEqual([]);
    expect(operations).toEqual([]);
    expect(notices).toEqual([{ email: "carla@acme.test", text: "removed from the code: retained (removal policy retain)" }]);
  });

  test("GIVEN a user that left the code and is already gone WHEN planned THEN nothing is sent and a notice says so", () => {
    const previous = { ...users, "gone@acme.test": entry([CU]) };
    const { operations, notices } = plan(input(users, { previous }), live);
    expect(operations).toEqual([]);
    expect(notices).toEqual([{ email: "gone@acme.test", text: "removed from the code: already gone" }]);
  });
});

describe("each user at most one write", () => {
  test("GIVEN a user whose display name and roles change WHEN planned THEN one patch carries both", () => {
    const { operations } = plan(input({ "ana@acme.test": entry(ADMIN, { primary: true }), "bruno@acme.test": entry([CU, "recording.viewer"], { displayName: "Bruno B." }) }), {
      "ana@acme.test": ADMIN,
      "bruno@acme.test": [CU],
    });
    expect(operations).toHaveLength(1);
    expect(patchOf(operations, "bruno@acme.test").patch).toEqual([
      { op: "replace", path: "/displayName", value: "Bruno B." },
      { op: "replace", path: "/roles", value: [CU, "recording.viewer"] },
    ]);
  });

  test("H8: GIVEN an authoritative customer and a user that left the code WHEN planned THEN that user gets one operation, not one as leaving and one as undeclared", () => {
    const ana = entry(ADMIN, { primary: true });
    const previous = { "ana@acme.test": ana, "bruno@acme.test": entry([CU, "recording.viewer"], { origin: "adopted" }) };
    const planInput = input({ "ana@acme.test": ana }, { previous, authoritative: true });
    const live = { "ana@acme.test": ADMIN, "bruno@acme.test": [CU, "recording.viewer"] };
    expect(leavingUsers(planInput, listing(live)).map((l) => l.email)).toEqual(["bruno@acme.test"]);
    const { operations } = plan(planInput, live);
    expect(operations.map(summary)).toEqual(["removals: patch bruno@acme.test"]);
  });

  test("GIVEN a mixed change of many users WHEN planned THEN no e-mail appears in two operations", () => {
    const previous: Record<string, UserEntry> = { "ana@acme.test": entry(ADMIN, { primary: true }) };
    const desired: Record<string, UserEntry> = { "zoe@acme.test": entry(ADMIN, { primary: true }) };
    const live: Record<string, string[]> = { "ana@acme.test": ADMIN };
    for (let i = 0; i < 20; i++) {
      const email = `u${i}@acme.test`;
      if (i % 4 !== 0) desired[email] = entry(i % 2 ? [CU, "recording.viewer"] : [CU], { displayName: `U${i}` });
      if (i % 3 !== 0) previous[email] = entry([CU]);
      if (i % 5 !== 0) live[email] = i % 7 ? [CU] : [CU, PBX];
    }
    const { operations } = plan(input(desired, { previous, authoritative: true }), live);
    const emails = operations.map((o) => emailKey(o.email));
    expect(operations.length).toBeGreaterThan(10);
    expect(new Set(emails).size).toBe(emails.length);
  });
});

describe("U13: server-managed and read-only roles", () => {
  test("U13: GIVEN a user holding auto, synchronised and read-only roles it does not declare WHEN converged exactly THEN the new role list keeps them", () => {
    const desired = { "ana@acme.test": entry(ADMIN, { primary: true }), "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted" }) };
    const { operations } = plan(input(desired), {
      "ana@acme.test": ADMIN,
      "rec@acme.test": [PBX, "customer.user.pbx.realtime", "customer.user.microsoftteams", "customer.device.admin"],
    });
    expect(patchOf(operations, "rec@acme.test").patch).toEqual([
      { op: "replace", path: "/roles", value: ["customer.device.readonly", CU, "customer.user.microsoftteams", PBX, "customer.user.pbx.realtime"] },
    ]);
  });

  test("U13: GIVEN the role set already matches, in another order and with server-managed extras WHEN planned THEN no operation", () => {
    const desired = { "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted" }) };
    const { operations, unchanged } = plan(input(desired), { "rec@acme.test": ["customer.device.readonly", PBX, CU, "customer.user.acd"] });
    expect(operations).toEqual([]);
    expect(unchanged).toBe(1);
  });

  test("U13: GIVEN an exact user with removal revoke leaving WHEN planned THEN only its server-managed roles remain", () => {
    const previous = { "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted", removal: "revoke" }) };
    const { operations } = plan(input({}, { previous }), { "rec@acme.test": [CU, "customer.device.readonly", PBX, "customer.user.acd", "customer.user.microsoftteams"] });
    expect(patchOf(operations, "rec@acme.test").after).toEqual(["customer.user.acd", "customer.user.microsoftteams", PBX]);
  });

  test("U13: GIVEN an additive grant that named an auto role WHEN the grant is withdrawn THEN the auto role stays", () => {
    const previous = { "lead@acme.test": entry([CU, "customer.user.acd", "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) };
    const desired = { "lead@acme.test": entry([CU], { management: "additive", origin: "adopted" }) };
    const { operations } = plan(input(desired, { previous }), { "lead@acme.test": [CU, PBX, "customer.user.acd", "pbx.silentmonitor"] });
    expect(patchOf(operations, "lead@acme.test").after).toEqual([CU, "customer.user.acd", PBX]);
  });
});

describe("H7: users on the PBX are never deleted", () => {
  test("H7 (non-compliant): GIVEN a created user holding customer.user.pbx whose removal policy is delete WHEN it leaves the code THEN it is revoked, never deleted", () => {
    const previous = { "rec@acme.test": entry([CU, "recording.viewer"], { removal: "delete" }) };
    const { operations, notices } = plan(input({}, { previous }), { "rec@acme.test": [CU, "recording.viewer", PBX] });
    expect(operations.map(summary)).toEqual(["removals: patch rec@acme.test"]);
    expect(patchOf(operations, "rec@acme.test").patch).toEqual([{ op: "replace", path: "/roles", value: [PBX] }]);
    expect(notices).toEqual([{ email: "rec@acme.test", code: "PbxUserKept", text: expect.stringMatching(/never deleted \(H7\)/) }]);
  });

  test("H7: GIVEN a UK user holding customer.user.uc.essential whose removal policy is delete WHEN it leaves the code THEN it is revoked, never deleted", () => {
    const previous = { "rec@acme.test": entry([CU]) };
    const { operations } = plan(input({}, { previous }), { "rec@acme.test": [CU, UK_PBX] });
    expect(operations.map(summary)).toEqual(["removals: patch rec@acme.test"]);
    expect(patchOf(operations, "rec@acme.test").after).toEqual([UK_PBX]);
  });

  test("H7 (compliant): GIVEN a created user not on the PBX whose removal policy is delete WHEN it leaves the code THEN it is deleted", () => {
    const previous = { "bruno@acme.test": entry([CU, "recording.viewer"]) };
    const { operations } = plan(input({}, { previous }), { "bruno@acme.test": [CU, "recording.viewer"] });
    expect(operations.map(summary)).toEqual(["removals: delete bruno@acme.test"]);
  });

  test("H7: GIVEN an admin on the PBX leaving with removal delete while another primary is named WHEN planned THEN its admin roles are revoked, the user is kept", () => {
    const previous = { "ana@acme.test": entry(ADMIN, { primary: true }) };
    const desired = { "zoe@acme.test": entry(ADMIN, { primary: true }) };
    const { operations } = plan(input(desired, { previous }), { "ana@acme.test": [...ADMIN, PBX], "zoe@acme.test": ADMIN });
    expect(operations.map(summary)).toEqual(["admin-revocations: patch ana@acme.test"]);
    expect(patchOf(operations, "ana@acme.test").after).toEqual([PBX]);
  });
});

describe("H8: authoritative customers", () => {
  const ana = { "ana@acme.test": entry(ADMIN, { primary: true }) };

  test("H8 (non-compliant): GIVEN an authoritative customer WHEN a live user is not declared THEN it loses every manageable role, keeps synchronised and read-only ones, and is never deleted", () => {
    const { read, operations } = plan(input(ana, { authoritative: true }), {
      "ana@acme.test": ADMIN,
      "portal@acme.test": [CU, "recording.viewer", PBX, "customer.user.microsoftteams"],
    });
    expect(read).toEqual(["ana@acme.test", "portal@acme.test"]);
    expect(operations.map(summary)).toEqual(["removals: patch portal@acme.test"]);
    const op = patchOf(operations, "portal@acme.test");
    expect(op.after).toEqual(["customer.user.microsoftteams", PBX]);
    expect(op.why).toMatch(/H8/);
  });

  test("H8: GIVEN an authoritative customer WHEN an undeclared user holds only manageable roles THEN it is emptied, still not deleted", () => {
    const { operations } = plan(input(ana, { authoritative: true }), { "ana@acme.test": ADMIN, "temp@acme.test": [CU, "recording.viewer"] });
    expect(operations.map(summary)).toEqual(["removals: patch temp@acme.test"]);
    expect(patchOf(operations, "temp@acme.test").after).toEqual([]);
  });

  test("H8: GIVEN an authoritative customer WHEN an undeclared admin is found THEN its admin roles go last (admin revocation)", () => {
    const { operations } = plan(input(ana, { authoritative: true }), { "ana@acme.test": ADMIN, "boss@acme.test": ADMIN });
    expect(operations.map(summary)).toEqual(["admin-revocations: patch boss@acme.test"]);
  });

  test("H8: GIVEN an authoritative customer WHEN an undeclared user holds only synchronised roles THEN nothing is planned for it", () => {
    const { operations } = plan(input(ana, { authoritative: true }), { "ana@acme.test": ADMIN, "phone@acme.test": [PBX] });
    expect(operations).toEqual([]);
  });

  test("H8 (compliant): GIVEN a customer that is not authoritative WHEN a live user is not declared THEN it is left alone: not read, not written", () => {
    const { read, operations } = plan(input(ana, { previous: ana }), { "ana@acme.test": ADMIN, "portal@acme.test": [CU, "recording.viewer"] });
    expect(read).toEqual([]);
    expect(operations).toEqual([]);
  });
});

describe("H1: the primary admin", () => {
  test("H1: GIVEN the primary admin leaves the code and no other primary is named WHEN planned THEN it keeps its admin roles and loses only the others", () => {
    const previous = { "ana@acme.test": entry([...ADMIN, "customer.user.supervisorl1"], { primary: true }), "bruno@acme.test": entry([CU]) };
    const { operations, notices } = plan(input({ "bruno@acme.test": entry([CU]) }, { previous }), {
      "ana@acme.test": [...ADMIN, "customer.user.supervisorl1"],
      "bruno@acme.test": [CU],
    });
    expect(operations.map(summary)).toEqual(["removals: patch ana@acme.test"]);
    expect(patchOf(operations, "ana@acme.test").after).toEqual(ADMIN);
    expect(notices).toEqual([{ email: "ana@acme.test", code: "PrimaryAdminKept", text: expect.stringMatching(/^primary admin kept (\(H1\))/) }]);
  });

  test("H1: GIVEN the primary admin holding only admin roles leaves and no other primary is named WHEN planned THEN nothing is sent for it", () => {
    const previous = { "ana@acme.test": entry(ADMIN, { primary: true }) };
    const { operations, notices } = plan(input({}, { previous }), { "ana@acme.test": ADMIN });
    expect(operations).toEqual([]);
    expect(notices.map((n) => n.text)).toEqual([expect.stringMatching(/^primary admin kept \(H1\)/)]);
  });

  test("H1: GIVEN the primary admin leaves and another user is named primary WHEN planned THEN the new primary is granted first and the old one deleted last", () => {
    const previous = { "ana@acme.test": entry(ADMIN, { primary: true }) };
    const desired = { "bruno@acme.test": entry(ADMIN, { primary: true }) };
    const { operations } = plan(input(desired, { previous }), { "ana@acme.test": ADMIN, "bruno@acme.test": [CU] });
    expect(operations.map(summary)).toEqual(["admin-grants: patch bruno@acme.test", "admin-revocations: delete ana@acme.test"]);
  });
});

describe("removal policies", () => {
  test("GIVEN an adopted user with removal delete leaving WHEN planned THEN it is revoked: an adopted user is never deleted", () => {
    const previous = { "rec@acme.test": entry([CU, "customer.device.readonly"], { origin: "adopted", removal: "delete" }) };
    const { operations } = plan(input({}, { previous }), { "rec@acme.test": [CU, "customer.device.readonly", PBX] });
    expect(operations.map(summary)).toEqual(["removals: patch rec@acme.test"]);
    expect(patchOf(operations, "rec@acme.test").after).toEqual([PBX]);
  });

  test("GIVEN a referenced (additive) user with removal delete leaving WHEN planned THEN only the roles it granted are removed, the user stays", () => {
    const previous = { "lead@acme.test": entry(["pbx.silentmonitor"], { management: "additive", removal: "delete" }) };
    const { operations } = plan(input({}, { previous }), { "lead@acme.test": [CU, "pbx.silentmonitor", "recording.viewer"] });
    expect(operations.map(summary)).toEqual(["removals: patch lead@acme.test"]);
    expect(patchOf(operations, "lead@acme.test").after).toEqual([CU, "recording.viewer"]);
  });

  test("GIVEN an exact created user with the default policy leaving WHEN planned THEN it is deleted", () => {
    const previous = { "bruno@acme.test": entry([CU]) };
    const { operations } = plan(input({}, { previous }), { "bruno@acme.test": [CU] });
    expect(operations).toEqual([{ kind: "delete", email: "bruno@acme.test", primary: false, phase: "removals", userId: idOf("bruno@acme.test"), before: [CU] }]);
  });
});

describe("U7: prerequisites of kept roles", () => {
  test("U7: GIVEN a kept role that requires a role being removed WHEN stillRemovable THEN that prerequisite stays", () => {
    expect(stillRemovable([CU, "pbx.silentmonitor", "recording.viewer"], [CU, "pbx.silentmonitor"])).toEqual(["pbx.silentmonitor"]);
  });

  test("U7: GIVEN a chain of prerequisites (workspace admin → settings → customer.user) WHEN stillRemovable THEN the whole chain stays", () => {
    expect(stillRemovable([CU, "customer.settings", "customer.workspace.admin", "recording.viewer"], [CU, "customer.settings", "recording.viewer"])).toEqual(["recording.viewer"]);
  });

  test("U7: GIVEN no kept role depends on the roles removed WHEN stillRemovable THEN all of them are removable", () => {
    expect(stillRemovable([CU, "pbx.silentmonitor", PBX], [CU, "pbx.silentmonitor"])).toEqual([CU, "pbx.silentmonitor"]);
  });

  test("U7: GIVEN an additive grant of customer.user + pbx.silentmonitor to a user also holding recording.viewer WHEN released THEN customer.user stays", () => {
    const previous = { "lead@acme.test": entry([CU, "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) };
    const { operations } = plan(input({}, { previous }), { "lead@acme.test": [CU, PBX, "pbx.silentmonitor", "recording.viewer"] });
    expect(patchOf(operations, "lead@acme.test").after).toEqual([CU, PBX, "recording.viewer"]);
  });

  test("H1/U3: GIVEN an additive grant of customer.user + pbx.silentmonitor to a portal admin WHEN released THEN it keeps its login and admin rights", () => {
    const previous = { "lead@acme.test": entry([CU, "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) };
    const { operations } = plan(input({}, { previous }), { "lead@acme.test": [CU, "user.admin", PBX, "pbx.silentmonitor"] });
    const op = patchOf(operations, "lead@acme.test");
    expect(op.after).toEqual([CU, PBX, "user.admin"]);
    expect(op.phase).toBe("removals");
  });
});

describe("additive users", () => {
  test("GIVEN an additive user missing granted roles WHEN planned THEN one patch adds each with add /roles/- and removes nothing", () => {
    const desired = { "lead@acme.test": entry([CU, "pbx.agentcontrol", "pbx.silentmonitor"], { management: "additive", origin: "adopted" }) };
    const { operations } = plan(input(desired), { "lead@acme.test": [PBX, CU, "customer.user.supervisorl1"] });
    expect(patchOf(operations, "lead@acme.test").patch).toEqual([
      { op: "add", path: "/roles/-", value: "pbx.agentcontrol" },
      { op: "add", path: "/roles/-", value: "pbx.silentmonitor" },
    ]);
  });

  test("GIVEN an additive grant that shrinks WHEN planned THEN it loses only old − new, in one full role list that keeps every other role", () => {
    const additive = { management: "additive" as const, origin: "adopted" as const };
    const previous = { "lead@acme.test": entry([CU, "pbx.agentcontrol", "pbx.silentmonitor"], additive) };
    const desired = { "lead@acme.test": entry([CU, "pbx.agentcontrol"], additive) };
    const { operations } = plan(input(desired, { previous }), { "lead@acme.test": [CU, PBX, "pbx.agentcontrol", "pbx.silentmonitor", "recording.viewer"] });
    expect(patchOf(operations, "lead@acme.test").patch).toEqual([{ op: "replace", path: "/roles", value: [CU, PBX, "pbx.agentcontrol", "recording.viewer"] }]);
  });

  test("GIVEN an additive user whose display name differs WHEN planned THEN its name is not the app's to change", () => {
    const desired = { "lead@acme.test": entry([CU], { management: "additive", displayName: "Lead" }) };
    const { operations } = plan(input(desired), { "lead@acme.test": [CU] });
    expect(operations).toEqual([]);
  });
});

describe("users that must exist", () => {
  test("GIVEN an adopted user missing from the customer WHEN planned THEN a UserNotFound issue and no operation", () => {
    const { operations, issues } = plan(input({ "ghost@acme.test": entry([CU], { origin: "adopted" }) }), {});
    expect(operations).toEqual([]);
    expect(issues).toEqual([{ email: "ghost@acme.test", code: "UserNotFound", message: expect.stringMatching(/^the adopted user does not exist/), hint: expect.any(String) }]);
  });

  test("GIVEN a referenced (additive) user missing from the customer WHEN planned THEN a UserNotFound issue: an assignment never creates a user", () => {
    const { operations, issues } = plan(input({ "ghost@acme.test": entry(["pbx.silentmonitor"], { management: "additive" }) }), {});
    expect(operations).toEqual([]);
    expect(issues.map((i) => [i.email, i.code])).toEqual([["ghost@acme.test", "UserNotFound"]]);
  });

  test("GIVEN a created user missing from the customer WHEN planned THEN one create with its sorted roles and display name", () => {
    const { operations } = plan(input({ "Bruno@Acme.test": entry(["recording.viewer", CU], { displayName: "Bruno" }) }), {});
    expect(operations).toEqual([{ kind: "create", email: "Bruno@Acme.test", primary: false, phase: "changes", displayName: "Bruno", roles: [CU, "recording.viewer"] }]);
  });

  test("U1: GIVEN a declared e-mail in another case than the live one WHEN planned THEN they are the same user", () => {
    const { operations, read } = plan(input({ "Bruno@Acme.test": entry([CU], { origin: "adopted" }) }), { "bruno@acme.test": [CU] });
    expect(read).toEqual(["bruno@acme.test"]);
    expect(operations).toEqual([]);
  });
});

describe("planCustomer (C2, C3)", () => {
  const desired: CustomerDesired = {
    reference: "ACME-001",
    name: "Acme",
    description: "Acme Corporation",
    enabled: true,
    timezone: "Europe/London",
    pbx: { hostRest: "https://pbx.acme.test", hostWebsocket: "wss://pbx.acme.test", accountId: "acme-pbx", apiKeyEnv: "ACME_KAZOO_KEY" },
  };
  const live = (fields: Partial<Customer> = {}): Customer => ({
    id: "3f0c7a52-4c4e-4f5e-9a43-0d5b2f8e9a10",
    reference: "ACME-001",
    name: "Acme",
    description: "Acme Corporation",
    enabled: true,
    timezone: "Europe/London",
    pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", accountId: "acme-pbx" },
    ...fields,
  });

  test("C2: GIVEN no customer with the reference WHEN planned THEN a create with the declared fields only, without the PBX profile (its apiKey is read at apply, C4)", () => {
    const step = planCustomer(desired, undefined);
    expect(step).toEqual({ kind: "create", body: { name: "Acme", description: "Acme Corporation", reference: "ACME-001", enabled: true, timezone: "Europe/London" } });
  });

  test("C2: GIVEN a customer that differs in name and timezone WHEN planned THEN a patch of exactly those fields", () => {
    expect(planCustomer(desired, live({ name: "Made by hand", timezone: null }))).toEqual({
      kind: "patch",
      patch: [
        { op: "replace", path: "/name", value: "Acme" },
        { op: "replace", path: "/timezone", value: "Europe/London" },
      ],
    });
  });

  test("C2: GIVEN a customer already as declared WHEN planned THEN nothing", () => {
    expect(planCustomer(desired, live())).toEqual({ kind: "none" });
  });

  test("C2: GIVEN a field the code leaves out WHEN planned THEN the customer keeps its value", () => {
    expect(planCustomer(desired, live({ countryCode: "GB", syncAcdAgentWithPbx: true }))).toEqual({ kind: "none" });
  });

  test("C3: GIVEN a customer connected to another PBX account WHEN checked THEN an error that names both accounts", () => {
    const problem = pbxProblem(live({ pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", accountId: "other-pbx" } }), desired);
    expect(problem).toEqual({ level: "error", message: expect.stringContaining('"other-pbx" but the code declares "acme-pbx"'), hint: expect.stringContaining('pbx.accountId "other-pbx"') });
  });

  test("C3: GIVEN a customer without a PBX connection WHEN checked THEN a warning, and none when it is connected as declared", () => {
    expect(pbxProblem(live({ pbxConnectionProfile: null }), desired)?.level).toBe("warning");
    expect(pbxProblem(live(), desired)).toBeUndefined();
  });
});
