/**
 * Partner access to customer tenants, end to end (seed 002; rules A1–A8): the example's
 * SupportAccess request applied with the real terraform against the emulator, the customers
 * answering through the customer-side routes, impersonation checked per partner user and mode
 * (legacy route included), expiry on the emulator clock, renewal under a new name, removal from
 * the code and destroy — each step checked in the emulator's state, not only by exit codes.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describeE2E, Workspace } from "./harness";
import {
  CAROLINE,
  CHARLOTTE,
  CLASSICS_PARTNER_USERS,
  HUNDRED_ACRE,
  PartnerAccessStack,
  SUPPORT_ACCESS,
  TOM_SAWYER,
  type PartnerAccessStackProps,
} from "../../examples/partner-access/main";

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, "../..");
const MARY = "mary.bennet@classics.example";
const ELIZABETH = "elizabeth.bennet@classics.example";
const DEMO = "demo@reseller.test";
const DAY = 86_400;

interface StateTenant {
  tenantId: string;
  status: string;
  userIds: string[];
  mode: string;
  expiresAt: string | null;
  responseMessage: string | null;
}
interface StateRequest {
  id: string;
  name: string;
  message: string | null;
  withdrawn: boolean;
  tenants: StateTenant[];
}
interface State {
  accessRequests: StateRequest[];
  partnerUsers: Array<{ id: string; email: string }>;
}

describeE2E("examples/partner-access: tenant access requests through terraform", () => {
  let ws: Workspace;
  let tom: string;
  let acre: string;
  let ids: Map<string, string>;
  const tokens = new Map<string, string>();

  beforeEach(async () => {
    ws = await Workspace.create("partner-access");
    // Tokens outlive the clock moves below, so a 401 never hides the 403 being asserted.
    await ws.control("PUT", "/auth", { accessTokenSeconds: 30 * DAY });
    await ws.control("POST", "/resellers/demo/partner-users", CLASSICS_PARTNER_USERS);
    // The customers exist before the stack (the example references them).
    tom = (await ws.api.createCustomer({ name: TOM_SAWYER.name, description: TOM_SAWYER.description, reference: TOM_SAWYER.reference }, { acceptCharges: true })).id;
    acre = (await ws.api.createCustomer({ name: HUNDRED_ACRE.name, description: HUNDRED_ACRE.description, reference: HUNDRED_ACRE.reference }, { acceptCharges: true })).id;
    const state = await ws.control<State>("GET", "/state");
    ids = new Map(state.partnerUsers.map((p) => [p.email, p.id]));
    tokens.clear();
  });

  afterEach(async () => {
    await ws?.close();
  });

  async function tokenOf(email: string): Promise<string> {
    if (!tokens.has(email)) tokens.set(email, (await ws.control<{ access_token: string }>("POST", "/login", { reseller: "demo", email })).access_token);
    return tokens.get(email)!;
  }

  async function api(method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${ws.sandbox.emulator.url}/api/v1.0${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** The status of `POST /customers/{C}/impersonate` for a partner user (the legacy route when no grant names it). */
  async function impersonate(email: string, customerId: string, mode: "support" | "configure" = "support"): Promise<number> {
    return (await api("POST", `/customers/${customerId}/impersonate`, await tokenOf(email), { mode })).status;
  }

  /** The customer admin's side (A4): find this tenant's pending request and answer it. */
  async function answer(customerId: string, decision: "grant" | "reject", body: Record<string, unknown>): Promise<void> {
    const admin = (await ws.control<{ access_token: string }>("POST", `/customers/${customerId}/admin-token`)).access_token;
    const listed = await api("GET", `/customers/${customerId}/accessrequests`, admin);
    const pending = (listed.body.data as Array<{ id: string; status: string; message: string | null; name?: string }>).filter((r) => r.status === "pending");
    expect(pending).toHaveLength(1);
    // A2: the customer sees the message, never the request's name nor its users.
    expect(pending[0].message).toContain("Caroline Bingley and Charlotte Lucas");
    expect(pending[0]).not.toHaveProperty("name");
    const result = await api("POST", `/customers/${customerId}/accessrequests/${pending[0].id}/${decision}`, admin, body);
    expect(result.status).toBe(200);
  }

  async function requests(): Promise<StateRequest[]> {
    return (await ws.control<State>("GET", "/state")).accessRequests;
  }

  function tenant(request: StateRequest | undefined, customerId: string): StateTenant | undefined {
    return request?.tenants.find((t) => t.tenantId === customerId);
  }

  async function emulatorNow(): Promise<number> {
    return Date.parse((await ws.control<{ now: string }>("GET", "/clock")).now);
  }

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, "dist", "cli.cjs"), "access-requests", ...args], { env: ws.sandbox.env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  const synth = (props: PartnerAccessStackProps = {}) => ws.synth((app) => new PartnerAccessStack(app, "partner-access", props));

  test("A1–A7: SupportAccess is sent per tenant, granted by one and rejected by the other, admits exactly its users, expires, is renewed under a new name, and destroy ends access", async () => {
    // Before any grant, legacy impersonation works for customer.admin holders (A6's "before").
    expect(await impersonate(MARY, tom)).toBe(200);

    // GIVEN the seed's scenario WHEN applied THEN one request, one tenant request per customer (A3).
    synth();
    const first = await ws.apply();
    expect(first.stdout).toMatch(/access request SupportAccess: sent request/);
    expect(first.stdout).toMatch(/customer TSFP-001 \(support\): pending for caroline\.bingley@classics\.example, charlotte\.lucas@classics\.example/);
    let all = await requests();
    expect(all).toHaveLength(1);
    const support = all[0];
    expect(support).toMatchObject({ name: SUPPORT_ACCESS, withdrawn: false });
    expect(tenant(support, tom)).toMatchObject({ status: "pending", mode: "support" });
    expect([...tenant(support, tom)!.userIds].sort()).toEqual([ids.get(CAROLINE), ids.get(CHARLOTTE)].sort());
    expect(tenant(support, acre)).toMatchObject({ status: "pending", mode: "support", userIds: [ids.get(CHARLOTTE)] });
    expect((await ws.planHasChanges()).changes).toBe(false);

    // A second apply of an unchanged stack adopts (nothing re-sent).
    // WHEN Tom Sawyer grants (expiring in 7 days) and Hundred Acre rejects (A4)
    const expiresAt = new Date((await emulatorNow()) + 7 * DAY * 1000).toISOString();
    await answer(tom, "grant", { message: "Welcome, Caroline and Charlotte", expiresAt });
    await answer(acre, "reject", { message: "We handle support in-house" });
    all = await requests();
    expect(tenant(all[0], tom)).toMatchObject({ status: "granted", responseMessage: "Welcome, Caroline and Charlotte" });
    expect(tenant(all[0], acre)).toMatchObject({ status: "rejected", responseMessage: "We handle support in-house" });

    // THEN impersonation succeeds exactly for the associated users in the granted mode (A6, A7)…
    expect(await impersonate(CAROLINE, tom)).toBe(200);
    expect(await impersonate(CHARLOTTE, tom)).toBe(200);
    expect(await impersonate(CAROLINE, tom, "configure")).toBe(403);
    // …and every other partner user is refused, through the legacy route too (customer.admin holders).
    for (const other of [MARY, ELIZABETH, DEMO]) expect({ other, status: await impersonate(other, tom) }).toEqual({ other, status: 403 });
    // The rejecting tenant admits nobody through the request.
    expect(await impersonate(CHARLOTTE, acre)).toBe(403);
    expect(await impersonate(CAROLINE, acre)).toBe(403);
    // A6 closes legacy impersonation only once a tenant has GRANTED a request: Hundred Acre never did.
    expect(await impersonate(MARY, acre)).toBe(200);

    // A7: the CLI shows each tenant's status, expiry and the customer's message.
    const listed = await cli(["--json"]);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      expect.objectContaining({ request: SUPPORT_ACCESS, customer: HUNDRED_ACRE.reference, status: "rejected", mode: "support", partnerUsers: [CHARLOTTE], responseMessage: "We handle support in-house" }),
      expect.objectContaining({ request: SUPPORT_ACCESS, customer: TOM_SAWYER.reference, status: "granted", expiresAt, partnerUsers: [CAROLINE, CHARLOTTE].sort() }),
    ]);
    const expiring = await cli(["--expiring-within", "10"]);
    expect(expiring.stdout).toMatch(/^!\s+SupportAccess\s+TSFP-001/m);
    expect(expiring.stdout).not.toContain("HAWAG-001");
    expect(expiring.stdout).toContain("1 grant expiring within 10 days");
    expect((await cli(["--expiring-within", "3"])).stdout).toContain("0 grants expiring within 3 days");

    // A5: WHEN the clock passes the expiry THEN the grant reads expired and access has ended.
    const carolineSession = (await api("POST", `/customers/${tom}/impersonate`, await tokenOf(CAROLINE), { mode: "support" })).body.data as { token: string };
    expect((await api("GET", `/customers/${tom}`, carolineSession.token)).status).toBe(200);
    await ws.control("POST", "/clock", { advanceSeconds: 8 * DAY });
    all = await requests();
    expect(tenant(all[0], tom)?.status).toBe("expired");
    expect(await impersonate(CAROLINE, tom)).toBe(403);
    expect((await api("GET", `/customers/${tom}`, carolineSession.token)).status).toBe(403);
    expect(await impersonate(MARY, tom)).toBe(403); // legacy stays closed after expiry (A6)
    const afterExpiry = JSON.parse((await cli(["--json"])).stdout) as Array<{ customer: string; status: string }>;
    expect(afterExpiry.find((r) => r.customer === TOM_SAWYER.reference)?.status).toBe("expired");
    // Nothing in the code changed: the plan is still empty (an expiry is the customer's business).
    expect((await ws.planHasChanges()).changes).toBe(false);

    // WHEN a renewed request is added under a new name (the old one is kept meanwhile)
    synth({ requestNames: [SUPPORT_ACCESS, "SupportAccessRenewed"] });
    const renewal = await ws.apply();
    expect(renewal.stdout).toMatch(/access request SupportAccessRenewed: sent request/);
    all = await requests();
    const renewed = all.find((r) => r.name === "SupportAccessRenewed");
    expect(tenant(renewed, tom)?.status).toBe("pending");
    expect(all.find((r) => r.name === SUPPORT_ACCESS)?.withdrawn).toBe(false);
    await answer(tom, "grant", { message: "Renewed" });
    // THEN it restores access for the associated users, and only them.
    expect(await impersonate(CAROLINE, tom)).toBe(200);
    expect(await impersonate(MARY, tom)).toBe(403);

    // WHEN the old request leaves the code THEN the stack's inventory withdraws it.
    synth({ requestNames: ["SupportAccessRenewed"] });
    await ws.apply();
    all = await requests();
    expect(all.find((r) => r.name === SUPPORT_ACCESS)).toMatchObject({ withdrawn: true });
    expect(all.find((r) => r.name === SUPPORT_ACCESS)?.tenants.every((t) => t.status === "withdrawn")).toBe(true);
    expect(all.find((r) => r.name === "SupportAccessRenewed")?.withdrawn).toBe(false);
    expect(await impersonate(CAROLINE, tom)).toBe(200);
    expect((await ws.planHasChanges()).changes).toBe(false);

    // WHEN the stack is destroyed THEN every request is withdrawn and access ends.
    await ws.destroy();
    all = await requests();
    expect(all.every((r) => r.withdrawn && r.tenants.every((t) => t.status === "withdrawn"))).toBe(true);
    expect(await impersonate(CAROLINE, tom)).toBe(403);
    expect(await impersonate(CHARLOTTE, tom)).toBe(403);
    expect((await cli(["--json"])).stdout.trim()).toBe("[]");
  });

  test("A7: waitForDecision reports one outcome line per tenant once the customers answer during the apply", async () => {
    synth({ waitForDecision: { timeoutSeconds: 60, pollSeconds: 1 } });
    const applying = ws.apply();
    // The customers answer while terraform waits (bounded poll of the emulator's state).
    let sent: StateRequest | undefined;
    for (let i = 0; i < 200 && !sent; i++) {
      sent = (await requests())[0];
      if (!sent) await new Promise((r) => setTimeout(r, 100));
    }
    expect(sent).toBeDefined();
    await answer(tom, "grant", { message: "Go ahead" });
    await answer(acre, "reject", { message: "Not now" });
    const result = await applying;
    expect(result.stdout).toMatch(/customer TSFP-001 \(support\): granted for caroline\.bingley@classics\.example, charlotte\.lucas@classics\.example, no expiry; the customer says "Go ahead"/);
    expect(result.stdout).toMatch(/customer HAWAG-001 \(support\): rejected for charlotte\.lucas@classics\.example; the customer says "Not now"/);
  });

  test("A4/A7: with requireGrant, a tenant still pending at the timeout fails the apply in bounded time, and the next apply adopts the same request", async () => {
    synth({ requestNames: ["PendingAccess"], waitForDecision: { timeoutSeconds: 3, pollSeconds: 1, requireGrant: true } });
    const started = Date.now();
    const failed = await ws.terraform(["apply", "-auto-approve", "-input=false"]);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).toMatch(/customer TSFP-001 \(support\): still pending after 3 s/);
    // Terraform wraps the provisioner's output: compare with whitespace folded.
    expect(failed.stderr.replace(/\s+/g, " ")).toMatch(/AccessNotGranted \[A4\]: access request PendingAccess: 2 of 2 tenant requests are not granted: customer HAWAG-001 \(support\) pending, customer TSFP-001 \(support\) pending/);

    await answer(tom, "grant", {});
    await answer(acre, "grant", {});
    const again = await ws.apply();
    expect(again.stdout).toMatch(/access request PendingAccess: adopted request/);
    expect(again.stdout).toMatch(/customer HAWAG-001 \(support\): granted/);
    const all = await requests();
    expect(all.filter((r) => r.name === "PendingAccess")).toHaveLength(1);
    expect(await impersonate(CHARLOTTE, acre)).toBe(200);
  });
});
