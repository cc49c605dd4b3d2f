import type { Construct, IConstruct } from "constructs";
import { createHash } from "node:crypto";
import { STACK_RESOURCE_ID, SYNTH_FAILED_DIGEST, type RenderedPayload, type Settings } from "../contracts/handler";
import {
  addCustomSynthesis,
  Aspects,
  AssetType,
  dependable,
  Lazy,
  NullProvider,
  TerraformAsset,
  TerraformStack,
  ValidateTerraformVersion,
  type TerraformResource,
} from "../framework";
import { checkStackFields } from "../validation/props";
import { DimensionsError, finding } from "../validation/rules";
import { deferFindings } from "./private/deferred";
import { forwarderPath, handlerBundlePath } from "./private/bundle";
import { resolveTokens } from "./private/tokens";
import { createHandlerResource, type ResourceTypeValue } from "./private/handler-resource";
import { attachState, STACK_BRAND, stackStateOf, type StackState } from "./private/internals";
import { inventoryPayload, stackPayload } from "./private/payloads";
import { writeLicenseReport } from "./private/licenses";
import { buildManifest, DimensionsSynthChecks, endFailedSynthsWithForcingLine, hasErrors, stableStringify, writeManifest } from "./private/synth";

/** Regions of the platform: each has its own API URL and, for a few roles, its own catalogue (U10). */
export type DimensionsRegion = "au" | "eu" | "na" | "uk";
const REGIONS: readonly string[] = ["au", "eu", "na", "uk"] satisfies DimensionsRegion[];
const isRegion = (x: unknown): x is DimensionsRegion => typeof x === "string" && REGIONS.includes(x);

/**
 * The Terraform resource type that carries each managed object.
 *
 * - `terraform_data`: built into Terraform ≥ 1.4, needs no provider (works offline).
 * - `null_resource`: the `hashicorp/null` provider; for teams whose policies require it. Its
 *   `triggers` hold `t` and `i` as JSON strings, so a change of `i` (a removal policy, the primary
 *   flag) also replaces the resource.
 */
export type ResourceType = ResourceTypeValue;

export interface DimensionsStackProps {
  /**
   * C6: creating a customer and granting licensed roles cost money; the API refuses them (402)
   * unless the request says `accept-charges: true`. Set this to `true` to send it — an explicit,
   * reviewable opt-in. With `false`, declaring an owned customer or a licensed role fails the synth.
   */
  readonly acceptCharges: boolean;
  /**
   * Region whose API the handler calls (unless `DIMENSIONS_API_URL` is set where terraform runs).
   * @default "eu" - unless `apiUrl` is set
   */
  readonly region?: DimensionsRegion;
  /**
   * Explicit API base URL (the handler appends /api/v1.0), instead of a region.
   * @default - the region's base URL
   */
  readonly apiUrl?: string;
  /**
   * @default "terraform_data" - built in, no provider needed
   */
  readonly resourceType?: ResourceType;
}

/**
 * A Terraform stack whose Dimensions customers and users are applied by a bundled handler.
 *
 * What it adds besides your constructs (README "How it maps to Terraform"):
 * - `dimensions-handler`: a TerraformAsset that ships the handler (dist/handler.cjs) into
 *   `assets/` of the stack directory; every provisioner runs the current copy.
 * - `dimensions` (address `terraform_data.dimensions`): the stack resource. Every other resource
 *   depends on it and its desired state never changes, so Terraform destroys it last: on
 *   `terraform destroy` its release releases every customer and access request by its removal
 *   policy; `-replace` or `taint` of it releases nothing.
 * - `dimensions-inventory` (`terraform_data.dimensions-inventory`): the list of the stack's
 *   customers and access requests; when one leaves the code, this resource is replaced and its
 *   release releases exactly that one.
 * - `dimensions.manifest.json`, written at synth beside `cdk.tf.json`: every object's desired state,
 *   read by the handler to tell a replacement from a destroy; its digest is rendered into every
 *   provisioner, so an old manifest, or a synth forced past errors, is refused before any API call.
 * - `dimensions.licenses.json`, written at synth beside `cdk.tf.json`: the licensed roles (U9) the
 *   code grants per customer, with counts and users per role (read by `dimensions licenses`).
 *
 * Changing `region`, `apiUrl` or `acceptCharges` changes every object's `i` (each is replaced;
 * a customer's release reads and writes none of its users); the next change of an object uses the
 * new settings.
 */
export class DimensionsStack extends TerraformStack {
  /** Brand check that works across copies of this library. */
  public static isDimensionsStack(x: unknown): x is DimensionsStack {
    return stackStateOf(x) !== undefined;
  }

  /** The DimensionsStack that contains `construct`; a coded error when there is none. */
  public static override of(construct: IConstruct): DimensionsStack {
    const scopes = construct.node.scopes;
    for (let i = scopes.length - 1; i >= 0; i--) {
      if (DimensionsStack.isDimensionsStack(scopes[i])) return scopes[i] as DimensionsStack;
    }
    throw new DimensionsError(
      finding(
        "NotInDimensionsStack",
        construct.node.path,
        `"${construct.node.path}" is not inside a DimensionsStack`,
        "create it in a DimensionsStack (new DimensionsStack(app, id, { acceptCharges })) instead of a plain TerraformStack",
      ),
    );
  }

  public readonly acceptCharges: boolean;
  public readonly region?: DimensionsRegion;
  public readonly apiUrl?: string;
  public readonly resourceType: ResourceType;
  /** The settings every payload of this stack carries (contract: `settings`). */
  public readonly settings: Settings;
  /** The handler bundle shipped with the stack. */
  public readonly handlerAsset: TerraformAsset;
  /** forward.sh: a tenant create handed to the run's warm handler (the warm handler of a run). @internal */
  public readonly forwarderAsset?: TerraformAsset;
  /** The stack resource, destroyed last (see the class doc). */
  public readonly stackResource: TerraformResource;
  /** The inventory of the stack's customers and access requests. */
  public readonly inventory: TerraformResource;

  private readonly state: StackState;

  constructor(scope: Construct, id: string, props: DimensionsStackProps) {
    super(scope, id);
    props = props ?? ({} as DimensionsStackProps);
    // Reported at synth with every other finding (private/deferred). Until they are fixed, the
    // stack is built with the safe reading of each wrong setting: no charges accepted, the default
    // region and resource type.
    deferFindings(this, checkStackFields(this.node.path, { ...props }));
    this.acceptCharges = props.acceptCharges === true;
    this.apiUrl = props.apiUrl;
    this.region = props.apiUrl === undefined ? (isRegion(props.region) ? props.region : "eu") : undefined;
    this.resourceType = props.resourceType === "null_resource" ? "null_resource" : "terraform_data";
    this.settings =
      this.apiUrl !== undefined
        ? { apiUrl: this.apiUrl, acceptCharges: this.acceptCharges }
        : { region: this.region, acceptCharges: this.acceptCharges };
    this.state = {
      construct: this,
      settings: this.settings,
      // A setting that is not a boolean is reported (InvalidStackSettings); C6 waits for it.
      acceptCharges: typeof props.acceptCharges === "boolean" ? props.acceptCharges : undefined,
      handlerResources: [],
      synthEpoch: 0,
    };
    attachState(this, STACK_BRAND, this.state);

    if (this.resourceType === "null_resource") new NullProvider(this, "dimensions-null");
    // terraform_data needs Terraform ≥ 1.4; checked once per stack (see HandlerData).
    else this.node.addValidation(new ValidateTerraformVersion(">=1.4", "The built-in terraform_data resource needs Terraform >= 1.4. Please upgrade Terraform."));
    const bundle = handlerBundlePath(this.node.path);
    this.handlerAsset = new TerraformAsset(this, "dimensions-handler", { path: bundle, type: AssetType.FILE });
    const forwarder = forwarderPath(bundle);
    this.forwarderAsset = forwarder ? new TerraformAsset(this, "dimensions-forwarder", { path: forwarder, type: AssetType.FILE }) : undefined;
    this.stackResource = this.createHandlerResource(this, STACK_RESOURCE_ID, () => stackPayload(this.state));
    this.state.stackResource = this.stackResource;
    // Always present, even with no customer: when the last customer leaves the code, this
    // inventory's replacement is what releases it.
    this.inventory = this.createHandlerResource(this, "dimensions-inventory", () => inventoryPayload(this.state));
    this.inventory.dependsOn = [dependable(this.stackResource)];

    Aspects.of(this).add(new DimensionsSynthChecks(this.state));
    // A failed synth's output ends with why forcing past its errors is no way out here.
    const forcingLine = endFailedSynthsWithForcingLine(this);
    // One custom synthesis per construct (cdktf): the manifest, then the licence report (U9).
    addCustomSynthesis(this, {
      onSynthesize: (session) => {
        writeManifest(this.state, this, session);
        writeLicenseReport(this.state, this, session);
        forcingLine.afterCustomSynthesis();
      },
    });
  }

  /**
   * Creates one handler resource (the handler contract's payload) in this stack.
   * @internal
   */
  public createHandlerResource(scope: Construct, id: string, payload: () => RenderedPayload): TerraformResource {
    // Rendering asks for the payload once per key of t and i and once per rendering pass; an
    // inventory's payload holds every user of its customer, so compute it once per synth. Before
    // the first synth (the tree may still grow) nothing is cached.
    let memo: { epoch: number; value: RenderedPayload } | undefined;
    const produce = (): RenderedPayload => {
      const epoch = this.state.synthEpoch;
      if (epoch === 0) return resolveTokens(this, payload());
      if (memo?.epoch !== epoch) memo = { epoch, value: resolveTokens(this, payload()) };
      return memo.value;
    };
    const resource = createHandlerResource(scope, id, {
      resourceType: this.resourceType,
      handlerAssetPath: this.handlerAsset.path,
      ...(this.forwarderAsset ? { forwarderAssetPath: this.forwarderAsset.path } : {}),
      payload: produce,
      manifestDigest: this.manifestDigestToken,
    });
    this.state.handlerResources.push(resource);
    return resource;
  }

  private digestMemo: { epoch: number; value: string } | undefined;
  /** Resolved at synth: the sha256 of the manifest this synth writes, or SYNTH_FAILED_DIGEST. */
  private readonly manifestDigestToken = Lazy.stringValue({
    produce: (context) => {
      // Before Aspects run (cdktf's preparing pass) the tree is not checked yet; nothing reads this.
      if (context.preparing) return SYNTH_FAILED_DIGEST;
      const epoch = this.state.synthEpoch;
      if (this.digestMemo?.epoch !== epoch) {
        const value = hasErrors(this) ? SYNTH_FAILED_DIGEST : createHash("sha256").update(stableStringify(buildManifest(this.state, this))).digest("hex");
        this.digestMemo = { epoch, value };
      }
      return this.digestMemo.value;
    },
  });

  /** @internal */
  public forgetHandlerResource(resource: TerraformResource): void {
    const index = this.state.handlerResources.indexOf(resource);
    if (index >= 0) this.state.handlerResources.splice(index, 1);
  }
}
