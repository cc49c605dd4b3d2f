/**
 * The executor: runs a tenant's reconcile (src/reconcile) against the API. It finds or creates the
 * customer, lists its users once (paged), reads the roles of only the users the plan needs, and
 * runs the planned operations phase by phase with bounded concurrency through one client (one
 * connection pool, one token). One line per changed user, a progress line on long runs; on partial
 * failure every failed user is reported with its coded error and the run fails, so that a re-apply
 * converges. It decides nothing the plan did not say.
 */
import { isAdmin } from "../catalogue/roles";
import type { Customer, CustomerUser, KazooPbxConnectionProfile } from "../contracts/api";
import { customerKey, type CustomerDesired, type TenantDesired } from "../contracts/handler";
import {
  declaredAdmins,
  describeDeviceOperation,
  desiredUsers,
  EMAIL_NAMES,
  devicesToRead,
  emailKey,
  exactTarget,
  liveUserOf,
  mayTriggerAutoRoles,
  planCustomer,
  pbxProblem,
  planUsers,
  replacesAutoRecipient,
  roleDiff,
  sameEntry,
  sameSet,
  usersToRead,
  withRolesAddedSince,
  type EmailSend,
  type LiveUser,
  type UserOperation,
  type UserPlanInput,
} from "../reconcile";
import { customerSubject, list, meter, userSubject, type HandlerDeps } from "./context";
import { HandlerError, toHandlerError } from "./errors";
import { formatFailure } from "./report";
import { SENT_LOG_MAX_AGE_MS } from "./sent-log";

/** Seconds between two progress lines of a long run. */
export const PROGRESS_EVERY_MS = 10_000;

export interface TenantRun {
  readonly desired: TenantDesired;
  /** What was applied before (a replaced resource's old state); undefined when unknown. */
  readonly previous?: TenantDesired;
  /** Owned customers are created and converged; referenced ones must exist. */
  readonly owned: boolean;
  readonly acceptCharges: boolean;
}

export interface TenantOutcome {
  readonly customerId: string;
  readonly operations: number;
  readonly unchanged: number;
}

/** The one customer with this reference, or undefined; two or more is an error (C2). */
export async function findCustomer(deps: Pick<HandlerDeps, "api">, reference: string): Promise<Customer | undefined> {
  const found = await deps.api.findCustomersByReference(reference);
  if (found.length > 1) {
    throw new HandlerError("DuplicateReference", `${found.length} customers have the reference "${reference}" (ids ${found.map((c) => c.id).join(", ")})`, {
      rule: "C2",
      subject: customerSubject(reference),
      hint: "a reference must identify one customer: change the reference of the extra customers in the portal, then apply again",
    });
  }
  return found[0];
}

/** Runs `work` over `items` with at most `limit` at once; never rejects (results say what failed). */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Creates or converges the customer (C2, C3, C4, C6); returns it and whether it was just created. */
async function ensureCustomer(run: TenantRun, deps: HandlerDeps, requests: () => number): Promise<{ customer: Customer; created: boolean }> {
  const reference = run.desired.customer.reference;
  const subject = customerSubject(reference);
  const current = await findCustomer(deps, reference);
  if (!run.owned) {
    if (current) return { customer: current, created: false };
    throw new HandlerError("CustomerNotFound", `customer ${reference} does not exist`, {
      subject,
      hint: "check the reference of Customer.fromReference, or declare the customer with new Customer",
    });
  }
  const desired = run.desired.customer as CustomerDesired;
  const options = { acceptCharges: run.acceptCharges };
  if (current) {
    const problem = pbxProblem(current, desired);
    if (problem?.level === "error") throw new HandlerError("PbxAccountMismatch", problem.message, { rule: "C3", subject, hint: problem.hint });
    if (problem) deps.report.warn(subject, problem.message);
  }
  const step = planCustomer(desired, current);
  if (step.kind === "none") return { customer: current!, created: false };
  if (step.kind === "patch") {
    await deps.api.patchCustomer(current!.id, step.patch, options);
    deps.report.action(subject, `set ${step.patch.map((p) => p.path.slice(1)).join(", ")} of customer ${current!.id}`);
    return { customer: current!, created: false };
  }
  const body = { ...step.body, ...(desired.pbx ? { pbxConnectionProfile: pbxProfile(desired, deps) } : {}) };
  const customer = await deps.api.createCustomer(body, options);
  const pbx = desired.pbx ? ` with PBX account ${desired.pbx.accountId}` : "";
  deps.report.action(subject, `created customer ${customer.id} "${desired.name}"${pbx}`, requests());
  return { customer, created: true };
}

function pbxProfile(desired: CustomerDesired, deps: HandlerDeps): KazooPbxConnectionProfile {
  const pbx = desired.pbx!;
  const apiKey = deps.env[pbx.apiKeyEnv];
  if (!apiKey) {
    throw new HandlerError("PbxApiKeyMissing", `environment variable ${pbx.apiKeyEnv} is not set or empty; it must hold the Kazoo API key to create the customer`, {
      rule: "C4",
      hint: `export ${pbx.apiKeyEnv} in the environment that runs terraform (the key never enters the configuration or the state)`,
    });
  }
  deps.report.secret(apiKey);
  return {
    _type: "KazooPbxConnectionProfile" as const,
    hostRest: pbx.hostRest,
    hostWebsocket: pbx.hostWebsocket,
    accountId: pbx.accountId,
    apiKey,
    ...(pbx.monitorSubAccounts !== undefined ? { monitorSubAccounts: pbx.monitorSubAccounts } : {}),
  };
}

/** Takes the tenant from its live state to `run.desired`. */
export async function reconcileTenant(run: TenantRun, deps: HandlerDeps): Promise<TenantOutcome> {
  const reference = run.desired.customer.reference;
  const subject = customerSubject(reference);
  const requests = meter(deps.api);
  const started = deps.clock.now();
  let customer: Customer;
  try {
    ({ customer } = await ensureCustomer(run, deps, requests));
  } catch (e) {
    throw toHandlerError(e, subject, `creating or updating customer ${reference}`);
  }

  const input: UserPlanInput = {
    desired: desiredUsers(run.desired.users),
    ...(run.previous ? { previous: desiredUsers(run.previous.users) } : {}),
    authoritative: run.desired.authoritative === true,
  };
  // Nothing about users changed since the last apply: no need to list them.
  const usersUnchanged = run.previous !== undefined && !input.authoritative && sameUserEntries(run.previous, run.desired);
  if (usersUnchanged) {
    deps.report.action(subject, "users already as declared", requests());
    return { customerId: customer.id, operations: 0, unchanged: Object.keys(run.desired.users).length };
  }

  const live = new Map<string, LiveUser>();
  try {
    for (const u of await deps.api.listUsers(customer.id)) live.set(emailKey(u.email), { id: u.id, email: u.email, displayName: u.displayName });
    const toRead = usersToRead(input, live);
    await readRoles(customer.id, toRead, new Set(devicesToRead(input, live)), live, deps);
  } catch (e) {
    throw toHandlerError(e, subject, `reading the users of customer ${reference}`);
  }

  const plan = planUsers(input, live);
  for (const notice of plan.notices) deps.report.action(userSubject(reference, notice.email), notice.code ? `${notice.text} [${notice.code}]` : notice.text);
  const failures: HandlerError[] = [];
  const reportFailure = (email: string, error: HandlerError) => {
    failures.push(error);
    deps.report.action(userSubject(reference, email), `FAILED: ${formatFailure(error)[0].replace(/^dimensions: /, "")}`);
  };
  for (const issue of plan.issues) {
    reportFailure(issue.email, new HandlerError(issue.code, issue.message, { subject: userSubject(reference, issue.email), hint: issue.hint, ...(issue.rule ? { rule: issue.rule } : {}) }));
  }

  const total = plan.operations.length;
  let done = 0;
  let lastProgress = started;
  const progress = () => {
    done++;
    const now = deps.clock.now();
    if (now - lastProgress >= PROGRESS_EVERY_MS && done < total) {
      lastProgress = now;
      deps.report.action(subject, `${done} of ${total} user changes done, ${Math.round((now - started) / 1000)} s`);
    }
  };
  const ids = new Map([...live].map(([k, u]) => [k, u.id]));
  const failed = new Set<string>();
  let opFailures = 0;
  // U11: set once this run may have given the customer its first supervisor level 3+.
  let triggered = false;
  const runOne = async (op: UserOperation, guard?: () => Promise<void>) => {
    // A user's operations run in phase order (devices off, roles, devices on): after one fails,
    // the next would meet a state the plan did not expect (a role revoked under a device).
    if (failed.has(emailKey(op.email))) {
      deps.report.action(userSubject(reference, op.email), `${describeOperation(op)} skipped: an earlier change of this user failed`);
      progress();
      return;
    }
    try {
      if (guard) await guard();
      let planned = op;
      if (triggered && replacesAutoRecipient(op)) planned = withRolesAddedSince(op, (await deps.api.getUser(customer.id, op.userId)).roles ?? []);
      await execute(planned, customer.id, reference, run, ids, deps);
      if (mayTriggerAutoRoles(op)) triggered = true;
    } catch (e) {
      failed.add(emailKey(op.email));
      opFailures++;
      reportFailure(op.email, toHandlerError(e, userSubject(reference, op.email), describeOperation(op)));
    } finally {
      progress();
    }
  };

  const inPhase = (phase: UserOperation["phase"]) => plan.operations.filter((op) => op.phase === phase);
  // U14: devices off before any role goes (and before another user takes one of them).
  await pool(inPhase("device-unassigns"), deps.concurrency, (op) => runOne(op));
  // U5: the first admin's grants before any other user change; one at a time, the primary first.
  for (const op of inPhase("admin-grants")) await runOne(op);
  // U11: the changes that may trigger the server's Real-Time Add-On first, so that every PBX user's
  // role list written after them is read after the server added it.
  const changes = inPhase("changes");
  await pool(changes.filter(mayTriggerAutoRoles), deps.concurrency, (op) => runOne(op));
  await pool(changes.filter((op) => !mayTriggerAutoRoles(op)), deps.concurrency, (op) => runOne(op));
  await pool(inPhase("removals"), deps.concurrency, (op) => runOne(op));
  // H1, U4: one at a time, each after a live look that another admin holds both admin roles.
  const revocations = inPhase("admin-revocations");
  const leaving = new Set(revocations.map((op) => emailKey(op.email)));
  // Who may still be admin once these go: the declared admins, and every user read live as an
  // admin that no revocation touches (the primary admin H1 keeps on a whole release, or an admin
  // of the portal).
  const liveAdmins = [...live].filter(([, u]) => u.roles !== undefined && isAdmin(u.roles)).map(([k]) => k);
  const successors = [...new Set([...declaredAdmins(input.desired), ...liveAdmins])].filter((k) => !leaving.has(k));
  for (const op of revocations) {
    await runOne(op, () => confirmAnotherAdmin(customer.id, reference, op.email, successors.filter((k) => !failed.has(k)), ids, deps));
  }
  // U14, U7: devices on once every role they need is granted.
  await pool(inPhase("device-assigns"), deps.concurrency, (op) => runOne(op));

  // H5, U14: last, once every user's roles are as declared (a welcome e-mail needs the UC client).
  const mailed = await sendEmails(plan.emails, customer.id, reference, failed, deps, reportFailure);

  const mails = mailed > 0 ? `, ${mailed} e-mail${mailed === 1 ? "" : "s"} sent` : "";
  deps.report.action(subject, `${total - opFailures} user change${total === 1 ? "" : "s"} applied, ${plan.unchanged} already as declared${mails}, in ${Math.round((deps.clock.now() - started) / 100) / 10} s`, requests());
  if (failures.length) {
    throw new HandlerError("TenantIncomplete", `${failures.length} user${failures.length === 1 ? "" : "s"} of customer ${reference} could not be taken to the declared state (each is reported above); the others were`, {
      subject,
      hint: failures.length === 1 && failures[0].hint ? failures[0].hint : "fix the causes above and apply again; what already succeeded is not sent twice",
    });
  }
  // The sent log is cleared by the caller, once the marker saying the change is done is written.
  return { customerId: customer.id, operations: total, unchanged: plan.unchanged };
}

/**
 * H5, U14, U15: sends the e-mails whose trigger changed, each once: never for a user whose own
 * change failed (the next apply sends it), never twice for one change run again (the sent log).
 * The POST is not retried by the client: a second e-mail is the worse outcome. Returns how many went.
 */
async function sendEmails(
  sends: readonly EmailSend[],
  customerId: string,
  reference: string,
  failed: ReadonlySet<string>,
  deps: HandlerDeps,
  reportFailure: (email: string, error: HandlerError) => void,
): Promise<number> {
  const key = customerKey(reference);
  let count = 0;
  await pool(sends, deps.concurrency, async (send) => {
    const subject = userSubject(reference, send.email);
    const what = `${EMAIL_NAMES[send.kind]} (${send.kind}=${send.value})`;
    if (failed.has(emailKey(send.email))) {
      deps.report.action(subject, `${what} not sent: the user's change failed (the next apply sends it)`);
      return;
    }
    const at = deps.sent?.sentAt(key, send.email, send.kind, send.value);
    if (at !== undefined && deps.clock.now() - at < SENT_LOG_MAX_AGE_MS) {
      deps.report.action(subject, `${what} already sent by an earlier run of this change (${new Date(at).toISOString()}): not sent twice [EmailAlreadySent]`);
      return;
    }
    try {
      if (send.kind === "activation") await deps.api.sendActivationEmail(customerId, send.userId);
      else await deps.api.sendUcWelcomeEmail(customerId, send.userId);
    } catch (e) {
      reportFailure(send.email, toHandlerError(e, subject, `sending the ${what}`));
      return;
    }
    deps.sent?.record(key, send.email, send.kind, send.value, deps.clock.now());
    count++;
    deps.report.action(subject, `sent the ${what}`);
  });
  return count;
}

function sameUserEntries(a: TenantDesired, b: TenantDesired): boolean {
  const pa = desiredUsers(a.users);
  const pb = desiredUsers(b.users);
  if (pa.size !== pb.size) return false;
  for (const [k, u] of pa) {
    const other = pb.get(k);
    if (!other || !sameEntry(u.entry, other.entry)) return false;
  }
  return true;
}

/** Reads each user of `keys` (roles, and devices where the API reports them; required for `withDevices`). */
async function readRoles(customerId: string, keys: readonly string[], withDevices: ReadonlySet<string>, live: Map<string, LiveUser>, deps: HandlerDeps): Promise<void> {
  await pool(keys, deps.concurrency, async (key) => {
    const listed = live.get(key)!;
    const user = await deps.api.getUser(customerId, listed.id, { devices: withDevices.has(key) });
    live.set(key, { ...liveUserOf(user), ...activationOf(user) });
  });
}

/** H5 [ours]: the user's activation as the API said it; absent when the answer does not say. */
export function activationOf(user: CustomerUser): { activated?: boolean } {
  return typeof user.activated === "boolean" ? { activated: user.activated } : {};
}

function describeOperation(op: UserOperation): string {
  if (op.kind === "assign-device" || op.kind === "unassign-device") return `${describeDeviceOperation(op).replace(/^(\w+)/, "$1ing")} of user ${op.email}`;
  return op.kind === "create" ? `creating user ${op.email}` : op.kind === "delete" ? `deleting user ${op.email}` : `changing user ${op.email}`;
}

/** H1, U4: resolves once a user other than `email` is an admin of the live customer. */
async function confirmAnotherAdmin(customerId: string, reference: string, email: string, candidates: readonly string[], ids: ReadonlyMap<string, string>, deps: HandlerDeps): Promise<void> {
  for (const key of candidates) {
    if (key === emailKey(email)) continue;
    const id = ids.get(key);
    if (!id) continue;
    const user: CustomerUser = await deps.api.getUser(customerId, id);
    if (isAdmin(user.roles ?? [])) return;
  }
  throw new HandlerError("LastAdminGuard", `removing this user's admin roles would leave customer ${reference} without an admin: no declared admin holds user.admin + customer.user`, {
    rule: "H1",
    hint: "grant user.admin + customer.user to another user and name it primary admin in the same change, or keep this user's admin roles",
  });
}

async function execute(
  op: UserOperation,
  customerId: string,
  reference: string,
  run: TenantRun,
  ids: Map<string, string>,
  deps: HandlerDeps,
): Promise<void> {
  const subject = userSubject(reference, op.email);
  const options = { acceptCharges: run.acceptCharges };
  if (op.kind === "create") {
    const result = await deps.api.createUser(customerId, { email: op.email, displayName: op.displayName, roles: [...op.roles] }, options);
    if ("created" in result) {
      ids.set(emailKey(op.email), result.created.id);
      const held = result.created.roles ?? op.roles;
      const target = exactTarget(op.roles, held);
      // The server adds customer.user by itself (API contract §4); anything else unasked is set back.
      if (!sameSet(held, target)) await deps.api.patchUser(customerId, result.created.id, [{ op: "replace", path: "/roles", value: target }], options);
      deps.report.action(subject, `created with ${op.roles.length} role${op.roles.length === 1 ? "" : "s"} ${list(target)}`);
      return;
    }
    // U2: it exists after all (it appeared after the listing): adopt it.
    ids.set(emailKey(op.email), result.existing);
    const user = await deps.api.getUser(customerId, result.existing);
    const target = exactTarget(op.roles, user.roles ?? []);
    const patch = [
      ...(user.displayName !== op.displayName ? [{ op: "replace" as const, path: "/displayName", value: op.displayName }] : []),
      ...(!sameSet(user.roles ?? [], target) ? [{ op: "replace" as const, path: "/roles", value: target }] : []),
    ];
    if (patch.length) await deps.api.patchUser(customerId, result.existing, patch, options);
    deps.report.action(subject, `adopted existing user: roles ${roleDiff(user.roles ?? [], target) || "already as declared"}`);
    return;
  }
  if (op.kind === "assign-device" || op.kind === "unassign-device") {
    const userId = op.userId ?? ids.get(emailKey(op.email));
    if (!userId) throw new Error(`internal: no id for user ${op.email} before its devices`);
    if (op.kind === "assign-device") await deps.api.assignDevice(customerId, userId, op.device, op.clientType);
    else await deps.api.unassignDevice(customerId, userId, op.device, op.clientType);
    deps.report.action(subject, `${op.kind === "assign-device" ? "assigned" : `${op.why}: unassigned`} softphone ${op.device} (${op.clientType})`);
    return;
  }
  if (op.kind === "delete") {
    const deleted = await deps.api.deleteUser(customerId, op.userId);
    deps.report.action(subject, deleted ? "deleted (removal policy delete)" : "already gone");
    return;
  }
  await deps.api.patchUser(customerId, op.userId, [...op.patch], options);
  const changes = op.patch.some((p) => p.path === "/displayName") ? "displayName, " : "";
  const diff = roleDiff(op.before, op.after);
  deps.report.action(subject, `${op.why === "changed" ? "set" : `${op.why}: removed`} ${changes}${diff ? `roles ${diff}` : ""}`.replace(/, $/, ""));
}
