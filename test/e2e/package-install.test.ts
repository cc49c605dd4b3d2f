/**
 * The package as a reseller gets it: `npm pack`, then the README's install path, word for word, in
 * a fresh app — with this repository's locked versions of cdktf, constructs, cdktf-cli and tsx, so
 * the run is deterministic. The app's own `npx cdktf synth`, a real `terraform apply` against the
 * installed package's `npx dimensions emulator --json`, the same with `npx cdktf deploy`, and
 * `npx dimensions demo`, all from the installed package.
 *
 * One pack and one install serve every test of the file; the tests run in order and share the app.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { describeE2E } from "./harness";
import { terraformEnv } from "../../src/cli/terraform";
import { createClientFromEnv } from "../../src/client";
import { Role } from "../../src";

const ROOT = path.resolve(__dirname, "../..");
const PACKAGE = "cdktf-dimensions";
const STACK = "customers";

// ---------------------------------------------------------------------------------------------
// The README's install path: the section from "## Install" to the repository's own quick start.

interface Block {
  readonly lang: string;
  readonly body: string;
}

function installSection(): { text: string; blocks: Block[] } {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Install\n");
  const end = readme.indexOf("\n## Quick start in this repository\n");
  if (start < 0 || end < start) throw new Error('README.md has no "## Install" section followed by "## Quick start in this repository"');
  const text = readme.slice(start, end);
  const blocks = [...text.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));
  return { text, blocks };
}

/** The shell lines of the section, in order, without comments. */
function shellLines(blocks: readonly Block[]): string[] {
  return blocks
    .filter((b) => b.lang === "sh")
    .flatMap((b) => b.body.split("\n"))
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
}

/** This repository's locked version of a package: the versions its own tests run with. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json: the README installs a package this repository does not lock`);
  return version;
}

// ---------------------------------------------------------------------------------------------
// Processes: a clean environment (no npm_* variables of the `npm test` that runs us), bounded.

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let env: NodeJS.ProcessEnv = {};

function run(command: string, args: readonly string[], cwd: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...env, ...options.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      stderr += `\n[${command} ${args.join(" ")} killed after ${options.timeoutMs ?? 120_000} ms]`;
      killGroup(child);
    }, options.timeoutMs ?? 120_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(result: Run, what: string): Run {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\n--- stdout ---\n${result.stdout.slice(-6000)}\n--- stderr ---\n${result.stderr.slice(-6000)}`);
  return result;
}

/** npx runs the bin in a child of its own: stop the whole group we started. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

interface EmulatorLine {
  readonly url: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
}

/** `npx dimensions emulator … --json` as the README starts it; resolves with its one line. */
function startEmulator(args: readonly string[], cwd: string): Promise<{ child: ChildProcess; line: EmulatorLine }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`the emulator printed no line within 30 s\n${stdout}\n${stderr}`));
    }, 30_000);
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      try {
        resolve({ child, line: JSON.parse(stdout.slice(0, newline)) as EmulatorLine });
      } catch (e) {
        killGroup(child);
        reject(new Error(`the emulator's first line is not JSON: ${stdout}\n${String(e)}`));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited ${code} before printing its line\n${stdout}\n${stderr}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------

describeE2E("the package, installed into a fresh app as the README says", () => {
  let tmp: string;
  let app: string;
  let installed: string;
  let tarball: string;
  let packedFiles: string[];
  let section: { text: string; blocks: Block[] };
  let lines: string[];
  let emulator: ChildProcess | undefined;
  const followed = new Set<string>();

  /** The README line the test follows; fails when the README no longer says it. */
  const readmeSays = (line: string): string[] => {
    if (!lines.includes(line)) throw new Error(`the README's install path no longer says \`${line}\`; update this test with it:\n${lines.join("\n")}`);
    followed.add(line);
    return line.split(/\s+/);
  };

  /** Env of terraform and the handlers for an emulator, as the README's exports set it. */
  const apiEnv = (e: EmulatorLine): NodeJS.ProcessEnv => {
    // The README exports these names, one per field of the emulator's line.
    for (const name of ["DIMENSIONS_API_URL", "DIMENSIONS_TOKEN_URL", "DIMENSIONS_CLIENT_ID", "DIMENSIONS_CLIENT_SECRET", "DIMENSIONS_REFRESH_TOKEN", "ACME_KAZOO_API_KEY"]) {
      expect(section.text).toMatch(new RegExp(`export (.* )?${name}=`));
    }
    return {
      DIMENSIONS_API_URL: e.url,
      DIMENSIONS_TOKEN_URL: e.tokenUrl,
      DIMENSIONS_CLIENT_ID: e.clientId,
      DIMENSIONS_CLIENT_SECRET: e.clientSecret,
      DIMENSIONS_REFRESH_TOKEN: e.refreshToken,
      ACME_KAZOO_API_KEY: "any-key-the-emulator-accepts",
    };
  };

  const startReadmeEmulator = async (): Promise<EmulatorLine> => {
    const [npx, ...args] = readmeSays("npx dimensions emulator --port 8080 --json");
    expect(npx).toBe("npx");
    // Port 0: a free port, so parallel suites never collide.
    const started = await startEmulator(args.map((a) => (a === "8080" ? "0" : a)), app);
    emulator = started.child;
    return started.line;
  };

  const stopEmulator = async (): Promise<void> => {
    const child = emulator;
    emulator = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    killGroup(child);
    await exited;
  };

  /** What the API holds for the README's customer, read with the handlers' credentials cache. */
  const acmeInApi = async (extra: NodeJS.ProcessEnv) => {
    const api = createClientFromEnv({ ...env, ...extra }, {});
    const [customer] = await api.findCustomersByReference("ACME-001");
    if (!customer) return undefined;
    const users = await Promise.all((await api.listUsers(customer.id)).map((u) => api.getUser(customer.id, u.id)));
    return { name: customer.name, users: users.map((u) => ({ email: u.email, displayName: u.displayName, roles: [...(u.roles ?? [])].sort() })) };
  };

  const ANA = {
    email: "ana.martin@acme.example",
    displayName: "Ana Martin",
    roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR].map(String).sort(),
  };

  beforeAll(async () => {
    for (const built of ["lib/src/index.js", "lib/examples/onboarding/main.js", "dist/cli.cjs", "dist/handler.cjs"]) {
      if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run "npm run build" before this test`);
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-package-"));
    app = path.join(tmp, "acme-customers");
    fs.mkdirSync(app);
    env = Object.fromEntries(
      Object.entries(terraformEnv(tmp, { DIMENSIONS_CREDENTIALS_FILE: path.join(tmp, "credentials.json"), npm_config_update_notifier: "false" })).filter(
        ([k]) => !/^npm_(?!config_update_notifier$)/i.test(k) && k !== "INIT_CWD",
      ),
    );

    // npm pack, without the prepack build: `npm test` has just built, and a rebuild here would
    // rewrite dist/ under the other suites' feet.
    const pack = ok(await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], ROOT), "npm pack");
    const packed = (JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0];
    tarball = path.join(tmp, packed.filename);
    packedFiles = packed.files.map((f) => f.path).sort();

    // The README's install commands, each run once, with the tarball for the package and this
    // repository's locked versions for the others.
    section = installSection();
    lines = shellLines(section.blocks);
    const spec = (name: string) => (name === PACKAGE ? tarball : `${name}@${lockedVersion(name)}`);
    ok(await run("npm", readmeSays("npm init -y").slice(1), app), "npm init -y");
    for (const line of ["npm install cdktf-dimensions cdktf constructs", "npm install --save-dev cdktf-cli tsx"]) {
      const args = readmeSays(line).slice(1);
      const installArgs = args.map((a, i) => (i === 0 || a.startsWith("-") ? a : spec(a)));
      ok(await run("npm", [...installArgs, "--no-audit", "--no-fund"], app, { timeoutMs: 240_000 }), line);
    }
    installed = path.join(app, "node_modules", PACKAGE);

    // The README's cdktf.json and main.ts, as they are written there.
    const json = section.blocks.find((b) => b.lang === "json");
    const ts = section.blocks.find((b) => b.lang === "ts");
    if (!json || !ts) throw new Error("the README's install path has no cdktf.json (```json) or main.ts (```ts) block");
    fs.writeFileSync(path.join(app, "cdktf.json"), json.body);
    fs.writeFileSync(path.join(app, "main.ts"), ts.body);
    expect(section.text).toContain("`cdktf.json`");
    expect(section.text).toContain("`main.ts`");
  }, 300_000);

  afterAll(async () => {
    await stopEmulator();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("the tarball ships the library, the bundles, the demo's example, LICENSE and the cited docs, and nothing only contributors need", () => {
    for (const file of ["LICENSE", "README.md", "package.json", "dist/cli.cjs", "dist/handler.cjs", "docs/rules.md", "docs/roles.md", "lib/src/index.js", "lib/src/index.d.ts", "lib/examples/onboarding/main.js"]) {
      expect(packedFiles).toContain(file);
    }
    const contributorsOnly = packedFiles.filter((f) => /\.map$/.test(f) || /^(src|test|bench|scripts|\.ci)\//.test(f) || /^lib\/(test|bench|scripts)\//.test(f) || /^lib\/src\/(cli|client|emulator|handler)\//.test(f) || /tsconfig|eslint|jest/.test(f));
    expect(contributorsOnly).toEqual([]);
    expect(fs.readFileSync(path.join(installed, "LICENSE"), "utf8")).toContain("Apache License\n                           Version 2.0");
  });

  test("every module and declaration it ships resolves inside it, and every package it requires is a dependency", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    for (const file of packedFiles.filter((f) => /\.(js|cjs|d\.ts)$/.test(f))) {
      const text = fs.readFileSync(path.join(installed, file), "utf8");
      for (const m of text.matchAll(/(?:require\(|from |import\()"([^"]+)"/g)) {
        const spec = m[1];
        if (spec.startsWith(".")) {
          const base = path.join(path.dirname(file), spec);
          const candidates = file.endsWith(".d.ts") ? [`${base}.d.ts`, path.join(base, "index.d.ts")] : [base, `${base}.js`, path.join(base, "index.js")];
          if (!candidates.some((c) => packedFiles.includes(path.normalize(c)))) problems.push(`${file}: ${spec} is not in the package`);
        } else {
          const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
          if (!builtins.has(spec.replace(/^node:/, "")) && !builtins.has(name) && !declared.has(name)) problems.push(`${file}: requires ${spec}, which is not a dependency`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test("the README's links and every path the shipped files cite are files of the package; none cites the repository's private notes", () => {
    const readme = fs.readFileSync(path.join(installed, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]).filter((l) => !/^(https?:|#)/.test(l));
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !packedFiles.includes(path.normalize(l)))).toEqual([]);

    const problems: string[] = [];
    for (const file of packedFiles.filter((f) => /\.(js|cjs|ts|md)$/.test(f))) {
      // The generated pages' banner is an HTML comment for contributors: not rendered.
      const text = fs.readFileSync(path.join(installed, file), "utf8").replace(/<!--[\s\S]*?-->/g, "");
      // A path of the package, not the tail of a URL (pg cites postgresql.org/docs/current/…).
      for (const m of text.matchAll(/(?<![\w./-])((?:docs|examples)\/[\w./-]*\w)/g)) {
        const cited = m[1];
        if (!packedFiles.some((f) => f === cited || f.startsWith(`${cited}/`))) problems.push(`${file} cites ${cited}`);
      }
      for (const m of text.matchAll(/api-contract|shared\/(?:spec|design)|design\/[\w-]+\.md|domain-rules\.md/g)) problems.push(`${file} cites ${m[0]}`);
      // Source paths mean nothing in the package; only the README's repository sections may name them.
      if (file !== "README.md") for (const m of text.matchAll(/\bsrc\/[\w/.-]+\.ts\b/g)) problems.push(`${file} cites ${m[0]}`);
    }
    expect(problems).toEqual([]);
  });

  test("the README's main.ts type-checks against the installed declarations (moduleResolution nodenext, no skipLibCheck)", async () => {
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    ok(await run(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "main.ts"], app), "tsc --noEmit main.ts");
  }, 120_000);

  test("`npx cdktf synth` synthesizes the README's stack with the installed package's handler", async () => {
    const [npx, ...args] = readmeSays("npx cdktf synth");
    ok(await run(npx, args, app), "npx cdktf synth");

    const stackDir = path.join(app, "cdktf.out", "stacks", STACK);
    const config = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as { resource: Record<string, Record<string, { triggers_replace: { t: string } }>> };
    // One resource per customer (Ana is an entry of Acme's), plus the stack's two.
    expect(Object.keys(config.resource.terraform_data).sort()).toEqual(["acme", "dimensions", "dimensions-inventory"]);
    // `t` is the desired state as JSON text (contracts/handler).
    const acme = JSON.parse(config.resource.terraform_data.acme.triggers_replace.t) as { users?: Record<string, unknown> };
    expect(Object.keys(acme.users ?? {})).toEqual(["ana.martin@acme.example"]);
    const handlers = fs.readdirSync(path.join(stackDir, "assets"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith("handler.cjs"));
    expect(handlers).toHaveLength(1);
    expect(fs.readFileSync(path.join(stackDir, "assets", handlers[0]))).toEqual(fs.readFileSync(path.join(installed, "dist", "handler.cjs")));
  }, 120_000);

  test("`terraform apply` against `npx dimensions emulator` creates Acme and Ana, and a second plan is empty", async () => {
    const api = apiEnv(await startReadmeEmulator());
    readmeSays(`cd cdktf.out/stacks/${STACK}`);
    const stackDir = path.join(app, "cdktf.out", "stacks", STACK);
    ok(await run("terraform", readmeSays("terraform init").slice(1), stackDir, { env: api }), "terraform init");
    // `terraform apply` asks first; the test answers with -auto-approve.
    ok(await run("terraform", [...readmeSays("terraform apply").slice(1), "-auto-approve"], stackDir, { env: api }), "terraform apply");

    const acme = await acmeInApi(api);
    expect(acme?.name).toBe("Acme Corporation");
    expect(acme?.users).toEqual([ANA]);
    const plan = await run("terraform", ["plan", "-detailed-exitcode"], stackDir, { env: api });
    expect(plan.code).toBe(0);
    await stopEmulator();
  }, 180_000);

  test("`npx cdktf deploy` applies the same stack to a fresh emulator", async () => {
    // A new, empty emulator and no state: deploy creates everything again. A deliberate fresh
    // start removes the stack's markers too (StateLost's hint), or the stack resource refuses.
    fs.rmSync(path.join(app, `terraform.${STACK}.tfstate`));
    fs.rmSync(path.join(app, "cdktf.out", "stacks", STACK, ".dimensions-markers"), { recursive: true, force: true });
    const api = apiEnv(await startReadmeEmulator());
    const [npx, ...args] = readmeSays(`npx cdktf deploy ${STACK}`);
    expect(section.text).toContain("`--auto-approve`");
    ok(await run(npx, [...args, "--auto-approve"], app, { env: api, timeoutMs: 180_000 }), "npx cdktf deploy");

    const acme = await acmeInApi(api);
    expect(acme?.name).toBe("Acme Corporation");
    expect(acme?.users).toEqual([ANA]);
    await stopEmulator();
  }, 240_000);

  test("`npx dimensions demo` runs the onboarding example from the installed package", async () => {
    expect(section.text).toContain("`npx dimensions demo`");
    const demo = ok(await run("npx", ["dimensions", "demo", "--dir", path.join(tmp, "demo")], app, { timeoutMs: 180_000 }), "npx dimensions demo");

    expect(demo.stdout).toContain("no changes: the API matches the code");
    expect(demo.stdout).toMatch(/^customer ACME-001 {2}"Acme Corporation"/m);
    expect(demo.stdout).toMatch(/^ {2}ana\.martin@acme\.example +customer\.user, customer\.user\.supervisorl1, user\.admin$/m);
  }, 240_000);

  test("`npx dimensions --help` works from the installed bin and lists every command", async () => {
    const help = ok(await run("npx", ["dimensions", "--help"], app), "npx dimensions --help");
    for (const name of ["emulator", "demo", "access-requests", "licenses"]) expect(help.stdout).toMatch(new RegExp(`^  ${name} \\[options\\]`, "m"));
  });

  // Last: by now every other test has followed its lines.
  test("the test followed every command of the README's install path", () => {
    // The exports are the emulator's line, set by apiEnv().
    expect(lines.filter((l) => !followed.has(l) && !/^export /.test(l))).toEqual([]);
  });
});
