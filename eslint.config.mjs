// Lint enforces the one-way layering of the house style (shared/design/house-style.md):
//   constructs → framework seam, catalogue, validation, contracts
//   validation → framework seam, catalogue, contracts
//   reconcile  → contracts, catalogue     (pure: decide, never act)
//   handler    → reconcile, client, contracts (never cdktf, never constructs)
//   client     → contracts
//   emulator   → contracts                (never the library's catalogue or validation)
//   cli        → anything
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const banned = (patterns, message) => patterns.map((group) => ({ group: [group], message }));
const cdktf = ["cdktf", "cdktf/*", "@cdktf/*"];
const noFramework = banned(cdktf, "Only src/framework.ts imports cdktf (the framework seam).");
// The runtime layers never see the construct tree at all.
const noConstructTree = banned(["constructs", "**/framework"], "Runtime code (handler, client, emulator) never depends on the construct tree.");

const layer = (files, forbidden, extraPatterns = []) => ({
  files,
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          ...noFramework,
          ...forbidden.map((dir) => ({ group: [`../${dir}`, `../${dir}/**`, `../../${dir}`, `../../${dir}/**`], message: `This layer must not import src/${dir} (house-style layering).` })),
          ...extraPatterns,
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ["lib/**", "dist/**", "node_modules/**", "cdktf.out/**", "**/cdktf.out/**", "coverage/**", ".demo/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", __dirname: "readonly", require: "readonly", module: "writable", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly", AbortController: "readonly", TextEncoder: "readonly", structuredClone: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      eqeqeq: ["error", "smart"],
      "no-console": "error",
    },
  },
  layer(["src/catalogue/**"], ["constructs", "validation", "handler", "client", "emulator", "cli"]),
  layer(["src/contracts/**"], ["constructs", "validation", "handler", "client", "emulator", "cli", "catalogue"]),
  layer(["src/validation/**"], ["constructs", "handler", "client", "emulator", "cli"]),
  layer(["src/constructs/**"], ["handler", "client", "emulator", "cli"]),
  layer(["src/reconcile/**"], ["constructs", "validation", "handler", "client", "emulator", "cli"], noConstructTree),
  layer(["src/client/**"], ["constructs", "validation", "handler", "emulator", "cli", "catalogue"], noConstructTree),
  layer(["src/handler/**"], ["constructs", "validation", "emulator", "cli"], noConstructTree),
  layer(["src/emulator/**"], ["constructs", "validation", "handler", "client", "cli", "catalogue"], noConstructTree),
  // The framework seam itself, the CLI, tests, examples and scripts may import cdktf.
  { files: ["src/framework.ts", "src/cli/**", "test/**", "examples/**", "scripts/**", "bench/**"], rules: { "no-restricted-imports": "off" } },
  // console is for the reporting module, the CLI, the emulator's entry point, scripts and benches.
  { files: ["src/cli/**", "src/emulator/main.ts", "src/handler/report.ts", "scripts/**", "bench/**", "examples/**"], rules: { "no-console": "off" } },
  { files: ["**/*.js", "**/*.cjs", "**/*.mjs"], rules: { "@typescript-eslint/no-require-imports": "off" } },
);
