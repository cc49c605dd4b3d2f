/**
 * `dimensions access-requests`: the reseller's view of its tenant access requests (A7) — one row
 * per tenant request with its status, mode, partner users, expiry and the customer's answer, read
 * through the API with the same credentials as the handler (the environment terraform apply runs
 * with).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { createClientFromEnv, type Region } from "../client";
import type { DimensionsApi } from "../client/types";
import { REGION_BASE_URLS, type AccessRequest } from "../contracts/api";
import { ENV } from "../contracts/handler";
import { execute, withAction } from "./command-line";
import { table } from "./table";

const DAY_MS = 86_400_000;

export interface AccessRequestRow {
  readonly request: string;
  readonly requestId: string;
  readonly tenantId: string;
  /** The customer's reference, when the reseller still lists the customer. */
  readonly customer: string | null;
  readonly customerName: string | null;
  readonly mode: string | null;
  readonly status: string;
  readonly partnerUsers: string[];
  readonly expiresAt: string | null;
  readonly respondedAt: string | null;
  readonly responseMessage: string | null;
  /** Granted and expiring within the asked number of days. */
  readonly expiringSoon: boolean;
}

export interface ListOptions {
  readonly now: number;
  readonly expiringWithinDays?: number;
  readonly includeWithdrawn?: boolean;
  readonly name?: string;
}

/** Every tenant request of every (matching) access request, as rows sorted by request, then customer. */
export async function accessRequestRows(api: DimensionsApi, options: ListOptions): Promise<AccessRequestRow[]> {
  const [requests, customers, partners] = await Promise.all([api.listAccessRequests(), api.listCustomers(), api.listPartnerUsers()]);
  const customerById = new Map(customers.map((c) => [c.id.toLowerCase(), c]));
  const emailById = new Map(partners.map((p) => [p.id.toLowerCase(), p.email]));
  const rows: AccessRequestRow[] = [];
  for (const request of requests) {
    if (options.name !== undefined && request.name.toLowerCase() !== options.name.toLowerCase()) continue;
    rows.push(...rowsOf(request, options, customerById, emailById));
  }
  const filtered = rows.filter((r) => (options.includeWithdrawn ? true : r.status !== "withdrawn")).filter((r) => (options.expiringWithinDays === undefined ? true : r.expiringSoon));
  return filtered.sort((a, b) => a.request.localeCompare(b.request) || (a.customer ?? a.tenantId).localeCompare(b.customer ?? b.tenantId) || (a.mode ?? "").localeCompare(b.mode ?? ""));
}

function rowsOf(
  request: AccessRequest,
  options: ListOptions,
  customerById: ReadonlyMap<string, { reference?: string | null; name: string }>,
  emailById: ReadonlyMap<string, string>,
): AccessRequestRow[] {
  return request.tenants.map((tenant) => {
    const customer = customerById.get(tenant.tenantId.toLowerCase());
    const expires = tenant.expiresAt ? Date.parse(tenant.expiresAt) : undefined;
    // A5: past its expiry a grant is over, whatever the server still calls it.
    const status = tenant.status === "granted" && expires !== undefined && expires <= options.now ? "expired" : tenant.status;
    const within = options.expiringWithinDays;
    return {
      request: request.name,
      requestId: request.id,
      tenantId: tenant.tenantId,
      customer: customer?.reference ?? null,
      customerName: customer?.name ?? null,
      mode: tenant.mode ?? null,
      status,
      partnerUsers: (tenant.userIds ?? []).map((id) => emailById.get(id.toLowerCase()) ?? id).sort(),
      expiresAt: tenant.expiresAt ?? null,
      respondedAt: tenant.respondedAt ?? null,
      responseMessage: tenant.responseMessage ?? null,
      expiringSoon: within !== undefined && status === "granted" && expires !== undefined && expires - options.now <= within * DAY_MS,
    };
  });
}

/** A table a person reads: one line per tenant request; `!` marks grants expiring soon. */
export function formatTable(rows: readonly AccessRequestRow[], now: number): string[] {
  if (rows.length === 0) return ["no access requests"];
  const header = ["", "REQUEST", "CUSTOMER", "MODE", "STATUS", "EXPIRES", "PARTNER USERS", "CUSTOMER'S MESSAGE"];
  const body = rows.map((r) => [
    r.expiringSoon ? "!" : "",
    r.request,
    r.customer ? `${r.customer} (${r.customerName ?? "?"})` : r.tenantId,
    r.mode ?? "-",
    r.status,
    r.expiresAt ? `${r.expiresAt} (${relative(Date.parse(r.expiresAt) - now)})` : "-",
    r.partnerUsers.join(", ") || "-",
    r.responseMessage ? JSON.stringify(r.responseMessage) : "-",
  ]);
  return table([header, ...body]);
}

function relative(ms: number): string {
  const days = Math.abs(ms) / DAY_MS;
  const text = days >= 1 ? `${Math.round(days)} day${Math.round(days) === 1 ? "" : "s"}` : `${Math.max(1, Math.round(Math.abs(ms) / 3_600_000))} h`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => number;
}

const consoleIo: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l), now: () => Date.now() };

export interface AccessRequestsOptions {
  readonly json?: boolean;
  readonly all?: boolean;
  readonly name?: string;
  readonly expiringWithin?: number;
  readonly apiUrl?: string;
  readonly region: Region;
}

function days(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError("It takes a number of days ≥ 0.");
  return n;
}

/** `dimensions access-requests`: its options, help and action. */
export function accessRequestsCommand(env: NodeJS.ProcessEnv = process.env, io: CliIo = consoleIo): Command {
  const command = new Command("access-requests")
    .summary("tenant access requests per tenant: status, mode, partner users, expiry, the customer's message")
    .description(
      "Lists every tenant access request per tenant: status (pending, granted, rejected, expired, withdrawn), mode, partner users, expiry and the customer's response message.",
    )
    .option("--expiring-within <days>", "flag grants that expire within DAYS days (and list only those)", days)
    .option("--all", "include withdrawn requests")
    .option("--name <name>", "only the request with this name")
    .option("--json", "one JSON array instead of a table")
    .option("--api-url <url>", `API base URL (default: $${ENV.apiUrl}, else the region's)`)
    .addOption(new Option("--region <region>", "the region's API, when no URL is given").choices(Object.keys(REGION_BASE_URLS)).default("eu"))
    .addHelpText("after", `\nCredentials: ${ENV.accessToken}, or ${ENV.clientId} + ${ENV.clientSecret} + ${ENV.refreshToken}\n(the same environment as terraform apply).`);
  return withAction(command, (values: AccessRequestsOptions) => accessRequests(values, env, io));
}

/** Returns the exit code: 0 listed, 2 usage error; API and credential errors are thrown. */
export function runAccessRequests(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = consoleIo): Promise<number> {
  return execute(accessRequestsCommand(env, io), argv, io);
}

async function accessRequests(values: AccessRequestsOptions, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const expiringWithinDays = values.expiringWithin;
  // A flag given on the command line wins over the environment.
  const effectiveEnv = values.apiUrl ? { ...env, [ENV.apiUrl]: values.apiUrl } : env;
  const api = createClientFromEnv(effectiveEnv, { region: values.region });
  const now = io.now();
  const rows = await accessRequestRows(api, { now, expiringWithinDays, includeWithdrawn: values.all ?? false, name: values.name });
  if (values.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  for (const line of formatTable(rows, now)) io.out(line);
  if (expiringWithinDays !== undefined) io.out(`${rows.length} grant${rows.length === 1 ? "" : "s"} expiring within ${expiringWithinDays} day${expiringWithinDays === 1 ? "" : "s"}`);
  return 0;
}
