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
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { errorText, isSource, loadEsbuild, type Esbuild, runtimeFrom, transformFileSync } from "./common.js";
import { WeftError } from "../../js/errors.js";
import { VERSION } from "../../js/version.js";

interface TransformOptions {
  readonly config: { readonly rootDir: string };
  /** The options given with the transformer in jest's config: passed on to ts-jest or babel-jest. */
  readonly transformerConfig?: object;
  /** jest's whole config, serialized (part of every cache key). */
  readonly configString?: string;
}
type Transformed = string | { code: string; map?: unknown };
interface Transformer {
  getCacheKey?(source: string, path: string, options: TransformOptions): string;
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
/** The last transform of each file, so that `getCacheKey` and `process` transform it once. */
const last = new Map<string, { source: string; code: string }>();

function transform(source: string, path: string, options: TransformOptions): string {
  const done = last.get(path);
  if (done !== undefined && done.source === source) return done.code;
  const code = transformUncached(source, path, options);
  last.set(path, { source, code });
  return code;
}

function transformUncached(source: string, path: string, options: TransformOptions): string {
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
  // The key covers the transformed text, which holds the bundled worker module: an edit to a
  // module a worker imports (not only to the file itself) must not reuse a cached transform.
  getCacheKey(source, path, options) {
    const code = transform(source, path, options);
    const then = following(path, options);
    const hash = createHash("sha256");
    for (const part of [VERSION, path, code, options.configString ?? "", JSON.stringify(options.transformerConfig ?? {})]) {
      hash.update(part).update("\0");
    }
    if (then?.getCacheKey !== undefined) hash.update(then.getCacheKey(code, path, options));
    return hash.digest("hex");
  },
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
