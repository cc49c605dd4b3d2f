/**
 * `dimensions export` with softphones (U14): a user's PBX devices, where the API's answer reports
 * them, are declared exactly (main.ts with ClientType constants, or a CSV `softphones` column read
 * back by CustomerUsersFromCsv's parser); an answer without the field leaves them undeclared with
 * one notice; devices the code could not declare (U7, U14) are left undeclared with the reason; and
 * the self-check through the reconcile layer sees devices. Each rendered app is synthesized in
 * process, the synth rules included.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runExport } from "../../src/cli/export/command";
import { planExport, proveExact, type ExportPlan } from "../../src/cli/export/plan";
import { readTenants, type SnapshotUser } from "../../src/cli/export/read";
import { renderApp } from "../../src/cli/export/render";
import { parseUsersCsv } from "../../src/validation/csv";
import { FakeApi } from "../handler/fake-api";
import { ADMIN, customer, only, PBX, plan, RENDER, synthesize, user } from "./export-helpers";

const UC = ["customer.user", "customer.user.uc", "customer.user.uc.softphone"];

function holding(u: SnapshotUser, ...devices: string[]): SnapshotUser {
  return { ...u, devices: devices.map((d) => ({ device: d.slice(0, d.lastIndexOf(":")), clientType: d.slice(d.lastIndexOf(":") + 1) })) };
}

const codes = (p: ExportPlan, code: string) => p.notices.filter((n) => n.code === code);

describe("U14: devices the API reports", () => {
  const tenant = () => [
    customer("ACME-001", [
      holding(user("ana@acme.test", ADMIN)),
      holding(user("bo@acme.test", UC, "Bo"), "1002:mobile", "1001:desktop"),
      holding(user("pbx@acme.test", ["customer.user.pbx", ...UC]), "b5f1c2d3e4a5968778695a4b3c2d1e0f:webrtc"),
    ]),
  ];

  test("U14: GIVEN users holding devices WHEN exported THEN each declares exactly its softphones, by device, with ClientType constants, and the app synthesizes them", () => {
    const p = plan(tenant());
    expect(only(p, "bo@acme.test").softphones).toEqual([
      { device: "1001", clientType: "desktop" },
      { device: "1002", clientType: "mobile" },
    ]);
    expect(p.notices).toEqual([]);
    const files = renderApp(p, RENDER);
    const main = files.get("main.ts")!;
    expect(main).toContain('import { ClientType, Customer, CustomerUser, DimensionsStack, RoleBundle } from "cdktf-dimensions";');
    expect(main).toMatch(
      /new CustomerUser\(acme001, "bo@acme\.test", \{\n[^}]*roles: \[RoleBundle\.UC_SOFTPHONE\],\n {2}softphones: \[\n {4}\{ device: "1001", clientType: ClientType\.DESKTOP \},\n {4}\{ device: "1002", clientType: ClientType\.MOBILE \},\n {2}\],\n\}\);/,
    );
    expect(main).toMatch(/CustomerUser\.adopt\(acme001, "pbx@acme\.test", \{[\s\S]*?clientType: ClientType\.WEBRTC \},\n {2}\],\n\}\);/);
    expect(main).toMatch(/\/\/ - Softphones \(U14\): each user's PBX devices as the API reported them, `softphones: \[\]` for/);

    const users = synthesize(files).get("ACME-001")!;
    expect(users["bo@acme.test"].softphones).toEqual([
      { device: "1001", clientType: "desktop" },
      { device: "1002", clientType: "mobile" },
    ]);
    expect(users["pbx@acme.test"]).toMatchObject({ origin: "adopted", softphones: [{ device: "b5f1c2d3e4a5968778695a4b3c2d1e0f", clientType: "webrtc" }] });
  });

  test("U14: GIVEN a user whose answer reports no device WHEN exported THEN it declares softphones: [] (the code holds its devices exactly, as it holds its roles)", () => {
    const p = plan(tenant());
    expect(only(p, "ana@acme.test").softphones).toEqual([]);
    const main = renderApp(p, RENDER).get("main.ts")!;
    expect(main).toMatch(/new CustomerUser\(acme001, "ana@acme\.test", \{[^}]*primaryAdmin: true,[^\n]*\n {2}softphones: \[\],\n\}\);/);
    expect(synthesize(renderApp(p, RENDER)).get("ACME-001")!["ana@acme.test"].softphones).toEqual([]);
  });

  test("U7: GIVEN a device holder with customer.user.uc and customer.user.uc.softphone WHEN exported THEN it is declared, without a notice", () => {
    const p = plan([customer("ACME-001", [user("ana@acme.test", ADMIN), holding(user("bo@acme.test", UC), "1001:crm")])]);
    expect(only(p, "bo@acme.test")).toMatchObject({ softphones: [{ device: "1001", clientType: "crm" }] });
    expect(only(p, "bo@acme.test").softphonesUndeclared).toBeUndefined();
    expect(codes(p, "ExportSoftphonesUndeclared")).toEqual([]);
  });

  test("the self-check covers devices: a declaration that differs from the devices read is reported as ExportInexact, naming each assign and unassign", () => {
    const live = tenant();
    const p = plan(live);
    const bo = only(p, "bo@acme.test");
    const changed = {
      customers: p.customers.map((c) => ({
        ...c,
        users: c.users.map((u) => (u === bo ? { ...u, softphones: [{ device: "1001", clientType: "webrtc" as const }] } : u.email === "ana@acme.test" ? { ...u, softphones: undefined } : u)),
      })),
    };
    expect(proveExact(changed, { customers: live }).map((n) => [n.code, n.message].join(": ")).sort()).toEqual([
      "ExportInexact: apply would assign softphone 1001 (webrtc) of user bo@acme.test (declared)",
      "ExportInexact: apply would unassign softphone 1001 (desktop) of user bo@acme.test (its client type changes)",
      "ExportInexact: apply would unassign softphone 1002 (mobile) of user bo@acme.test (not declared)",
    ]);
  });
});

describe("U14: answers without devices", () => {
  test("U14: GIVEN answers that lack the devices field WHEN exported THEN softphones are left undeclared, never guessed, and one notice says so for the whole export", () => {
    const p = plan([customer("A", [user("ana@a.test", ADMIN), user("bo@a.test", UC)]), customer("B", [user("cy@b.test", ADMIN)])]);
    expect(p.customers.flatMap((c) => c.users).map((u) => u.softphones)).toEqual([undefined, undefined, undefined]);
    expect(codes(p, "ExportDevicesNotReported")).toEqual([
      {
        code: "ExportDevicesNotReported",
        message:
          "the API's answers for 3 users (A: 2, B: 1) do not report their PBX devices as a list of { deviceId, clientType } (the devices field is ours, API contract §4): their softphones are left undeclared, and the app leaves their devices alone",
      },
    ]);
    expect(codes(p, "ExportInexact")).toEqual([]);
    const files = renderApp(p, RENDER);
    const main = files.get("main.ts")!;
    expect(main).not.toMatch(/softphones:|ClientType/);
    expect(main).toContain("// - The API did not report the PBX devices of 3 users: their softphones are left\n//   undeclared, and the app leaves their devices alone (U14).");
    expect(Object.values(synthesize(files).get("A")!).map((e) => "softphones" in e)).toEqual([false, false]);
  });

  test("U14: GIVEN one user's answer with devices and another's without WHEN exported THEN the first declares them and only the second is counted in the notice", () => {
    const p = plan([customer("A", [holding(user("ana@a.test", ADMIN)), user("bo@a.test", UC)])]);
    expect([only(p, "ana@a.test").softphones, only(p, "bo@a.test").softphones]).toEqual([[], undefined]);
    expect(codes(p, "ExportDevicesNotReported").map((n) => n.message)).toEqual([expect.stringMatching(/^the API's answers for 1 user \(A: 1\) do not report/)]);
  });
});

describe("devices the code could not declare", () => {
  test("U7: GIVEN a user holding a device without customer.user.uc.softphone WHEN exported THEN its softphones are left undeclared with the reason, the app still synthesizes, and applying it changes nothing (the handler reads no device of a user whose softphones the code leaves alone)", () => {
    const p = plan([customer("ACME-001", [holding(user("ana@acme.test", ADMIN)), holding(user("bo@acme.test", ["customer.user", "customer.user.uc"]), "1001:desktop")])]);
    const bo = only(p, "bo@acme.test");
    expect(bo.softphones).toBeUndefined();
    expect(bo.softphonesUndeclared).toBe("1001 (desktop) needs customer.user.uc.softphone, which the user does not hold (U7)");
    expect(codes(p, "ExportSoftphonesUndeclared")).toEqual([
      {
        code: "ExportSoftphonesUndeclared",
        reference: "ACME-001",
        message: "the devices of 1 user are left undeclared, as code could not declare them, and the app leaves them alone: bo@acme.test: 1001 (desktop) needs customer.user.uc.softphone, which the user does not hold (U7)",
      },
    ]);
    expect(codes(p, "ExportInexact")).toEqual([]);
    const files = renderApp(p, RENDER);
    expect(files.get("main.ts")).toMatch(/new CustomerUser\(acme001, "bo@acme\.test", \{[^}]*\n {2}\/\/ softphones left undeclared: 1001 \(desktop\) needs customer\.user\.uc\.softphone, which the user does not hold \(U7\)\n\}\);/);
    expect(files.get("main.ts")).toContain("// - The devices of 1 user could not be declared (U7/U14), so the app leaves them alone: the user's block says why.");
    expect(synthesize(files).get("ACME-001")!["bo@acme.test"]).not.toHaveProperty("softphones");
  });

  test("U14: GIVEN a device held with a client type the library does not assign, or an id it does not accept WHEN exported THEN that user's softphones are left undeclared, and nothing would change", () => {
    const p = plan([
      customer("ACME-001", [holding(user("ana@acme.test", ADMIN)), holding(user("bo@acme.test", UC), "1001:desktop", "1002:sip"), holding(user("cy@acme.test", UC), "ext 7:mobile")]),
    ]);
    expect(only(p, "bo@acme.test")).toMatchObject({ softphonesUndeclared: '1002 is held as "sip", not a client type the library assigns (desktop, mobile, webrtc, crm; U14)' });
    expect(only(p, "cy@acme.test")).toMatchObject({ softphonesUndeclared: '"ext 7" is not a PBX device id the library accepts (1–64 letters, digits, ".", "_" or "-"; U14)' });
    expect(codes(p, "ExportInexact")).toEqual([]);
    expect(Object.values(synthesize(renderApp(p, RENDER)).get("ACME-001")!).map((e) => e.softphones)).toEqual([[], undefined, undefined]);
  });

  test("U14: GIVEN one device reported for two users of a customer WHEN exported THEN neither declares it (synth would refuse it twice), and nothing would change", () => {
    const p = plan([customer("ACME-001", [holding(user("ana@acme.test", ADMIN)), holding(user("bo@acme.test", UC), "1001:desktop"), holding(user("cy@acme.test", UC), "1001:desktop", "1002:mobile")])]);
    expect(only(p, "bo@acme.test").softphonesUndeclared).toBe("device 1001 is also reported for cy@acme.test; one user of a customer holds a device (U14)");
    expect(only(p, "cy@acme.test").softphonesUndeclared).toBe("device 1001 is also reported for bo@acme.test; one user of a customer holds a device (U14)");
    expect(codes(p, "ExportInexact")).toEqual([]);
    synthesize(renderApp(p, RENDER));
  });
});

describe("H6/U14: the CSV route with softphones", () => {
  function csvTenant(): SnapshotUser[] {
    return [
      holding(user("ana@big.test", ADMIN)),
      holding(user("bo@big.test", UC), "1002:mobile", "1001:desktop"),
      holding(user("cy@big.test", ["customer.user", "pbx.silentmonitor"])),
      holding(user("pbx@big.test", ["customer.user.pbx", ...UC]), "2001:webrtc"),
      // Held without the softphone role: not declarable, so not in a file whose empty cell says "none".
      holding(user("odd@big.test", ["customer.user", "customer.user.uc"]), "3001:crm"),
    ];
  }

  test("H6/U14: GIVEN a CSV customer whose users hold devices WHEN exported THEN its files have a softphones column the parser reads back exactly, and the app synthesizes every user's devices", () => {
    const live = customer("BIG-001", csvTenant());
    const p = plan([live], { csv: true });
    const files = renderApp(p, RENDER);
    const declared = files.get("big-001.users.csv")!;
    expect(declared.split("\n")[0]).toMatch(/,softphones$/);
    expect(declared).toMatch(/^bo@big\.test,bo,.*,1001:desktop 1002:mobile$/m);

    const rows = parseUsersCsv(declared, { file: "big-001.users.csv", displayNameRequired: true, region: "eu" });
    const adopted = parseUsersCsv(files.get("big-001.pbx-users.csv")!, { file: "big-001.pbx-users.csv", displayNameRequired: false, region: "eu" });
    expect([...rows.findings, ...adopted.findings]).toEqual([]);
    expect([...rows.rows, ...adopted.rows].map((r) => [r.email, r.softphones])).toEqual([
      ["ana@big.test", []],
      ["bo@big.test", [{ device: "1001", clientType: "desktop" }, { device: "1002", clientType: "mobile" }]],
      ["cy@big.test", []],
      ["pbx@big.test", [{ device: "2001", clientType: "webrtc" }]],
    ]);

    // The user whose devices are left undeclared is declared in main.ts, with the reason.
    const main = files.get("main.ts")!;
    expect(main).toMatch(/their devices are left undeclared\.\nnew CustomerUser\(big001, "odd@big\.test", \{[^}]*\/\/ softphones left undeclared: 3001 \(crm\) needs customer\.user\.uc\.softphone/);
    expect(main.match(/new CustomerUser\(|CustomerUser\.adopt\(/g)).toHaveLength(1);

    const users = synthesize(files).get("BIG-001")!;
    expect(Object.fromEntries(Object.entries(users).map(([email, e]) => [email, e.softphones]))).toEqual({
      "ana@big.test": [],
      "bo@big.test": [{ device: "1001", clientType: "desktop" }, { device: "1002", clientType: "mobile" }],
      "cy@big.test": [],
      "odd@big.test": undefined,
      "pbx@big.test": [{ device: "2001", clientType: "webrtc" }],
    });
  });

  test("H6/U14: GIVEN a CSV customer whose answers lack devices WHEN exported THEN its files have no softphones column (their devices are left alone)", () => {
    const files = renderApp(plan([customer("BIG-001", [user("ana@big.test", ADMIN), user("bo@big.test", UC)])], { csv: true }), RENDER);
    expect(files.get("big-001.users.csv")!.split("\n")[0]).not.toContain("softphones");
    expect(parseUsersCsv(files.get("big-001.users.csv")!, { file: "big-001.users.csv", displayNameRequired: true, region: "eu" }).rows.map((r) => "softphones" in r)).toEqual([false, false]);
  });
});

describe("reading devices", () => {
  const NOW = () => new Date("2026-01-05T10:00:00.000Z");

  test("U14: the snapshot keeps each user's devices as the answer reports them, sorted by device, and nothing when the answer lacks the field", async () => {
    const api = new FakeApi();
    const c = api.addCustomer({ reference: "ACME-001" });
    api.addUser(c.id, "bo@acme.test", UC).devices.push({ deviceId: "1002", clientType: "mobile" }, { deviceId: "1001", clientType: "desktop" });
    api.addUser(c.id, "cy@acme.test", ["customer.user"]);
    const read = async () => (await readTenants(api, { all: true }, { concurrency: 2, progress: () => undefined }, NOW)).customers[0].users.map((u) => [u.email, u.devices]);

    expect(await read()).toEqual([
      ["bo@acme.test", [{ device: "1001", clientType: "desktop" }, { device: "1002", clientType: "mobile" }]],
      ["cy@acme.test", []],
    ]);
    api.reportDevices = false;
    expect(await read()).toEqual([
      ["bo@acme.test", undefined],
      ["cy@acme.test", undefined],
    ]);
  });

  test("U14: the command prints ExportDevicesNotReported once when the API reports no devices, and writes the app", async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-export-devices-"));
    try {
      const api = new FakeApi();
      api.reportDevices = false;
      for (const reference of ["A-1", "B-2"]) {
        const c = api.addCustomer({ reference, description: "d", pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", ...PBX } });
        api.addUser(c.id, `ana@${reference}.test`, ADMIN, "Ana");
      }
      const lines: string[] = [];
      expect(await runExport(["--all", "--out", "app"], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, cwd, now: NOW, client: () => api })).toBe(0);
      expect(lines.filter((l) => l.includes("ExportDevicesNotReported"))).toEqual([
        "dimensions export: ExportDevicesNotReported [U14]: the API's answers for 2 users (A-1: 1, B-2: 1) do not report their PBX devices as a list of { deviceId, clientType } (the devices field is ours, API contract §4): their softphones are left undeclared, and the app leaves their devices alone",
      ]);
      expect(fs.readFileSync(path.join(cwd, "app", "main.ts"), "utf8")).not.toContain("softphones:");
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});

test("the planned softphones are the same whatever order the API reported the devices in", () => {
  const a = [customer("A", [holding(user("ana@a.test", [...ADMIN, ...UC]), "1001:desktop", "1002:mobile")])];
  const b = [customer("A", [holding(user("ana@a.test", [...ADMIN, ...UC]), "1002:mobile", "1001:desktop")])];
  expect(only(planExport({ customers: b }), "ana@a.test").softphones).toHaveLength(2);
  expect(renderApp(planExport({ customers: b }), RENDER)).toEqual(renderApp(planExport({ customers: a }), RENDER));
});
