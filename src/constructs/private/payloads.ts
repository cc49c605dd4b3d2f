/**
 * The payloads of the handler contract (contracts/handler), built from construct state.
 * Both the resources (lazily, at synth) and the manifest use these functions, so the manifest holds
 * exactly what the resources render.
 */
import {
  customerKey,
  decodeUserEntry,
  encodeUserEntry,
  type RenderedInventoryPayload,
  type RenderedObjectPayload,
  type RenderedTenantPayload,
  type StackPayload,
  type UserEntry,
} from "../../contracts/handler";
import { sortedSoftphones } from "../../contracts/softphones";
import { accessRequestEntries } from "./access-state";
import { customerStateOf, isAttached, userStateOf, type CustomerState, type StackState, type UserState } from "./internals";
import { effectiveRoles } from "./model";

export { effectiveRoles } from "./model";

/** Every user of a customer: declared and adopted users, then referenced ones. */
export function usersOf(customer: CustomerState): UserState[] {
  return [...customer.declaredUsers, ...customer.referencedUsers.values()].filter((u) => isAttached(u.construct));
}

/**
 * A user's entry in its tenant's `t.users`. Defaults are left out (see `userEntry`), so the plan
 * of a large customer shows names and roles.
 */
export function userEntryOf(user: UserState): UserEntry {
  const management = user.kind === "referenced" ? "additive" : "exact";
  const origin = user.kind === "declared" ? "created" : "adopted";
  const defaultRemoval = origin === "created" && management === "exact" ? "delete" : "revoke";
  return {
    ...(user.displayName !== undefined ? { displayName: user.displayName } : {}),
    roles: effectiveRoles(user),
    ...(user.primaryAdmin ? { primary: true } : {}),
    ...(origin !== "created" ? { origin } : {}),
    ...(management !== "exact" ? { management } : {}),
    ...(user.removalPolicy !== defaultRemoval ? { removal: user.removalPolicy } : {}),
    ...(user.sendActivation !== undefined ? { activation: user.sendActivation } : {}),
    ...(user.sendWelcome !== undefined ? { welcome: user.sendWelcome } : {}),
    ...(user.softphones ? { softphones: sortedSoftphones(user.softphones) } : {}),
  };
}

function sortedRecord<T>(entries: Array<[string, T]>): Record<string, T> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const tenantMemo = new WeakMap<CustomerState, { epoch: number; payload: RenderedTenantPayload }>();

/** The tenant resource's payload: the customer and every user the code declares for it. */
export function tenantPayload(customer: CustomerState): RenderedTenantPayload {
  // Once per synth: the resource, the manifest and the digest all need it.
  const epoch = customer.stack.synthEpoch;
  const memo = tenantMemo.get(customer);
  if (epoch > 0 && memo?.epoch === epoch) return memo.payload;
  const payload = buildTenantPayload(customer);
  if (epoch > 0) tenantMemo.set(customer, { epoch, payload });
  return payload;
}

function buildTenantPayload(customer: CustomerState): RenderedTenantPayload {
  const users = sortedRecord(usersOf(customer).map((u): [string, string] => [u.email, encodeUserEntry(userEntryOf(u))]));
  return {
    t: {
      customer: customer.owned && customer.desired ? customer.desired : { reference: customer.reference },
      users,
      ...(customer.authoritative ? { authoritative: true } : {}),
    },
    i: {
      kind: "tenant",
      owned: customer.owned,
      ...(customer.owned && customer.removalPolicy ? { removalPolicy: customer.removalPolicy } : {}),
      settings: customer.stack.settings,
    },
  };
}

/** Owned and referenced customers declared in the stack, in tree order. */
export function customersOf(stack: StackState): CustomerState[] {
  return stack.construct.node
    .findAll()
    .map((n) => customerStateOf(n))
    .filter((c): c is CustomerState => c !== undefined && c.stack === stack && isAttached(c.construct));
}

/** Every user construct of the stack, in tree order. */
export function stackUsers(stack: StackState): UserState[] {
  return stack.construct.node
    .findAll()
    .map((n) => userStateOf(n))
    .filter((u): u is UserState => u !== undefined && u.stack === stack);
}

/** The manifest's objects: every customer and access request of the stack, by key. */
export function manifestObjects(stack: StackState): Record<string, RenderedObjectPayload> {
  const entries: Array<[string, RenderedObjectPayload]> = customersOf(stack).map((c) => [customerKey(c.reference), tenantPayload(c)]);
  entries.push(...accessRequestEntries(stack));
  return sortedRecord(entries);
}

export function stackPayload(stack: StackState): StackPayload {
  // Constant for the life of the stack: see contracts/handler stackPayload.
  return { t: { stack: stack.construct.node.id }, i: { kind: "stack" } };
}

/**
 * What the inventory keeps of each object: only what releasing it needs once its resource is gone
 * from the code. An owned customer's users go with it (its removal policy decides), so only its
 * policy is kept; a referenced customer's users keep their flags, and additive ones the roles the
 * app granted (nothing else says what to take back).
 */
export function releaseRecordOf(payload: RenderedObjectPayload): RenderedInventoryPayload["t"]["objects"][string] {
  if (payload.i.kind === "access-request") return { kind: "access-request", name: (payload.t as { name: string }).name };
  const tenant = payload as RenderedTenantPayload;
  if (tenant.i.owned) return { kind: "customer", reference: tenant.t.customer.reference, removalPolicy: tenant.i.removalPolicy ?? "retain" };
  const users = Object.fromEntries(
    Object.entries(tenant.t.users).map(([email, rendered]): [string, string] => {
      const entry = typeof rendered === "string" ? decodeUserEntry(rendered)! : (rendered as UserEntry);
      // E-mail triggers (H5, U14) release nothing: a changed one must not replace the inventory.
      // Nor do softphones: a revoke takes the devices of a user whose softphone role goes.
      const { displayName: _name, roles, activation: _activation, welcome: _welcome, softphones: _softphones, ...flags } = entry;
      return [email, encodeUserEntry({ ...flags, roles: (entry.management ?? "exact") === "additive" ? roles : [] })];
    }),
  );
  return { kind: "referenced-customer", reference: tenant.t.customer.reference, users };
}

export function inventoryPayload(stack: StackState): RenderedInventoryPayload {
  const objects = manifestObjects(stack);
  return {
    t: { objects: Object.fromEntries(Object.entries(objects).map(([k, p]) => [k, releaseRecordOf(p)])) },
    i: { kind: "inventory", settings: stack.settings },
  };
}
