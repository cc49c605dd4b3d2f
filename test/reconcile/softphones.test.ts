/**
 * Softphones in the reconcile layer (src/reconcile/softphones.ts, U14): which devices a plan assigns
 * and unassigns, and where those operations fall in the order — every unassign before any role
 * change (a revoked role never has a device under it; a device moving between users is free first),
 * every assign after the last role change (the roles it needs are granted, U7).
 *
 * Each test plans as the executor does: list, read the users `usersToRead` names (their devices
 * too), then plan; `planDevices` throws when it needs devices it was not given.
 */
import type { UserEntry } from "../../src/contracts/handler";
import { decodeUserEntry, encodeUserEntry } from "../../src/contracts/handler";
import { desiredUsers, devicesToRead, emailKey, planUsers, PHASES, sameEntry, usersToRead, type LiveUser, type UserOperation, type UserPlanInput } from "../../src/reconcile";

const ADMIN = ["customer.user", "user.admin"];
const UC = ["customer.user", "customer.user.uc", "customer.user.uc.softphone"];
const ANA = "ana@acme.test";
const BO = "bo@acme.test";
const CY = "cy@acme.test";

interface LiveSpec {
  readonly roles: readonly string[];
  readonly devices?: ReadonlyArray<readonly [string, string]>;
}

function entry(roles: string[], overrides: Partial<UserEntry> = {}): UserEntry {
  return { roles: [...roles].sort(), ...overrides };
}

function phones(...list: Array<[string, "desktop" | "mobile" | "webrtc" | "crm"]>): UserEntry["softphones"] {
  return list.map(([device, clientType]) => ({ device, clientType }));
}

function input(desired: Record<string, UserEntry>, previous?: Record<string, UserEntry>): UserPlanInput {
  return { desired: desiredUsers(desired), ...(previous ? { previous: desiredUsers(previous) } : {}), authoritative: false };
}

/** Lists `live`, then reads what the executor reads: roles of `usersToRead`, devices where reported. */
function read(plan: UserPlanInput, live: Record<string, LiveSpec>, options: { reportDevices?: boolean } = {}): Map<string, LiveUser> {
  const out = new Map<string, LiveUser>(Object.keys(live).map((email) => [emailKey(email), { id: `id-${email}`, email, displayName: email.split("@")[0] }]));
  for (const key of usersToRead(plan, out)) {
    const spec = Object.entries(live).find(([email]) => emailKey(email) === key)![1];
    const devices = options.reportDevices === false ? {} : { devices: (spec.devices ?? []).map(([device, clientType]) => ({ device, clientType })) };
    out.set(key, { ...out.get(key)!, roles: [...spec.roles], ...devices });
  }
  return out;
}

const anaAdmin = { [ANA]: entry(ADMIN, { primary: true }) };
const anaLive = { [ANA]: { roles: ADMIN } };

/** `assign bo 1001 desktop` / `patch bo` / … in plan order. */
function steps(ops: readonly UserOperation[]): string[] {
  return ops.map((op) => {
    const who = op.email.split("@")[0];
    if (op.kind === "assign-device" || op.kind === "unassign-device") return `${op.kind === "assign-device" ? "assign" : "unassign"} ${who} ${op.device} ${op.clientType}`;
    return `${op.kind} ${who}`;
  });
}

describe("U14: devices the plan assigns and unassigns", () => {
  test("U14: GIVEN a new user with a softphone WHEN planned THEN it is created first and its device assigned last, without a user id yet", () => {
    const plan = input({ ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) });

    const { operations } = planUsers(plan, read(plan, anaLive));

    expect(steps(operations)).toEqual(["create bo", "assign bo 1001 desktop"]);
    expect(operations[1]).toMatchObject({ phase: "device-assigns", why: "declared" });
    expect(operations[1]).not.toHaveProperty("userId");
  });

  test("U14: GIVEN a user holding its declared softphone WHEN planned THEN nothing is sent and it counts as already as declared", () => {
    const previous = { ...anaAdmin, [BO]: entry(UC, { softphones: [] }) };
    const plan = input({ ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) }, previous);

    const result = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"]] } }));

    expect(result.operations).toEqual([]);
    expect(result.unchanged).toBe(1);
  });

  test("U14: GIVEN a client type change WHEN planned THEN the device is unassigned with its live type before anything and assigned with the new one last", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) };
    const plan = input({ ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "mobile"]) }) }, before);

    const result = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"]] } }));

    expect(steps(result.operations)).toEqual(["unassign bo 1001 desktop", "assign bo 1001 mobile"]);
    expect(result.operations[0]).toMatchObject({ why: "its client type changes", userId: `id-${BO}` });
    expect(result.unchanged).toBe(0);
  });

  test("U14: GIVEN declared softphones WHEN the user holds an undeclared device THEN it is unassigned (the declaration is exact)", () => {
    const plan = input({ ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) });

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"], ["1009", "crm"]] } }));

    expect(steps(operations)).toEqual(["unassign bo 1009 crm"]);
    expect(operations[0]).toMatchObject({ why: "not declared" });
  });

  test("U14: GIVEN no softphones declared, ever WHEN the user holds a device THEN it is left alone", () => {
    const plan = input({ ...anaAdmin, [BO]: entry([...UC, "recording.viewer"]) });

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1009", "crm"]] } }));

    expect(steps(operations)).toEqual(["patch bo"]);
  });

  test("U14: GIVEN softphones removed from the declaration WHEN planned THEN only the devices the code declared before are unassigned", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) };
    const plan = input({ ...anaAdmin, [BO]: entry(UC) }, before);

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"], ["1009", "crm"]] } }));

    expect(steps(operations)).toEqual(["unassign bo 1001 desktop"]);
    expect(operations[0]).toMatchObject({ why: "removed from the code" });
  });

  test("U7: GIVEN the softphone role revoked while a device is held WHEN planned THEN the device goes first, before the role patch", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) };
    const plan = input({ ...anaAdmin, [BO]: entry(["customer.user"]) }, before);

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"], ["1009", "crm"]] } }));

    // Both devices: the one the code declared, and the one a person assigned, which cannot outlive the role.
    expect(steps(operations)).toEqual(["unassign bo 1001 desktop", "unassign bo 1009 crm", "patch bo"]);
    expect(operations[1]).toMatchObject({ why: "its role customer.user.uc is revoked" });
  });

  test("U7: GIVEN a device held without customer.user.uc.softphone already, roles unchanged WHEN planned THEN the device goes, and the line says the role is lacking, not revoked", () => {
    const roles = ["customer.user", "customer.user.uc"];
    const plan = input({ ...anaAdmin, [BO]: entry(roles) });

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles, devices: [["1001", "desktop"]] } }));

    expect(steps(operations)).toEqual(["unassign bo 1001 desktop"]);
    expect(operations[0]).toMatchObject({ why: "the user lacks customer.user.uc.softphone, which a device needs" });
  });

  test("U7: GIVEN the softphone role granted with the device WHEN planned THEN the device is assigned after the grant", () => {
    const before = { ...anaAdmin, [BO]: entry(["customer.user"]) };
    const plan = input({ ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "webrtc"]) }) }, before);

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: ["customer.user"] } }));

    expect(steps(operations)).toEqual(["patch bo", "assign bo 1001 webrtc"]);
  });

  test("U7: GIVEN a user losing its admin roles and gaining the softphone WHEN planned THEN the assign still comes after that last revocation", () => {
    const before = { [ANA]: entry(ADMIN, { primary: true }), [BO]: entry(ADMIN) };
    const plan = input({ [ANA]: entry(ADMIN, { primary: true }), [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) }, before);

    const { operations } = planUsers(plan, read(plan, { [ANA]: { roles: ADMIN }, [BO]: { roles: ADMIN } }));

    expect(operations.map((op) => op.phase)).toEqual(["admin-revocations", "device-assigns"]);
  });

  test("U14: GIVEN a device moving from one user to another WHEN planned THEN it is unassigned from the first before it is assigned to the second", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }), [CY]: entry(UC, { softphones: [] }) };
    const plan = input({ ...anaAdmin, [BO]: entry(UC, { softphones: [] }), [CY]: entry(UC, { softphones: phones(["1001", "desktop"]) }) }, before);

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"]] }, [CY]: { roles: UC } }));

    expect(steps(operations)).toEqual(["unassign bo 1001 desktop", "assign cy 1001 desktop"]);
  });

  test("U14: GIVEN a user with softphones leaving the code by revocation WHEN planned THEN its devices go before its roles", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { origin: "adopted", softphones: phones(["1001", "desktop"]) }) };
    const plan = input(anaAdmin, before);

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: [...UC, "customer.user.pbx"], devices: [["1001", "desktop"]] } }));

    expect(steps(operations)).toEqual(["unassign bo 1001 desktop", "patch bo"]);
    expect(operations[0]).toMatchObject({ why: "removed from the code" });
  });

  test("U14: GIVEN a user with softphones leaving the code by deletion WHEN planned THEN nothing is unassigned: its devices go with it", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) };
    const plan = input(anaAdmin, before);

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"]] } }));

    expect(steps(operations)).toEqual(["delete bo"]);
  });

  test("U14: GIVEN a user with softphones leaving the code with removal retain WHEN planned THEN its devices stay", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { removal: "retain", softphones: phones(["1001", "desktop"]) }) };
    const plan = input(anaAdmin, before);

    const { operations } = planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC, devices: [["1001", "desktop"]] } }));

    expect(operations).toEqual([]);
  });

  test("GIVEN devices the plan must know WHEN they were not read THEN planning refuses instead of assigning blindly", () => {
    const plan = input({ ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }) });

    expect(() => planUsers(plan, read(plan, { ...anaLive, [BO]: { roles: UC } }, { reportDevices: false }))).toThrow(/devices of bo@acme\.test were not read/);
  });

  test("GIVEN a plan WHEN its reads are listed THEN devicesToRead names exactly the users whose softphones the code manages, now or before", () => {
    const before = { ...anaAdmin, [BO]: entry(UC, { softphones: phones(["1001", "desktop"]) }), [CY]: entry(["customer.user"]) };
    const plan = input({ ...anaAdmin, [BO]: entry(UC), [CY]: entry(["customer.user", "recording.viewer"]) }, before);
    const listed = new Map<string, LiveUser>([BO, CY, ANA].map((e) => [e, { id: `id-${e}`, email: e }]));

    expect(devicesToRead(plan, listed)).toEqual([BO]);
  });

  test("GIVEN the phases WHEN listed THEN device unassigns come first and device assigns last", () => {
    expect([PHASES[0], PHASES[PHASES.length - 1]]).toEqual(["device-unassigns", "device-assigns"]);
  });
});

describe("U14: softphones in the user's line of the tenant payload", () => {
  test("U14: GIVEN an entry with softphones WHEN encoded THEN the line shows them sorted, before the name, and decodes to the same entry", () => {
    const withPhones = entry(UC, { displayName: "Bo | the | desk", softphones: phones(["1002", "mobile"], ["1001", "desktop"]) });

    const line = encodeUserEntry(withPhones);

    expect(line).toBe("customer.user customer.user.uc customer.user.uc.softphone | softphones=1001:desktop,1002:mobile | name=Bo | the | desk");
    expect(sameEntry(decodeUserEntry(line)!, withPhones)).toBe(true);
  });

  test("U14: GIVEN an exact empty set WHEN encoded THEN it differs from no declaration, both ways", () => {
    const none = entry(UC, { softphones: [] });

    expect(encodeUserEntry(none)).toBe("customer.user customer.user.uc customer.user.uc.softphone | softphones=");
    expect(decodeUserEntry(encodeUserEntry(none))!.softphones).toEqual([]);
    expect(decodeUserEntry("customer.user")!.softphones).toBeUndefined();
    expect(sameEntry(none, entry(UC))).toBe(false);
  });

  test("GIVEN a line of a release before softphones WHEN decoded THEN it still decodes, with no softphones", () => {
    expect(decodeUserEntry("customer.user user.admin | primary | adopted | removal=retain | name=Ana")).toEqual({ roles: ADMIN, primary: true, origin: "adopted", removal: "retain", displayName: "Ana" });
  });

  test.each([
    ["a malformed device id", "customer.user | softphones=../x:desktop"],
    ["an unknown client type", "customer.user | softphones=1001:fax"],
    ["no client type", "customer.user | softphones=1001"],
    ["an empty item", "customer.user | softphones=1001:desktop,"],
    ["the flag twice", "customer.user | softphones=1001:desktop | softphones=1002:mobile"],
  ])("GIVEN a line with %s WHEN decoded THEN it is not a user entry", (_what, line) => {
    expect(decodeUserEntry(line)).toBeUndefined();
  });
});
