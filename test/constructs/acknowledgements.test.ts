/**
 * Acknowledgements (cdk-nag style): a finding is acknowledged on its construct or any ancestor,
 * with a reason and an optional expiry; it stays visible (info annotation, dimensions.findings.json);
 * expired acknowledgements and acknowledgements of codes the API would refuse are coded errors.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Lazy } from "cdktf";
import { Acknowledgements, Customer, CustomerUser, FINDINGS_FILE, Role, TODAY_CONTEXT_KEY, type FindingsFile } from "../../src";
import { acmeWithAdmin, ADMIN, customerProps, newStack, synthErrors, synthFailure, useFakeHandlerBundle } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

function appOn(today?: string): App {
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-ack-")), ...(today ? { context: { [TODAY_CONTEXT_KEY]: today } } : {}) });
}

function annotations(construct: { node: { metadata: Array<{ type: string; data: unknown }> } }, type: string): string[] {
  return construct.node.metadata.filter((m) => m.type === type).map((m) => String(m.data));
}

function findingsFile(app: App, stackId = "stack"): FindingsFile {
  return JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", stackId, FINDINGS_FILE), "utf8")) as FindingsFile;
}

/** A customer whose primary admin holds no supervisor role: a U6 warning on stack/ana. */
function adminWithoutSupervisor(app: App) {
  const stack = newStack(app);
  const customer = new Customer(stack, "acme", customerProps());
  const ana = new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], primaryAdmin: true });
  return { stack, customer, ana };
}

const REASON = "IT admins manage users only; they never run reports";

describe("acknowledging a finding", () => {
  test("GIVEN a U6 warning WHEN nothing acknowledges it THEN it is a warning and an open finding in dimensions.findings.json", () => {
    const app = appOn("2025-06-01");
    const { ana } = adminWithoutSupervisor(app);
    app.synth();
    expect(annotations(ana, "@cdktf/warn")).toEqual([expect.stringMatching(/^AdminWithoutSupervisor \[U6\]/)]);
    const file = findingsFile(app);
    expect(file.findings).toEqual([expect.objectContaining({ code: "AdminWithoutSupervisor", path: "stack/ana", level: "warning" })]);
    expect(file.findings[0].acknowledged).toBeUndefined();
  });

  test("GIVEN a U6 warning WHEN it is acknowledged on the construct THEN it becomes an info annotation and stays in the findings file with the reason", () => {
    const app = appOn("2025-06-01");
    const { ana } = adminWithoutSupervisor(app);
    Acknowledgements.of(ana).add({ code: "AdminWithoutSupervisor", reason: REASON, expires: "2025-12-31" });
    expect(synthFailure(app)).toBe("");
    expect(annotations(ana, "@cdktf/warn")).toEqual([]);
    expect(annotations(ana, "@cdktf/info")).toEqual([expect.stringContaining(`Acknowledged AdminWithoutSupervisor [U6]: admin user "ana@acme.test"`)]);
    expect(annotations(ana, "@cdktf/info")[0]).toContain(`acknowledged on "stack/ana" until 2025-12-31: ${REASON}`);
    const file = findingsFile(app);
    expect(file.findings).toEqual([
      expect.objectContaining({ code: "AdminWithoutSupervisor", rule: "U6", path: "stack/ana", acknowledged: { scope: "stack/ana", code: "AdminWithoutSupervisor", reason: REASON, expires: "2025-12-31" } }),
    ]);
    expect(file.acknowledgements).toEqual([{ scope: "stack/ana", code: "AdminWithoutSupervisor", reason: REASON, expires: "2025-12-31", used: 1 }]);
  });

  test("GIVEN a U6 warning WHEN its rule is acknowledged on the App THEN the acknowledgement covers every stack under it", () => {
    const app = appOn();
    const { ana } = adminWithoutSupervisor(app);
    Acknowledgements.of(app).add({ rule: "U6", reason: REASON });
    app.synth();
    expect(annotations(ana, "@cdktf/warn")).toEqual([]);
    expect(findingsFile(app).findings[0].acknowledged).toEqual({ scope: "", rule: "U6", reason: REASON });
  });

  test("GIVEN acknowledgements on the stack and on the user WHEN both cover a finding THEN the nearest one is recorded", () => {
    const app = appOn();
    const { stack, ana } = adminWithoutSupervisor(app);
    Acknowledgements.of(stack).add({ code: "AdminWithoutSupervisor", reason: "stack-wide: admins are IT staff" });
    Acknowledgements.of(ana).add({ code: "AdminWithoutSupervisor", reason: REASON });
    app.synth();
    expect(findingsFile(app).findings[0].acknowledged?.scope).toBe("stack/ana");
  });

  test("GIVEN an acknowledgement on another user WHEN the finding is on ana THEN it is not covered", () => {
    const app = appOn();
    const { stack, customer, ana } = adminWithoutSupervisor(app);
    const bo = new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    Acknowledgements.of(bo).add({ code: "AdminWithoutSupervisor", reason: REASON });
    app.synth();
    expect(annotations(ana, "@cdktf/warn")).toHaveLength(1);
    expect(findingsFile(app).acknowledgements).toEqual([expect.objectContaining({ scope: "stack/bo", used: 0 })]);
  });

  test("GIVEN a constructor warning (UnresolvedValue) WHEN the stack acknowledges it THEN it is covered too", () => {
    const app = appOn();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps({ name: Lazy.stringValue({ produce: () => "Acme (lazy)" }) }));
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    Acknowledgements.of(stack).add({ code: "UnresolvedValue", reason: "the name comes from a lookup resolved at synth" });
    app.synth();
    expect(annotations(customer, "@cdktf/warn")).toEqual([]);
    expect(annotations(customer, "@cdktf/info")).toEqual([expect.stringMatching(/^Acknowledged UnresolvedValue \[runtime\]/)]);
  });
});

describe("expiry: today comes from the context, never from the clock inside validation", () => {
  test("GIVEN an acknowledgement expiring on 2025-06-30 WHEN today is 2025-06-30 THEN it still holds (inclusive)", () => {
    const app = appOn("2025-06-30");
    const { ana } = adminWithoutSupervisor(app);
    Acknowledgements.of(ana).add({ code: "AdminWithoutSupervisor", reason: REASON, expires: "2025-06-30" });
    expect(synthFailure(app)).toBe("");
  });

  test("GIVEN an acknowledgement expiring on 2025-06-30 WHEN today is 2025-07-01 THEN the synth fails with AcknowledgementExpired naming it", () => {
    const app = appOn("2025-07-01");
    const { ana } = adminWithoutSupervisor(app);
    Acknowledgements.of(ana).add({ code: "AdminWithoutSupervisor", reason: REASON, expires: "2025-06-30" });
    const failure = synthFailure(app);
    expect(failure).toContain("[stack/ana] AcknowledgementExpired [ack]");
    expect(failure).toContain('the acknowledgement of code "AdminWithoutSupervisor" on "stack/ana"');
    expect(failure).toContain("expired on 2025-06-30 (today is 2025-07-01)");
    // The expired acknowledgement no longer covers the finding: the warning is back.
    expect(annotations(ana, "@cdktf/warn")).toHaveLength(1);
  });

  test("GIVEN an expired acknowledgement on the App WHEN nothing matches it any more THEN each stack's synth still fails", () => {
    const app = appOn("2030-01-01");
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    Acknowledgements.of(app).add({ rule: "U6", reason: REASON, expires: "2029-12-31" });
    expect(synthFailure(app)).toContain("[stack] AcknowledgementExpired [ack]");
  });

  test("GIVEN a malformed dimensions:today WHEN synthesizing THEN it is a coded error", () => {
    const app = appOn("30/06/2025");
    adminWithoutSupervisor(app);
    expect(synthFailure(app)).toContain(`[stack] AcknowledgementInvalid [ack]: context "${TODAY_CONTEXT_KEY}" is "30/06/2025"`);
  });
});

describe("what cannot be acknowledged", () => {
  const cases: Array<[string, { code?: string; rule?: string }]> = [
    ["U7 prerequisites (code)", { code: "RolePrerequisiteMissing" }],
    ["U7 prerequisites (rule)", { rule: "U7" }],
    ["U8 exclusivity", { code: "ExclusiveRoleConflict" }],
    ["U3 admin without website access", { code: "AdminWithoutWebsiteAccess" }],
    ["U4 at least one admin", { rule: "U4" }],
    ["U13 read-only role", { code: "ReadOnlyRole" }],
    ["C1 limits", { code: "CustomerFieldInvalid" }],
    ["unknown roles", { code: "UnknownRole" }],
    ["C6 charges", { code: "ChargesNotAccepted" }],
    ["U10 region", { code: "RoleUnavailableInRegion" }],
    ["A2 name", { code: "AccessRequestNameInvalid" }],
    ["an expired acknowledgement itself", { code: "AcknowledgementExpired" }],
  ];
  test.each(cases)("GIVEN %s WHEN acknowledged THEN the synth fails with AcknowledgementNotAllowed naming the scope, and the acknowledgement covers nothing", (_name, which) => {
    const stack = newStack();
    Acknowledgements.of(stack).add({ ...(which as { code?: never; rule?: string }), reason: "we know what we are doing" });
    expect(Acknowledgements.of(stack).all).toEqual([]);
    expect(synthErrors(stack)).toEqual([expect.objectContaining({ code: "AcknowledgementNotAllowed", path: "stack" })]);
  });

  test("GIVEN a reason shorter than 10 characters WHEN added THEN AcknowledgementInvalid", () => {
    const stack = newStack();
    Acknowledgements.of(stack).add({ code: "AdminWithoutSupervisor", reason: "ok" });
    expect(synthErrors(stack)).toEqual([expect.objectContaining({ code: "AcknowledgementInvalid", path: "stack" })]);
  });

  test("GIVEN an expiry that is not an ISO date WHEN added THEN AcknowledgementInvalid", () => {
    const stack = newStack();
    Acknowledgements.of(stack).add({ code: "AdminWithoutSupervisor", reason: REASON, expires: "2025-02-30" });
    const [e, ...others] = synthErrors(stack);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ code: "AcknowledgementInvalid" });
    expect(e.text).toContain('"2025-02-30", not an ISO date');
  });

  test("GIVEN an unknown code, or both code and rule WHEN added THEN AcknowledgementInvalid, each", () => {
    const stack = newStack();
    Acknowledgements.of(stack).add({ code: "NoSuchCode" as never, reason: REASON });
    Acknowledgements.of(stack).add({ code: "AdminWithoutSupervisor", rule: "U6", reason: REASON });
    Acknowledgements.of(stack).add({ rule: "Z9", reason: REASON });
    expect(synthErrors(stack).map((e) => e.code)).toEqual(["AcknowledgementInvalid", "AcknowledgementInvalid", "AcknowledgementInvalid"]);
  });

  test("GIVEN a wrong acknowledgement on the App WHEN synthesized THEN it fails once, on the app's first DimensionsStack", () => {
    const app = appOn();
    acmeWithAdmin(newStack(app, {}, "one"));
    acmeWithAdmin(newStack(app, {}, "two"), { reference: "ACME-002" });
    Acknowledgements.of(app).add({ code: "RolePrerequisiteMissing", reason: REASON });
    const [e, ...others] = synthErrors(app);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ path: "one", code: "AcknowledgementNotAllowed" });
    expect(e.text).toContain("the app");
  });

  test("GIVEN a failing rule (U7) WHEN its acknowledgeable neighbours are acknowledged on the stack THEN the error still fails the synth", () => {
    const app = appOn();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.REPORTS_SUPERVISOR] });
    Acknowledgements.of(stack).add({ rule: "U6", reason: REASON });
    expect(synthFailure(app)).toContain("[stack/bo] RolePrerequisiteMissing [U7]");
    expect(findingsFile(app).findings).toEqual([expect.objectContaining({ code: "RolePrerequisiteMissing", level: "error" })]);
  });
});
