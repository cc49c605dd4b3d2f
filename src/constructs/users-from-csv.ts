import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import type { IRoleBundle } from "../catalogue/bundles";
import { csvRowsFinding, parseUsersCsv, type UsersCsv, type UsersCsvRow } from "../validation/csv";
import { finding, type Finding } from "../validation/rules";
import { customerState, type ICustomer } from "./customer";
import { CustomerUser, UserRemovalPolicy } from "./customer-user";
import { DimensionsStack } from "./dimensions-stack";
import { deferFindings } from "./private/deferred";

const CSV_BRAND = Symbol.for("cdktf-dimensions.CustomerUsersFromCsv");

export interface CustomerUsersFromCsvProps {
  readonly customer: ICustomer;
  /**
   * Path of the CSV file, read once when the construct is created (at synth). A relative path is
   * resolved against the working directory of the synth (where `cdktf synth` runs); pass
   * `path.join(__dirname, "users.csv")` to keep it beside your code. The file itself never enters
   * the synthesized configuration: only the users it declares do.
   */
  readonly file: string;
  /**
   * Role bundles usable as columns (`bundle:<name>`, or the bare name when it names no role), in
   * addition to the built-in ones (`RoleBundle.builtIns()`).
   * @default - the built-in bundles only
   */
  readonly bundles?: readonly IRoleBundle[];
  /**
   * Adopt every user of the file (`CustomerUser.adopt`: it must exist, e.g. imported from the PBX;
   * never deleted; an empty displayName keeps the user's current name) instead of declaring them.
   * @default false - the users are declared (`new CustomerUser`): created when missing
   */
  readonly adopt?: boolean;
  /**
   * What happens to a user when its row leaves the file, or on `terraform destroy`.
   * @default - UserRemovalPolicy.DELETE for declared users, REVOKE for adopted ones (as CustomerUser)
   */
  readonly removalPolicy?: UserRemovalPolicy;
  /** @default - detected from the header line: `;` or a tab when the header has no `,`, else `,` */
  readonly delimiter?: "," | ";" | "\t";
}

/**
 * The users of one customer, declared in bulk from a CSV file (H6): one row per user, one
 * TRUE/FALSE column per role or bundle. Header convention: see the README ("Bulk users from CSV")
 * and `parseUsersCsv`.
 *
 * Every row is checked before anything fails: a file with bad rows fails the synth with ONE coded
 * error (`CsvRowsInvalid [H6]`; the construct's `findings` hold each problem) that lists every
 * problem as `<file>:<line>:<column> <Code> [<rule>]: …; <fix>` — unknown or repeated columns, cells that are
 * not TRUE/FALSE, missing or invalid e-mails and display names (U1), e-mails repeated in the file
 * (U1), read-only roles (U13), role sets breaking U3, U7, U8/H3, U10 or H1 on their own, and, in an
 * optional `softphones` column (`1001:desktop 1002:mobile`), malformed or repeated devices and
 * devices without the UC softphone roles (U14, U7).
 * Cross-construct rules (U4, H1 across the customer, RoleAssignments folded in, C6) run at synth as
 * for any CustomerUser.
 *
 * Construct tree (ids are Terraform addresses, so they derive from the e-mail, never from the row
 * number): `<id>/<lower-cased e-mail>` is a CustomerUser, whose resource is
 * `<id>/<lower-cased e-mail>/Default`. So:
 * - reordering rows, or changing an e-mail's case, changes nothing;
 * - changing a row's roles or display name replaces that user's resource (an update of the same
 *   user: roles it keeps are never removed, even briefly);
 * - renaming an e-mail is another user: the old one is released by its removal policy (deleted,
 *   by default) and the new one created — a delete + create;
 * - removing a row releases that user on the next apply (the customer's user inventory notices).
 */
export class CustomerUsersFromCsv extends Construct {
  /** Brand check that works across copies of this library. */
  public static isCustomerUsersFromCsv(x: unknown): x is CustomerUsersFromCsv {
    return x !== null && typeof x === "object" && CSV_BRAND in x;
  }

  public readonly customer: ICustomer;
  /** The file, as given. */
  public readonly file: string;
  /** One CustomerUser per row, in file order. */
  public readonly users: readonly CustomerUser[];
  /** Each row as parsed (line, e-mail, display name, roles, primary flag), in file order; none when a row is wrong. */
  public readonly rows: readonly UsersCsvRow[];
  /**
   * Every problem of the file, one per cell (`path`: `<file>:<line>:<column>`), in file order; the
   * synth reports the errors as ONE CsvRowsInvalid listing them.
   */
  public readonly findings: readonly Finding[];
  private readonly byEmail: ReadonlyMap<string, CustomerUser>;

  constructor(scope: Construct, id: string, props: CustomerUsersFromCsvProps) {
    super(scope, id);
    Object.defineProperty(this, CSV_BRAND, { value: true, enumerable: false });
    const constructPath = this.node.path;
    const stack = DimensionsStack.of(this);
    const customer = customerState(props.customer, constructPath);

    // Every problem is reported at synth with the app's others (private/deferred): an unreadable
    // file, or ONE CsvRowsInvalid listing every bad cell. No user of a bad file is declared, and
    // the customer's rules about all its users (U4, H1) wait until the file is valid.
    let text: string | undefined;
    let unreadable: Finding | undefined;
    try {
      text = fs.readFileSync(path.resolve(props.file), "utf8");
    } catch (e) {
      unreadable = finding("CsvFileInvalid", constructPath, `users CSV "${props.file}" cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}; resolved to ${path.resolve(props.file)})`, "pass the path of an existing file; relative paths are resolved against the directory the synth runs in (use path.join(__dirname, ...))");
    }
    const parsed: UsersCsv | undefined =
      text === undefined
        ? undefined
        : parseUsersCsv(text, {
            file: props.file,
            displayNameRequired: !props.adopt,
            ...(props.bundles ? { bundles: props.bundles } : {}),
            ...(props.delimiter ? { delimiter: props.delimiter } : {}),
            ...(stack.region ? { region: stack.region } : {}),
          });
    this.findings = parsed ? parsed.findings : [unreadable!];
    const failed = this.findings.some((f) => f.level === "error");
    // Warnings alone are reported by the synth Aspect too, so an acknowledgement covers them.
    deferFindings(this, parsed && failed ? [csvRowsFinding(constructPath, props.file, this.findings)] : this.findings);
    if (failed) customer.usersIncomplete = true;

    this.customer = props.customer;
    this.file = props.file;
    this.rows = failed || !parsed ? [] : parsed.rows;
    const users: CustomerUser[] = [];
    for (const row of this.rows) {
      const userId = row.email.toLowerCase();
      const common = {
        customer: props.customer,
        email: row.email,
        roles: [...row.roles],
        primaryAdmin: row.primaryAdmin,
        ...(row.softphones ? { softphones: row.softphones.map((p) => ({ ...p })) } : {}),
        ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
      };
      users.push(
        props.adopt
          ? CustomerUser.adopt(this, userId, { ...common, ...(row.displayName !== undefined ? { displayName: row.displayName } : {}) })
          : new CustomerUser(this, userId, { ...common, displayName: row.displayName ?? "" }),
      );
    }
    this.users = users;
    this.byEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));
  }

  /** The user of the row with this e-mail (case-insensitive), e.g. to name it in a RoleAssignment. */
  public userFor(email: string): CustomerUser | undefined {
    return this.byEmail.get(email.toLowerCase());
  }
}
