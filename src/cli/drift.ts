/**
 * `dimensions drift [--dir cdktf.out] [--stack NAME] [--json]`: what the live tenants hold that
 * the code does not say, and the reverse — through the reconcile layer, as a `-replace` of the
 * customer's resource would converge it (every declared user read live; with authoritative users,
 * H8, every other user too). Exit 0 when there is none, 2 when there is, 1 on error; prints the
 * terraform command that converges (a `-replace` is safe: it removes nobody and no role the code
 * keeps, README "What each Terraform operation does to the tenant").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { createClientFromEnv, type DimensionsApi } from "../client";
import type { Customer } from "../contracts/api";
import { customerKey, MANIFEST_FILE, manifest as manifestSchema, type CustomerDesired, type TenantPayload } from "../contracts/handler";
import { desiredUsers, devicesToRead, emailKey, liveUserOf, planCustomer, planUsers, roleDiff, usersToRead, type LiveUser, type UserPlanInput } from "../reconcile";
import { execute, withAction, type CommandIo } from "./command-line";

export interface DriftCliDeps extends CommandIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Builds the API client of a stack (tests may inject one). @default createClientFromEnv */
  readonly client?: (settings: TenantPayload["i"]["settings"]) => DimensionsApi;
}

/** One difference between the code and the live tenant. */
export interface DriftItem {
  readonly user?: string;
  /** What the live tenant differs by, from the code's point of view. */
  readonly kind: "customer-missing" | "customer-settings" | "user-missing" | "user-roles" | "user-name" | "user-undeclared" | "user-leaves" | "user-not-found" | "user-softphones";
  readonly detail: string;
}

export interface CustomerDrift {
  readonly stack: string;
  readonly reference: string;
  /** The tenant resource's address in its stack (what -replace names). */
  readonly address: string;
  readonly items: readonly DriftItem[];
}

interface DriftOptions {
  readonly dir: string;
  readonly stack?: string;
  readonly json?: boolean;
}

export function driftCommand(deps: DriftCliDeps): Command {
  const command = new Command("drift")
    .summary("what the live tenants hold that the code does not say, and the reverse (exit 2 when there is drift)")
    .description(
      "Compares every customer of the synthesized stacks with the live API, through the same reconcile layer terraform apply runs: " +
        "declared users missing or holding other roles or names, customer settings, and (with authoritativeUsers) users the code does not declare. " +
        "Exit 0: no drift; 2: drift (the terraform command that converges is printed); 1: an error.",
    )
    .option("--dir <dir>", "the synth output directory", "cdktf.out")
    .option("--stack <name>", "only this stack")
    .option("--json", "machine-readable output");
  return withAction(command, (values: DriftOptions) => drift(values, deps));
}

export function runDrift(argv: string[], deps: DriftCliDeps): Promise<number> {
  return execute(driftCommand(deps), argv, deps);
}

/** The tenant resources of a synthesized stack: customer key → address (`terraform_data.acme`). */
export function tenantAddresses(stackDir: string): Map<string, string> {
  const config = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as { resource?: Record<string, Record<string, { triggers_replace?: { t?: unknown }; triggers?: { t?: unknown } }>> };
  const out = new Map<string, string>();
  for (const [type, byName] of Object.entries(config.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      // `t` is the JSON text of the desired state (contracts/handler).
      const text = (body.triggers_replace ?? body.triggers)?.t;
      const t = typeof text === "string" ? (parseJsonOr(text) as { customer?: { reference?: string } } | undefined) : undefined;
      const reference = t?.customer?.reference;
      // Terraform stores the text as written: the JSON doubles "${" and "%{" (handler-resource).
      if (typeof reference === "string") out.set(customerKey(reference.replace(/([$%])\1\{/g, "$1{")), `${type}.${name}`);
    }
  }
  return out;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The drift of one customer, read live. Pure but for the API it is given. */
export async function customerDrift(api: DimensionsApi, payload: TenantPayload): Promise<DriftItem[]> {
  const { t, i } = payload;
  const items: DriftItem[] = [];
  const found = (await api.findCustomersByReference(t.customer.reference))[0] as Customer | undefined;
  if (!found) return [{ kind: "customer-missing", detail: i.owned ? "the customer does not exist: apply creates it" : "the referenced customer does not exist" }];
  if (i.owned) {
    const step = planCustomer(t.customer as CustomerDesired, found);
    if (step.kind === "patch") items.push({ kind: "customer-settings", detail: step.patch.map((p) => `${p.path.slice(1)}: live ${JSON.stringify((found as Record<string, unknown>)[p.path.slice(1)] ?? null)}, code ${JSON.stringify("value" in p ? p.value : null)}`).join("; ") });
  }
  const input: UserPlanInput = { desired: desiredUsers(t.users), authoritative: t.authoritative === true };
  const live = new Map<string, LiveUser>();
  for (const u of await api.listUsers(found.id)) live.set(emailKey(u.email), { id: u.id, email: u.email, displayName: u.displayName });
  const withDevices = new Set(devicesToRead(input, live));
  for (const key of usersToRead(input, live)) live.set(key, liveUserOf(await api.getUser(found.id, live.get(key)!.id, { devices: withDevices.has(key) })));
  const plan = planUsers(input, live);
  for (const issue of plan.issues) items.push({ user: issue.email, kind: "user-not-found", detail: issue.message });
  for (const op of plan.operations) {
    if (op.kind === "create") items.push({ user: op.email, kind: "user-missing", detail: `not in the tenant: apply creates it with [${op.roles.join(", ")}]` });
    else if (op.kind === "delete") items.push({ user: op.email, kind: "user-leaves", detail: "apply deletes it" });
    else if (op.kind === "assign-device") items.push({ user: op.email, kind: "user-softphones", detail: `apply assigns softphone ${op.device} (${op.clientType})` });
    else if (op.kind === "unassign-device") items.push({ user: op.email, kind: "user-softphones", detail: `apply unassigns softphone ${op.device} (${op.clientType}): ${op.why}` });
    else {
      const diff = roleDiff(op.before, op.after);
      const renamed = op.patch.some((p) => p.path === "/displayName");
      const undeclared = op.why !== "changed";
      if (renamed) items.push({ user: op.email, kind: "user-name", detail: `live display name "${live.get(emailKey(op.email))?.displayName ?? ""}" differs from the code's` });
      if (diff) items.push({ user: op.email, kind: undeclared ? "user-undeclared" : "user-roles", detail: `${undeclared ? "not declared (authoritative users, H8): " : ""}apply changes its roles ${diff} (live holds [${op.before.join(", ")}])` });
    }
  }
  return items;
}

async function drift(values: DriftOptions, deps: DriftCliDeps): Promise<number> {
  const dir = path.resolve(deps.cwd, values.dir);
  const stacksDir = path.join(dir, "stacks");
  const names = values.stack !== undefined ? [values.stack] : fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : [];
  const results: CustomerDrift[] = [];
  const commands: string[] = [];
  try {
    let seen = 0;
    for (const name of names) {
      const stackDir = path.join(stacksDir, name);
      const file = path.join(stackDir, MANIFEST_FILE);
      if (!fs.existsSync(file)) {
        if (values.stack !== undefined) throw new Error(`no ${MANIFEST_FILE} for stack "${name}" (${file}); run cdktf synth first`);
        continue;
      }
      seen++;
      const parsed = manifestSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "")));
      if (!parsed.success) throw new Error(`${file} is not a manifest of this version: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      const addresses = tenantAddresses(stackDir);
      const drifted: string[] = [];
      for (const [key, object] of Object.entries(parsed.data.objects)) {
        if (object.i.kind !== "tenant") continue;
        const payload = object as TenantPayload;
        const api = (deps.client ?? ((settings) => createClientFromEnv(deps.env, { region: settings.region, apiUrl: settings.apiUrl })))(payload.i.settings);
        const items = await customerDrift(api, payload);
        const address = addresses.get(key) ?? "(unknown address)";
        results.push({ stack: name, reference: payload.t.customer.reference, address, items });
        if (items.length) drifted.push(address);
      }
      if (drifted.length) commands.push(`(cd ${path.relative(deps.cwd, stackDir) || "."} && terraform apply ${drifted.map((a) => `-replace=${a}`).join(" ")})`);
    }
    if (seen === 0) throw new Error(`no ${MANIFEST_FILE} under ${stacksDir}; run cdktf synth first (or pass --dir)`);
  } catch (e) {
    deps.err(`dimensions drift: ${(e as Error).message}`);
    return 1;
  }
  const total = results.reduce((n, r) => n + r.items.length, 0);
  if (values.json) {
    deps.out(JSON.stringify({ drift: total > 0, customers: results, converge: commands }, null, 2));
  } else {
    for (const r of results) {
      deps.out(`stack ${r.stack}, customer ${r.reference} (${r.address}): ${r.items.length ? `${r.items.length} difference${r.items.length === 1 ? "" : "s"}` : "no drift"}`);
      for (const item of r.items) deps.out(`  ${item.user ? `${item.user}: ` : ""}${item.detail}`);
    }
    if (commands.length) {
      deps.out("to converge (safe: removes nobody and no role the code keeps):");
      for (const c of commands) deps.out(`  ${c}`);
    }
  }
  return total > 0 ? 2 : 0;
}
