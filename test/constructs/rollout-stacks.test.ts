/**
 * RolloutStacks splits a rollout into stacks by region and shard; `dimensions stacks --json`
 * lists them for a CI matrix. A customer's stack depends only on its reference and region, so
 * adding or removing other customers never moves it (a move would release it from one state).
 */
import * as path from "node:path";
import { App } from "cdktf";
import { Customer, CustomerUser, Role, RolloutStacks } from "../../src";
import { listStacks, runStacks } from "../../src/cli/stacks";
import { customerProps, useFakeHandlerBundle } from "./helpers";
import * as fs from "node:fs";
import * as os from "node:os";

beforeAll(() => {
  useFakeHandlerBundle();
});

const ADMIN = [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR];

function rollout(references: string[], shards: number) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-rollout-"));
  const app = new App({ outdir });
  const stacks = new RolloutStacks(app, { prefix: "customers", shards, acceptCharges: true });
  for (const reference of references) {
    const region = reference.startsWith("UK") ? "uk" : "eu";
    const stack = stacks.stackFor(reference, region);
    const customer = new Customer(stack, reference.toLowerCase(), customerProps({ reference }));
    new CustomerUser(stack, `${reference.toLowerCase()}-admin`, { customer, email: `admin@${reference.toLowerCase()}.test`, displayName: "Admin", roles: ADMIN, primaryAdmin: true });
  }
  app.synth();
  return { app, stacks, outdir };
}

test("GIVEN customers of two regions and 3 shards WHEN split THEN each lands in <prefix>-<region>-<shard>, and the shard is the reference's", () => {
  const refs = ["EU-1", "EU-2", "EU-3", "EU-4", "EU-5", "UK-1", "UK-2"];
  const { stacks } = rollout(refs, 3);
  for (const ref of refs) {
    const region = ref.startsWith("UK") ? "uk" : "eu";
    expect(stacks.stackFor(ref, region).node.id).toBe(`customers-${region}-${RolloutStacks.shardOf(ref, 3)}`);
    expect(stacks.stackFor(ref, region).region).toBe(region);
  }
  expect(new Set(stacks.stacks.map((s) => s.node.id)).size).toBe(stacks.stacks.length);
});

test("GIVEN more customers WHEN split again THEN no earlier customer changes stack", () => {
  const before = rollout(["EU-1", "EU-2", "EU-3"], 4).stacks;
  const after = rollout(["EU-1", "EU-2", "EU-3", "EU-9", "EU-10", "EU-11"], 4).stacks;
  for (const ref of ["EU-1", "EU-2", "EU-3"]) expect(after.stackFor(ref, "eu").node.id).toBe(before.stackFor(ref, "eu").node.id);
});

test("GIVEN a synthesized rollout WHEN dimensions stacks --json runs THEN one row per stack with its region, customers and users", async () => {
  const { outdir } = rollout(["EU-1", "EU-2", "UK-1"], 1);
  const rows = listStacks(outdir, path.dirname(outdir));
  expect(rows.map((r) => [r.stack, r.region, r.customers, r.users])).toEqual([
    ["customers-eu-0", "eu", 2, 2],
    ["customers-uk-0", "uk", 1, 1],
  ]);
  const out: string[] = [];
  expect(await runStacks(["--dir", outdir, "--json"], "/", { out: (l) => out.push(l), err: (l) => out.push(l) })).toBe(0);
  expect(JSON.parse(out[0])).toEqual(rows.map((r) => ({ ...r, dir: path.relative("/", path.join(outdir, "stacks", r.stack)) })));
});

test("GIVEN shards out of range WHEN the helper is made THEN a clear error", () => {
  expect(() => new RolloutStacks(new App(), { prefix: "c", shards: 0, acceptCharges: true })).toThrow(/shards must be a whole number from 1 to 1000/);
});
