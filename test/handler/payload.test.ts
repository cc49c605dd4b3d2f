/**
 * The handler's boundary (src/handler/payload.ts, main.ts): argv, environment, the chunked payload
 * and the manifest, each parsed once; a manifest that does not belong to the configuration being
 * applied is refused before any API call.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PAYLOAD_CHUNK_CHARS, PAYLOAD_CHUNKS, payloadChunkVar, SYNTH_FAILED_DIGEST, type InventoryPayload, type StackPayload } from "../../src/contracts/handler";
import { canonicalEqual } from "../../src/handler/context";
import { HandlerError } from "../../src/handler/errors";
import { main, type ApiFactory } from "../../src/handler/main";
import { MemoryMarkerStore } from "../../src/handler/markers";
import { decodePayload, parseOperation, parsePayload, parseRuntimeEnv, payloadFromEnv, readManifest } from "../../src/handler/payload";
import { formatFailure } from "../../src/handler/report";
import { anaEntry, encodePayload, entry, manifestOf, PBX_ENV, PBX_KEY, seedAcme, SETTINGS, tenantPayload, type FakeApi } from "./fake-api";

const ROOT = path.resolve(__dirname, "../..");
const UPGRADE_STATE = path.join(ROOT, "test", "fixtures", "upgrade-0.1", "upgrade-state.json");

function caught(run: () => unknown): HandlerError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(HandlerError);
    return e as HandlerError;
  }
  throw new Error("expected a failure");
}

function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The 0.1 layout's provisioner payloads `{ t: triggers_replace, i: input }`, by resource name, from the upgrade fixture. */
function legacyPayloads(): Map<string, { t: unknown; i: { kind: string } }> {
  const state = JSON.parse(fs.readFileSync(UPGRADE_STATE, "utf8")) as {
    resources: Array<{ name: string; instances: Array<{ attributes: { triggers_replace: { value: unknown }; input: { value: { kind: string } } } }> }>;
  };
  return new Map(state.resources.map((r) => [r.name, { t: r.instances[0].attributes.triggers_replace.value, i: r.instances[0].attributes.input.value }]));
}

const PAYLOAD = tenantPayload({ ...anaEntry(), "bruno@acme.test": entry(["customer.user", "recording.viewer"], { displayName: "Bruno" }) });

describe("payload decoding", () => {
  test("GIVEN base64 of gzip of a tenant's {t, i} (terraform_data) WHEN decoded THEN it is the tenant payload", () => {
    const parsed = decodePayload(encodePayload(PAYLOAD));
    expect(parsed.kind).toBe("tenant");
    expect(parsed.variant).toBe("terraform_data");
    expect(canonicalEqual(parsed.payload, PAYLOAD)).toBe(true);
  });

  test("GIVEN t and i as JSON strings (null_resource triggers are map(string)) WHEN decoded THEN they are parsed first and the variant says so", () => {
    const parsed = decodePayload(encodePayload({ t: JSON.stringify(PAYLOAD.t), i: JSON.stringify(PAYLOAD.i) }));
    expect(parsed).toEqual({ kind: "tenant", variant: "null_resource", payload: PAYLOAD });
  });

  test("GIVEN layout 2's nesting ({ t: { t, i }, i: null }) with t and i as JSON text WHEN decoded THEN the inner t and i are the payload", () => {
    const text = { t: JSON.stringify(PAYLOAD.t), i: JSON.stringify(PAYLOAD.i) };
    expect(decodePayload(encodePayload({ t: text, i: null }))).toEqual({ kind: "tenant", variant: "terraform_data", payload: PAYLOAD });
    expect(parsePayload({ t: text })).toEqual({ kind: "tenant", variant: "terraform_data", payload: PAYLOAD });
  });

  test("GIVEN layout 2's nesting with t and i as objects (a state written before they were text) WHEN decoded THEN it is the same payload, marked objectForm", () => {
    expect(decodePayload(encodePayload({ t: { t: PAYLOAD.t, i: PAYLOAD.i }, i: null }))).toEqual({ kind: "tenant", variant: "terraform_data", objectForm: true, payload: PAYLOAD });
    expect(parsePayload({ t: { t: PAYLOAD.t, i: PAYLOAD.i } })).toEqual({ kind: "tenant", variant: "terraform_data", objectForm: true, payload: PAYLOAD });
    expect(parsePayload({ t: { t: JSON.stringify(PAYLOAD.t), i: JSON.stringify(PAYLOAD.i) } })).not.toHaveProperty("objectForm");
  });

  test("GIVEN layout 2's nesting whose t is text that is not JSON WHEN decoded THEN PayloadInvalid says so", () => {
    expect(() => parsePayload({ t: { t: "{not json", i: JSON.stringify(PAYLOAD.i) } })).toThrow(/t is a string that does not hold JSON/);
  });

  test("GIVEN null optional attributes (as Terraform renders unset ones) WHEN decoded THEN they read as absent", () => {
    const t = { ...PAYLOAD.t, authoritative: null, users: { "ana@acme.test": { ...PAYLOAD.t.users["ana@acme.test"], origin: null, removal: null } } };
    const parsed = decodePayload(encodePayload({ t, i: { ...PAYLOAD.i, removalPolicy: null } }));
    expect(parsed.payload).toEqual({ t: { ...PAYLOAD.t, users: { "ana@acme.test": PAYLOAD.t.users["ana@acme.test"] } }, i: { ...PAYLOAD.i, removalPolicy: undefined } });
    expect((parsed.payload as typeof PAYLOAD).i).not.toHaveProperty("removalPolicy");
  });

  test("GIVEN a stack or an inventory payload WHEN decoded THEN each is recognised by its kind", () => {
    const stack: StackPayload = { t: { stack: "acme" }, i: { kind: "stack", settings: SETTINGS } };
    const inventory: InventoryPayload = { t: { objects: { "customer:GONE-002": { kind: "customer", reference: "GONE-002", removalPolicy: "disable" } } }, i: { kind: "inventory", settings: SETTINGS } };
    expect(decodePayload(encodePayload(stack))).toEqual({ kind: "stack", variant: "terraform_data", payload: stack });
    expect(decodePayload(encodePayload(inventory))).toEqual({ kind: "inventory", variant: "terraform_data", payload: inventory });
  });

  test("GIVEN the 0.1 layout's customer and user payloads WHEN decoded THEN they parse as legacy, keeping their kind", () => {
    const legacy = legacyPayloads();
    expect(decodePayload(encodePayload(legacy.get("customer"))).kind).toBe("legacy");
    const ana = decodePayload(encodePayload(legacy.get("ana")));
    expect(ana.kind).toBe("legacy");
    expect(ana.payload.i.kind).toBe("user");
  });

  test("GIVEN the 0.1 layout's inventories (with t.scope) WHEN decoded THEN they parse as legacy, not as an inventory that would release", () => {
    const legacy = legacyPayloads();
    for (const name of ["customer_users_9FBBCC96", "dimensions-customers"]) {
      const parsed = decodePayload(encodePayload(legacy.get(name)));
      expect({ name, kind: parsed.kind, i: parsed.payload.i }).toEqual({ name, kind: "legacy", i: { kind: "inventory" } });
    }
  });

  test("GIVEN a field of the wrong type WHEN decoded THEN PayloadInvalid names the field, never its value", () => {
    const t = { ...PAYLOAD.t, users: { "ana@acme.test": { roles: "user.admin-secretish" } } };
    const e = caught(() => decodePayload(encodePayload({ t, i: PAYLOAD.i })));
    expect(e.code).toBe("PayloadInvalid");
    expect(e.message).toMatch(/^tenant payload does not match the contract: t\.users\.ana@acme\.test: /);
    expect(e.message).not.toContain("user.admin-secretish");
    expect(e.hint).toBeDefined();
  });

  test("GIVEN an unset, a non-gzip or an unknown-kind payload WHEN decoded THEN PayloadInvalid says which", () => {
    expect(caught(() => decodePayload(undefined)).message).toBe("DIMENSIONS_PAYLOAD is not set or empty");
    expect(caught(() => decodePayload("bm90IGd6aXA=")).message).toMatch(/^DIMENSIONS_PAYLOAD is base64, but not of gzip data/);
    expect(caught(() => decodePayload(encodePayload({ t: {}, i: { kind: "bucket" } }))).message).toBe('i.kind is "bucket"; expected "tenant", "access-request", "stack" or "inventory"');
  });
});

describe("chunked payload environment", () => {
  test("GIVEN DIMENSIONS_PAYLOAD, DIMENSIONS_PAYLOAD_1 and _2 WHEN read THEN they are joined in order", () => {
    expect(payloadFromEnv({ DIMENSIONS_PAYLOAD: "aa", DIMENSIONS_PAYLOAD_1: "bb", DIMENSIONS_PAYLOAD_2: "cc" })).toBe("aabbcc");
  });

  test("GIVEN a payload longer than one chunk WHEN split as the provisioner splits it and read back THEN it decodes whole", () => {
    const big: Record<string, ReturnType<typeof entry>> = anaEntry();
    for (let i = 0; i < 4000; i++) big[`${i.toString(36)}-${sha256(String(i)).slice(0, 12)}@acme.test`] = entry(["customer.user", "recording.viewer"], { displayName: sha256(`n${i}`).slice(0, 20) });
    const encoded = encodePayload(tenantPayload(big));
    expect(encoded.length).toBeGreaterThan(PAYLOAD_CHUNK_CHARS);
    const env: NodeJS.ProcessEnv = {};
    for (let i = 0; i * PAYLOAD_CHUNK_CHARS < encoded.length; i++) env[payloadChunkVar(i)] = encoded.slice(i * PAYLOAD_CHUNK_CHARS, (i + 1) * PAYLOAD_CHUNK_CHARS);
    expect(env.DIMENSIONS_PAYLOAD_1).toBeDefined();

    const parsed = decodePayload(payloadFromEnv(env));

    expect(Object.keys((parsed.payload as ReturnType<typeof tenantPayload>).t.users)).toHaveLength(4001);
  });

  test("GIVEN no chunk set WHEN read THEN the payload is absent", () => {
    expect(payloadFromEnv({})).toBeUndefined();
  });

  test("GIVEN every chunk full WHEN read THEN PayloadTooLarge: the payload may be cut", () => {
    const env: NodeJS.ProcessEnv = {};
    for (let i = 0; i < PAYLOAD_CHUNKS; i++) env[payloadChunkVar(i)] = "A".repeat(PAYLOAD_CHUNK_CHARS);
    const e = caught(() => payloadFromEnv(env));
    expect(e.code).toBe("PayloadTooLarge");
    expect(e.hint).toMatch(/split the customer's users/);
  });

  test("GIVEN every chunk but the last full WHEN read THEN it is not too large", () => {
    const env: NodeJS.ProcessEnv = {};
    for (let i = 0; i < PAYLOAD_CHUNKS; i++) env[payloadChunkVar(i)] = "A".repeat(i === PAYLOAD_CHUNKS - 1 ? PAYLOAD_CHUNK_CHARS - 1 : PAYLOAD_CHUNK_CHARS);
    expect(payloadFromEnv(env)).toHaveLength(PAYLOAD_CHUNKS * PAYLOAD_CHUNK_CHARS - 1);
  });
});

describe("manifest", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-manifest-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(content: string | Buffer): { file: string; digest: string } {
    const file = path.join(dir, "dimensions.manifest.json");
    fs.writeFileSync(file, content);
    return { file, digest: sha256(fs.readFileSync(file)) };
  }

  test("GIVEN the manifest and its digest WHEN read THEN its entries are the payloads", () => {
    const { file, digest } = write(JSON.stringify(manifestOf(PAYLOAD)));
    const manifest = readManifest(file, digest);
    expect(manifest.version).toBe(2);
    expect(manifest.objects["customer:ACME-001"]).toEqual(PAYLOAD);
    expect(manifest.objects["customer:NOPE"]).toBeUndefined();
  });

  test("GIVEN a manifest that starts with a UTF-8 byte-order mark WHEN read with the digest of its bytes THEN it is accepted", () => {
    const { file, digest } = write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(manifestOf(PAYLOAD)))]));
    expect(readManifest(file, digest).objects["customer:ACME-001"]).toEqual(PAYLOAD);
  });

  test("GIVEN the digest of a synth with errors WHEN read THEN SynthFailed, whatever the file holds", () => {
    const { file } = write(JSON.stringify(manifestOf(PAYLOAD)));
    expect(caught(() => readManifest(file, SYNTH_FAILED_DIGEST)).code).toBe("SynthFailed");
    expect(caught(() => readManifest(path.join(dir, "absent.json"), SYNTH_FAILED_DIGEST)).code).toBe("SynthFailed");
  });

  test("GIVEN no digest WHEN read THEN ManifestMismatch: the manifest cannot be matched to the configuration", () => {
    const { file } = write(JSON.stringify(manifestOf(PAYLOAD)));
    const e = caught(() => readManifest(file, undefined));
    expect(e.code).toBe("ManifestMismatch");
    expect(e.message).toMatch(/DIMENSIONS_MANIFEST_DIGEST is not set/);
  });

  test("GIVEN another configuration's digest WHEN read THEN ManifestMismatch says nothing is sent", () => {
    const { file, digest } = write(JSON.stringify(manifestOf(PAYLOAD)));
    const e = caught(() => readManifest(file, sha256("another manifest")));
    expect(e.code).toBe("ManifestMismatch");
    expect(e.message).toMatch(new RegExp(`digest ${digest.slice(0, 12)}…, expected ${sha256("another manifest").slice(0, 12)}…\\); nothing is sent$`));
  });

  test("GIVEN no manifest variable or no file WHEN read THEN ManifestMissing tells to re-run synth", () => {
    expect(caught(() => readManifest(undefined, "d")).code).toBe("ManifestMissing");
    const e = caught(() => readManifest(path.join(dir, "no-such.json"), "d"));
    expect(e.code).toBe("ManifestMissing");
    expect(e.message).toMatch(/ENOENT/);
    expect(e.hint).toMatch(/^re-run "cdktf synth"/);
  });

  test("GIVEN a manifest read once (the warm handler's memo) WHEN the file is rewritten with other bytes of the same size THEN the digest is checked again: ManifestMismatch", () => {
    const text = JSON.stringify(manifestOf(PAYLOAD));
    const { file, digest } = write(text);
    expect(readManifest(file, digest).objects["customer:ACME-001"]).toEqual(PAYLOAD);
    expect(readManifest(file, digest).objects["customer:ACME-001"]).toEqual(PAYLOAD);
    // Same length, one character changed, written in place (same inode).
    const other = text.replace("Bruno", "Brunp");
    expect(other.length).toBe(text.length);
    fs.writeFileSync(file, other);
    expect(caught(() => readManifest(file, digest)).code).toBe("ManifestMismatch");
    // And a file put back with the digest's bytes is accepted again.
    fs.writeFileSync(file, text);
    expect(readManifest(file, digest).objects["customer:ACME-001"]).toEqual(PAYLOAD);
  });

  test("GIVEN a manifest of version 1 WHEN read THEN ManifestInvalid at once", () => {
    const { file, digest } = write(JSON.stringify({ ...manifestOf(PAYLOAD), version: 1 }));
    const e = caught(() => readManifest(file, digest));
    expect(e.code).toBe("ManifestInvalid");
    expect(e.message).toMatch(/version/);
  });

  test("GIVEN a manifest entry that does not match the contract WHEN that entry is read THEN ManifestInvalid names the entry", () => {
    const { file, digest } = write(JSON.stringify({ version: 2, stack: "test", objects: { "customer:ACME-001": PAYLOAD, "customer:BAD": { t: {}, i: { kind: "tenant" } } } }));
    const manifest = readManifest(file, digest);
    expect(manifest.objects["customer:ACME-001"]).toEqual(PAYLOAD);
    const e = caught(() => manifest.objects["customer:BAD"]);
    expect(e.code).toBe("ManifestInvalid");
    expect(e.message).toMatch(/entry "customer:BAD"/);
  });
});

describe("argv and runtime environment", () => {
  test("GIVEN apply or release WHEN parsed THEN accepted; anything else is UsageInvalid", () => {
    expect(parseOperation(["release"])).toBe("release");
    expect(caught(() => parseOperation(["destroy"])).code).toBe("UsageInvalid");
    expect(caught(() => parseOperation(["apply", "extra"])).code).toBe("UsageInvalid");
  });

  test("GIVEN no runtime variables WHEN parsed THEN concurrency 4, a 30-minute run bound and log level info", () => {
    expect(parseRuntimeEnv({})).toEqual({ concurrency: 4, handlerTimeoutSeconds: 1800, logLevel: "info" });
    expect(parseRuntimeEnv({ DIMENSIONS_CONCURRENCY: "16", DIMENSIONS_HANDLER_TIMEOUT_SECONDS: "60", DIMENSIONS_LOG_LEVEL: "debug" })).toEqual({ concurrency: 16, handlerTimeoutSeconds: 60, logLevel: "debug" });
  });

  test("GIVEN a run bound below 10 s WHEN parsed THEN EnvInvalid names the variable", () => {
    expect(() => parseRuntimeEnv({ DIMENSIONS_HANDLER_TIMEOUT_SECONDS: "3" })).toThrow(/DIMENSIONS_HANDLER_TIMEOUT_SECONDS/);
  });

  test.each(["0", "65", "soon", "2.5"])("GIVEN DIMENSIONS_CONCURRENCY=%s WHEN parsed THEN EnvInvalid", (value) => {
    expect(caught(() => parseRuntimeEnv({ DIMENSIONS_CONCURRENCY: value })).code).toBe("EnvInvalid");
  });

  test("canonical equality ignores key order and null-vs-absent, not array order", () => {
    expect(canonicalEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(canonicalEqual({ a: 1, x: null }, { a: 1 })).toBe(true);
    expect(canonicalEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(canonicalEqual({ a: 1 }, { a: "1" })).toBe(false);
  });
});

describe("main", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-handler-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function manifestFile(content: string): { file: string; digest: string } {
    const file = path.join(dir, "dimensions.manifest.json");
    fs.writeFileSync(file, content);
    return { file, digest: sha256(content) };
  }

  function run(argv: string[], env: NodeJS.ProcessEnv, api?: FakeApi) {
    const out: string[] = [];
    const err: string[] = [];
    const created: unknown[] = [];
    const createApi: ApiFactory = async (_env, settings) => {
      created.push(settings);
      if (!api) throw new Error("no API in this test");
      return api;
    };
    const code = main(argv, env, { sink: { out: (l) => out.push(l), err: (l) => err.push(l) }, createApi, markers: new MemoryMarkerStore() });
    return { code, out, err, created };
  }

  test("GIVEN a tenant payload and its manifest WHEN main applies it THEN the API is built from its settings, the tenant converges, and it exits 0", async () => {
    const { api, cid } = seedAcme();
    const { file, digest } = manifestFile(JSON.stringify(manifestOf(PAYLOAD)));

    const r = run(["apply"], { DIMENSIONS_PAYLOAD: encodePayload(PAYLOAD), DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: digest, [PBX_ENV]: PBX_KEY }, api);

    expect({ code: await r.code, err: r.err }).toEqual({ code: 0, err: [] });
    expect(r.created).toEqual([{ region: "eu", acceptCharges: true }]);
    expect(api.roles(cid, "bruno@acme.test")).toEqual(["customer.user", "recording.viewer"]);
  });

  test("GIVEN a manifest of another configuration WHEN main runs THEN ManifestMismatch before any API is built, and it exits 1", async () => {
    const { api } = seedAcme();
    const { file } = manifestFile(JSON.stringify(manifestOf(PAYLOAD)));

    const r = run(["release"], { DIMENSIONS_PAYLOAD: encodePayload(PAYLOAD), DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: sha256("old") }, api);

    expect(await r.code).toBe(1);
    expect(r.created).toEqual([]);
    expect(api.calls).toEqual([]);
    expect(r.err[0]).toMatch(/^dimensions: ManifestMismatch: the manifest .* does not belong to the configuration being applied/);
  });

  test("GIVEN a synth with errors WHEN main runs THEN SynthFailed before any API is built", async () => {
    const { file } = manifestFile(JSON.stringify(manifestOf(PAYLOAD)));
    const r = run(["apply"], { DIMENSIONS_PAYLOAD: encodePayload(PAYLOAD), DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: SYNTH_FAILED_DIGEST });
    expect(await r.code).toBe(1);
    expect(r.created).toEqual([]);
    expect(r.err[0]).toMatch(/^dimensions: SynthFailed: /);
  });

  test("GIVEN a 0.1 layout resource WHEN main releases it THEN nothing is released and no API is built", async () => {
    const { file, digest } = manifestFile(JSON.stringify(manifestOf(PAYLOAD)));
    const r = run(["release"], { DIMENSIONS_PAYLOAD: encodePayload(legacyPayloads().get("bruno")), DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: digest });
    expect(await r.code).toBe(0);
    expect(r.created).toEqual([]);
    expect(r.out).toEqual(["dimensions: user of the 0.1 layout: replaced by the per-customer layout: nothing released"]);
  });

  test("GIVEN a create with DIMENSIONS_OBJECT_KEY and no payload WHEN main applies THEN the manifest's entry for that key is applied", async () => {
    const { api, cid } = seedAcme();
    const { file, digest } = manifestFile(JSON.stringify(manifestOf(PAYLOAD)));
    const r = run(["apply"], { DIMENSIONS_OBJECT_KEY: "customer:ACME-001", DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: digest, [PBX_ENV]: PBX_KEY }, api);
    expect({ code: await r.code, err: r.err }).toEqual({ code: 0, err: [] });
    expect(api.roles(cid, "bruno@acme.test")).toEqual(["customer.user", "recording.viewer"]);
  });

  test("GIVEN a create whose key the manifest does not list WHEN main applies THEN ManifestMismatch before any API", async () => {
    const { file, digest } = manifestFile(JSON.stringify(manifestOf(PAYLOAD)));
    const r = run(["apply"], { DIMENSIONS_OBJECT_KEY: "customer:OTHER-001", DIMENSIONS_MANIFEST: file, DIMENSIONS_MANIFEST_DIGEST: digest });
    expect(await r.code).toBe(1);
    expect(r.err[0]).toMatch(/^dimensions: ManifestMismatch: the manifest lists no object "customer:OTHER-001"/);
    expect(r.created).toEqual([]);
  });

  test("GIVEN a bad payload WHEN main runs THEN one coded line plus a hint on stderr, never a secret, and exit 1", async () => {
    const secret = "client-secret-very-long-123";
    const r = run(["apply"], { DIMENSIONS_PAYLOAD: encodePayload({ t: { note: secret }, i: { kind: "tenant" } }), DIMENSIONS_CLIENT_SECRET: secret });
    expect(await r.code).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([expect.stringMatching(/^dimensions: PayloadInvalid: tenant payload does not match the contract: /), expect.stringMatching(/^dimensions: hint: /)]);
    expect(r.err.join("\n")).not.toContain(secret);
  });

  test("GIVEN a manifest path that does not exist WHEN main runs THEN ManifestMissing with the re-run hint", async () => {
    const r = run(["release"], { DIMENSIONS_PAYLOAD: encodePayload(PAYLOAD), DIMENSIONS_MANIFEST: path.join(dir, "missing.json"), DIMENSIONS_MANIFEST_DIGEST: "d" });
    expect(await r.code).toBe(1);
    expect(r.err[0]).toMatch(/^dimensions: ManifestMissing: cannot read the manifest .*missing\.json \(ENOENT\)$/);
    expect(r.err[1]).toMatch(/^dimensions: hint: re-run "cdktf synth"/);
  });

  test("GIVEN a bad payload WHEN run as Terraform runs it (a child process) THEN exit 1 with one coded line", () => {
    const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
    const result = spawnSync(tsx, [path.join(ROOT, "src", "handler", "main.ts"), "apply"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DIMENSIONS_PAYLOAD: "definitely not a payload", DIMENSIONS_MANIFEST: path.join(dir, "m.json") },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^dimensions: PayloadInvalid: DIMENSIONS_PAYLOAD is not base64 \(.+\)$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^dimensions: hint: /)]);
  });
});

test("formatFailure: code, rule, subject, message (the synth findings' order); hint on its own line", () => {
  const e = new HandlerError("LastUserAdministrator", "There must be at least one\nuser administrator.", { rule: "U4", subject: "user ana@acme.test (ACME-001)", hint: "keep one" });
  expect(formatFailure(e)).toEqual([
    "dimensions: LastUserAdministrator [U4]: user ana@acme.test (ACME-001): There must be at least one user administrator.",
    "dimensions: hint: keep one",
  ]);
});
