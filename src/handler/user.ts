/**
 * Customer-user operations. A user is found by customer reference + e-mail (never by an id kept in
 * state). Roles the server assigns, synchronises or keeps read-only (U10–U13) are never removed and
 * never cause a change; every write is at most one PATCH.
 */
import { ADMIN_ROLES, findRole, isAdmin, isServerManaged } from "../catalogue/roles";
import type { CustomerUser, JsonPatchOperation } from "../contracts/api";
import { customerKey, userKey, type UserPayload } from "../contracts/handler";
import { ensureAnotherAdmin, otherPrimary } from "./admin-guard";
import { list, meter, sameObject, sameSet, sorted, userSubject, type HandlerDeps } from "./context";
import { findCustomer } from "./customer";
import { HandlerError, toHandlerError } from "./errors";

export const PRIMARY_KEPT = "primary admin kept (H1): name another primary admin in the same change to hand over";

/** Exact target (U13): the declared roles plus every server-managed role the user holds now. */
export function exactTarget(desired: readonly string[], current: readonly string[]): string[] {
  return sorted([...desired, ...current.filter(isServerManaged)]);
}

/** `+a +b -c` */
export function roleDiff(before: readonly string[], after: readonly string[]): string {
  const b = new Set(before);
  const a = new Set(after);
  const added = sorted(after.filter((r) => !b.has(r))).map((r) => `+${r}`);
  const removed = sorted(before.filter((r) => !a.has(r))).map((r) => `-${r}`);
  return [...added, ...removed].join(" ");
}

async function resolveCustomerId(deps: HandlerDeps, reference: string): Promise<string> {
  const customer = await findCustomer(deps.api, reference);
  if (!customer) {
    throw new HandlerError("CustomerNotFound", `customer ${reference} does not exist`, {
      hint: "declare the customer in this stack (its resource is created first), or check the reference of Customer.fromReference",
    });
  }
  return customer.id;
}

/** Apply: create or adopt the user and converge its roles (U2, U13), or add roles (additive). */
export async function applyUser(payload: UserPayload, deps: HandlerDeps): Promise<void> {
  const { t, i } = payload;
  const subject = userSubject(t.customer, t.email);
  const requests = meter(deps.api);
  const options = { acceptCharges: i.settings.acceptCharges };
  try {
    const customerId = await resolveCustomerId(deps, t.customer);

    if (i.management === "additive") {
      const user = await deps.api.findUserByEmail(customerId, t.email);
      if (!user) {
        throw new HandlerError("UserNotFound", `the user does not exist in customer ${t.customer}; a role assignment only grants roles to existing users`, {
          hint: "declare the user with CustomerUser to create it, or check the e-mail",
        });
      }
      const current = user.roles ?? [];
      const held = new Set(current);
      const missing = sorted(t.roles.filter((r) => !held.has(r)));
      if (missing.length === 0) {
        deps.report.action(subject, `already holds ${list(t.roles)}`, requests());
        return;
      }
      // `add /roles/-` keeps every role the app does not own, whoever granted it.
      await deps.api.patchUser(customerId, user.id, missing.map((value) => ({ op: "add", path: "/roles/-", value })), options);
      deps.report.action(subject, `added ${list(missing)}`, requests());
      return;
    }

    let user: CustomerUser;
    let verb: string;
    if (i.origin === "adopted") {
      const found = await deps.api.findUserByEmail(customerId, t.email);
      if (!found) {
        throw new HandlerError("UserNotFound", `the adopted user does not exist in customer ${t.customer}; an adopted user (for example imported from the PBX) must exist already`, {
          hint: "check the e-mail and the customer's PBX import, or declare it with new CustomerUser to create it",
        });
      }
      user = found;
      verb = "adopted";
    } else {
      const result = await deps.api.createUser(customerId, { email: t.email, displayName: t.displayName ?? t.email, roles: [...t.roles] }, options);
      if ("created" in result) {
        user = result.created.roles ? result.created : await deps.api.getUser(customerId, result.created.id);
        verb = "created";
      } else {
        // U2: the user exists (imported from the PBX, made by hand, or by a crashed earlier run).
        user = await deps.api.getUser(customerId, result.existing);
        verb = "adopted existing user";
      }
    }

    const current = user.roles ?? [];
    const target = exactTarget(t.roles, current);
    const patch: JsonPatchOperation[] = [];
    const changes: string[] = [];
    if (t.displayName !== undefined && user.displayName !== t.displayName) {
      patch.push({ op: "replace", path: "/displayName", value: t.displayName });
      changes.push("displayName");
    }
    if (!sameSet(current, target)) {
      patch.push({ op: "replace", path: "/roles", value: target });
      changes.push(`roles ${roleDiff(current, target)}`);
      if (isAdmin(current) && !isAdmin(target)) {
        // The successor admin's grant may be running concurrently (H1, U4).
        await ensureAnotherAdmin(deps, { customerId, customerReference: t.customer, email: t.email, subject, converge: (p) => applyUser(p, deps) });
      }
    }
    if (patch.length) await deps.api.patchUser(customerId, user.id, patch, options);

    const roles = `${target.length} role${target.length === 1 ? "" : "s"} ${list(target)}`;
    const text =
      verb === "created"
        ? `created with ${roles}${changes.length ? ` (then set ${changes.join(", ")})` : ""}`
        : `${verb}: ${changes.length ? `set ${changes.join(", ")}` : "already as declared"}; holds ${roles}`;
    deps.report.action(subject, text, requests());
  } catch (e) {
    throw toHandlerError(e, subject, `changing user ${t.email}`);
  }
}

type ReleasePlan = { readonly kind: "delete" } | { readonly kind: "remove"; readonly roles: string[]; readonly why: string };

/**
 * Release, with the old payload from state (P) and the manifest's entry for the same key (M):
 * - the customer left the code (owned customer): skip, its own removal policy decides;
 * - M differs: a replacement: exact → nothing (the successor sets its roles); additive → remove
 *   the roles P granted that M no longer grants;
 * - M absent or identical: a full release per P's removal policy.
 * Any removal of an admin's admin roles passes the H1 guards first.
 */
/**
 * Of the roles an additive release would remove, those that no role the user keeps depends on
 * (U7). The app does not know which roles the user held before an assignment granted them: a
 * portal admin given `customer.user` + `pbx.silentmonitor` already held `customer.user`, and
 * taking it back would lock them out (and the server refuses it while `user.admin` stays).
 */
export function stillNeeded(current: readonly string[], remove: readonly string[]): string[] {
  const removing = new Set(remove);
  const kept = current.filter((r) => !removing.has(r));
  for (let i = 0; i < kept.length; i++) {
    for (const prerequisite of findRole(kept[i])?.prerequisites ?? []) {
      if (removing.delete(prerequisite)) kept.push(prerequisite);
    }
  }
  return remove.filter((r) => removing.has(r));
}

export async function releaseUser(payload: UserPayload, deps: HandlerDeps): Promise<void> {
  const { t, i } = payload;
  const subject = userSubject(t.customer, t.email);

  if (i.customerManaged && deps.manifest.objects[customerKey(t.customer)] === undefined) {
    deps.report.action(subject, `skipped: customer ${t.customer} left the code, so its removal policy decides what happens to its users`);
    return;
  }
  const entry = deps.manifest.objects[userKey(t.customer, t.email)];
  const replacement = entry !== undefined && !sameObject(entry, payload, deps.variant);
  if (replacement && i.management === "exact") {
    deps.report.action(subject, "replaced: nothing released, the new configuration sets the roles");
    return;
  }
  if (!replacement && i.removalPolicy === "retain") {
    deps.report.action(subject, "retained (removal policy retain)");
    return;
  }

  const requests = meter(deps.api);
  try {
    const customer = await findCustomer(deps.api, t.customer);
    if (!customer) {
      deps.report.action(subject, `customer ${t.customer} is gone: nothing to release`, requests());
      return;
    }
    const user = await deps.api.findUserByEmail(customer.id, t.email);
    if (!user) {
      deps.report.action(subject, "already gone", requests());
      return;
    }
    const current = user.roles ?? [];
    const held = new Set(current);
    const owned = (roles: readonly string[]) => roles.filter((r) => held.has(r) && !isServerManaged(r));

    let plan: ReleasePlan;
    if (replacement) {
      const kept = new Set("roles" in entry.t ? entry.t.roles : []);
      plan = { kind: "remove", roles: stillNeeded(current, owned(t.roles.filter((r) => !kept.has(r)))), why: "no longer granted" };
    } else if (i.removalPolicy === "delete" && i.origin === "created" && i.management === "exact") {
      plan = { kind: "delete" };
    } else {
      // revoke; and delete of a user the app does not own whole (adopted from the PBX or the portal,
      // or only referenced by a role assignment), which is never deleted.
      const why = i.removalPolicy === "delete" ? `${i.management === "additive" ? "referenced" : "adopted"} users are never deleted` : "removal policy revoke";
      plan = { kind: "remove", roles: i.management === "exact" ? owned(current) : stillNeeded(current, owned(t.roles)), why };
    }

    const removesAdmin = isAdmin(current) && (plan.kind === "delete" || plan.roles.some((r) => ADMIN_ROLES.includes(r)));
    let primaryKept = false;
    if (removesAdmin) {
      if (i.primary && !otherPrimary(deps.manifest, t.customer, t.email)) {
        // H1: no automation removes the primary admin unless another is named in the same change.
        const removable = plan.kind === "delete" ? owned(current) : plan.roles;
        plan = { kind: "remove", roles: removable.filter((r) => !ADMIN_ROLES.includes(r)), why: "" };
        primaryKept = true;
      } else {
        await ensureAnotherAdmin(deps, { customerId: customer.id, customerReference: t.customer, email: t.email, subject, converge: (p) => applyUser(p, deps) });
      }
    }

    if (plan.kind === "delete") {
      const deleted = await deps.api.deleteUser(customer.id, user.id);
      deps.report.action(subject, deleted ? "deleted (removal policy delete)" : "already gone", requests());
      return;
    }
    if (plan.roles.length) {
      const removed = new Set(plan.roles);
      const target = sorted(current.filter((r) => !removed.has(r)));
      await deps.api.patchUser(customer.id, user.id, [{ op: "replace", path: "/roles", value: target }], { acceptCharges: i.settings.acceptCharges });
    }
    const done = plan.roles.length ? `removed ${list(plan.roles)}` : "no role to remove";
    const text = primaryKept ? `${PRIMARY_KEPT}; ${done}` : `${done}${plan.why ? ` (${plan.why})` : ""}`;
    deps.report.action(subject, text, requests());
  } catch (e) {
    throw toHandlerError(e, subject, `releasing user ${t.email}`);
  }
}
