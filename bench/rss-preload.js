// Preloaded into every handler process by the rollout benchmark (NODE_OPTIONS=--require): appends
// the process's peak resident memory (KiB) to DIMENSIONS_BENCH_RSS_FILE when it exits.
const fs = require("node:fs");
const file = process.env.DIMENSIONS_BENCH_RSS_FILE;
if (file) process.on("exit", () => fs.appendFileSync(file, `${process.resourceUsage().maxRSS}\n`));
