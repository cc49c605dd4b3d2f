/**
 * Terraform state in PostgreSQL (PostgresBackend): Terraform's `pg` backend with no connection
 * string in cdk.tf.json (Terraform reads PG_CONN_STR where it runs), one schema per stack. And the
 * synth checks for any pg backend of a DimensionsStack: a password in conn_str fails the synth
 * (InvalidStateBackend), two stacks in one schema warn (SharedStateSchema).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PgBackend } from "cdktf";
import { Acknowledgements, Customer, CustomerUser, PostgresBackend, RolloutStacks } from "../../src";
import { acmeWithAdmin, ADMIN, customerProps, newApp, newStack, stackDir, synthErrorCodes, synthFailure, thrown, useFakeHandlerBundle, warnings } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

function backendOf(dir: string): Record<string, unknown> {
  return (JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as { terraform: { backend: Record<string, unknown> } }).terraform.backend;
}

test("GIVEN a PostgresBackend WHEN synthesized THEN cdk.tf.json has the pg backend with the stack's schema and no conn_str", () => {
  const app = newApp();
  const stack = newStack(app, {}, "customers-eu-0");
  acmeWithAdmin(stack);
  const backend = new PostgresBackend(stack);
  app.synth();
  expect(backend.schemaName).toBe("tfstate_customers_eu_0");
  expect(backendOf(stackDir(app, stack))).toEqual({ pg: { schema_name: "tfstate_customers_eu_0" } });
});

test("GIVEN a schema name and the skip options THEN they are rendered as given", () => {
  const app = newApp();
  const stack = newStack(app);
  acmeWithAdmin(stack);
  new PostgresBackend(stack, { schemaName: "team_state", skipSchemaCreation: true, skipTableCreation: true });
  app.synth();
  expect(backendOf(stackDir(app, stack))).toEqual({ pg: { schema_name: "team_state", skip_schema_creation: true, skip_table_creation: true } });
});

test("GIVEN a schema name that is not a plain PostgreSQL name THEN InvalidStateBackend names it", () => {
  const stack = newStack(newApp());
  expect(thrown(() => new PostgresBackend(stack, { schemaName: "Team-State" }))).toMatchObject({ code: "InvalidStateBackend" });
  expect(thrown(() => new PostgresBackend(stack, { schemaName: "x".repeat(64) })).message).toMatch(/not a plain PostgreSQL name/);
});

test("GIVEN a stack id of any length THEN the default schema is at most 63 characters", () => {
  expect(PostgresBackend.defaultSchemaName("A".repeat(80))).toHaveLength(63);
  expect(PostgresBackend.defaultSchemaName("Customers.EU-1")).toBe("tfstate_customers_eu_1");
});

test("GIVEN cdktf's PgBackend with a password in connStr THEN the synth fails with InvalidStateBackend, before any file holds it", () => {
  const app = newApp();
  const stack = newStack(app);
  acmeWithAdmin(stack);
  new PgBackend(stack, { connStr: "postgresql://ci:s3cret@db.example/state", schemaName: "tfstate_stack" });
  expect(synthErrorCodes(app)).toEqual(["stack InvalidStateBackend"]);
  expect(synthFailure(app)).not.toContain("s3cret");
  expect(fs.existsSync(path.join(stackDir(app, stack), "cdk.tf.json"))).toBe(false);
});

test("GIVEN cdktf's PgBackend with a password in a key=value connStr THEN the synth fails too", () => {
  const app = newApp();
  const stack = newStack(app);
  acmeWithAdmin(stack);
  new PgBackend(stack, { connStr: "host=db user=ci password=s3cret dbname=state" });
  expect(synthErrorCodes(app)).toEqual(["stack InvalidStateBackend"]);
});

test("GIVEN cdktf's PgBackend without a password (PGPASSWORD where terraform runs) THEN the synth passes", () => {
  const app = newApp();
  const stack = newStack(app);
  acmeWithAdmin(stack);
  new PgBackend(stack, { connStr: "postgresql://ci@db.example/state?sslmode=require", schemaName: "tfstate_stack" });
  expect(synthFailure(app)).toBe("");
});

test("GIVEN two stacks in one schema THEN each warns SharedStateSchema naming the other; an acknowledgement covers it", () => {
  const app = newApp();
  const one = newStack(app, {}, "one");
  const two = newStack(app, {}, "two");
  acmeWithAdmin(one);
  acmeWithAdmin(two, { reference: "ACME-002" });
  new PostgresBackend(one, { schemaName: "shared" });
  new PostgresBackend(two, { schemaName: "shared" });
  Acknowledgements.of(two).add({ code: "SharedStateSchema", reason: "each stack runs in a terraform workspace of its own" });
  app.synth();
  expect(warnings(one).join("\n")).toMatch(/SharedStateSchema \[runtime\]: stack "one" keeps its state in schema "shared", as "two" does/);
  expect(warnings(two)).toEqual([]);
});

test("GIVEN a rollout whose stacks get a PostgresBackend as they are created THEN each stack has its own schema, and no warning", () => {
  const app = newApp();
  const rollout = new RolloutStacks(app, { prefix: "customers", shards: 2, acceptCharges: true, configure: (stack) => new PostgresBackend(stack) });
  for (const reference of ["EU-1", "EU-2", "EU-3", "EU-4"]) {
    const stack = rollout.stackFor(reference, "eu");
    const id = reference.toLowerCase();
    const customer = new Customer(stack, id, customerProps({ reference }));
    new CustomerUser(stack, `${id}-admin`, { customer, email: `admin@${id}.test`, displayName: "Admin", roles: ADMIN, primaryAdmin: true });
  }
  expect(rollout.stacks.length).toBe(2);
  app.synth();
  for (const stack of rollout.stacks) {
    expect(backendOf(stackDir(app, stack))).toEqual({ pg: { schema_name: PostgresBackend.defaultSchemaName(stack.node.id) } });
    expect(warnings(stack)).toEqual([]);
  }
});
