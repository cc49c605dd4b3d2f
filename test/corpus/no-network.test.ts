/**
 * Synth is pure: a full synth of the onboarding example (every construct, every rule, the manifest
 * and findings files) makes no network call. Every way Node opens a connection or resolves a name
 * is replaced with a throwing spy for the duration of the synth (default imports: the real module
 * objects, whose properties can be replaced; a namespace import is a frozen copy).
 */
import dns from "node:dns";
import * as fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import tls from "node:tls";
import { App } from "cdktf";
import { OnboardingStack } from "../../examples/onboarding/main";
import { buildRulesExample } from "../../examples/rules/main";
import { TODAY_CONTEXT_KEY } from "../../src";
import { useFakeHandlerBundle } from "../constructs/helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

type Target = Record<string, unknown>;
const targets: Array<[string, Target, string]> = [
  ["net.Socket.prototype.connect", net.Socket.prototype as unknown as Target, "connect"],
  ["net.connect", net as unknown as Target, "connect"],
  ["net.createConnection", net as unknown as Target, "createConnection"],
  ["tls.connect", tls as unknown as Target, "connect"],
  ["dns.lookup", dns as unknown as Target, "lookup"],
  ["dns.resolve", dns as unknown as Target, "resolve"],
  ["dns.promises.lookup", dns.promises as unknown as Target, "lookup"],
  ["http.request", http as unknown as Target, "request"],
  ["http.get", http as unknown as Target, "get"],
  ["https.request", https as unknown as Target, "request"],
  ["https.get", https as unknown as Target, "get"],
];

function withNetworkForbidden(fn: () => void): string[] {
  const calls: string[] = [];
  const saved = targets.map(([, obj, key]) => obj[key]);
  targets.forEach(([name, obj, key]) => {
    Object.defineProperty(obj, key, {
      configurable: true,
      writable: true,
      value: () => {
        calls.push(name);
        throw new Error(`network call during synth: ${name}`);
      },
    });
  });
  try {
    fn();
  } finally {
    targets.forEach(([, obj, key], i) => Object.defineProperty(obj, key, { configurable: true, writable: true, value: saved[i] }));
  }
  return calls;
}

test("GIVEN every network entry point throws WHEN the onboarding example is fully synthesized THEN none was called", () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-nonet-")), context: { [TODAY_CONTEXT_KEY]: "2025-09-01" } });
  const calls = withNetworkForbidden(() => {
    new OnboardingStack(app, "onboarding");
    buildRulesExample(app);
    app.synth();
  });
  expect(calls).toEqual([]);
  expect(fs.existsSync(path.join(app.outdir, "stacks", "onboarding", "cdk.tf.json"))).toBe(true);
});

test("GIVEN the spies WHEN something does call the network THEN they catch it (the check is not vacuous)", () => {
  const calls = withNetworkForbidden(() => {
    expect(() => http.request("http://127.0.0.1:9")).toThrow(/network call during synth/);
  });
  expect(calls).toEqual(["http.request"]);
});
