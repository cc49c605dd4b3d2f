import { applyCustomer, releaseCustomer } from "../../src/handler/customer";
import { formatFailure } from "../../src/handler/report";
import { customerPayload, FakeApi, makeDeps, manifestOf, PBX_ENV, PBX_KEY, REF, failure } from "./fake-api";

describe("customer apply", () => {
  test("C2: adopts the customer with the same reference and patches only the fields that differ", async () => {
    // GIVEN a customer made by hand with the same reference, another name and no timezone
    const api = new FakeApi();
    const existing = api.addCustomer({ reference: REF, name: "Made by hand", description: "Acme Corporation", enabled: true });
    const deps = makeDeps({ api });

    // WHEN the customer is applied
    await applyCustomer(customerPayload(), deps);

    // THEN it is adopted (no POST) and one PATCH sets exactly the differing fields
    expect(api.customers.size).toBe(1);
    expect(api.writes()).toEqual([
      `PATCH customer ${existing.id} ${JSON.stringify([
        { op: "replace", path: "/name", value: "Acme" },
        { op: "replace", path: "/timezone", value: "Europe/London" },
      ])}`,
    ]);
    expect(deps.out).toEqual([
      // The API cannot add a PBX to an existing customer: said, not failed (design behaviour 7).
      "dimensions: warning: customer ACME-001: the existing customer has no PBX connection; the API cannot add one to an existing customer (connect PBX account acme-pbx in the portal)",
      `dimensions: customer ${REF}: adopted customer ${existing.id}: set name, timezone (2 requests)`,
    ]);
  });

  test("C2: an adopted customer already as declared gets no PATCH", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF, name: "Acme", description: "Acme Corporation", enabled: true, timezone: "Europe/London", pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", accountId: "acme-pbx" } });
    const deps = makeDeps({ api });
    await applyCustomer(customerPayload(), deps);
    expect(api.writes()).toEqual([]);
    expect(deps.out[0]).toMatch(/already as declared \(1 request\)$/);
  });

  test("C2: two customers with the reference fail with DuplicateReference", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF });
    api.addCustomer({ reference: REF });
    const e = await failure(applyCustomer(customerPayload(), makeDeps({ api })));
    expect(e.code).toBe("DuplicateReference");
    expect(formatFailure(e)[0]).toMatch(/^dimensions: \[C2\] DuplicateReference: customer ACME-001: 2 customers have the reference "ACME-001"/);
    expect(api.writes()).toEqual([]);
  });

  test("C4: creates the customer with the Kazoo apiKey read from the named variable, and never prints it", async () => {
    const api = new FakeApi();
    const deps = makeDeps({ api });
    await applyCustomer(customerPayload(), deps);

    expect(api.createdCustomerBodies).toHaveLength(1);
    expect(api.createdCustomerBodies[0].pbxConnectionProfile).toMatchObject({ _type: "KazooPbxConnectionProfile", accountId: "acme-pbx", apiKey: PBX_KEY });
    expect(api.createdCustomerBodies[0]).toMatchObject({ reference: REF, name: "Acme", enabled: true, timezone: "Europe/London" });
    expect(deps.out).toHaveLength(1);
    expect(deps.out[0]).toMatch(/^dimensions: customer ACME-001: created customer [0-9a-f-]+ "Acme" with PBX account acme-pbx \(2 requests\)$/);
    expect([...deps.out, ...deps.err].join("\n")).not.toContain(PBX_KEY);
  });

  test("C4: a missing apiKey variable fails naming the variable, before any POST", async () => {
    const api = new FakeApi();
    const e = await failure(applyCustomer(customerPayload(), makeDeps({ api, env: { [PBX_ENV]: "" } })));
    expect(e.code).toBe("PbxApiKeyMissing");
    expect(e.rule).toBe("C4");
    expect(e.message).toContain(PBX_ENV);
    expect(e.hint).toContain(`export ${PBX_ENV}`);
    expect(api.writes()).toEqual([]);
  });

  test("C6: a 402 says charges were not accepted and how to opt in", async () => {
    const api = new FakeApi();
    const payload = customerPayload({ i: { settings: { region: "eu", acceptCharges: false } } });
    const e = await failure(applyCustomer(payload, makeDeps({ api })));
    const lines = formatFailure(e);
    expect(lines[0]).toMatch(/^dimensions: \[C6\] ChargesNotAccepted: customer ACME-001: creating or updating customer ACME-001 costs money and the stack has not accepted charges \(POST \/customers → 402\)$/);
    expect(lines[1]).toBe("dimensions: hint: set acceptCharges: true on the DimensionsStack (it is visible in code review) to allow changes that cost money");
    expect(lines.join("\n")).not.toContain(PBX_KEY);
  });

  test("C3: a customer connected to another PBX account fails clearly: the API cannot change it", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF, name: "Acme", pbxConnectionProfile: { _type: "KazooPbxConnectionProfile", accountId: "other-pbx" } });
    const e = await failure(applyCustomer(customerPayload(), makeDeps({ api })));
    expect(e.code).toBe("PbxAccountMismatch");
    expect(e.message).toContain('"other-pbx"');
    expect(e.message).toContain("cannot change a customer's PBX");
    expect(api.writes()).toEqual([]);
  });
});

describe("customer release", () => {
  test("retain: a real destroy only logs", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF });
    const p = customerPayload({ i: { removalPolicy: "retain" } });
    const deps = makeDeps({ api, manifest: manifestOf(p) });
    await releaseCustomer(p, deps);
    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: customer ACME-001: retained (removal policy retain)"]);
  });

  test("C5: disable patches /enabled to false", async () => {
    const api = new FakeApi();
    const c = api.addCustomer({ reference: REF, enabled: true });
    const p = customerPayload({ i: { removalPolicy: "disable" } });
    await releaseCustomer(p, makeDeps({ api, manifest: manifestOf(p) }));
    expect(api.writes()).toEqual([`PATCH customer ${c.id} [{"op":"replace","path":"/enabled","value":false}]`]);
    expect(api.customers.get(c.id)?.enabled).toBe(false);
  });

  test("C5: delete deletes, and a customer already gone is done", async () => {
    const api = new FakeApi();
    const c = api.addCustomer({ reference: REF });
    const p = customerPayload({ i: { removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf() });
    await releaseCustomer(p, deps);
    expect(api.writes()).toEqual([`DELETE customer ${c.id}`]);
    await releaseCustomer(p, deps);
    expect(deps.out[1]).toBe("dimensions: customer ACME-001: already gone (1 request)");
  });

  test("a manifest entry equal up to key order is a real release", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF });
    const p = customerPayload({ i: { removalPolicy: "delete" } });
    // Same meaning, keys in another order (Terraform's jsonencode sorts keys; the synth may not).
    const reordered = JSON.parse(JSON.stringify({ i: { settings: { acceptCharges: true, region: "eu" }, removalPolicy: "delete", kind: "customer" }, t: p.t }));
    await releaseCustomer(p, makeDeps({ api, manifest: { version: 1, stack: "test", objects: { "customer:ACME-001": reordered } } }));
    expect(api.customers.size).toBe(0);
  });

  test("a different manifest entry is a replacement: nothing is released", async () => {
    const api = new FakeApi();
    api.addCustomer({ reference: REF });
    const old = customerPayload({ i: { removalPolicy: "delete" } });
    const successor = customerPayload({ t: { name: "Acme Ltd" }, i: { removalPolicy: "delete" } });
    const deps = makeDeps({ api, manifest: manifestOf(successor) });
    await releaseCustomer(old, deps);
    expect(api.calls).toEqual([]);
    expect(deps.out).toEqual(["dimensions: customer ACME-001: replaced: nothing released, the new configuration converges it"]);
  });
});
