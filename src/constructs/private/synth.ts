/**
 * What happens at synth, once every construct exists: the domain rules (an Aspect turns the
 * findings of the pure `validateModel` into annotations, so `app.synth()` and `cdktf synth` fail),
 * U5 ordering (`depends_on`), the create_before_destroy guard, and the manifest file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import { MANIFEST_FILE, MANIFEST_VERSION, type Manifest } from "../../contracts/handler";
import {
  AnnotationMetadataEntryType,
  Annotations,
  dependable,
  type IAspect,
  type ISynthesisSession,
  type TerraformStack,
} from "../../framework";
import type { AssignmentModel, CustomerModel, DimensionsModel, UserModel } from "../../validation/model";
import { validateModel } from "../../validation/model";
import { finding, formatFinding, type Finding } from "../../validation/rules";
import {
  assignmentStateOf,
  customerStateOf,
  resolveTarget,
  stackStateOf,
  userStateOf,
  type StackState,
  type UserState,
} from "./internals";
import { resolveTokens } from "./tokens";
import { manifestObjects, stackUsers } from "./payloads";

const reported = new WeakMap<IConstruct, Set<string>>();

/** Adds a finding as an annotation once, however often the checks run (one run per stack synth). */
export function report(construct: IConstruct, f: Finding): void {
  const text = formatFinding(f);
  const seen = reported.get(construct) ?? new Set<string>();
  if (seen.has(`${f.level}:${text}`)) return;
  seen.add(`${f.level}:${text}`);
  reported.set(construct, seen);
  if (f.level === "error") Annotations.of(construct).addError(text);
  else Annotations.of(construct).addWarning(text);
}

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
    if (stack) stacks.push({ path: node.node.path, acceptCharges: stack.acceptCharges });
    if (customer) {
      customers.push({ path: node.node.path, stackPath: customer.stack.construct.node.path, owned: customer.owned, reference: customer.reference });
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

/**
 * Users depend on their customer's resource. U5 (the first admin's grants before any other user
 * change) is not a user → primary-admin dependency: a hand-over of the primary role would invert
 * it between the old state and the new config, a cycle Terraform refuses. The customer's apply
 * converges the manifest's primary admin instead (src/handler/primary-admin.ts), and every user
 * of the customer depends on the customer.
 */
function wiresDependencies(stack: StackState): void {
  for (const user of stackUsers(stack)) {
    if (!user.resource) continue;
    const customer = user.customer;
    const owned = customer.owned && customer.resource && customer.stack === stack;
    user.resource.dependsOn = owned && customer.resource ? [dependable(customer.resource)] : undefined;
  }
}

type Json = Record<string, unknown>;

/** create_before_destroy skips the destroy provisioner of the replaced object: never allowed. */
function checkLifecycle(stack: StackState): void {
  for (const resource of stack.handlerResources) {
    const rendered = resource.toTerraform() as { resource?: Record<string, Record<string, Json>> };
    const blocks = Object.values(rendered.resource ?? {}).flatMap((byName) => Object.values(byName));
    const viaOverride = blocks.some((b) => (b.lifecycle as Json | undefined)?.create_before_destroy === true);
    if (viaOverride || resource.lifecycle?.createBeforeDestroy === true) {
      report(
        resource,
        finding(
          "CreateBeforeDestroyForbidden",
          resource.node.path,
          `${resource.terraformResourceType} "${resource.node.path}" has lifecycle.create_before_destroy = true: the destroy provisioner of a replaced object would not run`,
          "remove create_before_destroy from this resource (an escape hatch or lifecycle setting)",
        ),
      );
    }
  }
}

/** The Aspect each DimensionsStack registers on itself; acts once, on the stack node. */
export class DimensionsSynthChecks implements IAspect {
  constructor(private readonly stack: StackState) {}

  public visit(node: IConstruct): void {
    if (node !== this.stack.construct) return;
    const { model, byPath } = buildModel(node.node.root);
    for (const f of validateModel(model)) {
      const target = byPath.get(f.path);
      if (target) report(target, f);
    }
    wiresDependencies(this.stack);
    checkLifecycle(this.stack);
  }
}

function hasErrors(stack: IConstruct): boolean {
  return stack.node.findAll().some((n) => n.node.metadata.some((m) => m.type === AnnotationMetadataEntryType.ERROR));
}

/** Stable JSON: object keys sorted at every level, so the manifest is byte-identical across synths. */
export function stableStringify(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.keys(v as Json).sort().map((k) => [k, sort((v as Json)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2) + "\n";
}

export function buildManifest(stack: StackState, tfStack: TerraformStack): Manifest {
  return { version: MANIFEST_VERSION, stack: tfStack.node.id, objects: resolveTokens(tfStack, manifestObjects(stack)) };
}

/**
 * Writes `dimensions.manifest.json` beside the stack's Terraform JSON (the same directory
 * TerraformAsset uses). Skipped when the synth is failing, so an old cdk.tf.json is never paired
 * with a newer manifest.
 */
export function writeManifest(stack: StackState, tfStack: TerraformStack, session: ISynthesisSession): void {
  if (hasErrors(tfStack)) return;
  // Same directory as TerraformAsset's: <outdir>/stacks/<stack>, where cdk.tf.json goes.
  const dir = path.join(session.outdir, session.manifest.forStack(tfStack).workingDirectory);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), stableStringify(buildManifest(stack, tfStack)));
}
