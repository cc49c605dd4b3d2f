import type { Construct } from "constructs";
import { PgBackend, TerraformStack } from "../framework";
import { DimensionsError, finding } from "../validation/rules";

/** A schema name Terraform and psql read alike: PostgreSQL folds unquoted names to lower case. */
export const STATE_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresBackendProps {
  /**
   * The schema that holds this stack's state (Terraform creates it with its `states` table, unless
   * `skipSchemaCreation`). One schema per stack: a stack's state is then found by its code alone,
   * whatever workspace is selected where terraform runs.
   * @default - `tfstate_` and the stack id, lower-cased, with every character other than a-z, 0-9 and _ as `_`
   */
  readonly schemaName?: string;
  /** @default false - Terraform creates the schema when it is missing */
  readonly skipSchemaCreation?: boolean;
  /** @default false - Terraform creates the `states` table when it is missing */
  readonly skipTableCreation?: boolean;
  /** @default false - Terraform creates the table's index when it is missing */
  readonly skipIndexCreation?: boolean;
}

/**
 * Terraform state in PostgreSQL: Terraform's built-in `pg` backend (cdktf's `PgBackend`), with
 * the connection string left out of the configuration. cdktf's `PgBackend` requires `connStr` and
 * writes it into cdk.tf.json as given — a password included, and from there into every saved plan
 * and `.terraform/terraform.tfstate`. Here Terraform reads it where it runs, from `PG_CONN_STR`
 * (or libpq's `PGHOST`, `PGUSER`, `PGPASSWORD`…).
 *
 * Terraform writes each snapshot of the state in one statement (a crash leaves the previous
 * snapshot, never a torn one) and locks it with a PostgreSQL advisory lock that ends with the
 * session: a killed terraform releases it. The handler keeps its markers and the log of e-mails an
 * unfinished change sent beside the state, in the same schema (`dimensions_markers`), so every CI
 * runner sees what an interrupted or failed run left.
 *
 * ```ts
 * new PostgresBackend(stack); // state in schema tfstate_<stack id>
 * ```
 */
export class PostgresBackend extends PgBackend {
  /** The default schema of a stack's state: `tfstate_` + its id, folded to a-z, 0-9 and _. */
  public static defaultSchemaName(stackId: string): string {
    return `tfstate_${stackId.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`.slice(0, 63);
  }

  public readonly schemaName: string;

  constructor(stack: Construct, props: PostgresBackendProps = {}) {
    if (!TerraformStack.isStack(stack)) {
      throw new DimensionsError(finding("InvalidStateBackend", stack.node.path, `PostgresBackend's scope "${stack.node.path}" is not a stack`, "create it with the stack itself as its scope: new PostgresBackend(stack)"));
    }
    const schemaName = props.schemaName ?? PostgresBackend.defaultSchemaName(stack.node.id);
    if (typeof schemaName !== "string" || !STATE_SCHEMA_NAME.test(schemaName)) {
      throw new DimensionsError(
        finding("InvalidStateBackend", stack.node.path, `schema name ${JSON.stringify(schemaName)} of stack "${stack.node.id}" is not a plain PostgreSQL name`, "use lower-case letters, digits and _ (at most 63 characters, not starting with a digit)"),
      );
    }
    // conn_str is dropped from the rendered attributes below: it is never written anywhere.
    super(stack, {
      connStr: "",
      schemaName,
      ...(props.skipSchemaCreation !== undefined ? { skipSchemaCreation: props.skipSchemaCreation } : {}),
      ...(props.skipTableCreation !== undefined ? { skipTableCreation: props.skipTableCreation } : {}),
      ...(props.skipIndexCreation !== undefined ? { skipIndexCreation: props.skipIndexCreation } : {}),
    });
    this.schemaName = schemaName;
  }

  protected override synthesizeAttributes(): { [name: string]: unknown } {
    return withoutConnStr(super.synthesizeAttributes());
  }

  protected override synthesizeHclAttributes(): { [name: string]: unknown } {
    return withoutConnStr(super.synthesizeHclAttributes());
  }
}

function withoutConnStr(attributes: { [name: string]: unknown }): { [name: string]: unknown } {
  const { conn_str: _connStr, ...rest } = attributes;
  return rest;
}
