// Bundles the handler (run by Terraform's local-exec, once per resource: start-up time matters) and
// the CLI into single CommonJS files, so got's ESM loads without a loader and nothing is resolved
// from node_modules at run time.
import { build } from "esbuild";

const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: false, legalComments: "none", logLevel: "warning" };
await Promise.all([
  build({ ...common, entryPoints: ["src/handler/main.ts"], outfile: "dist/handler.cjs", minify: true }),
  build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.cjs", banner: { js: "#!/usr/bin/env node" }, external: ["cdktf", "constructs", "@cdktf/provider-null"] }),
]);
// `npx dimensions` runs the bin directly: it must be executable.
import { chmodSync } from "node:fs";
chmodSync("dist/cli.cjs", 0o755);
