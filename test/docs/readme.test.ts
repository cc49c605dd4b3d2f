/**
 * The README's TypeScript blocks are taken from examples/ (house style: docs show code that
 * compiles). GIVEN each ```ts block of the README, THEN every code line of it appears, trimmed,
 * in some file under examples/ — so an example change that breaks a README excerpt fails here.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function exampleLines(): Set<string> {
  const lines = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) for (const line of fs.readFileSync(full, "utf8").split("\n")) lines.add(line.trim());
    }
  };
  walk(path.join(ROOT, "examples"));
  return lines;
}

// Lines that may differ between a README excerpt and its example: the package name in imports.
const normalise = (line: string) => line.replace(/from "cdktf-dimensions";/, 'from "../../src"; // "cdktf-dimensions" in your app');

test("every line of the README's TypeScript blocks comes from a file in examples/", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  const known = exampleLines();
  const missing = blocks
    .flatMap((b) => b.split("\n"))
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("//"))
    .filter((l) => !known.has(l) && !known.has(normalise(l)));
  expect(missing).toEqual([]);
});
