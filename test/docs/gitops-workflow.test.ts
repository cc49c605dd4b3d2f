/**
 * The example team workflow runs only what this repository tests. GIVEN every `run:` step of
 * examples/gitops/.github/workflows/dimensions.yml and every command of the scripts they call,
 * THEN each is one of:
 * - a `dimensions` command with arguments and options its CLI defines;
 * - a script under ci/ that test/e2e/gitops.test.ts runs end to end (its terraform commands with
 *   it), through the job that calls it;
 * - a setup step named below with what covers it.
 * And the README's team section shows the workflow and the scripts as they are.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { program } from "../../src/cli/main";
import { GITOPS_DIR, runSteps, scriptsCalled, shellCommands, WORKFLOW_FILE } from "../support/workflow";

const ROOT = path.resolve(__dirname, "../..");
const E2E = fs.readFileSync(path.join(ROOT, "test/e2e/gitops.test.ts"), "utf8");

/** Commands that are not this repository's, and what covers them. */
const SETUP: Record<string, string> = {
  // npm's own: installs the app's locked dependencies (the app README "Install" sets up).
  "npm ci": "npm",
  // Synthesizes the app; test/e2e/package-install.test.ts runs it in a fresh app with the packed package.
  "npx cdktf synth": "test/e2e/package-install.test.ts",
};

function dimensionsCommand(words: readonly string[]): string | undefined {
  const [name, ...args] = words;
  const command = (program() as Command).commands.find((c) => c.name() === name);
  if (!command) return `dimensions has no command "${name}"`;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (!word.startsWith("-")) {
      positional.push(word);
      continue;
    }
    const option = command.options.find((o) => o.long === word.split("=")[0] || o.short === word);
    if (!option) return `dimensions ${name} has no option ${word}`;
    if ((option.required || option.optional) && !word.includes("=")) i++;
  }
  const max = command.registeredArguments.length;
  const min = command.registeredArguments.filter((a) => a.required).length;
  if (positional.length < min || positional.length > max) return `dimensions ${name} takes ${min}–${max} arguments, got ${positional.length}`;
  return undefined;
}

describe("the example workflow", () => {
  const steps = runSteps();

  test("GIVEN its run: steps THEN there are steps in every job: stacks, plan, apply and drift", () => {
    expect([...new Set(steps.map((s) => s.job))]).toEqual(["stacks", "plan", "apply", "drift"]);
  });

  test("GIVEN every command of its run: steps THEN each is a dimensions command its CLI defines, a ci/ script, or a setup step something else covers", () => {
    const problems: string[] = [];
    for (const step of steps) {
      for (const words of shellCommands(step.run)) {
        const line = words.join(" ");
        if (SETUP[line]) {
          if (SETUP[line] !== "npm") expect(fs.readFileSync(path.join(ROOT, SETUP[line]), "utf8")).toContain(line);
        } else if (words[0] === "npx" && words[1] === "dimensions") {
          const problem = dimensionsCommand(words.slice(2));
          if (problem) problems.push(`${step.job}: ${line}: ${problem}`);
        } else if (/^ci\/[\w.-]+\.sh$/.test(words[0])) {
          if (!fs.existsSync(path.join(GITOPS_DIR, words[0]))) problems.push(`${step.job}: ${words[0]} does not exist`);
        } else if (words[0] !== "echo") {
          problems.push(`${step.job}: ${line}: not a command this repository tests`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test("GIVEN the scripts it calls THEN each is executable, stops at the first failure, and runs only terraform, dimensions commands its CLI defines and set/cd", () => {
    const problems: string[] = [];
    const scripts = scriptsCalled(steps);
    expect(scripts).toEqual(["ci/apply.sh", "ci/drift.sh", "ci/plan.sh"]);
    for (const script of scripts) {
      const file = path.join(GITOPS_DIR, script);
      const text = fs.readFileSync(file, "utf8");
      expect({ script, executable: (fs.statSync(file).mode & 0o111) === 0o111 }).toEqual({ script, executable: true });
      expect(text.split("\n")[0]).toBe("#!/usr/bin/env bash");
      expect(shellCommands(text)[0]).toEqual(["set", "-euo", "pipefail"]);
      for (const words of shellCommands(text).slice(1)) {
        const line = words.join(" ");
        if (words[0] === "terraform" || words[0] === "cd") continue;
        if (words[0] === "npx" && words[1] === "dimensions") {
          const problem = dimensionsCommand(words.slice(2));
          if (problem) problems.push(`${script}: ${line}: ${problem}`);
        } else {
          problems.push(`${script}: ${line}: not a command this repository tests`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test("GIVEN the jobs with run: steps THEN test/e2e/gitops.test.ts runs each of them, and the scripts with them", () => {
    for (const job of new Set(steps.map((s) => s.job))) expect(E2E).toContain(`runJob("${job}"`);
    // What the end-to-end test leaves out of a job: only the setup steps above.
    expect(E2E).toMatch(/SKIPPED_IN_E2E = \["npm ci", "npx cdktf synth"\]/);
  });

  test("GIVEN a run: step with a GitHub expression THEN it is a matrix value the e2e substitutes", () => {
    const expressions = steps.flatMap((s) => [...s.run.matchAll(/\$\{\{([^}]*)\}\}/g)].map((m) => m[1].trim()));
    expect([...new Set(expressions)].sort()).toEqual(["matrix.stack.dir", "matrix.stack.stack"]);
  });
});

describe("README: Working as a team", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("## Working as a team");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));

  test("GIVEN the section THEN it exists and names the workflow, the scripts and the recovery", () => {
    expect(start).toBeGreaterThan(0);
    for (const name of ["examples/gitops", "ci/plan.sh", "ci/apply.sh", "ci/drift.sh", "PG_CONN_STR", "DIMENSIONS_CREDENTIALS_URL", "dimensions stacks --json", "plan-summary", "pg_terminate_backend"]) expect(section).toContain(name);
  });

  test("GIVEN its yaml and sh blocks THEN every line of them comes from the workflow or its scripts", () => {
    const sources = [WORKFLOW_FILE, ...["plan.sh", "apply.sh", "drift.sh"].map((f) => path.join(GITOPS_DIR, "ci", f))].map((f) => fs.readFileSync(f, "utf8"));
    const known = new Set(sources.flatMap((t) => t.split("\n").map((l) => l.trim())));
    const blocks = [...section.matchAll(/```(yaml|sh)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));
    expect(blocks.filter((b) => b.lang === "yaml").length).toBeGreaterThanOrEqual(1);
    const missing = blocks.flatMap((b) => b.body.split("\n")).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#") && l !== "…" && !known.has(l));
    expect(missing).toEqual([]);
  });
});
