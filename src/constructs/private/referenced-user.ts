/**
 * A user known only by an e-mail in one or more RoleAssignments: one construct per (customer,
 * e-mail), a child of the customer construct, shared by every assignment naming it, and one entry
 * of the customer's tenant resource. Additive (the app owns only the roles it grants), adopted
 * (must exist), revoked on removal.
 */
import { Construct } from "constructs";
import { DimensionsStack } from "../dimensions-stack";
import { attachState, stackStateOf, USER_STATE, type CustomerState, type UserState } from "./internals";

/** Stable construct id (a Terraform address) derived from the e-mail. */
export function referencedUserId(email: string): string {
  return `user-${email.toLowerCase()}`;
}

export class ReferencedUser extends Construct {
  constructor(customer: CustomerState, email: string) {
    super(customer.construct as Construct, referencedUserId(email));
    const stack = DimensionsStack.of(this);
    const state: UserState = {
      construct: this,
      stack: stackStateOf(stack)!,
      customer,
      kind: "referenced",
      email: email.toLowerCase(),
      roles: [],
      primaryAdmin: false,
      removalPolicy: "revoke",
    };
    attachState(this, USER_STATE, state);
    customer.referencedUsers.set(email.toLowerCase(), state);
  }
}

/** The referenced user for this e-mail, created on first use. */
export function referencedUser(customer: CustomerState, email: string): UserState {
  return customer.referencedUsers.get(email.toLowerCase()) ?? (new ReferencedUser(customer, email), customer.referencedUsers.get(email.toLowerCase())!);
}
