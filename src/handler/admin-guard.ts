/**
 * Admin protection at apply time (H1, U4). The synth checks the code; these checks look at the
 * live tenant, because the grant that makes a successor admin may be running right now in another
 * provisioner process (Terraform runs up to 10 at once).
 */
import { isAdmin } from "../catalogue/roles";
import { type Manifest, type UserPayload } from "../contracts/handler";
import type { HandlerDeps } from "./context";
import { HandlerError } from "./errors";

/** Seconds between two looks at the successor admin. */
export const ADMIN_POLL_MS = 2000;

function declaredUsers(manifest: Manifest, customerReference: string): UserPayload[] {
  const users: UserPayload[] = [];
  for (const entry of Object.values(manifest.objects)) {
    if (entry.i.kind === "user" && "customer" in entry.t && entry.t.customer === customerReference) users.push(entry as UserPayload);
  }
  return users;
}

/** The primary admin the manifest names for the customer, other than `email` (H1 hand-over). */
export function otherPrimary(manifest: Manifest, customerReference: string, email: string): UserPayload | undefined {
  const self = email.toLowerCase();
  return declaredUsers(manifest, customerReference).find((u) => u.i.primary && u.t.email.toLowerCase() !== self);
}

/**
 * Resolves once a user other than `email` is an admin (user.admin + customer.user) of the live
 * customer; returns that user's e-mail. Looks first at the users the manifest declares with the
 * admin roles (the primary first), polling every 2 s up to `deps.adminWaitSeconds` for their
 * grants; then, once, at every user of the tenant. Fails with [H1] LastAdminGuard.
 */
export async function ensureAnotherAdmin(
  deps: HandlerDeps,
  target: {
    readonly customerId: string;
    readonly customerReference: string;
    readonly email: string;
    readonly subject: string;
    /**
     * Applies a user's desired state from the manifest. Given, the guard grants the manifest's
     * primary admin itself rather than only waiting for it: that grant may belong to a resource
     * Terraform starts only after this one (the same CustomerUser whose e-mail changed is
     * destroyed before it is created), so waiting alone could never succeed.
     */
    readonly converge?: (payload: UserPayload) => Promise<void>;
  },
): Promise<string> {
  const self = target.email.toLowerCase();
  const declared = declaredUsers(deps.manifest, target.customerReference).filter((u) => u.t.email.toLowerCase() !== self && isAdmin(u.t.roles));
  declared.sort((a, b) => Number(b.i.primary) - Number(a.i.primary));
  const candidates = declared.map((u) => u.t.email);

  const successor = declared.find((u) => u.i.primary && u.i.management === "exact");
  if (successor && target.converge) {
    const live = await deps.api.findUserByEmail(target.customerId, successor.t.email);
    if (!live || !isAdmin(live.roles ?? [])) {
      deps.report.action(target.subject, `granting the new primary admin ${successor.t.email} first, so the customer always has an admin (H1, U4)`);
      try {
        await target.converge(successor);
      } catch (e) {
        // Its own resource may still manage it; fall back to waiting below.
        deps.report.warn(target.subject, `could not grant ${successor.t.email} yet (${e instanceof Error ? e.message : String(e)}); waiting for it instead`);
      }
    }
  }

  const deadline = deps.clock.now() + deps.adminWaitSeconds * 1000;
  let announced = false;
  for (;;) {
    for (const email of candidates) {
      const user = await deps.api.findUserByEmail(target.customerId, email);
      if (user && isAdmin(user.roles ?? [])) return user.email;
    }
    if (candidates.length === 0 || deps.clock.now() >= deadline) break;
    if (!announced) {
      deps.report.action(target.subject, `waiting up to ${deps.adminWaitSeconds}s for ${candidates.join(", ")} to become admin before removing this admin (H1)`);
      announced = true;
    }
    await deps.clock.sleep(ADMIN_POLL_MS);
  }

  // Last resort: an admin the code does not declare (for example one made in the portal).
  const checked = new Set([self, ...candidates.map((e) => e.toLowerCase())]);
  for (const listed of await deps.api.listUsers(target.customerId)) {
    if (checked.has(listed.email.toLowerCase())) continue;
    const user = await deps.api.getUser(target.customerId, listed.id);
    if (isAdmin(user.roles ?? [])) return user.email;
  }

  const waited = candidates.length ? ` (waited ${deps.adminWaitSeconds}s for ${candidates.join(", ")})` : "";
  throw new HandlerError(
    "LastAdminGuard",
    `removing this user's admin roles would leave customer ${target.customerReference} without an admin: no other user holds user.admin + customer.user${waited}`,
    {
      rule: "H1",
      subject: target.subject,
      hint: "grant user.admin + customer.user to another user and name it primary admin in the same change, or keep this user's admin roles",
    },
  );
}
