/**
 * `dimensions plan-summary PLAN.json [--markdown]`: what a saved plan does to the tenants, for a
 * reviewer (a pull-request comment). PLAN.json is `terraform show -json <saved plan>`. Per stack
 * and customer: users created, adopted, changed and removed with the roles each gains and loses
 * (readable names and keys) and the softphones each is assigned or loses (U14), the licensed-role
 * delta and whether charges apply, the licensed roles the server adds by itself because of the
 * change (U11, U12; the reconcile layer's predictFromCode, shared with `dimensions licenses
 * --live`) and those a removal or a destroy leaves in place, still billed. Pure over the plan: no
 * API call, so who holds a server role is known only where the code says it ("may" and "users the
 * code does not declare" otherwise).
 */
import * as fs from "node:fs";
import { Command } from "commander";
import { findRole, ROLE_CATALOGUE, type Region } from "../catalogue/roles";
import { decodeUserEntry, EMAIL_KINDS, removalOf, type UserEntry } from "../contracts/handler";
import { describeSoftphone, type Softphone } from "../contracts/softphones";
import { EMAIL_NAMES, emailKey, predictFromCode, sameEntry, type PlannedTenant, type ServerGrant, type StillBilled } from "../reconcile";
import { execute, withAction, type CommandIo } from "./command-line";

interface TenantView {
  readonly reference: string;
  readonly owned: boolean;
  readonly customer: Record<string, unknown>;
  readonly users: Map<string, { email: string; entry: UserEntry }>;
  readonly acceptCharges: boolean;
  readonly removalPolicy?: string;
  readonly region?: Region;
}

export interface UserChange {
  readonly email: string;
  readonly change: "created" | "adopted" | "changed" | "removed";
  readonly gains: readonly string[];
  readonly loses: readonly string[];
  /** For removals: what the removal policy does (deleted, revoked, retained). */
  readonly note?: string;
  /** H5, U14: the e-mails a changed trigger sends (src/reconcile/emails.ts decides at apply). */
  readonly emails?: readonly string[];
  /** U14: softphones the code newly declares for the user (absent when none). */
  readonly assigns?: readonly Softphone[];
  /** U14: softphones the code declared and no longer does, the user's leaving included (absent when none). */
  readonly unassigns?: readonly Softphone[];
}

export interface CustomerSummary {
  readonly stack: string;
  readonly reference: string;
  readonly change: "created" | "changed" | "removed" | "replaced";
  readonly settings: readonly string[];
  readonly users: readonly UserChange[];
  readonly licensedBefore: number;
  readonly licensedAfter: number;
  readonly chargesApply: boolean;
  /** One line per server grant: `U11: the server will add …`. */
  readonly sideEffects: readonly string[];
  /** Licensed roles the server adds by itself because of the change (U11, U12). */
  readonly serverGrants: readonly ServerGrant[];
  /** Licensed roles this change's removals (or the destroy) leave in place: still billed. */
  readonly stillBilled: readonly StillBilled[];
}

export interface PlanSummary {
  readonly customers: readonly CustomerSummary[];
  /** Customers and requests leaving the code, from the inventory. */
  readonly leaving: readonly string[];
  readonly accessRequests: readonly string[];
}

type Json = Record<string, unknown>;

function payloadOf(values: unknown): { t: Json; i: Json } | undefined {
  if (!values || typeof values !== "object") return undefined;
  const v = values as Json;
  // terraform_data's triggers_replace or null_resource's triggers: `{ t, i }`, each JSON text (or,
  // in a state written before they were text, objects).
  const pair = (v.triggers_replace ?? v.triggers) as Json | undefined;
  if (!pair || typeof pair !== "object" || !("t" in pair) || !("i" in pair)) return undefined;
  const t = jsonPart(pair.t);
  const i = jsonPart(pair.i);
  return t && i ? { t, i } : undefined;
}

function jsonPart(value: unknown): Json | undefined {
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === "object" ? (value as Json) : undefined;
}

function tenantOf(p: { t: Json; i: Json } | undefined): TenantView | undefined {
  if (!p || p.i.kind !== "tenant") return undefined;
  const customer = (p.t.customer ?? {}) as Json;
  const users = new Map<string, { email: string; entry: UserEntry }>();
  for (const [email, rendered] of Object.entries((p.t.users ?? {}) as Record<string, unknown>)) {
    const entry = typeof rendered === "string" ? decodeUserEntry(rendered) : (rendered as UserEntry);
    if (entry) users.set(emailKey(email), { email, entry });
  }
  const settings = (p.i.settings ?? {}) as Json;
  return {
    reference: String(customer.reference),
    owned: p.i.owned === true,
    customer,
    users,
    acceptCharges: settings.acceptCharges === true,
    removalPolicy: p.i.removalPolicy as string | undefined,
    region: settings.region as Region | undefined,
  };
}

const licensed = (roles: readonly string[]) => roles.filter((r) => findRole(r)?.licensed);
const countLicensed = (t: TenantView | undefined) => [...(t?.users.values() ?? [])].reduce((n, u) => n + licensed(u.entry.roles).length, 0);

function planned(t: TenantView | undefined): PlannedTenant | undefined {
  if (!t) return undefined;
  const sync = t.customer.syncAcdAgentWithPbx;
  return { users: t.users, owned: t.owned, ...(typeof sync === "boolean" ? { syncAcdAgentWithPbx: sync } : {}), ...(t.removalPolicy ? { removalPolicy: t.removalPolicy } : {}) };
}

const LIST_MAX = 5;
const someUsers = (users: readonly string[]) => (users.length <= LIST_MAX ? users.join(", ") : `${users.slice(0, LIST_MAX).join(", ")} … and ${users.length - LIST_MAX} more`);

/** `U11: the server may add the licensed Real-Time Add-On (customer.user.pbx.realtime) …` */
function grantLine(g: ServerGrant): string {
  const who = [g.users.length ? `declared: ${someUsers(g.users)}` : "", g.unlisted ? "and users the code does not declare" : ""].filter(Boolean).join(" ");
  return `${g.rule}: the server ${g.certainty} add the licensed ${findRole(g.role)?.name ?? g.role} (${g.role}) — ${g.why}${who ? ` (${who})` : ""}`;
}

function stillBilledLine(b: StillBilled): string {
  const who = [b.users.length ? someUsers(b.users) : "", b.unlisted ? "users the code does not declare" : ""].filter(Boolean).join(", ");
  return `${b.rule}: ${b.certainty === "will" ? "" : "may be "}still billed: ${b.roles.join(", ")}${who ? ` for ${who}` : ""} — ${b.why}`;
}

const phoneKey = (s: Softphone) => `${s.device}:${s.clientType}`;
/** The declared softphones of `a` that `b` does not declare (a client type change is one of each). */
const phonesOnlyIn = (a: UserEntry | undefined, b: UserEntry | undefined): Softphone[] => (a?.softphones ?? []).filter((s) => !(b?.softphones ?? []).some((t) => phoneKey(t) === phoneKey(s)));
function phoneChanges(before: UserEntry | undefined, after: UserEntry | undefined): Pick<UserChange, "assigns" | "unassigns"> {
  const assigns = phonesOnlyIn(after, before);
  const unassigns = phonesOnlyIn(before, after);
  return { ...(assigns.length ? { assigns } : {}), ...(unassigns.length ? { unassigns } : {}) };
}

function removalNote(entry: UserEntry): string {
  const policy = removalOf(entry);
  if (policy === "retain") return "retained (removal policy retain)";
  if (policy === "delete" && (entry.origin ?? "created") === "created" && (entry.management ?? "exact") === "exact") return "deleted (removal policy delete), unless it is on the PBX (H7: then revoked)";
  return "the roles the app manages are revoked; the user stays";
}

export function summarize(plan: unknown): PlanSummary {
  const changes = ((plan as Json)?.resource_changes ?? []) as Array<{ address: string; change: { actions: string[]; before: unknown; after: unknown } }>;
  const customers: CustomerSummary[] = [];
  const leaving: string[] = [];
  const accessRequests: string[] = [];
  let stack = "";
  for (const c of changes) {
    const p = payloadOf(c.change.after) ?? payloadOf(c.change.before);
    if (p?.i.kind === "stack") stack = String(p.t.stack);
  }
  for (const c of changes) {
    const actions = c.change.actions;
    if (actions.length === 1 && (actions[0] === "no-op" || actions[0] === "read")) continue;
    const beforeP = payloadOf(c.change.before);
    const afterP = payloadOf(c.change.after);
    const kind = (afterP ?? beforeP)?.i.kind;
    if (kind === "inventory") {
      const before = ((beforeP?.t.objects ?? {}) as Record<string, Json>);
      const after = ((afterP?.t.objects ?? {}) as Record<string, Json>);
      for (const [key, record] of Object.entries(before)) {
        if (key in after) continue;
        if (record.kind === "customer") leaving.push(`customer ${String(record.reference)} leaves the code: removal policy ${String(record.removalPolicy)}`);
        else if (record.kind === "referenced-customer") leaving.push(`referenced customer ${String(record.reference)} leaves the code: the roles the app granted its users are taken back`);
        else leaving.push(`access request ${String(record.name)} leaves the code: withdrawn, access through it ends`);
      }
      continue;
    }
    if (kind === "access-request") {
      const name = String((afterP ?? beforeP)!.t.name);
      const same = beforeP && afterP && JSON.stringify(beforeP.t) === JSON.stringify(afterP.t);
      accessRequests.push(!beforeP ? `access request ${name}: sent` : !afterP ? `access request ${name}: removed` : same ? `access request ${name}: kept` : `access request ${name}: changed — withdrawn and sent again; every tenant must grant it again`);
      continue;
    }
    if (kind !== "tenant") continue;
    const before = tenantOf(beforeP);
    const after = tenantOf(afterP);
    const users: UserChange[] = [];
    for (const [key, u] of after?.users ?? []) {
      const old = before?.users.get(key);
      if (!old) {
        const adopted = u.entry.origin === "adopted" || u.entry.management === "additive";
        users.push({ email: u.email, change: adopted ? "adopted" : "created", gains: [...u.entry.roles].sort(), loses: [], ...phoneChanges(undefined, u.entry) });
      } else if (!sameEntry(old.entry, u.entry)) {
        // Only a changed trigger on a user already applied sends (never a new user's, never on -replace).
        const emails = EMAIL_KINDS.filter((k) => u.entry[k] !== undefined && u.entry[k] !== old.entry[k]).map((k) => `sends the ${EMAIL_NAMES[k]} (${k}=${u.entry[k]})`);
        users.push({
          email: u.email,
          change: "changed",
          gains: u.entry.roles.filter((r) => !old.entry.roles.includes(r)).sort(),
          loses: old.entry.roles.filter((r) => !u.entry.roles.includes(r)).sort(),
          ...(emails.length ? { emails } : {}),
          ...phoneChanges(old.entry, u.entry),
        });
      }
    }
    for (const [key, u] of before?.users ?? []) {
      if (after?.users.has(key)) continue;
      const phones = removalOf(u.entry) === "retain" ? {} : phoneChanges(u.entry, undefined);
      users.push({ email: u.email, change: "removed", gains: [], loses: [...u.entry.roles].sort(), note: removalNote(u.entry), ...phones });
    }
    users.sort((a, b) => a.email.localeCompare(b.email));
    const settings: string[] = [];
    if (before && after) {
      for (const k of new Set([...Object.keys(before.customer), ...Object.keys(after.customer)])) {
        if (JSON.stringify(before.customer[k]) !== JSON.stringify(after.customer[k])) settings.push(`${k}: ${JSON.stringify(before.customer[k] ?? null)} → ${JSON.stringify(after.customer[k] ?? null)}`);
      }
    }
    const prediction = predictFromCode(planned(before), planned(after), (after ?? before)!.region);
    const sideEffects = prediction.grants.map(grantLine);
    const licensedBefore = countLicensed(before);
    // Priced like any licensed role: what the server certainly adds to users the code names.
    const licensedAfter = countLicensed(after) + prediction.grants.filter((g) => g.certainty === "will").reduce((n, g) => n + g.users.length, 0);
    const reference = (after ?? before)!.reference;
    const change = !before ? "created" : !after ? "removed" : users.length || settings.length ? "changed" : "replaced";
    customers.push({
      stack,
      reference,
      change,
      settings,
      users,
      licensedBefore,
      licensedAfter,
      chargesApply: (!before && (after?.owned ?? false)) || licensedAfter > licensedBefore || sideEffects.length > 0,
      sideEffects,
      serverGrants: prediction.grants,
      stillBilled: prediction.stillBilled,
    });
  }
  customers.sort((a, b) => a.reference.localeCompare(b.reference));
  return { customers, leaving, accessRequests };
}

const ORDER = new Map(ROLE_CATALOGUE.map((r, i) => [r.key, i]));
const named = (roles: readonly string[]) => [...roles].sort((a, b) => (ORDER.get(a) ?? 99) - (ORDER.get(b) ?? 99)).map((r) => `${findRole(r)?.name ?? r} (\`${r}\`)`);

/** U14: a softphone in the gains and loses columns. */
const phones = (list: readonly Softphone[] | undefined) => (list ?? []).map((s) => `softphone ${describeSoftphone(s)}`);

export function renderSummary(summary: PlanSummary, markdown: boolean): string[] {
  const out: string[] = [];
  const code = (s: string) => (markdown ? `\`${s}\`` : s);
  const strip = (s: string) => (markdown ? s : s.replace(/`/g, ""));
  if (markdown) out.push("### Dimensions: what this plan does to the tenants", "");
  if (!summary.customers.length && !summary.leaving.length && !summary.accessRequests.length) out.push("No change to any tenant.");
  for (const c of summary.customers) {
    const delta = c.licensedAfter - c.licensedBefore;
    const licence = `licensed role grants ${c.licensedBefore} → ${c.licensedAfter} (${delta >= 0 ? "+" : ""}${delta})${c.chargesApply ? ", charges apply" : ""}`;
    out.push(markdown ? `#### Customer ${code(c.reference)}${c.stack ? ` (stack ${code(c.stack)})` : ""}: ${c.change}` : `customer ${c.reference}${c.stack ? ` (stack ${c.stack})` : ""}: ${c.change}; ${licence}`);
    if (markdown) out.push("", licence, "");
    for (const s of c.settings) out.push(markdown ? `- setting ${s}` : `  setting ${s}`);
    if (c.users.length) {
      if (markdown) out.push("| user | change | gains | loses |", "|---|---|---|---|");
      for (const u of c.users) {
        const gains = [...named(u.gains), ...phones(u.assigns)].join(", ");
        const loses = [...named(u.loses), ...phones(u.unassigns)].join(", ");
        const change = [u.note ? `${u.change}: ${u.note}` : u.change, ...(u.emails ?? [])].join("; ");
        out.push(markdown ? `| ${code(u.email)} | ${change} | ${gains || "–"} | ${loses || "–"} |` : `  ${u.email}: ${change}${gains ? `; gains ${strip(gains)}` : ""}${loses ? `; loses ${strip(loses)}` : ""}`);
      }
      if (markdown) out.push("");
    } else if (c.change === "replaced") {
      out.push(markdown ? "- no user changes (a `-replace` or taint: every declared user is read and converged; nobody is removed)" : "  no user changes (-replace or taint: every declared user is read and converged; nobody is removed)");
    }
    for (const e of c.sideEffects) out.push(markdown ? `- ⚠ ${e}` : `  server side effect: ${e}`);
    for (const b of c.stillBilled) out.push(markdown ? `- ⚠ ${stillBilledLine(b)}` : `  ${stillBilledLine(b)}`);
    if (markdown) out.push("");
  }
  for (const l of [...summary.leaving, ...summary.accessRequests]) out.push(markdown ? `- ${l}` : l);
  return out;
}

interface Options {
  readonly markdown?: boolean;
  readonly json?: boolean;
}

export function planSummaryCommand(io: CommandIo): Command {
  const command = new Command("plan-summary")
    .summary("what a saved terraform plan does to the tenants (users, roles, licences, side effects), for a review")
    .description(
      "Reads PLAN.json, the output of `terraform show -json <saved plan>`, and prints per customer the users created, adopted, changed and removed with the roles and softphones each gains and loses, the licensed-role delta and whether charges apply, " +
        "the licensed roles the server adds by itself (U11, U12) and those a removal or a destroy leaves in place, still billed.",
    )
    .argument("<plan-json>", "terraform show -json of a saved plan")
    .option("--markdown", "Markdown fit for a pull-request comment")
    .option("--json", "machine-readable output");
  // With an argument, commander passes it first: the options are read from the command.
  return withAction(command, () => {
    const values = command.opts<Options>();
    const file = command.args[0];
    let plan: unknown;
    try {
      plan = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      io.err(`dimensions plan-summary: cannot read ${file} as JSON (${(e as Error).message}); give it the output of terraform show -json <plan>`);
      return 1;
    }
    const summary = summarize(plan);
    if (values.json) io.out(JSON.stringify(summary, null, 2));
    else for (const line of renderSummary(summary, values.markdown === true)) io.out(line);
    return 0;
  });
}

export function runPlanSummary(argv: string[], io: CommandIo): Promise<number> {
  return execute(planSummaryCommand(io), argv, io);
}


