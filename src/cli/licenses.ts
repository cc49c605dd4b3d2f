/**
 * `dimensions licenses [--dir cdktf.out] [--stack NAME] [--json] [--live]`: the licensed roles
 * (U9) each synthesized stack grants, per customer and role, read from the
 * `dimensions.licenses.json` every DimensionsStack writes at synth; with `--live`, the delta
 * against what the API holds now (credentials from the environment, as for the handler), so a
 * reviewer sees what applying the change will cost.
 *
 * What "after" means: the reconcile layer's prediction for the customer (src/reconcile/predict.ts)
 * — the plan the handler runs, from the stack's manifest and the live users, plus what the server
 * then does by itself: a user the code declares or adopts ends with exactly its declared roles plus
 * the server-managed ones it holds (U13: never removed); a user only named by a RoleAssignment keeps
 * what it holds and gains the assigned roles; with authoritative users (H8) every other live user
 * loses what the app can remove, otherwise it is untouched; the first supervisor level 3+ adds the
 * Real-Time Add-On to every PBX user (U11), counted like any licensed role. What cannot be known
 * before the apply is a "may": the ACD agents of U12 (only the PBX knows them), and the users the
 * PBX import brings to a customer the apply creates (C3). Removals that leave server-assigned
 * licensed roles in place are listed as still billed. Not seen: users that left the code since the
 * last apply (only the state knows them; `dimensions plan-summary` reads them from a saved plan).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { findRole, type Region } from "../catalogue/roles";
import { createClientFromEnv, type DimensionsApi } from "../client";
import { customerKey, MANIFEST_FILE, manifest as manifestSchema, type TenantDesired } from "../contracts/handler";
import { LICENSES_FILE, licenseReport, type CustomerLicenses, type LicenseReport } from "../contracts/licenses";
import { emailKey, predictTenant, type ServerGrant, type StillBilled } from "../reconcile";
import { execute, withAction } from "./command-line";
import { table } from "./table";

export interface LicensesCliDeps {
  /** One line of output (no trailing newline). */
  readonly out: (line: string) => void;
  /** Usage errors and their help (no trailing newline). @default console.error */
  readonly err?: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Builds the API client for `--live` (tests may inject one). @default createClientFromEnv */
  readonly client?: (report: LicenseReport) => DimensionsApi;
}

/** What a live user holds now. */
export interface LiveUser {
  readonly id?: string;
  readonly email: string;
  readonly roles: readonly string[];
}

export interface LiveCustomer {
  /** false: the customer does not exist yet (apply creates it). */
  readonly exists: boolean;
  readonly users: readonly LiveUser[];
  /** The live customer's syncAcdAgentWithPbx (U12). */
  readonly acdSync?: boolean;
}

export interface RoleDelta {
  readonly key: string;
  readonly name: string;
  readonly before: number;
  readonly after: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Of `added`, the users the server gives the role by itself (U11). */
  readonly byServer: readonly string[];
  /** Users the server may give the role (U12's agents), not counted in `after`. */
  readonly may: readonly string[];
  /** Users the API cannot list yet (the PBX import of a customer the apply creates) get it too, or may. */
  readonly unlisted: boolean;
}

export interface CustomerDelta {
  readonly reference: string;
  readonly exists: boolean;
  /** Licensed role grants now and after apply, over every user of the customer. */
  readonly before: number;
  readonly after: number;
  /** `after` plus what the server may add (`may` of each role). */
  readonly upTo: number;
  /** Users the API cannot list yet get licensed roles too: the totals are a lower bound. */
  readonly unlisted: boolean;
  /** What the server adds by itself because of the change (U10 import, U11, U12). */
  readonly server: readonly ServerGrant[];
  /** Licensed roles the change's removals leave in place: still billed. */
  readonly stillBilled: readonly StillBilled[];
  /** Every licensed role held before or after, in catalogue order of the report, then by key. */
  readonly roles: readonly RoleDelta[];
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The licence delta of one customer: pure, so it is tested without an API. Counts licensed roles
 * over every live user, before and after the reconcile layer's prediction for `desired`.
 */
export function customerDelta(customer: CustomerLicenses, live: LiveCustomer, desired: TenantDesired, region?: Region): CustomerDelta {
  const licensed = (roles: readonly string[]) => roles.filter((r) => findRole(r)?.licensed);
  const liveUsers = new Map(live.users.map((u) => [emailKey(u.email), { id: u.id ?? u.email, email: u.email, roles: u.roles }]));
  const prediction = predictTenant(desired, { exists: live.exists, users: liveUsers, ...(live.acdSync !== undefined ? { acdSync: live.acdSync } : {}) }, region);
  const count = (users: Iterable<{ email: string; roles: readonly string[] }>) => {
    const map = new Map<string, Set<string>>();
    for (const user of users) {
      for (const role of licensed(user.roles)) map.set(role, (map.get(role) ?? new Set<string>()).add(emailKey(user.email)));
    }
    return map;
  };
  const before = count(liveUsers.values());
  const after = count(prediction.after.values());
  const server = prediction.grants.filter((g) => findRole(g.role)?.licensed);

  const order = new Map(customer.roles.map((r, i) => [r.key, i]));
  const keys = [...new Set([...before.keys(), ...after.keys(), ...server.map((g) => g.role)])].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || byString(a, b));
  const roles = keys.map((key) => {
    const b = before.get(key) ?? new Set<string>();
    const a = after.get(key) ?? new Set<string>();
    const added = [...a].filter((e) => !b.has(e)).sort(byString);
    const grants = server.filter((g) => g.role === key);
    const byServer = new Set(grants.filter((g) => g.certainty === "will").flatMap((g) => g.users));
    return {
      key,
      name: findRole(key)?.name ?? key,
      before: b.size,
      after: a.size,
      added,
      removed: [...b].filter((e) => !a.has(e)).sort(byString),
      byServer: added.filter((e) => byServer.has(e)),
      may: [...new Set(grants.filter((g) => g.certainty === "may").flatMap((g) => g.users))].filter((e) => !a.has(e)).sort(byString),
      unlisted: grants.some((g) => g.unlisted),
    };
  });
  const afterTotal = roles.reduce((n, r) => n + r.after, 0);
  return {
    reference: customer.reference,
    exists: live.exists,
    before: roles.reduce((n, r) => n + r.before, 0),
    after: afterTotal,
    upTo: afterTotal + roles.reduce((n, r) => n + r.may.length, 0),
    unlisted: roles.some((r) => r.unlisted),
    roles,
    server,
    stillBilled: prediction.stillBilled,
  };
}

/** Reads the customer's users and their roles through the API (one list + one GET per user). */
export async function readLiveCustomer(api: DimensionsApi, reference: string): Promise<LiveCustomer> {
  const customer = (await api.findCustomersByReference(reference))[0];
  if (!customer) return { exists: false, users: [] };
  const acdSync = customer.syncAcdAgentWithPbx;
  const listed = await api.listUsers(customer.id);
  const users: LiveUser[] = [];
  // A few at a time: enough to be quick on thousands of users, polite to the API's rate limits.
  for (let i = 0; i < listed.length; i += 8) {
    const batch = await Promise.all(listed.slice(i, i + 8).map((u) => api.getUser(customer.id, u.id)));
    users.push(...batch.map((u) => ({ id: u.id, email: u.email, roles: u.roles ?? [] })));
  }
  return { exists: true, users, ...(acdSync !== undefined ? { acdSync } : {}) };
}

/** Each customer's desired state, from the stack's manifest (what the handler applies). */
export function readDesired(dir: string, stack: string): Map<string, TenantDesired> {
  const file = path.join(dir, "stacks", stack, MANIFEST_FILE);
  const parsed = manifestSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "")));
  if (!parsed.success) throw new Error(`${file} is not a manifest of this version: ${parsed.error.message}`);
  const out = new Map<string, TenantDesired>();
  for (const [key, payload] of Object.entries(parsed.data.objects)) {
    if (payload.i.kind === "tenant" && key === customerKey((payload.t as TenantDesired).customer.reference)) out.set((payload.t as TenantDesired).customer.reference, payload.t as TenantDesired);
  }
  return out;
}

/** Every report under `<dir>/stacks/*`, or the one of `stack`; sorted by stack name. */
export function readReports(dir: string, stack?: string): LicenseReport[] {
  const stacksDir = path.join(dir, "stacks");
  const names = stack !== undefined ? [stack] : fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort(byString) : [];
  const reports: LicenseReport[] = [];
  for (const name of names) {
    const file = path.join(stacksDir, name, LICENSES_FILE);
    if (!fs.existsSync(file)) {
      if (stack !== undefined) throw new Error(`no licence report for stack "${stack}" (${file}); run cdktf synth first`);
      continue;
    }
    const parsed = licenseReport.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
    if (!parsed.success) throw new Error(`${file} is not a licence report of this version: ${parsed.error.message}`);
    reports.push(parsed.data);
  }
  return reports;
}

const LIST_MAX = 8;

function emails(list: readonly string[]): string {
  return list.length <= LIST_MAX ? list.join(", ") : `${list.slice(0, LIST_MAX).join(", ")} … and ${list.length - LIST_MAX} more`;
}

function where(report: LicenseReport): string {
  const target = report.settings.apiUrl ?? `region ${report.settings.region ?? "eu"}`;
  return `${target}, charges ${report.settings.acceptCharges ? "accepted" : "NOT accepted"}`;
}

function printReport(report: LicenseReport, out: (line: string) => void): void {
  out(`stack ${report.stack} (${where(report)})`);
  if (report.customers.length === 0) out("  no customer");
  for (const customer of report.customers) {
    const holders = customer.users.filter((u) => u.licensed.length > 0).length;
    out(`  customer ${customer.reference}${customer.owned ? "" : " (referenced)"}: ${customer.grants} licensed role grant(s) to ${holders} of ${customer.users.length} managed user(s)`);
    const rows = customer.roles.map((role) => {
      const server = role.assignment === "manual" ? "" : ` [${role.assignment}: the server also assigns it]`;
      return [`${role.name} (${role.key})`, String(role.count), `${emails(role.users)}${server}`];
    });
    for (const line of table(rows, { indent: "    ", columns: [{}, { align: "right", minWidth: 4 }] })) out(line);
  }
}

/** The live delta of one customer, one role per line, then what the server does and what stays billed. */
export function printDelta(delta: CustomerDelta, out: (line: string) => void): void {
  const sign = (n: number) => (n > 0 ? `+${n}` : `${n}`);
  const upTo = delta.upTo > delta.after ? `; up to ${delta.upTo} with what the server may add` : "";
  const unlisted = delta.unlisted ? "; more for the users the PBX import brings, counted once the customer exists" : "";
  out(
    `  customer ${delta.reference}${delta.exists ? "" : " (does not exist yet: created by apply)"}: live ${delta.before} → ${delta.after} licensed role grant(s) (${sign(delta.after - delta.before)})${upTo}${unlisted}`,
  );
  const rows = delta.roles.map((role) => {
    const byServer = new Set(role.byServer);
    const byApp = role.added.filter((e) => !byServer.has(e));
    const changes = [
      byApp.length ? `+${byApp.length} ${emails(byApp)}` : "",
      role.byServer.length ? `+${role.byServer.length} by the server ${emails(role.byServer)}` : "",
      role.removed.length ? `-${role.removed.length} ${emails(role.removed)}` : "",
      role.may.length ? `may +${role.may.length} ${emails(role.may)}` : "",
      role.unlisted ? `${delta.server.some((g) => g.role === role.key && g.unlisted && g.certainty === "will") ? "+" : "may +"} users of the PBX import` : "",
    ].filter(Boolean);
    return [`${role.name} (${role.key})`, String(role.before), String(role.after), changes.join("; ") || "no change"];
  });
  for (const line of table(rows, { indent: "    ", columns: [{}, { align: "right", minWidth: 4 }, { gap: " → ", minWidth: 4 }] })) out(line);
  for (const grant of delta.server) out(`    server ${grant.rule}: ${grant.certainty === "will" ? "will" : "may"} add ${grant.role}: ${grant.why}`);
  for (const kept of delta.stillBilled) {
    const who = kept.users.length ? ` (${kept.users.length} user(s): ${emails(kept.users)})` : "";
    out(`    still billed ${kept.rule}: ${kept.roles.join(", ")}${who}: ${kept.why}`);
  }
}

export interface LicensesOptions {
  readonly dir: string;
  readonly stack?: string;
  readonly json?: boolean;
  readonly live?: boolean;
}

/** `dimensions licenses`: its options, help and action. */
export function licensesCommand(deps: LicensesCliDeps): Command {
  const command = new Command("licenses")
    .summary("licensed roles (U9) per customer and role from the last synth; --live: the delta against the API")
    .description(
      "Prints the licensed roles (U9) each synthesized stack grants, per customer and role, from the dimensions.licenses.json that every DimensionsStack writes at synth. " +
        "With --live, compares them with what the API holds now (credentials from the environment, as for terraform apply), so a reviewer sees what applying the change will cost: " +
        "the roles the server adds by itself are counted (U11's Real-Time Add-On; U12's ACD agents as a \"may\"), and removals that leave server-assigned licensed roles in place are listed as still billed.",
    )
    .option("--dir <dir>", "the synth output directory", "cdktf.out")
    .option("--stack <name>", "only this stack")
    .option("--json", "machine-readable output")
    .option("--live", "add the delta against the API, with the roles the server adds by itself (U11; U12 as a may) and what removals leave billed");
  return withAction(command, (values: LicensesOptions) => licenses(values, deps));
}

/** The command; returns the exit code (0 ok, 1 failure, 2 usage). */
export function runLicenses(argv: string[], deps: LicensesCliDeps): Promise<number> {
  return execute(licensesCommand(deps), argv, { out: deps.out, err: deps.err ?? ((line) => console.error(line)) });
}

async function licenses(values: LicensesOptions, deps: LicensesCliDeps): Promise<number> {
  const dir = path.resolve(deps.cwd, values.dir);
  // Failures go to stderr, so a --json consumer never parses an error as the report.
  const fail = deps.err ?? ((line: string) => console.error(line));
  let reports: LicenseReport[];
  try {
    reports = readReports(dir, values.stack);
  } catch (e) {
    fail(`dimensions licenses: ${(e as Error).message}`);
    return 1;
  }
  if (reports.length === 0) {
    fail(`dimensions licenses: no ${LICENSES_FILE} under ${path.join(dir, "stacks")}; run cdktf synth first (or pass --dir)`);
    return 1;
  }

  const deltas = new Map<LicenseReport, CustomerDelta[]>();
  if (values.live) {
    for (const report of reports) {
      const api = (deps.client ?? ((r: LicenseReport) => createClientFromEnv(deps.env, { region: r.settings.region, apiUrl: r.settings.apiUrl })))(report);
      const desired = readDesired(dir, report.stack);
      const list: CustomerDelta[] = [];
      for (const customer of report.customers) {
        const tenant = desired.get(customer.reference);
        if (!tenant) {
          fail(`dimensions licenses: the manifest of stack ${report.stack} has no customer ${customer.reference}; run cdktf synth again`);
          return 1;
        }
        list.push(customerDelta(customer, await readLiveCustomer(api, customer.reference), tenant, report.settings.region));
      }
      deltas.set(report, list);
    }
  }

  if (values.json) {
    const stacks = reports.map((r) => (values.live ? { ...r, live: deltas.get(r) } : r));
    deps.out(JSON.stringify({ stacks }, null, 2));
    return 0;
  }
  for (const report of reports) {
    printReport(report, deps.out);
    const list = deltas.get(report);
    if (!list) continue;
    deps.out("  live delta (what apply changes, with the roles the server adds by itself; \"may\" where only the apply can tell):");
    for (const delta of list) printDelta(delta, deps.out);
  }
  return 0;
}
