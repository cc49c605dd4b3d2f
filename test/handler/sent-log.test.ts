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

test("GIVEN a log torn in its last line (a crash mid-write) or holding another customer's line WHEN read by the next run THEN those guard nothing (at worst an e-mail goes again), and its own records are not glued to the torn line", () => {
  const first = new FileSentLog(manifest);
  first.record("customer:ACME", "bo@acme.test", "activation", "2", 1);
  first.record("customer:ACME", "cy@acme.test", "activation", "2", 2);
  const file = path.join(dir, MARKER_DIR, fs.readdirSync(path.join(dir, MARKER_DIR))[0]);
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, `${JSON.stringify({ version: 1, key: "customer:OTHER", email: "dy@acme.test", kind: "activation", value: "2", at: 9 })}\n${text.slice(0, -10)}`);

  const second = new FileSentLog(manifest);
  expect(second.sentAt("customer:ACME", "bo@acme.test", "activation", "2")).toBe(1);
  expect(second.sentAt("customer:ACME", "cy@acme.test", "activation", "2")).toBeUndefined();
  expect(second.sentAt("customer:ACME", "dy@acme.test", "activation", "2")).toBeUndefined();
  second.record("customer:ACME", "cy@acme.test", "activation", "2", 3);

  const third = new FileSentLog(manifest);
  expect(third.sentAt("customer:ACME", "bo@acme.test", "activation", "2")).toBe(1);
  expect(third.sentAt("customer:ACME", "cy@acme.test", "activation", "2")).toBe(3);
});

test("GIVEN a log in the whole-file form of earlier handlers (<stem>.sent.json) WHEN read THEN its sends are found, and clearing removes it", () => {
  fs.mkdirSync(path.join(dir, MARKER_DIR), { recursive: true });
  new FileSentLog(manifest).record("customer:ACME", "cy@acme.test", "welcome", "1", 5);
  const lines = fs.readdirSync(path.join(dir, MARKER_DIR))[0];
  const whole = lines.replace(/\.sent\.jsonl$/, ".sent.json");
  fs.writeFileSync(path.join(dir, MARKER_DIR, whole), JSON.stringify({ version: 1, key: "customer:ACME", users: { "bo@acme.test": { activation: { value: "2", at: 4 } } } }));

  const log = new FileSentLog(manifest);
  expect(log.sentAt("customer:ACME", "bo@acme.test", "activation", "2")).toBe(4);
  expect(log.sentAt("customer:ACME", "cy@acme.test", "welcome", "1")).toBe(5);
  log.clear("customer:ACME");
  expect(fs.readdirSync(path.join(dir, MARKER_DIR))).toEqual([]);
});

test("GIVEN a change that sends 2,000 e-mails WHEN each is recorded THEN the log grows by one line per send, never rewritten whole", () => {
  const log = new FileSentLog(manifest);
  for (let i = 0; i < 2_000; i++) log.record("customer:ACME", `user${i}@acme.test`, "activation", "1", i);
  const [file] = fs.readdirSync(path.join(dir, MARKER_DIR));
  const lines = fs.readFileSync(path.join(dir, MARKER_DIR, file), "utf8").split("\n").filter(Boolean);
  expect(lines).toHaveLength(2_000);
  expect(new FileSentLog(manifest).sentAt("customer:ACME", "user1999@acme.test", "activation", "1")).toBe(1999);
});
