/**
 * examples/rules/main.ts (the code the README's Rules, Acknowledgements and Role bundles sections
 * show) synthesizes, and its acknowledged findings stay visible in dimensions.findings.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { FINDINGS_FILE, TODAY_CONTEXT_KEY, type FindingsFile } from "../../src";
import { buildRulesExample } from "../../examples/rules/main";
import { synthJson, useFakeHandlerBundle, userEntryIn } from "./helpers";

beforeAll(() => {
  useFakeHandlerBundle();
});

test("GIVEN the rules example WHEN synthesized THEN it passes, with both findings acknowledged and listed for audit", () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-rules-")), context: { [TODAY_CONTEXT_KEY]: "2025-09-01" } });
  const stack = buildRulesExample(app);
  const json = synthJson(app, stack);
  const file = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "uk-customers", FINDINGS_FILE), "utf8")) as FindingsFile;
  expect(file.findings.map((f) => [f.code, f.path, f.acknowledged?.scope])).toEqual([
    ["AutomaticChargeableRoles", "uk-customers/globex", "uk-customers/globex"],
    ["AdminWithoutSupervisor", "uk-customers/it-desk", ""],
  ]);
  expect(file.findings.every((f) => f.acknowledged !== undefined)).toBe(true);
  // The template's roles (bundle + assignment) are copied to lead-south.
  expect(userEntryIn(json, "lead.south@globex.example").entry.roles).toEqual(userEntryIn(json, "lead.north@globex.example").entry.roles);
});

test("GIVEN the rules example WHEN synthesized after the acknowledgement's expiry THEN the synth fails with AcknowledgementExpired", () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-rules-")), context: { [TODAY_CONTEXT_KEY]: "2027-07-01" } });
  buildRulesExample(app);
  expect(() => app.synth()).toThrow(/\[uk-customers\/globex\] AcknowledgementExpired \[ack\]/);
});
