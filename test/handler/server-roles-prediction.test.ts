/**
 * The licence prediction against what the server really does: each test predicts a tenant's
 * licensed roles from the live API (`readLiveCustomer` + `customerDelta`, what `dimensions licenses
 * --live` runs, and `predictTenant` for each user), applies the same desired state with the
 * handler's executor against the emulator on loopback, reads every user back and compares.
 * The emulator plays the server (C3 import, U10, U11, U12) with its own rules, so a prediction that
 * only agreed with itself would fail here. "may" (U12: only the PBX knows its agents) is checked
 * both ways: every user that got the role was a "may", and the "may" users that are agents got it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { customerDelta, readLiveCustomer } from "../../src/cli/licenses";
import { emulatorClientEnv } from "../../src/cli/sandbox";
import { findRole } from "../../src/catalogue/roles";
import { createClientFromEnv, type DimensionsApi } from "../../src/client";
import { type TenantDesired, type UserEntry } from "../../src/contracts/handler";
import type { CustomerLicenses } from "../../src/contracts/licenses";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server";
import { systemClock, type HandlerDeps } from "../../src/handler/context";
import { reconcileTenant } from "../../src/handler/executor";
import { MemoryMarkerStore } from "../../src/handler/markers";
import { createReporter } from "../../src/handler/report";
import { emailKey, predictTenant, type LiveUser } from "../../src/reconcile";
import { manifestOf } from "./fake-api";
import { ACD, ADMIN, CU, L1, L2, L4, PBX, RT, UK_PBX } from "../support/role-keys";

const ACCOUNT = "predict-kazoo";
const KEY_ENV = "PREDICT_KAZOO_KEY";
const DIRECTORY = [
  { email: "desk@acme.test", displayName: "Desk" },
  { email: "agent.one@acme.test", displayName: "Agent One", acdAgent: true },
  { email: "agent.two@acme.test", displayName: "Agent Two", acdAgent: true },
  { email: "lead@acme.test", displayName: "Lead" },
];
const AGENTS = new Set(DIRECTORY.filter((u) => u.acdAgent).map((u) => u.email));
const PBX_DETAILS = { hostRest: "https://pbx.acme.test", hostWebsocket: "wss://pbx.acme.test", accountId: ACCOUNT, apiKeyEnv: KEY_ENV };

let emulator: RunningEmulator;
let api: DimensionsApi;
let env: NodeJS.ProcessEnv;
let dir: string;
let refs = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-predict-"));
  emulator = await startEmulator({ port: 0 });
  env = { ...emulatorClientEnv(emulator, dir), [KEY_ENV]: "kazoo-key-for-tests" };
  api = createClientFromEnv(env, { apiUrl: emulator.url });
  const seeded = await fetch(`${emulator.url}/_emulator/pbx/${ACCOUNT}/users`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(DIRECTORY) });
  expect(seeded.status).toBe(200);
});

afterAll(async () => {
  await emulator?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function tenant(reference: string, users: Record<string, UserEntry>, customer: Record<string, unknown> = {}, authoritative = false): TenantDesired {
  return {
    customer: { reference, name: "Acme", description: "Prediction", enabled: true, pbx: PBX_DETAILS, ...customer },
    users,
    ...(authoritative ? { authoritative } : {}),
  } as TenantDesired;
}

/** The licence report's view of the customer (what synth writes; customerDelta orders roles by it). */
function report(reference: string): CustomerLicenses {
  return { reference, owned: true, grants: 0, roles: [], users: [] };
}

async function apply(desired: TenantDesired, client: DimensionsApi = api): Promise<string[]> {
  const out: string[] = [];
  const deps: HandlerDeps = {
    api: client,
    manifest: manifestOf(),
    report: createReporter({ sink: { out: (l) => out.push(l), err: (l) => out.push(l) } }),
    clock: systemClock,
    env,
    markers: new MemoryMarkerStore(),
    concurrency: 4,
  };
  await reconcileTenant({ desired, owned: true, acceptCharges: true }, deps);
  return out;
}

/** An existing customer: created with its PBX (the import, C3) and a primary admin, sync off. */
async function existingCustomer(client: DimensionsApi = api): Promise<string> {
  const reference = `PREDICT-${++refs}`;
  const created = await client.createCustomer(
    { name: "Acme", description: "Prediction", reference, enabled: true, syncAcdAgentWithPbx: false, pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", ...PBX_DETAILS, apiKey: "kazoo-key-for-tests" } },
    { acceptCharges: true },
  );
  await client.createUser(created.id, { email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] }, { acceptCharges: true });
  return reference;
}

const licensed = (roles: readonly string[]) => roles.filter((r) => findRole(r)?.licensed).sort();

/** Every user of the customer with its roles and display name (what the handler would read). */
async function liveUsers(reference: string, client: DimensionsApi = api): Promise<Map<string, LiveUser>> {
  const customer = (await client.findCustomersByReference(reference))[0];
  const out = new Map<string, LiveUser>();
  for (const listed of await client.listUsers(customer.id)) {
    const u = await client.getUser(customer.id, listed.id);
    out.set(emailKey(u.email), { id: u.id, email: u.email, displayName: u.displayName, roles: u.roles ?? [] });
  }
  return out;
}

/**
 * Compares the prediction with the tenant after the apply, user by user: each user's licensed
 * roles are exactly the predicted ones, plus the "may" roles it was a candidate for (and only
 * those); users the prediction could not list hold only what an unlisted grant announced.
 */
function compare(prediction: ReturnType<typeof predictTenant>, actual: Map<string, LiveUser>): void {
  const may = prediction.grants.filter((g) => g.certainty === "may");
  const unlistedRoles = new Set(prediction.grants.filter((g) => g.unlisted).map((g) => g.role));
  for (const [key, user] of actual) {
    const predicted = prediction.after.get(key);
    const got = licensed(user.roles ?? []);
    if (!predicted) {
      // A user of the PBX import that nobody could list before the apply.
      expect({ key, got: got.filter((r) => !unlistedRoles.has(r)) }).toEqual({ key, got: [] });
      continue;
    }
    const maybe = may.filter((g) => g.users.includes(key)).map((g) => g.role);
    expect({ key, got: got.filter((r) => !maybe.includes(r)) }).toEqual({ key, got: licensed(predicted.roles).filter((r) => !maybe.includes(r)) });
  }
  expect([...prediction.after.keys()].filter((k) => !actual.has(k))).toEqual([]);
}

test("U11 (compliant): GIVEN an existing PBX customer WHEN the code grants its first supervisor level 3+ and changes PBX users THEN every PBX user holds the predicted Real-Time Add-On, no more", async () => {
  const reference = await existingCustomer();
  const desired = tenant(reference, {
    "ana@acme.test": { roles: [...ADMIN, L1], primary: true, displayName: "Ana" },
    "carla@acme.test": { roles: [CU, L4], displayName: "Carla" },
    // Adopted PBX users whose role lists are written after Carla's grant (U11 fires in between).
    "agent.one@acme.test": { roles: [CU, PBX, "recording.viewer"], origin: "adopted" },
    "desk@acme.test": { roles: [CU, "customer.device.readonly"], origin: "adopted" },
  });
  const before = await readLiveCustomer(api, reference);
  const delta = customerDelta(report(reference), before, desired, "eu");
  const prediction = predictTenant(desired, { exists: true, users: await liveUsers(reference), acdSync: false }, "eu");

  await apply(desired);
  const actual = await liveUsers(reference);

  compare(prediction, actual);
  for (const email of ["desk@acme.test", "agent.one@acme.test", "agent.two@acme.test", "lead@acme.test"]) expect(actual.get(email)?.roles).toContain(RT);
  expect(delta.roles.find((r) => r.key === RT)).toMatchObject({ before: 0, after: 4, byServer: ["agent.one@acme.test", "agent.two@acme.test", "desk@acme.test", "lead@acme.test"] });
  const total = [...actual.values()].reduce((n, u) => n + licensed(u.roles ?? []).length, 0);
  expect([delta.after, delta.upTo]).toEqual([total, total]);
  // Converged: the next plan fights none of the server's roles (U13).
  expect(predictTenant(desired, { exists: true, users: actual, acdSync: false }, "eu").plan.operations).toEqual([]);
});

test("U12: GIVEN an existing PBX customer WHEN the code switches syncAcdAgentWithPbx on THEN exactly the agents among the predicted \"may\" users get the ACD add-on", async () => {
  const reference = await existingCustomer();
  const desired = tenant(reference, { "ana@acme.test": { roles: [...ADMIN], primary: true, displayName: "Ana" } }, { syncAcdAgentWithPbx: true });
  const before = await readLiveCustomer(api, reference);
  expect(before.acdSync).toBe(false);
  const delta = customerDelta(report(reference), before, desired, "eu");
  const prediction = predictTenant(desired, { exists: true, users: await liveUsers(reference), acdSync: false }, "eu");

  await apply(desired);
  const actual = await liveUsers(reference);

  compare(prediction, actual);
  const grant = prediction.grants.find((g) => g.rule === "U12")!;
  expect(grant).toMatchObject({ certainty: "may", users: DIRECTORY.map((u) => u.email).sort() });
  const holders = [...actual.values()].filter((u) => u.roles?.includes(ACD)).map((u) => u.email);
  expect(holders.sort()).toEqual(grant.users.filter((e) => AGENTS.has(e)));
  const total = [...actual.values()].reduce((n, u) => n + licensed(u.roles ?? []).length, 0);
  expect(delta.after).toBeLessThan(total);
  expect(delta.upTo).toBeGreaterThanOrEqual(total);
});

test("U10: GIVEN a customer the apply creates with its PBX, a level 4 supervisor and the sync on THEN declared users match the prediction and unlisted imports hold only the announced server roles", async () => {
  const reference = `PREDICT-NEW-${++refs}`;
  const desired = tenant(
    reference,
    {
      "ana@acme.test": { roles: [...ADMIN, L4], primary: true, displayName: "Ana" },
      "agent.one@acme.test": { roles: [CU, PBX, "recording.viewer"], origin: "adopted" },
    },
    { syncAcdAgentWithPbx: true },
  );
  const before = await readLiveCustomer(api, reference);
  expect(before.exists).toBe(false);
  const delta = customerDelta(report(reference), before, desired, "eu");
  const prediction = predictTenant(desired, { exists: false, users: new Map() }, "eu");
  expect(delta.unlisted).toBe(true);

  await apply(desired);
  const actual = await liveUsers(reference);

  compare(prediction, actual);
  // U11 "will" for the unlisted imports: every one of them got the add-on.
  for (const entry of DIRECTORY) expect(actual.get(entry.email)?.roles).toEqual(expect.arrayContaining([PBX, RT]));
  expect([...actual.values()].filter((u) => u.roles?.includes(ACD)).map((u) => u.email).sort()).toEqual([...AGENTS].sort());
});

test("U13: GIVEN an authoritative customer WHEN its last level 3+ goes and an undeclared PBX user is revoked THEN the roles predicted as still billed are still held", async () => {
  const reference = await existingCustomer();
  const first = tenant(reference, { "ana@acme.test": { roles: [...ADMIN], primary: true, displayName: "Ana" }, "carla@acme.test": { roles: [CU, L4], displayName: "Carla" } });
  await apply(first);
  const lead = (await liveUsers(reference)).get("lead@acme.test")!;
  await api.patchUser((await api.findCustomersByReference(reference))[0].id, lead.id, [{ op: "add", path: "/roles/-", value: CU }, { op: "add", path: "/roles/-", value: L1 }], { acceptCharges: true });

  const second = tenant(reference, { "ana@acme.test": { roles: [...ADMIN], primary: true, displayName: "Ana" }, "carla@acme.test": { roles: [CU, L2], displayName: "Carla" } }, {}, true);
  const live = await liveUsers(reference);
  const prediction = predictTenant(second, { exists: true, users: live, acdSync: false }, "eu");
  const u11 = prediction.stillBilled.find((s) => s.rule === "U11")!;
  const u13 = prediction.stillBilled.find((s) => s.rule === "U13")!;
  expect(u11.users).toEqual(["agent.one@acme.test", "agent.two@acme.test", "desk@acme.test", "lead@acme.test"]);
  expect(u13).toMatchObject({ roles: [PBX, RT] });

  await apply(second);
  const actual = await liveUsers(reference);

  compare(prediction, actual);
  for (const kept of [u11, u13]) for (const email of kept.users) expect(actual.get(email)?.roles).toEqual(expect.arrayContaining([...kept.roles]));
  expect([...(actual.get("lead@acme.test")?.roles ?? [])].sort()).toEqual([PBX, RT]);
});

test("U11/U10: GIVEN a UK tenant WHEN the code grants its first level 3+ and changes an adopted PBX user THEN every customer.user.uc.essential holder holds the predicted add-on", async () => {
  const uk = await startEmulator({ port: 0, region: "uk" });
  try {
    fs.mkdirSync(path.join(dir, "uk"), { recursive: true });
    const ukEnv = { ...env, ...emulatorClientEnv(uk, path.join(dir, "uk")) };
    const client = createClientFromEnv(ukEnv, { apiUrl: uk.url });
    expect((await fetch(`${uk.url}/_emulator/pbx/${ACCOUNT}/users`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(DIRECTORY) })).status).toBe(200);
    const reference = await existingCustomer(client);
    const desired = tenant(reference, {
      "ana@acme.test": { roles: [...ADMIN], primary: true, displayName: "Ana" },
      "carla@acme.test": { roles: [CU, L4], displayName: "Carla" },
      "agent.one@acme.test": { roles: [CU, UK_PBX, "recording.viewer"], origin: "adopted" },
    });
    const prediction = predictTenant(desired, { exists: true, users: await liveUsers(reference, client), acdSync: false }, "uk");

    await apply(desired, client);
    const actual = await liveUsers(reference, client);

    compare(prediction, actual);
    for (const entry of DIRECTORY) expect(actual.get(entry.email)?.roles).toEqual(expect.arrayContaining([UK_PBX, RT]));
  } finally {
    await uk.close();
  }
});
