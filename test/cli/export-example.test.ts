/**
 * examples/export/main.ts, which the README shows as what `dimensions export` writes, is the
 * generator's output for the README's tenant (scripts/export-example.ts; `npm run docs` rewrites
 * it), and it synthesizes to exactly that tenant.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { manifest as manifestSchema, type UserEntry } from "../../src/contracts/handler";
import { ACME_TENANT, EXPORT_EXAMPLE_FILE, renderExportExample } from "../../scripts/export-example";
import { useFakeHandlerBundle } from "../constructs/helpers";

const ROOT = path.resolve(__dirname, "../..");

test(`${EXPORT_EXAMPLE_FILE} is what the export writes for the README's tenant (otherwise run \`npm run docs\`)`, () => {
  expect(fs.readFileSync(path.join(ROOT, EXPORT_EXAMPLE_FILE), "utf8")).toBe(renderExportExample());
});

test(`${EXPORT_EXAMPLE_FILE} synthesizes the tenant it was exported from: its users, their roles less the server's own (U13), the PBX user adopted (H7), each user's devices exactly (U14)`, () => {
  useFakeHandlerBundle();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-export-example-"));
  const previous = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = outdir;
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(ROOT, EXPORT_EXAMPLE_FILE));
    });
  } finally {
    if (previous === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = previous;
  }
  const parsed = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "customers", "dimensions.manifest.json"), "utf8")));
  const tenant = Object.values(parsed.objects).find((o) => o.i.kind === "tenant")!.t as { customer: Record<string, unknown>; users: Record<string, UserEntry> };
  fs.rmSync(outdir, { recursive: true, force: true });

  const { users: _users, pbx, ...settings } = ACME_TENANT;
  expect(tenant.customer).toEqual({ ...settings, pbx: { ...pbx, apiKeyEnv: "ACME_001_KAZOO_API_KEY" } });
  // The manifest's schema decodes each user's rendered line.
  expect(tenant.users).toEqual({
    "ana.martin@acme.example": { displayName: "Ana Martin", roles: ["customer.user", "customer.user.supervisorl1", "user.admin"], primary: true, softphones: [] },
    "bruno.petit@acme.example": { displayName: "Bruno Petit", roles: ["customer.user", "customer.user.supervisorl2", "recording.viewer"], softphones: [] },
    "carla.rossi@acme.example": { displayName: "Carla Rossi", roles: ["customer.user", "customer.user.supervisorl4", "pbx.agentcontrol", "pbx.silentmonitor"], softphones: [] },
    "reception@acme.example": {
      displayName: "Reception Desk",
      roles: ["customer.user", "customer.user.uc", "customer.user.uc.softphone"],
      origin: "adopted",
      softphones: [{ device: "b5f1c2d3e4a5968778695a4b3c2d1e0f", clientType: "webrtc" }],
    },
  });
});
