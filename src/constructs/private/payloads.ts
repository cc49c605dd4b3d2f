/**
 * The payloads of the handler contract (src/contracts/handler.ts), built from construct state.
 * Both the resources (lazily, at synth) and the manifest use these functions, so the manifest holds
 * exactly what the resources render.
 */
import { foldRoles } from "../../validation/model";
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

/** The user's own roles plus every RoleAssignment that folds into it (sorted, de-duplicated). */
export function effectiveRoles(user: UserState): string[] {
  const granted = user.customer.assignments
    .filter((a) => isAttached(a.construct))
    .filter((a) => a.targets.some((t) => resolveTarget(a.customer, t) === user))
    .map((a) => a.roles);
  return foldRoles(user.roles, ...granted);
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
  const objects = sortedRecord<ObjectPayload>(
    customersOf(stack)
      .filter((c) => c.owned)
      .map((c) => [customerKey(c.reference), customerPayload(c)]),
  );
  return { t: { scope: "customers", keys: Object.keys(objects) }, i: { kind: "inventory", objects, settings: stack.settings } };
}

export function userInventoryPayload(customer: CustomerState): InventoryPayload {
  const objects = sortedRecord<ObjectPayload>(usersOf(customer).map((u) => [userKeyOf(u), userPayload(u)]));
  return {
    t: { scope: "users", customer: customer.reference, keys: Object.keys(objects) },
    i: { kind: "inventory", objects, settings: customer.stack.settings },
  };
}

/** The manifest's objects: every owned customer and every user resource of the stack, by key. */
export function manifestObjects(stack: StackState): Record<string, ObjectPayload> {
  const entries: Array<[string, ObjectPayload]> = [];
  for (const c of customersOf(stack)) if (c.owned) entries.push([customerKey(c.reference), customerPayload(c)]);
  for (const u of stackUsers(stack)) entries.push([userKeyOf(u), userPayload(u)]);
  return sortedRecord(entries);
}
