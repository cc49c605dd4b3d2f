/**
 * Regions end to end (U10, H7): one cdktf app with an EU stack and a UK stack, two emulators on
 * loopback (one playing the EU, one `region: "uk"`), and DIMENSIONS_API_URL_EU / _UK (with each
 * region's own credentials) pointing at them. Each customer lands in its own region's emulator and
 * not the other, each apply names its host, the UK's PBX import holds customer.user.uc.essential,
 * a UK PBX user declared as a new user is adopted and survives the destroy (H7).
 *
 * The shared DIMENSIONS_API_URL and DIMENSIONS_TOKEN_URL point at a closed loopback port: a stack
 * that ignored its region's variables fails here instead of reaching the vendor's host.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, LocalBackend } from "cdktf";
import { Customer, CustomerRemovalPolicy, CustomerUser, DimensionsStack, Role, type DimensionsRegion, type RoleKey } from "../../src";
import { Sandbox } from "../../src/cli/sandbox";
import { assertTerraformOk, runTerraform, terraformEnv, type TerraformResult } from "../../src/cli/terraform";
import { createClientFromEnv, type DimensionsClientApi } from "../../src/client";
import { ENV } from "../../src/contracts/handler";
import { describeE2E } from "./harness";

jest.setTimeout(300_000);

const KEY_ENV = "E2E_REGIONS_KAZOO_API_KEY";
const KEY_VALUE = "kazoo-secret-regions-7c21";
/** Nothing listens here: the fallback a regional stack must never use. */
const NOWHERE = "http://127.0.0.1:9";

interface RegionSpec {
  readonly region: DimensionsRegion;
  readonly stack: string;
  readonly reference: string;
  readonly pbxAccount: string;
  readonly pbxUser: string;
}
const EU: RegionSpec = { region: "eu", stack: "customers-eu", reference: "EU-001", pbxAccount: "eu-pbx", pbxUser: "desk@eu.e2e.test" };
const UK: RegionSpec = { region: "uk", stack: "customers-uk", reference: "UK-001", pbxAccount: "uk-pbx", pbxUser: "desk@uk.e2e.test" };

function customerOf(stack: DimensionsStack, spec: RegionSpec, removalPolicy: CustomerRemovalPolicy): Customer {
  return new Customer(stack, "customer", {
    name: `Regions ${spec.region.toUpperCase()}`,
    description: "end-to-end regions customer",
    reference: spec.reference,
    timezone: "Europe/London",
    countryCode: "GB",
    pbx: { hostRest: "https://pbx.e2e.test", hostWebsocket: "wss://pbx.e2e.test", accountId: spec.pbxAccount, apiKeyEnv: KEY_ENV },
    removalPolicy,
  });
}

/** The app: one EU stack (customer deleted on destroy) and one UK stack (customer retained). */
function synthApp(root: string): Record<"eu" | "uk", string> {
  const app = new App({ outdir: path.join(root, "cdktf.out") });
  const stacks = [EU, UK].map((spec) => {
    const stack = new DimensionsStack(app, spec.stack, { region: spec.region, acceptCharges: true });
    new LocalBackend(stack, { path: path.join(root, `${spec.stack}.tfstate`) });
    return stack;
  });
  const [euStack, ukStack] = stacks;

  const eu = customerOf(euStack, EU, CustomerRemovalPolicy.DELETE);
  new CustomerUser(euStack, "ana", { customer: eu, email: "ana@eu.e2e.test", displayName: "Ana", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], primaryAdmin: true });

  const uk = customerOf(ukStack, UK, CustomerRemovalPolicy.RETAIN);
  new CustomerUser(ukStack, "ada", { customer: uk, email: "ada@uk.e2e.test", displayName: "Ada", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], primaryAdmin: true });
  new CustomerUser(ukStack, "bob", { customer: uk, email: "bob@uk.e2e.test", displayName: "Bob", roles: [Role.WEBSITE_ACCESS] });
  // On the UK PBX, declared as a new user (delete policy, as a CSV row is): adopted (U2), never deleted (H7).
  new CustomerUser(ukStack, "desk", { customer: uk, email: UK.pbxUser, displayName: "UK desk", roles: [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK] });

  app.synth();
  return { eu: path.join(root, "cdktf.out", "stacks", EU.stack), uk: path.join(root, "cdktf.out", "stacks", UK.stack) };
}

/** A stack of its own whose region changes between applies: the customer moves to the other API. */
function synthMoving(root: string, region: DimensionsRegion, miaRoles: RoleKey[] = [Role.WEBSITE_ACCESS, Role.RECORDING_PLAYBACK]): string {
  const app = new App({ outdir: path.join(root, "cdktf.out-moving") });
  const stack = new DimensionsStack(app, "moving", { region, acceptCharges: true });
  new LocalBackend(stack, { path: path.join(root, "moving.tfstate") });
  const customer = customerOf(stack, { ...EU, reference: "MOVE-001", pbxAccount: "move-pbx" }, CustomerRemovalPolicy.RETAIN);
  new CustomerUser(stack, "max", { customer, email: "max@move.e2e.test", displayName: "Max", roles: [Role.WEBSITE_ACCESS, Role.MANAGE_USERS], primaryAdmin: true });
  new CustomerUser(stack, "mia", { customer, email: "mia@move.e2e.test", displayName: "Mia", roles: miaRoles });
  app.synth();
  return path.join(root, "cdktf.out-moving", "stacks", "moving");
}

describeE2E("an EU and a UK stack against two emulators", () => {
  let root: string;
  let sandboxes: Record<"eu" | "uk", Sandbox>;
  let env: NodeJS.ProcessEnv;
  let api: Record<"eu" | "uk", DimensionsClientApi>;
  let dirs: Record<"eu" | "uk", string>;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dimensions-e2e-regions-"));
    sandboxes = {
      eu: await Sandbox.start({ dir: path.join(root, "eu") }),
      uk: await Sandbox.start({ dir: path.join(root, "uk"), region: "uk" }),
    };
    const regional: NodeJS.ProcessEnv = {};
    for (const [suffix, sandbox] of [["EU", sandboxes.eu], ["UK", sandboxes.uk]] as const) {
      const { emulator } = sandbox;
      regional[`${ENV.apiUrl}_${suffix}`] = emulator.url;
      regional[`${ENV.tokenUrl}_${suffix}`] = emulator.tokenUrl;
      regional[`${ENV.clientId}_${suffix}`] = emulator.demo.clientId;
      regional[`${ENV.clientSecret}_${suffix}`] = emulator.demo.clientSecret;
      regional[`${ENV.refreshToken}_${suffix}`] = emulator.demo.refreshToken;
    }
    env = terraformEnv(root, {
      ...regional,
      [ENV.apiUrl]: NOWHERE,
      [ENV.tokenUrl]: `${NOWHERE}/connect/token`,
      // One cache for the handlers and the test's clients: refresh tokens rotate (api-contract §2).
      [ENV.credentialsFile]: path.join(root, "credentials.json"),
      [KEY_ENV]: KEY_VALUE,
    });
    api = { eu: createClientFromEnv(env, { region: "eu" }), uk: createClientFromEnv(env, { region: "uk" }) };
    await sandboxes.eu.control("PUT", `/pbx/${EU.pbxAccount}/users`, [{ email: EU.pbxUser, displayName: "EU desk" }]);
    await sandboxes.uk.control("PUT", `/pbx/${UK.pbxAccount}/users`, [{ email: UK.pbxUser, displayName: "UK desk" }]);
    dirs = synthApp(root);
  });

  afterAll(async () => {
    await sandboxes?.eu.close();
    await sandboxes?.uk.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  async function terraform(region: "eu" | "uk", args: string[]): Promise<TerraformResult> {
    const cwd = dirs[region];
    if (!fs.existsSync(path.join(cwd, ".terraform"))) assertTerraformOk(await runTerraform(["init", "-input=false"], { cwd, env, timeoutMs: 300_000 }));
    return runTerraform(args, { cwd, env, timeoutMs: 300_000 });
  }

  async function planHasChanges(region: "eu" | "uk"): Promise<boolean> {
    const result = await terraform(region, ["plan", "-detailed-exitcode", "-input=false"]);
    if (result.code !== 0 && result.code !== 2) assertTerraformOk(result);
    return result.code === 2;
  }

  /** The users of a customer in one region's emulator, e-mail → sorted roles. */
  async function usersIn(region: "eu" | "uk", reference: string): Promise<Record<string, string[]>> {
    const [customer] = await api[region].findCustomersByReference(reference);
    if (!customer) throw new Error(`customer ${reference} is not in the ${region} emulator`);
    const listed = await api[region].listUsers(customer.id);
    const full = await Promise.all(listed.map((u) => api[region].getUser(customer.id, u.id)));
    return Object.fromEntries(full.map((u) => [u.email, [...(u.roles ?? [])].sort()]));
  }

  const references = async (region: "eu" | "uk") => (await api[region].listCustomers()).map((c) => c.reference).sort();
  const host = (region: "eu" | "uk") => new URL(sandboxes[region].emulator.url).host;
  /** The distinct "dimensions: api: …" lines of a run (one per handler process). */
  const apiLines = (stdout: string) => [...new Set([...stdout.matchAll(/dimensions: api: (.+)$/gm)].map((m) => m[1].trim()))];

  test("U10/H7: apply lands each customer in its own region, plan is empty, destroy leaves only what H1 and H7 keep", async () => {
    // WHEN both stacks are applied
    const applied = {
      eu: assertTerraformOk(await terraform("eu", ["apply", "-auto-approve", "-input=false"])),
      uk: assertTerraformOk(await terraform("uk", ["apply", "-auto-approve", "-input=false"])),
    };

    // THEN every handler run of each stack names its region's host and the variable that chose it
    expect(apiLines(applied.eu.stdout)).toEqual([`${host("eu")} (DIMENSIONS_API_URL_EU; stack region eu)`]);
    expect(apiLines(applied.uk.stdout)).toEqual([`${host("uk")} (DIMENSIONS_API_URL_UK; stack region uk)`]);
    // ... each customer is in its own region's emulator and not in the other
    expect(await references("eu")).toEqual([EU.reference]);
    expect(await references("uk")).toEqual([UK.reference]);
    // ... each region's PBX import holds its own synchronised role (U10); the UK PBX user was adopted, kept it, and got its declared roles
    expect(await usersIn("eu", EU.reference)).toEqual({ "ana@eu.e2e.test": ["customer.user", "user.admin"], [EU.pbxUser]: ["customer.user.pbx"] });
    expect(await usersIn("uk", UK.reference)).toEqual({
      "ada@uk.e2e.test": ["customer.user", "user.admin"],
      "bob@uk.e2e.test": ["customer.user"],
      [UK.pbxUser]: ["customer.user", "customer.user.uc.essential", "recording.viewer"],
    });
    expect(applied.uk.stdout + applied.eu.stdout).not.toContain(KEY_VALUE);

    // ... and a second plan of each stack shows no changes
    expect(await planHasChanges("eu")).toBe(false);
    expect(await planHasChanges("uk")).toBe(false);

    // WHEN both stacks are destroyed
    assertTerraformOk(await terraform("eu", ["destroy", "-auto-approve", "-input=false"]));
    const destroyedUk = assertTerraformOk(await terraform("uk", ["destroy", "-auto-approve", "-input=false"]));

    // THEN the EU customer is gone (removal policy delete)
    expect(await references("eu")).toEqual([]);
    // ... the UK customer is retained (its policy) with only what the rules keep: the primary admin
    // (H1) and the PBX user, revoked to its synchronised role, never deleted (H7); Bob is gone.
    expect(destroyedUk.stdout).toMatch(/desk@uk\.e2e\.test \(UK-001\): on the PBX, so it is never deleted \(H7\)/);
    expect(await usersIn("uk", UK.reference)).toEqual({ "ada@uk.e2e.test": ["customer.user", "user.admin"], [UK.pbxUser]: ["customer.user.uc.essential"] });
    // ... and neither emulator ever held the other region's customer
    const euState = await sandboxes.eu.control<{ customers: Array<{ reference: string }> }>("GET", "/state");
    const ukState = await sandboxes.uk.control<{ customers: Array<{ reference: string }> }>("GET", "/state");
    expect(euState.customers.map((c) => c.reference)).toEqual([EU.reference]);
    expect(ukState.customers.map((c) => c.reference)).toEqual([UK.reference]);
  });

  test("GIVEN an applied EU stack WHEN its region becomes uk, with a user's roles changed too, THEN the apply converges every declared user at the UK API and sends nothing to the EU one", async () => {
    const cwd = synthMoving(root, "eu");
    assertTerraformOk(await runTerraform(["init", "-input=false"], { cwd, env, timeoutMs: 300_000 }));
    assertTerraformOk(await runTerraform(["apply", "-auto-approve", "-input=false"], { cwd, env, timeoutMs: 300_000 }));
    const applied = { "max@move.e2e.test": ["customer.user", "user.admin"], "mia@move.e2e.test": ["customer.user", "recording.viewer"] };
    expect(await usersIn("eu", "MOVE-001")).toEqual(applied);

    synthMoving(root, "uk", [Role.WEBSITE_ACCESS, Role.SILENT_MONITOR]);
    const euBefore = await sandboxes.eu.control<{ apiRequests: number }>("GET", "/stats");
    const moved = assertTerraformOk(await runTerraform(["apply", "-auto-approve", "-input=false"], { cwd, env, timeoutMs: 300_000 }));
    const euAfter = await sandboxes.eu.control<{ apiRequests: number }>("GET", "/stats");

    // The release ran with the old settings and left the old tenant alone; the create converged it at the new API.
    expect(moved.stdout).toContain("another API (region or apiUrl changed)");
    expect(euAfter.apiRequests).toBe(euBefore.apiRequests);
    expect(await usersIn("uk", "MOVE-001")).toEqual({ ...applied, "mia@move.e2e.test": ["customer.user", "pbx.silentmonitor"] });
    expect(await usersIn("eu", "MOVE-001")).toEqual(applied);
    const plan = await runTerraform(["plan", "-detailed-exitcode", "-input=false"], { cwd, env, timeoutMs: 300_000 });
    expect(plan.code).toBe(0);
  });
});
