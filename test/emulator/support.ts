/**
 * Helpers for the emulator's tests: a tiny fetch wrapper (loopback only) and shortcuts that set up
 * a reseller's customer with an admin, so each test states only the behaviour it is about.
 */
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../src/emulator/server";

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface CallOptions {
  token?: string;
  charges?: boolean;
  headers?: Record<string, string>;
  /** Sent as is (no JSON encoding). */
  raw?: string;
}

export const ADMIN_ROLES = ["customer.user", "user.admin"];

export class Client {
  constructor(
    readonly emulator: RunningEmulator,
    public token: string,
  ) {}

  /** `path` is under /api/v1.0 unless it starts with /_emulator or /connect. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Answer<T>> {
    return call<T>(this.emulator, method, path, body, { token: this.token, ...options });
  }

  async createCustomer(fields: Record<string, unknown> = {}): Promise<string> {
    const answer = await this.call<{ data: { id: string } }>("POST", "/customers", { name: "Acme", description: "Test customer", reference: uniqueRef(), ...fields }, { charges: true });
    if (answer.status !== 201) throw new Error(`createCustomer → ${answer.status} ${answer.text}`);
    return answer.body.data.id;
  }

  async createUser(customerId: string, email: string, roles: string[] = [], charges = true): Promise<string> {
    const answer = await this.call<{ data: { id: string } }>("POST", `/customers/${customerId}/users`, { email, displayName: email.split("@")[0], roles }, { charges });
    if (answer.status !== 201) throw new Error(`createUser → ${answer.status} ${answer.text}`);
    return answer.body.data.id;
  }

  /** A customer whose first user is an admin (U5 satisfied), with that admin's id. */
  async customerWithAdmin(fields: Record<string, unknown> = {}): Promise<{ customerId: string; adminId: string }> {
    const customerId = await this.createCustomer(fields);
    const adminId = await this.createUser(customerId, "admin@acme.test", ADMIN_ROLES);
    return { customerId, adminId };
  }

  async roles(customerId: string, userId: string): Promise<string[]> {
    const answer = await this.call<{ data: { roles: string[] } }>("GET", `/customers/${customerId}/users/${userId}`);
    if (answer.status !== 200) throw new Error(`getUser → ${answer.status} ${answer.text}`);
    return [...answer.body.data.roles].sort();
  }

  patchUser(customerId: string, userId: string, ops: unknown[], charges = true): Promise<Answer> {
    return this.call("PATCH", `/customers/${customerId}/users/${userId}`, ops, { charges });
  }
}

let refCounter = 0;
export function uniqueRef(): string {
  refCounter++;
  return `REF-${process.pid}-${refCounter}`;
}

export async function call<T = Record<string, unknown>>(
  emulator: RunningEmulator,
  method: string,
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<Answer<T>> {
  const absolute = path.startsWith("/_emulator") || path.startsWith("/connect") ? path : `/api/v1.0${path}`;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.charges) headers["accept-charges"] = "true";
  let payload: string | undefined = options.raw;
  if (payload === undefined && body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${emulator.url}${absolute}`, { method, headers, body: payload, redirect: "manual" });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed as T };
}

/** Tokens of a partner user, as the browser login would yield them (§6 `/_emulator/login`). */
export async function login(emulator: RunningEmulator, reseller: string, email: string): Promise<{ access_token: string; refresh_token: string; partnerUserId: string }> {
  const answer = await call<{ access_token: string; refresh_token: string; partnerUserId: string }>(emulator, "POST", "/_emulator/login", { reseller, email });
  if (answer.status !== 200) throw new Error(`login → ${answer.status} ${answer.text}`);
  return answer.body;
}

/** The demo partner user's client (demo@reseller.test: account.user, customer.admin, tm.admin). */
export async function demoClient(emulator: RunningEmulator): Promise<Client> {
  return new Client(emulator, (await login(emulator, "demo", "demo@reseller.test")).access_token);
}

export function tokenRequest(emulator: RunningEmulator, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return call(emulator, "POST", "/connect/token", undefined, {
    raw: new URLSearchParams(form).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  });
}

export async function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, ...options });
}

/**
 * One emulator per test file, reset before each test. `set` receives it (and, before each test,
 * a fresh client of the demo reseller) so a file keeps plain variables in its tests.
 */
export function useEmulator(set: (ctx: { emulator: RunningEmulator; demo?: Client }) => void, options: EmulatorOptions = {}): void {
  let emulator: RunningEmulator | undefined;
  beforeAll(async () => {
    emulator = await start(options);
    set({ emulator });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  beforeEach(async () => {
    if (!emulator) throw new Error("the emulator did not start");
    await call(emulator, "POST", "/_emulator/reset");
    set({ emulator, demo: await demoClient(emulator) });
  });
}
