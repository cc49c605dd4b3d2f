/**
 * The handler invocation contract: what the constructs render into Terraform and what the bundled
 * handler parses. Both sides import this module and nothing of each other.
 *
 * Layout 2 (README "How it maps to Terraform"): Terraform's own cost grows with the square of the
 * resources in one state, so a stack holds O(customers) resources, not O(users):
 *
 * - one `terraform_data` per customer (owned or referenced), the TENANT resource: its
 *   `triggers_replace` is `{ t, i }`, `t` the customer's desired state `{ customer, users: {
 *   <e-mail>: … } }`, so any change replaces it and the plan names exactly the users gained, lost
 *   or changed; `i` what changes nothing remotely (removal policy, settings). Both are canonical
 *   JSON text (canonicalJson), as a null_resource's `triggers` must be: Terraform keeps a type
 *   beside every nested value and rewrites the whole state as an apply goes, and text halves the
 *   state and a third of terraform's own work, while a plan still diffs the text as
 *   `jsonencode(…)`, one line per user that changed. Nothing goes in `input`: terraform_data
 *   copies it to `output`, which a replacement's plan prints whole;
 * - one per tenant access request (`t` = name, message, what each tenant receives);
 * - per stack, the STACK resource (constant `t`; every other resource depends on it, so Terraform
 *   destroys it last) and the INVENTORY (`t` = the set of keys; replaced when an object leaves the
 *   code, and its release sees the old keys).
 *
 * Provisioners run `node <handler> apply|release` with the payload (`self.triggers_replace`) as
 * base64 of gzip of JSON, split over DIMENSIONS_PAYLOAD, DIMENSIONS_PAYLOAD_1 …
 * (one environment value is limited to 128 KiB on Linux), the manifest's path and its digest.
 *
 * Who does what (the handler's tenant, stack and inventory modules):
 * - a tenant's RELEASE (destroy provisioner) sees its old `t` and the manifest's new one. Different:
 *   a replacement, and the release reconciles the tenant from old to new right there, in one
 *   process, in the order the reconcile layer gives (admins first, revocations last); the resource
 *   stays in state until that succeeds, so a crash re-runs it. Identical: `-replace`, `taint` or a
 *   real destroy — it cannot tell, so it only records that it ran (a marker), and touches nothing;
 * - a tenant's APPLY (create provisioner) converges what the release did not: nothing after a
 *   replacement the release reconciled, everything (adopting what exists, removing nothing) after
 *   `-replace`, `taint` or a first create;
 * - the STACK's release runs last in `terraform destroy`: when terraform runs a destroy (or its
 *   command line cannot be read) and every tenant it knew left a marker of an identical destroy,
 *   it releases them by their removal policies; in an apply (`-replace` of it, alone or with every
 *   object), or when an object says the apply upgrades a state written before `t` and `i` were
 *   text, it releases nothing. Its `t` and `i` never change, so nothing else replaces it;
 * - the INVENTORY's release releases exactly the keys that left the code.
 * Every run first proves the manifest belongs to the configuration being applied (its digest is
 * rendered into every provisioner): a synth with errors, or an old manifest, is refused before any
 * API call.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { decodeSoftphones, encodeSoftphones, softphone, SOFTPHONES_FLAG } from "./softphones";

/** Environment variables the handler (and every CLI command that calls the API) reads. §7 */
export const ENV = {
  apiUrl: "DIMENSIONS_API_URL",
  tokenUrl: "DIMENSIONS_TOKEN_URL",
  clientId: "DIMENSIONS_CLIENT_ID",
  clientSecret: "DIMENSIONS_CLIENT_SECRET",
  refreshToken: "DIMENSIONS_REFRESH_TOKEN",
  accessToken: "DIMENSIONS_ACCESS_TOKEN",
  credentialsFile: "DIMENSIONS_CREDENTIALS_FILE",
  /** A postgresql:// URL: the credentials store shared by many machines, instead of the file. */
  credentialsUrl: "DIMENSIONS_CREDENTIALS_URL",
  /** Set by the provisioner: base64 of gzip of the JSON payload (first chunk; see PAYLOAD_CHUNKS). */
  payload: "DIMENSIONS_PAYLOAD",
  /** Set by the provisioner: absolute path of the stack's manifest. */
  manifest: "DIMENSIONS_MANIFEST",
  /** Set by a create provisioner of an object the manifest lists: its key (the payload is the manifest's entry). */
  objectKey: "DIMENSIONS_OBJECT_KEY",
  /** Set by the provisioner: sha256 of the manifest this configuration was synthesized with. */
  manifestDigest: "DIMENSIONS_MANIFEST_DIGEST",
  /** Seconds the last-admin guard waits for another admin's grant to show (H1). */
  adminWaitSeconds: "DIMENSIONS_ADMIN_WAIT_SECONDS",
  /** Seconds one API request may wait for its answer (1–600). */
  requestTimeoutSeconds: "DIMENSIONS_REQUEST_TIMEOUT_SECONDS",
  /** Seconds one handler run may take in all (10–86400): a hung API fails it, saying so. */
  handlerTimeoutSeconds: "DIMENSIONS_HANDLER_TIMEOUT_SECONDS",
  /** Requests one handler process keeps in flight (1–64). */
  concurrency: "DIMENSIONS_CONCURRENCY",
  /** Log level of the handler: "info" (default) or "debug". */
  logLevel: "DIMENSIONS_LOG_LEVEL",
} as const;

/** The payload is split over this many environment values of at most PAYLOAD_CHUNK_CHARS each. */
export const PAYLOAD_CHUNKS = 8;
export const PAYLOAD_CHUNK_CHARS = 100_000;
/** `DIMENSIONS_PAYLOAD`, `DIMENSIONS_PAYLOAD_1`, … */
export function payloadChunkVar(index: number): string {
  return index === 0 ? ENV.payload : `${ENV.payload}_${index}`;
}

/** Rendered instead of a digest when the synth reported errors: every handler run refuses it. */
export const SYNTH_FAILED_DIGEST = "synth-failed";

export const HANDLER_OPERATIONS = ["apply", "release"] as const;
export type HandlerOperation = (typeof HANDLER_OPERATIONS)[number];

/** File name of the manifest inside the stack's output directory. */
export const MANIFEST_FILE = "dimensions.manifest.json";
export const MANIFEST_VERSION = 2;
/** Folder beside the manifest where releases leave their markers for the next step. */
export const MARKER_DIR = ".dimensions-markers";

export const REGIONS = ["au", "eu", "na", "uk"] as const;
export const region = z.enum(REGIONS);
export type Region = z.infer<typeof region>;

/** Stack-level settings every payload carries. */
export const settings = z.object({
  /** Region whose base URL is used unless DIMENSIONS_API_URL is set. */
  region: region.optional(),
  /** Explicit base URL (the client appends /api/v1.0); overridden by DIMENSIONS_API_URL. */
  apiUrl: z.string().optional(),
  /** C6: send `accept-charges: true`. Only when the stack opted in, visibly, in code. */
  acceptCharges: z.boolean(),
});
export type Settings = z.infer<typeof settings>;

export const CUSTOMER_REMOVAL_POLICIES = ["retain", "disable", "delete"] as const;
export const customerRemovalPolicy = z.enum(CUSTOMER_REMOVAL_POLICIES);
export type CustomerRemovalPolicyValue = z.infer<typeof customerRemovalPolicy>;

/**
 * - delete: delete the user (only users the app created; never one on the PBX, H7);
 * - revoke: remove every role the app manages, keep the user (PBX call tracking stays);
 * - retain: leave the user and its roles as they are.
 */
export const USER_REMOVAL_POLICIES = ["delete", "revoke", "retain"] as const;
export const userRemovalPolicy = z.enum(USER_REMOVAL_POLICIES);
export type UserRemovalPolicyValue = z.infer<typeof userRemovalPolicy>;

/**
 * - exact: declared by a CustomerUser: apply makes its roles exactly the declared ones
 *   (server-managed and read-only roles aside, U13);
 * - additive: only referenced (RoleAssignment to an existing user by e-mail): the app owns only
 *   the roles it grants and leaves every other role alone.
 */
export const userManagement = z.enum(["exact", "additive"]);
export type UserManagementValue = z.infer<typeof userManagement>;

/**
 * - created: the app creates the user if missing (and adopts one that exists, U2);
 * - adopted: the user must exist already (for example imported from the PBX); never deleted.
 */
export const userOrigin = z.enum(["created", "adopted"]);
export type UserOriginValue = z.infer<typeof userOrigin>;

export const pbxDetails = z.object({
  hostRest: z.string(),
  hostWebsocket: z.string(),
  accountId: z.string(),
  /** Name of the environment variable holding the Kazoo API key (C4). Never the key itself. */
  apiKeyEnv: z.string(),
  monitorSubAccounts: z.boolean().optional(),
});

/** The customer fields apply converges on an existing customer (all of them patchable paths of the API). */
export const PATCHABLE_CUSTOMER_FIELDS = [
  "name",
  "description",
  "enabled",
  "timezone",
  "countryCode",
  "syncAcdAgentWithPbx",
  "sendNewUserEmail",
  "sendConnectWelcomeEmail",
] as const;

/** Desired state of an owned customer. The reference is the natural key (C2). */
export const customerDesired = z.object({
  reference: z.string(),
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  timezone: z.string().optional(),
  countryCode: z.string().optional(),
  syncAcdAgentWithPbx: z.boolean().optional(),
  sendNewUserEmail: z.boolean().optional(),
  sendConnectWelcomeEmail: z.boolean().optional(),
  pbx: pbxDetails.optional(),
});
export type CustomerDesired = z.infer<typeof customerDesired>;

/**
 * H5, U14: the value whose change sends a user's activation or UC welcome e-mail once (a date
 * "2026-12-01", a counter "3", a ticket "INC-1234"). A plain token: it is one flag of the rendered
 * line below, so it holds no space and no "|".
 */
export const EMAIL_TRIGGER = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const emailTrigger = z.string().regex(EMAIL_TRIGGER, "1–64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
export const EMAIL_KINDS = ["activation", "welcome"] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/**
 * One user of a tenant, keyed by its e-mail in `t.users`. Defaults are left out so that the plan
 * of a 5,000-user customer shows names and roles, not flags.
 */
export const userEntry = z.object({
  /** Absent for additive users (the app does not own their name) and for adopted users that keep theirs. */
  displayName: z.string().optional(),
  /** Sorted, de-duplicated union of every grant the code declares for this user. */
  roles: z.array(z.string()),
  /** H1: the customer's primary admin. @default false */
  primary: z.boolean().optional(),
  /** @default "created" */
  origin: userOrigin.optional(),
  /** @default "exact" */
  management: userManagement.optional(),
  /** @default "delete" for created exact users, "revoke" otherwise */
  removal: userRemovalPolicy.optional(),
  /** H5: a change of it (on a user already applied) sends the activation e-mail once. @default - none */
  activation: emailTrigger.optional(),
  /** U14: a change of it (on a user already applied) sends the UC welcome e-mail once. @default - none */
  welcome: emailTrigger.optional(),
  /** U14: the PBX devices the user holds, exactly, sorted by device. @default - not managed (contracts/softphones) */
  softphones: z.array(softphone).optional(),
});
export type UserEntry = z.infer<typeof userEntry>;

/**
 * How a user entry is rendered into Terraform: one line of text,
 *
 *   `<role> <role> … | primary | adopted | additive | removal=<policy> | activation=<v> | welcome=<v> | softphones=<device>:<type>,… | name=<displayName>`
 *
 * roles first (keys hold no space or "|"), then the flags that are not the default, then the
 * name, last so that it may hold any text. A string, not an object: Terraform stores the type of
 * every nested value beside it and prints state indented, so 10,000 users as objects made 8 MB of
 * state and a 12 s no-op plan; as lines, 2 MB and 2 s (and 1.1 MB once `t` itself became text).
 * The plan still shows one line per user that changes: `~ "bo@x" = "customer.user … | name=Bo" ->
 * "… | name=Bo"`.
 */
export function encodeUserEntry(entry: UserEntry): string {
  const parts = [[...entry.roles].join(" ")];
  if (entry.primary) parts.push("primary");
  if ((entry.origin ?? "created") !== "created") parts.push(entry.origin!);
  if ((entry.management ?? "exact") !== "exact") parts.push(entry.management!);
  if (entry.removal) parts.push(`removal=${entry.removal}`);
  for (const kind of EMAIL_KINDS) if (entry[kind] !== undefined) parts.push(`${kind}=${entry[kind]}`);
  if (entry.softphones) parts.push(encodeSoftphones(entry.softphones));
  if (entry.displayName !== undefined) parts.push(`name=${entry.displayName}`);
  return parts.join(" | ");
}

const NAME = " | name=";

/** The entry a rendered line stands for; undefined when it is not one. */
export function decodeUserEntry(text: string): UserEntry | undefined {
  const at = text.startsWith("name=") ? -1 : text.indexOf(NAME);
  const head = text.startsWith("name=") ? "" : at < 0 ? text : text.slice(0, at);
  const name = text.startsWith("name=") ? text.slice(5) : at < 0 ? undefined : text.slice(at + NAME.length);
  const [roleList, ...flags] = head.split(" | ");
  const roles = roleList.trim() === "" ? [] : roleList.trim().split(/ +/);
  const entry: { -readonly [K in keyof UserEntry]: UserEntry[K] } = { roles };
  if (name !== undefined) entry.displayName = name;
  for (const flag of flags) {
    if (flag === "primary") entry.primary = true;
    else if (flag === "adopted") entry.origin = "adopted";
    else if (flag === "additive") entry.management = "additive";
    else if (flag.startsWith("removal=") && (USER_REMOVAL_POLICIES as readonly string[]).includes(flag.slice(8))) entry.removal = flag.slice(8) as UserEntry["removal"];
    else if (flag.startsWith(SOFTPHONES_FLAG) && entry.softphones === undefined) {
      const softphones = decodeSoftphones(flag.slice(SOFTPHONES_FLAG.length));
      if (!softphones) return undefined;
      entry.softphones = softphones;
    } else if (!decodeEmailFlag(flag, entry)) return undefined;
  }
  return entry;
}

/** `activation=<v>` or `welcome=<v>` into `entry`; false when `flag` is neither (or its value is malformed). */
function decodeEmailFlag(flag: string, entry: { -readonly [K in keyof UserEntry]: UserEntry[K] }): boolean {
  for (const kind of EMAIL_KINDS) {
    if (flag.startsWith(`${kind}=`) && EMAIL_TRIGGER.test(flag.slice(kind.length + 1))) {
      entry[kind] = flag.slice(kind.length + 1);
      return true;
    }
  }
  return false;
}

/** A user entry as rendered (text), or as an object (markers and tests); parsed to the object. */
export const renderedUserEntry = z.union([
  z.string().transform((text, ctx) => {
    const entry = decodeUserEntry(text);
    if (entry === undefined) {
      ctx.addIssue({ code: "custom", message: "not a user entry (roles | flags | name=…)" });
      return z.NEVER;
    }
    return entry;
  }),
  userEntry,
]);

/**
 * A tenant's users, by e-mail. One pass in plain code rather than a zod union per entry: a
 * 5,000-user customer is parsed twice per handler run (its old state and the manifest's).
 */
export const renderedUsers = z.record(z.string(), z.unknown()).transform((raw, ctx) => {
  const out: Record<string, UserEntry> = {};
  for (const [email, value] of Object.entries(raw)) {
    const entry = typeof value === "string" ? decodeUserEntry(value) : userEntry.safeParse(value).data;
    if (entry === undefined) {
      ctx.addIssue({ code: "custom", path: [email], message: "not a user entry (roles | flags | name=…)" });
      return z.NEVER;
    }
    out[email] = entry;
  }
  return out;
});

/** Desired state of a customer tenant (`t` of its resource). */
export const tenantDesired = z.object({
  /** An owned customer's settings; a referenced customer (Customer.fromReference) only names its reference. */
  customer: z.union([customerDesired, z.object({ reference: z.string() })]),
  users: renderedUsers,
  /** H8: the code is the whole truth about who holds which role. @default false */
  authoritative: z.boolean().optional(),
});
export type TenantDesired = z.infer<typeof tenantDesired>;

export const tenantInput = z.object({
  kind: z.literal("tenant"),
  /** Declared with `new Customer` (true) or `Customer.fromReference` (false). */
  owned: z.boolean(),
  /** Owned customers: what leaving the code or `terraform destroy` does to the customer (C5). */
  removalPolicy: customerRemovalPolicy.optional(),
  settings,
});

export const tenantPayload = z.object({ t: tenantDesired, i: tenantInput });
export type TenantPayload = z.infer<typeof tenantPayload>;
/** As the constructs render it: user entries as text. */
export type RenderedTenantPayload = z.input<typeof tenantPayload>;

/**
 * Desired state of a tenant access request (`t`; rules A2, A3, A8). The name is the natural key
 * (the API keeps names unique among active requests). `associations` is canonical: one entry per
 * (customer reference, mode), with the sorted, lower-cased e-mails of the partner users that
 * tenant admits — exactly what that tenant receives (A3), so regrouping the same links in code
 * changes nothing, and the plan shows each tenant's expectation.
 */
export const ACCESS_MODES = ["configure", "support"] as const;
export const accessMode = z.enum(ACCESS_MODES);
export type AccessModeValue = z.infer<typeof accessMode>;

export const accessAssociationDesired = z.object({
  /** The customer's reference (C2), resolved to its tenant id at apply time. */
  customer: z.string(),
  mode: accessMode,
  /** Partner users (the reseller's account users) by e-mail, resolved to ids at apply time. */
  partnerUsers: z.array(z.string()),
});
export type AccessAssociationDesired = z.infer<typeof accessAssociationDesired>;

export const accessRequestDesired = z.object({
  name: z.string(),
  /** The only text the customer sees (A2); "" when the code sets none. */
  message: z.string(),
  associations: z.array(accessAssociationDesired),
});
export type AccessRequestDesired = z.infer<typeof accessRequestDesired>;

/**
 * Waiting for the customers' decision after the request is sent (A4, A7). Bounded: the handler
 * polls every `pollSeconds` until every tenant has answered or `timeoutSeconds` have passed.
 */
export const accessWait = z.object({
  timeoutSeconds: z.number().int().min(1).max(3600),
  pollSeconds: z.number().int().min(1).max(300),
  /** Fail the apply unless every tenant granted (rejected, expired or still pending fail it). */
  requireGrant: z.boolean(),
});
export type AccessWait = z.infer<typeof accessWait>;

export const accessRequestInput = z.object({
  kind: z.literal("access-request"),
  /** Absent: the request is sent and the apply ends; the outcome is read with the CLI. */
  wait: accessWait.optional(),
  settings,
});

export const accessRequestPayload = z.object({ t: accessRequestDesired, i: accessRequestInput });
export type AccessRequestPayload = z.infer<typeof accessRequestPayload>;

/** What the manifest lists by key: the objects that have a resource of their own. */
export const objectPayload = z.union([tenantPayload, accessRequestPayload]);
export type ObjectPayload = z.infer<typeof objectPayload>;

/** The stack resource: constant `t`, so only `-replace`, `taint` and destroy ever touch it. */
export const stackPayload = z.object({
  t: z.object({ stack: z.string() }),
  /**
   * No settings: the stack resource must never be replaced by a change of them (its release runs
   * after every object's, as in a destroy). Its release takes them from the manifest. A state
   * written before holds them here.
   */
  i: z.object({ kind: z.literal("stack"), settings: settings.optional() }),
});
export type StackPayload = z.infer<typeof stackPayload>;

/** What the inventory keeps of each object: only what releasing it needs once its resource is gone. */
export const releaseRecord = z.discriminatedUnion("kind", [
  /** An owned customer: its removal policy decides; its users go with it. */
  z.object({ kind: z.literal("customer"), reference: z.string(), removalPolicy: customerRemovalPolicy }),
  /**
   * A referenced customer: the app owns only what it granted to its users. Exact users keep
   * their flags (their release revokes what they hold live); additive users keep the roles granted.
   */
  z.object({ kind: z.literal("referenced-customer"), reference: z.string(), users: renderedUsers }),
  z.object({ kind: z.literal("access-request"), name: z.string() }),
]);
export type ReleaseRecord = z.infer<typeof releaseRecord>;

export const inventoryPayload = z.object({
  /** What releasing each object needs once its resource is gone, by key (the keys replace it). */
  t: z.object({ objects: z.record(z.string(), releaseRecord) }),
  i: z.object({ kind: z.literal("inventory"), settings }),
});
export type InventoryPayload = z.infer<typeof inventoryPayload>;

export const anyPayload = z.union([tenantPayload, accessRequestPayload, stackPayload, inventoryPayload]);
export type AnyPayload = z.infer<typeof anyPayload>;
/** As the constructs render it (user entries as text). */
export type RenderedPayload = z.input<typeof anyPayload>;
export type RenderedObjectPayload = z.input<typeof objectPayload>;
export type RenderedInventoryPayload = z.input<typeof inventoryPayload>;

/** The manifest: every object's payload by key, exactly as the resources render it. */
export const manifest = z.object({
  version: z.literal(MANIFEST_VERSION),
  stack: z.string(),
  objects: z.record(z.string(), objectPayload),
  /** desiredDigest of each object's rendered `t`, by key (names the "done" files below). */
  digests: z.record(z.string(), z.string()).optional(),
  /** The stack's settings, for the stack resource's release (its own payload holds none). */
  settings: settings.optional(),
});
export type Manifest = z.infer<typeof manifest>;
/** As the synth writes it (user entries as text). */
export type RenderedManifest = z.input<typeof manifest>;

/**
 * What a release leaves for the next step (beside the manifest, one file per key):
 * - identical: it saw its own desired state again (`-replace`, `taint`d successor, or a real
 *   destroy) and did nothing; `payload` is what it held, for the stack's release to release;
 * - reconciled: it took the tenant to the desired state whose digest it names; the apply that
 *   follows has nothing left to do (digest "": it did nothing, and the apply converges everything);
 * - upgraded: the same, by a release whose old state a build before JSON-text `t` and `i` wrote.
 *   Terraform replaces every resource once on that upgrade, the stack resource included, whose
 *   release then runs after the objects' as in a destroy: this marker tells it otherwise.
 */
export const marker = z.object({
  version: z.literal(MANIFEST_VERSION),
  key: z.string(),
  /**
   * "applied": the stack resource's own, written when it is created (see STACK_MARKER_KEY).
   * "released": the stack's release released this object in a destroy that did not finish (a
   * failure, a kill); the destroy that resumes it, wherever it runs, does not release it again.
   */
  state: z.enum(["identical", "reconciled", "upgraded", "applied", "released"]),
  digest: z.string(),
  payload: objectPayload.optional(),
  /** When it was written (ms since the epoch): an old marker is no evidence about this run. */
  writtenAt: z.number(),
});
export type Marker = z.infer<typeof marker>;

/**
 * The stack resource's marker: it exists while this working directory (with the pg backend: this
 * state) holds an applied stack. A create of the stack resource that finds it means the state
 * forgot the stack (a local state file emptied by a kill -9 of terraform, which truncates it
 * before writing); a remote state never does (handler/stack.ts).
 */
export const STACK_MARKER_KEY = "stack";

/** The file name stem of an object's markers in MARKER_DIR. */
export function markerStem(key: string): string {
  return createHash("sha256").update(JSON.stringify(key)).digest("hex").slice(0, 32);
}

/**
 * A tenant's release that took the tenant to the desired state with this digest leaves
 * `<stem>.<digest>.done` beside its marker; the create provisioner that follows in the same run
 * sees it from the shell and starts no handler process at all (half the processes of a change).
 */
export function doneFileName(key: string, digest: string): string {
  return `${markerStem(key)}.${digest}.done`;
}

/** JSON with object keys sorted at every level and null/absent values dropped: meaning, not spelling. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== null && x !== undefined) out[k] = norm(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value));
}

/** A digest of a rendered desired state `t`, the same for the synth and the handler. */
export function desiredDigest(renderedT: unknown): string {
  return createHash("sha256").update(canonicalJson(renderedT)).digest("hex").slice(0, 32);
}

/** The construct id of the stack resource (`terraform_data.dimensions`), every other resource's dependency. */
export const STACK_RESOURCE_ID = "dimensions";

export function customerKey(reference: string): string {
  return `customer:${reference}`;
}

/** Access request names are unique case-insensitively among a reseller's active requests. */
export function accessRequestKey(name: string): string {
  return `access-request:${name.toLowerCase()}`;
}

/** The removal policy an entry stands for when `removal` is left out. */
export function removalOf(entry: UserEntry): UserRemovalPolicyValue {
  if (entry.removal) return entry.removal;
  return (entry.origin ?? "created") === "created" && (entry.management ?? "exact") === "exact" ? "delete" : "revoke";
}
