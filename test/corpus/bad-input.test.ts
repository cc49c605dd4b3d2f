/**
 * The bad-input corpus: one entry per invalid configuration, each expecting its rule code and the
 * construct path it names, and nothing else: each case is one mistake, and one mistake gives one
 * error. Every finding is reported by `app.synth()`, all at once; only what cannot be built at all
 * throws from where it is written (a construct outside a DimensionsStack; a RoleBundle, a value
 * with no construct to report on). A synth forced past the errors
 * (CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS) must not crash, and writes no manifest for the stack.
 *
 * Add a case when a bug report shows an input the library let through.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Lazy, TerraformStack } from "cdktf";
import {
  Acknowledgements,
  Customer,
  CustomerUser,
  CustomerUsersFromCsv,
  DimensionsStack,
  Role,
  RoleAssignment,
  RoleBundle,
  TODAY_CONTEXT_KEY,
  UserRemovalPolicy,
  type CustomerProps,
  type DimensionsStackProps,
} from "../../src";
import { ADMIN, customerProps, useFakeHandlerBundle } from "../constructs/helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

/** What a case builds with: a fresh app (today pinned), and compliant pieces to break. */
class Fixture {
  public readonly app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-corpus-")), context: { [TODAY_CONTEXT_KEY]: "2025-09-01" } });
  private stackCount = 0;

  public stack(props: Partial<DimensionsStackProps> = {}, id = this.stackCount++ === 0 ? "stack" : `stack${this.stackCount}`): DimensionsStack {
    return new DimensionsStack(this.app, id, { acceptCharges: true, ...props });
  }

  /** An owned customer "acme" (compliant unless `props` break it) with its primary admin "ana", in `stack`. */
  public acme(stack: DimensionsStack = this.stack(), props: CustomerProps = customerProps()): { stack: DimensionsStack; customer: Customer; ana: CustomerUser } {
    const customer = new Customer(stack, "acme", props);
    const ana = new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    return { stack, customer, ana };
  }

  /** acme, plus a user "bo" with these roles. */
  public bo(roles: unknown, stackProps: Partial<DimensionsStackProps> = {}): void {
    const { stack, customer } = this.acme(this.stack(stackProps));
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: roles as string[] });
  }

  /** acme, plus an adopted user "agent" with these roles. */
  public agent(roles: string[], stackProps: Partial<DimensionsStackProps> = {}): void {
    const { stack, customer } = this.acme(this.stack(stackProps));
    CustomerUser.adopt(stack, "agent", { customer, email: "agent@acme.test", roles });
  }

  public csv(text: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-corpus-csv-")), "users.csv");
    fs.writeFileSync(file, text);
    return file;
  }
}

interface BadInput {
  readonly name: string;
  readonly code: string;
  /** Construct path named by the error (for an acknowledgement or bundle: its scope or bundle). */
  readonly path: string;
  readonly build: (f: Fixture) => void;
}

const pbx = customerProps().pbx;
const token = () => Lazy.stringValue({ produce: () => "late" });

const CORPUS: BadInput[] = [
  // C1: customer fields
  { name: "C1: a name of 101 characters", code: "CustomerFieldInvalid", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ name: "x".repeat(101) })) },
  { name: "C1: an empty description", code: "CustomerFieldInvalid", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ description: " " })) },
  { name: "C1: a name that is not a string", code: "CustomerFieldInvalid", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ name: 42 as never })) },
  { name: "C1: a reference of 201 characters", code: "CustomerFieldInvalid", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ reference: "R".repeat(201) })) },
  { name: "C1/C2: a reference that is a token", code: "CustomerFieldInvalid", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ reference: token() })) },
  { name: "C1: a timezone that is not IANA", code: "InvalidTimezone", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ timezone: "Mars/Olympus_Mons" })) },
  { name: "C1: a country code that is a country name", code: "InvalidCountryCode", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ countryCode: "FRANCE" })) },
  { name: "C1: no PBX details", code: "PbxDetailsMissing", path: "stack/acme", build: (f) => f.acme(f.stack(), { ...customerProps(), pbx: undefined as never }) },
  { name: "C1: an empty PBX REST host", code: "PbxDetailsMissing", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ pbx: { ...pbx, hostRest: "" } })) },
  { name: "C1: a referenced customer with an empty reference", code: "CustomerFieldInvalid", path: "stack/acme", build: (f) => Customer.fromReference(f.stack(), "acme", "") },
  // C2: references
  {
    name: "C2: the same reference declared twice",
    code: "DuplicateCustomerReference",
    path: "stack/again",
    build: (f) => {
      const { stack } = f.acme();
      Customer.fromReference(stack, "again", "ACME-001");
    },
  },
  { name: "C2: a reference with a Terraform template sequence", code: "TemplateSequenceInKey", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ reference: "ACME-${var.x}" })) },
  // C4: secrets
  { name: "C4: the Kazoo key itself instead of a variable name", code: "SecretInConfiguration", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ pbx: { ...pbx, apiKeyEnv: "sk_live_4eC39HqLyjWDarjtT1zdp7dc" } })) },
  { name: "C4: an apiKeyEnv with spaces", code: "InvalidApiKeyEnv", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ pbx: { ...pbx, apiKeyEnv: "acme kazoo key" } })) },
  { name: "C4: an apiKeyEnv that is a token", code: "InvalidApiKeyEnv", path: "stack/acme", build: (f) => f.acme(f.stack(), customerProps({ pbx: { ...pbx, apiKeyEnv: token() } })) },
  // C6 and the stack's settings
  { name: "C6: an owned customer without the charges opt-in", code: "ChargesNotAccepted", path: "stack", build: (f) => f.acme(f.stack({ acceptCharges: false })) },
  {
    name: "U9: a licensed role without the charges opt-in",
    code: "ChargesNotAccepted",
    path: "stack",
    build: (f) => {
      const stack = f.stack({ acceptCharges: false });
      new CustomerUser(stack, "bo", { customer: Customer.fromReference(stack, "acme", "ACME-001"), email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.UC_CLIENT] });
    },
  },
  { name: "C6: acceptCharges as a string", code: "InvalidStackSettings", path: "stack", build: (f) => f.stack({ acceptCharges: "yes" as never }) },
  { name: "C6: acceptCharges missing", code: "InvalidStackSettings", path: "stack", build: (f) => new DimensionsStack(f.app, "stack", {} as never) },
  { name: "an unknown region", code: "InvalidStackSettings", path: "stack", build: (f) => f.stack({ region: "mars" as never }) },
  { name: "both region and apiUrl", code: "InvalidStackSettings", path: "stack", build: (f) => f.stack({ region: "eu", apiUrl: "https://api.example.test" }) },
  { name: "an apiUrl that is not http(s)", code: "InvalidStackSettings", path: "stack", build: (f) => f.stack({ apiUrl: "ftp://api.example.test" }) },
  { name: "an unsupported resource type", code: "InvalidStackSettings", path: "stack", build: (f) => f.stack({ resourceType: "aws_instance" as never }) },
  // U1: users
  { name: "U1: an empty e-mail", code: "UserFieldInvalid", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: "", displayName: "Bo", roles: [] }); } },
  { name: "U1: an e-mail without @", code: "UserFieldInvalid", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: "bo.acme.test", displayName: "Bo", roles: [] }); } },
  { name: "U1: an e-mail that is a number", code: "UserFieldInvalid", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: 42 as never, displayName: "Bo", roles: [] }); } },
  { name: "U1: an e-mail that is a token", code: "UserFieldInvalid", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: token(), displayName: "Bo", roles: [] }); } },
  { name: "U1: a display name of 101 characters", code: "UserFieldInvalid", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "B".repeat(101), roles: [] }); } },
  { name: "U1: a declared user without a display name", code: "UserFieldInvalid", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: undefined as never, roles: [] }); } },
  { name: "U1: the same e-mail twice, in another case", code: "DuplicateUserEmail", path: "stack/ana2", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "ana2", { customer, email: "ANA@acme.test", displayName: "Ana 2", roles: [Role.WEBSITE_ACCESS] }); } },
  // U2: adopted users
  { name: "U2: an adopted user with removal policy DELETE", code: "AdoptedUserDeleteForbidden", path: "stack/rec", build: (f) => { const { stack, customer } = f.acme(); CustomerUser.adopt(stack, "rec", { customer, email: "rec@acme.test", roles: [], removalPolicy: UserRemovalPolicy.DELETE }); } },
  { name: "a removal policy that is not one", code: "UserFieldInvalid", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [], removalPolicy: "nuke" as never }); } },
  // U3–U8, U10, U12, U13: roles
  { name: "U3: user.admin without customer.user", code: "AdminWithoutWebsiteAccess", path: "stack/bo", build: (f) => f.bo([Role.MANAGE_USERS]) },
  {
    name: "U4: an owned customer whose only users are not admins",
    code: "AdministratorRequired",
    path: "stack/acme",
    build: (f) => {
      const stack = f.stack();
      const customer = new Customer(stack, "acme", customerProps());
      new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    },
  },
  {
    name: "U5: users of a customer whose admin is not marked primary (no grant is applied first)",
    code: "PrimaryAdminMissing",
    path: "stack/acme",
    build: (f) => {
      const stack = f.stack();
      const customer = new Customer(stack, "acme", customerProps());
      new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] });
      new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    },
  },
  { name: "U7: a supervisor without website access", code: "RolePrerequisiteMissing", path: "stack/bo", build: (f) => f.bo([Role.REPORTS_SUPERVISOR]) },
  { name: "U7: workspace admin without customer settings", code: "RolePrerequisiteMissing", path: "stack/bo", build: (f) => f.bo([Role.WEBSITE_ACCESS, Role.WORKSPACE_ADMINISTRATOR]) },
  { name: "U7: the vendor's misspelling admin.user", code: "UnknownRole", path: "stack/bo", build: (f) => f.bo([Role.WEBSITE_ACCESS, "admin.user"]) },
  { name: "U7: roles given as a string, not a list", code: "UnknownRole", path: "stack/bo", build: (f) => f.bo("customer.user") },
  { name: "U7: a role that is a token", code: "UnknownRole", path: "stack/bo", build: (f) => f.bo([token()]) },
  { name: "U7: a role that is a number", code: "UnknownRole", path: "stack/bo", build: (f) => f.bo([42]) },
  { name: "U8: two supervisor levels", code: "ExclusiveRoleConflict", path: "stack/bo", build: (f) => f.bo([Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR, Role.INSIGHTS_SUPERVISOR]) },
  { name: "U10: customer.user.pbx in the UK", code: "RoleUnavailableInRegion", path: "stack/agent", build: (f) => f.agent([Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER], { region: "uk" }) },
  { name: "U10: customer.user.uc.essential outside the UK", code: "RoleUnavailableInRegion", path: "stack/agent", build: (f) => f.agent([Role.WEBSITE_ACCESS, Role.ESSENTIAL_USER_UK], { region: "na" }) },
  { name: "U12: the ACD add-on without the essential user role", code: "RolePrerequisiteMissing", path: "stack/agent", build: (f) => f.agent([Role.WEBSITE_ACCESS, Role.AGENT_USER_ADD_ON]) },
  { name: "U13: the read-only Teams role", code: "ReadOnlyRole", path: "stack/bo", build: (f) => f.bo([Role.WEBSITE_ACCESS, Role.MICROSOFT_TEAMS_USER]) },
  { name: "U13: the read-only Teams role through addRoles", code: "ReadOnlyRole", path: "stack/ana", build: (f) => f.acme().ana.addRoles(Role.MICROSOFT_TEAMS_USER) },
  // H1: the primary admin
  { name: "H1: an owned customer without a primary admin", code: "PrimaryAdminMissing", path: "stack/acme", build: (f) => { const stack = f.stack(); const customer = new Customer(stack, "acme", customerProps()); new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] }); } },
  { name: "H1: two primary admins", code: "MultiplePrimaryAdmins", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [...ADMIN], primaryAdmin: true }); } },
  { name: "H1: a primary admin that is not an admin", code: "PrimaryAdminNotAdmin", path: "stack/ana", build: (f) => { const stack = f.stack(); const customer = new Customer(stack, "acme", customerProps()); new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS], primaryAdmin: true }); new CustomerUser(stack, "it", { customer, email: "it@acme.test", displayName: "IT", roles: [...ADMIN] }); } },
  // H2: bundles and templates
  { name: "H2: a bundle with an unknown role", code: "UnknownRole", path: "RoleBundle(typo)", build: () => RoleBundle.of("typo", [Role.WEBSITE_ACCESS, "customer.supervisor"]) },
  { name: "H2: an empty bundle", code: "InvalidRoleBundle", path: "RoleBundle(empty)", build: () => RoleBundle.of("empty", []) },
  { name: "H2: a bundle name with spaces", code: "InvalidRoleBundle", path: "RoleBundle(Team Lead)", build: () => RoleBundle.of("Team Lead", [Role.WEBSITE_ACCESS]) },
  { name: "H2: a template that is a customer", code: "InvalidRoleTemplate", path: "stack/bo", build: (f) => { const { stack, customer } = f.acme(); new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [], rolesFrom: customer as never }); } },
  {
    name: "H2: two users copying each other's roles",
    code: "RoleTemplateCycle",
    path: "stack/bo",
    build: (f) => {
      const { stack, customer } = f.acme();
      const bo = new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
      const cy = new CustomerUser(stack, "cy", { customer, email: "cy@acme.test", displayName: "Cy", roles: [], rolesFrom: bo });
      bo.copyRolesFrom(cy);
    },
  },
  // RoleAssignment
  { name: "a RoleAssignment without roles", code: "InvalidRoleAssignment", path: "stack/none", build: (f) => { const { stack, customer, ana } = f.acme(); new RoleAssignment(stack, "none", { customer, roles: [], users: [ana] }); } },
  { name: "a RoleAssignment whose users is not a list", code: "InvalidRoleAssignment", path: "stack/bad", build: (f) => { const { stack, customer } = f.acme(); new RoleAssignment(stack, "bad", { customer, roles: [Role.SILENT_MONITOR], users: "ana@acme.test" as never }); } },
  {
    name: "a RoleAssignment naming a user of another customer",
    code: "InvalidRoleAssignment",
    path: "stack/cross",
    build: (f) => {
      const { stack, ana } = f.acme();
      new RoleAssignment(stack, "cross", { customer: Customer.fromReference(stack, "beta", "BETA-001"), roles: [Role.SILENT_MONITOR], users: [ana] });
    },
  },
  // Runtime guard rails
  { name: "create_before_destroy on the resource that applies a user", code: "CreateBeforeDestroyForbidden", path: "stack/acme/Default", build: (f) => f.acme().ana.resource.addOverride("lifecycle.create_before_destroy", true) },
  { name: "a user in another stack than its customer", code: "CrossStackReference", path: "two/bo", build: (f) => { const { customer } = f.acme(); new CustomerUser(f.stack({}, "two"), "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] }); } },
  { name: "a customer in a plain TerraformStack", code: "NotInDimensionsStack", path: "plain/acme", build: (f) => new Customer(new TerraformStack(f.app, "plain"), "acme", customerProps()) },
  // Acknowledgements
  { name: "acknowledging a U7 error", code: "AcknowledgementNotAllowed", path: "stack", build: (f) => Acknowledgements.of(f.stack()).add({ code: "RolePrerequisiteMissing", reason: "we will add it later" }) },
  { name: "an acknowledgement with a 3-character reason", code: "AcknowledgementInvalid", path: "stack", build: (f) => Acknowledgements.of(f.stack()).add({ code: "AdminWithoutSupervisor", reason: "wip" }) },
  { name: "an acknowledgement expiring 'tomorrow'", code: "AcknowledgementInvalid", path: "stack", build: (f) => Acknowledgements.of(f.stack()).add({ code: "AdminWithoutSupervisor", reason: "IT admins never run reports", expires: "tomorrow" }) },
  { name: "an acknowledgement of an unknown rule", code: "AcknowledgementInvalid", path: "stack", build: (f) => Acknowledgements.of(f.stack()).add({ rule: "X42", reason: "IT admins never run reports" }) },
  { name: "an expired acknowledgement", code: "AcknowledgementExpired", path: "stack/ana", build: (f) => Acknowledgements.of(f.acme().ana).add({ code: "AdminWithoutSupervisor", reason: "IT admins never run reports", expires: "2025-08-31" }) },
  // H6: malformed CSVs (CustomerUsersFromCsv)
  { name: "H6: a CSV file that does not exist", code: "CsvFileInvalid", path: "stack/users", build: (f) => { const { stack, customer } = f.acme(); new CustomerUsersFromCsv(stack, "users", { customer, file: "/nonexistent/users.csv" }); } },
  { name: "H6: a CSV with a role cell that is not TRUE/FALSE", code: "CsvRowsInvalid", path: "stack/users", build: (f) => { const { stack, customer } = f.acme(); new CustomerUsersFromCsv(stack, "users", { customer, file: f.csv("email,displayName,customer.user\nbo@acme.test,Bo,maybe\n") }); } },
  { name: "H6: a CSV with an unknown role column", code: "CsvRowsInvalid", path: "stack/users", build: (f) => { const { stack, customer } = f.acme(); new CustomerUsersFromCsv(stack, "users", { customer, file: f.csv("email,displayName,customer.superuser\nbo@acme.test,Bo,TRUE\n") }); } },
];

/** One line per error, `[<path>] <Code> [<rule>]: …`: of the DimensionsError a constructor throws, else of app.synth(). */
function errorsOf(c: BadInput, f = new Fixture()): { thrown: boolean; errors: string[] } {
  const lines = (message: string) => message.split("\n").filter((l) => /^\[[^\]]*\] \w+ \[[^\]]+\]: /.test(l));
  try {
    c.build(f);
  } catch (e) {
    return { thrown: true, errors: lines((e as Error).message) };
  }
  try {
    f.app.synth();
  } catch (e) {
    return { thrown: false, errors: lines((e as Error).message) };
  }
  return { thrown: false, errors: [] };
}

test("the corpus holds at least 40 invalid configurations, each named once", () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(40);
  expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test.each(CORPUS.map((c) => [c.name, c] as const))("%s is refused with its code and construct path, and nothing else (one mistake, one error)", (_name, c) => {
  const { thrown, errors } = errorsOf(c);
  expect(thrown).toBe(c.code === "NotInDimensionsStack" || c.path.startsWith("RoleBundle("));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(new RegExp(`^\\[${escape(c.path)}\\] ${c.code} \\[`));
});

test.each(CORPUS.map((c) => [c.name, c] as const))("%s: a synth forced past its errors does not crash and writes no manifest", (_name, c) => {
  const saved = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
  process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = "true";
  try {
    const f = new Fixture();
    const { thrown, errors } = errorsOf(c, f);
    if (thrown) {
      expect(errors).toHaveLength(1);
      return;
    }
    expect(errors).toEqual([]);
    // The stack the error is about writes no manifest: its provisioners carry no digest to match.
    const failing = f.app.node.findAll().find((n) => n.node.path === c.path || n.node.path === c.path.split("/")[0]);
    const stackId = DimensionsStack.of(failing!).node.id;
    expect(fs.existsSync(path.join(f.app.outdir, "stacks", stackId, "cdk.tf.json"))).toBe(true);
    expect(fs.existsSync(path.join(f.app.outdir, "stacks", stackId, "dimensions.manifest.json"))).toBe(false);
  } finally {
    if (saved === undefined) delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    else process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = saved;
  }
});
