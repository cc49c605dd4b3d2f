import { Construct } from "constructs";
import type { TerraformResource } from "../framework";
import { checkDisplayName, checkRoleKeys, checkUserEmail } from "../validation/props";
import { checkEmailTrigger } from "../validation/emails";
import { checkSoftphones } from "../validation/softphones";
import { finding } from "../validation/rules";
import { customerState, type ICustomer } from "./customer";
import { DimensionsStack } from "./dimensions-stack";
import { attachState, customerStateOf, isUnusableUser, stackStateOf, UNUSABLE_USER, USER_STATE, userStateOf, type UserKindValue, type UserState } from "./private/internals";
import { expandRoles, type RoleLike } from "../catalogue/bundles";
import { deferFinding, deferFindings } from "./private/deferred";
import type { Softphone } from "./softphone";

/** A short, secret-free description of a wrong value for an error message. */
function describeValue(x: unknown): string {
  if (x === null || typeof x !== "object") return JSON.stringify(x) ?? String(x);
  const path = (x as { node?: { path?: unknown } }).node?.path;
  return typeof path === "string" ? `the construct "${path}"` : "an object";
}

/** What happens to the user when its construct leaves the code, or on `terraform destroy`. */
export enum UserRemovalPolicy {
  /** Delete the user (only for users the app created). */
  DELETE = "delete",
  /** Remove every role the app manages; keep the user (PBX call tracking stays). */
  REVOKE = "revoke",
  /** Leave the user and its roles as they are. */
  RETAIN = "retain",
}

export interface CustomerUserProps {
  readonly customer: ICustomer;
  /** The user's e-mail: its natural key within the customer (U1, compared case-insensitively). */
  readonly email: string;
  /** 1–100 characters (U1). */
  readonly displayName: string;
  /**
   * Role keys (raw strings or `Role.X`) and role bundles (`RoleBundle.X`, H2). Exactly these roles
   * are applied (server-managed roles aside, U13), plus every RoleAssignment that names this user
   * and, with `rolesFrom`, the template's roles.
   */
  readonly roles: RoleLike[];
  /**
   * H2: copy the roles another user will hold (its own, its bundles', its template's and those
   * RoleAssignments grant it) on top of `roles`. Resolved at synth, so roles added to the
   * template later (addRoles, assignments) are copied too. Only roles are copied, never
   * `primaryAdmin`. A cycle of templates fails the synth (RoleTemplateCycle).
   * @default - no template: the user holds its own roles and its assignments'
   */
  readonly rolesFrom?: CustomerUser;
  /**
   * H1: the customer's primary admin; must hold both admin roles. Automation never removes it
   * unless another user is made primary in the same change. The customer's own apply grants it
   * before any other user of the customer changes (U5).
   * @default false
   */
  readonly primaryAdmin?: boolean;
  /** @default UserRemovalPolicy.DELETE - the app created the user, so removing it deletes it */
  readonly removalPolicy?: UserRemovalPolicy;
  /**
   * H5: a value whose change sends the user's activation e-mail once, at the next apply: a date
   * (`"2026-12-01"`), a counter (`2`) or a short label (1–64 letters, digits, `.`, `_`, `:`, `-`).
   * A changed value shows in the plan (`activation=<old>` → `activation=<new>` in the user's line)
   * and is sent once: never again on later applies, `-replace`, `taint` or destroy. The value a
   * user first appears with (the customer's first apply, a user added to the code, an apply after
   * `-replace` or `taint`) is recorded, not sent: the platform sends its own new-user e-mail when
   * it creates a user. Only to a user that has not activated its account (H5), and only from its
   * primary tenant (U15: otherwise the apply fails with TenantNotPrimary).
   * @default - the app sends no activation e-mail
   */
  readonly sendActivation?: string | number;
  /**
   * U14: as `sendActivation`, for the UC welcome e-mail (the links to the UC clients); the user
   * must hold `Role.UC_CLIENT` (WelcomeEmailNeedsUc otherwise).
   * @default - the app sends no UC welcome e-mail
   */
  readonly sendWelcome?: string | number;
  /**
   * U14: the PBX devices the user holds as softphones, each with its client type. Exactly these:
   * apply assigns the missing ones and unassigns any other device the user holds (`[]`: none). A
   * softphone needs `customer.user.uc` and `customer.user.uc.softphone` (`RoleBundle.UC_SOFTPHONE`)
   * among the user's roles (U7), and a device is a softphone of one user of the customer.
   * @default - the app leaves the user's devices alone (and, once it assigned some, unassigns
   * only those when they leave the code)
   */
  readonly softphones?: Softphone[];
}

export interface AdoptUserProps {
  readonly customer: ICustomer;
  /** E-mail of the existing user (for example imported from the PBX, C3). */
  readonly email: string;
  /** @default - the user keeps its current display name */
  readonly displayName?: string;
  /** Role keys and bundles; applied exactly as for a declared user (server-managed roles aside, U13). */
  readonly roles: RoleLike[];
  /** @default - no template (see CustomerUserProps.rolesFrom) */
  readonly rolesFrom?: CustomerUser;
  /** @default false */
  readonly primaryAdmin?: boolean;
  /**
   * REVOKE or RETAIN; DELETE is rejected (an adopted user is never deleted by the app).
   * @default UserRemovalPolicy.REVOKE - removing the construct takes away the roles the app manages
   */
  readonly removalPolicy?: UserRemovalPolicy;
  /** @default - the app sends no activation e-mail (see CustomerUserProps.sendActivation) */
  readonly sendActivation?: string | number;
  /** @default - the app sends no UC welcome e-mail (see CustomerUserProps.sendWelcome) */
  readonly sendWelcome?: string | number;
  /** @default - the user's devices are left alone (see CustomerUserProps.softphones) */
  readonly softphones?: Softphone[];
}

const ADOPT = Symbol("adopt");
interface InternalProps extends Omit<CustomerUserProps, "displayName"> {
  readonly displayName?: string;
  readonly [ADOPT]?: boolean;
}

/**
 * A user of a customer, with the roles it holds (U1–U13). Created when missing (adopting a user
 * that already exists, U2), or — with `CustomerUser.adopt` — adopted by e-mail and never deleted.
 *
 * No Terraform resource of its own: the user is one entry of its customer's tenant resource
 * (`users["<e-mail>"]` of `<customer>/Default`), so a stack of 10,000 users holds a few hundred
 * resources. The customer's apply grants the primary admin first (U5) and takes admin roles away
 * last (H1, U4).
 *
 * Replacement: changing `email`, `displayName`, the roles (own and assigned), `primaryAdmin`,
 * `removalPolicy`, `sendActivation`, `sendWelcome` or `softphones` replaces the customer's tenant resource, which the handler turns into an update
 * of exactly this user: roles the new config keeps are never removed, even briefly. Changing
 * `email` or `customer` is another user: the old one is released by its removal policy (a user
 * on the PBX is never deleted, H7). Since the construct id is no Terraform address, renaming it
 * changes nothing remotely.
 */
export class CustomerUser extends Construct {
  /** Adopts an existing user by e-mail: its roles are managed, the user is never deleted. */
  public static adopt(scope: Construct, id: string, props: AdoptUserProps): CustomerUser {
    return new CustomerUser(scope, id, { ...props, [ADOPT]: true } as CustomerUserProps);
  }

  /** Brand check: a CustomerUser (declared or adopted) of this library. */
  public static isCustomerUser(x: unknown): x is CustomerUser {
    const kind = userStateOf(x)?.kind;
    return kind === "declared" || kind === "adopted" || isUnusableUser(x);
  }

  public readonly customer: ICustomer;
  public readonly email: string;
  public readonly isPrimaryAdmin: boolean;
  /** Whether the user was adopted (`CustomerUser.adopt`) rather than declared. */
  public readonly adopted: boolean;
  public readonly removalPolicy: UserRemovalPolicy;
  private readonly state: UserState;

  constructor(scope: Construct, id: string, props: CustomerUserProps) {
    super(scope, id);
    const internal = props as InternalProps;
    const stack = DimensionsStack.of(this);
    const kind: UserKindValue = internal[ADOPT] ? "adopted" : "declared";
    const path = this.node.path;
    const customer = customerState(props.customer, path);
    const subject = `user "${String(props.email)}"`;
    // Every problem of the props is reported at synth (private/deferred), with the app's others.
    const emailProblems = checkUserEmail(path, props.email);
    const activation = checkEmailTrigger(path, subject, "sendActivation", props.sendActivation);
    const welcome = checkEmailTrigger(path, subject, "sendWelcome", props.sendWelcome);
    const softphones = checkSoftphones(path, subject, props.softphones);
    const findings = [
      ...emailProblems,
      ...checkDisplayName(path, emailProblems.length === 0 ? subject : "the user", props.displayName, kind === "declared"),
      ...checkRoleKeys(path, subject, props.roles),
      ...activation.findings,
      ...welcome.findings,
      ...softphones.findings,
    ];

    const defaultPolicy = kind === "adopted" ? UserRemovalPolicy.REVOKE : UserRemovalPolicy.DELETE;
    let removalPolicy = props.removalPolicy ?? defaultPolicy;
    if (!Object.values(UserRemovalPolicy).includes(removalPolicy)) {
      findings.push(finding("UserFieldInvalid", path, `removalPolicy "${String(removalPolicy)}" of ${subject} is not a UserRemovalPolicy`, "use UserRemovalPolicy.DELETE, REVOKE or RETAIN"));
      removalPolicy = defaultPolicy;
    }
    if (kind === "adopted" && removalPolicy === UserRemovalPolicy.DELETE) {
      findings.push(
        finding("AdoptedUserDeleteForbidden", path, `adopted ${subject} has removalPolicy DELETE; the app never deletes a user it did not create`, "use UserRemovalPolicy.REVOKE (default) or RETAIN, or declare the user with new CustomerUser"),
      );
      removalPolicy = UserRemovalPolicy.REVOKE;
    }
    deferFindings(this, findings);

    this.customer = props.customer;
    this.email = props.email;
    this.isPrimaryAdmin = props.primaryAdmin === true;
    this.adopted = kind === "adopted";
    this.removalPolicy = removalPolicy;
    this.state = {
      construct: this,
      stack: stackStateOf(stack)!,
      customer,
      kind,
      email: props.email,
      ...(props.displayName !== undefined ? { displayName: props.displayName } : {}),
      roles: Array.isArray(props.roles) ? expandRoles(props.roles) : [],
      primaryAdmin: this.isPrimaryAdmin,
      removalPolicy,
      ...(activation.value !== undefined ? { sendActivation: activation.value } : {}),
      ...(welcome.value !== undefined ? { sendWelcome: welcome.value } : {}),
      ...(softphones.softphones ? { softphones: softphones.softphones } : {}),
    };
    // Without a usable e-mail the user cannot be identified: its error is reported, and it takes no
    // part in the rules or the rendering; its customer's rules about all its users wait (U4, H1).
    if (emailProblems.some((f) => f.level === "error")) {
      attachState(this, UNUSABLE_USER, true);
      customer.usersIncomplete = true;
      return;
    }
    attachState(this, USER_STATE, this.state);
    if (props.rolesFrom !== undefined) this.copyRolesFrom(props.rolesFrom);

    // An assignment declared earlier may have named this e-mail before the user existed: its
    // referenced-user resource gives way, and those roles fold into this user (resolveTarget).
    const referenced = customer.referencedUsers.get(props.email.toLowerCase());
    if (referenced) {
      customer.referencedUsers.delete(props.email.toLowerCase());
      referenced.construct.node.scope?.node.tryRemoveChild(referenced.construct.node.id);
    }
    customer.declaredUsers.push(this.state);
  }

  /** The customer's tenant resource, which applies this user (with the customer's other users). */
  public get resource(): TerraformResource {
    const resource = customerStateOf(this.customer)?.resource;
    if (!resource) throw new Error(`internal: customer of ${this.node.path} has no tenant resource`);
    return resource;
  }

  /** The user's own roles (without those RoleAssignments add). */
  public get roles(): string[] {
    return [...this.state.roles];
  }

  /** U14: the softphones the code declares for the user (undefined: its devices are not managed). */
  public get softphones(): Softphone[] | undefined {
    return this.state.softphones?.map((s) => ({ ...s }));
  }

  /**
   * Adds softphones to the user's (starting the list when the props gave none): the user then
   * holds exactly the listed devices. Checked as the prop is; a device listed twice fails the synth.
   */
  public addSoftphones(...softphones: Softphone[]): void {
    const checked = checkSoftphones(this.node.path, `user "${String(this.email)}"`, softphones, this.state.softphones ?? []);
    deferFindings(this, checked.findings);
    this.state.softphones = [...(this.state.softphones ?? []), ...(checked.softphones ?? [])];
  }

  /** Adds roles to the user's own roles (raw keys, `Role.X` or bundles); duplicates are held once. */
  public addRoles(...roles: RoleLike[]): void {
    // Reported at synth with every other finding (an unknown key is held as given, and reported).
    deferFindings(this, checkRoleKeys(this.node.path, `user "${String(this.email)}"`, roles));
    this.state.roles.push(...expandRoles(roles));
  }

  /**
   * H2: copies the roles `template` will hold, resolved at synth (same as the `rolesFrom` prop,
   * which calls this). Replaces an earlier template. Anything but a CustomerUser of this library,
   * or the user itself, fails the synth (InvalidRoleTemplate), and so does a longer cycle
   * (RoleTemplateCycle).
   */
  public copyRolesFrom(template: CustomerUser): void {
    // A template whose own e-mail is unusable is already reported: copying nothing adds no error.
    if (isUnusableUser(template)) return;
    const state = CustomerUser.isCustomerUser(template) ? userStateOf(template) : undefined;
    if (!state || state === this.state) {
      deferFinding(
        this,
        finding(
          "InvalidRoleTemplate",
          this.node.path,
          state ? `user "${this.email}" names itself as its rolesFrom template` : `rolesFrom of user "${this.email}" is ${describeValue(template)}, not a CustomerUser`,
          "pass another CustomerUser (declared or adopted) as the template",
        ),
      );
      return;
    }
    this.state.rolesFrom = state;
  }

  /** The user whose roles this one copies (H2), if any. */
  public get rolesFrom(): CustomerUser | undefined {
    const template = this.state.rolesFrom?.construct;
    return CustomerUser.isCustomerUser(template) ? template : undefined;
  }

  /** The address of the resource that applies the user (its customer's), for `dependsOn`. */
  public get fqn(): string {
    return this.resource.fqn;
  }
}
