// Preloaded into every handler process by the rollout benchmark (NODE_OPTIONS=--require): appends
// the process's peak resident memory (KiB), its CPU time (ms, user + system), how long it ran (ms)
// and its operation (apply, release, worker) to DIMENSIONS_BENCH_RSS_FILE when it exits, as
// "<KiB> <ms> <ms> <operation>".
const fs = require("node:fs");
const file = process.env.DIMENSIONS_BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    fs.appendFileSync(file, `${usage.maxRSS} ${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)} ${Math.round(process.uptime() * 1000)} ${process.argv[2] ?? "-"}\n`);
  });
}
