// Jest transform: TypeScript, and got 14's ESM-only dependencies, to CommonJS with esbuild (already
// the build's bundler). esbuild replaced @swc/jest because this workplace's registry does not serve
// every platform package of @swc/core, which left `npm ci` unable to honour the lockfile.
// Type checking is tsc's job (npm run build), not the transform's.
const { transformSync } = require("esbuild");

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith(".ts") ? "ts" : "js",
      format: "cjs",
      target: "node20",
      sourcemap: "external",
      sourcefile: filename,
    });
    return { code, map };
  },
};
