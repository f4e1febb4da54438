/**
 * `weft/jest`: weft's build-time transform as a jest transformer, in front of ts-jest (for
 * TypeScript files, when installed) or babel-jest (when installed).
 *
 * ```js
 * // jest.config.js
 * export default { transform: { "\\.[jt]sx?$": "weft/jest" } };
 * ```
 * @module
 */

import { createRequire } from "node:module";
import { join } from "node:path";
import { errorText, isSource, loadEsbuild, type Esbuild, runtimeFrom, transformFileSync } from "./common.js";
import { WeftError } from "../../js/errors.js";

interface TransformOptions {
  readonly config: { readonly rootDir: string };
}
type Transformed = string | { code: string; map?: unknown };
interface Transformer {
  process(source: string, path: string, options: TransformOptions): Transformed;
}

let esbuild: Esbuild | undefined;
const next = new Map<string, Transformer | null>();

/** ts-jest for TypeScript, else babel-jest, as the project at `root` has them; `null` when neither. */
function nextTransformer(root: string, typescript: boolean): Transformer | null {
  const key = `${root}|${typescript}`;
  if (next.has(key)) return next.get(key)!;
  const require = createRequire(join(root, "package.json"));
  let found: Transformer | null = null;
  for (const name of typescript ? ["ts-jest", "babel-jest"] : ["babel-jest"]) {
    try {
      const loaded = require(name) as { default?: unknown; createTransformer?: (o?: object) => Transformer };
      const factory = (loaded.createTransformer ?? (loaded.default as { createTransformer?: (o?: object) => Transformer } | undefined)?.createTransformer);
      if (factory !== undefined) {
        found = factory.call(loaded.default ?? loaded);
        break;
      }
    } catch {
      // not installed
    }
  }
  next.set(key, found);
  return found;
}

/** The jest transformer. */
const transformer: Transformer = {
  process(source, path, options) {
    const root = options.config.rootDir;
    let code = source;
    if (isSource(path)) {
      esbuild ??= loadEsbuild(root);
      try {
        code = transformFileSync(esbuild, path, source, { root, runtime: runtimeFrom(undefined, undefined) }) ?? source;
      } catch (error) {
        throw error instanceof WeftError ? error : new Error(errorText(error));
      }
    }
    const then = nextTransformer(root, /\.[cm]?tsx?$/.test(path));
    if (then === null) return { code };
    return then.process(code, path, options);
  },
};

export default transformer;
