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
await Promise.all([
  build({ ...common, entryPoints: ["src/handler/main.ts"], outfile: "dist/handler.cjs" }),
  build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.cjs", banner: { js: "#!/usr/bin/env node" }, external: ["cdktf", "constructs", "@cdktf/provider-null"] }),
]);
// `npx dimensions` runs the bin directly: it must be executable.
import { chmodSync, copyFileSync } from "node:fs";
chmodSync("dist/cli.cjs", 0o755);
// Shipped beside the handler: a tenant create hands its work to the run's warm handler through it.
copyFileSync("src/handler/forward.sh", "dist/forward.sh");
