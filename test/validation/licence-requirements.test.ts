/**
 * H4: a role may require a licence the user holds (the vendor's example: a contact-centre admin
 * role only for users with a Premium licence). The mechanism is U7's prerequisite: here, roles
 * whose prerequisite is itself a licensed role — the UC Client Softphone needs the licensed UC
 * Client, the Real-Time and Agent add-ons need the Essential User licence. Checked at synth
 * (RolePrerequisiteMissing naming the licence) and by the server (the emulator, with its own table).
 */
import { findRole, ROLE_CATALOGUE, Role } from "../../src/catalogue/roles";
import type { RunningEmulator } from "../../src/emulator/server";
import { CustomerUser } from "../../src";
import { acmeWithAdmin, newApp, newStack, synthErrors, useFakeHandlerBundle } from "../constructs/helpers";
import { Client, useEmulator } from "../emulator/support";

let api: Client;
useEmulator((ctx: { emulator: RunningEmulator; demo?: Client }) => {
  if (ctx.demo) api = ctx.demo;
});

beforeAll(() => {
  useFakeHandlerBundle();
});

/** Roles that require a licence: a prerequisite that is itself licensed. */
const LICENCE_REQUIREMENTS = ROLE_CATALOGUE.flatMap((r) => r.prerequisites.filter((p) => findRole(p)?.licensed).map((p) => [r.key, p] as const));

test("H4: licence requirements are catalogue data: every role whose prerequisite is a licensed role", () => {
  expect(LICENCE_REQUIREMENTS).toEqual([
    [Role.PROFESSIONAL_USER, Role.UC_CLIENT],
    [Role.REAL_TIME_ADD_ON, Role.ESSENTIAL_USER],
    [Role.AGENT_USER_ADD_ON, Role.ESSENTIAL_USER],
    [Role.UC_CLIENT_SOFTPHONE, Role.UC_CLIENT],
  ]);
});

function synthWith(roles: string[]) {
  const app = newApp();
  const stack = newStack(app);
  const { customer } = acmeWithAdmin(stack);
  new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles });
  return synthErrors(stack);
}

test("H4 (compliant): a user holding the licence a role requires passes the synth (UC Client Softphone with the UC Client)", () => {
  expect(synthWith([Role.WEBSITE_ACCESS, Role.UC_CLIENT, Role.UC_CLIENT_SOFTPHONE])).toEqual([]);
});

test("H4 (non-compliant): a role without the licence it requires fails the synth with RolePrerequisiteMissing naming the licence", () => {
  const errors = synthWith([Role.WEBSITE_ACCESS, Role.UC_CLIENT_SOFTPHONE]);
  expect(errors.map((e) => [e.path, e.code, e.rule])).toEqual([["stack/bo", "RolePrerequisiteMissing", "U7"]]);
  expect(errors[0].text).toContain(`"${Role.UC_CLIENT}"`);
});

test("H4: GIVEN a user with the UC Client licence WHEN the softphone role is added THEN 200 (the server accepts it)", async () => {
  const { customerId } = await api.customerWithAdmin();
  const userId = await api.createUser(customerId, "bo@acme.test", [Role.UC_CLIENT]);

  const answer = await api.patchUser(customerId, userId, [{ op: "add", path: "/roles/-", value: Role.UC_CLIENT_SOFTPHONE }]);

  expect(answer.status).toBe(200);
  expect(await api.roles(customerId, userId)).toContain(Role.UC_CLIENT_SOFTPHONE);
});

test("H4: GIVEN a user without the UC Client licence WHEN the softphone role is added THEN 400 RolePrerequisiteMissing and it holds nothing new", async () => {
  const { customerId } = await api.customerWithAdmin();
  const userId = await api.createUser(customerId, "bo@acme.test", [Role.RECORDING_PLAYBACK]);

  const answer = await api.patchUser(customerId, userId, [{ op: "add", path: "/roles/-", value: Role.UC_CLIENT_SOFTPHONE }]);

  expect(answer.status).toBe(400);
  expect(answer.body).toMatchObject({ errorCode: "RolePrerequisiteMissing", message: `Role '${Role.UC_CLIENT_SOFTPHONE}' requires '${Role.UC_CLIENT}'.` });
  expect(await api.roles(customerId, userId)).toEqual([Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK]);
});
