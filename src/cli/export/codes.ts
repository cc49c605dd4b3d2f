/**
 * The codes `dimensions export` prints: a failure is one line `dimensions export: Code [rule]:
 * message; hint` and exit 1, and nothing is written; a notice is a line on stderr that needs no
 * fix (the export is written). Generated into docs/rules.md with the synth and apply codes.
 */
export interface ExportCodeDefinition {
  /** Domain rule id(s), or "runtime" for the command's own guard rails. */
  readonly rule: string;
  readonly kind: "failure" | "notice";
  readonly summary: string;
  readonly fix: string;
}

export const EXPORT_CODES = {
  ExportCustomerNotFound: { rule: "C2", kind: "failure", summary: "A reference given with --customer names no customer of the reseller.", fix: "Check the reference (dimensions export --all lists every customer), or the credentials and region." },
  ExportDuplicateReference: { rule: "C2", kind: "failure", summary: "Several live customers have the same reference: code could not tell them apart.", fix: "Give each customer its own reference in the portal, then export again." },
  ExportNoCustomer: { rule: "runtime", kind: "failure", summary: "--all found no customer with a reference to export.", fix: "Check the credentials and the region (or --api-url)." },
  ExportUnknownRole: { rule: "U7", kind: "failure", summary: "A live user holds a role the library's catalogue does not know: the exported app could not declare it, and applying it would remove it.", fix: "Upgrade cdktf-dimensions (or correct the catalogue), then export again." },
  ExportDuplicateUser: { rule: "U1", kind: "failure", summary: "Two live users of one customer have the same e-mail (compared case-insensitively).", fix: "Remove or rename one of them in the portal, then export again." },
  ExportPrimaryAdminInvalid: { rule: "H1", kind: "failure", summary: "--primary-admin names a customer that is not exported, or a user who is not one of its admins.", fix: "Pass --primary-admin REFERENCE=E-MAIL with an exported customer and a user holding user.admin and customer.user." },
  ExportOutNotEmpty: { rule: "runtime", kind: "failure", summary: "The --out directory exists and is not empty: the export never overwrites files by surprise.", fix: "Choose a new or empty directory, or pass --force to overwrite the files the export writes." },
  ExportOutInvalid: { rule: "runtime", kind: "failure", summary: "The --out path is a file, or cannot be created or written.", fix: "Pass the path of a directory you can write." },
  ExportEnvInvalid: { rule: "runtime", kind: "failure", summary: "DIMENSIONS_CONCURRENCY is out of range.", fix: "Set it to a whole number from 1 to 64, or unset it (default 4)." },
  ExportApiFailed: { rule: "runtime", kind: "failure", summary: "Reading the live tenants failed (credentials, network or an answer of the API); the message carries the client's code.", fix: "Fix the cause named in the message (credentials as for terraform apply) and export again; nothing was written." },
  ExportCustomerReferenced: { rule: "C1/U4", kind: "notice", summary: "A customer is exported as Customer.fromReference (its users are declared, its settings are not): it has no Kazoo PBX connection, no description, or no admin yet.", fix: "Give the customer what the comment above it names, then export again to declare it with new Customer." },
  ExportCustomerSkipped: { rule: "C2", kind: "notice", summary: "--all skipped a customer without a reference: code identifies customers by reference.", fix: "Give the customer a reference in the portal, then export again." },
  ExportPrimaryAdminChosen: { rule: "H1", kind: "notice", summary: "A customer has several admins and the export marked the first by e-mail as its primary admin.", fix: "Pass --primary-admin REFERENCE=E-MAIL to mark another one." },
  ExportDevicesNotReported: { rule: "U14", kind: "notice", summary: "The API's answers for users do not report their PBX devices, or not as a list of { deviceId, clientType } (the devices field is ours, API contract §4; the vendor documents none): their softphones are left undeclared, never guessed, and the app leaves their devices alone.", fix: "Nothing to fix; to manage a user's softphones, declare them against an API that reports devices (otherwise the apply fails with DevicesNotReported)." },
  ExportSoftphonesUndeclared: { rule: "U7/U14", kind: "notice", summary: "A user's reported devices cannot be declared as softphones (a synth rule would refuse them): without customer.user.uc and customer.user.uc.softphone (U7), a device id or client type the library does not accept, or a device reported for two users (U14). They are left undeclared, so the app leaves those devices alone; the line names each user and why.", fix: "Correct the user in the portal (grant the UC roles, or unassign the device), then export again to declare them." },
  ExportInexact: { rule: "runtime", kind: "notice", summary: "The API answered without a field the app must declare, so applying the export would change it; the line names what.", fix: "Review the change the line names before applying the export." },
} as const satisfies Record<string, ExportCodeDefinition>;

export type ExportCode = keyof typeof EXPORT_CODES;

/** A failure of `dimensions export`: nothing is written. */
export class ExportError extends Error {
  override readonly name = "ExportError";

  constructor(
    readonly code: ExportCode,
    message: string,
    readonly hint: string = EXPORT_CODES[code].fix,
  ) {
    super(message);
  }

  get rule(): string {
    return EXPORT_CODES[this.code].rule;
  }

  /** `Code [rule]: message; hint` */
  get line(): string {
    return `${this.code} [${this.rule}]: ${this.message}; ${this.hint}`;
  }
}

/** Something the person running the export should know; the export is still written. */
export interface ExportNotice {
  readonly code: ExportCode;
  /** The customer's reference, when the notice is about one. */
  readonly reference?: string;
  readonly message: string;
}

export function formatNotice(notice: ExportNotice): string {
  return `${notice.code} [${EXPORT_CODES[notice.code].rule}]: ${notice.reference ? `customer ${notice.reference}: ` : ""}${notice.message}`;
}
