/**
 * Which operation the terraform that started this handler runs: a destroy, or an apply.
 *
 * The stack resource's release cannot tell `terraform destroy` from `terraform apply` with
 * `-replace` of it and of every object at once: in both, every object's release runs first with
 * its desired state unchanged, then the stack's, last. Terraform tells a provisioner neither. Its
 * command line does: the stack resource is always in the configuration, so in an apply that is
 * not a destroy its release is a replacement, and releases nothing. A saved plan names no
 * operation; `terraform show -json <plan>` says whether it deletes the stack resource or replaces
 * it. When none of this can be read (another OS, a wrapper that is not terraform), the markers
 * decide alone, as before.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export type RunKind = "destroy" | "apply" | "unknown";

/** What terraform's arguments say, before any plan file is read. */
export type ArgsKind = { readonly kind: "destroy" | "apply" | "unknown" } | { readonly kind: "plan-file"; readonly file: string };

/** Options of `terraform apply` that take a separate value (`-var x=1`, `-target X` …). */
const VALUED = new Set(["-var", "-var-file", "-target", "-replace", "-state", "-state-out", "-backup", "-lock-timeout", "-parallelism", "-chdir"]);

/**
 * Reads terraform's arguments (without argv[0]) and the TF_CLI_ARGS variables it honours: the
 * subcommand is the first word that is not an option (global options such as -chdir come first).
 */
export function classifyArgs(args: readonly string[], env: NodeJS.ProcessEnv = {}): ArgsKind {
  const rest = [...args];
  let sub: string | undefined;
  while (rest.length > 0) {
    const a = rest.shift()!;
    if (!a.startsWith("-")) {
      sub = a;
      break;
    }
  }
  if (sub === "destroy") return { kind: "destroy" };
  if (sub !== "apply") return { kind: "unknown" };
  const extra = [...splitArgs(env.TF_CLI_ARGS), ...splitArgs(env.TF_CLI_ARGS_apply)];
  const all = [...extra, ...rest];
  if (all.some((a) => /^--?destroy(=true)?$/.test(a))) return { kind: "destroy" };
  let file: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--") continue;
    if (a.startsWith("-")) {
      if (!a.includes("=") && VALUED.has(a.replace(/^--/, "-"))) i++;
      continue;
    }
    file = a;
  }
  return file ? { kind: "plan-file", file } : { kind: "apply" };
}

function splitArgs(value: string | undefined): string[] {
  return (value ?? "").split(/\s+/).filter(Boolean);
}

/** From `terraform show -json <plan>`: whether the plan deletes the stack resource (a destroy) or replaces it. */
export function classifyPlan(plan: unknown, stackAddress: string): RunKind {
  const changes = (plan as { resource_changes?: Array<{ address?: string; change?: { actions?: string[] } }> } | undefined)?.resource_changes;
  const actions = changes?.find((c) => c.address === stackAddress)?.change?.actions;
  if (!actions) return "unknown";
  if (actions.length === 1 && actions[0] === "delete") return "destroy";
  return actions.includes("create") ? "apply" : "unknown";
}

interface ProcessInfo {
  readonly ppid: number;
  readonly argv: readonly string[];
  readonly cwd?: string;
}

/** Linux: /proc. Elsewhere: `ps` (its args are one string; options hold no spaces). */
function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv.at(-1) === "") argv.pop();
    let cwd: string | undefined;
    try {
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      cwd = undefined;
    }
    return { ppid, argv, ...(cwd ? { cwd } : {}) };
  } catch {
    try {
      const out = execFileSync("ps", ["-o", "ppid=,args=", "-p", String(pid)], { encoding: "utf8", timeout: 5_000 }).trim();
      const m = /^(\d+)\s+(.*)$/.exec(out);
      return m ? { ppid: Number(m[1]), argv: m[2].split(/\s+/) } : undefined;
    } catch {
      return undefined;
    }
  }
}

const isTerraform = (argv0: string | undefined) => argv0 !== undefined && /^(terraform|tofu)(\.exe)?$/.test(path.basename(argv0));

/** The terraform process among this process's ancestors (local-exec runs `sh -c`, which runs node). */
export function terraformAncestor(startPid: number = process.ppid, read: (pid: number) => ProcessInfo | undefined = processInfo): ProcessInfo | undefined {
  let pid = startPid;
  for (let depth = 0; depth < 6 && pid > 1; depth++) {
    const info = read(pid);
    if (!info) return undefined;
    if (isTerraform(info.argv[0])) return info;
    pid = info.ppid;
  }
  return undefined;
}

/**
 * The operation of the terraform run this handler belongs to. `stackAddress` is the stack
 * resource's address (for a saved plan); `stackDir` where terraform runs (its cwd, by local-exec's default).
 */
export function terraformRunKind(env: NodeJS.ProcessEnv, stackAddress: string, stackDir: string): RunKind {
  const tf = terraformAncestor();
  if (!tf) return "unknown";
  const args = classifyArgs(tf.argv.slice(1), env);
  if (args.kind !== "plan-file") return args.kind;
  const chdir = tf.argv.find((a) => a.startsWith("-chdir="))?.slice("-chdir=".length);
  const cwd = chdir ? path.resolve(tf.cwd ?? stackDir, chdir) : (tf.cwd ?? stackDir);
  try {
    // Reading a plan takes no lock: the state stays the running apply's.
    const json = execFileSync(tf.argv[0], ["show", "-json", path.resolve(cwd, args.file)], { cwd, env, encoding: "utf8", timeout: 60_000, maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
    return classifyPlan(JSON.parse(json), stackAddress);
  } catch {
    return "unknown";
  }
}
