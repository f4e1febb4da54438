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

import "../mod.js";
import { createRequire } from "node:module";
import { join } from "node:path";
import { errorText, isSource, loadEsbuild, type Esbuild, runtimeFrom, transformFileSync } from "./common.js";
import { WeftError } from "../../js/errors.js";

interface TransformOptions {
  readonly config: { readonly rootDir: string };
  /** The options given with the transformer in jest's config: passed on to ts-jest or babel-jest. */
  readonly transformerConfig?: object;
}
type Transformed = string | { code: string; map?: unknown };
interface Transformer {
  process(source: string, path: string, options: TransformOptions): Transformed;
  processAsync?(source: string, path: string, options: TransformOptions): Promise<Transformed>;
}

let esbuild: Esbuild | undefined;
const next = new Map<string, Transformer | null>();

/** ts-jest for TypeScript, else babel-jest, as the project at `root` has them; `null` when neither. */
function nextTransformer(root: string, typescript: boolean, config: object | undefined): Transformer | null {
  const key = `${root}|${typescript}|${JSON.stringify(config ?? {})}`;
  if (next.has(key)) return next.get(key)!;
  const require = createRequire(join(root, "package.json"));
  let found: Transformer | null = null;
  for (const name of typescript ? ["ts-jest", "babel-jest"] : ["babel-jest"]) {
    try {
      const loaded = require(name) as { default?: unknown; createTransformer?: (o?: object) => Transformer };
      const factory = (loaded.createTransformer ?? (loaded.default as { createTransformer?: (o?: object) => Transformer } | undefined)?.createTransformer);
      if (factory !== undefined) {
        found = factory.call(loaded.default ?? loaded, config);
        break;
      }
    } catch {
      // not installed
    }
  }
  next.set(key, found);
  return found;
}

/** weft's transform of one file, for jest. */
function transform(source: string, path: string, options: TransformOptions): string {
  const root = options.config.rootDir;
  if (!isSource(path)) return source;
  esbuild ??= loadEsbuild(root);
  try {
    return transformFileSync(esbuild, path, source, { root, runtime: runtimeFrom(undefined, undefined) }) ?? source;
  } catch (error) {
    throw error instanceof WeftError ? error : new Error(errorText(error));
  }
}

function following(path: string, options: TransformOptions): Transformer | null {
  return nextTransformer(options.config.rootDir, /\.[cm]?tsx?$/.test(path), options.transformerConfig);
}

/** The jest transformer. */
const transformer: Transformer = {
  process(source, path, options) {
    const code = transform(source, path, options);
    const then = following(path, options);
    return then === null ? { code } : then.process(code, path, options);
  },
  async processAsync(source, path, options) {
    const code = transform(source, path, options);
    const then = following(path, options);
    if (then === null) return { code };
    return then.processAsync !== undefined ? then.processAsync(code, path, options) : then.process(code, path, options);
  },
};

export default transformer;
