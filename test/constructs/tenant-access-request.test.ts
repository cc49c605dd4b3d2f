/**
 * TenantAccessRequest at synth: the rendered resource (A3: what each tenant receives), the
 * manifest and inventory entries, ordering after owned customers, and every synth-time rule
 * (A2, A3, A7, A8) with a compliant and a non-compliant case, asserting code, rule and path.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import { AccessMode, Acknowledgements, Customer, TenantAccessRequest, type ICustomer, type TenantAccessRequestProps } from "../../src";
import { acmeWithAdmin, newApp, newStack, payloadIn, resourceAt, stackDir, synthErrors, synthFailure, synthJson, useFakeHandlerBundle, warnings, type SynthError } from "./helpers";
import { PartnerAccessStack } from "../../examples/partner-access/main";

beforeAll(() => {
  useFakeHandlerBundle();
});

const CAROLINE = "caroline@classics.test";
const CHARLOTTE = "charlotte@classics.test";
const MESSAGE = "Caroline and Charlotte, your account managers, need access to help with support";

/** Builds, then the one error the app's synth fails with (its text as `message`). */
function onlyError(scope: IConstruct, build: () => unknown): SynthError & { message: string } {
  build();
  const errors = synthErrors(scope);
  expect(errors).toHaveLength(1);
  return { ...errors[0], message: errors[0].text };
}

function twoCustomers(stack: ReturnType<typeof newStack>): { tom: ICustomer; acre: ICustomer } {
  return { tom: Customer.fromReference(stack, "tom", "TSFP-001"), acre: Customer.fromReference(stack, "acre", "HAWAG-001") };
}

function seedProps(tom: ICustomer, acre: ICustomer, overrides: Partial<TenantAccessRequestProps> = {}): TenantAccessRequestProps {
  return {
    name: "SupportAccess",
    message: MESSAGE,
    associations: [
      { partnerUsers: [CAROLINE], customers: [tom], mode: AccessMode.SUPPORT },
      { partnerUsers: [CHARLOTTE], customers: [tom, acre], mode: AccessMode.SUPPORT },
    ],
    ...overrides,
  };
}

describe("rendering", () => {
  test("GIVEN the seed's two associations WHEN synthesized THEN t holds one entry per tenant with only its users (A3)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre));

    const json = synthJson(app, stack);
    const { body } = resourceAt(json, "stack/support/Default");
    expect(body.input).toBeUndefined();
    expect(payloadIn(body)!.t).toEqual({
      name: "SupportAccess",
      message: MESSAGE,
      associations: [
        { customer: "HAWAG-001", mode: "support", partnerUsers: [CHARLOTTE] },
        { customer: "TSFP-001", mode: "support", partnerUsers: [CAROLINE, CHARLOTTE] },
      ],
    });
    expect(payloadIn(body)!.i).toEqual({ kind: "access-request", settings: { acceptCharges: true, region: "eu" } });
    expect(body.provisioner?.map((p) => p["local-exec"].when ?? "create")).toEqual(["create", "destroy"]);
  });

  test("GIVEN the same links grouped differently and e-mails in other case WHEN synthesized THEN t is identical (no replacement)", () => {
    const render = (props: (tom: ICustomer, acre: ICustomer) => TenantAccessRequestProps) => {
      const app = newApp();
      const stack = newStack(app);
      const { tom, acre } = twoCustomers(stack);
      new TenantAccessRequest(stack, "support", props(tom, acre));
      return payloadIn(resourceAt(synthJson(app, stack), "stack/support/Default").body);
    };
    const regrouped = render((tom, acre) => ({
      name: "SupportAccess",
      message: MESSAGE,
      associations: [
        { partnerUsers: ["Charlotte@Classics.test"], customers: [acre], mode: AccessMode.SUPPORT },
        { partnerUsers: [CHARLOTTE, CAROLINE], customers: [tom], mode: AccessMode.SUPPORT },
      ],
    }));
    expect(regrouped).toEqual(render((tom, acre) => seedProps(tom, acre)));
  });

  test("GIVEN waitForDecision WHEN synthesized THEN the wait options are rendered with defaults filled in (a change replaces the resource, and the apply adopts the same request)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre, { waitForDecision: { timeoutSeconds: 5 } }));
    const { body } = resourceAt(synthJson(app, stack), "stack/support/Default");
    expect(payloadIn(body)!.i).toMatchObject({ wait: { timeoutSeconds: 5, pollSeconds: 5, requireGrant: false } });
  });

  test("GIVEN a request WHEN synthesized THEN the manifest holds its desired state and the stack inventory lists its key", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre));
    const json = synthJson(app, stack);
    const manifest = JSON.parse(fs.readFileSync(path.join(stackDir(app, stack), "dimensions.manifest.json"), "utf8")) as { objects: Record<string, { t: { name: string } }> };
    expect(manifest.objects["access-request:supportaccess"].t.name).toBe("SupportAccess");
    const inventory = resourceAt(json, "stack/dimensions-inventory").body;
    // The inventory keeps only what a withdrawal needs: the name.
    expect(payloadIn(inventory)!.t.objects["access-request:supportaccess"]).toEqual({ kind: "access-request", name: "SupportAccess" });
  });

  test("GIVEN an owned customer in the stack WHEN a request names it THEN the request depends on the stack resource and the customer's resource", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    new TenantAccessRequest(stack, "support", { name: "AcmeSupport", message: MESSAGE, associations: [{ partnerUsers: [CAROLINE], customers: [customer], mode: AccessMode.CONFIGURE }] });
    const json = synthJson(app, stack);
    const customerAddress = resourceAt(json, "stack/acme/Default").address;
    expect(resourceAt(json, "stack/support/Default").body.depends_on).toEqual(["terraform_data.dimensions", customerAddress]);
  });

  test("GIVEN the partner-access example WHEN synthesized THEN it succeeds with one request resource", () => {
    const app = newApp();
    const stack = new PartnerAccessStack(app, "partner-access");
    expect(payloadIn(resourceAt(synthJson(app, stack), "partner-access/SupportAccess/Default").body)).toMatchObject({ t: { name: "SupportAccess" } });
  });
});

describe("A2: name and message", () => {
  test("A2: a name of letters and digits is accepted", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre, { name: "SupportAccess2025" }));
    expect(synthFailure(app)).toBe("");
  });

  test("A2: a name with a space fails the synth with code, rule, path and a suggestion", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    const e = onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { name: "Support Access" })));
    expect(e).toMatchObject({ code: "AccessRequestNameInvalid", rule: "A2", path: "stack/support" });
    expect(e.message).toContain('name "Support Access" holds characters other than letters and digits');
    expect(e.message).toContain('"SupportAccess"');
  });

  test("A2: a name longer than 100 characters fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { name: "a".repeat(101) })))).toMatchObject({ code: "AccessRequestNameInvalid", rule: "A2" });
  });

  test("A2: a message of 1000 characters is accepted and one of 1001 fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "ok", seedProps(tom, acre, { name: "Ok", message: "m".repeat(1000) }));
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "long", seedProps(tom, acre, { name: "Long", message: "m".repeat(1001) })))).toMatchObject({
      code: "AccessRequestMessageTooLong",
      rule: "A2",
      path: "stack/long",
    });
  });

  test("A2: a request with a message carries no warning", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    const request = new TenantAccessRequest(stack, "support", seedProps(tom, acre));
    expect(synthFailure(app)).toBe("");
    expect(warnings(request)).toEqual([]);
  });

  test("A2: an empty message is a warning at synth saying the customer sees neither the name nor the users", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    const request = new TenantAccessRequest(stack, "support", seedProps(tom, acre, { message: undefined }));
    expect(synthFailure(app)).toBe(""); // a warning, not an error
    expect(warnings(request)).toEqual([expect.stringMatching(/^AccessRequestMessageEmpty \[A2\]: access request "SupportAccess" has no message; the customer sees neither/)]);
  });

  test("A2: an acknowledged empty message is no longer a warning, and the acknowledgement stays visible", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    const request = new TenantAccessRequest(stack, "support", seedProps(tom, acre, { message: "" }));
    Acknowledgements.of(request).add({ code: "AccessRequestMessageEmpty", reason: "the customer was told by phone" });
    expect(synthFailure(app)).toBe("");
    expect(warnings(request)).toEqual([]);
    expect(request.node.metadata.filter((m) => m.type === "@cdktf/info").map((m) => String(m.data))).toEqual([expect.stringContaining("AccessRequestMessageEmpty")]);
  });

  test("A2: two requests of the app with the same name (in any case) fail the synth, once, naming both", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "one", seedProps(tom, acre, { name: "SupportAccess" }));
    new TenantAccessRequest(stack, "two", seedProps(tom, acre, { name: "supportaccess" }));
    const [e, ...others] = synthErrors(app);
    expect(others).toEqual([]);
    expect(`[${e.path}] ${e.code} [${e.rule}]: ${e.text}`).toMatch(/^\[stack\/two\] DuplicateAccessRequestName \[A2\]: access request name "supportaccess" is already used by "stack\/one" \("SupportAccess"\)/);
  });
});

describe("A3: associations", () => {
  test("A3: an association with several users and several customers is accepted", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE, CHARLOTTE], customers: [tom, acre], mode: AccessMode.SUPPORT }] }));
    expect(synthFailure(app)).toBe("");
  });

  test("A3: a request without associations fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [] })))).toMatchObject({ code: "AccessAssociationInvalid", rule: "A3", path: "stack/support" });
  });

  test("A3: an association with no partner user fails, naming the association", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    const e = onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [], customers: [tom], mode: AccessMode.SUPPORT }] })));
    expect(e).toMatchObject({ code: "AccessAssociationInvalid", rule: "A3" });
    expect(e.message).toContain('association 1 of access request "SupportAccess" names no partner user');
  });

  test("A3: an association with no customer fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE], customers: [], mode: AccessMode.SUPPORT }] })))).toMatchObject({
      code: "AccessAssociationInvalid",
      rule: "A3",
    });
  });

  test("A3: a partner user that is not an e-mail fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: ["Caroline Bingley"], customers: [tom], mode: AccessMode.SUPPORT }] })))).toMatchObject({
      code: "AccessAssociationInvalid",
    });
  });

  test("A3: a partner user listed twice in one association (in any case) fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    const e = onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE, CAROLINE.toUpperCase()], customers: [tom], mode: AccessMode.SUPPORT }] })));
    expect(e).toMatchObject({ code: "AccessAssociationDuplicate", rule: "A3", path: "stack/support" });
  });

  test("A3: a customer listed twice in one association fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE], customers: [tom, tom], mode: AccessMode.SUPPORT }] })))).toMatchObject({
      code: "AccessAssociationDuplicate",
    });
  });

  test("A3: a customer of another stack fails the synth (use Customer.fromReference in the request's stack)", () => {
    const app = newApp();
    const one = newStack(app, {}, "one");
    const two = newStack(app, {}, "two");
    const tom = Customer.fromReference(one, "tom", "TSFP-001");
    new TenantAccessRequest(two, "support", { name: "SupportAccess", message: MESSAGE, associations: [{ partnerUsers: [CAROLINE], customers: [tom], mode: AccessMode.SUPPORT }] });
    expect(synthFailure(app)).toMatch(/\[two\/support\] CrossStackReference \[runtime\]: access request "SupportAccess" is in stack "two" but its customer "TSFP-001" is in stack "one"/);
  });
});

describe("A7: modes and waiting", () => {
  test("A7: both modes are accepted", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE], customers: [tom], mode: AccessMode.CONFIGURE }, { partnerUsers: [CHARLOTTE], customers: [acre], mode: AccessMode.SUPPORT }] }));
    expect(synthFailure(app)).toBe("");
  });

  test("A7: an unknown mode fails", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE], customers: [tom], mode: "admin" as AccessMode }] })))).toMatchObject({
      code: "AccessModeInvalid",
      rule: "A7",
      path: "stack/support",
    });
  });

  test("A7: a wait longer than an hour fails (a Terraform run must not hang)", () => {
    const stack = newStack();
    const { tom, acre } = twoCustomers(stack);
    expect(onlyError(stack, () => new TenantAccessRequest(stack, "support", seedProps(tom, acre, { waitForDecision: { timeoutSeconds: 7200 } })))).toMatchObject({ code: "AccessWaitInvalid", rule: "A7" });
  });
});

describe("A8: one mode per partner user and tenant", () => {
  test("A8: the same user in two associations of one tenant with the same mode is accepted (held once)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE], customers: [tom], mode: AccessMode.SUPPORT }, { partnerUsers: [CAROLINE], customers: [tom, acre], mode: AccessMode.SUPPORT }] }));
    expect(synthFailure(app)).toBe("");
  });

  test("A8: the same user with configure and support on one tenant in one request fails, naming both associations", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE], customers: [tom], mode: AccessMode.SUPPORT }, { partnerUsers: [CAROLINE], customers: [tom], mode: AccessMode.CONFIGURE }] }));
    expect(synthFailure(app)).toMatch(
      /\[stack\/support\] PartnerAccessModeConflict \[A8\]: partner user "caroline@classics.test" would hold "support" \(association 1 of "stack\/support"\) and "configure" \(association 2 of "stack\/support"\) on customer "TSFP-001"/,
    );
  });

  test("A8: the same user with different modes on one tenant across two requests of the app fails once, on the later request, naming both", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre));
    new TenantAccessRequest(stack, "configure", { name: "ConfigureAccess", message: MESSAGE, associations: [{ partnerUsers: [CHARLOTTE], customers: [acre], mode: AccessMode.CONFIGURE }] });
    const failure = synthFailure(app);
    expect(failure).toMatch(/\[stack\/configure\] PartnerAccessModeConflict \[A8\]: partner user "charlotte@classics.test" would hold "support" \(association 2 of "stack\/support"\) and "configure" \(association 1 of "stack\/configure"\) on customer "HAWAG-001"/);
    expect(synthErrors(app)).toHaveLength(1);
  });

  test("A8: different users with different modes on one tenant are accepted", () => {
    const app = newApp();
    const stack = newStack(app);
    const { tom, acre } = twoCustomers(stack);
    new TenantAccessRequest(stack, "support", seedProps(tom, acre, { associations: [{ partnerUsers: [CAROLINE], customers: [tom], mode: AccessMode.SUPPORT }, { partnerUsers: [CHARLOTTE], customers: [tom], mode: AccessMode.CONFIGURE }] }));
    expect(synthFailure(app)).toBe("");
  });
});
