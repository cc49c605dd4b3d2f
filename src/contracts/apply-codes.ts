/**
 * The registry of the codes the handler prints while Terraform runs (synth-time codes are in the
 * validation layer's registry): failures, each one coded line `dimensions: Code [rule]: …` plus a
 * hint, and notices that need no fix. Generated into docs/rules.md with the synth codes, and a test
 * fails when the handler raises a code this table does not list.
 */
export interface ApplyCodeDefinition {
  /** Domain rule id(s), or "runtime" for the guard rails of the Terraform integration. */
  readonly rule: string;
  readonly kind: "failure" | "notice";
  readonly summary: string;
  readonly fix: string;
}

export const APPLY_CODES = {
  // Domain rules enforced at apply.
  DuplicateReference: { rule: "C2", kind: "failure", summary: "Several live customers have the reference the code declares.", fix: "Change the reference of the extra customers in the portal, then apply again." },
  PbxAccountMismatch: { rule: "C3", kind: "failure", summary: "The existing customer is connected to another PBX account than the code declares; the API cannot move it.", fix: "Declare the PBX account the customer has, or use another reference." },
  PbxApiKeyMissing: { rule: "C4", kind: "failure", summary: "The environment variable named by pbx.apiKeyEnv is not set where terraform runs.", fix: "Export the Kazoo API key in that variable (it never enters the configuration or the state)." },
  ChargesNotAccepted: { rule: "C6", kind: "failure", summary: "The API refused a change that costs money (402).", fix: "Set acceptCharges: true on the DimensionsStack (visible in review)." },
  CustomerNotFound: { rule: "C2", kind: "failure", summary: "A customer referenced with Customer.fromReference (or named by a request) does not exist.", fix: "Check the reference, or declare the customer with new Customer." },
  UserNotFound: { rule: "U2", kind: "failure", summary: "An adopted user, or a user a RoleAssignment names by e-mail, does not exist in the customer.", fix: "Check the e-mail and the PBX import, or declare the user with new CustomerUser." },
  LastAdminGuard: { rule: "H1", kind: "failure", summary: "Taking this user's admin roles would leave the customer without an admin; the user is left as it is.", fix: "Grant user.admin + customer.user to another user and name it primary admin in the same change." },
  PrimaryAdminKept: { rule: "H1", kind: "notice", summary: "The primary admin left the code (or the stack is destroyed) and no other primary admin is named: it keeps its admin roles.", fix: "Name another primary admin in the same change to hand over." },
  PbxUserKept: { rule: "H7", kind: "notice", summary: "A user on the customer's PBX (it holds the synchronised role) is never deleted: its removal revokes the roles the app manages.", fix: "Nothing to fix; remove the PBX extension itself if the user must go." },
  UndeclaredUserRevoked: { rule: "H8", kind: "notice", summary: "In a customer with authoritative users, a user the code does not declare loses every role the app can remove (it is never deleted).", fix: "Declare the user, or turn authoritativeUsers off." },
  TenantNotPrimary: { rule: "U15", kind: "failure", summary: "The API refused an activation or UC welcome e-mail: this customer is not the user's primary tenant, and e-mails are sent only from there (400 TenantNotPrimary).", fix: "Send it from the customer that is the user's primary tenant, or remove the e-mail trigger (sendActivation, sendWelcome) from this customer's user." },
  ActivationStatusUnknown: { rule: "H5", kind: "failure", summary: "The API's answer for the user does not say whether it activated its account (the field activated, [ours] in the API contract), so the activation e-mail is not sent.", fix: "Check the API version; meanwhile resend the invitation from the portal." },
  UserAlreadyActivated: { rule: "H5", kind: "notice", summary: "The user has activated its account: the activation e-mail is not sent again (only users who have not activated receive it).", fix: "Nothing to fix; a user who cannot log in needs a password reset from the portal." },
  WelcomeEmailNeedsUc: { rule: "U14", kind: "failure", summary: "The UC welcome e-mail links to the UC clients: the user does not hold customer.user.uc.", fix: "Grant customer.user.uc (Role.UC_CLIENT) first, or do not send it the welcome e-mail." },
  EmailAlreadySent: { rule: "H5/U14", kind: "notice", summary: "An earlier run of the same change (a failed apply, run again) already sent this e-mail: it is not sent twice.", fix: "Nothing to fix." },
  AccessRequestNameTaken: { rule: "A2", kind: "failure", summary: "An active access request with this name has other content.", fix: "Give the request a new name, or withdraw the other one (dimensions access-requests)." },
  DuplicateAccessRequestName: { rule: "A2", kind: "failure", summary: "Several active access requests have this name.", fix: "Withdraw the extra requests, then apply again." },
  PartnerUserNotFound: { rule: "A3", kind: "failure", summary: "A partner user named by an access request is not one of the reseller's account users.", fix: "Check the e-mail against dimensions access-requests or the portal." },
  RoleRequired: { rule: "A1", kind: "failure", summary: "Sending access requests needs the reseller role tm.admin.", fix: "Use credentials of a partner user holding tm.admin." },
  AccessNotGranted: { rule: "A4", kind: "failure", summary: "With requireGrant, a tenant rejected, let expire or did not answer the request in time.", fix: "Ask the customer's admin to grant it, then apply again (the same request is adopted)." },
  DevicesNotReported: { rule: "U14", kind: "failure", summary: "The API's answer for a user whose softphones the code declares does not report the user's devices (the devices field is ours, API contract §4); nothing is assigned blindly.", fix: "Remove softphones from the user's declaration, or use an API that reports devices." },
  // Guard rails of the Terraform integration.
  SynthFailed: { rule: "runtime", kind: "failure", summary: "The configuration was synthesized with errors (forced past them); nothing is sent.", fix: "Fix the errors cdktf synth reports and synthesize again." },
  StateLost: { rule: "runtime", kind: "failure", summary: "The Terraform state forgot a stack this directory applied (an emptied local state file after a kill -9); nothing is sent.", fix: "Restore the previous state (cp <state>.backup <state>) and apply again." },
  ManifestMismatch: { rule: "runtime", kind: "failure", summary: "The manifest beside cdk.tf.json belongs to another synth than the configuration applied; nothing is sent.", fix: "Run cdktf synth (or cdktf deploy) and apply what it writes." },
  ManifestMissing: { rule: "runtime", kind: "failure", summary: "The stack's dimensions.manifest.json cannot be read.", fix: "Run cdktf synth (or cdktf deploy) before terraform." },
  ManifestInvalid: { rule: "runtime", kind: "failure", summary: "The manifest is not JSON, or not of this version of the library.", fix: "Synthesize and apply with the same version of cdktf-dimensions." },
  PayloadInvalid: { rule: "runtime", kind: "failure", summary: "The provisioner's payload is not what the constructs render.", fix: "Synthesize and apply with the same version of cdktf-dimensions." },
  PayloadTooLarge: { rule: "runtime", kind: "failure", summary: "A customer's desired state does not fit the provisioner's environment (about 20,000 users).", fix: "Split the customer's users over several stacks." },
  UsageInvalid: { rule: "runtime", kind: "failure", summary: "The handler was run with other arguments than apply or release.", fix: "Let the provisioners the constructs render run it." },
  EnvInvalid: { rule: "runtime", kind: "failure", summary: "A DIMENSIONS_* setting of the handler is out of range.", fix: "Correct the variable named in the message." },
  MarkerUnreadable: { rule: "runtime", kind: "failure", summary: "A marker file beside the manifest cannot be read.", fix: "Check the permissions of the stack's .dimensions-markers folder." },
  MarkerStoreUnavailable: { rule: "runtime", kind: "failure", summary: "With the pg backend, the markers beside the state (table dimensions_markers in the state's schema) cannot be read or written.", fix: "Export PG_CONN_STR (or libpq's PG* variables) as for terraform itself, and grant the role create, select, insert, update and delete in the state's schema." },
  TenantIncomplete: { rule: "runtime", kind: "failure", summary: "Some users of a customer could not be taken to the declared state; each is printed on its own line.", fix: "Fix the causes printed above and apply again; what succeeded is not sent twice." },
  InventoryReleaseFailed: { rule: "runtime", kind: "failure", summary: "Some customers or requests that left the code could not be released.", fix: "Fix the causes printed above and apply again." },
  ReleaseIncomplete: { rule: "runtime", kind: "failure", summary: "terraform destroy could not release every customer or request.", fix: "Fix the causes printed above and run terraform destroy again." },
  DestroyAfterUnappliedChange: { rule: "runtime", kind: "failure", summary: "terraform destroy ran after a change of the code that was never applied; nothing is released.", fix: "Run terraform apply (it sends nothing new), then terraform destroy." },
  ReleaseUndecided: { rule: "runtime", kind: "failure", summary: "Only some objects were destroyed before the stack resource: neither a whole destroy nor its replacement alone; nothing is released.", fix: "Run terraform apply, then terraform destroy if that is what you meant." },
  Unauthorized: { rule: "runtime", kind: "failure", summary: "The API refused the credentials.", fix: "Check DIMENSIONS_* credentials where terraform runs." },
  HandlerTimeout: { rule: "runtime", kind: "failure", summary: "A handler run took longer than DIMENSIONS_HANDLER_TIMEOUT_SECONDS (default 1800).", fix: "Check that the API answers, or raise the bound for a very large customer; apply again." },
  HandlerFailed: { rule: "runtime", kind: "failure", summary: "An unexpected failure (a bug): the message says what was being done.", fix: "Report it with the log line; applying again is safe." },
} as const satisfies Record<string, ApplyCodeDefinition>;

export type ApplyCode = keyof typeof APPLY_CODES;
