/**
 * State shared between the constructs, kept off their public surface. Each construct carries its
 * state under a `Symbol.for` key (a brand that survives two copies of the library in one app), so
 * the synth-time code finds customers, users and assignments by walking the tree without importing
 * the construct classes (no import cycles).
 */
import type { IConstruct } from "constructs";
import type {
  CustomerDesired,
  CustomerRemovalPolicyValue,
  Settings,
  UserRemovalPolicyValue,
} from "../../contracts/handler";
import type { TerraformResource } from "../../framework";
import type { SoftphoneModel } from "../../validation/softphones";

export const STACK_BRAND = Symbol.for("cdktf-dimensions.DimensionsStack");
export const CUSTOMER_STATE = Symbol.for("cdktf-dimensions.Customer");
export const USER_STATE = Symbol.for("cdktf-dimensions.User");
export const ASSIGNMENT_STATE = Symbol.for("cdktf-dimensions.RoleAssignment");
/**
 * Brand of a CustomerUser whose e-mail is not usable (its error is reported at synth): it takes no
 * part in the model or the rendering, and naming it (RoleAssignment, rolesFrom) is not a second error.
 */
export const UNUSABLE_USER = Symbol.for("cdktf-dimensions.UnusableUser");

export interface StackState {
  readonly construct: IConstruct;
  readonly settings: Settings;
  /** C6; undefined when the setting is not a boolean (reported as InvalidStackSettings). */
  readonly acceptCharges: boolean | undefined;
  /** Every handler resource of the stack (for the create_before_destroy guard). */
  readonly handlerResources: TerraformResource[];
  /** The stack resource every other handler resource depends on (destroyed last). */
  stackResource?: TerraformResource;
  /**
   * Counts the synths of this stack (0 before the first): each resource computes its payload once
   * per synth instead of once per rendered key and rendering pass.
   */
  synthEpoch: number;
}

export interface CustomerState {
  readonly construct: IConstruct;
  readonly stack: StackState;
  readonly owned: boolean;
  readonly reference: string;
  /** Owned customers only. */
  readonly desired?: CustomerDesired;
  readonly removalPolicy?: CustomerRemovalPolicyValue;
  /** H8: the code declares every user of the customer and every role they hold. */
  readonly authoritative?: boolean;
  /** The customer's tenant resource (owned and referenced customers alike). */
  resource?: TerraformResource;
  /** CustomerUser and CustomerUser.adopt constructs of this customer, in declaration order. */
  readonly declaredUsers: UserState[];
  /** Users known only by an e-mail in a RoleAssignment, by lower-cased e-mail. */
  readonly referencedUsers: Map<string, UserState>;
  readonly assignments: AssignmentState[];
  /**
   * Some users declared for the customer could not be (an unusable e-mail, a users CSV with bad
   * rows; their errors are reported): rules about the customer's users as a whole (U4, H1) wait.
   */
  usersIncomplete?: boolean;
}

export type UserKindValue = "declared" | "adopted" | "referenced";

export interface UserState {
  readonly construct: IConstruct;
  readonly stack: StackState;
  readonly customer: CustomerState;
  readonly kind: UserKindValue;
  readonly email: string;
  readonly displayName?: string;
  /** The user's own roles; addRoles() appends. */
  readonly roles: string[];
  readonly primaryAdmin: boolean;
  readonly removalPolicy: UserRemovalPolicyValue;
  /** H2: the user whose roles this one copies (resolved at synth; set by rolesFrom or copyRolesFrom). */
  rolesFrom?: UserState;
  /** H5: the activation e-mail's trigger, as rendered. */
  readonly sendActivation?: string;
  /** U14: the UC welcome e-mail's trigger, as rendered. */
  readonly sendWelcome?: string;
  /** U14: the devices the user holds, checked; undefined when the code does not manage them. */
  softphones?: SoftphoneModel[];
}

/** A RoleAssignment target: a user construct's state, or an e-mail resolved at synth. */
export type AssignmentTarget = UserState | string;

export interface AssignmentState {
  readonly construct: IConstruct;
  readonly stack: StackState;
  readonly customer: CustomerState;
  readonly roles: readonly string[];
  readonly targets: readonly AssignmentTarget[];
}

/**
 * Whether the construct is still in the tree. Registries are filled by constructors, but
 * `node.tryRemoveChild()` (public constructs API) can detach a construct afterwards; what the
 * tree no longer holds must neither render nor stay in the manifest, or a removed user keeps access.
 */
export function isAttached(construct: IConstruct): boolean {
  for (let node: IConstruct = construct; node.node.scope !== undefined; node = node.node.scope) {
    if (node.node.scope.node.tryFindChild(node.node.id) !== node) return false;
  }
  return true;
}

function stateOf<T>(x: unknown, key: symbol): T | undefined {
  return x !== null && typeof x === "object" ? ((x as Record<symbol, T | undefined>)[key] ?? undefined) : undefined;
}

export const customerStateOf = (x: unknown) => stateOf<CustomerState>(x, CUSTOMER_STATE);
export const userStateOf = (x: unknown) => stateOf<UserState>(x, USER_STATE);
export const assignmentStateOf = (x: unknown) => stateOf<AssignmentState>(x, ASSIGNMENT_STATE);
export const stackStateOf = (x: unknown) => stateOf<StackState>(x, STACK_BRAND);
export const isUnusableUser = (x: unknown): boolean => stateOf<boolean>(x, UNUSABLE_USER) === true;

export function attachState(construct: IConstruct, key: symbol, state: object | boolean): void {
  Object.defineProperty(construct, key, { value: state, enumerable: false, writable: false });
}

/** The user an assignment target stands for now: a declared user with that e-mail wins. */
export function resolveTarget(customer: CustomerState, target: AssignmentTarget): UserState | undefined {
  if (typeof target !== "string") return target;
  const email = target.toLowerCase();
  return customer.declaredUsers.find((u) => u.email.toLowerCase() === email) ?? customer.referencedUsers.get(email);
}
