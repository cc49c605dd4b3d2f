import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { canonicalEqual } from "../../src/handler/context";
import { HandlerError } from "../../src/handler/errors";
import { main } from "../../src/handler/main";
import { decodePayload, parseOperation, parseRuntimeEnv, readManifest } from "../../src/handler/payload";
import { formatFailure } from "../../src/handler/report";
import { ADMIN, customerPayload, encodePayload, FakeApi, manifestOf, REF, SETTINGS, userPayload } from "./fake-api";

const ROOT = path.resolve(__dirname, "../..");

function caught(run: () => unknown): HandlerError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(HandlerError);
    return e as HandlerError;
  }
  throw new Error("expected a failure");
}

describe("payload decoding", () => {
  test("decodes base64 of gzip of JSON {t, i} (terraform_data)", () => {
    const p = userPayload("ana@acme.test", ADMIN, { i: { primary: true } });
    const parsed = decodePayload(encodePayload(p));
    expect(parsed.kind).toBe("user");
    expect(canonicalEqual(parsed.payload, p)).toBe(true);
  });

  test("t and i given as JSON strings (null_resource triggers are map(string)) are parsed first", () => {
    const p = customerPayload();
    const parsed = decodePayload(encodePayload({ t: JSON.stringify(p.t), i: JSON.stringify(p.i) }));
    expect(parsed).toEqual({ kind: "customer", variant: "null_resource", payload: p });
  });

  test("null optional attributes (as Terraform renders unset ones) are accepted", () => {
    const p = customerPayload();
    const parsed = decodePayload(encodePayload({ t: { ...p.t, countryCode: null }, i: p.i }));
    expect(parsed.payload).toEqual(p);
  });

  test("an inventory payload is parsed with its objects", () => {
    const ana = userPayload("ana@acme.test", ADMIN);
    const inv = { t: { scope: "users", customer: REF, keys: ["user:ACME-001/ana@acme.test"] }, i: { kind: "inventory", objects: { "user:ACME-001/ana@acme.test": ana }, settings: SETTINGS } };
    expect(decodePayload(encodePayload(inv)).kind).toBe("inventory");
  });

  test("PayloadInvalid names the field that is wrong, not its value", () => {
    const p = userPayload("ana@acme.test", ADMIN);
    const e = caught(() => decodePayload(encodePayload({ t: { ...p.t, roles: "user.admin" }, i: p.i })));
    expect(e.code).toBe("PayloadInvalid");
    expect(e.message).toMatch(/^user payload does not match the contract: t\.roles: /);
    expect(e.hint).toBeDefined();
  });

  test("PayloadInvalid for an unset, non-gzip or unknown-kind payload", () => {
    expect(caught(() => decodePayload(undefined)).message).toBe("DIMENSIONS_PAYLOAD is not set or empty");
    expect(caught(() => decodePayload("bm90IGd6aXA=")).message).toMatch(/^DIMENSIONS_PAYLOAD is not base64 of gzip data/);
    expect(caught(() => decodePayload(encodePayload({ t: {}, i: { kind: "bucket" } }))).message).toBe('i.kind is "bucket"; expected "customer", "user", "access-request" or "inventory"');
  });

  test("ManifestMissing tells to re-run synth", () => {
    const e = caught(() => readManifest(path.join(os.tmpdir(), "no-such-dir", "dimensions.manifest.json")));
    expect(e.code).toBe("ManifestMissing");
    expect(e.message).toMatch(/ENOENT/);
    expect(e.hint).toMatch(/^re-run "cdktf synth"/);
  });

  test("argv and runtime environment are validated", () => {
    expect(parseOperation(["release"])).toBe("release");
    expect(caught(() => parseOperation(["destroy"])).code).toBe("UsageInvalid");
    expect(parseRuntimeEnv({})).toEqual({ adminWaitSeconds: 120, logLevel: "info" });
    expect(parseRuntimeEnv({ DIMENSIONS_ADMIN_WAIT_SECONDS: "5", DIMENSIONS_LOG_LEVEL: "debug" })).toEqual({ adminWaitSeconds: 5, logLevel: "debug" });
    expect(caught(() => parseRuntimeEnv({ DIMENSIONS_ADMIN_WAIT_SECONDS: "soon" })).code).toBe("EnvInvalid");
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

  test("parses env once, reads the manifest, runs the operation and exits 0", async () => {
    const api = new FakeApi();
    const customer = customerPayload();
    const manifestFile = path.join(dir, "dimensions.manifest.json");
    fs.writeFileSync(manifestFile, JSON.stringify(manifestOf(customer)));
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["apply"], { DIMENSIONS_PAYLOAD: encodePayload(customer), DIMENSIONS_MANIFEST: manifestFile, ACME_KAZOO_KEY: "kazoo-secret-7f3a9b" }, {
      sink: { out: (l) => out.push(l), err: (l) => err.push(l) },
      createApi: async (_env, settings) => {
        expect(settings).toEqual({ region: "eu", acceptCharges: true });
        return api;
      },
    });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toHaveLength(1);
    expect(api.customers.size).toBe(1);
  });

  test("a failure prints one coded line plus a hint on stderr, never a secret, and exits 1", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const secret = "client-secret-very-long-123";
    const code = await main(["apply"], { DIMENSIONS_PAYLOAD: encodePayload({ t: {}, i: { kind: "user", note: secret } }), DIMENSIONS_CLIENT_SECRET: secret }, {
      sink: { out: (l) => out.push(l), err: (l) => err.push(l) },
      createApi: async () => new FakeApi(),
    });
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(2);
    expect(err[0]).toMatch(/^dimensions: PayloadInvalid: user payload does not match the contract: /);
    expect(err.join("\n")).not.toContain(secret);
  });

  test("ManifestMissing from main", async () => {
    const err: string[] = [];
    const code = await main(["release"], { DIMENSIONS_PAYLOAD: encodePayload(customerPayload()), DIMENSIONS_MANIFEST: path.join(dir, "missing.json") }, { sink: { out: () => undefined, err: (l) => err.push(l) } });
    expect(code).toBe(1);
    expect(err[0]).toMatch(/^dimensions: ManifestMissing: cannot read the manifest .*missing\.json \(ENOENT\)$/);
    expect(err[1]).toMatch(/^dimensions: hint: re-run "cdktf synth"/);
  });

  test("run as Terraform runs it (a child process): a bad payload exits 1 with one coded line", () => {
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
    expect(lines[0]).toMatch(/^dimensions: PayloadInvalid: DIMENSIONS_PAYLOAD is not base64 of gzip data \(.+\)$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^dimensions: hint: /)]);
  });
});

test("formatFailure: rule, code, subject, message; hint on its own line", () => {
  const e = new HandlerError("LastUserAdministrator", "There must be at least one\nuser administrator.", { rule: "U4", subject: "user ana@acme.test (ACME-001)", hint: "keep one" });
  expect(formatFailure(e)).toEqual([
    "dimensions: [U4] LastUserAdministrator: user ana@acme.test (ACME-001): There must be at least one user administrator.",
    "dimensions: hint: keep one",
  ]);
});
