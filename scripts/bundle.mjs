// Bundles the handler (run by Terraform's local-exec, once per resource: start-up time matters) and
// the CLI into single CommonJS files, so got's ESM loads without a loader and nothing is resolved
// from node_modules at run time: what they bundle (got, commander, proper-lockfile…) is a
// devDependency, not something a user installs. Both are minified and ship without source maps:
// no comment naming a repository file, and a map would point at sources the package does not ship.
// The CLI keeps cdktf and constructs external: the demo's example synthesizes with the app's copies.
// pg (the PostgreSQL credentials store) is bundled too; its optional native binding `pg-native` is
// required only by `pg.native`, which the store never touches, so it stays external (and absent).
import { build } from "esbuild";

const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: false, legalComments: "none", logLevel: "warning", minify: true, external: ["pg-native"] };
await Promise.all([
  build({ ...common, entryPoints: ["src/handler/main.ts"], outfile: "dist/handler.cjs" }),
  build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.cjs", banner: { js: "#!/usr/bin/env node" }, external: [...common.external, "cdktf", "constructs", "@cdktf/provider-null"] }),
]);
// `npx dimensions` runs the bin directly: it must be executable.
import { chmodSync } from "node:fs";
chmodSync("dist/cli.cjs", 0o755);
