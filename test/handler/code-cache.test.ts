/**
 * dist/handler.cjs compiles the bundled handler with a V8 code cache in the user's cache
 * directory (see scripts/bundle.mjs): the first run writes it, later runs use it, a cache V8
 * rejects is written again, one this user does not own is never read, and a cache that cannot
 * be written costs nothing but the speed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const BUNDLE = path.resolve(__dirname, "../../dist/handler.cjs");
const EXPECTED = /^dimensions: PayloadInvalid: DIMENSIONS_PAYLOAD is not set or empty/;
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

describe("the handler's V8 code cache", () => {
  let root: string;
  let handler: string;
  let dir: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-code-cache-"));
    handler = path.join(root, "stack", "handler.cjs");
    fs.mkdirSync(path.dirname(handler));
    fs.copyFileSync(BUNDLE, handler);
    dir = path.join(root, "xdg", "cdktf-dimensions");
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** A run that fails at once, before any I/O: the payload is missing. */
  function run(): { code: number | null; stderr: string } {
    const env = { PATH: process.env.PATH ?? "", XDG_CACHE_HOME: path.join(root, "xdg") };
    const result = spawnSync(process.execPath, [handler, "apply"], { env, encoding: "utf8", timeout: 30_000 });
    return { code: result.status, stderr: result.stderr };
  }

  const caches = () => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  const cacheFile = () => path.join(dir, caches()[0]);

  test("GIVEN no cache WHEN the handler runs THEN it writes one, private to the user, outside the stack (a synth wipes its assets); the next run uses it unchanged", () => {
    const first = run();
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(EXPECTED);
    expect(caches()).toEqual([expect.stringMatching(new RegExp(`^handler-[0-9a-f]{16}-${process.version.replace(/\./g, "\\.")}\\.v8cache$`))]);
    expect(fs.statSync(cacheFile()).size).toBeGreaterThan(10_000);
    expect(fs.statSync(cacheFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(handler))).toEqual(["handler.cjs"]);
    const written = fs.readFileSync(cacheFile());
    const mtime = fs.statSync(cacheFile()).mtimeMs;

    const second = run();
    expect(second).toEqual(first);
    expect(fs.readFileSync(cacheFile()).equals(written)).toBe(true);
    expect(fs.statSync(cacheFile()).mtimeMs).toBe(mtime);
  });

  test("GIVEN the cache of another bundle beside a damaged one of this bundle WHEN the handler runs THEN it works, writes a good one, and removes the other", () => {
    run();
    const name = caches()[0];
    fs.writeFileSync(path.join(dir, name), "not a code cache");
    fs.writeFileSync(path.join(dir, "handler-0000000000000000-v20.0.0.v8cache"), "an older bundle's");
    const result = run();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(EXPECTED);
    expect(caches()).toEqual([name]);
    expect(fs.statSync(path.join(dir, name)).size).toBeGreaterThan(10_000);
  });

  test("GIVEN a cache that cannot be read or written (a directory in its place) WHEN the handler runs THEN it works, and leaves no temporary file", () => {
    run();
    const name = caches()[0];
    fs.rmSync(path.join(dir, name));
    fs.mkdirSync(path.join(dir, name));
    const result = run();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(EXPECTED);
    expect(caches()).toEqual([name]);
    expect(fs.statSync(path.join(dir, name)).isDirectory()).toBe(true);
  });

  // Needs root to give a file to another user. In CI it always runs (CI runs as root; if it did
  // not, chown fails and says so), as the project's other conditional tests do.
  (isRoot || process.env.CI ? test : test.skip)("GIVEN a valid cache owned by another user WHEN the handler runs THEN it is not read: a new one, the user's own, replaces it", () => {
    run();
    const file = cacheFile();
    fs.chownSync(file, 65534, 65534);
    const result = run();
    expect(result.stderr).toMatch(EXPECTED);
    expect(fs.statSync(file).uid).toBe(0);
  });
});
