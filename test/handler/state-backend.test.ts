/**
 * Which backend the handler believes terraform runs with (src/handler/backend.ts), and what the
 * stack's StateLost check makes of it: the backend `terraform init` recorded wins over the one
 * cdk.tf.json declares (a `-backend-config` or an override file), so the check is neither switched
 * off for a local state nor raised against a shared one. With the pg backend, a second CI runner —
 * another working directory, an empty local file lying around — is never refused.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { STACK_MARKER_KEY, type StackPayload } from "../../src/contracts/handler";
import { stateBackendOf } from "../../src/handler/backend";
import { clientConfig, describeConnection } from "../../src/handler/pg-markers";
import { applyStack, localStateForgotStack } from "../../src/handler/stack";
import { FakeApi, makeDeps, manifestOf, SETTINGS, tenantPayload } from "./fake-api";

const STACK: StackPayload = { t: { stack: "s" }, i: { kind: "stack", settings: SETTINGS } };

/** A stack folder with cdk.tf.json's backend and, optionally, what `terraform init` recorded. */
function stackDir(declared: Record<string, unknown> | undefined, recorded?: { type: string; config: Record<string, unknown> }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "state-backend-"));
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(declared ? { terraform: { backend: declared } } : {}));
  if (recorded) {
    fs.mkdirSync(path.join(dir, ".terraform"));
    fs.writeFileSync(path.join(dir, ".terraform", "terraform.tfstate"), JSON.stringify({ version: 3, backend: { ...recorded, hash: 1 } }));
  }
  return dir;
}

describe("the backend terraform runs with", () => {
  test("GIVEN cdk.tf.json's local backend and no init yet THEN the local file it names", () => {
    const dir = stackDir({ local: { path: "s.tfstate" } });
    expect(stateBackendOf(dir, {}, dir)).toEqual({ kind: "local", file: path.join(dir, "s.tfstate") });
  });

  test("GIVEN no backend at all THEN terraform's default local file", () => {
    const dir = stackDir(undefined);
    expect(stateBackendOf(dir, {}, dir)).toEqual({ kind: "local", file: path.join(dir, "terraform.tfstate") });
  });

  test("GIVEN the pg backend THEN its schema, PG_CONN_STR, and the default workspace", () => {
    const dir = stackDir({ pg: { schema_name: "tfstate_s" } });
    expect(stateBackendOf(dir, { PG_CONN_STR: "postgresql://ci@db.example/state" }, dir)).toEqual({
      kind: "pg",
      connStr: "postgresql://ci@db.example/state",
      schema: "tfstate_s",
      workspace: "default",
    });
  });

  test("GIVEN the pg backend without a schema THEN PG_SCHEMA_NAME, else terraform's default schema", () => {
    const dir = stackDir({ pg: {} });
    expect(stateBackendOf(dir, { PG_SCHEMA_NAME: "team" }, dir)).toMatchObject({ schema: "team" });
    expect(stateBackendOf(dir, {}, dir)).toMatchObject({ schema: "terraform_remote_state" });
  });

  test("GIVEN a selected workspace THEN TF_WORKSPACE, else the data directory's environment file", () => {
    const dir = stackDir({ pg: { schema_name: "x" } }, { type: "pg", config: { schema_name: "x", conn_str: null } });
    fs.writeFileSync(path.join(dir, ".terraform", "environment"), "blue");
    expect(stateBackendOf(dir, {}, dir)).toMatchObject({ workspace: "blue" });
    expect(stateBackendOf(dir, { TF_WORKSPACE: "green" }, dir)).toMatchObject({ workspace: "green" });
  });

  test("GIVEN TF_DATA_DIR THEN the backend and workspace recorded there", () => {
    const dir = stackDir({ local: {} });
    fs.mkdirSync(path.join(dir, "data"));
    fs.writeFileSync(path.join(dir, "data", "terraform.tfstate"), JSON.stringify({ backend: { type: "pg", config: { schema_name: "moved" } } }));
    fs.writeFileSync(path.join(dir, "data", "environment"), "w1\n");
    expect(stateBackendOf(dir, { TF_DATA_DIR: "data" }, dir)).toEqual({ kind: "pg", schema: "moved", workspace: "w1" });
  });

  test("GIVEN init recorded another backend than cdk.tf.json declares (-backend-config, an override file) THEN the recorded one", () => {
    const overridden = stackDir({ local: {} }, { type: "pg", config: { schema_name: "a" } });
    expect(stateBackendOf(overridden, {}, overridden)).toMatchObject({ kind: "pg", schema: "a" });
    const dir = stackDir({ pg: { schema_name: "a" } }, { type: "local", config: { path: "over.tfstate" } });
    expect(stateBackendOf(dir, {}, dir)).toEqual({ kind: "local", file: path.join(dir, "over.tfstate") });
    const s3 = stackDir({ s3: { bucket: "b" } });
    expect(stateBackendOf(s3, {}, s3)).toEqual({ kind: "other", type: "s3" });
  });
});

describe("StateLost with a remote backend", () => {
  function depsWithAppliedMarker(api: FakeApi) {
    const deps = makeDeps({ api, manifest: manifestOf(tenantPayload({})) });
    deps.markers.write({ version: 2, key: STACK_MARKER_KEY, state: "applied", digest: "", writtenAt: 0 });
    return deps;
  }

  test("GIVEN the pg backend and an empty local state file left in the folder (a migration, another runner) WHEN the stack resource is created THEN it goes on", async () => {
    const dir = stackDir({ pg: { schema_name: "tfstate_s" } }, { type: "pg", config: { schema_name: "tfstate_s" } });
    fs.writeFileSync(path.join(dir, "terraform.tfstate"), "");
    const api = new FakeApi();
    const deps = depsWithAppliedMarker(api);
    expect(localStateForgotStack(dir, {}, dir)).toBe(false);
    await expect(applyStack(STACK, deps, dir)).resolves.toBeUndefined();
    expect(api.calls).toEqual([]);
  });

  test("GIVEN cdk.tf.json declares pg but init set up a local state (an override file) that a kill emptied THEN it is lost: the check follows the backend terraform uses", () => {
    const dir = stackDir({ pg: { schema_name: "tfstate_s" } }, { type: "local", config: { path: "s.tfstate" } });
    fs.writeFileSync(path.join(dir, "s.tfstate"), "");
    expect(localStateForgotStack(dir, {}, dir)).toBe(true);
  });

  test("GIVEN cdk.tf.json declares a local state but init set up pg (-backend-config) THEN an empty local file is not the state: nothing is lost", () => {
    const dir = stackDir({ local: { path: "s.tfstate" } }, { type: "pg", config: { schema_name: "tfstate_s" } });
    fs.writeFileSync(path.join(dir, "s.tfstate"), "");
    expect(localStateForgotStack(dir, {}, dir)).toBe(false);
  });
});

describe("reaching the state's database from the handler", () => {
  test("GIVEN a URL with sslmode THEN the ssl setting follows libpq's meaning of it", () => {
    expect(clientConfig("postgresql://ci:pw@db:5432/state?sslmode=disable", {})).toMatchObject({ ssl: false, connectionString: "postgresql://ci:pw@db:5432/state" });
    expect(clientConfig("postgresql://ci@db/state?sslmode=verify-full&application_name=x", {})).toMatchObject({ ssl: true, connectionString: "postgresql://ci@db/state?application_name=x" });
  });

  test("GIVEN no sslmode THEN encrypted without a certificate check, as terraform's lib/pq does (sslmode=require)", () => {
    expect(clientConfig("postgresql://ci@db/state", {}).ssl).toEqual({ rejectUnauthorized: false });
    expect(clientConfig(undefined, { PGSSLMODE: "disable" }).ssl).toBe(false);
  });

  test("GIVEN libpq's key=value form THEN each field, which node-postgres would not parse", () => {
    expect(clientConfig("host=db port=6432 user=ci password='p w' dbname=state sslmode=disable", {})).toMatchObject({ host: "db", port: 6432, user: "ci", password: "p w", database: "state", ssl: false });
  });

  test("GIVEN a connection string with a password THEN messages name host, port and database only", () => {
    expect(describeConnection("postgresql://ci:s3cret@db.example:5432/state?sslmode=disable")).toBe("db.example:5432/state");
    expect(describeConnection("host=db user=ci password=s3cret dbname=state", {})).toBe("db/state");
    expect(describeConnection(undefined, { PGHOST: "h", PGPORT: "1", PGDATABASE: "d", PGPASSWORD: "s3cret" })).toBe("h:1/d");
  });
});
