// got 14 and its dependencies are ESM-only; scripts/jest-transform.js (esbuild) turns them, and our
// TypeScript, into CommonJS for Jest. Type checking is tsc's job (npm run build).
const esmPackages = [
  "got", "@sindresorhus/is", "byte-counter", "cacheable-lookup", "cacheable-request",
  "decompress-response", "form-data-encoder", "get-stream", "is-stream", "keyv", "@keyv/serialize",
  "lowercase-keys", "mimic-response", "normalize-url", "p-cancelable", "responselike",
  "@sec-ant/readable-stream", "@szmarczak/http-timer", "http2-wrapper", "chunk-data", "type-fest",
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.(t|j|mj)s$": "<rootDir>/scripts/jest-transform.js" },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join("|")})/)`],
  moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
  testTimeout: 30000,
  // End-to-end suites run terraform and their own emulator; two workers match the 2-core machines.
  maxWorkers: 2,
};
