/**
 * The framework seam: the only module that imports `cdktf` (house style). cdktf 0.21.0 is the last
 * release (archived 2025-12-10); the community fork CDK Terrain has the same library API, so a
 * switch is a change to this one file.
 */
export {
  Annotations,
  App,
  Aspects,
  AssetType,
  DataResource,
  Fn,
  Lazy,
  TerraformAsset,
  TerraformStack,
  Testing,
  Token,
} from "cdktf";
export type { IAspect, ITerraformDependable, TerraformResourceLifecycle } from "cdktf";
export { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
export type { ISynthesisSession } from "cdktf/lib/synthesize/types";
