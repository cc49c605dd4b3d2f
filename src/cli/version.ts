import * as fs from "node:fs";
import * as path from "node:path";

const PACKAGE_NAME = "cdktf-dimensions";

/**
 * This package's version, read from its package.json: the CLI runs as dist/cli.cjs (bundled, in a
 * checkout or installed under node_modules), lib/src/cli/main.js or src/cli/main.ts, so the file is
 * found by walking up rather than by a fixed relative path.
 */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      try {
        const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
        if (manifest.name === PACKAGE_NAME && typeof manifest.version === "string") return manifest.version;
      } catch {
        // Not ours or unreadable: keep walking up.
      }
    }
    if (path.dirname(dir) === dir) return "unknown";
  }
}
