/**
 * What the export's unit tests share: a snapshot's customers and users as the reader keeps them,
 * the render options, and an in-process synth of a rendered app (as `cdktf synth` runs it, the
 * synth rules included: a refused declaration throws).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decodeUserEntry, manifest as manifestSchema, type UserEntry } from "../../src/contracts/handler";
import { ExportError } from "../../src/cli/export/codes";
import { planExport, type ExportPlan, type PlanOptions } from "../../src/cli/export/plan";
import type { SnapshotCustomer, SnapshotUser } from "../../src/cli/export/read";
import type { RenderOptions } from "../../src/cli/export/render";
import { useFakeHandlerBundle } from "../constructs/helpers";

const ROOT = path.resolve(__dirname, "../..");
export const PBX = { hostRest: "https://pbx.big.test", hostWebsocket: "wss://pbx.big.test", accountId: "big-pbx" };
export const ADMIN = ["customer.user", "user.admin"];
export const RENDER: RenderOptions = {
  command: "dimensions export --all --region eu",
  readAt: "2026-01-05T10:00:00.000Z",
  source: "https://api.eu.myreports.cloud",
  region: "eu",
  versions: { self: "^0.1.0", cdktf: "^0.21.0", constructs: "^10.4.2", cdktfCli: "^0.21.0", tsx: "^4.0.0", typescript: "~5.9.3", typesNode: "^20.0.0" },
};

export function user(email: string, roles: string[], displayName = email.split("@")[0]): SnapshotUser {
  return { email, displayName, roles: [...roles].sort() };
}

export function customer(reference: string, users: SnapshotUser[], extra: Partial<SnapshotCustomer> = {}): SnapshotCustomer {
  return { reference, name: `${reference} Ltd`, description: "exported", enabled: true, timezone: "Europe/Paris", countryCode: "FR", syncAcdAgentWithPbx: false, pbx: PBX, users, ...extra };
}

export function plan(customers: SnapshotCustomer[], options: PlanOptions = {}): ExportPlan {
  return planExport({ customers }, options);
}

export function only(p: ExportPlan, email: string) {
  const found = p.customers.flatMap((c) => c.users).find((u) => u.email === email);
  if (!found) throw new Error(`${email} is not in the plan`);
  return found;
}

export function thrown(f: () => unknown): ExportError {
  try {
    f();
  } catch (e) {
    if (e instanceof ExportError) return e;
    throw e;
  }
  throw new Error("expected an ExportError");
}

/**
 * Synthesizes a rendered app in this process, as `cdktf synth` would (its import of
 * cdktf-dimensions pointed at the sources), and returns each customer's users from the manifest.
 */
export function synthesize(files: Map<string, string>): Map<string, Record<string, UserEntry>> {
  useFakeHandlerBundle();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-export-unit-"));
  for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), name === "main.ts" ? text.replace('from "cdktf-dimensions"', `from ${JSON.stringify(path.join(ROOT, "src"))}`).replace('from "cdktf"', `from ${JSON.stringify(require.resolve("cdktf"))}`) : text);
  const outdir = path.join(dir, "cdktf.out");
  const previous = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = outdir;
  try {
    jest.isolateModules(() => {
      // The app runs as its own module, like `npx tsx main.ts`.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(dir, "main.ts"));
    });
  } finally {
    if (previous === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = previous;
  }
  const parsed = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "customers", "dimensions.manifest.json"), "utf8")));
  const out = new Map<string, Record<string, UserEntry>>();
  for (const object of Object.values(parsed.objects)) {
    if (object.i.kind !== "tenant") continue;
    const t = object.t as { customer: { reference: string }; users: Record<string, unknown> };
    out.set(t.customer.reference, Object.fromEntries(Object.entries(t.users).map(([email, entry]) => [email, typeof entry === "string" ? decodeUserEntry(entry) : entry])) as Record<string, UserEntry>);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}
