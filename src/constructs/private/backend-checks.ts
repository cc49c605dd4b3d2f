/**
 * Synth checks of a stack's Terraform backend when it keeps the state in PostgreSQL (`pg`), with
 * cdktf's PgBackend or ours: no password in cdk.tf.json (it would also go into every saved plan
 * and `.terraform/terraform.tfstate`), and no two stacks of the app in one schema (one workspace
 * of one schema is one state: two stacks there would each see the other's resources as removed).
 */
import type { IConstruct } from "constructs";
import { TerraformBackend, TerraformStack, Token } from "../../framework";
import { finding, type Finding } from "../../validation/rules";

/** Terraform's default schema when the configuration names none (and PG_SCHEMA_NAME is unset). */
const TERRAFORM_DEFAULT_SCHEMA = "terraform_remote_state";

interface PgSettings {
  readonly connStr?: unknown;
  readonly schema: string;
}

function pgSettingsOf(stack: IConstruct): PgSettings | undefined {
  const backend = stack.node.children.find((c) => TerraformBackend.isBackend(c)) as TerraformBackend | undefined;
  if (!backend) return undefined;
  const rendered = backend.toTerraform() as { terraform?: { backend?: Record<string, Record<string, unknown>> } };
  const pg = rendered.terraform?.backend?.pg;
  if (!pg) return undefined;
  const schema = typeof pg.schema_name === "string" ? pg.schema_name : TERRAFORM_DEFAULT_SCHEMA;
  return { connStr: pg.conn_str, schema };
}

/** Whether a libpq connection string (URL or key=value) carries a password. */
export function connStrHasPassword(connStr: string): boolean {
  if (/^postgres(ql)?:\/\//i.test(connStr)) {
    try {
      if (new URL(connStr).password !== "") return true;
    } catch {
      // Not a URL after all: look for the key=value form below.
    }
    return /[?&]password=/i.test(connStr);
  }
  return /(^|\s)password\s*=/i.test(connStr);
}

export function stateBackendFindings(stack: TerraformStack): Finding[] {
  const own = pgSettingsOf(stack);
  if (!own) return [];
  const findings: Finding[] = [];
  const where = stack.node.path;
  if (typeof own.connStr === "string" && !Token.isUnresolved(own.connStr) && connStrHasPassword(own.connStr)) {
    findings.push(
      finding(
        "InvalidStateBackend",
        where,
        `the pg backend of stack "${stack.node.id}" has a conn_str with a password: it would be written to cdk.tf.json, every saved plan and .terraform/terraform.tfstate`,
        "use new PostgresBackend(stack) (no conn_str), or cdktf's PgBackend without a password, and export PG_CONN_STR (or PGPASSWORD) where terraform runs",
      ),
    );
  }
  const others = stack.node.root.node
    .findAll()
    .filter((c): c is TerraformStack => c !== stack && TerraformStack.isStack(c))
    .filter((c) => pgSettingsOf(c)?.schema === own.schema)
    .map((c) => c.node.id)
    .sort();
  if (others.length > 0) {
    findings.push(
      finding(
        "SharedStateSchema",
        where,
        `stack "${stack.node.id}" keeps its state in schema "${own.schema}", as ${others.map((o) => `"${o}"`).join(", ")} do${others.length === 1 ? "es" : ""}: in one workspace they are one state, and an apply of either would release the other's customers`,
        "give each stack its own schema (new PostgresBackend(stack) names it after the stack), or acknowledge this if every stack runs in a terraform workspace of its own",
      ),
    );
  }
  return findings;
}
