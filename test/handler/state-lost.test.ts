/**
 * The stack resource's create after a crash (StateLost): the local state file emptied or torn by
 * an interrupted terraform, and the stack's marker still there. Refuses before any API call; goes
 * on for a valid state (a taint) or when every customer has authoritative users (H8 heals).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { STACK_MARKER_KEY, type StackPayload } from "../../src/contracts/handler";
import { HandlerError } from "../../src/handler/errors";
import { applyStack, localStateForgotStack } from "../../src/handler/stack";
import { FakeApi, makeDeps, manifestOf, tenantPayload, SETTINGS } from "./fake-api";

const STACK: StackPayload = { t: { stack: "s" }, i: { kind: "stack", settings: SETTINGS } };

function stackDir(state: string | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-lost-"));
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ terraform: { backend: { local: { path: "s.tfstate" } } } }));
  if (state !== undefined) fs.writeFileSync(path.join(dir, "s.tfstate"), state);
  return dir;
}

function depsWith(api: FakeApi, authoritative = false) {
  const deps = makeDeps({ api, manifest: manifestOf(tenantPayload({}, { authoritative })) });
  deps.markers.write({ version: 2, key: STACK_MARKER_KEY, state: "applied", digest: "", writtenAt: 0 });
  return deps;
}

test("GIVEN an emptied state file WHEN the stack resource is created again THEN StateLost, before any API call", async () => {
  const api = new FakeApi();
  api.addCustomer({ reference: "ACME-001" });
  const e = await applyStack(STACK, depsWith(api), stackDir("")).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(HandlerError);
  expect(e).toMatchObject({ code: "StateLost" });
  expect((e as HandlerError).hint).toMatch(/cp <state>\.backup <state>/);
  expect(api.calls).toEqual([]);
});

test("GIVEN a torn state file THEN it counts as lost; a valid one (a taint of everything) or none does not", () => {
  expect(localStateForgotStack(stackDir('{"version": 4, "reso'))).toBe(true);
  expect(localStateForgotStack(stackDir(""))).toBe(true);
  expect(localStateForgotStack(stackDir(JSON.stringify({ version: 4, resources: [] })))).toBe(false);
  expect(localStateForgotStack(stackDir(undefined))).toBe(false);
});

test("H8: GIVEN an emptied state file and every customer with authoritative users THEN the create goes on and says the apply heals", async () => {
  const api = new FakeApi();
  api.addCustomer({ reference: "ACME-001" });
  const deps = depsWith(api, true);
  await expect(applyStack(STACK, deps, stackDir(""))).resolves.toBeUndefined();
  expect(deps.out.join("\n")).toMatch(/authoritative users \(H8\)/);
});
