/**
 * The payloads of the handler contract (contracts/handler), built from construct state.
 * Both the resources (lazily, at synth) and the manifest use these functions, so the manifest holds
 * exactly what the resources render.
 */
import { foldRoles, templateChain } from "../../validation/model";
import {
  customerKey,
  userKey,
  type CustomerPayload,
  type InventoryPayload,
  type ObjectPayload,
  type UserPayload,
} from "../../contracts/handler";
import {
  customerStateOf,
  isAttached,
  resolveTarget,
  userStateOf,
  type CustomerState,
  type StackState,
  type UserState,
} from "./internals";
import { accessRequestEntries } from "./access-state";

/** The user's own roles plus every RoleAssignment that folds into it (sorted, de-duplicated). */
function directRoles(user: UserState): string[] {
  const granted = user.customer.assignments
    .filter((a) => isAttached(a.construct))
    .filter((a) => a.targets.some((t) => resolveTarget(a.customer, t) === user))
    .map((a) => a.roles);
  return foldRoles(user.roles, ...granted);
}

/**
 * directRoles, plus those of every template it copies (H2 rolesFrom, the same walk as the model's
 * foldGrants: a cycle copies nothing and fails the synth with RoleTemplateCycle).
 */
export function effectiveRoles(user: UserState): string[] {
  const chain = templateChain(user, (u) => u.rolesFrom);
  return foldRoles(directRoles(user), ...(chain.cycle ? [] : chain.templates.map(directRoles)));
}

export function customerPayload(customer: CustomerState): CustomerPayload {
  if (!customer.desired || !customer.removalPolicy) throw new Error(`internal: customer ${customer.reference} is not owned`);
  return {
    t: customer.desired,
    i: { kind: "customer", removalPolicy: customer.removalPolicy, settings: customer.stack.settings },
  };
}

export function userPayload(user: UserState): UserPayload {
  return {
    t: {
      customer: user.customer.reference,
      email: user.email,
      ...(user.displayName !== undefined ? { displayName: user.displayName } : {}),
      roles: effectiveRoles(user),
    },
    i: {
      kind: "user",
      management: user.kind === "referenced" ? "additive" : "exact",
      origin: user.kind === "declared" ? "created" : "adopted",
      removalPolicy: user.removalPolicy,
      primary: user.primaryAdmin,
      customerManaged: user.customer.owned,
      settings: user.stack.settings,
    },
  };
}

/** Every user of a customer that has a resource: declared and adopted users, then referenced ones. */
export function usersOf(customer: CustomerState): UserState[] {
  return [...customer.declaredUsers, ...customer.referencedUsers.values()].filter((u) => isAttached(u.construct));
}

export function userKeyOf(user: UserState): string {
  return userKey(user.customer.reference, user.email);
}

/** Owned and referenced customers declared in the stack, in tree order. */
export function customersOf(stack: StackState): CustomerState[] {
  return stack.construct.node
    .findAll()
    .map((n) => customerStateOf(n))
    .filter((c): c is CustomerState => c !== undefined && c.stack === stack);
}

/** Every user resource of the stack, in tree order. */
export function stackUsers(stack: StackState): UserState[] {
  return stack.construct.node
    .findAll()
    .map((n) => userStateOf(n))
    .filter((u): u is UserState => u !== undefined && u.stack === stack);
}

function sortedRecord<T>(entries: Array<[string, T]>): Record<string, T> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function customerInventoryPayload(stack: StackState): InventoryPayload {
  const objects = sortedRecord<ObjectPayload>([
    ...customersOf(stack)
      .filter((c) => c.owned)
      .map((c): [string, ObjectPayload] => [customerKey(c.reference), customerPayload(c)]),
    // Users of referenced customers: see ReferencedCustomer (their customer has no inventory).
    ...customersOf(stack)
      .filter((c) => !c.owned)
      .flatMap((c) => usersOf(c).map((u): [string, ObjectPayload] => [userKeyOf(u), userReleaseRecord(u)])),
    // Tenant access requests have no parent object: the stack's inventory withdraws those that
    // leave the code. Their release needs only the name, so a change of message or associations
    // leaves the inventory's plan quiet.
    ...accessRequestEntries(stack).map(([key, p]): [string, ObjectPayload] => [key, { t: { name: p.t.name, message: "", associations: [] }, i: p.i }]),
  ]);
  return { t: { scope: "customers", keys: Object.keys(objects) }, i: { kind: "inventory", objects, settings: stack.settings } };
}

/**
 * What the inventory keeps of a user: only what its release reads once the user's own resource is
 * gone. An exact user's release revokes every role it holds live (or deletes it), so its roles and
 * name are left out: a role change then leaves the inventory untouched, instead of Terraform
 * printing the inventory's whole old value in the plan (thousands of users on a bulk rollout).
 * An additive user's release removes only the roles the app granted, so those stay.
 */
export function userReleaseRecord(user: UserState): UserPayload {
  const payload = userPayload(user);
  if (payload.i.management === "additive") return payload;
  return { t: { customer: payload.t.customer, email: payload.t.email, roles: [] }, i: payload.i };
}

export function userInventoryPayload(customer: CustomerState): InventoryPayload {
  const objects = sortedRecord<ObjectPayload>(usersOf(customer).map((u) => [userKeyOf(u), userReleaseRecord(u)]));
  return {
    t: { scope: "users", customer: customer.reference, keys: Object.keys(objects) },
    i: { kind: "inventory", objects, settings: customer.stack.settings },
  };
}

/** The manifest's objects: every owned customer, user resource and access request of the stack, by key. */
export function manifestObjects(stack: StackState): Record<string, ObjectPayload> {
  const entries: Array<[string, ObjectPayload]> = [];
  for (const c of customersOf(stack)) if (c.owned) entries.push([customerKey(c.reference), customerPayload(c)]);
  for (const u of stackUsers(stack)) entries.push([userKeyOf(u), userPayload(u)]);
  entries.push(...accessRequestEntries(stack));
  return sortedRecord(entries);
}
