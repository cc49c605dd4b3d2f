/**
 * `dimensions access-requests`: the reseller's view of its tenant access requests (A7) — one row
 * per tenant request with its status, mode, partner users, expiry and the customer's answer, read
 * through the API with the same credentials as the handler (api-contract §7).
 *
 *   dimensions access-requests [--expiring-within DAYS] [--json] [--all] [--name NAME]
 *                              [--api-url URL | --region au|eu|na|uk]
 */
import { parseArgs } from "node:util";
import { createClientFromEnv } from "../client";
import type { DimensionsApi } from "../client/types";
import type { AccessRequest } from "../contracts/api";
import { ENV } from "../contracts/handler";

export const ACCESS_REQUESTS_USAGE = `usage: dimensions access-requests [options]

Lists every tenant access request per tenant: status (pending, granted, rejected, expired,
withdrawn), mode, partner users, expiry and the customer's response message.

options:
  --expiring-within DAYS   flag grants that expire within DAYS days (and list only those)
  --all                    include withdrawn requests
  --name NAME              only the request with this name
  --json                   one JSON array instead of a table
  --api-url URL            API base URL (default: $${ENV.apiUrl}, else the region's)
  --region REGION          au, eu, na or uk (when no URL is given)

credentials: ${ENV.accessToken}, or ${ENV.clientId} + ${ENV.clientSecret} + ${ENV.refreshToken}
(the same environment as the handler).`;

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
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...body.map(line)];
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

/** Returns the exit code: 0 listed, 2 usage error; API and credential errors are thrown. */
export async function runAccessRequests(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = consoleIo): Promise<number> {
  let values: { json?: boolean; all?: boolean; name?: string; "expiring-within"?: string; "api-url"?: string; region?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: "boolean" },
        all: { type: "boolean" },
        name: { type: "string" },
        "expiring-within": { type: "string" },
        "api-url": { type: "string" },
        region: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    io.err(`dimensions access-requests: ${(e as Error).message}\n\n${ACCESS_REQUESTS_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(ACCESS_REQUESTS_USAGE);
    return 0;
  }
  let expiringWithinDays: number | undefined;
  if (values["expiring-within"] !== undefined) {
    expiringWithinDays = Number(values["expiring-within"]);
    if (!Number.isFinite(expiringWithinDays) || expiringWithinDays < 0) {
      io.err(`dimensions access-requests: --expiring-within takes a number of days ≥ 0; got "${values["expiring-within"]}"`);
      return 2;
    }
  }
  const region = values.region;
  if (region !== undefined && !["au", "eu", "na", "uk"].includes(region)) {
    io.err(`dimensions access-requests: --region is one of au, eu, na, uk; got "${region}"`);
    return 2;
  }
  // A flag given on the command line wins over the environment.
  const effectiveEnv = values["api-url"] ? { ...env, [ENV.apiUrl]: values["api-url"] } : env;
  const api = createClientFromEnv(effectiveEnv, { region: (region ?? "eu") as "au" | "eu" | "na" | "uk" });
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
