/**
 * `dimensions stacks [--dir cdktf.out] [--json]`: the synthesized Dimensions stacks with their
 * region, customers and users, one per line — or, with `--json`, an array fit for a CI matrix
 * (one job per stack: each applies in its own working directory and state).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { MANIFEST_FILE, manifest as manifestSchema, type TenantPayload } from "../contracts/handler";
import { execute, withAction, type CommandIo } from "./command-line";
import { table } from "./table";

export interface StackRow {
  readonly stack: string;
  /** The stack's directory, relative to where the command ran (`cd` there to run terraform). */
  readonly dir: string;
  readonly region: string | null;
  readonly apiUrl: string | null;
  readonly customers: number;
  readonly users: number;
  readonly accessRequests: number;
}

export function listStacks(dir: string, cwd: string): StackRow[] {
  const stacksDir = path.join(dir, "stacks");
  const rows: StackRow[] = [];
  for (const name of fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : []) {
    const file = path.join(stacksDir, name, MANIFEST_FILE);
    if (!fs.existsSync(file)) continue;
    const parsed = manifestSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "")));
    if (!parsed.success) throw new Error(`${file} is not a manifest of this version`);
    const objects = Object.values(parsed.data.objects);
    const tenants = objects.filter((o) => o.i.kind === "tenant") as TenantPayload[];
    const settings = objects[0]?.i.settings;
    rows.push({
      stack: name,
      dir: path.relative(cwd, path.join(stacksDir, name)) || ".",
      region: settings?.region ?? null,
      apiUrl: settings?.apiUrl ?? null,
      customers: tenants.length,
      users: tenants.reduce((n, t) => n + Object.keys(t.t.users).length, 0),
      accessRequests: objects.length - tenants.length,
    });
  }
  return rows;
}

interface Options {
  readonly dir: string;
  readonly json?: boolean;
}

export function stacksCommand(cwd: string, io: CommandIo): Command {
  const command = new Command("stacks")
    .summary("the synthesized stacks with their region, customers and users (--json: a CI matrix)")
    .description("Lists every Dimensions stack of the synth output: its directory, region, customers, users and access requests. With --json, an array for a CI matrix: one job per stack, each with its own state.")
    .option("--dir <dir>", "the synth output directory", "cdktf.out")
    .option("--json", "a JSON array");
  return withAction(command, (values: Options) => {
    let rows: StackRow[];
    try {
      rows = listStacks(path.resolve(cwd, values.dir), cwd);
    } catch (e) {
      io.err(`dimensions stacks: ${(e as Error).message}`);
      return 1;
    }
    if (rows.length === 0) {
      io.err(`dimensions stacks: no ${MANIFEST_FILE} under ${path.join(values.dir, "stacks")}; run cdktf synth first (or pass --dir)`);
      return 1;
    }
    if (values.json) io.out(JSON.stringify(rows));
    else for (const line of table([["stack", "region", "customers", "users", "requests", "dir"], ...rows.map((r) => [r.stack, r.region ?? r.apiUrl ?? "", String(r.customers), String(r.users), String(r.accessRequests), r.dir])])) io.out(line);
    return 0;
  });
}

export function runStacks(argv: string[], cwd: string, io: CommandIo): Promise<number> {
  return execute(stacksCommand(cwd, io), argv, io);
}
