/**
 * dist/handler.cjs compiles the bundled handler with a V8 code cache kept beside itself (see
 * scripts/bundle.mjs): the first run writes it, later runs use it, a cache V8 rejects is written
 * again, and a cache that cannot be written costs nothing but the speed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const BUNDLE = path.resolve(__dirname, "../../dist/handler.cjs");

describe("the handler's V8 code cache", () => {
  let dir: string;
  let handler: string;
  let cache: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-code-cache-"));
    handler = path.join(dir, "handler.cjs");
    cache = `${handler}.v8cache`;
    fs.copyFileSync(BUNDLE, handler);
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A run that fails at once, before any I/O: the payload is missing. */
  function run(): { code: number | null; stderr: string } {
    const env = { PATH: process.env.PATH ?? "" };
    const result = spawnSync(process.execPath, [handler, "apply"], { env, encoding: "utf8", timeout: 30_000 });
    return { code: result.status, stderr: result.stderr };
  }

  const EXPECTED = /^dimensions: PayloadInvalid: DIMENSIONS_PAYLOAD is not set or empty/;

  test("GIVEN no cache WHEN the handler runs THEN it writes one beside itself, and the next run uses it unchanged", () => {
    const first = run();
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(EXPECTED);
    expect(fs.statSync(cache).size).toBeGreaterThan(10_000);
    const written = fs.readFileSync(cache);
    const mtime = fs.statSync(cache).mtimeMs;

    const second = run();
    expect(second).toEqual(first);
    expect(fs.readFileSync(cache).equals(written)).toBe(true);
    expect(fs.statSync(cache).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(dir).sort()).toEqual(["handler.cjs", "handler.cjs.v8cache"]);
  });

  test("GIVEN a cache V8 rejects (another node, or damaged) WHEN the handler runs THEN it works and writes a good one", () => {
    fs.writeFileSync(cache, "not a code cache");
    const result = run();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(EXPECTED);
    expect(fs.readFileSync(cache, "utf8")).not.toBe("not a code cache");
    expect(fs.statSync(cache).size).toBeGreaterThan(10_000);
  });

  test("GIVEN a cache that cannot be read or written (a directory in its place) WHEN the handler runs THEN it works, and leaves no temporary file", () => {
    fs.mkdirSync(cache);
    const result = run();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(EXPECTED);
    expect(fs.readdirSync(dir).sort()).toEqual(["handler.cjs", "handler.cjs.v8cache"]);
    expect(fs.statSync(cache).isDirectory()).toBe(true);
  });
});
