/**
 * `dimensions users send-activation|send-welcome` over HTTP against the emulator (H5, U14, U15):
 * one user by e-mail, or every user the synthesized code declares for a customer; --dry-run; per
 * user lines; exit 0 only when every send that was due succeeded. The emulator counts every e-mail.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { runUsers } from "../../src/cli/users";
import { Sandbox } from "../../src/cli/sandbox";
import { createClientFromEnv, type DimensionsApi } from "../../src/client";
import { Customer, CustomerUser, DimensionsStack, Role } from "../../src";
import { customerProps, useFakeHandlerBundle } from "../constructs/helpers";

const CU = Role.WEBSITE_ACCESS;
const UC = Role.UC_CLIENT;
const REF = "MAIL-001";

let sandbox: Sandbox;
let cwd: string;
let api: DimensionsApi;
let customerId: string;
const ids = new Map<string, string>();

beforeAll(async () => {
  useFakeHandlerBundle();
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-users-"));
  sandbox = await Sandbox.start({ dir: cwd });
  // The code: ana (admin), bo, cy (UC client) are declared; dan exists live only.
  const app = new App({ outdir: path.join(cwd, "cdktf.out") });
  const stack = new DimensionsStack(app, "mail", { acceptCharges: true, region: "eu" });
  const customer = new Customer(stack, "mail", customerProps({ reference: REF }));
  new CustomerUser(stack, "ana", { customer, email: "ana@mail.test", displayName: "Ana", roles: [CU, Role.MANAGE_USERS], primaryAdmin: true });
  new CustomerUser(stack, "bo", { customer, email: "bo@mail.test", displayName: "Bo", roles: [CU] });
  new CustomerUser(stack, "cy", { customer, email: "cy@mail.test", displayName: "Cy", roles: [CU, UC] });
  app.synth();
  api = createClientFromEnv(sandbox.env, {});
});

beforeEach(async () => {
  await sandbox.control("POST", "/reset");
  customerId = (await api.createCustomer({ name: "Mail", description: "E-mails", reference: REF }, { acceptCharges: true })).id;
  for (const [email, roles] of [
    ["ana@mail.test", [CU, Role.MANAGE_USERS]],
    ["bo@mail.test", [CU]],
    ["cy@mail.test", [CU, UC]],
    ["dan@mail.test", [CU]],
  ] as const) {
    const result = await api.createUser(customerId, { email, displayName: email.split("@")[0], roles: [...roles] }, { acceptCharges: true });
    ids.set(email, "created" in result ? result.created.id : result.existing);
  }
  // ana has activated her account.
  await sandbox.control("PATCH", `/customers/${customerId}/users/${ids.get("ana@mail.test")}`, { activated: true });
});

afterAll(async () => {
  await sandbox?.close();
  fs.rmSync(cwd, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runUsers(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: sandbox.env, cwd });
  return { code, out, err };
}

/** E-mails the emulator counted, by user: `bo@mail.test: 1 activation, 0 welcome`. */
async function sent(): Promise<Record<string, string>> {
  const { users } = await sandbox.control<{ users: Array<{ email: string; activation: number; welcome: number }> }>("GET", `/emails?customer=${customerId}`);
  return Object.fromEntries(users.filter((u) => u.activation + u.welcome > 0).map((u) => [u.email, `${u.activation} activation, ${u.welcome} welcome`]));
}

describe("one user, by e-mail", () => {
  test("H5: GIVEN a user that has not activated WHEN send-activation names it THEN one e-mail, one line, exit 0", async () => {
    const result = await run(["send-activation", "--customer", REF, "--email", "bo@mail.test"]);

    expect(result).toMatchObject({ code: 0, err: [] });
    expect(result.out).toEqual([`customer ${REF}: activation e-mail`, "  bo@mail.test: sent the activation e-mail", "1 sent, 0 skipped, 0 failed"]);
    expect(await sent()).toEqual({ "bo@mail.test": "1 activation, 0 welcome" });
  });

  test("H5: GIVEN --dry-run WHEN send-activation names a user THEN it says it would send, and nothing is sent", async () => {
    const result = await run(["send-activation", "--customer", REF, "--email", "bo@mail.test", "--dry-run"]);

    expect(result.code).toBe(0);
    expect(result.out).toContain("  bo@mail.test: would send the activation e-mail");
    expect(await sent()).toEqual({});
  });

  test("H5: GIVEN a user that has activated WHEN send-activation names it THEN nothing is sent, UserAlreadyActivated, exit 1", async () => {
    const result = await run(["send-activation", "--customer", REF, "--email", "ANA@mail.test"]);

    expect(result.code).toBe(1);
    expect(result.out[1]).toMatch(/^ {2}ANA@mail\.test: FAILED: UserAlreadyActivated \[H5\]: has activated its account already/);
    expect(await sent()).toEqual({});
  });

  test("U14: GIVEN a user of the UC client WHEN send-welcome names it THEN the welcome e-mail is sent", async () => {
    expect((await run(["send-welcome", "--customer", REF, "--email", "cy@mail.test"])).code).toBe(0);
    expect(await sent()).toEqual({ "cy@mail.test": "0 activation, 1 welcome" });
  });

  test("U14: GIVEN a user without the UC client WHEN send-welcome names it THEN WelcomeEmailNeedsUc, exit 1, nothing sent", async () => {
    const result = await run(["send-welcome", "--customer", REF, "--email", "bo@mail.test"]);

    expect(result.code).toBe(1);
    expect(result.out[1]).toMatch(/FAILED: WelcomeEmailNeedsUc \[U14\]/);
    expect(await sent()).toEqual({});
  });

  test("U15: GIVEN a user whose primary tenant is another customer WHEN an e-mail is sent THEN TenantNotPrimary [U15] with the fix, exit 1", async () => {
    const other = await api.createCustomer({ name: "Other", description: "d", reference: "OTHER-1" }, { acceptCharges: true });
    await sandbox.control("PATCH", `/customers/${customerId}/users/${ids.get("bo@mail.test")}`, { primaryTenant: other.id });

    const result = await run(["send-activation", "--customer", REF, "--email", "bo@mail.test"]);

    expect(result.code).toBe(1);
    expect(result.out[1]).toMatch(/^ {2}bo@mail\.test: FAILED: TenantNotPrimary \[U15\]: .*not the user's primary tenant.*; activation and UC welcome e-mails are sent only from the user's primary tenant/);
    expect(await sent()).toEqual({});
  });

  test("GIVEN an e-mail no user of the customer has WHEN sent THEN UserNotFound, exit 1", async () => {
    const result = await run(["send-activation", "--customer", REF, "--email", "nobody@mail.test"]);

    expect(result.code).toBe(1);
    expect(result.out[1]).toMatch(/nobody@mail\.test: FAILED: UserNotFound \[U2\]/);
  });

  test("GIVEN a customer that does not exist WHEN sent THEN CustomerNotFound on stderr, exit 1", async () => {
    const result = await run(["send-activation", "--customer", "NOPE-404", "--email", "bo@mail.test"]);

    expect(result.code).toBe(1);
    expect(result.err).toEqual(["dimensions users: CustomerNotFound [C2]: customer NOPE-404 does not exist; check the reference (--customer)"]);
  });
});

describe("every declared user (--declared, from the synthesized manifest)", () => {
  test("H5: GIVEN declared users, one activated WHEN send-activation --declared THEN the others get one e-mail each, the activated one is skipped, the undeclared user is untouched, exit 0", async () => {
    const result = await run(["send-activation", "--customer", REF, "--declared"]);

    expect(result.code).toBe(0);
    expect(result.out).toEqual([
      `customer ${REF}: activation e-mail`,
      expect.stringMatching(/^ {2}ana@mail\.test: skipped: UserAlreadyActivated \[H5\]: /),
      "  bo@mail.test: sent the activation e-mail",
      "  cy@mail.test: sent the activation e-mail",
      "2 sent, 1 skipped, 0 failed",
    ]);
    expect(await sent()).toEqual({ "bo@mail.test": "1 activation, 0 welcome", "cy@mail.test": "1 activation, 0 welcome" });
  });

  test("U14: GIVEN declared users WHEN send-welcome --declared THEN only the UC client user gets it; the others are skipped", async () => {
    const result = await run(["send-welcome", "--customer", REF, "--declared", "--json"]);

    expect(result.code).toBe(0);
    const json = JSON.parse(result.out.join("\n")) as { users: Array<{ email: string; outcome: string; code?: string }>; failed: number };
    expect(json.users.map((u) => `${u.email} ${u.outcome} ${u.code ?? ""}`.trim())).toEqual(["ana@mail.test skipped WelcomeEmailNeedsUc", "bo@mail.test skipped WelcomeEmailNeedsUc", "cy@mail.test sent"]);
    expect(json.failed).toBe(0);
    expect(await sent()).toEqual({ "cy@mail.test": "0 activation, 1 welcome" });
  });

  test("U15: GIVEN one declared user in another primary tenant WHEN send-activation --declared THEN the others are sent, that one fails, exit 1", async () => {
    const other = await api.createCustomer({ name: "Other", description: "d", reference: "OTHER-2" }, { acceptCharges: true });
    await sandbox.control("PATCH", `/customers/${customerId}/users/${ids.get("cy@mail.test")}`, { primaryTenant: other.id });

    const result = await run(["send-activation", "--customer", REF, "--declared"]);

    expect(result.code).toBe(1);
    expect(result.out).toContain("  bo@mail.test: sent the activation e-mail");
    expect(result.out.find((l) => l.startsWith("  cy@mail.test"))).toMatch(/FAILED: TenantNotPrimary \[U15\]/);
    expect(result.out.at(-1)).toBe("1 sent, 1 skipped, 1 failed");
    expect(await sent()).toEqual({ "bo@mail.test": "1 activation, 0 welcome" });
  });

  test("GIVEN --declared for a customer no synthesized stack declares WHEN run THEN it says to synthesize, exit 1, nothing sent", async () => {
    const result = await run(["send-activation", "--customer", "OTHER-3", "--declared"]);

    expect(result.code).toBe(1);
    expect(result.err[0]).toMatch(/no synthesized stack under .*stacks declares customer OTHER-3; run cdktf synth first/);
  });
});

describe("usage", () => {
  test.each([
    [["send-activation", "--customer", REF], /name the user with --email <email>, or send to every declared user with --declared/],
    [["send-activation", "--customer", REF, "--email", "bo@mail.test", "--declared"], /option '--email <email>' cannot be used with option '--declared'/],
    [["send-welcome", "--customer", REF, "--email", "not an address"], /option '--email <email>' argument 'not an address' is invalid\. It takes an e-mail address/],
    [["send-welcome", "--email", "bo@mail.test"], /required option '--customer <reference>' not specified/],
  ])("GIVEN %j WHEN run THEN a usage error (exit 2) and nothing is sent", async (args, message) => {
    const result = await run(args);

    expect(result.code).toBe(2);
    expect(result.err.join("\n")).toMatch(message);
    expect(await sent()).toEqual({});
  });
});
