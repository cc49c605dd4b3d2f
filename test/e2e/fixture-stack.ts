/**
 * A small declarative stack for end-to-end tests: each test states the customer and users it
 * wants, synthesizes, applies, changes the spec, applies again.
 */
import type { App } from "cdktf";
import {
  Customer,
  CustomerRemovalPolicy,
  CustomerUser,
  DimensionsStack,
  RoleAssignment,
  UserRemovalPolicy,
  type DimensionsRegion,
  type Softphone,
} from "../../src";

export const PBX_ACCOUNT = "e2e-pbx-account";
export const PBX_KEY_ENV = "E2E_KAZOO_API_KEY";
/** The value the handler reads at apply time; tests assert it never reaches state or output. */
export const PBX_KEY_VALUE = "kazoo-secret-e2e-3f9a1c";

export interface UserSpec {
  /** Construct id (a Terraform address: keep it stable across changes). */
  readonly id: string;
  readonly email: string;
  readonly displayName?: string;
  readonly roles: string[];
  readonly primary?: boolean;
  /** Adopt an existing (PBX-imported) user instead of creating one. */
  readonly adopt?: boolean;
  readonly removalPolicy?: UserRemovalPolicy;
  /** U14: the user's PBX devices (absent: not managed). */
  readonly softphones?: Softphone[];
}

export interface AssignmentSpec {
  readonly id: string;
  readonly roles: string[];
  /** Construct ids of declared users, or e-mails of users the app does not declare. */
  readonly users: string[];
}

export interface FixtureSpec {
  readonly stackId?: string;
  readonly reference?: string;
  readonly customerName?: string;
  readonly customerRemovalPolicy?: CustomerRemovalPolicy;
  /** H8: the code declares every user of the customer. */
  readonly authoritativeUsers?: boolean;
  readonly users: UserSpec[];
  readonly assignments?: AssignmentSpec[];
  /** The stack's region (default eu); the harness points every region at its emulator. */
  readonly region?: DimensionsRegion;
}

export const ADMIN = ["customer.user", "user.admin"];

export function fixtureStack(app: App, spec: FixtureSpec): DimensionsStack {
  const stack = new DimensionsStack(app, spec.stackId ?? "e2e", { acceptCharges: true, region: spec.region ?? "eu" });
  const customer = new Customer(stack, "customer", {
    name: spec.customerName ?? "E2E Customer",
    description: "end-to-end test customer",
    reference: spec.reference ?? "E2E-001",
    timezone: "Europe/London",
    countryCode: "GB",
    pbx: { hostRest: "https://pbx.e2e.test", hostWebsocket: "wss://pbx.e2e.test", accountId: PBX_ACCOUNT, apiKeyEnv: PBX_KEY_ENV },
    removalPolicy: spec.customerRemovalPolicy ?? CustomerRemovalPolicy.DELETE,
    ...(spec.authoritativeUsers !== undefined ? { authoritativeUsers: spec.authoritativeUsers } : {}),
  });
  const declared = new Map<string, CustomerUser>();
  for (const user of spec.users) {
    const common = { customer, email: user.email, roles: user.roles, primaryAdmin: user.primary, removalPolicy: user.removalPolicy, softphones: user.softphones };
    declared.set(
      user.id,
      user.adopt
        ? CustomerUser.adopt(stack, user.id, { ...common, displayName: user.displayName })
        : new CustomerUser(stack, user.id, { ...common, displayName: user.displayName ?? user.email.split("@")[0] }),
    );
  }
  for (const assignment of spec.assignments ?? []) {
    new RoleAssignment(stack, assignment.id, {
      customer,
      roles: assignment.roles,
      users: assignment.users.map((u) => declared.get(u) ?? u),
    });
  }
  return stack;
}
