/**
 * Activation and welcome e-mails from code (H5, U14), with the real terraform binary against the
 * emulator, whose counters say what was sent: the first apply records the triggers and sends
 * nothing; a changed trigger sends exactly once; a second apply and a plan send nothing; a changed
 * value sends once more; `-replace` of the tenant resource and `terraform destroy` send nothing.
 */
import type { App } from "cdktf";
import { Customer, CustomerRemovalPolicy, CustomerUser, DimensionsStack, Role } from "../../src";
import { describeE2E, Workspace } from "./harness";
import { PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE } from "./fixture-stack";

jest.setTimeout(300_000);

const REFERENCE = "MAIL-E2E";

function stack(app: App, triggers: { bo: string; cy: number }): DimensionsStack {
  const s = new DimensionsStack(app, "emails", { acceptCharges: true, region: "eu" });
  const customer = new Customer(s, "customer", {
    name: "E-mail customer",
    description: "end-to-end test of e-mail triggers",
    reference: REFERENCE,
    pbx: { hostRest: "https://pbx.e2e.test", hostWebsocket: "wss://pbx.e2e.test", accountId: PBX_ACCOUNT, apiKeyEnv: PBX_KEY_ENV },
    removalPolicy: CustomerRemovalPolicy.DELETE,
  });
  new CustomerUser(s, "ana", { customer, email: "ana@mail.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], primaryAdmin: true });
  new CustomerUser(s, "bo", { customer, email: "bo@mail.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS], sendActivation: triggers.bo });
  new CustomerUser(s, "cy", { customer, email: "cy@mail.test", displayName: "Cy", roles: [Role.WEBSITE_ACCESS, Role.UC_CLIENT], sendWelcome: triggers.cy });
  return s;
}

describeE2E("activation and welcome e-mails through terraform", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await Workspace.create("emails", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
  });

  afterAll(async () => {
    await ws?.close();
  });

  /** E-mails the emulator counted, by user (only users that got any). */
  async function sent(): Promise<Record<string, string>> {
    const { users } = await ws.control<{ users: Array<{ email: string; activation: number; welcome: number }> }>("GET", "/emails");
    return Object.fromEntries(users.filter((u) => u.activation + u.welcome > 0).map((u) => [u.email, `${u.activation} activation, ${u.welcome} welcome`]));
  }

  test("H5, U14: each changed trigger sends its e-mail exactly once; apply, plan, -replace and destroy send nothing more", async () => {
    // The first apply creates the users: the triggers are the baseline, nothing is sent.
    ws.synth((app) => stack(app, { bo: "2026-11-01", cy: 1 }));
    await ws.apply();
    expect((await ws.users(REFERENCE)).size).toBe(3);
    expect(await sent()).toEqual({});

    // bo's trigger changes: the plan shows it in bo's line; the apply sends one activation e-mail.
    ws.synth((app) => stack(app, { bo: "2026-12-01", cy: 1 }));
    const plan = await ws.planHasChanges();
    expect(plan.changes).toBe(true);
    expect(plan.output).toMatch(/"bo@mail\.test"\s+=\s+"customer\.user \| activation=2026-11-01 \| name=Bo" -> "customer\.user \| activation=2026-12-01 \| name=Bo"/);
    const applied = await ws.apply();
    expect(applied.stdout).toMatch(/user bo@mail\.test \(MAIL-E2E\): sent the activation e-mail \(activation=2026-12-01\)/);
    expect(await sent()).toEqual({ "bo@mail.test": "1 activation, 0 welcome" });

    // Nothing changed: the plan is empty and another apply sends nothing.
    expect((await ws.planHasChanges()).changes).toBe(false);
    await ws.apply();
    expect(await sent()).toEqual({ "bo@mail.test": "1 activation, 0 welcome" });

    // Both change: one more of each.
    ws.synth((app) => stack(app, { bo: "2026-12-02", cy: 2 }));
    await ws.apply();
    expect(await sent()).toEqual({ "bo@mail.test": "2 activation, 0 welcome", "cy@mail.test": "0 activation, 1 welcome" });

    // -replace of the tenant resource converges every user and sends nothing.
    await ws.apply({}, ["-replace=terraform_data.customer"]);
    expect((await ws.planHasChanges()).changes).toBe(false);
    expect(await sent()).toEqual({ "bo@mail.test": "2 activation, 0 welcome", "cy@mail.test": "0 activation, 1 welcome" });

    // terraform destroy releases the customer (removal policy delete) and sends nothing.
    await ws.destroy();
    expect(await ws.customer(REFERENCE)).toBeUndefined();
    expect(await sent()).toEqual({ "bo@mail.test": "2 activation, 0 welcome", "cy@mail.test": "0 activation, 1 welcome" });
  });
});
