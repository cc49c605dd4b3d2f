/**
 * The warm handler of a terraform run (src/handler/worker.ts, forward.sh): every tenant create of
 * one run goes through one node process instead of one each, and the tenants land exactly as
 * without it. `node` is counted with a PATH shim that logs each start and runs the real node.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Customer, CustomerUser, DimensionsStack, Role } from "../../src";
import { describeE2E, Workspace } from "./harness";

jest.setTimeout(240_000);

const CUSTOMERS = 6;
const PBX_KEY_ENV = "WARM_KAZOO_KEY";

function build(ws: Workspace, users: number) {
  return ws.synth((app) => {
    const stack = new DimensionsStack(app, "warm", { acceptCharges: true });
    for (let c = 0; c < CUSTOMERS; c++) {
      const customer = new Customer(stack, `c${c}`, {
        name: `Warm ${c}`,
        description: "warm handler",
        reference: `WARM-${c}`,
        pbx: { hostRest: "https://pbx.warm.test", hostWebsocket: "wss://pbx.warm.test", accountId: `pbx-warm-${c}`, apiKeyEnv: PBX_KEY_ENV },
      });
      for (let u = 0; u < users; u++) {
        new CustomerUser(customer, `u${u}`, {
          customer,
          email: `user${u}@warm${c}.test`,
          displayName: `User ${u}`,
          roles: u === 0 ? [Role.WEBSITE_ACCESS, Role.MANAGE_USERS] : [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK],
          primaryAdmin: u === 0,
        });
      }
    }
    return stack;
  });
}

/** A directory with a `node` that appends its arguments to `log`, then runs the real node. */
function nodeShim(dir: string, log: string): string {
  const bin = path.join(dir, "shim-bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, "node"), `#!/bin/sh\necho "$*" >> "${log}"\nexec "${process.execPath}" "$@"\n`, { mode: 0o755 });
  return bin;
}

const starts = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : []);

describeE2E("the warm handler of a terraform run", () => {
  let ws: Workspace;
  afterEach(async () => {
    await ws?.close();
  });

  test.each([
    ["through one warm handler", {}, 1],
    ["with DIMENSIONS_WORKER=0, one handler per customer", { DIMENSIONS_WORKER: "0" }, 0],
  ])("GIVEN a fresh rollout of 6 customers WHEN applied %s THEN every customer lands exactly, the plan is empty, and a change converges", async (_name, extra, warm) => {
    ws = await Workspace.create("warm", { [PBX_KEY_ENV]: "warm-key" });
    const log = path.join(ws.dir, "node-starts.log");
    const env = { ...extra, PATH: `${nodeShim(ws.dir, log)}:${process.env.PATH ?? ""}` };
    const stackDir = build(ws, 3);

    const first = await ws.apply(env);

    const handlerStarts = starts(log).filter((l) => /handler\.cjs (apply|worker)/.test(l));
    // The stack and inventory resources run their own handler; the customers share one when warm.
    expect(handlerStarts.filter((l) => / worker /.test(l))).toHaveLength(warm);
    expect(handlerStarts.filter((l) => / apply$/.test(l))).toHaveLength(warm ? 2 : 2 + CUSTOMERS);
    for (let c = 0; c < CUSTOMERS; c++) {
      const users = await ws.users(`WARM-${c}`);
      expect([...users.keys()].sort()).toEqual(["user0@warm" + c + ".test", "user1@warm" + c + ".test", "user2@warm" + c + ".test"]);
      expect(users.get(`user1@warm${c}.test`)?.roles).toEqual(expect.arrayContaining(["customer.user", Role.RECORDING_PLAYBACK]));
    }
    // Each customer's own lines still reach terraform's output, under its resource.
    for (let c = 0; c < CUSTOMERS; c++) expect(first.stdout).toMatch(new RegExp(`\\(local-exec\\): dimensions: customer WARM-${c}: `));
    expect((await ws.planHasChanges()).changes).toBe(false);
    // The warm handler ends once terraform has, and leaves no spool behind.
    const workers = path.join(stackDir, ".dimensions-markers", "workers");
    const deadline = Date.now() + 5000;
    while (fs.existsSync(workers) && fs.readdirSync(workers).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fs.existsSync(workers) ? fs.readdirSync(workers) : []).toEqual([]);

    // A change: a fourth user everywhere (each customer replaced, reconciled by its release).
    build(ws, 4);
    await ws.apply(env);
    for (let c = 0; c < CUSTOMERS; c++) expect((await ws.users(`WARM-${c}`)).has(`user3@warm${c}.test`)).toBe(true);
    expect((await ws.planHasChanges()).changes).toBe(false);
  });
});
