/**
 * `dimensions plan-summary` over the JSON of a saved plan, pure: the licensed roles the server adds
 * by itself because of the change (U11, U12) — "will" or "may", since the plan alone cannot see the
 * live tenant — and those a removal or a destroy leaves in place, still billed (U13, C5). The real
 * plan's JSON, from terraform, is in test/e2e/plan-summary.test.ts.
 */
import { encodeUserEntry, type UserEntry } from "../../src/contracts/handler";
import { renderSummary, summarize } from "../../src/cli/plan-summary";

const CU = "customer.user";
const ADMIN = [CU, "user.admin"];
const L2 = "customer.user.supervisorl2";
const L3 = "customer.user.supervisorl3";

interface TenantSpec {
  readonly users: Record<string, UserEntry>;
  readonly customer?: Record<string, unknown>;
  readonly removalPolicy?: "retain" | "disable" | "delete";
}

/** The tenant resource's values as terraform shows them: triggers_replace = { t, i } as JSON text, user entries as text. */
function values(spec: TenantSpec) {
  return {
    triggers_replace: {
      t: JSON.stringify({
        customer: { reference: "ACME-001", name: "Acme", description: "d", enabled: true, ...spec.customer },
        users: Object.fromEntries(Object.entries(spec.users).map(([email, entry]) => [email, encodeUserEntry(entry)])),
      }),
      i: JSON.stringify({ kind: "tenant", owned: true, settings: { acceptCharges: true, region: "eu" }, removalPolicy: spec.removalPolicy ?? "retain" }),
    },
  };
}

function plan(before: TenantSpec | undefined, after: TenantSpec | undefined) {
  const actions = !before ? ["create"] : !after ? ["delete"] : ["delete", "create"];
  return { resource_changes: [{ address: "terraform_data.customer", change: { actions, before: before ? values(before) : null, after: after ? values(after) : null } }] };
}

const ana: Record<string, UserEntry> = { "ana@acme.test": { roles: [...ADMIN], primary: true, displayName: "Ana" } };

describe("U11: the first supervisor level 3+", () => {
  test("U11: GIVEN a new customer whose code grants a level 3 THEN the server will add the licensed Real-Time Add-On to every PBX user, and charges apply", () => {
    const [c] = summarize(plan(undefined, { users: { ...ana, "sup@acme.test": { roles: [CU, L3], displayName: "Sup" } } })).customers;
    expect(c.sideEffects).toEqual([expect.stringMatching(/^U11: the server will add the licensed Real-Time Add-On \(customer\.user\.pbx\.realtime\) — .*\(and users the code does not declare\)$/)]);
    expect(c.serverGrants).toEqual([expect.objectContaining({ rule: "U11", certainty: "will", unlisted: true })]);
    expect(c.chargesApply).toBe(true);
  });

  test("U11: GIVEN an existing customer whose code grants its first level 3 THEN the server may add it (a level 3+ the code does not declare may already exist)", () => {
    const [c] = summarize(plan({ users: { ...ana, "sup@acme.test": { roles: [CU, L2], displayName: "Sup" } } }, { users: { ...ana, "sup@acme.test": { roles: [CU, L3], displayName: "Sup" } } })).customers;
    expect(c.sideEffects).toEqual([expect.stringMatching(/^U11: the server may add the licensed Real-Time Add-On/)]);
  });

  test("U11: GIVEN supervisor levels 1 and 2 only THEN no server side effect and no charge beyond the declared roles", () => {
    const [c] = summarize(plan({ users: ana }, { users: { ...ana, "sup@acme.test": { roles: [CU, L2], displayName: "Sup" } } })).customers;
    expect(c.sideEffects).toEqual([]);
    expect(c.stillBilled).toEqual([]);
    expect([c.licensedBefore, c.licensedAfter]).toEqual([0, 1]);
  });

  test("U11: GIVEN a declared PBX user and a new customer with a level 3 THEN its add-on is counted in the licensed grants", () => {
    const users = { ...ana, "sup@acme.test": { roles: [CU, L3], displayName: "Sup" }, "desk@acme.test": { roles: [CU, "customer.user.pbx"], origin: "adopted" as const } };
    const [c] = summarize(plan(undefined, { users })).customers;
    // sup's level 3, desk's PBX role, and the add-on the server gives desk.
    expect([c.licensedBefore, c.licensedAfter]).toEqual([0, 3]);
    expect(c.serverGrants[0].users).toEqual(["desk@acme.test"]);
  });

  test("U11: GIVEN the code's last level 3+ goes THEN the add-on the server gave stays, still billed", () => {
    const [c] = summarize(plan({ users: { ...ana, "sup@acme.test": { roles: [CU, L3], displayName: "Sup" } } }, { users: { ...ana, "sup@acme.test": { roles: [CU, L2], displayName: "Sup" } } })).customers;
    expect(c.stillBilled).toEqual([expect.objectContaining({ rule: "U11", roles: ["customer.user.pbx.realtime"], unlisted: true })]);
    expect(renderSummary(summarize(plan({ users: { ...ana, "s@acme.test": { roles: [CU, L3], displayName: "S" } } }, { users: ana })), false).join("\n")).toMatch(/U11: still billed: customer\.user\.pbx\.realtime for users the code does not declare — /);
  });
});

describe("U12: ACD agents", () => {
  test("U12: GIVEN the code switches syncAcdAgentWithPbx on THEN the server may add the licensed Agent User Add-On to the PBX's agents", () => {
    const [c] = summarize(plan({ users: ana, customer: { syncAcdAgentWithPbx: false } }, { users: ana, customer: { syncAcdAgentWithPbx: true } })).customers;
    expect(c.sideEffects).toEqual([expect.stringMatching(/^U12: the server may add the licensed Agent User Add-On \(customer\.user\.acd\)/)]);
    expect(c.chargesApply).toBe(true);
  });

  test("U12: GIVEN the code switches the sync off THEN the add-on stays on the agents, still billed; left as it is THEN nothing", () => {
    const [off] = summarize(plan({ users: ana, customer: { syncAcdAgentWithPbx: true } }, { users: ana, customer: { syncAcdAgentWithPbx: false } })).customers;
    expect(off.stillBilled).toEqual([expect.objectContaining({ rule: "U12", roles: ["customer.user.acd"] })]);
    const [kept] = summarize(plan({ users: ana, customer: { syncAcdAgentWithPbx: true, name: "A" } }, { users: ana, customer: { syncAcdAgentWithPbx: true, name: "B" } })).customers;
    expect([kept.sideEffects, kept.stillBilled]).toEqual([[], []]);
  });
});

describe("removals and destroy: what stays billed", () => {
  const users = { ...ana, "desk@acme.test": { roles: [CU, "customer.device.readonly"], origin: "adopted" as const }, "bob@acme.test": { roles: [CU, L2], displayName: "Bob", removal: "retain" as const } };

  test("U13: GIVEN users leaving the code THEN the summary says they may keep the server's licensed roles, and a retained one keeps its licensed roles", () => {
    const [c] = summarize(plan({ users }, { users: ana })).customers;
    expect(c.stillBilled.map((b) => [b.rule, b.certainty, b.users])).toEqual([
      ["U13", "may", ["bob@acme.test", "desk@acme.test"]],
      ["U9", "will", ["bob@acme.test"]],
    ]);
    const text = renderSummary(summarize(plan({ users }, { users: ana })), true).join("\n");
    expect(text).toContain("- ⚠ U13: may be still billed: customer.user.pbx, customer.user.pbx.realtime, customer.user.acd for bob@acme.test, desk@acme.test — ");
    expect(text).toContain("- ⚠ U9: still billed: customer.user.supervisorl2 for bob@acme.test — retained");
  });

  test("C5: GIVEN terraform destroy of a retained customer THEN its PBX users keep the server's licensed roles: still billed", () => {
    const [c] = summarize(plan({ users, removalPolicy: "retain" }, undefined)).customers;
    expect(c.change).toBe("removed");
    expect(c.stillBilled.map((b) => b.rule)).toEqual(["U13", "U9", "C5"]);
    expect(renderSummary(summarize(plan({ users, removalPolicy: "disable" }, undefined)), false).join("\n")).toMatch(/C5: still billed: .* — the customer is disabled, not deleted/);
  });

  test("C5: GIVEN terraform destroy of a customer with removal policy delete THEN nothing is said to stay billed", () => {
    const [c] = summarize(plan({ users, removalPolicy: "delete" }, undefined)).customers;
    expect(c.stillBilled).toEqual([]);
  });
});
