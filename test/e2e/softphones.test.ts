/**
 * Softphones end to end (U14, U7): the real terraform binary and the bundled handler against the
 * emulator, whose device routes refuse what the contract refuses (an assign without the UC
 * softphone roles, a revoke under an assigned device), so the order the plan gives is proven on the
 * server side too. Apply with a softphone, the emulator holds it, a plan is empty; change the
 * client type and add a device (the saved plan and its summary show it), apply; remove a device,
 * apply; destroy, and the adopted user is left with no device and none of the app's roles.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { summarize } from "../../src/cli/plan-summary";
import { CustomerRemovalPolicy, type Softphone } from "../../src";
import { describeE2E, Workspace } from "./harness";
import { ADMIN, fixtureStack, PBX_ACCOUNT, PBX_KEY_ENV, PBX_KEY_VALUE, type FixtureSpec } from "./fixture-stack";

jest.setTimeout(300_000);

const BO = "bo@e2e.test";
const UC = ["customer.user", "customer.user.uc", "customer.user.uc.softphone"];
const ANA = { id: "ana", email: "ana@e2e.test", roles: [...ADMIN, "customer.user.supervisorl1"], primary: true };

function spec(softphones: Softphone[]): FixtureSpec {
  // Bo is on the PBX (imported, C3) and adopted: on destroy his devices and roles are taken back, he stays.
  return { customerRemovalPolicy: CustomerRemovalPolicy.RETAIN, users: [ANA, { id: "bo", email: BO, roles: UC, adopt: true, softphones }] };
}

interface DumpedUser {
  email: string;
  roles: string[];
  devices: Array<{ deviceId: string; clientType: string }>;
}

describeE2E("softphones against the emulator", () => {
  let ws: Workspace;

  afterEach(async () => {
    await ws?.close();
  });

  async function bo(): Promise<{ roles: string[]; devices: string[] }> {
    const state = await ws.control<{ users: DumpedUser[] }>("GET", "/state");
    const user = state.users.find((u) => u.email === BO)!;
    return { roles: [...user.roles].sort(), devices: user.devices.map((d) => `${d.deviceId}:${d.clientType}`).sort() };
  }

  test("U14: apply assigns, a change re-assigns and unassigns, a plan after each is empty, and destroy takes the devices back before the roles", async () => {
    ws = await Workspace.create("softphones", { [PBX_KEY_ENV]: PBX_KEY_VALUE });
    await ws.control("PUT", `/pbx/${PBX_ACCOUNT}/users`, [{ email: BO, displayName: "Bo", devices: ["1001", "1002"] }]);

    // GIVEN Bo with one softphone
    ws.synth((app) => fixtureStack(app, spec([{ device: "1001", clientType: "desktop" }])));
    await ws.apply();
    expect(await bo()).toEqual({ roles: ["customer.user.pbx", ...UC].sort(), devices: ["1001:desktop"] });
    expect((await ws.planHasChanges()).changes).toBe(false);

    // WHEN the client type changes and a device is added: the plan shows it in Bo's line
    const stackDir = ws.synth((app) => fixtureStack(app, spec([{ device: "1001", clientType: "mobile" }, { device: "1002", clientType: "webrtc" }])));
    const planned = await ws.terraform(["plan", "-input=false", "-out=change.tfplan"]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/softphones=1001:desktop"\s*->\s*"[^"]*softphones=1001:mobile,1002:webrtc"/);
    const shown = await ws.terraform(["show", "-json", "change.tfplan"]);
    fs.writeFileSync(path.join(stackDir, "change.json"), shown.stdout);
    expect(summarize(JSON.parse(shown.stdout)).customers[0].users).toEqual([
      {
        email: BO,
        change: "changed",
        gains: [],
        loses: [],
        assigns: [
          { device: "1001", clientType: "mobile" },
          { device: "1002", clientType: "webrtc" },
        ],
        unassigns: [{ device: "1001", clientType: "desktop" }],
      },
    ]);
    await ws.apply({}, ["change.tfplan"]);
    expect((await bo()).devices).toEqual(["1001:mobile", "1002:webrtc"]);
    expect((await ws.planHasChanges()).changes).toBe(false);

    // WHEN a device leaves the code
    ws.synth((app) => fixtureStack(app, spec([{ device: "1002", clientType: "webrtc" }])));
    await ws.apply();
    expect((await bo()).devices).toEqual(["1002:webrtc"]);
    expect((await ws.planHasChanges()).changes).toBe(false);

    // WHEN the stack is destroyed: the server refuses to revoke the softphone role under a device,
    // so this only succeeds if the device goes first
    await ws.destroy();
    expect(await bo()).toEqual({ roles: ["customer.user.pbx"], devices: [] });
  });
});
