/**
 * Property checks on the synthesized Terraform JSON and the manifest: the payloads of the handler
 * contract (src/contracts/handler.ts), the provisioners, depends_on (U5), folding of
 * RoleAssignments (resolved lazily), the null_resource variant, and no secret in any output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  customerKey,
  customerPayload,
  inventoryPayload,
  manifest as manifestSchema,
  userKey,
  userPayload,
  type Manifest,
} from "../../src/contracts/handler";
import { Customer, CustomerRemovalPolicy, CustomerUser, MANIFEST_FILE, Role, RoleAssignment } from "../../src";
import { acmeWithAdmin, ADMIN, customerProps, newApp, newStack, PBX_KEY_ENV, resourceAt, stackDir, synthJson, useFakeHandlerBundle, type TfJson } from "./helpers";

let bundle: string;
beforeAll(() => {
  bundle = useFakeHandlerBundle();
});

function readManifest(app: ReturnType<typeof newApp>, stackId = "stack"): Manifest {
  return manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", stackId, MANIFEST_FILE), "utf8")));
}

/** The small example of the report: a customer, two users and an assignment to an e-mail. */
function example() {
  const app = newApp();
  const stack = newStack(app);
  const { customer, ana } = acmeWithAdmin(stack);
  const bo = new CustomerUser(stack, "bo", { customer, email: "Bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS, Role.ANALYTICS_SUPERVISOR] });
  new RoleAssignment(stack, "live", { customer, roles: [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR], users: [bo, "Team.Lead@acme.test"] });
  return { app, stack, customer, ana, bo };
}

describe("customer and user resources", () => {
  test("the customer resource renders the contract's customer payload (C1, C5 default RETAIN)", () => {
    const { app, stack } = example();
    const { address, body } = resourceAt(synthJson(app, stack), "stack/acme/Default");
    expect(address).toBe("terraform_data.acme");
    const payload = customerPayload.parse({ t: body.triggers_replace, i: body.input });
    expect(payload).toEqual({
      t: {
        reference: "ACME-001",
        name: "Acme Corporation",
        description: "Acme contact centre",
        enabled: true,
        timezone: "Europe/Paris",
        countryCode: "FR",
        pbx: { hostRest: "https://pbx.acme.test", hostWebsocket: "wss://pbx.acme.test", accountId: "acme-0001", apiKeyEnv: PBX_KEY_ENV },
      },
      i: { kind: "customer", removalPolicy: "retain", settings: { region: "eu", acceptCharges: true } },
    });
  });

  test("a declared user renders exact/created with its roles sorted and folded with its assignments", () => {
    const { app, stack } = example();
    const { address, body } = resourceAt(synthJson(app, stack), "stack/bo/Default");
    expect(address).toBe("terraform_data.bo");
    expect(userPayload.parse({ t: body.triggers_replace, i: body.input })).toEqual({
      t: { customer: "ACME-001", email: "Bo@acme.test", displayName: "Bo", roles: ["customer.user", "customer.user.supervisorl2", "pbx.silentmonitor"] },
      i: { kind: "user", management: "exact", origin: "created", removalPolicy: "delete", primary: false, customerManaged: true, settings: { region: "eu", acceptCharges: true } },
    });
  });

  test("an e-mail the app does not declare gets ONE additive referenced-user resource under the customer, shared by assignments", () => {
    const { app, stack, customer } = example();
    new RoleAssignment(stack, "record", { customer, roles: [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK], users: ["team.lead@ACME.test"] });
    const json = synthJson(app, stack);
    const refs = Object.values(json.resource.terraform_data).filter((r) => (r.input as { management?: string }).management === "additive");
    expect(refs).toHaveLength(1);
    const { address, body } = resourceAt(json, "stack/acme/user-team.lead@acme.test/Default");
    expect(address).toMatch(/^terraform_data\.acme_user-teamleadacmetest_[0-9A-F]{8}$/);
    expect(userPayload.parse({ t: body.triggers_replace, i: body.input })).toEqual({
      t: { customer: "ACME-001", email: "team.lead@acme.test", roles: ["customer.user", "pbx.silentmonitor", "recording.viewer"] },
      i: { kind: "user", management: "additive", origin: "adopted", removalPolicy: "revoke", primary: false, customerManaged: true, settings: { region: "eu", acceptCharges: true } },
    });
  });

  test("an assignment naming an e-mail that a CustomerUser declares LATER folds into that user (no referenced resource)", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new RoleAssignment(stack, "live", { customer, roles: [Role.SILENT_MONITOR], users: ["ANA@acme.test"] });
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    const json = synthJson(app, stack);
    expect(Object.keys(json.resource.terraform_data).filter((k) => k.includes("user-"))).toEqual([]);
    expect(resourceAt(json, "stack/ana/Default").body.triggers_replace!.roles).toEqual(["customer.user", "customer.user.supervisorl1", "pbx.silentmonitor", "user.admin"]);
  });

  test("roles added after construction (addRoles, later assignments) are rendered: lazies resolve at synth", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer, ana } = acmeWithAdmin(stack);
    ana.addRoles(Role.RECORDING_PLAYBACK, Role.WEBSITE_ACCESS);
    new RoleAssignment(stack, "late", { customer, roles: [Role.SILENT_MONITOR], users: [ana] });
    const json = synthJson(app, stack);
    const rendered = JSON.stringify(json);
    expect(rendered).not.toContain("TfToken");
    expect(resourceAt(json, "stack/ana/Default").body.triggers_replace!.roles).toEqual(["customer.user", "customer.user.supervisorl1", "pbx.silentmonitor", "recording.viewer", "user.admin"]);
  });

  test("adopted users render origin adopted, exact management, REVOKE, and no displayName unless given", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "reception", { customer, email: "reception@acme.test", roles: [Role.WEBSITE_ACCESS, Role.DEVICE_ACCESS] });
    const { body } = resourceAt(synthJson(app, stack), "stack/reception/Default");
    expect(body.triggers_replace).toEqual({ customer: "ACME-001", email: "reception@acme.test", roles: ["customer.device.readonly", "customer.user"] });
    expect(body.input).toMatchObject({ management: "exact", origin: "adopted", removalPolicy: "revoke", primary: false });
  });

  test("users of a referenced customer get resources with customerManaged false; there is no customer resource", () => {
    const app = newApp();
    const stack = newStack(app, { apiUrl: "https://api.partner.test" });
    const customer = Customer.fromReference(stack, "beta", "BETA-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@beta.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    const json = synthJson(app, stack);
    expect(() => resourceAt(json, "stack/beta/Default")).toThrow();
    const { body } = resourceAt(json, "stack/bo/Default");
    expect(body.input).toMatchObject({ customerManaged: false, settings: { apiUrl: "https://api.partner.test", acceptCharges: true } });
    expect(body.depends_on).toBeUndefined();
  });

  test("users of a referenced customer are in the stack's inventory, so removing that customer from the code releases them", () => {
    const synthWith = (withBeta: boolean) => {
      const app = newApp();
      const stack = newStack(app);
      acmeWithAdmin(stack);
      if (withBeta) {
        const beta = Customer.fromReference(stack, "beta", "BETA-001");
        new CustomerUser(stack, "gina", { customer: beta, email: "gina@beta.test", displayName: "Gina", roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR] });
      }
      const inventory = resourceAt(synthJson(app, stack), "stack/dimensions-customers").body;
      return inventoryPayload.parse({ t: inventory.triggers_replace, i: inventory.input });
    };
    const before = synthWith(true);
    const after = synthWith(false);
    const gina = userKey("BETA-001", "gina@beta.test");
    expect(before.t.keys).toContain(gina);
    expect(before.i.objects[gina]).toMatchObject({ t: { customer: "BETA-001", email: "gina@beta.test" }, i: { customerManaged: false, removalPolicy: "delete" } });
    // The key disappears: the inventory is replaced and its release frees gina's access.
    expect(after.t.keys).not.toContain(gina);
  });

  test("Terraform template sequences in literal values are escaped in the JSON; the manifest keeps the text", () => {
    const app = newApp();
    const stack = newStack(app);
    acmeWithAdmin(stack, { name: "Acme ${not} %{an} expression" });
    const json = synthJson(app, stack);
    expect(resourceAt(json, "stack/acme/Default").body.triggers_replace!.name).toBe("Acme $${not} %%{an} expression");
    expect((readManifest(app).objects[customerKey("ACME-001")].t as { name: string }).name).toBe("Acme ${not} %{an} expression");
  });

  test("removal policies and primary flags are input (in-place), not desired state", () => {
    const app = newApp();
    const stack = newStack(app);
    acmeWithAdmin(stack, { removalPolicy: CustomerRemovalPolicy.DELETE });
    const json = synthJson(app, stack);
    expect(resourceAt(json, "stack/acme/Default").body.input).toMatchObject({ removalPolicy: "delete" });
    expect(resourceAt(json, "stack/ana/Default").body.input).toMatchObject({ primary: true });
    expect(JSON.stringify(resourceAt(json, "stack/ana/Default").body.triggers_replace)).not.toMatch(/primary|removalPolicy/);
  });
});

describe("provisioners", () => {
  test("every handler resource has the create-time apply and destroy-time release commands of the current asset", () => {
    const { app, stack } = example();
    const json = synthJson(app, stack);
    const assetPath = stack.handlerAsset.path;
    expect(assetPath).toMatch(/^assets\/dimensions-handler\/[0-9A-F]+\/handler\.cjs$/);
    expect(fs.readFileSync(path.join(stackDir(app, stack), assetPath), "utf8")).toBe(fs.readFileSync(bundle, "utf8"));
    const environment = {
      DIMENSIONS_PAYLOAD: "${base64gzip(jsonencode({ t = self.triggers_replace, i = self.input }))}",
      DIMENSIONS_MANIFEST: "${abspath(path.module)}/dimensions.manifest.json",
    };
    const resources = Object.values(json.resource.terraform_data);
    expect(resources).toHaveLength(6); // customers inventory, acme, acme users inventory, ana, bo, team.lead
    for (const r of resources) {
      expect(r.provisioner).toEqual([
        { "local-exec": { command: `node "\${abspath(path.module)}/${assetPath}" apply`, environment } },
        { "local-exec": { command: `node "\${abspath(path.module)}/${assetPath}" release`, environment, when: "destroy" } },
      ]);
      expect(r.lifecycle).toBeUndefined();
    }
  });
});

describe("inventories and U5 ordering", () => {
  test("U5: every user, the primary admin included, depends on its customer (whose apply grants the primary admin first)", () => {
    const { app, stack } = example();
    const json = synthJson(app, stack);
    expect(resourceAt(json, "stack/ana/Default").body.depends_on).toEqual(["terraform_data.acme"]);
    expect(resourceAt(json, "stack/bo/Default").body.depends_on).toEqual(["terraform_data.acme"]);
    expect(resourceAt(json, "stack/acme/user-team.lead@acme.test/Default").body.depends_on).toEqual(["terraform_data.acme"]);
  });

  test("U5: no user depends on another user, so handing over the primary admin cannot form a dependency cycle", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    const json = synthJson(app, stack);
    for (const path of ["stack/bo/Default", "stack/ana/Default"]) {
      expect(resourceAt(json, path).body.depends_on).toEqual(["terraform_data.acme"]);
    }
  });

  test("inventories list sorted keys with each key's payload, and have no depends_on", () => {
    const { app, stack } = example();
    const json = synthJson(app, stack);
    const customers = resourceAt(json, "stack/dimensions-customers");
    expect(customers.address).toBe("terraform_data.dimensions-customers");
    const ci = inventoryPayload.parse({ t: customers.body.triggers_replace, i: customers.body.input });
    expect(ci.t).toEqual({ scope: "customers", keys: ["customer:ACME-001"] });
    expect(customers.body.depends_on).toBeUndefined();

    const users = resourceAt(json, "stack/acme/users");
    const ui = inventoryPayload.parse({ t: users.body.triggers_replace, i: users.body.input });
    expect(ui.t).toEqual({ scope: "users", customer: "ACME-001", keys: ["user:ACME-001/ana@acme.test", "user:ACME-001/bo@acme.test", "user:ACME-001/team.lead@acme.test"] });
    expect(users.body.depends_on).toBeUndefined();
    const bo = resourceAt(json, "stack/bo/Default").body;
    // An exact user's release record: its release settings, without the roles and name its release
    // never reads; an additive (referenced) user keeps the roles the app granted.
    expect(ui.i.objects[userKey("ACME-001", "Bo@acme.test")]).toEqual({ t: { customer: "ACME-001", email: "Bo@acme.test", roles: [] }, i: bo.input });
    const lead = resourceAt(json, "stack/acme/user-team.lead@acme.test/Default").body;
    expect(ui.i.objects[userKey("ACME-001", "team.lead@acme.test")]).toEqual({ t: lead.triggers_replace, i: lead.input });
  });

  test("a role change of a declared user leaves the users inventory untouched (plans stay short)", () => {
    const inventoryWith = (boRoles: string[]) => {
      const app = newApp();
      const stack = newStack(app);
      const customer = new Customer(stack, "acme", customerProps());
      new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
      new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: boRoles });
      return resourceAt(synthJson(app, stack), "stack/acme/users").body;
    };
    const before = inventoryWith([Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR]);
    const after = inventoryWith([Role.WEBSITE_ACCESS, Role.ANALYTICS_SUPERVISOR]);
    expect(after).toEqual(before);
  });

  test("a stack with no customer still has its (empty) customers inventory", () => {
    const app = newApp();
    const stack = newStack(app);
    const json = synthJson(app, stack);
    expect(resourceAt(json, "stack/dimensions-customers").body.triggers_replace).toEqual({ scope: "customers", keys: [] });
  });
});

describe("manifest", () => {
  function renderedObjects(json: TfJson): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of Object.values(json.resource.terraform_data)) {
      const t = r.triggers_replace as { reference?: string; customer?: string; email?: string; scope?: string };
      if (t.scope) continue; // inventories are not in the manifest
      out[t.email ? userKey(t.customer!, t.email) : customerKey(t.reference!)] = { t: r.triggers_replace, i: r.input };
    }
    return out;
  }

  test("the manifest holds exactly the payloads the customer and user resources render", () => {
    const { app, stack } = example();
    const json = synthJson(app, stack);
    const m = readManifest(app);
    expect(m.version).toBe(1);
    expect(m.stack).toBe("stack");
    expect(m.objects).toEqual(renderedObjects(json));
    expect(Object.keys(m.objects)).toEqual(["customer:ACME-001", "user:ACME-001/ana@acme.test", "user:ACME-001/bo@acme.test", "user:ACME-001/team.lead@acme.test"]);
  });

  test("the manifest is byte-identical across synths (sorted keys, no clock)", () => {
    const first = example();
    first.app.synth();
    const second = example();
    second.app.synth();
    const read = (a: ReturnType<typeof newApp>) => fs.readFileSync(path.join(a.outdir, "stacks", "stack", MANIFEST_FILE), "utf8");
    expect(read(first.app)).toBe(read(second.app));
  });

  test("a failing synth writes no manifest (an old cdk.tf.json is never paired with a newer manifest)", () => {
    const app = newApp();
    const stack = newStack(app);
    new Customer(stack, "acme", customerProps());
    expect(() => app.synth()).toThrow(/AdministratorRequired/);
    expect(fs.existsSync(path.join(app.outdir, "stacks", "stack", MANIFEST_FILE))).toBe(false);
  });
});

describe("null_resource variant", () => {
  test("null_resource carries t and i as JSON strings, with the provider and the matching payload expression", () => {
    const app = newApp();
    const stack = newStack(app, { resourceType: "null_resource" });
    const { customer } = acmeWithAdmin(stack);
    new RoleAssignment(stack, "live", { customer, roles: [Role.SILENT_MONITOR], users: ["ana@acme.test"] });
    const json = synthJson(app, stack);
    expect(json.resource.terraform_data).toBeUndefined();
    expect(json.provider).toHaveProperty("null");
    const ana = resourceAt(json, "stack/ana/Default");
    expect(ana.address).toBe("null_resource.ana");
    expect(ana.body.depends_on).toEqual(["null_resource.acme"]);
    const payload = userPayload.parse({ t: JSON.parse(ana.body.triggers!.t), i: JSON.parse(ana.body.triggers!.i) });
    expect(payload.t.roles).toEqual(["customer.user", "customer.user.supervisorl1", "pbx.silentmonitor", "user.admin"]);
    expect(readManifest(app).objects[userKey("ACME-001", "ana@acme.test")]).toEqual(payload);
    const env = ana.body.provisioner![0]["local-exec"].environment;
    expect(env.DIMENSIONS_PAYLOAD).toBe("${base64gzip(jsonencode({ t = self.triggers.t, i = self.triggers.i }))}");
    const inventory = resourceAt(json, "stack/dimensions-customers").body;
    expect(inventoryPayload.parse({ t: JSON.parse(inventory.triggers!.t), i: JSON.parse(inventory.triggers!.i) }).t.keys).toEqual(["customer:ACME-001"]);
  });
});

describe("C4: no secret in any output", () => {
  test("C4: the synthesized JSON, manifest and assets hold the variable NAME, never the key", () => {
    const secret = "kazoo-secret-value-9f3a1c";
    process.env[PBX_KEY_ENV] = secret;
    try {
      const { app } = example();
      app.synth();
      const files = fs.readdirSync(app.outdir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(app.outdir, f)).isFile());
      expect(files).toEqual(expect.arrayContaining([path.join("stacks", "stack", "cdk.tf.json"), path.join("stacks", "stack", MANIFEST_FILE)]));
      const all = files.map((f) => fs.readFileSync(path.join(app.outdir, f), "utf8")).join("\n");
      expect(all).not.toContain(secret);
      expect(all).toContain(`"apiKeyEnv": "${PBX_KEY_ENV}"`);
    } finally {
      delete process.env[PBX_KEY_ENV];
    }
  });
});
