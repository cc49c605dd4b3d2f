/**
 * The sent log (src/handler/sent-log.ts): what a failed release already sent, kept beside the
 * markers so that its re-run does not send an e-mail twice (H5, U14).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MARKER_DIR } from "../../src/contracts/handler";
import { FileSentLog } from "../../src/handler/sent-log";

let dir: string;
let manifest: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "sent-log-"));
  manifest = path.join(dir, "dimensions.manifest.json");
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("GIVEN a recorded send WHEN read by another instance (another process) THEN it is found for that value only, case-insensitively by e-mail", () => {
  new FileSentLog(manifest).record("customer:ACME", "Bo@Acme.test", "activation", "2", 1000);

  const log = new FileSentLog(manifest);

  expect(log.sentAt("customer:ACME", "bo@acme.test", "activation", "2")).toBe(1000);
  expect(log.sentAt("customer:ACME", "bo@acme.test", "activation", "3")).toBeUndefined();
  expect(log.sentAt("customer:ACME", "bo@acme.test", "welcome", "2")).toBeUndefined();
  expect(log.sentAt("customer:OTHER", "bo@acme.test", "activation", "2")).toBeUndefined();
});

test("GIVEN sends of two kinds WHEN the customer's change succeeds and the log is cleared THEN nothing is left", () => {
  const log = new FileSentLog(manifest);
  log.record("customer:ACME", "bo@acme.test", "activation", "2", 1);
  log.record("customer:ACME", "bo@acme.test", "welcome", "1", 2);
  expect(log.sentAt("customer:ACME", "bo@acme.test", "activation", "2")).toBe(1);

  log.clear("customer:ACME");

  expect(log.sentAt("customer:ACME", "bo@acme.test", "welcome", "1")).toBeUndefined();
  expect(fs.readdirSync(path.join(dir, MARKER_DIR))).toEqual([]);
});

test("GIVEN a torn or foreign log file WHEN read THEN it guards nothing (at worst an e-mail goes again) and the next record replaces it", () => {
  const log = new FileSentLog(manifest);
  log.record("customer:ACME", "bo@acme.test", "activation", "2", 1);
  const [file] = fs.readdirSync(path.join(dir, MARKER_DIR));
  fs.writeFileSync(path.join(dir, MARKER_DIR, file), '{"version":1,"key":"customer:ACME","users":{"bo@acme.test":{"activation":{"value":2}}}');

  expect(log.sentAt("customer:ACME", "bo@acme.test", "activation", "2")).toBeUndefined();
  log.record("customer:ACME", "cy@acme.test", "activation", "5", 3);
  expect(log.sentAt("customer:ACME", "cy@acme.test", "activation", "5")).toBe(3);
});
