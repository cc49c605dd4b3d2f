// Bundles the handler (run by Terraform's local-exec, once per resource: start-up time matters) and
// the CLI into single CommonJS files, so got's ESM loads without a loader and nothing is resolved
// from node_modules at run time: what they bundle (got, commander, proper-lockfile…) is a
// devDependency, not something a user installs. Both are minified and ship without source maps:
// no comment naming a repository file, and a map would point at sources the package does not ship.
// The CLI keeps cdktf and constructs external: the demo's example synthesizes with the app's copies.
// pg (the PostgreSQL credentials store) is bundled too; its optional native binding `pg-native` is
// required only by `pg.native`, which the store never touches. It is replaced by a module that
// fails if ever loaded, so the bundles require nothing that is not a dependency of the package.
import { build } from "esbuild";

const noPgNative = {
  name: "no-pg-native",
  setup(b) {
    b.onResolve({ filter: /^pg-native$/ }, () => ({ path: "pg-native", namespace: "no-pg-native" }));
    b.onLoad({ filter: /.*/, namespace: "no-pg-native" }, () => ({
      contents: 'throw new Error("pg-native is not part of cdktf-dimensions: the PostgreSQL credentials store uses pure-JavaScript pg");',
      loader: "js",
    }));
  },
};
const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: false, legalComments: "none", logLevel: "warning", minify: true, plugins: [noPgNative] };
const [handler] = await Promise.all([
  build({ ...common, entryPoints: ["src/handler/main.ts"], write: false }),
  build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.cjs", banner: { js: "#!/usr/bin/env node" }, external: ["cdktf", "constructs", "@cdktf/provider-null"] }),
]);
// The handler starts once per customer changed (and once per apply for the warm handler): compiling
// its 0.8 MB was about a fifth of a start. dist/handler.cjs holds the bundle as a string and
// compiles it with a V8 code cache in the user's cache directory ($XDG_CACHE_HOME, else
// ~/.cache: a synth wipes the stack's assets, so a cache beside the asset would never outlive
// one apply), named by the bundle's digest and node's version, written by the first run and again
// whenever V8 rejects it. A cache is code: one not owned by this user is not read. Unwritable or
// unreadable: no cache, no harm.
const bundled = handler.outputFiles[0].text;
const key = createHash("sha256").update(bundled).digest("hex").slice(0, 16);
const LOADER = `"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const vm = require("node:vm");
function cacheDir() {
  try { return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "cdktf-dimensions"); } catch { return undefined; }
}
const dir = cacheDir();
const name = "handler-KEY-" + process.version + ".v8cache";
const cacheFile = dir && path.join(dir, name);
let cachedData;
try {
  const st = fs.lstatSync(cacheFile);
  if (st.isFile() && (typeof process.getuid !== "function" || st.uid === process.getuid())) cachedData = fs.readFileSync(cacheFile);
} catch { cachedData = undefined; }
const script = new vm.Script(require("node:module").wrap(SOURCE), { filename: __filename, cachedData });
if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
  process.once("exit", () => {
    const temp = cacheFile + "." + process.pid + ".tmp";
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(temp, cacheFile);
      for (const other of fs.readdirSync(dir)) if (/^handler-.*\\.v8cache$/.test(other) && other !== name) fs.rmSync(path.join(dir, other), { force: true });
    } catch { try { fs.unlinkSync(temp); } catch { /* none */ } }
  });
}
script.runInThisContext().call(module.exports, exports, require, module, __filename, __dirname);
`;
writeFileSync("dist/handler.cjs", LOADER.replace("KEY", key).replace("SOURCE", () => JSON.stringify(bundled)));
// `npx dimensions` runs the bin directly: it must be executable.
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
chmodSync("dist/cli.cjs", 0o755);
// Shipped beside the handler: a tenant create hands its work to the run's warm handler through it.
copyFileSync("src/handler/forward.sh", "dist/forward.sh");
