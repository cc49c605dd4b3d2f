/**
 * Shared fixtures for the construct tests: a temp outdir per app, a small stand-in handler bundle
 * (through the documented DIMENSIONS_HANDLER_BUNDLE override, so these tests do not need
 * `npm run build`), and a compliant customer to start from.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import type { IConstruct } from "constructs";
import {
  Customer,
  CustomerUser,
  DimensionsStack,
  HANDLER_BUNDLE_ENV,
  Role,
  type CustomerProps,
  type DimensionsStackProps,
} from "../../src";

export const PBX_KEY_ENV = "ACME_KAZOO_API_KEY";
export const ADMIN = [Role.WEBSITE_ACCESS, Role.MANAGE_USERS, Role.REPORTS_SUPERVISOR];

export function useFakeHandlerBundle(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-bundle-"));
  const file = path.join(dir, "handler.cjs");
  fs.writeFileSync(file, "// stand-in for dist/handler.cjs in construct tests\n");
  process.env[HANDLER_BUNDLE_ENV] = file;
  return file;
}

export function newApp(): App {
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-synth-")) });
}

export function newStack(app: App = newApp(), props: Partial<DimensionsStackProps> = {}, id = "stack"): DimensionsStack {
  return new DimensionsStack(app, id, { acceptCharges: true, ...props });
}

export function customerProps(overrides: Partial<CustomerProps> = {}): CustomerProps {
  return {
    name: "Acme Corporation",
    description: "Acme contact centre",
    reference: "ACME-001",
    timezone: "Europe/Paris",
    countryCode: "FR",
    pbx: { hostRest: "https://pbx.acme.test", hostWebsocket: "wss://pbx.acme.test", accountId: "acme-0001", apiKeyEnv: PBX_KEY_ENV },
    ...overrides,
  };
}

/** A compliant owned customer with its primary admin (H1, U4). */
export function acmeWithAdmin(stack: DimensionsStack, overrides: Partial<CustomerProps> = {}): { customer: Customer; ana: CustomerUser } {
  const customer = new Customer(stack, "acme", customerProps(overrides));
  const ana = new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
  return { customer, ana };
}

export function stackDir(app: App, stack: DimensionsStack): string {
  return path.join(app.outdir, "stacks", stack.node.id);
}

export interface TfResource {
  triggers_replace?: { t: string; i: string };
  input?: Record<string, unknown>;
  triggers?: Record<string, string>;
  depends_on?: string[];
  provisioner?: Array<Record<string, { command: string; environment: Record<string, string>; when?: string }>>;
  lifecycle?: Record<string, unknown>;
  "//"?: { metadata: { path: string } };
}

export interface TfJson {
  resource: Record<string, Record<string, TfResource>>;
  provider?: Record<string, unknown>;
}

/** app.synth(), then the stack's cdk.tf.json. */
export function synthJson(app: App, stack: DimensionsStack): TfJson {
  app.synth();
  return JSON.parse(fs.readFileSync(path.join(stackDir(app, stack), "cdk.tf.json"), "utf8")) as TfJson;
}

/** The resource whose construct path is `constructPath` (e.g. "stack/ana/Default"). */
export function resourceAt(json: TfJson, constructPath: string): { address: string; body: TfResource } {
  for (const [type, byName] of Object.entries(json.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      if (body["//"]?.metadata.path === constructPath) return { address: `${type}.${name}`, body };
    }
  }
  throw new Error(`no resource at ${constructPath}`);
}

/** Runs fn and returns the error it throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): Error & { code?: string; path?: string; rule?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string; path?: string; rule?: string };
  }
  throw new Error("expected an error, none was thrown");
}

/** The message app.synth() fails with ("" when it succeeds). */
export function synthFailure(app: App): string {
  try {
    app.synth();
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

/** One error line of a failed synth: `[<path>] <Code> [<rule>]: <text>` (text: message; fix). */
export interface SynthError {
  readonly path: string;
  readonly code: string;
  readonly rule: string;
  readonly text: string;
}

/**
 * The errors app.synth() fails with, one per finding, in order ([] when it succeeds). `scope` is
 * the App or any construct of it (e.g. a stack made by newStack()).
 */
export function synthErrors(scope: IConstruct): SynthError[] {
  const message = synthFailure(scope.node.root as App);
  return [...message.matchAll(/^\[([^\]]*)\] (\w+) \[([^\]]+)\]: (.*)$/gm)].map((m) => ({ path: m[1], code: m[2], rule: m[3], text: m[4] }));
}

/** `<path> <Code>` of each error of the failed synth: short to compare as a whole. */
export function synthErrorCodes(scope: IConstruct): string[] {
  return synthErrors(scope).map((e) => `${e.path} ${e.code}`);
}

/** The warning annotations of a construct. */
export function warnings(construct: { node: { metadata: Array<{ type: string; data: unknown }> } }): string[] {
  return construct.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

import { decodeUserEntry } from "../../src/contracts/handler";

/**
 * A handler resource's `{ t, i }`, decoded: terraform_data's `triggers_replace` and null_resource's
 * `triggers` both hold them as JSON text (contracts/handler). Undefined for another resource.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index into payloads freely
export function payloadIn(body: TfResource): { t: any; i: any } | undefined {
  const pair = body.triggers_replace ?? body.triggers;
  if (!pair) return undefined;
  if (typeof pair.t !== "string" || typeof pair.i !== "string") throw new Error(`t and i are not JSON text: ${JSON.stringify(pair).slice(0, 200)}`);
  return { t: JSON.parse(pair.t) as unknown, i: JSON.parse(pair.i) as unknown };
}

/**
 * The entry of the user with this e-mail (compared case-insensitively) in its customer's tenant
 * resource (layout 2: users have no resource of their own), and that resource's address.
 */
export function userEntryIn(json: TfJson, email: string): { address: string; entry: { displayName?: string; roles: string[]; primary?: boolean; origin?: string; management?: string; removal?: string } } {
  for (const [type, byName] of Object.entries(json.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      const payload = payloadIn(body) as { t?: { users?: Record<string, never> } } | undefined;
      for (const [key, rendered] of Object.entries(payload?.t?.users ?? {})) {
        // Rendered as one line of text (contracts/handler encodeUserEntry).
        if (key.toLowerCase() === email.toLowerCase()) return { address: `${type}.${name}`, entry: decodeUserEntry(rendered as string)! };
      }
    }
  }
  throw new Error(`no user ${email} in any tenant resource`);
}
