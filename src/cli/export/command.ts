/**
 * `dimensions export --customer REF … | --all [--out DIR] [--csv] [--force]`: writes a cdktf app
 * (main.ts, cdktf.json, package.json, and CSV files for large customers) that declares the live
 * tenants as they are, so that a reseller brings an existing estate under code: applying the app
 * unchanged sends no write request. Credentials and region as every command that calls the API
 * (the environment terraform apply runs with; --api-url, --region).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { createClientFromEnv, DimensionsClientError, type DimensionsApi, type Region } from "../../client";
import { REGION_BASE_URLS } from "../../contracts/api";
import { ENV } from "../../contracts/handler";
import { packageRoot } from "../../constructs/private/bundle";
import { execute, withAction, type CommandIo } from "../command-line";
import { ExportError, formatNotice } from "./codes";
import { CSV_ABOVE_USERS, planExport } from "./plan";
import { concurrencyFromEnv, readTenants, type Selection } from "./read";
import { count, DEFAULT_STACK_NAME, renderApp, type PackageVersions } from "./render";

export interface ExportCliDeps extends CommandIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** @default the system clock */
  readonly now?: () => Date;
  /** Builds the API client (tests may inject one). @default createClientFromEnv */
  readonly client?: (env: NodeJS.ProcessEnv, region: Region) => DimensionsApi & { readonly endpoint?: { readonly url: string } };
}

interface ExportOptions {
  readonly customer?: string[];
  readonly all?: boolean;
  readonly out: string;
  readonly csv?: boolean;
  readonly force?: boolean;
  readonly primaryAdmin?: Array<[string, string]>;
  readonly apiUrl?: string;
  readonly region: Region;
}

export const DEFAULT_OUT = "dimensions-export";

function primaryAdminPair(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const at = value.lastIndexOf("=");
  const reference = value.slice(0, at);
  const email = value.slice(at + 1);
  if (at <= 0 || !email.includes("@")) throw new InvalidArgumentError("It takes REFERENCE=E-MAIL, e.g. ACME-001=ana@acme.example.");
  return [...previous, [reference, email]];
}

export function exportCommand(deps: ExportCliDeps): Command {
  const command = new Command("export")
    .summary("write a cdktf app that declares live customers and users as they are (bring an existing tenant under code)")
    .description(
      "Reads the customers named by --customer (or every customer, --all), their settings, PBX connection and users with their roles and devices, " +
        "and writes a cdktf app (main.ts, cdktf.json, package.json) that declares them exactly: applying it unchanged sends no write request. " +
        "PBX users are adopted (never deleted, H7); roles the server manages (U10–U13) are left out; the PBX API key is the NAME of an environment variable (C4); " +
        "a user's PBX devices, where the API reports them, are its softphones, exactly (U14). " +
        `A customer with more than ${CSV_ABOVE_USERS} users (every customer with --csv) has its users written to CSV files read by CustomerUsersFromCsv.`,
    )
    .addOption(new Option("--customer <reference...>", "the customers to export, by reference").conflicts("all"))
    .option("--all", "every customer of the reseller")
    .option("--out <dir>", "the directory to write the app to (new or empty, unless --force)", DEFAULT_OUT)
    .option("--csv", `write every customer's users to CSV files (default: only customers with more than ${CSV_ABOVE_USERS} users)`)
    .option("--force", "write into a non-empty --out directory, overwriting the files the export writes")
    .option("--primary-admin <reference=email>", "mark this admin as the customer's primary admin (H1; default: its first admin by e-mail); repeatable", primaryAdminPair)
    .option("--api-url <url>", `API base URL (default: $${ENV.apiUrl}, else the region's)`)
    .addOption(new Option("--region <region>", "the region's API, when no URL is given; also the exported stack's region").choices(Object.keys(REGION_BASE_URLS)).default("eu"))
    .addHelpText(
      "after",
      `\nCredentials: ${ENV.accessToken}, or ${ENV.clientId} + ${ENV.clientSecret} + ${ENV.refreshToken} (the same environment as terraform apply);\n` +
        `${ENV.concurrency} (1–64, default 4) bounds the requests in flight.`,
    );
  return withAction(command, (values: ExportOptions) => {
    if (!values.all && !(values.customer?.length ?? 0)) command.error("error: name the customers to export with --customer REFERENCE …, or pass --all", { exitCode: 2, code: "dimensions.export.selection" });
    return runExportAction(values, deps);
  });
}

export function runExport(argv: string[], deps: ExportCliDeps): Promise<number> {
  return execute(exportCommand(deps), argv, deps);
}

/** The command as it would be typed again, for the app's header: no --out, no --force. */
function commandLine(values: ExportOptions): string {
  const parts = ["dimensions export", values.all ? "--all" : `--customer ${[...new Set(values.customer)].sort().map(shellWord).join(" ")}`];
  if (values.csv) parts.push("--csv");
  for (const [reference, email] of values.primaryAdmin ?? []) parts.push(`--primary-admin ${shellWord(`${reference}=${email}`)}`);
  parts.push(values.apiUrl ? `--api-url ${shellWord(values.apiUrl)}` : `--region ${values.region}`);
  return parts.join(" ");
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** This package's version and the versions of what an app needs, from its own package.json. */
export function packageVersions(): PackageVersions {
  const root = packageRoot();
  const manifest = (root ? JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) : {}) as {
    version?: string;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const dev = manifest.devDependencies ?? {};
  return {
    self: manifest.version ? `^${manifest.version}` : "*",
    cdktf: manifest.peerDependencies?.cdktf ?? "^0.21.0",
    constructs: manifest.peerDependencies?.constructs ?? "^10.4.2",
    cdktfCli: dev["cdktf-cli"] ?? "^0.21.0",
    tsx: dev.tsx ?? "^4.0.0",
    typescript: dev.typescript ?? "~5.9.0",
    typesNode: dev["@types/node"] ?? "^20.0.0",
  };
}

/** Refuses a file, or a non-empty directory without --force, before anything is read. */
function checkOut(dir: string, force: boolean): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new ExportError("ExportOutInvalid", `--out ${dir} is a file, not a directory`);
  const entries = fs.readdirSync(dir);
  if (entries.length > 0 && !force) throw new ExportError("ExportOutNotEmpty", `--out ${dir} is not empty (${entries.length} entr${entries.length === 1 ? "y" : "ies"}: ${entries.sort().slice(0, 5).join(", ")}${entries.length > 5 ? ", …" : ""})`);
}

async function runExportAction(values: ExportOptions, deps: ExportCliDeps): Promise<number> {
  const say = (line: string) => deps.err(`dimensions export: ${line}`);
  const out = path.resolve(deps.cwd, values.out);
  try {
    checkOut(out, values.force === true);
    const concurrency = concurrencyFromEnv(deps.env);
    // A flag given on the command line wins over the environment.
    const env = values.apiUrl ? { ...deps.env, [ENV.apiUrl]: values.apiUrl } : deps.env;
    let api: ReturnType<NonNullable<ExportCliDeps["client"]>>;
    try {
      api = (deps.client ?? ((e, region) => createClientFromEnv(e, { region })))(env, values.region);
    } catch (e) {
      if (e instanceof DimensionsClientError) throw new ExportError("ExportApiFailed", e.message);
      throw e;
    }
    const selection: Selection = values.all ? { all: true } : { references: values.customer ?? [] };
    const snapshot = await readTenants(api, selection, { concurrency, progress: say }, deps.now ?? (() => new Date()));
    const plan = planExport(snapshot, { csv: values.csv === true, primaryAdmins: new Map(values.primaryAdmin ?? []) });
    const files = renderApp(plan, {
      command: commandLine(values),
      readAt: snapshot.readAt,
      source: api.endpoint?.url ?? "the API",
      region: values.region,
      ...(values.apiUrl ? { apiUrl: values.apiUrl } : {}),
      stackName: DEFAULT_STACK_NAME,
      versions: packageVersions(),
    });
    for (const notice of [...snapshot.notices, ...plan.notices]) say(formatNotice(notice));
    try {
      fs.mkdirSync(out, { recursive: true });
      for (const [name, content] of files) fs.writeFileSync(path.join(out, name), content);
    } catch (e) {
      throw new ExportError("ExportOutInvalid", `cannot write to ${out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const users = plan.customers.reduce((n, c) => n + c.users.length, 0);
    const shown = path.relative(deps.cwd, out) || ".";
    deps.out(`wrote ${shown}/: ${[...files.keys()].join(", ")} (${count(plan.customers.length, "customer")}, ${count(users, "user")})`);
    deps.out(`next: cd ${shown} && npm install && npx cdktf synth, then terraform apply in cdktf.out/stacks/${DEFAULT_STACK_NAME}: applied unchanged, it sends no write request`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      say(e.line);
      return 1;
    }
    throw e;
  }
}
