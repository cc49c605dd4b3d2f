/**
 * `dimensions plan-summary` names the e-mails a change sends (H5, U14): a changed trigger on a user
 * already applied, never a new user's trigger. Pure over a plan's JSON (no terraform needed).
 */
import { renderSummary, summarize } from "../../src/cli/plan-summary";

const CUSTOMER = { reference: "ACME-001", name: "Acme", description: "d", enabled: true };
const tenant = (users: Record<string, string>) => ({ triggers_replace: { t: JSON.stringify({ customer: CUSTOMER, users }), i: JSON.stringify({ kind: "tenant", owned: true, settings: { acceptCharges: true } }) } });

function plan(before: Record<string, string>, after: Record<string, string>) {
  return { resource_changes: [{ address: "terraform_data.acme", change: { actions: ["delete", "create"], before: tenant(before), after: tenant(after) } }] };
}

test("H5: GIVEN a changed sendActivation WHEN summarized THEN the user's line says it sends the activation e-mail, with the value", () => {
  const summary = summarize(plan({ "bo@acme.test": "customer.user | activation=1 | name=Bo" }, { "bo@acme.test": "customer.user | activation=2 | name=Bo" }));

  expect(summary.customers[0].users).toEqual([{ email: "bo@acme.test", change: "changed", gains: [], loses: [], emails: ["sends the activation e-mail (activation=2)"] }]);
  expect(renderSummary(summary, false)).toContain("  bo@acme.test: changed; sends the activation e-mail (activation=2)");
});

test("U14: GIVEN the UC client and a welcome trigger added in one change WHEN summarized THEN both the gain and the welcome e-mail are named", () => {
  const summary = summarize(plan({ "bo@acme.test": "customer.user | name=Bo" }, { "bo@acme.test": "customer.user customer.user.uc | welcome=1 | name=Bo" }));

  expect(summary.customers[0].users[0]).toMatchObject({ gains: ["customer.user.uc"], emails: ["sends the UC welcome e-mail (welcome=1)"] });
  expect(renderSummary(summary, true).join("\n")).toContain("| `bo@acme.test` | changed; sends the UC welcome e-mail (welcome=1) | UC Client (`customer.user.uc`) | – |");
});

test("GIVEN a new user with a trigger, or a trigger removed WHEN summarized THEN no e-mail is named (a first declaration is the baseline)", () => {
  const summary = summarize(plan({ "cy@acme.test": "customer.user | activation=1 | name=Cy" }, { "bo@acme.test": "customer.user | activation=1 | name=Bo", "cy@acme.test": "customer.user | name=Cy" }));

  expect(summary.customers[0].users.map((u) => [u.email, u.change, u.emails])).toEqual([
    ["bo@acme.test", "created", undefined],
    ["cy@acme.test", "changed", undefined],
  ]);
});
