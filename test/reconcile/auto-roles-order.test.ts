/**
 * U11 in the plan's order: the customer's first supervisor level 3+ makes the server add the
 * Real-Time Add-On to every PBX user, and `replace /roles` keeps only synchronised roles. So an
 * operation that may trigger it runs first in its phase, and a PBX user's role list written after
 * it keeps what the server added since the read (the executor re-reads it; `withRolesAddedSince`).
 */
import type { UserEntry } from "../../src/contracts/handler";
import { desiredUsers, emailKey, mayTriggerAutoRoles, planUsers, replacesAutoRecipient, withRolesAddedSince, type LiveUser, type UserOperation } from "../../src/reconcile";

const CU = "customer.user";
const PBX = "customer.user.pbx";
const RT = "customer.user.pbx.realtime";
const L2 = "customer.user.supervisorl2";
const L3 = "customer.user.supervisorl3";

function live(users: Record<string, readonly string[]>): Map<string, LiveUser> {
  return new Map(Object.entries(users).map(([email, roles]) => [emailKey(email), { id: `id-${email}`, email, roles }]));
}

function plan(desired: Record<string, UserEntry>, users: Record<string, readonly string[]>) {
  return planUsers({ desired: desiredUsers(desired), authoritative: false }, live(users));
}

const patchOf = (ops: UserOperation[], email: string) => ops.find((o) => o.email === email) as Extract<UserOperation, { kind: "patch" }>;

test("U11: GIVEN a change granting a first supervisor level 3+ among other changes THEN it comes first in its phase, whatever its e-mail", () => {
  const { operations } = plan(
    { "aaron@acme.test": { roles: [CU, PBX, "recording.viewer"], origin: "adopted" }, "zoe@acme.test": { roles: [CU, L3], displayName: "Zoe" } },
    { "aaron@acme.test": [PBX], "zoe@acme.test": [CU] },
  );
  expect(operations.map((o) => [o.email, o.phase, mayTriggerAutoRoles(o)])).toEqual([
    ["zoe@acme.test", "changes", true],
    ["aaron@acme.test", "changes", false],
  ]);
});

test("U11: GIVEN a change from level 2 to 3 but a user already holding level 3 THEN the change is a possible trigger; from level 3 to 4 it is none", () => {
  const { operations } = plan(
    { "a@acme.test": { roles: [CU, L3], displayName: "A" }, "b@acme.test": { roles: [CU, "customer.user.supervisorl4"], displayName: "B" } },
    { "a@acme.test": [CU, L2], "b@acme.test": [CU, L3] },
  );
  expect(operations.map((o) => [o.email, mayTriggerAutoRoles(o)])).toEqual([
    ["a@acme.test", true],
    ["b@acme.test", false],
  ]);
});

test("U11/U13 (non-compliant): GIVEN a PBX user's role list planned before the server added the add-on WHEN re-read THEN the write keeps it", () => {
  const { operations } = plan({ "desk@acme.test": { roles: [CU, PBX], origin: "adopted" } }, { "desk@acme.test": [PBX] });
  const op = patchOf(operations, "desk@acme.test");
  expect(replacesAutoRecipient(op)).toBe(true);
  const fresh = withRolesAddedSince(op, [PBX, RT]);
  expect(fresh.after).toEqual([CU, PBX, RT]);
  expect(fresh.patch).toEqual([{ op: "replace", path: "/roles", value: [CU, PBX, RT] }]);
});

test("U11/U13: GIVEN a re-read that shows only manual roles added meanwhile THEN the planned write is unchanged (the code's roles win)", () => {
  const { operations } = plan({ "desk@acme.test": { roles: [CU, PBX], origin: "adopted" } }, { "desk@acme.test": [PBX] });
  const op = patchOf(operations, "desk@acme.test");
  expect(withRolesAddedSince(op, [PBX, "pbx.silentmonitor"])).toBe(op);
});

test("U11: GIVEN a user not on the PBX THEN its role list needs no re-read", () => {
  const { operations } = plan({ "web@acme.test": { roles: [CU, L2], displayName: "Web" } }, { "web@acme.test": [CU] });
  expect(replacesAutoRecipient(operations[0])).toBe(false);
});

test("U11/U10: GIVEN a UK PBX user (customer.user.uc.essential) THEN its role list is re-read after a trigger too", () => {
  const { operations } = plan({ "desk@acme.test": { roles: [CU, "customer.user.uc.essential"], origin: "adopted" } }, { "desk@acme.test": ["customer.user.uc.essential"] });
  expect(replacesAutoRecipient(operations[0])).toBe(true);
});
