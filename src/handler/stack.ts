/**
 * The stack resource: every other resource of the stack depends on it, and its `t` and `i` never change,
 * so Terraform destroys it only on `terraform destroy` (last), `-replace` or `taint`.
 *
 * Its release tells them apart with the markers the objects' releases left: in a destroy every
 * object it knew was destroyed with its desired state unchanged, and left an "identical" marker;
 * in `-replace` of this resource none did. Only the first releases anything. An object destroyed
 * after an unapplied change of its code (a "reconciled" marker) makes it refuse, rather than guess.
 */
import * as fs from "node:fs";
import { customerKey, STACK_MARKER_KEY, type AccessRequestPayload, type StackPayload, type TenantPayload } from "../contracts/handler";
import { withdrawAccessRequest } from "./access-request";
import { stateBackendOf } from "./backend";
import type { HandlerDeps } from "./context";
import { pool } from "./executor";
import { HandlerError, toHandlerError } from "./errors";
import { formatFailure } from "./report";
import { MARKER_MAX_AGE_MS, releaseWholeTenant } from "./tenant";

export const STACK_SUBJECT = "stack";
/** Customers released at once on destroy (each with its own bounded pool of requests). */
export const RELEASE_CUSTOMERS_AT_ONCE = 4;

/**
 * Every other resource depends on this one, so its create runs first — before terraform writes
 * the state of this run. Finding the marker of an earlier create of it means either a `taint` or
 * `-replace` of it (its destroy provisioner did not run), or a state that forgot the stack (a local
 * state file emptied by a kill -9 of terraform). The local backend's file tells them apart: valid
 * JSON (or gone: removed on purpose), it is a taint; empty or torn, the objects' old states are lost and nothing would
 * release what the interrupted apply was removing — it refuses before any API call, unless every
 * customer has authoritative users (H8), whose next apply revokes whoever the code does not declare.
 */
export async function applyStack(
  payload: StackPayload,
  deps: Pick<HandlerDeps, "report" | "markers" | "manifest" | "clock">,
  stackDir?: string,
): Promise<void> {
  const subject = `${STACK_SUBJECT} ${payload.t.stack}`;
  if (deps.markers.read(STACK_MARKER_KEY)?.state === "applied" && stackDir !== undefined && localStateForgotStack(stackDir)) {
    const tenants = Object.values(deps.manifest.objects).filter((o) => o.i.kind === "tenant") as TenantPayload[];
    const healing = tenants.length > 0 && tenants.every((t) => t.t.authoritative === true);
    // Refused before any API call, even a read: the recovery is the operator's (restore the state,
    // or, for a deliberate fresh start, remove the markers).
    if (!healing) {
      throw new HandlerError("StateLost", "this directory applied the stack before, but its local state file is empty or torn (as an interrupted terraform leaves it: it truncates, then writes; terraform's lock also leaves an empty file where a state was removed): applying now could not release what the code no longer declares; nothing is sent", {
        subject,
        hint: "with the local backend, restore the previous state (cp <state>.backup <state>) and apply again; if you removed or emptied it on purpose (a fresh start), delete .dimensions-markers/ beside cdk.tf.json and apply",
      });
    }
    if (healing) deps.report.warn(subject, "the state no longer holds this stack; every customer has authoritative users (H8), so this apply revokes whoever the code does not declare");
  }
  deps.markers.write({ version: 2, key: STACK_MARKER_KEY, state: "applied", digest: "", writtenAt: deps.clock.now() });
  deps.report.debug(`${subject}: created`);
}

/**
 * Whether the stack's local state file (the backend terraform runs with: the one `terraform init`
 * recorded, else cdk.tf.json's; terraform.tfstate by default) is empty or torn, as an interrupted
 * write leaves it (a file removed on purpose is not a crash).
 *
 * Never for another backend: a remote one writes each snapshot whole (the pg backend in one
 * statement), so a crash leaves the previous snapshot, which still holds every object whose
 * release had not finished. And the state of a second CI runner is that same snapshot: its
 * working directory, without markers, is no evidence of anything. With the pg backend the markers
 * live beside the state (pg-markers.ts), so what an interrupted run left is seen by the next one
 * wherever it runs.
 */
export function localStateForgotStack(stackDir: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): boolean {
  const backend = stateBackendOf(stackDir, env, cwd);
  if (backend.kind !== "local") return false;
  let text: string;
  try {
    text = fs.readFileSync(backend.file, "utf8");
  } catch {
    // Gone: removed on purpose (a crash truncates the file, it does not remove it).
    return false;
  }
  // Emptied or torn, as an interrupted write leaves it. A valid state without resources is what
  // `taint` of every resource leaves at this point (they are destroyed first), not a crash.
  if (text.trim() === "") return true;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

export async function releaseStack(old: StackPayload, deps: HandlerDeps): Promise<void> {
  const subject = `${STACK_SUBJECT} ${old.t.stack}`;
  // Destroyed or replaced: its create (if any) writes the marker again.
  deps.markers.remove(STACK_MARKER_KEY);
  const run = deps.runKind?.() ?? "unknown";
  // The stack resource is in every configuration: in an apply that is not a destroy, its release
  // is a replacement (-replace of it, with every object or not), whatever the markers say.
  if (run === "apply") {
    deps.report.action(subject, "replaced by terraform apply, not destroyed (its objects stay): nothing released");
    return;
  }
  // Keys the code no longer lists are the inventory's to release.
  const kept = Object.keys(deps.manifest.objects).sort();
  // A marker older than this run could be left by an apply that failed long ago: no evidence.
  const fresh = (key: string) => {
    const marker = deps.markers.read(key);
    return marker && deps.clock.now() - marker.writtenAt < MARKER_MAX_AGE_MS ? marker : undefined;
  };
  // In a known destroy, an object whose old state was in the object form and unchanged is what an
  // identical marker says; changed, it is an unapplied change (refused below).
  const markers = kept.map((key) => {
    const marker = fresh(key);
    if (run !== "destroy" || marker?.state !== "upgraded") return { key, marker };
    return { key, marker: { ...marker, state: marker.payload !== undefined ? ("identical" as const) : ("reconciled" as const) } };
  });
  const marked = markers.filter((m) => m.marker !== undefined);
  // The apply that upgrades a state written before t and i were JSON text replaces every resource
  // once, this one last, as a destroy would: its objects said so. (Only when terraform's command
  // line cannot be read does a destroy run before that apply release nothing: README.)
  const upgraded = marked.filter((m) => m.marker!.state === "upgraded").length;
  if (upgraded > 0) {
    deps.report.action(subject, `replaced by the upgrade of the state's layout (${upgraded} of ${kept.length} object${kept.length === 1 ? "" : "s"} upgraded in this run): nothing released`);
    return;
  }
  if (marked.length === 0) {
    deps.report.action(subject, kept.length === 0 ? "no object to release" : "replaced, not destroyed (its objects stay): nothing released");
    return;
  }
  if (marked.length < kept.length) {
    const missing = markers.filter((m) => m.marker === undefined).map((m) => m.key);
    throw new HandlerError(
      "ReleaseUndecided",
      `${marked.length} of ${kept.length} objects were destroyed before this resource, but not ${missing.join(", ")}: this is neither a whole destroy nor a replacement of this resource alone, so nothing is released`,
      { subject, hint: "if this was terraform destroy, those objects were added to the code (or failed) since the last apply: run terraform apply, then terraform destroy; otherwise run terraform apply again — nothing was lost" },
    );
  }
  const changed = markers.filter((m) => m.marker!.state !== "identical" && m.marker!.state !== "released");
  if (changed.length > 0) {
    throw new HandlerError(
      "DestroyAfterUnappliedChange",
      `${changed.length} object${changed.length === 1 ? "" : "s"} (${changed.map((m) => m.key).join(", ")}) changed in the code since the last apply and ${changed.length === 1 ? "was" : "were"} taken to the new desired state by this run; nothing is released, since this may not be a destroy`,
      { subject, hint: "run terraform apply (it sends nothing new), then terraform destroy" },
    );
  }

  const failures: HandlerError[] = [];
  // Each released object is marked so: a destroy that stops half-way (a failure, a kill) and is
  // run again releases the rest, every marker still telling it that this is a destroy.
  const release = async (key: string, work: () => Promise<void>) => {
    try {
      await work();
      deps.markers.write({ version: 2, key, state: "released", digest: "", writtenAt: deps.clock.now() });
    } catch (e) {
      const error = toHandlerError(e, key);
      failures.push(error);
      deps.report.action(key, `FAILED: ${formatFailure(error)[0].replace(/^dimensions: /, "")}`);
    }
  };
  const already = markers.filter((m) => m.marker!.state === "released").length;
  if (already > 0) deps.report.action(subject, `${already} of ${markers.length} object${markers.length === 1 ? " was" : "s were"} released by an earlier run of this destroy: not touched again`);
  const payloads = markers.filter((m) => m.marker!.state === "identical").map((m) => ({ key: m.key, payload: m.marker!.payload! }));
  // Partner access ends before the customers it names are released.
  for (const { key, payload } of payloads) {
    if (payload.i.kind === "access-request") await release(key, () => withdrawAccessRequest((payload as AccessRequestPayload).t.name, "destroyed", deps));
  }
  const tenants = payloads.filter((p) => p.payload.i.kind === "tenant");
  await pool(tenants, RELEASE_CUSTOMERS_AT_ONCE, ({ key, payload }) => {
    const { t, i } = payload as TenantPayload;
    if (key !== customerKey(t.customer.reference)) throw new Error(`internal: marker ${key} holds customer ${t.customer.reference}`);
    return release(key, () => releaseWholeTenant({ reference: t.customer.reference, users: t.users, ...(i.owned ? { removalPolicy: i.removalPolicy ?? "retain" } : {}) }, deps, i.settings.acceptCharges));
  });
  const total = markers.length;
  deps.report.action(subject, `destroyed: released ${total - failures.length} of ${total} object${total === 1 ? "" : "s"} by their removal policies`);
  if (failures.length) {
    throw new HandlerError("ReleaseIncomplete", `${failures.length} of ${total} objects could not be released (each is reported above)`, {
      subject,
      hint: "fix the causes above and run terraform destroy again; what was released is not touched twice",
    });
  }
  for (const { key } of markers) deps.markers.remove(key);
}
