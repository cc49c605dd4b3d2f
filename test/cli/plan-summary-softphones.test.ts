/**
 * `dimensions plan-summary` shows softphone changes (U14) in each user's gains and loses, from the
 * user lines of a plan's tenant resource (a `terraform show -json` shape, written by hand here;
 * test/e2e/softphones.test.ts reads a real one).
 */
import { renderSummary, summarize } from "../../src/cli/plan-summary";

const CUSTOMER = { reference: "ACME-001", name: "Acme", description: "d", enabled: true };
const UC = "customer.user customer.user.uc customer.user.uc.softphone";

function tenant(users: Record<string, string>) {
  return { triggers_replace: { t: JSON.stringify({ customer: CUSTOMER, users }), i: JSON.stringify({ kind: "tenant", owned: true, settings: { region: "eu", acceptCharges: true } }) } };
}

function plan(before: Record<string, string>, after: Record<string, string>) {
  return { resource_changes: [{ address: "terraform_data.acme", change: { actions: ["delete", "create"], before: tenant(before), after: tenant(after) } }] };
}

test("U14: GIVEN a client type change, a new softphone and a user leaving with one WHEN summarized THEN each user's assigns and unassigns say so", () => {
  const summary = summarize(
    plan(
      { "bo@acme.test": `${UC} | softphones=1001:desktop | name=Bo`, "cy@acme.test": `${UC} | softphones=1003:crm | name=Cy`, "di@acme.test": `${UC} | removal=retain | softphones=1004:crm | name=Di` },
      { "bo@acme.test": `${UC} | softphones=1001:mobile,1002:webrtc | name=Bo`, "ed@acme.test": `${UC} | softphones=1005:desktop | name=Ed` },
    ),
  );

  expect(summary.customers[0].users).toEqual([
    { email: "bo@acme.test", change: "changed", gains: [], loses: [], assigns: [{ device: "1001", clientType: "mobile" }, { device: "1002", clientType: "webrtc" }], unassigns: [{ device: "1001", clientType: "desktop" }] },
    expect.objectContaining({ email: "cy@acme.test", change: "removed", unassigns: [{ device: "1003", clientType: "crm" }] }),
    // Retained: its devices stay with it.
    expect.not.objectContaining({ unassigns: expect.anything() }),
    expect.objectContaining({ email: "ed@acme.test", change: "created", assigns: [{ device: "1005", clientType: "desktop" }] }),
  ]);
  expect(summary.customers[0].users[2].email).toBe("di@acme.test");
});

test("U14: GIVEN softphones removed from a declaration WHEN summarized THEN the user is changed and loses them, though its roles stay", () => {
  const [customer] = summarize(plan({ "bo@acme.test": `${UC} | softphones=1001:desktop | name=Bo` }, { "bo@acme.test": `${UC} | name=Bo` })).customers;

  expect(customer.users).toEqual([{ email: "bo@acme.test", change: "changed", gains: [], loses: [], unassigns: [{ device: "1001", clientType: "desktop" }] }]);
});

test("U14: GIVEN device changes WHEN rendered as text and as Markdown THEN they appear in the gains and loses of the user's line", () => {
  const summary = summarize(plan({ "bo@acme.test": `${UC} | softphones=1001:desktop | name=Bo` }, { "bo@acme.test": `${UC} | softphones=1001:mobile | name=Bo` }));

  expect(renderSummary(summary, false)).toContain("  bo@acme.test: changed; gains softphone 1001 (mobile); loses softphone 1001 (desktop)");
  expect(renderSummary(summary, true)).toContain("| `bo@acme.test` | changed | softphone 1001 (mobile) | softphone 1001 (desktop) |");
});

test("GIVEN users without softphones WHEN summarized THEN their changes carry no device fields", () => {
  const [customer] = summarize(plan({ "bo@acme.test": "customer.user | name=Bo" }, { "bo@acme.test": "customer.user recording.viewer | name=Bo" })).customers;

  expect(customer.users).toEqual([{ email: "bo@acme.test", change: "changed", gains: ["recording.viewer"], loses: [] }]);
  expect(Object.keys(customer.users[0])).not.toContain("assigns");
});
