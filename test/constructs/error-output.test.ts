/**
 * How a failed synth reads: every finding of the app at once, one line each in the format
 * `[path] Code [rule]: message; fix`, no stack trace, and — after cdktf's advice to set
 * CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS — our own last line saying why that is no way out here.
 * (The real `cdktf synth` CLI: terraform.test.ts.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Customer, CustomerUser, Role, RoleAssignment } from "../../src";
import { FORCED_SYNTH_CONSTRUCT_ID, FORCED_SYNTH_LINE } from "../../src/constructs/private/synth";
import { acmeWithAdmin, ADMIN, customerProps, newApp, newStack, stackDir, synthFailure, useFakeHandlerBundle } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

const CONTINUE = "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS";

/** Runs fn with CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS set (as `cdktf synth` sets it for the app). */
function continuing<T>(fn: () => T): T {
  const saved = process.env[CONTINUE];
  process.env[CONTINUE] = "true";
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[CONTINUE];
    else process.env[CONTINUE] = saved;
  }
}

/** A customer without a primary admin (one mistake), in `stack`. */
function withoutPrimary(stack: ReturnType<typeof newStack>, reference = "ACME-001"): void {
  const customer = new Customer(stack, "acme", customerProps({ reference }));
  new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN] });
}

test("GIVEN errors WHEN app.synth() fails THEN its message lists them, cdktf's advice, and ends with our line; no stack trace", () => {
  const app = newApp();
  withoutPrimary(newStack(app));
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  const lines = error!.message.split("\n");
  expect(lines[1]).toMatch(/^\[stack\/acme\] PrimaryAdminMissing \[H1\/U5\]: /);
  expect(lines).toContainEqual(expect.stringContaining("or set the environment variable CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS"));
  expect(lines[lines.length - 1]).toBe(FORCED_SYNTH_LINE);
  expect(error!.stack).toBe(`Error: ${error!.message}`);
});

test("GIVEN errors in two stacks WHEN app.synth() fails (at the first) THEN the line is there once, last", () => {
  const app = newApp();
  withoutPrimary(newStack(app, {}, "one"));
  withoutPrimary(newStack(app, {}, "two"), "ACME-002");
  const message = synthFailure(app);
  expect(message.split(FORCED_SYNTH_LINE)).toHaveLength(2);
  expect(message.endsWith(`\n${FORCED_SYNTH_LINE}`)).toBe(true);
});

test("GIVEN a compliant app WHEN synthesized THEN no line, no extra construct", () => {
  const app = newApp();
  const stack = newStack(app);
  acmeWithAdmin(stack);
  expect(synthFailure(app)).toBe("");
  expect(stack.node.tryFindChild(FORCED_SYNTH_CONSTRUCT_ID)).toBeUndefined();
});

interface CdktfManifest {
  stacks: Record<string, { annotations: Array<{ constructPath: string; level: string; message: string; stacktrace?: string[] }> }>;
}

test("GIVEN errors WHEN the synth goes on past them (cdktf synth, or forced) THEN every annotation has no stack trace, and the last DimensionsStack's last one is our line, once", () => {
  const app = newApp();
  const [one, two] = continuing(() => {
    const one = newStack(app, {}, "one");
    withoutPrimary(one);
    const two = newStack(app, {}, "two");
    const { customer } = acmeWithAdmin(two, { reference: "ACME-002" });
    new RoleAssignment(two, "live", { customer, roles: [Role.SILENT_MONITOR, Role.WEBSITE_ACCESS], users: ["ana@acme.tst"] });
    app.synth();
    return [one, two];
  });
  const manifest = JSON.parse(fs.readFileSync(path.join(app.outdir, "manifest.json"), "utf8")) as CdktfManifest;
  // What `cdktf synth` prints, in this order.
  const printed = Object.values(manifest.stacks).flatMap((s) => s.annotations);
  expect(printed.map((a) => `${a.level} [${a.constructPath}]: ${a.message.split(":")[0]}`)).toEqual([
    "@cdktf/error [one/acme]: PrimaryAdminMissing [H1/U5]",
    "@cdktf/warn [two/live]: AssignedEmailNearDeclaredUser [U1]",
    `@cdktf/error [two/${FORCED_SYNTH_CONSTRUCT_ID}]: dimensions`,
  ]);
  expect(printed[printed.length - 1].message).toBe(FORCED_SYNTH_LINE);
  expect(printed.filter((a) => a.stacktrace !== undefined)).toEqual([]);
  // The stack with the error writes no manifest; the handler refuses its resources (SynthFailed).
  expect(fs.existsSync(path.join(stackDir(app, one), "dimensions.manifest.json"))).toBe(false);
  expect(fs.existsSync(path.join(stackDir(app, two), "dimensions.manifest.json"))).toBe(true);
});
