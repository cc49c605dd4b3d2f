/**
 * A sandbox: the embedded emulator on loopback plus the environment that terraform and the
 * handler processes it starts need to talk to it. Shared by the demo, the end-to-end tests and the
 * benchmark, so all three run the product the same way a user does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type Region, type RunningEmulator } from "../emulator/server";
import { ENV } from "../contracts/handler";
import { runTerraform, terraformEnv, type RunOptions, type TerraformResult } from "./terraform";

export interface SandboxOptions {
  /** Working directory (credentials cache, terraform CLI config). Created if missing. */
  readonly dir: string;
  /** Extra environment for terraform and the handlers (for example PBX API key variables). */
  readonly env?: NodeJS.ProcessEnv;
  /** Emulator port; 0 (default) picks a free one. */
  readonly port?: number;
  /** The emulator keeps its state in this file (loaded when it exists). */
  readonly dataFile?: string;
  /** The region the emulator plays (U10). @default "eu" */
  readonly region?: Region;
}

/**
 * The variables our client reads to talk to this emulator as its demo reseller, with the
 * credentials cache in `dir`. The emulator's tokens never go to a shared database exported in the
 * user's shell.
 */
export function emulatorClientEnv(emulator: RunningEmulator, dir: string): NodeJS.ProcessEnv {
  return {
    [ENV.apiUrl]: emulator.url,
    [ENV.tokenUrl]: emulator.tokenUrl,
    [ENV.clientId]: emulator.demo.clientId,
    [ENV.clientSecret]: emulator.demo.clientSecret,
    [ENV.refreshToken]: emulator.demo.refreshToken,
    [ENV.credentialsFile]: path.join(dir, "credentials.json"),
    [ENV.credentialsUrl]: "",
  };
}

export class Sandbox {
  static async start(options: SandboxOptions): Promise<Sandbox> {
    fs.mkdirSync(options.dir, { recursive: true });
    const emulator = await startEmulator({ port: options.port ?? 0, ...(options.dataFile ? { dataFile: options.dataFile } : {}), ...(options.region ? { region: options.region } : {}) });
    return new Sandbox(options.dir, emulator, options.env ?? {});
  }

  /** Environment for terraform runs: the handler reads its credentials from here, never from state. */
  public readonly env: NodeJS.ProcessEnv;

  private constructor(
    public readonly dir: string,
    public readonly emulator: RunningEmulator,
    extraEnv: NodeJS.ProcessEnv,
  ) {
    this.env = terraformEnv(dir, { ...emulatorClientEnv(emulator, dir), ...extraEnv });
  }

  /** Calls a test/demo control of the emulator (`/_emulator/...`) and returns its JSON answer. */
  async control<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.emulator.url}/_emulator${route}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`emulator control ${method} ${route} → ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  terraform(args: readonly string[], stackDir: string, options: Partial<RunOptions> = {}): Promise<TerraformResult> {
    return runTerraform(args, { cwd: stackDir, env: { ...this.env, ...(options.env ?? {}) }, echo: options.echo, timeoutMs: options.timeoutMs ?? 300_000 });
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }
}
