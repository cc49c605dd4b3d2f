/**
 * Which operation the terraform that started the handler runs (src/handler/terraform-run.ts): the
 * stack resource's release releases only in a destroy, and `-replace` of every resource at once
 * looks like one to the markers.
 */
import { classifyArgs, classifyPlan, terraformAncestor } from "../../src/handler/terraform-run";

describe("terraform's command line", () => {
  test.each([
    [["destroy", "-auto-approve"], { kind: "destroy" }],
    [["-chdir=stacks/a", "destroy"], { kind: "destroy" }],
    [["apply", "-destroy", "-auto-approve"], { kind: "destroy" }],
    [["apply", "-auto-approve", "-input=false"], { kind: "apply" }],
    [["apply", "-replace=terraform_data.dimensions", "-replace=terraform_data.acme"], { kind: "apply" }],
    [["apply", "-replace", "terraform_data.dimensions", "-auto-approve"], { kind: "apply" }],
    [["apply", "-var", "x=1", "-lock-timeout=60s"], { kind: "apply" }],
    [["apply", "-input=false", "plan.tfplan"], { kind: "plan-file", file: "plan.tfplan" }],
    [["-chdir=x", "apply", "-auto-approve", "/tmp/p.tfplan"], { kind: "plan-file", file: "/tmp/p.tfplan" }],
    [["plan"], { kind: "unknown" }],
    [[], { kind: "unknown" }],
  ])("GIVEN terraform %j THEN %j", (args, expected) => {
    expect(classifyArgs(args)).toEqual(expected);
  });

  test("GIVEN TF_CLI_ARGS_apply=-destroy (terraform adds it to apply's arguments) THEN a destroy", () => {
    expect(classifyArgs(["apply", "-auto-approve"], { TF_CLI_ARGS_apply: "-destroy" })).toEqual({ kind: "destroy" });
    expect(classifyArgs(["apply", "-auto-approve"], { TF_CLI_ARGS: "-input=false" })).toEqual({ kind: "apply" });
  });
});

describe("a saved plan", () => {
  const plan = (actions: string[]) => ({ resource_changes: [{ address: "terraform_data.acme", change: { actions: ["delete"] } }, { address: "terraform_data.dimensions", change: { actions } }] });

  test("GIVEN a plan that deletes the stack resource THEN a destroy; one that replaces it THEN an apply", () => {
    expect(classifyPlan(plan(["delete"]), "terraform_data.dimensions")).toBe("destroy");
    expect(classifyPlan(plan(["delete", "create"]), "terraform_data.dimensions")).toBe("apply");
    expect(classifyPlan(plan(["create", "delete"]), "terraform_data.dimensions")).toBe("apply");
  });

  test("GIVEN a plan that does not name the stack resource, or no plan THEN unknown (the markers decide)", () => {
    expect(classifyPlan(plan(["delete"]), "null_resource.dimensions")).toBe("unknown");
    expect(classifyPlan(undefined, "terraform_data.dimensions")).toBe("unknown");
    expect(classifyPlan({ resource_changes: [{ address: "terraform_data.dimensions", change: { actions: ["no-op"] } }] }, "terraform_data.dimensions")).toBe("unknown");
  });
});

describe("finding terraform among the handler's ancestors", () => {
  const tree: Record<number, { ppid: number; argv: string[] }> = {
    30: { ppid: 20, argv: ["/bin/sh", "-c", "node handler.cjs release"] },
    20: { ppid: 10, argv: ["/usr/local/bin/terraform", "destroy", "-auto-approve"] },
    10: { ppid: 1, argv: ["bash"] },
  };

  test("GIVEN sh under terraform THEN terraform's arguments", () => {
    expect(terraformAncestor(30, (pid) => tree[pid])?.argv).toEqual(["/usr/local/bin/terraform", "destroy", "-auto-approve"]);
  });

  test("GIVEN no terraform up to init, or a process that cannot be read THEN none", () => {
    expect(terraformAncestor(10, (pid) => tree[pid])).toBeUndefined();
    expect(terraformAncestor(30, () => undefined)).toBeUndefined();
  });

  test("GIVEN this test process THEN no terraform is found (jest is not one)", () => {
    expect(terraformAncestor()).toBeUndefined();
  });
});
