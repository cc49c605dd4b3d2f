/**
 * The construct tree as the validation layer's plain model, and the roles each user will hold,
 * folded by the one function validation also uses (validation/model.ts `foldGrants`), so what is
 * validated is exactly what is rendered.
 */
import type { IConstruct } from "constructs";
import { foldGrants, type AssignmentModel, type CustomerModel, type DimensionsModel, type UserModel } from "../../validation/model";
import { assignmentStateOf, customerStateOf, resolveTarget, stackStateOf, userStateOf, type StackState, type UserState } from "./internals";

/** The whole app (C2 is app-wide) as plain data, and where each path lives in the tree. */
export function buildModel(root: IConstruct): { model: DimensionsModel; byPath: Map<string, IConstruct> } {
  const byPath = new Map<string, IConstruct>();
  const stacks: DimensionsModel["stacks"][number][] = [];
  const customers: CustomerModel[] = [];
  const users: UserModel[] = [];
  const assignments: AssignmentModel[] = [];
  for (const node of root.node.findAll()) {
    const stack = stackStateOf(node);
    const customer = customerStateOf(node);
    const user = userStateOf(node);
    const assignment = assignmentStateOf(node);
    if (stack || customer || user || assignment) byPath.set(node.node.path, node);
    if (stack) stacks.push({ path: node.node.path, acceptCharges: stack.acceptCharges, ...(stack.settings.region !== undefined ? { region: stack.settings.region } : {}) });
    if (customer) {
      customers.push({
        path: node.node.path,
        stackPath: customer.stack.construct.node.path,
        owned: customer.owned,
        reference: customer.reference,
        ...(customer.usersIncomplete ? { usersIncomplete: true } : {}),
      });
    }
    if (user) {
      users.push({
        path: node.node.path,
        stackPath: user.stack.construct.node.path,
        customerPath: user.customer.construct.node.path,
        email: user.email,
        kind: user.kind,
        roles: [...user.roles],
        primaryAdmin: user.primaryAdmin,
        ...(user.rolesFrom ? { rolesFrom: user.rolesFrom.construct.node.path } : {}),
        ...(user.sendWelcome !== undefined ? { sendWelcome: user.sendWelcome } : {}),
        ...(user.softphones ? { softphones: user.softphones } : {}),
      });
    }
    if (assignment) {
      assignments.push({
        path: node.node.path,
        stackPath: assignment.stack.construct.node.path,
        customerPath: assignment.customer.construct.node.path,
        roles: assignment.roles,
        userPaths: assignment.targets
          .map((t) => resolveTarget(assignment.customer, t))
          .filter((u): u is UserState => u !== undefined)
          .map((u) => u.construct.node.path),
      });
    }
  }
  return { model: { stacks, customers, users, assignments }, byPath };
}


const grantsMemo = new WeakMap<StackState, { epoch: number; roles: Map<string, string[]> }>();

/**
 * The roles `user` will hold: its own, its bundles', its template's (H2) and those RoleAssignments
 * grant it. Folded once per synth of the stack (every construct exists by then); before the first
 * synth, afresh each time, since the tree may still grow.
 */
export function effectiveRoles(user: UserState, stack: StackState = user.stack): string[] {
  const memo = grantsMemo.get(stack);
  if (stack.synthEpoch > 0 && memo?.epoch === stack.synthEpoch) return memo.roles.get(user.construct.node.path) ?? [];
  const grants = foldGrants(buildModel(stack.construct.node.root).model);
  const roles = new Map([...grants].map(([path, sources]) => [path, [...sources.keys()].sort()]));
  if (stack.synthEpoch > 0) grantsMemo.set(stack, { epoch: stack.synthEpoch, roles });
  return roles.get(user.construct.node.path) ?? [];
}
