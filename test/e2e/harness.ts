/**
 * End-to-end harness: a real `terraform` binary, the real bundled handler, the real emulator on
 * loopback. Each workspace has its own emulator, synth output and local state, so test files can
 * run in parallel.
 *
 * In CI (CI=true) a missing terraform binary fails the suite; elsewhere it is skipped LOUDLY.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, LocalBackend, TerraformBackend, TerraformStack } from "cdktf";
import { Sandbox } from "../../src/cli/sandbox";
import { assertTerraformOk, terraformVersion, type TerraformResult } from "../../src/cli/terraform";
import { createClientFromEnv } from "../../src/client";
import type { DimensionsApi } from "../../src/client/types";
import type { Customer, CustomerUser } from "../../src/contracts/api";

export const TERRAFORM_VERSION = terraformVersion();
const HANDLER_BUNDLE = path.resolve(__dirname, "../../dist/handler.cjs");

/** `describe` when terraform can run; in CI its absence is a failure, elsewhere a loud skip. */
export function describeE2E(name: string, body: () => void): void {
  if (TERRAFORM_VERSION && fs.existsSync(HANDLER_BUNDLE)) {
    describe(name, body);
    return;
  }
  const why = !TERRAFORM_VERSION
    ? "no terraform binary found on PATH (or TERRAFORM_BINARY_NAME)"
    : `the handler bundle ${HANDLER_BUNDLE} is missing (run "npm run build")`;
  if (process.env.CI) {
    describe(name, () => {
      test("end-to-end prerequisites are present in CI", () => {
        throw new Error(`END-TO-END TESTS CANNOT RUN IN CI: ${why}`);
      });
    });
    return;
  }
  process.stderr.write(`\n!!!!!!!!\n!!! END-TO-END TESTS SKIPPED (${name}): ${why}\n!!!!!!!!\n\n`);
  const skipped = describe.skip;
  skipped(name, body);
}

export interface UserRow {
  readonly email: string;
  readonly displayName: string;
  readonly roles: string[];
}

export class Workspace {
  static async create(name: string, env: NodeJS.ProcessEnv = {}, options: { emulatorData?: string } = {}): Promise<Workspace> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dimensions-e2e-${name}-`));
    let dataFile: string | undefined;
    if (options.emulatorData) {
      // A copy: the emulator rewrites its data file after each change.
      dataFile = path.join(dir, "emulator.json");
      fs.copyFileSync(options.emulatorData, dataFile);
    }
    const sandbox = await Sandbox.start({ dir, env, ...(dataFile ? { dataFile } : {}) });
    return new Workspace(dir, sandbox);
  }

  public readonly api: DimensionsApi;
  private readonly outdir: string;
  private stackDir: string | undefined;

  private constructor(
    public readonly dir: string,
    public readonly sandbox: Sandbox,
  ) {
    this.outdir = path.join(dir, "cdktf.out");
    // Same credentials cache as the handlers: refresh tokens rotate, so a second cache would
    // invalidate theirs (api-contract §2).
    this.api = createClientFromEnv(sandbox.env, {});
  }

  /**
   * Synthesizes one stack into this workspace, the way `cdktf synth` does (a fresh App each time,
   * same outdir), with its state file pinned inside the workspace unless the stack has a backend.
   */
  synth(build: (app: App) => TerraformStack): string {
    const app = new App({ outdir: this.outdir });
    const stack = build(app);
    // A stack that brings its own backend (PostgresBackend) keeps it.
    if (!stack.node.children.some((c) => TerraformBackend.isBackend(c))) new LocalBackend(stack, { path: path.join(this.dir, `${stack.node.id}.tfstate`) });
    app.synth();
    this.stackDir = path.join(this.outdir, "stacks", stack.node.id);
    return this.stackDir;
  }

  async terraform(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<TerraformResult> {
    if (!this.stackDir) throw new Error("synth() first");
    if (!fs.existsSync(path.join(this.stackDir, ".terraform"))) {
      assertTerraformOk(await this.sandbox.terraform(["init", "-input=false"], this.stackDir));
    }
    return this.sandbox.terraform(args, this.stackDir, { env: extraEnv });
  }

  async apply(extraEnv: NodeJS.ProcessEnv = {}, extraArgs: string[] = []): Promise<TerraformResult> {
    return assertTerraformOk(await this.terraform(["apply", "-auto-approve", "-input=false", ...extraArgs], extraEnv));
  }

  async destroy(): Promise<TerraformResult> {
    return assertTerraformOk(await this.terraform(["destroy", "-auto-approve", "-input=false"]));
  }

  /** `terraform plan -detailed-exitcode`: true when the plan has changes. */
  async planHasChanges(): Promise<{ changes: boolean; output: string }> {
    const result = await this.terraform(["plan", "-detailed-exitcode", "-input=false"]);
    if (result.code !== 0 && result.code !== 2) assertTerraformOk(result);
    return { changes: result.code === 2, output: result.stdout };
  }

  async customer(reference: string): Promise<Customer | undefined> {
    const found = await this.api.findCustomersByReference(reference);
    return found[0];
  }

  /** Every user of the customer with its roles (sorted), read through the API. */
  async users(reference: string): Promise<Map<string, UserRow>> {
    const customer = await this.customer(reference);
    if (!customer) throw new Error(`customer ${reference} does not exist`);
    return this.usersOf(customer.id);
  }

  async usersOf(customerId: string): Promise<Map<string, UserRow>> {
    const listed = await this.api.listUsers(customerId);
    const full: CustomerUser[] = await Promise.all(listed.map((u) => this.api.getUser(customerId, u.id)));
    return new Map(full.map((u) => [u.email.toLowerCase(), { email: u.email, displayName: u.displayName, roles: [...(u.roles ?? [])].sort() }]));
  }

  control<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    return this.sandbox.control<T>(method, route, body);
  }

  /** Requests the emulator served so far, by "METHOD /route status" (api-contract §6 stats). */
  async stats(): Promise<{ apiRequests: number; calls: Record<string, number>; tokenGrants: Record<string, number> }> {
    return this.control("GET", "/stats");
  }

  async close(): Promise<void> {
    await this.sandbox.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Samples the API while `during` runs and records every snapshot, so a test can prove that
 * something never happened "even for a moment" (a kept role missing, zero admins). Bounded: it
 * stops with `during`, and waits `intervalMs` between samples.
 */
export async function sampleWhile<T>(
  sample: () => Promise<T>,
  during: Promise<unknown>,
  intervalMs = 30,
): Promise<T[]> {
  const snapshots: T[] = [];
  let done = false;
  let lastError: unknown;
  const finished = during.finally(() => {
    done = true;
  });
  while (!done) {
    try {
      snapshots.push(await sample());
    } catch (e) {
      // The object may not exist yet in the first samples; later ones count.
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  await finished;
  // A proof of "never, even for a moment" needs samples taken while the change ran.
  if (snapshots.length === 0) throw new Error(`no sample succeeded while the change ran (last error: ${String(lastError)})`);
  snapshots.push(await sample());
  return snapshots;
}
