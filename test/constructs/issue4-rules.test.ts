/**
 * The rules completed in issue 4, through the constructs: U10 (regions), U11 (automatic licensed
 * roles, a warning), U12 (the ACD add-on needs the essential user role), U13 inside bundles,
 * C6/U9 through bundles and templates, H2 (role bundles and rolesFrom templates), H3/H4 (generic,
 * see also test/validation/catalogue-rules.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Customer, CustomerUser, RoleAssignment, Role, RoleBundle } from "../../src";
import { decodeUserEntry } from "../../src/contracts/handler";
import { acmeWithAdmin, ADMIN, newApp, newStack, stackDir, userEntryIn, synthErrorCodes, synthErrors, synthFailure, synthJson, thrown, useFakeHandlerBundle, warnings } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

function rolesOf(json: ReturnType<typeof synthJson>, email: string): unknown {
  return userEntryIn(json, email).entry.roles;
}

describe("U10: regional roles come from the catalogue", () => {
  test("U10: in the UK, customer.user.uc.essential meets the ACD add-on's prerequisite", () => {
    const app = newApp();
    const stack = newStack(app, { region: "uk" });
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER_UK, Role.AGENT_USER_ADD_ON] });
    expect(synthFailure(app)).toBe("");
  });

  test("U10: customer.user.pbx on a UK stack fails, pointing to customer.user.uc.essential", () => {
    const app = newApp();
    const stack = newStack(app, { region: "uk" });
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER] });
    const failure = synthFailure(app);
    expect(failure).toContain(`[stack/agent] RoleUnavailableInRegion [U10]: role "customer.user.pbx" of user "agent@acme.test" does not exist in region "uk" of stack "stack"`);
    expect(failure).toContain(`use "customer.user.uc.essential" instead`);
  });

  test("U10: customer.user.uc.essential outside the UK fails, pointing to customer.user.pbx", () => {
    const app = newApp();
    const stack = newStack(app, { region: "eu" });
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER_UK] });
    const failure = synthFailure(app);
    expect(failure).toContain("[stack/agent] RoleUnavailableInRegion [U10]");
    expect(failure).toContain(`use "customer.user.pbx" instead`);
  });

  test("U10: the ACD add-on without any essential role in the UK names the UK role in the fix", () => {
    const app = newApp();
    const stack = newStack(app, { region: "uk" });
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.AGENT_USER_ADD_ON] });
    expect(synthFailure(app)).toContain(
      `[stack/agent] RolePrerequisiteMissing [U7]: role "customer.user.acd" of user "agent@acme.test" requires "customer.user.pbx" (in region "uk": "customer.user.uc.essential"); add "customer.user.uc.essential" to the user's roles`,
    );
  });

  test("U10: a RoleAssignment granting the UK-only role to users of an EU stack fails on the user, naming the region and the assignment", () => {
    const app = newApp();
    const stack = newStack(app, { region: "eu" });
    const { customer } = acmeWithAdmin(stack);
    const agent = CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS] });
    new RoleAssignment(stack, "essentials", { customer, roles: [Role.ESSENTIAL_USER_UK], users: [agent, "reception@acme.test"] });
    const failure = synthFailure(app);
    expect(failure).toMatch(/\[stack\/agent\] RoleUnavailableInRegion \[U10\]: role "customer\.user\.uc\.essential" of user "agent@acme\.test" \(granted by RoleAssignment "stack\/essentials"\) does not exist in region "eu" of stack "stack"/);
    expect(failure).toMatch(/\[stack\/acme\/user-reception@acme\.test\] RoleUnavailableInRegion \[U10\]: role "customer\.user\.uc\.essential" of user "reception@acme\.test" \(granted by RoleAssignment "stack\/essentials"\) does not exist in region "eu"/);
  });

  test("U10: a stack with apiUrl (region unknown) accepts either role", () => {
    const app = newApp();
    const stack = newStack(app, { apiUrl: "https://api.example.test" });
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER_UK] });
    expect(synthFailure(app)).toBe("");
  });
});

describe("U11: roles that make the server add licensed roles (warning)", () => {
  test("U11: supervisor levels 1 and 2 trigger nothing: no warning", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.ANALYTICS_SUPERVISOR] });
    app.synth();
    expect(warnings(customer)).toEqual([]);
  });

  test("U11: a supervisor level 3+ warns on the customer that the Real-Time Add-On will be billed to every PBX user", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.CONTACT_CENTRE_SUPERVISOR] });
    expect(synthFailure(app)).toBe("");
    expect(warnings(customer)).toEqual([
      expect.stringMatching(/^AutomaticChargeableRoles \[U11\/C6\]: "bo@acme.test" \(customer.user.supervisorl4\) of customer "ACME-001" make the server add the licensed role "customer.user.pbx.realtime" to every user holding "customer.user.pbx"/),
    ]);
  });

  test("U11/U10: in a UK stack the warning names the holders of customer.user.uc.essential, the UK's synchronised role", () => {
    const app = newApp();
    const stack = newStack(app, { region: "uk" });
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.CONTACT_CENTRE_SUPERVISOR] });
    expect(synthFailure(app)).toBe("");
    expect(warnings(customer)).toEqual([expect.stringMatching(/add the licensed role "customer\.user\.pbx\.realtime" to every user holding "customer\.user\.uc\.essential" \(U11\)/)]);
  });
});

describe("U12: the ACD add-on needs the essential user role (catalogue prerequisite)", () => {
  test("U12: customer.user.acd with customer.user.pbx passes", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER, Role.AGENT_USER_ADD_ON] });
    expect(synthFailure(app)).toBe("");
  });

  test("U12: customer.user.acd without customer.user.pbx fails", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles: [Role.WEBSITE_ACCESS, Role.AGENT_USER_ADD_ON] });
    expect(synthFailure(app)).toContain(`[stack/agent] RolePrerequisiteMissing [U7]: role "customer.user.acd" of user "agent@acme.test" requires "customer.user.pbx"`);
  });
});

describe("H2: role bundles", () => {
  test("H2: a built-in bundle expands into its roles in the rendered resource", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [RoleBundle.REPORT_SUPERVISOR] });
    expect(rolesOf(synthJson(app, stack), "bo@acme.test")).toEqual(["customer.user", "customer.user.supervisorl1"]);
  });

  test("H2: user-defined bundles nest bundles and work in RoleAssignment and addRoles", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const teamLead = RoleBundle.of("team-lead", [RoleBundle.LIVE_MONITORING, Role.RECORDING_PLAYBACK]);
    expect(teamLead.roles).toEqual([Role.WEBSITE_ACCESS, Role.SILENT_MONITOR, Role.SUPERVISOR_AGENT_CONTROL, Role.RECORDING_PLAYBACK]);
    const bo = new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    bo.addRoles(RoleBundle.WORKSPACE_ADMINISTRATOR);
    new RoleAssignment(stack, "leads", { customer, roles: [teamLead], users: [bo] });
    expect(rolesOf(synthJson(app, stack), "bo@acme.test")).toEqual(
      [Role.WEBSITE_ACCESS, Role.CUSTOMER_SETTINGS, Role.WORKSPACE_ADMINISTRATOR, Role.SILENT_MONITOR, Role.SUPERVISOR_AGENT_CONTROL, Role.RECORDING_PLAYBACK].sort(),
    );
  });

  test("H2: a bundle's roles go through every rule (U8: two supervisor levels through bundles)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [RoleBundle.REPORT_SUPERVISOR, Role.INSIGHTS_SUPERVISOR] });
    expect(synthFailure(app)).toContain("[stack/bo] ExclusiveRoleConflict [U8/H3]");
  });

  test("H2: a bundle with an unknown role, a read-only role (U13), no role or a bad name throws a coded error (a value: no construct to report on)", () => {
    expect(thrown(() => RoleBundle.of("typo", [Role.WEBSITE_ACCESS, "admin.user"]))).toMatchObject({ code: "UnknownRole", path: "RoleBundle(typo)" });
    const both = thrown(() => RoleBundle.of("Team Lead", [Role.WEBSITE_ACCESS, "customer.user.supervisor1"]));
    expect(both.message.split("\n")).toEqual([
      expect.stringMatching(/^\[RoleBundle\(Team Lead\)\] InvalidRoleBundle \[H2\]: /),
      expect.stringMatching(/^\[RoleBundle\(Team Lead\)\] UnknownRole \[U7\]: .*did you mean "customer.user.supervisorl1" \(Role.REPORTS_SUPERVISOR\)\?/),
    ]);
    expect(thrown(() => RoleBundle.of("teams", [Role.MICROSOFT_TEAMS_USER]))).toMatchObject({ code: "ReadOnlyRole", rule: "U13" });
    expect(thrown(() => RoleBundle.of("empty", []))).toMatchObject({ code: "InvalidRoleBundle", rule: "H2" });
    expect(thrown(() => RoleBundle.of("Team Lead", [Role.WEBSITE_ACCESS]))).toMatchObject({ code: "InvalidRoleBundle" });
  });

  test("C6/U9: a licensed role through a bundle in a stack without the opt-in fails", () => {
    const app = newApp();
    const stack = newStack(app, { acceptCharges: false });
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [RoleBundle.UC_SOFTPHONE] });
    expect(synthFailure(app)).toMatch(/\[stack\] ChargesNotAccepted \[C6\/U9\]: .* of user "bo@acme.test" \("stack\/bo"\)/);
  });

  test("C6/U9: an unlicensed bundle in a stack without the opt-in passes", () => {
    const app = newApp();
    const stack = newStack(app, { acceptCharges: false });
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [RoleBundle.LIVE_MONITORING] });
    expect(synthFailure(app)).toBe("");
  });
});

describe("H2: a user's roles copied from a template user (rolesFrom)", () => {
  test("H2: rolesFrom copies the template's own, bundle and assigned roles, resolved at synth", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const lead = new CustomerUser(stack, "lead", { customer, email: "lead@acme.test", displayName: "Lead", roles: [RoleBundle.REPORT_SUPERVISOR] });
    const copy = new CustomerUser(stack, "copy", { customer, email: "copy@acme.test", displayName: "Copy", roles: [Role.DEVICE_ACCESS], rolesFrom: lead });
    // Added after the copy was declared: still copied (resolved at synth).
    lead.addRoles(Role.RECORDING_PLAYBACK);
    new RoleAssignment(stack, "monitor", { customer, roles: [Role.SILENT_MONITOR], users: [lead] });
    const json = synthJson(app, stack);
    expect(copy.rolesFrom).toBe(lead);
    expect(rolesOf(json, "copy@acme.test")).toEqual(
      [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR, Role.RECORDING_PLAYBACK, Role.SILENT_MONITOR, Role.DEVICE_ACCESS].sort(),
    );
    // The manifest the handler reads holds the same roles.
    const manifest = JSON.parse(fs.readFileSync(path.join(stackDir(app, stack), "dimensions.manifest.json"), "utf8")) as { objects: Record<string, { t: { users: Record<string, string> } }> };
    expect(decodeUserEntry(manifest.objects["customer:ACME-001"].t.users["copy@acme.test"])?.roles).toEqual(rolesOf(json, "copy@acme.test"));
  });

  test("H2: templates chain (c copies b copies a) and never copy primaryAdmin", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer, ana } = acmeWithAdmin(stack);
    const b = new CustomerUser(stack, "b", { customer, email: "b@acme.test", displayName: "B", roles: [], rolesFrom: ana });
    const c = new CustomerUser(stack, "c", { customer, email: "c@acme.test", displayName: "C", roles: [], rolesFrom: b });
    const json = synthJson(app, stack);
    expect(rolesOf(json, "c@acme.test")).toEqual([...ADMIN].sort());
    expect(c.isPrimaryAdmin).toBe(false);
  });

  test("H2: a role missing a prerequisite through a template is reported on the template, whose roles to fix", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const t = CustomerUser.adopt(stack, "t", { customer, email: "t@acme.test", roles: [Role.WEBSITE_ACCESS, Role.WORKSPACE_ADMINISTRATOR] });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [], rolesFrom: t });
    expect(synthFailure(app)).toContain(
      `[stack/t] RolePrerequisiteMissing [U7]: role "customer.workspace.admin" of user "t@acme.test" requires "customer.settings"; add it to the user's roles`,
    );
    expect(synthErrorCodes(app)).toEqual(["stack/t RolePrerequisiteMissing"]);
  });

  test("H2: a template's own mistake is one error, on the template, not one more per user copying it", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const t = CustomerUser.adopt(stack, "t", { customer, email: "t@acme.test", roles: [Role.WEBSITE_ACCESS, Role.WORKSPACE_ADMINISTRATOR, Role.REPORTS_SUPERVISOR, Role.INSIGHTS_SUPERVISOR] });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [], rolesFrom: t });
    new CustomerUser(stack, "cy", { customer, email: "cy@acme.test", displayName: "Cy", roles: [], rolesFrom: t });
    expect(synthErrorCodes(app)).toEqual(["stack/t RolePrerequisiteMissing", "stack/t ExclusiveRoleConflict"]);
  });

  test("H2: templates that copy from each other in a cycle fail the synth with RoleTemplateCycle", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const a = new CustomerUser(stack, "a", { customer, email: "a@acme.test", displayName: "A", roles: [Role.WEBSITE_ACCESS] });
    const b = new CustomerUser(stack, "b", { customer, email: "b@acme.test", displayName: "B", roles: [], rolesFrom: a });
    a.copyRolesFrom(b);
    const failure = synthFailure(app);
    expect(failure).toContain(`[stack/a] RoleTemplateCycle [H2]: user "a@acme.test" copies its roles through "stack/a" → "stack/b" → "stack/a"`);
    expect(synthErrorCodes(app)).toEqual(["stack/a RoleTemplateCycle"]);
  });

  test("H2: a template that is the user itself, or not a CustomerUser, fails the synth", () => {
    const stack = newStack();
    const { customer, ana } = acmeWithAdmin(stack);
    ana.copyRolesFrom(ana);
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [], rolesFrom: customer as never });
    expect(synthErrors(stack)).toEqual([
      expect.objectContaining({ code: "InvalidRoleTemplate", path: "stack/ana", text: expect.stringContaining("names itself") }),
      expect.objectContaining({ code: "InvalidRoleTemplate", path: "stack/bo", text: expect.stringContaining('the construct "stack/acme", not a CustomerUser') }),
    ]);
  });

  test("C6/U9: licensed roles copied from a template in a stack without the opt-in fail", () => {
    const app = newApp();
    const stack = newStack(app, { acceptCharges: false });
    const customer = Customer.fromReference(stack, "acme", "ACME-001");
    const t = new CustomerUser(stack, "t", { customer, email: "t@acme.test", displayName: "T", roles: [Role.WEBSITE_ACCESS] });
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [], rolesFrom: t });
    t.addRoles(Role.REPORTS_SUPERVISOR);
    const [e, ...others] = synthErrors(app);
    expect(others).toEqual([]);
    expect(e).toMatchObject({ path: "stack", code: "ChargesNotAccepted" });
    expect(e.text).toContain('of user "t@acme.test" ("stack/t")');
    expect(e.text).toContain('of user "bo@acme.test" ("stack/bo")');
  });
});
