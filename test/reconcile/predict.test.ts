/**
 * The reconcile layer's prediction (src/reconcile/predict.ts), pure: what the users hold after a
 * change once the server has done what it does by itself (C3/U10 import, U11 Real-Time Add-On,
 * U12 ACD agents), what only the apply can tell ("may"), and which licensed roles a removal leaves
 * in place, still billed. `predictTenant` reads a live tenant; `predictFromCode` a saved plan only.
 */
import type { TenantDesired, UserEntry } from "../../src/contracts/handler";
import { emailKey, predictFromCode, predictTenant, synchronisedRoleFor, type LiveUser, type PlannedTenant } from "../../src/reconcile";
import { ACD, ADMIN, CU, L1, L2, L3, L4, PBX, RT, UK_PBX } from "../support/role-keys";

const PBX_DETAILS = { hostRest: "https://pbx.test", hostWebsocket: "wss://pbx.test", accountId: "acc-1", apiKeyEnv: "KEY" };

function desired(users: Record<string, UserEntry>, customer: Record<string, unknown> = {}, authoritative = false): TenantDesired {
  return { customer: { reference: "ACME", name: "Acme", description: "d", enabled: true, pbx: PBX_DETAILS, ...customer }, users, ...(authoritative ? { authoritative } : {}) } as TenantDesired;
}

function live(users: Record<string, readonly string[]>): Map<string, LiveUser> {
  return new Map(Object.entries(users).map(([email, roles]) => [emailKey(email), { id: `id-${email}`, email, roles }]));
}

const admin = { "ana@acme.test": { roles: [...ADMIN], primary: true, displayName: "Ana" } };
const rolesOf = (p: ReturnType<typeof predictTenant>, email: string) => p.after.get(email)?.roles;

describe("U11: the first supervisor level 3+ (live)", () => {
  const pbxUsers = { "ana@acme.test": [...ADMIN], "desk@acme.test": [PBX], "agent@acme.test": [PBX, CU] };

  test("U11: GIVEN PBX users and no supervisor level 3+ WHEN the plan grants the first one THEN every PBX user will get the Real-Time Add-On, counted after the apply", () => {
    const p = predictTenant(desired({ ...admin, "sup@acme.test": { roles: [CU, L3], displayName: "Sup" } }), { exists: true, users: live(pbxUsers) });
    expect(rolesOf(p, "desk@acme.test")).toEqual([PBX, RT]);
    expect(rolesOf(p, "agent@acme.test")).toEqual([CU, PBX, RT]);
    expect(rolesOf(p, "sup@acme.test")).toEqual([CU, L3]);
    expect(p.grants).toEqual([expect.objectContaining({ rule: "U11", role: RT, certainty: "will", users: ["agent@acme.test", "desk@acme.test"], unlisted: false })]);
  });

  test("U11: GIVEN a supervisor level 3+ already held live WHEN the plan grants another THEN the server adds nothing (not the first)", () => {
    const p = predictTenant(desired({ ...admin, "sup@acme.test": { roles: [CU, L4], displayName: "Sup" } }), { exists: true, users: live({ ...pbxUsers, "old@acme.test": [CU, L3] }) });
    expect(rolesOf(p, "desk@acme.test")).toEqual([PBX]);
    expect(p.grants).toEqual([]);
  });

  test("U11: GIVEN PBX users WHEN the plan grants only supervisor levels 1 and 2 THEN the server adds nothing", () => {
    const p = predictTenant(desired({ ...admin, "a@acme.test": { roles: [CU, L1], displayName: "A" }, "b@acme.test": { roles: [CU, L2], displayName: "B" } }), { exists: true, users: live(pbxUsers) });
    expect(p.grants).toEqual([]);
    expect(rolesOf(p, "desk@acme.test")).toEqual([PBX]);
  });

  test("U11: GIVEN an adopted PBX user changed in the same apply THEN it keeps the add-on the server gave it meanwhile (the handler re-reads it)", () => {
    const p = predictTenant(
      desired({ ...admin, "sup@acme.test": { roles: [CU, L3], displayName: "Sup" }, "agent@acme.test": { roles: [CU, PBX, "recording.viewer"], origin: "adopted" } }),
      { exists: true, users: live(pbxUsers) },
    );
    expect(rolesOf(p, "agent@acme.test")).toEqual([CU, PBX, RT, "recording.viewer"]);
  });

  test("U11: GIVEN the last supervisor level 3+ loses it THEN the Real-Time Add-On stays on the PBX users: still billed", () => {
    const p = predictTenant(desired({ ...admin, "sup@acme.test": { roles: [CU, L2], displayName: "Sup" } }), {
      exists: true,
      users: live({ ...pbxUsers, "desk@acme.test": [PBX, RT], "sup@acme.test": [CU, L3] }),
    });
    expect(rolesOf(p, "desk@acme.test")).toEqual([PBX, RT]);
    expect(p.stillBilled).toEqual([expect.objectContaining({ rule: "U11", roles: [RT], certainty: "will", users: ["desk@acme.test"] })]);
  });

  test("U11/U10: GIVEN the UK region WHEN the first level 3+ is granted THEN every holder of customer.user.uc.essential will get the add-on", () => {
    const p = predictTenant(desired({ ...admin, "sup@acme.test": { roles: [CU, L3], displayName: "Sup" } }), { exists: true, users: live({ "ana@acme.test": [...ADMIN], "desk@acme.test": [UK_PBX] }) }, "uk");
    expect(rolesOf(p, "desk@acme.test")).toEqual([RT, UK_PBX]);
    expect(p.grants).toEqual([expect.objectContaining({ rule: "U11", users: ["desk@acme.test"] })]);
  });
});

test("U14: GIVEN a user declaring a softphone whose devices the live read did not report THEN the prediction still runs: devices change no licensed role", () => {
  const UC = "customer.user.uc";
  const SOFT = "customer.user.uc.softphone";
  const p = predictTenant(
    desired({ ...admin, "bo@acme.test": { roles: [CU, UC, SOFT], displayName: "Bo", softphones: [{ device: "1001", clientType: "desktop" }] } }),
    { exists: true, users: live({ "ana@acme.test": [...ADMIN], "bo@acme.test": [CU, UC, SOFT] }) },
  );
  expect(p.plan.operations.filter((o) => o.kind !== "patch" || o.before.join() !== o.after.join())).toEqual([]);
  expect(rolesOf(p, "bo@acme.test")).toEqual([CU, UC, SOFT]);
});

describe("U12: ACD agents (live)", () => {
  const users = { "ana@acme.test": [...ADMIN], "desk@acme.test": [PBX], "agent@acme.test": [PBX, ACD], "web@acme.test": [CU] };

  test("U12: GIVEN the sync off live WHEN the code switches it on THEN every PBX user without the add-on may get it, not counted as certain", () => {
    const p = predictTenant(desired(admin, { syncAcdAgentWithPbx: true }), { exists: true, users: live(users), acdSync: false });
    expect(p.grants).toEqual([expect.objectContaining({ rule: "U12", role: ACD, certainty: "may", users: ["desk@acme.test"], unlisted: false })]);
    expect(rolesOf(p, "desk@acme.test")).toEqual([PBX]);
  });

  test("U12: GIVEN the sync already on WHEN applied THEN the apply triggers no ACD sync", () => {
    const p = predictTenant(desired(admin, { syncAcdAgentWithPbx: true }), { exists: true, users: live(users), acdSync: true });
    expect(p.grants).toEqual([]);
  });

  test("U12: GIVEN the sync on live WHEN the code switches it off THEN the agents keep the add-on: still billed", () => {
    const p = predictTenant(desired(admin, { syncAcdAgentWithPbx: false }), { exists: true, users: live(users), acdSync: true });
    expect(p.stillBilled).toEqual([expect.objectContaining({ rule: "U12", roles: [ACD], users: ["agent@acme.test"] })]);
  });
});

describe("C3/U10: a customer the apply creates with its PBX", () => {
  test("U10: GIVEN a new customer with adopted users, a level 4 supervisor and the sync on THEN the import, U11 and U12 are predicted, unlisted users included", () => {
    const p = predictTenant(
      desired(
        { ...admin, "sup@acme.test": { roles: [CU, L4], displayName: "Sup" }, "desk@acme.test": { roles: [CU, PBX, "customer.device.readonly"], origin: "adopted" } },
        { syncAcdAgentWithPbx: true },
      ),
      { exists: false, users: new Map() },
      "eu",
    );
    expect(p.plan.issues).toEqual([]);
    expect(rolesOf(p, "desk@acme.test")).toEqual(["customer.device.readonly", CU, PBX, RT]);
    expect(p.grants.map((g) => [g.rule, g.role, g.certainty, g.users, g.unlisted])).toEqual([
      ["U10", PBX, "will", ["desk@acme.test"], true],
      ["U11", RT, "will", ["desk@acme.test"], true],
      ["U12", ACD, "may", ["desk@acme.test"], true],
    ]);
  });

  test("U10: GIVEN a referenced customer that does not exist THEN no import is predicted", () => {
    const p = predictTenant({ customer: { reference: "GONE" }, users: {} }, { exists: false, users: new Map() });
    expect(p.grants).toEqual([]);
  });

  test("U10: the synchronised role follows the region", () => {
    expect(synchronisedRoleFor("uk")).toBe(UK_PBX);
    expect(synchronisedRoleFor("eu")).toBe(PBX);
    expect(synchronisedRoleFor(undefined)).toBe(PBX);
  });
});

describe("U13/H8: removals leave server-assigned licensed roles in place (live)", () => {
  test("H8: GIVEN an authoritative customer WHEN an undeclared PBX user is revoked THEN it keeps customer.user.pbx and the add-on: still billed", () => {
    const p = predictTenant(desired(admin, {}, true), { exists: true, users: live({ "ana@acme.test": [...ADMIN], "desk@acme.test": [PBX, RT, CU, L1] }) });
    expect(rolesOf(p, "desk@acme.test")).toEqual([PBX, RT]);
    expect(p.stillBilled).toEqual([expect.objectContaining({ rule: "U13", roles: [PBX, RT], users: ["desk@acme.test"] })]);
  });

  test("H8: GIVEN an authoritative customer WHEN an undeclared user holding no server role is emptied THEN nothing is left billed", () => {
    const p = predictTenant(desired(admin, {}, true), { exists: true, users: live({ "ana@acme.test": [...ADMIN], "web@acme.test": [CU, L1] }) });
    expect(rolesOf(p, "web@acme.test")).toEqual([]);
    expect(p.stillBilled).toEqual([]);
  });
});

describe("from a saved plan alone (no API)", () => {
  const tenant = (users: Record<string, UserEntry>, extra: Partial<PlannedTenant> = {}): PlannedTenant => ({
    users: new Map(Object.entries(users).map(([email, entry]) => [emailKey(email), { email, entry }])),
    owned: true,
    ...extra,
  });

  test("U11: GIVEN a new customer whose code grants a level 3 THEN the server will add the add-on to every PBX user (unlisted)", () => {
    const { grants } = predictFromCode(undefined, tenant({ "sup@acme.test": { roles: [CU, L3] } }));
    expect(grants).toEqual([expect.objectContaining({ rule: "U11", role: RT, certainty: "will", unlisted: true })]);
  });

  test("U11: GIVEN an existing customer whose code grants its first level 3 THEN the server may add the add-on (a level 3+ the code does not declare may exist)", () => {
    const { grants } = predictFromCode(tenant({ "sup@acme.test": { roles: [CU, L2] } }), tenant({ "sup@acme.test": { roles: [CU, L3] }, "desk@acme.test": { roles: [PBX, CU], origin: "adopted" } }));
    expect(grants).toEqual([expect.objectContaining({ rule: "U11", certainty: "may", users: ["desk@acme.test"] })]);
  });

  test("U11: GIVEN the code already held a level 3+ THEN a new one adds nothing; dropping the last one leaves the add-on billed", () => {
    const before = tenant({ "a@acme.test": { roles: [CU, L3] } });
    expect(predictFromCode(before, tenant({ "a@acme.test": { roles: [CU, L3] }, "b@acme.test": { roles: [CU, L4] } })).grants).toEqual([]);
    expect(predictFromCode(before, tenant({ "a@acme.test": { roles: [CU, L1] } })).stillBilled).toEqual([expect.objectContaining({ rule: "U11", roles: [RT] })]);
  });

  test("U12: GIVEN the code switches the sync on THEN agents may get the add-on; off THEN it stays billed", () => {
    expect(predictFromCode(tenant({}, { syncAcdAgentWithPbx: false }), tenant({}, { syncAcdAgentWithPbx: true })).grants).toEqual([expect.objectContaining({ rule: "U12", certainty: "may" })]);
    expect(predictFromCode(tenant({}, { syncAcdAgentWithPbx: true }), tenant({}, { syncAcdAgentWithPbx: false })).stillBilled).toEqual([expect.objectContaining({ rule: "U12", roles: [ACD] })]);
    expect(predictFromCode(tenant({}, { syncAcdAgentWithPbx: true }), tenant({}, { syncAcdAgentWithPbx: true }))).toEqual({ grants: [], stillBilled: [] });
  });

  test("U13: GIVEN users leaving the code THEN they may keep server-assigned licensed roles; a retained one keeps every licensed role", () => {
    const { stillBilled } = predictFromCode(
      tenant({ "a@acme.test": { roles: [CU, L1], removal: "retain" }, "b@acme.test": { roles: [CU], origin: "adopted" }, "c@acme.test": { roles: [CU, L1] } }),
      tenant({ "c@acme.test": { roles: [CU, L1] } }),
      "eu",
    );
    expect(stillBilled).toEqual([
      expect.objectContaining({ rule: "U13", certainty: "may", users: ["a@acme.test", "b@acme.test"], roles: [PBX, RT, ACD] }),
      expect.objectContaining({ rule: "U9", certainty: "will", users: ["a@acme.test"], roles: [L1] }),
    ]);
  });

  test("C5: GIVEN a destroy of a retained customer THEN its PBX users keep the server's licensed roles; of a deleted one THEN nothing is left billed", () => {
    const users = { "a@acme.test": { roles: [CU, L1] } };
    expect(predictFromCode(tenant(users, { removalPolicy: "retain" }), undefined, "eu").stillBilled.map((s) => s.rule)).toEqual(["U13", "C5"]);
    expect(predictFromCode(tenant(users, { removalPolicy: "delete" }), undefined, "eu").stillBilled).toEqual([]);
  });
});
