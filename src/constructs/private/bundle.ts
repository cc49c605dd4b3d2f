/**
 * Where the bundled handler is: `dist/handler.cjs` of this package (found by walking up from this
 * file to the package.json named `cdktf-dimensions`, which works from src/ under tsx/jest and from
 * lib/src/ once compiled), unless `DIMENSIONS_HANDLER_BUNDLE` names another file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DimensionsError, finding } from "../../validation/rules";

/**
 * Internal override, for tests and for trying a handler build without reinstalling the package:
 * the absolute path of a handler bundle to ship instead of dist/handler.cjs.
 */
export const HANDLER_BUNDLE_ENV = "DIMENSIONS_HANDLER_BUNDLE";
const PACKAGE_NAME = "cdktf-dimensions";

export function packageRoot(from: string = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // not our package.json; keep walking
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function handlerBundlePath(constructPath: string): string {
  const override = process.env[HANDLER_BUNDLE_ENV];
  if (override) {
    if (!path.isAbsolute(override) || !fs.existsSync(override)) {
      throw new DimensionsError(
        finding("HandlerBundleMissing", constructPath, `${HANDLER_BUNDLE_ENV}="${override}" is not an absolute path of an existing file`, `point ${HANDLER_BUNDLE_ENV} at a bundled handler, or unset it to use dist/handler.cjs`),
      );
    }
    return override;
  }
  const root = packageRoot();
  const bundle = root ? path.join(root, "dist", "handler.cjs") : undefined;
  if (!bundle || !fs.existsSync(bundle)) {
    throw new DimensionsError(
      finding("HandlerBundleMissing", constructPath, `the bundled handler ${bundle ?? "dist/handler.cjs"} does not exist`, `reinstall ${PACKAGE_NAME} (the package ships dist/handler.cjs); in its repository, run "npm run build"`),
    );
  }
  return bundle;
}

/**
 * forward.sh, shipped beside the bundle: it hands a tenant create to the run's warm handler
 * (the warm handler of a run). Undefined when the bundle has none beside it (a bundle named by
 * DIMENSIONS_HANDLER_BUNDLE, say): every create then starts its own handler, as before.
 */
export function forwarderPath(bundle: string): string | undefined {
  const file = path.join(path.dirname(bundle), "forward.sh");
  return fs.existsSync(file) ? file : undefined;
}
