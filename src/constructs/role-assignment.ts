import { Construct } from "constructs";
import { checkRoleKeys, checkUserEmail } from "../validation/props";
import { finding } from "../validation/rules";
import { customerState, type ICustomer } from "./customer";
import { CustomerUser } from "./customer-user";
import { DimensionsStack } from "./dimensions-stack";
import { ASSIGNMENT_STATE, attachState, isUnusableUser, resolveTarget, stackStateOf, userStateOf, type AssignmentState, type AssignmentTarget } from "./private/internals";
import { referencedUser } from "./private/referenced-user";
import { expandRoles, type RoleLike } from "../catalogue/bundles";
import { deferFindings } from "./private/deferred";

/** A short, secret-free description of a wrong value for an error message. */
function describe(x: unknown): string {
  if (x === null || typeof x !== "object") return JSON.stringify(x) ?? String(x);
  const path = (x as { node?: { path?: unknown } }).node?.path;
  return typeof path === "string" ? `the construct "${path}"` : "an object";
}

export interface RoleAssignmentProps {
  readonly customer: ICustomer;
  /** Role keys (raw strings or `Role.X`) and role bundles (`RoleBundle.X`, H2) granted to every user below. */
  readonly roles: RoleLike[];
  /**
   * CustomerUser constructs of the customer, or e-mails. An e-mail of a user the app declares
   * (compared case-insensitively) is that user; any other e-mail is an existing user the app does
   * not declare, which gets only these roles added (nothing else it holds is touched).
   */
  readonly users: Array<CustomerUser | string>;
}

/**
 * Grants roles to several users of one customer, on top of what each user's own construct declares.
 * Assignments only add: a role declared by two sources is held once.
 *
 * No resource of its own: for declared users the roles fold into the user's resource (the plan shows
 * the change on that user). For an e-mail the app does not declare, the customer gets one
 * "referenced user" resource, `<customer>/user-<email>/Default`, shared by every assignment naming
 * that e-mail (additive: only the assigned roles are managed; revoked when no assignment names it).
 *
 * Replacement: changing `roles` or `users` changes the desired roles of the users concerned, which
 * replaces their resources (an update of the same users, nothing the new config keeps is removed).
 */
export class RoleAssignment extends Construct {
  /** Brand check that works across copies of this library. */
  public static isRoleAssignment(x: unknown): x is RoleAssignment {
    return x !== null && typeof x === "object" && ASSIGNMENT_STATE in x;
  }

  public readonly customer: ICustomer;
  public readonly roles: readonly string[];
  private readonly state: AssignmentState;

  constructor(scope: Construct, id: string, props: RoleAssignmentProps) {
    super(scope, id);
    const path = this.node.path;
    const stack = DimensionsStack.of(this);
    const customer = customerState(props.customer, path);
    // Every problem is reported at synth (private/deferred); a target that is wrong is left out,
    // so it adds no consequence of its own.
    const findings = checkRoleKeys(path, `RoleAssignment "${id}"`, props.roles);
    const roles = Array.isArray(props.roles) ? props.roles : [];
    const users: unknown[] = Array.isArray(props.users) ? props.users : [];
    if (roles.length === 0 || users.length === 0) {
      findings.push(finding("InvalidRoleAssignment", path, `RoleAssignment "${id}" grants ${roles.length} role(s) to ${users.length} user(s)`, "name at least one role and one user"));
    }

    const targets: AssignmentTarget[] = [];
    for (const user of users) {
      if (typeof user === "string") {
        const problems = checkUserEmail(path, user);
        findings.push(...problems);
        if (problems.some((f) => f.level === "error")) continue;
        // A declared user with that e-mail takes the roles; otherwise the shared referenced user.
        if (!resolveTarget(customer, user)) referencedUser(customer, user);
        targets.push(user);
        continue;
      }
      // A CustomerUser whose own e-mail is unusable is reported on itself: no second error here.
      if (isUnusableUser(user)) continue;
      const state = CustomerUser.isCustomerUser(user) ? userStateOf(user) : undefined;
      if (!state) {
        findings.push(finding("InvalidRoleAssignment", path, `user ${describe(user)} is neither a CustomerUser nor an e-mail`, "pass CustomerUser constructs or e-mail strings"));
        continue;
      }
      if (state.customer !== customer) {
        findings.push(
          finding("InvalidRoleAssignment", path, `user "${state.email}" belongs to customer "${state.customer.reference}", not "${customer.reference}"`, "assign roles to users of the assignment's customer only"),
        );
        continue;
      }
      targets.push(state);
    }
    deferFindings(this, findings);

    this.customer = props.customer;
    this.roles = expandRoles(roles);
    this.state = { construct: this, stack: stackStateOf(stack)!, customer, roles: this.roles, targets };
    attachState(this, ASSIGNMENT_STATE, this.state);
    customer.assignments.push(this.state);
  }

  /** E-mails of the users the roles go to (declared users' e-mails, or the e-mails given). */
  public get userEmails(): string[] {
    return this.state.targets.map((t) => (typeof t === "string" ? t : t.email));
  }
}
