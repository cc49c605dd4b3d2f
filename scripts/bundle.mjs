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
// its 0.8 MB was about half of a start. dist/handler.cjs holds the bundle as a string and compiles
// it with a V8 code cache kept beside itself (in a stack, beside the asset), written by the first
// run and again whenever V8 rejects it (another node, other flags). Unwritable: no cache, no harm.
const LOADER = `"use strict";
const fs = require("node:fs");
const vm = require("node:vm");
const cacheFile = __filename + ".v8cache";
let cachedData;
try { cachedData = fs.readFileSync(cacheFile); } catch { cachedData = undefined; }
const script = new vm.Script(require("node:module").wrap(SOURCE), { filename: __filename, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  process.once("exit", () => {
    const temp = cacheFile + "." + process.pid + ".tmp";
    try { fs.writeFileSync(temp, script.createCachedData()); fs.renameSync(temp, cacheFile); } catch { try { fs.unlinkSync(temp); } catch { /* none */ } }
  });
}
script.runInThisContext().call(module.exports, exports, require, module, __filename, __dirname);
`;
writeFileSync("dist/handler.cjs", LOADER.replace("SOURCE", () => JSON.stringify(handler.outputFiles[0].text)));
// `npx dimensions` runs the bin directly: it must be executable.
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
chmodSync("dist/cli.cjs", 0o755);
// Shipped beside the handler: a tenant create hands its work to the run's warm handler through it.
copyFileSync("src/handler/forward.sh", "dist/forward.sh");
