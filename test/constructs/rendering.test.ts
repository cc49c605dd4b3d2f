/**
 * Property checks on the synthesized Terraform JSON and the manifest (layout 2): one tenant
 * resource per customer holding its users, the stack resource and the inventory, the payloads of
 * the handler contract (src/contracts/handler.ts), the provisioners, depends_on, folding of
 * RoleAssignments (resolved lazily), the null_resource variant, and no secret in any output.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  canonicalJson,
  customerKey,
  desiredDigest,
  doneFileName,
  inventoryPayload,
  markerStem,
  manifest as manifestSchema,
  PAYLOAD_CHUNKS,
  stackPayload,
  SYNTH_FAILED_DIGEST,
  tenantPayload,
  type Manifest,
} from "../../src/contracts/handler";
import { Customer, CustomerRemovalPolicy, CustomerUser, MANIFEST_FILE, Role, RoleAssignment } from "../../src";
import { acmeWithAdmin, ADMIN, customerProps, newApp, newStack, payloadIn, PBX_KEY_ENV, resourceAt, stackDir, synthErrors, synthJson, useFakeHandlerBundle, type TfJson, type TfResource } from "./helpers";

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

const tenantOf = (body: TfResource) => tenantPayload.parse(payloadIn(body));
const SETTINGS = { region: "eu", acceptCharges: true };

describe("the tenant resource: one per customer, holding its users", () => {
  test("the customer's resource renders the contract's tenant payload in triggers_replace, and no input (C1, C5 default RETAIN)", () => {
    const { app, stack } = example();
    const { address, body } = resourceAt(synthJson(app, stack), "stack/acme/Default");
    expect(address).toBe("terraform_data.acme");
    expect(body.input).toBeUndefined();
    const payload = tenantOf(body);
    expect(payload.t.customer).toEqual({
      reference: "ACME-001",
      name: "Acme Corporation",
      description: "Acme contact centre",
      enabled: true,
      timezone: "Europe/Paris",
      countryCode: "FR",
      pbx: { hostRest: "https://pbx.acme.test", hostWebsocket: "wss://pbx.acme.test", accountId: "acme-0001", apiKeyEnv: PBX_KEY_ENV },
    });
    expect(payload.i).toEqual({ kind: "tenant", owned: true, removalPolicy: "retain", settings: SETTINGS });
  });

  test("t and i are canonical JSON text (keys sorted at every level): the text depends on the desired state, not on the order users are declared in", () => {
    const render = (order: string[]) => {
      const app = newApp();
      const stack = newStack(app);
      const customer = new Customer(stack, "acme", customerProps());
      for (const name of order) {
        new CustomerUser(stack, name, { customer, email: `${name}@acme.test`, displayName: name, roles: name === "ana" ? [...ADMIN] : [Role.WEBSITE_ACCESS], primaryAdmin: name === "ana" });
      }
      return resourceAt(synthJson(app, stack), "stack/acme/Default").body.triggers_replace!;
    };
    const forward = render(["ana", "bo", "cy"]);
    expect(typeof forward.t).toBe("string");
    expect(typeof forward.i).toBe("string");
    expect(render(["cy", "ana", "bo"])).toEqual(forward);
    expect(forward.t).toBe(canonicalJson(JSON.parse(forward.t)));
    expect(forward.i).toBe(canonicalJson(JSON.parse(forward.i)));
    expect(Object.keys((JSON.parse(forward.t) as { users: object }).users)).toEqual(["ana@acme.test", "bo@acme.test", "cy@acme.test"]);
  });

  test("a declared user is one entry, its roles sorted and folded with its assignments, defaults left out", () => {
    const { app, stack } = example();
    const { t } = tenantOf(resourceAt(synthJson(app, stack), "stack/acme/Default").body);
    expect(t.users["Bo@acme.test"]).toEqual({ displayName: "Bo", roles: ["customer.user", "customer.user.supervisorl2", "pbx.silentmonitor"] });
    expect(t.users["ana@acme.test"]).toEqual({ displayName: "Ana", roles: ["customer.user", "customer.user.supervisorl1", "user.admin"], primary: true });
  });

  test("users have no resource of their own: a stack of 2 customers × 50 users has 4 handler resources", () => {
    const app = newApp();
    const stack = newStack(app);
    for (const c of ["a", "b"]) {
      const customer = new Customer(stack, c, customerProps({ reference: `REF-${c}` }));
      new CustomerUser(stack, `${c}-admin`, { customer, email: `admin@${c}.test`, displayName: "Admin", roles: [...ADMIN], primaryAdmin: true });
      for (let i = 1; i < 50; i++) new CustomerUser(stack, `${c}-${i}`, { customer, email: `u${i}@${c}.test`, displayName: `U${i}`, roles: [Role.WEBSITE_ACCESS] });
    }
    const json = synthJson(app, stack);
    expect(Object.keys(json.resource.terraform_data).sort()).toEqual(["a", "b", "dimensions", "dimensions-inventory"]);
    expect(Object.keys(tenantOf(json.resource.terraform_data.a).t.users)).toHaveLength(50);
  });

  test("an e-mail the app does not declare is ONE additive entry of its customer, shared by assignments", () => {
    const { app, stack, customer } = example();
    new RoleAssignment(stack, "record", { customer, roles: [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK], users: ["team.lead@ACME.test"] });
    const { t } = tenantOf(resourceAt(synthJson(app, stack), "stack/acme/Default").body);
    const additive = Object.entries(t.users).filter(([, u]) => u.management === "additive");
    expect(additive).toEqual([["team.lead@acme.test", { roles: ["customer.user", "pbx.silentmonitor", "recording.viewer"], origin: "adopted", management: "additive" }]]);
  });

  test("an assignment naming an e-mail that a CustomerUser declares LATER folds into that user", () => {
    const app = newApp();
    const stack = newStack(app);
    const customer = new Customer(stack, "acme", customerProps());
    new RoleAssignment(stack, "live", { customer, roles: [Role.SILENT_MONITOR], users: ["ANA@acme.test"] });
    new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
    const { t } = tenantOf(resourceAt(synthJson(app, stack), "stack/acme/Default").body);
    expect(Object.keys(t.users)).toEqual(["ana@acme.test"]);
    expect(t.users["ana@acme.test"].roles).toEqual(["customer.user", "customer.user.supervisorl1", "pbx.silentmonitor", "user.admin"]);
  });

  test("roles added after construction (addRoles, later assignments) are rendered: lazies resolve at synth", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer, ana } = acmeWithAdmin(stack);
    ana.addRoles(Role.RECORDING_PLAYBACK, Role.WEBSITE_ACCESS);
    new RoleAssignment(stack, "late", { customer, roles: [Role.SILENT_MONITOR], users: [ana] });
    const json = synthJson(app, stack);
    expect(JSON.stringify(json)).not.toContain("TfToken");
    expect(tenantOf(resourceAt(json, "stack/acme/Default").body).t.users["ana@acme.test"].roles).toEqual(["customer.user", "customer.user.supervisorl1", "pbx.silentmonitor", "recording.viewer", "user.admin"]);
  });

  test("adopted users render origin adopted, and no displayName unless given (REVOKE is their default)", () => {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    CustomerUser.adopt(stack, "reception", { customer, email: "reception@acme.test", roles: [Role.WEBSITE_ACCESS, Role.DEVICE_ACCESS] });
    const { t } = tenantOf(resourceAt(synthJson(app, stack), "stack/acme/Default").body);
    expect(t.users["reception@acme.test"]).toEqual({ roles: ["customer.device.readonly", "customer.user"], origin: "adopted" });
  });

  test("a referenced customer gets a tenant resource that only names its reference (owned false), with the stack's settings", () => {
    const app = newApp();
    const stack = newStack(app, { apiUrl: "https://api.partner.test" });
    const customer = Customer.fromReference(stack, "beta", "BETA-001");
    new CustomerUser(stack, "bo", { customer, email: "bo@beta.test", displayName: "Bo", roles: [Role.WEBSITE_ACCESS] });
    const { address, body } = resourceAt(synthJson(app, stack), "stack/beta/Default");
    expect(address).toBe("terraform_data.beta");
    expect(tenantOf(body)).toEqual({
      t: { customer: { reference: "BETA-001" }, users: { "bo@beta.test": { displayName: "Bo", roles: ["customer.user"] } } },
      i: { kind: "tenant", owned: false, settings: { apiUrl: "https://api.partner.test", acceptCharges: true } },
    });
  });

  test("a referenced customer's users are in the stack's inventory, so removing that customer from the code releases them", () => {
    const synthWith = (withBeta: boolean) => {
      const app = newApp();
      const stack = newStack(app);
      acmeWithAdmin(stack);
      if (withBeta) {
        const beta = Customer.fromReference(stack, "beta", "BETA-001");
        new CustomerUser(stack, "gina", { customer: beta, email: "gina@beta.test", displayName: "Gina", roles: [Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR] });
        new RoleAssignment(stack, "rec", { customer: beta, roles: [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK], users: ["lead@beta.test"] });
      }
      return inventoryPayload.parse(payloadIn(resourceAt(synthJson(app, stack), "stack/dimensions-inventory").body));
    };
    const before = synthWith(true);
    const after = synthWith(false);
    // Exact users keep only their flags (their release revokes what they hold live); additive ones
    // the roles the app granted; nobody's name.
    expect(before.t.objects[customerKey("BETA-001")]).toEqual({
      kind: "referenced-customer",
      reference: "BETA-001",
      users: { "gina@beta.test": { roles: [] }, "lead@beta.test": { roles: ["customer.user", "recording.viewer"], origin: "adopted", management: "additive" } },
    });
    expect(before.t.objects[customerKey("ACME-001")]).toEqual({ kind: "customer", reference: "ACME-001", removalPolicy: "retain" });
    // The key disappears: the inventory is replaced and its release frees gina's access.
    expect(Object.keys(after.t.objects)).toEqual([customerKey("ACME-001")]);
  });

  test("a role change of an owned customer's user leaves the inventory untouched (plans stay short)", () => {
    const inventoryWith = (boRoles: string[]) => {
      const app = newApp();
      const stack = newStack(app);
      const customer = new Customer(stack, "acme", customerProps());
      new CustomerUser(stack, "ana", { customer, email: "ana@acme.test", displayName: "Ana", roles: [...ADMIN], primaryAdmin: true });
      new CustomerUser(stack, "bo", { customer, email: "bo@acme.test", displayName: "Bo", roles: boRoles });
      return payloadIn(resourceAt(synthJson(app, stack), "stack/dimensions-inventory").body);
    };
    expect(inventoryWith([Role.WEBSITE_ACCESS, Role.ANALYTICS_SUPERVISOR])).toEqual(inventoryWith([Role.WEBSITE_ACCESS, Role.REPORTS_SUPERVISOR]));
  });

  test("Terraform template sequences in literal values and keys are escaped in the JSON; the manifest keeps the text", () => {
    const app = newApp();
    const stack = newStack(app);
    acmeWithAdmin(stack, { name: "Acme ${not} %{an} expression" });
    const json = synthJson(app, stack);
    expect(payloadIn(resourceAt(json, "stack/acme/Default").body)!.t.customer.name).toBe("Acme $${not} %%{an} expression");
    expect((readManifest(app).objects[customerKey("ACME-001")].t as { customer: { name: string } }).customer.name).toBe("Acme ${not} %{an} expression");
  });

  test("removal policies and the primary flag are desired state of the tenant (a change shows in the plan)", () => {
    const app = newApp();
    const stack = newStack(app);
    acmeWithAdmin(stack, { removalPolicy: CustomerRemovalPolicy.DELETE });
    const payload = tenantOf(resourceAt(synthJson(app, stack), "stack/acme/Default").body);
    expect(payload.i.removalPolicy).toBe("delete");
    expect(payload.t.users["ana@acme.test"].primary).toBe(true);
  });

  test("H8: authoritativeUsers renders authoritative in the tenant's desired state; the default leaves it out", () => {
    const render = (authoritativeUsers?: boolean) => {
      const app = newApp();
      const stack = newStack(app);
      acmeWithAdmin(stack, authoritativeUsers === undefined ? {} : { authoritativeUsers });
      return tenantOf(resourceAt(synthJson(app, stack), "stack/acme/Default").body).t;
    };
    expect(render(true).authoritative).toBe(true);
    expect(render().authoritative).toBeUndefined();
    expect(render(false).authoritative).toBeUndefined();
  });
});

describe("the stack resource, the inventory and depends_on", () => {
  test("every tenant and the inventory depend on the stack resource, whose desired state is constant", () => {
    const { app, stack } = example();
    const json = synthJson(app, stack);
    const head = resourceAt(json, "stack/dimensions");
    expect(head.address).toBe("terraform_data.dimensions");
    // No settings: a change of them must never replace the stack resource (its release runs
    // after every object's, as in a destroy); they are in the manifest for its release.
    expect(stackPayload.parse(payloadIn(head.body))).toEqual({ t: { stack: "stack" }, i: { kind: "stack" } });
    expect(readManifest(app).settings).toEqual(SETTINGS);
    expect(head.body.depends_on).toBeUndefined();
    expect(resourceAt(json, "stack/acme/Default").body.depends_on).toEqual(["terraform_data.dimensions"]);
    expect(resourceAt(json, "stack/dimensions-inventory").body.depends_on).toEqual(["terraform_data.dimensions"]);
  });

  test("the stack resource is the same whatever the customers (only -replace, taint or destroy touch it)", () => {
    const one = example();
    const two = newApp();
    const other = newStack(two);
    acmeWithAdmin(other, { reference: "OTHER-001" });
    expect(resourceAt(synthJson(two, other), "stack/dimensions").body.triggers_replace).toEqual(resourceAt(synthJson(one.app, one.stack), "stack/dimensions").body.triggers_replace);
  });

  test("a stack with no customer still has its (empty) inventory", () => {
    const app = newApp();
    const stack = newStack(app);
    expect(inventoryPayload.parse(payloadIn(resourceAt(synthJson(app, stack), "stack/dimensions-inventory").body)).t).toEqual({ objects: {} });
  });
});

describe("provisioners", () => {
  test("every handler resource runs the current asset at create and destroy, with the payload in chunks and the manifest's digest", () => {
    const { app, stack } = example();
    const json = synthJson(app, stack);
    const assetPath = stack.handlerAsset.path;
    expect(assetPath).toMatch(/^assets\/dimensions-handler\/[0-9A-F]+\/handler\.cjs$/);
    expect(fs.readFileSync(path.join(stackDir(app, stack), assetPath), "utf8")).toBe(fs.readFileSync(bundle, "utf8"));
    const digest = createHash("sha256").update(fs.readFileSync(path.join(stackDir(app, stack), MANIFEST_FILE))).digest("hex");
    const resources = Object.values(json.resource.terraform_data);
    expect(resources).toHaveLength(3); // the stack resource, the inventory, acme
    for (const r of resources) {
      const [apply, release] = r.provisioner!;
      const node = `node "\${abspath(path.module)}/${assetPath}" apply`;
      const tenant = payloadIn(r)!.i.kind === "tenant";
      if (tenant) {
        // After a release that already took the tenant to this desired state, the shell skips the handler.
        const digest = desiredDigest(payloadIn(r)!.t);
        const dir = "${abspath(path.module)}/.dimensions-markers";
        const done = `${dir}/${doneFileName("customer:ACME-001", digest)}`;
        expect(apply["local-exec"].command).toBe(`test -f "${done}" && rm -f "${done}" "${dir}/${markerStem("customer:ACME-001")}.json" || ${node}`);
      } else {
        expect(apply["local-exec"].command).toBe(node);
      }
      expect(release["local-exec"]).toMatchObject({ command: `node "\${abspath(path.module)}/${assetPath}" release`, when: "destroy" });
      // The destroy provisioner decodes the OLD state from self; a customer's create reads its
      // desired state from the manifest entry its key names (checked by the digest).
      const env = release["local-exec"].environment;
      expect(apply["local-exec"].environment).toEqual(
        tenant ? { DIMENSIONS_MANIFEST: env.DIMENSIONS_MANIFEST, DIMENSIONS_MANIFEST_DIGEST: digest, DIMENSIONS_OBJECT_KEY: "customer:ACME-001" } : env,
      );
      expect(env.DIMENSIONS_MANIFEST).toBe("${abspath(path.module)}/dimensions.manifest.json");
      expect(env.DIMENSIONS_MANIFEST_DIGEST).toBe(digest);
      expect(env.DIMENSIONS_PAYLOAD).toBe("${substr(base64gzip(jsonencode({ t = self.triggers_replace, i = self.input })), 0, 100000)}");
      // A small payload needs 2 chunks (room for a state 8 times larger); the others are empty,
      // so a plan evaluates 2 expressions per resource, not 8.
      expect(env.DIMENSIONS_PAYLOAD_1).toBe("${substr(base64gzip(jsonencode({ t = self.triggers_replace, i = self.input })), 100000, 100000)}");
      for (let i = 2; i < PAYLOAD_CHUNKS; i++) expect(env[`DIMENSIONS_PAYLOAD_${i}`]).toBe("");
      expect(r.lifecycle).toBeUndefined();
    }
  });
});

describe("a customer too large for the destroy provisioner's environment", () => {
  /**
   * `users` users whose e-mails and names are digests: they compress little, so a few thousand
   * fill the environment that ~20,000 users of real, repetitive data do.
   */
  function bigCustomer(users: number) {
    const app = newApp();
    const stack = newStack(app);
    const { customer } = acmeWithAdmin(stack);
    const digest = (i: number, salt: string) => createHash("sha256").update(`${salt}${i}`).digest("base64url");
    for (let i = 0; i < users; i++) {
      new CustomerUser(stack, `u${i}`, { customer, email: `${digest(i, "e").slice(0, 40).toLowerCase().replace(/[^a-z0-9]/g, "x")}@acme.test`, displayName: `${digest(i, "n")}${digest(i, "m")}`.slice(0, 86), roles: [Role.WEBSITE_ACCESS] });
    }
    return { app, stack };
  }

  test("GIVEN a customer whose applied state would not fit the destroy provisioner's environment THEN CustomerTooLarge fails the synth, before anything is sent", () => {
    const { stack } = bigCustomer(7_000);
    const errors = synthErrors(stack);
    expect(errors.map((e) => `${e.path} ${e.code}`)).toEqual(["stack/acme CustomerTooLarge"]);
    expect(errors[0].rule).toBe("runtime");
    expect(errors[0].text).toMatch(/^customer "ACME-001" declares 7001 users in this stack: applied, its state would take \d+ characters of the destroy provisioner's environment, more than the 760000 it safely carries \(95 % of 800000\), so later changes, replacements or destroys of it could not run; declare at most about \d+ of its users in one stack/);
  });

  test("GIVEN the same customer with fewer users, within the environment THEN it passes with no finding", () => {
    const { app, stack } = bigCustomer(3_000);
    expect(synthErrors(stack)).toEqual([]);
    // Room for a state 8 times larger: every value the environment has is an expression.
    const env = resourceAt(synthJson(app, stack), "stack/acme/Default").body.provisioner!.find((p) => p["local-exec"].when === "destroy")!["local-exec"].environment!;
    for (let i = 1; i < PAYLOAD_CHUNKS; i++) expect(env[`DIMENSIONS_PAYLOAD_${i}`]).toMatch(/^\$\{substr\(base64gzip/);
  });
});

describe("manifest", () => {
  function renderedObjects(json: TfJson): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of Object.values(json.resource.terraform_data)) {
      const p = payloadIn(r) as { t: { customer?: { reference: string } }; i: { kind: string } };
      if (p.i.kind === "tenant") out[customerKey(p.t.customer!.reference)] = p;
    }
    return out;
  }

  test("the manifest holds exactly the payloads the tenant resources render", () => {
    const { app, stack } = example();
    const json = synthJson(app, stack);
    const m = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "stack", MANIFEST_FILE), "utf8")) as Manifest;
    expect(m.version).toBe(2);
    expect(m.stack).toBe("stack");
    expect(m.objects).toEqual(renderedObjects(json));
    expect(Object.keys(m.objects)).toEqual(["customer:ACME-001"]);
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

  test("a synth forced past its errors renders a digest every handler run refuses", () => {
    process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = "true";
    try {
      const app = newApp();
      const stack = newStack(app);
      new Customer(stack, "acme", customerProps());
      app.synth();
      const json = JSON.parse(fs.readFileSync(path.join(stackDir(app, stack), "cdk.tf.json"), "utf8")) as TfJson;
      for (const r of Object.values(json.resource.terraform_data)) {
        expect(r.provisioner![0]["local-exec"].environment.DIMENSIONS_MANIFEST_DIGEST).toBe(SYNTH_FAILED_DIGEST);
      }
      expect(fs.existsSync(path.join(stackDir(app, stack), MANIFEST_FILE))).toBe(false);
    } finally {
      delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    }
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
    const acme = resourceAt(json, "stack/acme/Default");
    expect(acme.address).toBe("null_resource.acme");
    expect(acme.body.depends_on).toEqual(["null_resource.dimensions"]);
    const payload = tenantPayload.parse({ t: JSON.parse(acme.body.triggers!.t), i: JSON.parse(acme.body.triggers!.i) });
    expect(payload.t.users["ana@acme.test"].roles).toEqual(["customer.user", "customer.user.supervisorl1", "pbx.silentmonitor", "user.admin"]);
    expect(readManifest(app).objects[customerKey("ACME-001")]).toEqual(payload);
    const env = acme.body.provisioner![1]["local-exec"].environment;
    expect(env.DIMENSIONS_PAYLOAD).toBe("${substr(base64gzip(jsonencode({ t = self.triggers.t, i = self.triggers.i })), 0, 100000)}");
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
