/**
 * The emulator plays any region (U10; api-contract §3 import): in the UK,
 * `customer.user.uc.essential` is used instead of `customer.user.pbx` — the PBX import assigns
 * it, the server keeps it synchronised, it meets the prerequisite of the add-ons, U11 and U12 act
 * on its holders — and a role that does not exist in the emulator's region is an unknown role.
 */
import type { RunningEmulator } from "../../src/emulator/server";
import { ADMIN_ROLES, call, type Client, useEmulator } from "./support";

const PBX = "customer.user.pbx";
const UK_ESSENTIAL = "customer.user.uc.essential";
const KAZOO = { _type: "KazooPbxConnectionProfile", hostRest: "https://pbx.test", hostWebsocket: "wss://pbx.test", accountId: "acct-uk", apiKey: "kazoo-secret-42" };
const DIRECTORY = [
  { email: "reception@acme.test", displayName: "Reception" },
  { email: "agent@acme.test", displayName: "Agent", acdAgent: true },
];

interface UserItem {
  id: string;
  email: string;
}

/** The region's emulator, reset before each test, with a demo client. */
function emulatorOf(region: "eu" | "uk"): { emulator: () => RunningEmulator; api: () => Client } {
  let emulator: RunningEmulator;
  let api: Client;
  useEmulator(
    (ctx) => {
      emulator = ctx.emulator;
      if (ctx.demo) api = ctx.demo;
    },
    { region },
  );
  return { emulator: () => emulator, api: () => api };
}

/** A customer created with the Kazoo account (its PBX users imported) and an admin; ids by e-mail. */
async function importedCustomer(emulator: RunningEmulator, api: Client, fields: Record<string, unknown> = {}): Promise<{ customerId: string; ids: Map<string, string> }> {
  await call(emulator, "PUT", `/_emulator/pbx/${KAZOO.accountId}/users`, DIRECTORY);
  const customerId = await api.createCustomer({ pbxConnectionProfile: KAZOO, ...fields });
  await api.createUser(customerId, "admin@acme.test", ADMIN_ROLES);
  const list = await api.call<{ data: UserItem[] }>("GET", `/customers/${customerId}/users`);
  return { customerId, ids: new Map(list.body.data.map((u) => [u.email, u.id])) };
}

describe("an emulator playing the UK", () => {
  const uk = emulatorOf("uk");

  test("U10: GIVEN the UK region WHEN the state is dumped THEN it names the region", async () => {
    const state = await call<{ region: string }>(uk.emulator(), "GET", "/_emulator/state");
    expect(state.body.region).toBe("uk");
  });

  test("U10: GIVEN the UK region WHEN PBX users are imported THEN each holds customer.user.uc.essential and nothing else", async () => {
    const { customerId, ids } = await importedCustomer(uk.emulator(), uk.api());
    expect(await uk.api().roles(customerId, ids.get("reception@acme.test")!)).toEqual([UK_ESSENTIAL]);
    expect(await uk.api().roles(customerId, ids.get("agent@acme.test")!)).toEqual([UK_ESSENTIAL]);
  });

  test("U10: GIVEN the UK region WHEN a user is created asking for customer.user.uc.essential THEN 201", async () => {
    const { customerId } = await uk.api().customerWithAdmin();
    const id = await uk.api().createUser(customerId, "essential@acme.test", [UK_ESSENTIAL]);
    expect(await uk.api().roles(customerId, id)).toEqual(["customer.user", UK_ESSENTIAL]);
  });

  test("U10: GIVEN the UK region WHEN a user is created asking for customer.user.pbx THEN 400 UnknownRole and no user is created", async () => {
    const { customerId } = await uk.api().customerWithAdmin();
    const answer = await uk.api().call("POST", `/customers/${customerId}/users`, { email: "eu@acme.test", displayName: "EU", roles: ["customer.user", PBX] }, { charges: true });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "UnknownRole", message: `Unknown role '${PBX}'.` });
    const list = await uk.api().call<{ data: UserItem[] }>("GET", `/customers/${customerId}/users`);
    expect(list.body.data.map((u) => u.email)).toEqual(["admin@acme.test"]);
  });

  test("U10: GIVEN a UK PBX user WHEN customer.user.pbx is added by patch THEN 400 UnknownRole and its roles are unchanged", async () => {
    const { customerId, ids } = await importedCustomer(uk.emulator(), uk.api());
    const id = ids.get("reception@acme.test")!;
    const answer = await uk.api().patchUser(customerId, id, [{ op: "add", path: "/roles/-", value: PBX }]);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "UnknownRole" });
    expect(await uk.api().roles(customerId, id)).toEqual([UK_ESSENTIAL]);
  });

  test("U10: GIVEN a UK PBX user WHEN replace /roles omits customer.user.uc.essential THEN it stays (synchronised)", async () => {
    const { customerId, ids } = await importedCustomer(uk.emulator(), uk.api());
    const id = ids.get("reception@acme.test")!;
    const answer = await uk.api().patchUser(customerId, id, [{ op: "replace", path: "/roles", value: ["customer.user", "recording.viewer"] }]);
    expect(answer.status).toBe(200);
    expect(await uk.api().roles(customerId, id)).toEqual(["customer.user", UK_ESSENTIAL, "recording.viewer"].sort());
  });

  test("U10: GIVEN a UK PBX user WHEN customer.user.uc.essential is removed by index THEN it stays (synchronised)", async () => {
    const { customerId, ids } = await importedCustomer(uk.emulator(), uk.api());
    const id = ids.get("reception@acme.test")!;
    expect((await uk.api().patchUser(customerId, id, [{ op: "remove", path: "/roles/0" }])).status).toBe(200);
    expect(await uk.api().roles(customerId, id)).toEqual([UK_ESSENTIAL]);
  });

  test("U7/U10: GIVEN a UK PBX user WHEN the ACD add-on is added THEN customer.user.uc.essential meets its prerequisite", async () => {
    const { customerId, ids } = await importedCustomer(uk.emulator(), uk.api());
    const id = ids.get("reception@acme.test")!;
    expect((await uk.api().patchUser(customerId, id, [{ op: "add", path: "/roles/-", value: "customer.user.acd" }])).status).toBe(200);
    expect(await uk.api().roles(customerId, id)).toEqual(["customer.user.acd", UK_ESSENTIAL]);
  });

  test("U7/U10: GIVEN a UK user without the essential role WHEN the ACD add-on is added THEN 400 RolePrerequisiteMissing naming customer.user.uc.essential", async () => {
    const { customerId } = await uk.api().customerWithAdmin();
    const id = await uk.api().createUser(customerId, "web@acme.test", ["customer.user"]);
    const answer = await uk.api().patchUser(customerId, id, [{ op: "add", path: "/roles/-", value: "customer.user.acd" }]);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "RolePrerequisiteMissing", message: `Role 'customer.user.acd' requires '${UK_ESSENTIAL}'.` });
  });

  test("U11/U10: GIVEN UK PBX users WHEN the first supervisor level 3 is granted THEN every holder of customer.user.uc.essential gets the Real-Time Add-On", async () => {
    const { customerId, ids } = await importedCustomer(uk.emulator(), uk.api());
    await uk.api().createUser(customerId, "lead@acme.test", ["customer.user", "customer.user.supervisorl3"]);
    expect(await uk.api().roles(customerId, ids.get("reception@acme.test")!)).toEqual(["customer.user.pbx.realtime", UK_ESSENTIAL]);
    expect(await uk.api().roles(customerId, ids.get("admin@acme.test")!)).toEqual(ADMIN_ROLES);
  });

  test("U12/U10: GIVEN syncAcdAgentWithPbx on in the UK WHEN PBX users are imported THEN the ACD agents also get customer.user.acd", async () => {
    const { customerId, ids } = await importedCustomer(uk.emulator(), uk.api(), { syncAcdAgentWithPbx: true });
    expect(await uk.api().roles(customerId, ids.get("agent@acme.test")!)).toEqual(["customer.user.acd", UK_ESSENTIAL]);
    expect(await uk.api().roles(customerId, ids.get("reception@acme.test")!)).toEqual([UK_ESSENTIAL]);
  });
});

describe("an emulator playing the EU", () => {
  const eu = emulatorOf("eu");

  test("U10: GIVEN the EU region WHEN a user is created asking for customer.user.pbx THEN 201", async () => {
    const { customerId } = await eu.api().customerWithAdmin();
    const id = await eu.api().createUser(customerId, "essential@acme.test", [PBX]);
    expect(await eu.api().roles(customerId, id)).toEqual(["customer.user", PBX]);
  });

  test("U10: GIVEN the EU region WHEN a user is created asking for the UK-only customer.user.uc.essential THEN 400 UnknownRole", async () => {
    const { customerId } = await eu.api().customerWithAdmin();
    const answer = await eu.api().call("POST", `/customers/${customerId}/users`, { email: "uk@acme.test", displayName: "UK", roles: [UK_ESSENTIAL] }, { charges: true });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: "UnknownRole", message: `Unknown role '${UK_ESSENTIAL}'.` });
  });

  test("U7/U10: GIVEN the EU region WHEN the ACD add-on is asked for without the essential role THEN the prerequisite named is customer.user.pbx", async () => {
    const { customerId } = await eu.api().customerWithAdmin();
    const answer = await eu.api().call("POST", `/customers/${customerId}/users`, { email: "acd@acme.test", displayName: "ACD", roles: ["customer.user.acd"] }, { charges: true });
    expect(answer.body).toMatchObject({ errorCode: "RolePrerequisiteMissing", message: `Role 'customer.user.acd' requires '${PBX}'.` });
  });

  test("U10: GIVEN the EU region WHEN PBX users are imported THEN each holds customer.user.pbx", async () => {
    const { customerId, ids } = await importedCustomer(eu.emulator(), eu.api());
    expect(await eu.api().roles(customerId, ids.get("reception@acme.test")!)).toEqual([PBX]);
  });
});
