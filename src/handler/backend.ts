/**
 * Which backend holds the state of the terraform run that started this handler, read the way
 * Terraform itself decides: the backend `terraform init` recorded in the data directory
 * (`.terraform/terraform.tfstate`, which includes any `-backend-config`), else the one cdk.tf.json
 * declares, else the local default; and for the pg backend, the schema and the workspace
 * (`TF_WORKSPACE`, else the data directory's `environment` file, else "default").
 *
 * The handler runs in terraform's working directory (local-exec's default), with its environment.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type StateBackend =
  | { readonly kind: "local"; readonly file: string }
  | {
      readonly kind: "pg";
      /** From the configuration (never holding a password, see PostgresBackend), else PG_CONN_STR; absent: libpq's PG* variables. */
      readonly connStr?: string;
      readonly schema: string;
      readonly workspace: string;
    }
  | { readonly kind: "other"; readonly type: string };

/** Terraform's default when neither the configuration nor PG_SCHEMA_NAME names a schema. */
export const PG_DEFAULT_SCHEMA = "terraform_remote_state";

type Config = Record<string, unknown>;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** The backend `terraform init` set up in the data directory, when it recorded one. */
function initializedBackend(dataDir: string): { type: string; config: Config } | undefined {
  const recorded = readJson(path.join(dataDir, "terraform.tfstate")) as { backend?: { type?: unknown; config?: unknown } } | undefined;
  const type = recorded?.backend?.type;
  if (typeof type !== "string" || type === "") return undefined;
  const config = recorded?.backend?.config;
  return { type, config: config !== null && typeof config === "object" ? (config as Config) : {} };
}

function declaredBackend(stackDir: string): { type: string; config: Config } | undefined {
  const declared = readJson(path.join(stackDir, "cdk.tf.json")) as { terraform?: { backend?: Record<string, unknown> } } | undefined;
  const backend = declared?.terraform?.backend;
  if (!backend || typeof backend !== "object") return undefined;
  const [type] = Object.keys(backend);
  if (!type) return undefined;
  const config = backend[type];
  return { type, config: config !== null && typeof config === "object" ? (config as Config) : {} };
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export function stateBackendOf(stackDir: string, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): StateBackend {
  const dataDir = path.resolve(cwd, text(env.TF_DATA_DIR) ?? ".terraform");
  const backend = initializedBackend(dataDir) ?? declaredBackend(stackDir) ?? { type: "local", config: {} };
  if (backend.type === "local") return { kind: "local", file: path.resolve(stackDir, text(backend.config.path) ?? "terraform.tfstate") };
  if (backend.type !== "pg") return { kind: "other", type: backend.type };
  let workspace = text(env.TF_WORKSPACE);
  if (!workspace) {
    try {
      workspace = text(fs.readFileSync(path.join(dataDir, "environment"), "utf8").trim());
    } catch {
      workspace = undefined;
    }
  }
  const connStr = text(backend.config.conn_str) ?? text(env.PG_CONN_STR);
  return {
    kind: "pg",
    ...(connStr ? { connStr } : {}),
    schema: text(backend.config.schema_name) ?? text(env.PG_SCHEMA_NAME) ?? PG_DEFAULT_SCHEMA,
    workspace: workspace ?? "default",
  };
}
