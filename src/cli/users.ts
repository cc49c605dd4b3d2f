/**
 * `dimensions users send-activation|send-welcome --customer REF (--email E | --declared)`: a
 * person's one-off resend of the activation e-mail (H5) or the UC welcome e-mail (U14), outside any
 * apply. `--declared` sends to every user the synthesized manifest declares for the customer (as
 * `drift` and `licenses --live` read it); `--dry-run` reads the API and says what would be sent.
 *
 * Per user, one line: sent, would send, skipped (by rule, with `--declared` only: a user that has
 * activated already, H5; a user without the UC client, U14) or FAILED with its code. Exit 0 when
 * every send that was due succeeded, 1 when any failed or was refused, 2 on a usage error.
 * The same decision as the apply (src/reconcile/emails.ts); U15 is the server's: TenantNotPrimary.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { createClientFromEnv, type DimensionsApi, type Region } from "../client";
import { REGION_BASE_URLS } from "../contracts/api";
import { APPLY_CODES, type ApplyCode } from "../contracts/apply-codes";
import { ENV, MANIFEST_FILE, manifest as manifestSchema, type EmailKind, type Settings, type TenantPayload } from "../contracts/handler";
import { HandlerError, toHandlerError } from "../handler/errors";
import { EMAIL_NAMES, emailKey, emailRefusal } from "../reconcile";
import { execute, withAction, type CommandIo } from "./command-line";

export interface UsersCliDeps extends CommandIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Builds the API client for the customer's settings (tests may inject one). @default createClientFromEnv */
  readonly client?: (settings: Pick<Settings, "region" | "apiUrl">) => DimensionsApi;
}

/** What happened for one user. */
export interface SendOutcome {
  readonly email: string;
  readonly outcome: "sent" | "would-send" | "skipped" | "failed";
  readonly code?: string;
  readonly rule?: string;
  /** Why it was skipped or failed, with the fix. */
  readonly message?: string;
}

interface SendOptions {
  readonly customer?: string;
  readonly email?: string;
  readonly declared?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly dir: string;
  readonly stack?: string;
  readonly apiUrl?: string;
  readonly region?: Region;
}

// Deliberately loose, as at synth (the server is the judge, U1).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Requests kept in flight at once: quick on thousands of users, polite to the API's rate limits. */
const AT_ONCE = 4;

function emailArgument(value: string): string {
  if (!EMAIL.test(value)) throw new InvalidArgumentError("It takes an e-mail address, e.g. ana@acme.example.");
  return value;
}

export function usersCommand(deps: UsersCliDeps): Command {
  return new Command("users")
    .summary("one-off resend of users' activation (H5) or UC welcome (U14) e-mails")
    .description(
      "Sends a user's activation e-mail (to users who have not activated their account, H5) or UC welcome e-mail (to users of the UC client, U14) once, " +
        "by customer and e-mail, or to every user the synthesized code declares for the customer. For a reviewed resend as code, see sendActivation and sendWelcome on CustomerUser.",
    )
    .addCommand(sendCommand("send-activation", "activation", deps))
    .addCommand(sendCommand("send-welcome", "welcome", deps));
}

function sendCommand(name: string, kind: EmailKind, deps: UsersCliDeps): Command {
  // Typed explicitly, so that command.error() (never) narrows the options after it.
  const command: Command = new Command(name)
    .summary(`send the ${EMAIL_NAMES[kind]} to one user, or to every declared user of a customer`)
    .description(
      `Sends the ${EMAIL_NAMES[kind]} once to the user --email names, or (--declared) to every user the synthesized manifest declares for the customer` +
        (kind === "activation" ? " that has not activated its account (H5)" : " that holds the UC client (U14)") +
        ". E-mails are sent only from the user's primary tenant (U15). Exit 0: every send succeeded; 1: some failed or were refused; 2: a usage error.",
    )
    // Checked in the action, not by commander: an unknown option is then reported first, as everywhere.
    .option("--customer <reference>", "the customer's reference (C2; required)")
    .addOption(new Option("--email <email>", "the one user to send it to").argParser(emailArgument).conflicts("declared"))
    .option("--declared", "every user the code declares for the customer (read from the synthesized manifest)")
    .option("--dry-run", "read the API and say what would be sent; send nothing")
    .option("--json", "machine-readable output")
    .option("--dir <dir>", "the synth output directory (for --declared, and the customer's region)", "cdktf.out")
    .option("--stack <name>", "the stack that declares the customer (default: the one whose manifest holds it)")
    .option("--api-url <url>", `API base URL (default: $${ENV.apiUrl}, else the stack's or region's)`)
    .addOption(new Option("--region <region>", "the region's API, when no URL is given (default: the stack's, else eu)").choices(Object.keys(REGION_BASE_URLS)))
    .addHelpText("after", `\nCredentials: ${ENV.accessToken}, or ${ENV.clientId} + ${ENV.clientSecret} + ${ENV.refreshToken}\n(the same environment as terraform apply).`);
  return withAction(command, (values: SendOptions) => {
    if (values.customer === undefined) command.error("error: required option '--customer <reference>' not specified", { exitCode: 2, code: "dimensions.usage" });
    if (values.email === undefined && values.declared !== true) command.error("error: name the user with --email <email>, or send to every declared user with --declared", { exitCode: 2, code: "dimensions.usage" });
    return send(kind, { ...values, customer: values.customer }, deps);
  });
}

export function runUsers(argv: string[], deps: UsersCliDeps): Promise<number> {
  return execute(usersCommand(deps), argv, deps);
}

/** The manifest entry of customer `reference`, from `--stack` or the first stack that holds it. */
export function findDeclaredCustomer(dir: string, reference: string, stack?: string): { stack: string; payload: TenantPayload } | undefined {
  const stacksDir = path.join(dir, "stacks");
  const names = stack !== undefined ? [stack] : fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : [];
  for (const name of names) {
    const file = path.join(stacksDir, name, MANIFEST_FILE);
    if (!fs.existsSync(file)) {
      if (stack !== undefined) throw new Error(`no ${MANIFEST_FILE} for stack "${name}" (${file}); run cdktf synth first`);
      continue;
    }
    const parsed = manifestSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "")));
    if (!parsed.success) throw new Error(`${file} is not a manifest of this version: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    for (const object of Object.values(parsed.data.objects)) {
      if (object.i.kind === "tenant" && (object as TenantPayload).t.customer.reference === reference) return { stack: name, payload: object as TenantPayload };
    }
  }
  return undefined;
}

function failure(email: string, code: ApplyCode | string, message: string, rule?: string): SendOutcome {
  const known = Object.hasOwn(APPLY_CODES, code) ? APPLY_CODES[code as ApplyCode] : undefined;
  return { email, outcome: "failed", code, ...(rule ?? known?.rule ? { rule: rule ?? known?.rule } : {}), message };
}

async function send(kind: EmailKind, values: SendOptions & { readonly customer: string }, deps: UsersCliDeps): Promise<number> {
  const dir = path.resolve(deps.cwd, values.dir);
  const what = EMAIL_NAMES[kind];
  let outcomes: SendOutcome[];
  try {
    let declared: ReturnType<typeof findDeclaredCustomer>;
    try {
      declared = findDeclaredCustomer(dir, values.customer, values.stack);
    } catch (e) {
      // One user by e-mail needs no manifest: an unreadable one only costs the stack's region.
      if (values.declared || values.stack !== undefined) throw e;
    }
    if (values.declared && !declared) throw new Error(`no synthesized stack under ${path.join(dir, "stacks")} declares customer ${values.customer}; run cdktf synth first (or pass --dir, --stack)`);
    // The customer's own stack says its region (and so its endpoint and credentials); flags win.
    const stack = declared?.payload.i.settings;
    const settings = values.apiUrl
      ? { region: values.region }
      : { region: values.region ?? stack?.region ?? (stack?.apiUrl ? undefined : "eu"), apiUrl: stack?.apiUrl };
    const env = values.apiUrl ? { ...deps.env, [ENV.apiUrl]: values.apiUrl } : deps.env;
    const api = (deps.client ?? ((s) => createClientFromEnv(env, s)))(settings);
    const targets = values.declared
      ? Object.entries(declared!.payload.t.users).filter(([, entry]) => (entry.management ?? "exact") === "exact").map(([email]) => email)
      : [values.email!];
    outcomes = await sendAll(api, kind, values.customer, targets, { dryRun: values.dryRun === true, oneUser: !values.declared });
  } catch (e) {
    const error = toHandlerError(e, `customer ${values.customer}`);
    deps.err(`dimensions users: ${error.code}${error.rule ? ` [${error.rule}]` : ""}: ${error.message}${error.hint ? `; ${error.hint}` : ""}`);
    return 1;
  }
  const count = (o: SendOutcome["outcome"]) => outcomes.filter((x) => x.outcome === o).length;
  const failed = count("failed");
  if (values.json) {
    deps.out(JSON.stringify({ customer: values.customer, email: kind, dryRun: values.dryRun === true, users: outcomes, failed }, null, 2));
  } else {
    deps.out(`customer ${values.customer}: ${what}${values.dryRun ? " (dry run: nothing is sent)" : ""}`);
    for (const o of outcomes) deps.out(`  ${o.email}: ${describe(o, what)}`);
    const done = values.dryRun ? `${count("would-send")} would be sent` : `${count("sent")} sent`;
    deps.out(`${done}, ${count("skipped")} skipped, ${failed} failed`);
  }
  return failed > 0 ? 1 : 0;
}

function describe(o: SendOutcome, what: string): string {
  const coded = o.code ? `${o.code}${o.rule ? ` [${o.rule}]` : ""}: ` : "";
  switch (o.outcome) {
    case "sent":
      return `sent the ${what}`;
    case "would-send":
      return `would send the ${what}`;
    case "skipped":
      return `skipped: ${coded}${o.message ?? ""}`;
    case "failed":
      return `FAILED: ${coded}${o.message ?? ""}`;
  }
}

/**
 * Reads each target live (roles, activation), decides as the apply does, and sends. `oneUser`: the
 * person named this user, so a refusal by rule is a failure too (nothing they asked for was sent);
 * for every declared user, a user the rule leaves out is skipped.
 */
export async function sendAll(
  api: DimensionsApi,
  kind: EmailKind,
  reference: string,
  targets: readonly string[],
  options: { readonly dryRun: boolean; readonly oneUser: boolean },
): Promise<SendOutcome[]> {
  const found = await api.findCustomersByReference(reference);
  if (found.length === 0) throw new HandlerError("CustomerNotFound", `customer ${reference} does not exist`, { rule: "C2", hint: "check the reference (--customer)" });
  if (found.length > 1) throw new HandlerError("DuplicateReference", `${found.length} customers have the reference "${reference}"`, { rule: "C2", hint: "a reference must identify one customer: change the reference of the extra customers in the portal" });
  const customerId = found[0].id;
  const listed = new Map((await api.listUsers(customerId)).map((u) => [emailKey(u.email), u]));
  const outcomes = new Map<string, SendOutcome>();
  const queue = [...new Set(targets)];
  const one = async (email: string): Promise<SendOutcome> => {
    const user = listed.get(emailKey(email));
    if (!user) return failure(email, "UserNotFound", `no user with this e-mail in customer ${reference}; check the e-mail`);
    try {
      const live = await api.getUser(customerId, user.id);
      const refusal = emailRefusal(kind, { roles: live.roles ?? [], ...(typeof live.activated === "boolean" ? { activated: live.activated } : {}) });
      if (refusal) {
        const skip = !options.oneUser && !(refusal.code === "ActivationStatusUnknown");
        // A skip is by rule and needs no fix; a failure says what to do.
        return { email, outcome: skip ? "skipped" : "failed", code: refusal.code, rule: refusal.rule, message: skip ? refusal.message : `${refusal.message}; ${refusal.hint}` };
      }
      if (options.dryRun) return { email, outcome: "would-send" };
      if (kind === "activation") await api.sendActivationEmail(customerId, user.id);
      else await api.sendUcWelcomeEmail(customerId, user.id);
      return { email, outcome: "sent" };
    } catch (e) {
      const error = toHandlerError(e, undefined, `sending the ${EMAIL_NAMES[kind]} to ${email}`);
      return failure(email, error.code, `${error.message}${error.hint ? `; ${error.hint}` : ""}`, error.rule);
    }
  };
  const worker = async () => {
    for (let email = queue.shift(); email !== undefined; email = queue.shift()) outcomes.set(email, await one(email));
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, Math.max(1, targets.length)) }, worker));
  return [...outcomes.values()].sort((a, b) => emailKey(a.email).localeCompare(emailKey(b.email)));
}
