/**
 * What the live users will hold once a plan has run: the licence preview (`dimensions licenses
 * --live`) and the tests use the same plan the handler executes, so the preview cannot disagree
 * with the apply. Roles the server adds by itself afterwards (U11, U12) are not predicted here.
 */
import { ADMIN_ROLES } from "../catalogue/roles";
import type { UserPlan } from "./plan";
import { emailKey, sorted, type LiveUser, type UserMap } from "./users";

/** The server adds customer.user to every user it creates (the API always does). */
const ADDED_ON_CREATE = ADMIN_ROLES.filter((r) => r === "customer.user");

/** Every user after the plan, by lower-cased e-mail (deleted users are absent). */
export function rolesAfter(live: UserMap<LiveUser>, plan: UserPlan): Map<string, { email: string; roles: string[] }> {
  const out = new Map<string, { email: string; roles: string[] }>();
  for (const [key, user] of live) out.set(key, { email: user.email, roles: sorted(user.roles ?? []) });
  for (const op of plan.operations) {
    const key = emailKey(op.email);
    if (op.kind === "create") out.set(key, { email: op.email, roles: sorted([...op.roles, ...ADDED_ON_CREATE]) });
    else if (op.kind === "delete") out.delete(key);
    else if (op.kind === "patch") out.set(key, { email: op.email, roles: sorted(op.after) });
  }
  return out;
}
