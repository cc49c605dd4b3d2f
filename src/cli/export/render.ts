/**
 * Writes an ExportPlan (./plan) as a cdktf app: main.ts, cdktf.json, package.json and, for large
 * customers, CSV files read by CustomerUsersFromCsv (H6). Pure and deterministic: the same plan and
 * header give the same bytes (customers by reference, users by e-mail, roles in catalogue order,
 * softphones by device).
 */
import { BUILT_IN_BUNDLES } from "../../catalogue/bundles";
import { findRole } from "../../catalogue/roles";
import { ClientType } from "../../constructs/softphone";
import type { Softphone } from "../../contracts/softphones";
import type { ExportPlan, PlannedCustomer, PlannedUser } from "./plan";
import { byCatalogue, count, roleConstant } from "./plan";

export interface RenderOptions {
  /** The command as it would be typed again, e.g. `dimensions export --all`. */
  readonly command: string;
  /** ISO time of the read. */
  readonly readAt: string;
  /** The API's base URL the tenants were read from. */
  readonly source: string;
  readonly region?: string;
  /** Set when the export was pointed at an explicit URL (--api-url): the stack names it. */
  readonly apiUrl?: string;
  /** The stack's name (its directory under cdktf.out/stacks). @default "customers" */
  readonly stackName?: string;
  /** Versions for package.json. */
  readonly versions: PackageVersions;
}

export interface PackageVersions {
  readonly self: string;
  readonly cdktf: string;
  readonly constructs: string;
  readonly cdktfCli: string;
  readonly tsx: string;
  readonly typescript: string;
  readonly typesNode: string;
}

export const DEFAULT_STACK_NAME = "customers";

const q = (s: string): string => JSON.stringify(s);
// Quoted at run time: a literal import line in the bundled CLI would read as a dependency of it.
const LIBRARY = "cdktf-dimensions";

export { count };

/** A cell is written as is unless CSV needs it quoted. */
function csvCell(value: string): string {
  return /[",\r\n;\t]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** CSV cells are trimmed when read (H6): a value with outer spaces would not come back the same. */
function csvSafe(user: PlannedUser): boolean {
  return user.email === user.email.trim() && user.displayName === user.displayName.trim() && user.displayName !== "";
}

function rolesCode(user: PlannedUser): string {
  if (user.bundle) return `[RoleBundle.${user.bundle}]`;
  return `[${user.roles.map((r) => `Role.${roleConstant(r)!}`).join(", ")}]`;
}

/** `ClientType` constant names by value. */
const CLIENT_TYPE_CONSTANT = new Map<string, string>(Object.entries(ClientType).map(([name, value]) => [value, name]));

function softphoneCode(s: Softphone): string {
  return `{ device: ${q(s.device)}, clientType: ClientType.${CLIENT_TYPE_CONSTANT.get(s.clientType)!} }`;
}

/** U14: the softphones the user declares (exactly), or why its devices are left alone. */
function softphoneLines(user: PlannedUser): string[] {
  if (user.softphonesUndeclared !== undefined) return [`  // softphones left undeclared: ${user.softphonesUndeclared}`];
  if (user.softphones === undefined) return [];
  if (user.softphones.length === 0) return ["  softphones: [],"];
  return ["  softphones: [", ...user.softphones.map((s) => `    ${softphoneCode(s)},`), "  ],"];
}

/** `1001:desktop 1002:mobile`: a softphones cell as CustomerUsersFromCsv reads it. */
function softphonesCell(user: PlannedUser): string {
  return (user.softphones ?? []).map((s) => `${s.device}:${s.clientType}`).join(" ");
}

function serverManagedNote(user: PlannedUser): string {
  return user.serverManaged.length ? ` // the platform's own: ${user.serverManaged.join(", ")} (U10–U13)` : "";
}

function primaryNote(customer: PlannedCustomer): string {
  const p = customer.primary!;
  const how =
    p.chosen === "option" ? "named by --primary-admin" : p.chosen === "only-admin" ? "its only admin" : `the first of its ${p.admins} admins by e-mail; --primary-admin ${customer.reference}=<e-mail> marks another`;
  return ` // H1: automation never removes it (${how})`;
}

function userLines(customer: PlannedCustomer, user: PlannedUser, id: string): string[] {
  const head = user.adopt ? `CustomerUser.adopt(${customer.variable}, ${q(id)}, {` : `new CustomerUser(${customer.variable}, ${q(id)}, {`;
  const lines = [
    ...(user.adopt ? [`// On the PBX: adopted, so automation never deletes it (H7).`] : []),
    head,
    `  customer: ${customer.variable},`,
    `  email: ${q(user.email)},`,
    `  displayName: ${q(user.displayName)},`,
    `  roles: ${rolesCode(user)},${serverManagedNote(user)}`,
    ...(user.primary ? [`  primaryAdmin: true,${primaryNote(customer)}`] : []),
    ...softphoneLines(user),
    `});`,
  ];
  return lines;
}

/** Construct ids of users: the lower-cased e-mail (as CustomerUsersFromCsv does), `/` replaced, unique. */
function userIds(users: readonly PlannedUser[]): Map<PlannedUser, string> {
  const out = new Map<PlannedUser, string>();
  const used = new Set<string>();
  for (const user of users) {
    const base = user.email.toLowerCase().replace(/\//g, "_") || "user";
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    out.set(user, id);
  }
  return out;
}

export function csvFileName(customer: PlannedCustomer, adopted: boolean): string {
  return `${customer.id}.${adopted ? "pbx-users" : "users"}.csv`;
}

/**
 * One CSV file of a customer's users: a column per bundle and role used, TRUE where held, and a
 * `softphones` column when the users declare softphones (U14). With that column every row holds
 * exactly its cell's devices, so a file has it for all its rows or none (see splitUsers).
 */
export function renderCsv(users: readonly PlannedUser[]): string {
  const bundles = BUILT_IN_BUNDLES.filter((b) => users.some((u) => u.bundle === b.constant));
  const roleKeys = [...new Set(users.filter((u) => !u.bundle).flatMap((u) => u.roles))];
  const roles = roleKeys.sort(byCatalogue).map((k) => findRole(k)!);
  const phones = users.some((u) => u.softphones !== undefined);
  const header = ["email", "displayName", "primaryAdmin", ...bundles.map((b) => `bundle:${b.bundleName}`), ...roles.map((r) => r.name), ...(phones ? ["softphones"] : [])];
  const rows = users.map((u) => [
    u.email,
    u.displayName,
    u.primary ? "TRUE" : "",
    ...bundles.map((b) => (u.bundle === b.constant ? "TRUE" : "")),
    ...roles.map((r) => (!u.bundle && u.roles.includes(r.key) ? "TRUE" : "")),
    ...(phones ? [softphonesCell(u)] : []),
  ]);
  return [header, ...rows].map((cells) => cells.map(csvCell).join(",")).join("\n") + "\n";
}

/** Why a user of a CSV customer is declared in main.ts instead. */
type InCodeReason = "spaces" | "softphones";

/**
 * A customer's users: those of each CSV file (declared, then adopted), and those declared in
 * main.ts with the reason. A cell is trimmed when read (H6), so a name or e-mail with outer spaces
 * stays in code; a file whose users declare softphones has the column, where an empty cell means
 * "none" (U14), so a user whose devices are left undeclared stays in code too.
 */
function splitUsers(customer: PlannedCustomer): { files: Array<{ adopt: boolean; users: PlannedUser[] }>; inCode: Array<{ user: PlannedUser; why?: InCodeReason }> } {
  if (!customer.csv) return { files: [], inCode: customer.users.map((user) => ({ user })) };
  const files: Array<{ adopt: boolean; users: PlannedUser[] }> = [];
  const why = new Map<PlannedUser, InCodeReason>();
  for (const u of customer.users) if (!csvSafe(u)) why.set(u, "spaces");
  for (const adopt of [false, true]) {
    const group = customer.users.filter((u) => u.adopt === adopt && !why.has(u));
    const phones = group.some((u) => u.softphones !== undefined);
    for (const u of group) if (phones && u.softphones === undefined) why.set(u, "softphones");
    const users = group.filter((u) => !why.has(u));
    if (users.length) files.push({ adopt, users });
  }
  return { files, inCode: customer.users.filter((u) => why.has(u)).map((user) => ({ user, why: why.get(user)! })) };
}

function customerLines(customer: PlannedCustomer, files: Map<string, string>): string[] {
  const adopted = customer.users.filter((u) => u.adopt).length;
  const lines: string[] = ["", `// ${customer.reference} ${q(customer.name)}: ${count(customer.users.length, "user")}${adopted ? `, ${adopted} of them on the PBX` : ""}.`];
  if (customer.owned) {
    const s = customer.settings!;
    lines.push(
      `const ${customer.variable} = new Customer(stack, ${q(customer.id)}, {`,
      `  name: ${q(s.name)},`,
      `  description: ${q(s.description)},`,
      `  reference: ${q(s.reference)},`,
      `  enabled: ${s.enabled},`,
      ...(s.timezone !== undefined ? [`  timezone: ${q(s.timezone)},`] : []),
      ...(s.countryCode !== undefined ? [`  countryCode: ${q(s.countryCode)},`] : []),
      ...(s.syncAcdAgentWithPbx !== undefined ? [`  syncAcdAgentWithPbx: ${s.syncAcdAgentWithPbx},`] : []),
      ...(s.sendNewUserEmail !== undefined ? [`  sendNewUserEmail: ${s.sendNewUserEmail},`] : []),
      ...(s.sendConnectWelcomeEmail !== undefined ? [`  sendConnectWelcomeEmail: ${s.sendConnectWelcomeEmail},`] : []),
      `  pbx: {`,
      `    hostRest: ${q(s.pbx.hostRest)},`,
      `    hostWebsocket: ${q(s.pbx.hostWebsocket)},`,
      `    accountId: ${q(s.pbx.accountId)},`,
      `    apiKeyEnv: ${q(s.pbx.apiKeyEnv)}, // C4: the NAME of the variable holding the Kazoo API key (read only to create the customer again)`,
      ...(s.pbx.monitorSubAccounts !== undefined ? [`    monitorSubAccounts: ${s.pbx.monitorSubAccounts},`] : []),
      `  },`,
      `});`,
    );
  } else {
    lines.push(
      "// Referenced, not owned: its users are declared, its settings left as they are, because",
      ...customer.referencedBecause.map((r) => `// - ${r}.`),
      `${customer.users.length ? `const ${customer.variable} = ` : ""}Customer.fromReference(stack, ${q(customer.id)}, ${q(customer.reference)});`,
    );
  }
  const ids = userIds(customer.users);
  const { files: csvFiles, inCode } = splitUsers(customer);
  if (customer.csv) {
    for (const { adopt, users } of csvFiles) {
      const file = csvFileName(customer, adopt);
      files.set(file, renderCsv(users));
      lines.push(
        adopt
          ? `// ${count(users.length, "user")} on the PBX, in ${file}: adopted, so automation never deletes them (H7).`
          : `// ${count(users.length, "user")} in ${file} (one row per user, a TRUE column per role or bundle, H6).`,
        `new CustomerUsersFromCsv(${customer.variable}, ${q(adopt ? "pbx-users" : "users")}, {`,
        `  customer: ${customer.variable},`,
        `  file: path.join(__dirname, ${q(file)}),`,
        ...(adopt ? [`  adopt: true,`] : []),
        `});`,
      );
    }
  }
  const because: Record<InCodeReason, string> = {
    spaces: "// Declared here rather than in a CSV file, whose cells are trimmed: their e-mail or name has outer spaces.",
    softphones: "// Declared here rather than in a CSV file, whose softphones cells are exact (empty: none): their devices are left undeclared.",
  };
  for (const why of [undefined, "spaces", "softphones"] as const) {
    const users = inCode.filter((u) => u.why === why);
    if (why && users.length) lines.push(because[why]);
    for (const { user } of users) lines.push(...userLines(customer, user, ids.get(user)!));
  }
  return lines;
}

function header(plan: ExportPlan, options: RenderOptions): string[] {
  const all = plan.customers.flatMap((c) => c.users);
  const users = all.length;
  const adopted = all.filter((u) => u.adopt).length;
  const declared = all.some((u) => u.softphones !== undefined);
  const unreported = all.filter((u) => u.softphones === undefined && u.softphonesUndeclared === undefined).length;
  const undeclared = all.filter((u) => u.softphonesUndeclared !== undefined).length;
  const softphones = [
    ...(declared
      ? [
          "// - Softphones (U14): each user's PBX devices as the API reported them, `softphones: []` for",
          "//   none. The code holds them exactly: a device assigned outside it is unassigned when the",
          "//   user next changes.",
        ]
      : []),
    ...(undeclared ? [`// - The devices of ${count(undeclared, "user")} could not be declared (U7/U14), so the app leaves them alone: the user's block says why.`] : []),
    ...(unreported
      ? [`// - The API did not report the PBX devices of ${count(unreported, "user")}: their softphones are left`, "//   undeclared, and the app leaves their devices alone (U14)."]
      : []),
  ];
  return [
    `// Generated by \`${options.command}\` at ${options.readAt}`,
    `// from ${options.source}: ${count(plan.customers.length, "customer")}, ${count(users, "user")} (${adopted} on the PBX).`,
    "//",
    "// It declares the tenants as they were read: applying it unchanged sends no write request, and a",
    "// second plan is empty. Review it, commit it, and change the tenants through it from now on.",
    "// - Roles the platform assigns, synchronises or keeps read-only (U10–U13: Essential User,",
    "//   Real-Time Add-On, Agent User Add-On, Microsoft Teams User) are left out: the platform keeps",
    "//   them, and the app never fights them.",
    "// - Users on the PBX are adopted: automation never deletes them (H7). The other users are",
    "//   declared: removing one from the code deletes it.",
    "// - A customer's PBX API key is read from the variable its apiKeyEnv names, only to create the",
    "//   customer again (C4); the key itself is never written here.",
    ...softphones,
  ];
}

/** The app's files, by name (relative to the --out directory). */
export function renderApp(plan: ExportPlan, options: RenderOptions): Map<string, string> {
  const files = new Map<string, string>();
  const body: string[] = [];
  for (const customer of plan.customers) body.push(...customerLines(customer, files));
  const csvFiles = [...files.keys()].length > 0;
  const inCode = plan.customers.flatMap((c) => splitUsers(c).inCode.map((x) => x.user));
  const used: Record<string, boolean> = {
    ClientType: inCode.some((u) => (u.softphones?.length ?? 0) > 0),
    Customer: plan.customers.length > 0,
    CustomerUser: inCode.length > 0,
    CustomerUsersFromCsv: csvFiles,
    DimensionsStack: true,
    Role: inCode.some((u) => !u.bundle && u.roles.length > 0),
    RoleBundle: inCode.some((u) => u.bundle !== undefined),
  };
  const names = Object.keys(used).filter((n) => used[n]);
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const target = options.apiUrl !== undefined ? `  apiUrl: ${q(options.apiUrl)},` : `  region: ${q(options.region ?? "eu")},`;
  const main = [
    ...header(plan, options),
    ...(csvFiles ? ['import * as path from "node:path";'] : []),
    'import { App } from "cdktf";',
    `import { ${names.join(", ")} } from ${JSON.stringify(LIBRARY)};`,
    "",
    "const app = new App();",
    `const stack = new DimensionsStack(app, ${q(stackName)}, {`,
    target,
    "  // C6: the customers and licensed roles below exist already, so applying this app unchanged",
    "  // costs nothing; creating a customer again, or granting a licensed role, would.",
    "  acceptCharges: true,",
    "});",
    ...body,
    "",
    "app.synth();",
    "",
  ].join("\n");
  files.set("main.ts", main);
  files.set("cdktf.json", JSON.stringify({ language: "typescript", app: "npx tsx main.ts", sendCrashReports: "false" }, null, 2) + "\n");
  const v = options.versions;
  const pkg = {
    name: "dimensions-tenants",
    version: "1.0.0",
    private: true,
    description: `Dimensions tenants as code, exported by ${options.command}`,
    scripts: { synth: "cdktf synth", typecheck: "tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 main.ts" },
    dependencies: { "cdktf-dimensions": v.self, cdktf: v.cdktf, constructs: v.constructs },
    devDependencies: { "@types/node": v.typesNode, "cdktf-cli": v.cdktfCli, tsx: v.tsx, typescript: v.typescript },
  };
  files.set("package.json", JSON.stringify(pkg, null, 2) + "\n");
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
