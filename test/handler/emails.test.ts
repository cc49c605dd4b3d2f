/**
 * Activation and UC welcome e-mails from code (H5, U14, U15), through the tenant resource's
 * handler against the in-memory API: a changed trigger on an applied user sends its e-mail once,
 * in the replacement's release; nothing is sent where Terraform cannot tell a first create from a
 * `-replace` or `taint`; a re-run of a failed release does not send twice.
 */
import { applyTenant, releaseTenant } from "../../src/handler/tenant";
import { MemorySentLog, SENT_LOG_MAX_AGE_MS } from "../../src/handler/sent-log";
import type { TenantPayload, UserEntry } from "../../src/contracts/handler";
import { ADMIN, anaEntry, entry, failure, FakeApi, makeDeps, manifestOf, seedAcme, tenantPayload, type TestDeps } from "./fake-api";

const CU = "customer.user";
const UC = "customer.user.uc";
const BO = "bo@acme.test";
const CY = "cy@acme.test";

function users(extra: Record<string, UserEntry>): Record<string, UserEntry> {
  return { ...anaEntry(), ...extra };
}

function bo(overrides: Partial<UserEntry> = {}, roles = [CU]): Record<string, UserEntry> {
  return { [BO]: entry(roles, { displayName: "bo", ...overrides }) };
}

async function replace(api: FakeApi, old: TenantPayload, next: TenantPayload, options: Parameters<typeof makeDeps>[0] = {}): Promise<TestDeps> {
  const deps = makeDeps({ api, manifest: manifestOf(next), ...options });
  await releaseTenant(old, deps);
  return deps;
}

function seedBo(roles = [CU]): { api: FakeApi; cid: string } {
  const seeded = seedAcme();
  seeded.api.addUser(seeded.cid, BO, roles, "bo");
  return seeded;
}

describe("a changed trigger sends once (H5)", () => {
  test("H5: GIVEN a user that has not activated WHEN its sendActivation changes THEN the release sends the activation e-mail once, and the apply after it sends nothing", async () => {
    const { api } = seedBo();
    const old = tenantPayload(users(bo({ activation: "2026-11-01" })));
    const next = tenantPayload(users(bo({ activation: "2026-12-01" })));

    const deps = await replace(api, old, next);
    await applyTenant(next, makeDeps({ api, manifest: manifestOf(next), markers: deps.markers }));

    expect(api.sentEmails).toEqual([`activation ${BO}`]);
    expect(api.writes()).toEqual([`POST activation e-mail ${BO}`]);
    expect(deps.out.join("\n")).toMatch(/user bo@acme\.test \(ACME-001\): sent the activation e-mail \(activation=2026-12-01\)/);
  });

  test("H5: GIVEN a user without a trigger WHEN sendActivation is added THEN the activation e-mail is sent once", async () => {
    const { api } = seedBo();

    await replace(api, tenantPayload(users(bo())), tenantPayload(users(bo({ activation: "1" }))));

    expect(api.sentEmails).toEqual([`activation ${BO}`]);
  });

  test("H5: GIVEN a user that has activated its account WHEN its sendActivation changes THEN nothing is sent and a UserAlreadyActivated notice says why", async () => {
    const { api } = seedBo();
    api.activation.set(BO, true);

    const deps = await replace(api, tenantPayload(users(bo({ activation: "1" }))), tenantPayload(users(bo({ activation: "2" }))));

    expect(api.sentEmails).toEqual([]);
    expect(deps.out.join("\n")).toMatch(/user bo@acme\.test \(ACME-001\): has activated its account already: the activation e-mail is not sent again \(H5\) \[UserAlreadyActivated\]/);
  });

  test("H5: GIVEN the API's answer lacks the activation field WHEN sendActivation changes THEN ActivationStatusUnknown fails the run and nothing is sent", async () => {
    const { api } = seedBo();
    api.activation.set(BO, "absent");

    const deps = makeDeps({ api, manifest: manifestOf(tenantPayload(users(bo({ activation: "2" })))) });
    const error = await failure(releaseTenant(tenantPayload(users(bo({ activation: "1" }))), deps));

    expect(error.code).toBe("TenantIncomplete");
    expect(api.sentEmails).toEqual([]);
    expect(deps.out.join("\n")).toMatch(/user bo@acme\.test \(ACME-001\): FAILED: ActivationStatusUnknown \[H5\]: .*the API's answer for the user does not say whether it has activated/);
  });

  test("GIVEN the trigger is removed or unchanged while the roles change WHEN released THEN no e-mail is sent", async () => {
    const { api } = seedBo();
    api.addUser(api.customers.keys().next().value!, CY, [CU], "cy");
    const old = tenantPayload(users({ ...bo({ activation: "1" }), [CY]: entry([CU], { displayName: "cy", activation: "7" }) }));
    const next = tenantPayload(users({ ...bo(), [CY]: entry([CU, "recording.viewer"], { displayName: "cy", activation: "7" }) }));

    await replace(api, old, next);

    expect(api.sentEmails).toEqual([]);
  });
});

describe("nothing is sent where the previous state is unknown", () => {
  test("GIVEN a first create (or -replace, or taint: the apply runs with no previous state) WHEN applied THEN a user's trigger is recorded, never sent", async () => {
    const { api } = seedBo();
    const payload = tenantPayload(users(bo({ activation: "2026-12-01", welcome: "1" }, [CU, UC])));

    await applyTenant(payload, makeDeps({ api, manifest: manifestOf(payload) }));

    expect(api.sentEmails).toEqual([]);
  });

  test("GIVEN -replace (the release sees its own desired state again) WHEN released and applied THEN no e-mail is sent", async () => {
    const { api } = seedBo();
    const payload = tenantPayload(users(bo({ activation: "2" })));
    const deps = makeDeps({ api, manifest: manifestOf(payload) });

    await releaseTenant(payload, deps);
    await applyTenant(payload, makeDeps({ api, manifest: manifestOf(payload), markers: deps.markers }));

    expect(api.sentEmails).toEqual([]);
  });

  test("GIVEN a user added to the code with a trigger WHEN released THEN it is created and its trigger is the baseline: nothing is sent", async () => {
    const { api } = seedAcme();

    await replace(api, tenantPayload(users({})), tenantPayload(users(bo({ activation: "1" }))));

    expect(api.writes()).toEqual([`POST user ${BO} ["customer.user"]`]);
    expect(api.sentEmails).toEqual([]);
  });
});

describe("the UC welcome e-mail (U14)", () => {
  test("U14: GIVEN a user granted the UC client in the same change WHEN its sendWelcome changes THEN the role is granted first, then the welcome e-mail is sent", async () => {
    const { api } = seedBo();

    await replace(api, tenantPayload(users(bo({ welcome: "1" }))), tenantPayload(users(bo({ welcome: "2" }, [CU, UC]))));

    expect(api.writes()).toEqual([`PATCH user ${BO} [{"op":"replace","path":"/roles","value":["customer.user","customer.user.uc"]}]`, `POST welcome e-mail ${BO}`]);
  });

  test("U14: GIVEN a user without the UC client WHEN its sendWelcome changes THEN WelcomeEmailNeedsUc fails it and nothing is sent", async () => {
    const { api } = seedBo();

    const deps = makeDeps({ api, manifest: manifestOf(tenantPayload(users(bo({ welcome: "2" })))) });
    await failure(releaseTenant(tenantPayload(users(bo({ welcome: "1" }))), deps));

    expect(api.sentEmails).toEqual([]);
    expect(deps.out.join("\n")).toMatch(/FAILED: WelcomeEmailNeedsUc \[U14\]/);
  });
});

describe("U15 and failures", () => {
  test("U15: GIVEN a user whose primary tenant is another customer WHEN its trigger changes THEN TenantNotPrimary is one coded line with its hint, and the run fails", async () => {
    const { api } = seedBo();
    api.notPrimary.add(BO);

    const deps = makeDeps({ api, manifest: manifestOf(tenantPayload(users(bo({ activation: "2" })))) });
    const error = await failure(releaseTenant(tenantPayload(users(bo({ activation: "1" }))), deps));

    expect(error.code).toBe("TenantIncomplete");
    expect(error.hint).toMatch(/only from the user's primary tenant/);
    expect(deps.out.join("\n")).toMatch(/user bo@acme\.test \(ACME-001\): FAILED: TenantNotPrimary \[U15\]: .*sending the activation e-mail \(activation=2\) refused/);
  });

  test("U15: GIVEN one send refused WHEN the failed release runs again THEN the e-mails it already sent are not sent twice (EmailAlreadySent)", async () => {
    const { api, cid } = seedBo();
    api.addUser(cid, CY, [CU], "cy");
    api.notPrimary.add(CY);
    const sent = new MemorySentLog();
    const old = tenantPayload(users({ ...bo({ activation: "1" }), [CY]: entry([CU], { displayName: "cy", activation: "1" }) }));
    const next = tenantPayload(users({ ...bo({ activation: "2" }), [CY]: entry([CU], { displayName: "cy", activation: "2" }) }));

    await failure(releaseTenant(old, makeDeps({ api, manifest: manifestOf(next), sent })));
    api.notPrimary.delete(CY);
    const again = makeDeps({ api, manifest: manifestOf(next), sent });
    await releaseTenant(old, again);

    expect(api.sentEmails).toEqual([`activation ${BO}`, `activation ${CY}`]);
    expect(again.out.join("\n")).toMatch(/user bo@acme\.test \(ACME-001\): activation e-mail \(activation=2\) already sent by an earlier run of this change .*\[EmailAlreadySent\]/);
    // The change succeeded: the log is cleared, so a later change of the trigger sends again.
    expect(sent.entries.size).toBe(0);
  });

  test("H5: GIVEN a release that succeeded and sent the e-mail WHEN it runs again from the restored previous state (StateLost's cp <state>.backup, or state lost after a kill -9) THEN the e-mail is not sent twice", async () => {
    const { api } = seedBo();
    const sent = new MemorySentLog();
    const old = tenantPayload(users(bo({ activation: "1" })));
    const next = tenantPayload(users(bo({ activation: "2" })));
    const first = await replace(api, old, next, { sent });

    // Terraform never recorded that the old object was destroyed: the same release runs again.
    const again = await replace(api, old, next, { sent, markers: first.markers });

    expect(api.sentEmails).toEqual([`activation ${BO}`]);
    expect(again.out.join("\n")).not.toMatch(/sent the activation e-mail/);
  });

  test("H5: GIVEN a release that sent its e-mails and succeeded WHEN it ends THEN its marker is written before its log is cleared: killed between the two, the re-run still finds one and sends nothing twice", async () => {
    const { api } = seedBo();
    const sent = new MemorySentLog();
    const deps = makeDeps({ api, manifest: manifestOf(tenantPayload(users(bo({ activation: "2" })))), sent });
    const order: string[] = [];
    const write = deps.markers.write.bind(deps.markers);
    deps.markers.write = (marker) => {
      order.push(`marker ${marker.state}`);
      write(marker);
    };
    const clear = sent.clear.bind(sent);
    sent.clear = (key) => {
      order.push(`clear ${key}`);
      clear(key);
    };

    await releaseTenant(tenantPayload(users(bo({ activation: "1" }))), deps);

    expect(api.sentEmails).toEqual([`activation ${BO}`]);
    expect(order).toEqual(["marker reconciled", "clear customer:ACME-001"]);
  });

  test("GIVEN an entry of the sent log older than its bound WHEN the release runs again THEN the e-mail is sent (an old entry is no evidence)", async () => {
    const { api } = seedBo();
    const sent = new MemorySentLog();
    const deps = makeDeps({ api, manifest: manifestOf(tenantPayload(users(bo({ activation: "2" })))), sent });
    sent.record("customer:ACME-001", BO, "activation", "2", 0);
    deps.clock.time = SENT_LOG_MAX_AGE_MS + 1;

    await releaseTenant(tenantPayload(users(bo({ activation: "1" }))), deps);

    expect(api.sentEmails).toEqual([`activation ${BO}`]);
  });

  test("GIVEN a user whose own change is refused WHEN its trigger changed too THEN its e-mail is not sent (the next apply sends it)", async () => {
    const { api } = seedBo();
    const old = tenantPayload(users(bo({ activation: "1" })));
    // The user's PATCH lands nowhere: the API refuses it.
    const next = tenantPayload(users(bo({ activation: "2", displayName: "Bo" }, [CU])));
    api.patchUser = async (_customerId, userId) => {
      throw new Error(`refused ${userId}`);
    };

    const deps = makeDeps({ api, manifest: manifestOf(next) });
    await failure(releaseTenant(old, deps));

    expect(api.sentEmails).toEqual([]);
    expect(deps.out.join("\n")).toMatch(/activation e-mail \(activation=2\) not sent: the user's change failed/);
  });

  test("GIVEN the admin ana@ WHEN only her trigger changes THEN nothing but her e-mail is sent (ADMIN roles untouched)", async () => {
    const { api } = seedAcme();
    const withTrigger = (value: string) => tenantPayload({ "ana@acme.test": entry(ADMIN, { primary: true, displayName: "Ana", activation: value }) });

    await replace(api, withTrigger("a"), withTrigger("b"));

    expect(api.writes()).toEqual(["POST activation e-mail ana@acme.test"]);
  });
});
