/**
 * Running the real `terraform` binary: one place for the environment it needs on these machines
 * (design/terraform-runtime.md) so the demo, the end-to-end tests and the benchmark run it alike.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly args: readonly string[];
}

/** `TERRAFORM_BINARY_NAME` (as cdktf honours it, e.g. `tofu`), else `terraform` on PATH. */
export function terraformBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.TERRAFORM_BINARY_NAME || "terraform";
}

/** The binary's version line, or undefined when it cannot be run. */
export function terraformVersion(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const result = spawnSync(terraformBinary(env), ["version"], { encoding: "utf8", env: { ...env, CHECKPOINT_DISABLE: "1" } });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.split("\n")[0];
}

/**
 * The environment every terraform run gets: no checkpoint calls (no network here), no CLI config
 * file warning (the machine image points TF_CLI_CONFIG_FILE at a file that does not exist), no
 * interactive prompts, no colour in logs that people and tests read.
 */
export function terraformEnv(workDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const rc = path.join(workDir, "terraformrc");
  if (!fs.existsSync(rc)) {
    fs.mkdirSync(workDir, { recursive: true });
    fs.writeFileSync(rc, "");
  }
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: rc,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    NO_COLOR: "1",
    ...extra,
  };
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Echo output as it comes (the demo); tests keep it quiet and look at the result. */
  readonly echo?: (chunk: string) => void;
  /** Kill the run after this many milliseconds (a hung provisioner must not hang a test). */
  readonly timeoutMs?: number;
}

export function runTerraform(args: readonly string[], options: RunOptions): Promise<TerraformResult> {
  const fullArgs = [...args, ...(needsNoColor(args) ? ["-no-color"] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(terraformBinary(options.env), fullArgs, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.echo?.(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      options.echo?.(chunk);
    });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stderr += `\n[terraform ${fullArgs[0]} killed after ${options.timeoutMs} ms]\n`;
          child.kill("SIGKILL");
        }, options.timeoutMs)
      : undefined;
    child.on("error", (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, args: fullArgs });
    });
  });
}

function needsNoColor(args: readonly string[]): boolean {
  return ["init", "plan", "apply", "destroy", "show", "state", "validate"].includes(args[0] ?? "") && !args.includes("-no-color");
}

/** Throws with the command's output when terraform failed: the reason is in its log. */
export function assertTerraformOk(result: TerraformResult): TerraformResult {
  if (result.code !== 0) {
    throw new Error(`terraform ${result.args.join(" ")} exited ${result.code}\n--- stdout ---\n${tail(result.stdout)}\n--- stderr ---\n${tail(result.stderr)}`);
  }
  return result;
}

function tail(text: string, lines = 80): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}
