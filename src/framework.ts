/**
 * The framework seam: the only module that imports `cdktf` (house style). cdktf 0.21.0 is the last
 * release (archived 2025-12-10); the community fork CDK Terrain has the same library API, so a
 * switch is a change to this one file.
 */
export {
  AnnotationMetadataEntryType,
  Annotations,
  App,
  Aspects,
  AssetType,
  DataResource,
  DefaultTokenResolver,
  dependable,
  Fn,
  Lazy,
  PgBackend,
  StringConcat,
  TerraformAsset,
  TerraformBackend,
  TerraformStack,
  TerraformResource,
  Testing,
  Token,
  Tokenization,
} from "cdktf";
export type { IAspect, IResolvable, IResolveContext, ITerraformDependable, LocalExecProvisioner, TerraformResourceLifecycle } from "cdktf";
export { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
export { anyToHclTerraform, anyToTerraform, hashMapper, hashMapperHcl } from "cdktf";
export { ValidateTerraformVersion } from "cdktf/lib/validations/validate-terraform-version";
export type { ISynthesisSession } from "cdktf/lib/synthesize/types";
// The `null_resource` variant of the handler resources (synth-tested only: the hashicorp/null
// provider cannot be downloaded on the machines this library is tested on).
export { NullProvider } from "@cdktf/provider-null/lib/provider";
export { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
