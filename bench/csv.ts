/**
 * `node lib/bench/csv.js [ROWS]` (after `npm run build`): how long a users CSV of ROWS rows
 * (default 5,000) takes to parse and check (src/validation/csv.ts, pure), and to synthesize as one
 * customer's users (CustomerUsersFromCsv → ROWS CustomerUser resources + manifest + licence
 * report). Prints figures; never fails on one (shared, noisy machines).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { Customer, CustomerUsersFromCsv, DimensionsStack, HANDLER_BUNDLE_ENV, parseUsersCsv } from "../src";

const ROWS = Number(process.argv[2] ?? 5000);
const ROOT = path.resolve(__dirname, "..", "..");

function csv(rows: number): string {
  const lines = ["email,displayName,primaryAdmin,bundle:administrator-with-reports,Website Access,Analytics Supervisor,Recording Playback,bundle:live-monitoring"];
  for (let i = 0; i < rows; i++) {
    const admin = i === 0 ? "TRUE" : "";
    lines.push(`user${String(i).padStart(5, "0")}@acme.example,User ${i},${admin},${admin},TRUE,${i % 3 === 1 ? "TRUE" : ""},${i % 5 === 0 ? "TRUE" : ""},${i % 7 === 0 ? "TRUE" : ""}`);
  }
  return lines.join("\n") + "\n";
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-bench-csv-"));
  try {
    const handler = path.join(ROOT, "dist", "handler.cjs");
    if (!fs.existsSync(handler)) {
      process.env[HANDLER_BUNDLE_ENV] = path.join(dir, "handler.cjs");
      fs.writeFileSync(process.env[HANDLER_BUNDLE_ENV], "// stand-in\n");
    }
    const file = path.join(dir, "users.csv");
    const text = csv(ROWS);
    fs.writeFileSync(file, text);

    let start = process.hrtime.bigint();
    const parsed = parseUsersCsv(text, { file: "users.csv" });
    const parseMs = ms(start);
    if (parsed.findings.length > 0) throw new Error(`the generated CSV has findings: ${parsed.findings[0].message}`);

    start = process.hrtime.bigint();
    // Validations included: the stack checks the Terraform version once (not once per resource).
    const app = new App({ outdir: path.join(dir, "cdktf.out") });
    const stack = new DimensionsStack(app, "bulk", { acceptCharges: true, region: "eu" });
    const customer = new Customer(stack, "acme", {
      name: "Acme",
      description: "bench",
      reference: "ACME-BENCH",
      pbx: { hostRest: "https://pbx.example", hostWebsocket: "wss://pbx.example", accountId: "bench", apiKeyEnv: "BENCH_KEY" },
    });
    new CustomerUsersFromCsv(stack, "users", { customer, file });
    const constructMs = ms(start);
    start = process.hrtime.bigint();
    app.synth();
    const synthMs = ms(start);
    const tf = fs.statSync(path.join(dir, "cdktf.out", "stacks", "bulk", "cdk.tf.json")).size;

    console.log(`node ${process.version}; ${os.cpus().length} cores; ${ROWS} rows (${(text.length / 1024).toFixed(0)} KiB CSV)`);
    console.log(`parse + check (parseUsersCsv): ${parseMs.toFixed(0)} ms (${((parseMs * 1000) / ROWS).toFixed(0)} µs per row)`);
    console.log(`constructs (CustomerUsersFromCsv, ${ROWS} CustomerUser): ${constructMs.toFixed(0)} ms`);
    console.log(`app.synth() (rules, cdk.tf.json ${(tf / 1024 / 1024).toFixed(1)} MiB, manifest, licence report): ${synthMs.toFixed(0)} ms`);
    console.log(`total: ${(parseMs + constructMs + synthMs).toFixed(0)} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
