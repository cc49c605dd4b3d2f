/**
 * Writes an ExportPlan (./plan) as a cdktf app: main.ts, cdktf.json, package.json and, for large
 * customers, CSV files read by CustomerUsersFromCsv (H6). Pure and deterministic: the same plan and
 * header give the same bytes (customers by reference, users by e-mail, roles in catalogue order).
 */
import { BUILT_IN_BUNDLES } from "../../catalogue/bundles";
import { findRole } from "../../catalogue/roles";
import type { ExportPlan, PlannedCustomer, PlannedUser } from "./plan";
import { byCatalogue, roleConstant } from "./plan";

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

/** `1 user`, `2 users`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

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

/** One CSV file of a customer's users: a column per bundle and role used, TRUE where held. */
export function renderCsv(users: readonly PlannedUser[]): string {
  const bundles = BUILT_IN_BUNDLES.filter((b) => users.some((u) => u.bundle === b.constant));
  const roleKeys = [...new Set(users.filter((u) => !u.bundle).flatMap((u) => u.roles))];
  const roles = roleKeys.sort(byCatalogue).map((k) => findRole(k)!);
  const header = ["email", "displayName", "primaryAdmin", ...bundles.map((b) => `bundle:${b.bundleName}`), ...roles.map((r) => r.name)];
  const rows = users.map((u) => [
    u.email,
    u.displayName,
    u.primary ? "TRUE" : "",
    ...bundles.map((b) => (u.bundle === b.constant ? "TRUE" : "")),
    ...roles.map((r) => (!u.bundle && u.roles.includes(r.key) ? "TRUE" : "")),
  ]);
  return [header, ...rows].map((cells) => cells.map(csvCell).join(",")).join("\n") + "\n";
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
  const inCode = customer.csv ? customer.users.filter((u) => !csvSafe(u)) : customer.users;
  if (customer.csv) {
    for (const adopt of [false, true]) {
      const users = customer.users.filter((u) => u.adopt === adopt && csvSafe(u));
      if (users.length === 0) continue;
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
    if (inCode.length) lines.push(`// Declared here rather than in a CSV file, whose cells are trimmed: their e-mail or name has outer spaces.`);
  }
  for (const user of inCode) lines.push(...userLines(customer, user, ids.get(user)!));
  return lines;
}

function header(plan: ExportPlan, options: RenderOptions): string[] {
  const users = plan.customers.reduce((n, c) => n + c.users.length, 0);
  const adopted = plan.customers.reduce((n, c) => n + c.users.filter((u) => u.adopt).length, 0);
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
  ];
}

/** The app's files, by name (relative to the --out directory). */
export function renderApp(plan: ExportPlan, options: RenderOptions): Map<string, string> {
  const files = new Map<string, string>();
  const body: string[] = [];
  for (const customer of plan.customers) body.push(...customerLines(customer, files));
  const csvFiles = [...files.keys()].length > 0;
  const inCode = plan.customers.flatMap((c) => (c.csv ? c.users.filter((u) => !csvSafe(u)) : c.users));
  const used: Record<string, boolean> = {
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
