/**
 * The tenant resource (one per customer): apply and release (contract: src/contracts/handler.ts).
 *
 * - release with the manifest's desired state different from the old one (a replacement): the
 *   whole move from old to new happens here, in one process, ordered by the reconcile layer; the
 *   resource stays in state until it succeeds, so a crash or a failure re-runs it next time;
 * - release with the same desired state: `-replace`, a tainted successor or a real destroy look
 *   alike, so nothing is touched; a marker tells the apply that follows (if any) and the stack's
 *   release (which runs last in a destroy) what happened;
 * - apply: after a release that reconciled, nothing is left; otherwise every declared user is
 *   converged (adopting what exists) and nobody is removed, since nothing says who left.
 */
import {
  customerKey,
  type CustomerRemovalPolicyValue,
  type Marker,
  type Settings,
  type TenantDesired,
  type TenantPayload,
  type UserEntry,
} from "../contracts/handler";
import { canonicalDigest, canonicalEqual, customerSubject, meter, sameDesired, type HandlerDeps } from "./context";
import { findCustomer, reconcileTenant } from "./executor";
import { HandlerError, toHandlerError } from "./errors";

/** A reconciled marker older than this is no evidence about the current run. */
export const MARKER_MAX_AGE_MS = 6 * 3600_000;

export async function applyTenant(payload: TenantPayload, deps: HandlerDeps): Promise<void> {
  const { t, i } = payload;
  const key = customerKey(t.customer.reference);
  const subject = customerSubject(t.customer.reference);
  const entry = deps.manifest.objects[key];
  if (!entry || entry.i.kind !== "tenant" || !canonicalEqual(entry.t, t)) {
    throw new HandlerError("ManifestMismatch", "the manifest does not hold this customer as the configuration renders it; nothing is sent", {
      subject,
      hint: 're-run "cdktf synth" (or "cdktf deploy") and apply the configuration it writes',
    });
  }
  const marker = deps.markers.read(key);
  if (marker && tookItThere(marker, canonicalDigest(t), deps)) {
    deps.report.action(subject, "already taken to the declared state by the replacement's release: nothing left to do");
    deps.markers.remove(key);
    deps.sent?.clear(key);
    return;
  }
  await reconcileTenant({ desired: t, owned: i.owned, acceptCharges: i.settings.acceptCharges }, deps);
  deps.markers.remove(key);
  deps.sent?.clear(key);
}

export async function releaseTenant(old: TenantPayload, deps: HandlerDeps): Promise<void> {
  const key = customerKey(old.t.customer.reference);
  const subject = customerSubject(old.t.customer.reference);
  const entry = deps.manifest.objects[key];
  if (entry === undefined || entry.i.kind !== "tenant") {
    deps.report.action(subject, "left the code: the stack's inventory releases it");
    return;
  }
  // Replaced by the apply that upgrades a state written before t and i were JSON text: every
  // resource is replaced once, the stack resource too, whose release must not take it for a destroy.
  const after = deps.objectForm ? "upgraded" : "reconciled";
  if (sameDesired(entry, old) && deps.objectForm) {
    // With its payload: in a terraform destroy (told by the command line) the stack releases it.
    deps.markers.write({ version: 2, key, state: "upgraded", digest: canonicalDigest(old.t), payload: old, writtenAt: deps.clock.now() });
    markDone(key, deps);
    deps.report.action(subject, "replaced by the upgrade of its state's layout, with the same desired state: nothing changes");
    return;
  }
  if (sameDesired(entry, old)) {
    deps.markers.write({ version: 2, key, state: "identical", digest: canonicalDigest(old.t), payload: old, writtenAt: deps.clock.now() });
    deps.report.action(subject, "destroyed or replaced with the same desired state: nothing changes now (on terraform destroy, the stack resource releases it last)");
    return;
  }
  const next = entry as TenantPayload;
  // This process talks to the API of the OLD settings. When the new code points at another one
  // (region, apiUrl), the old tenant is no evidence about the new: nothing is taken back here, and
  // the marker names no digest, so the create converges everything there (adopting what exists);
  // a destroy run before this apply finds it and refuses (the stack's release sees a change).
  if (!sameApi(old.i.settings, next.i.settings)) {
    deps.markers.write({ version: 2, key, state: after, digest: "", writtenAt: deps.clock.now() });
    deps.report.action(subject, "the stack now points at another API (region or apiUrl changed): the create converges the customer there; nothing changes here");
    return;
  }
  // This directory's release already took the tenant from this old state to this desired one,
  // and Terraform did not record it (the previous state restored after StateLost, or lost in a
  // kill -9): running it again would send its e-mails twice (H5, U14), whose log it cleared.
  // Once: a digest of a 5,000-user state is a visible share of a change's run.
  const digest = canonicalDigest(next.t);
  if (tookItThere(deps.markers.read(key), digest, deps)) {
    deps.report.action(subject, "already taken to the declared state by an earlier run of this replacement's release: nothing is sent again");
    return;
  }
  await reconcileTenant({ desired: next.t, previous: old.t, owned: next.i.owned, acceptCharges: next.i.settings.acceptCharges }, deps);
  deps.markers.write({ version: 2, key, state: after, digest, writtenAt: deps.clock.now() });
  markDone(key, deps);
  // Only now: killed before the marker was written, the release runs again and its log must still
  // say what it sent; from here the marker says the whole change is done.
  deps.sent?.clear(key);
}

/** A release of this run (a fresh marker) took the tenant to the desired state with this digest. */
function tookItThere(marker: Marker | undefined, digest: string, deps: HandlerDeps): boolean {
  return (marker?.state === "reconciled" || marker?.state === "upgraded") && marker.digest === digest && deps.clock.now() - marker.writtenAt < MARKER_MAX_AGE_MS;
}

/** The create that follows tests for this file from the shell and starts no handler at all. */
function markDone(key: string, deps: HandlerDeps): void {
  const rendered = deps.manifest.digests?.[key];
  if (rendered) deps.markers.markDone(key, rendered);
}

function sameApi(a: Settings, b: Settings): boolean {
  return (a.region ?? null) === (b.region ?? null) && (a.apiUrl ?? null) === (b.apiUrl ?? null);
}

/**
 * Releases a whole tenant the code no longer declares: every user it applied, by its removal
 * policy (H1: the primary admin keeps its admin roles; H7: PBX users are never deleted), then the
 * customer by its own (C5). An owned customer that is deleted takes its users with it.
 */
export async function releaseWholeTenant(
  tenant: { readonly reference: string; readonly users: Readonly<Record<string, UserEntry>>; readonly removalPolicy?: CustomerRemovalPolicyValue },
  deps: HandlerDeps,
  acceptCharges: boolean,
): Promise<void> {
  await releaseTenantObjects(tenant, deps, acceptCharges);
  // A log left by a failed change of this customer guards nothing once it is released: kept, it
  // would keep the same trigger value from sending if the customer came back within its age.
  deps.sent?.clear(customerKey(tenant.reference));
}

async function releaseTenantObjects(
  tenant: { readonly reference: string; readonly users: Readonly<Record<string, UserEntry>>; readonly removalPolicy?: CustomerRemovalPolicyValue },
  deps: HandlerDeps,
  acceptCharges: boolean,
): Promise<void> {
  const subject = customerSubject(tenant.reference);
  const requests = meter(deps.api);
  if (tenant.removalPolicy === "retain" && Object.keys(tenant.users).length === 0) {
    deps.report.action(subject, "retained (removal policy retain)");
    return;
  }
  let customerId: string | undefined;
  try {
    customerId = (await findCustomer(deps, tenant.reference))?.id;
  } catch (e) {
    throw toHandlerError(e, subject, `releasing customer ${tenant.reference}`);
  }
  if (!customerId) {
    deps.report.action(subject, "already gone: nothing to release", requests());
    return;
  }
  if (tenant.removalPolicy !== "delete" && Object.keys(tenant.users).length > 0) {
    const previous: TenantDesired = { customer: { reference: tenant.reference }, users: tenant.users };
    await reconcileTenant({ desired: { customer: { reference: tenant.reference }, users: {} }, previous, owned: false, acceptCharges }, deps);
  }
  try {
    if (tenant.removalPolicy === "disable") {
      await deps.api.patchCustomer(customerId, [{ op: "replace", path: "/enabled", value: false }], { acceptCharges });
      deps.report.action(subject, `disabled customer ${customerId} (removal policy disable)`, requests());
    } else if (tenant.removalPolicy === "delete") {
      const deleted = await deps.api.deleteCustomer(customerId);
      deps.report.action(subject, deleted ? `deleted customer ${customerId} (removal policy delete)` : "already gone", requests());
    } else if (tenant.removalPolicy === "retain") {
      deps.report.action(subject, "customer retained (removal policy retain)", requests());
    }
  } catch (e) {
    throw toHandlerError(e, subject, `releasing customer ${tenant.reference}`);
  }
}
