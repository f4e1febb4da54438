/**
 * Runs weft's worker code, the script node/worker_main.cjs of the npm package, through V8's code
 * cache. A new worker spends most of its own start, beyond the runtime's, compiling weft's code;
 * with the code cache V8 reads back the bytecode an earlier worker compiled instead (bench/ row 3).
 *
 * The cache lives in the persistent analysis cache's private directory (node/persistent_cache.ts):
 * the parent passes that directory in the worker's `workerData` under {@link CODE_CACHE_DIR} when
 * the cache is on and the directory is usable, and nothing otherwise, in which case the script
 * runs without a cache.
 *
 * An entry is named by everything its bytes depend on: weft's version, Node's version and
 * architecture, and the script itself, identified by the hash of its content the build computed
 * ({@link WORKER_SCRIPT_ID}) together with its length and modification time as the file system
 * reports them (a script edited in place gets new ones). V8 checks its own (its version, its
 * flags, the source's length) and rejects data that fails them, but it does not compare the
 * source itself, so the content check is this module's. Hashing the script here instead would
 * cost a new worker more than a millisecond (loading `node:zlib` alone takes most of it).
 *
 * Data missing or rejected is produced again from the script just run (its top level and the
 * functions it called, so the worker's set-up too) and written as the analysis cache writes its
 * entries: a temporary file of mode 0600 renamed into place, counted in that cache's bound.
 *
 * The script is CommonJS (no `import()` outside modules without an experimental flag), run with
 * the wrapper Node gives CommonJS modules plus the value of `import.meta.url` the bundle refers
 * to; the worker imports the modules calls name through the entry's `import()`.
 *
 * One instance of weft per thread: the script is an instance of its own, so `weft` and
 * `weft/_internal` imported in this worker (by a task's module, or by any module it loads, with
 * `import` or `require`) must be it, never the package's ES modules. A resolve hook
 * (`module.registerHooks`, in this thread only) turns this package's `node/mod.js` and
 * `node/internal.js` into the modules the build plugins' bundles use for the same purpose
 * (`node/plugins/shim.js`, `shim_internal.js`), which read the instance the worker publishes on a
 * global. Without `registerHooks` (Node before 22.15) the entry loads the ES modules instead.
 * @module
 */

import * as nodeModule from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import type { ImportModule } from "../js/pool/worker.js";
import { VERSION } from "../js/version.js";
import { builtin } from "./builtins.js";
import type { RegisterHooks } from "./modules.js";
import { MAX_ENTRY_BYTES, writeEntry } from "./persistent_cache.js";

export { CODE_CACHE_DIR } from "./persistent_cache.js";

/**
 * The first 16 hex digits of the SHA-256 of node/worker_main.cjs, set by the build
 * (scripts/assemble.mjs) when it bundles this module; absent in a build that has no such script.
 */
declare const WEFT_WORKER_SCRIPT_ID: string | undefined;
const WORKER_SCRIPT_ID = typeof WEFT_WORKER_SCRIPT_ID === "string" ? WEFT_WORKER_SCRIPT_ID : undefined;

/** The parameters the script's wrapper function takes, in order. */
const PARAMETERS = "exports, require, module, __filename, __dirname, __weft_import_meta_url";

/** Resolves this package's entries, as imported in this thread, to the modules reading the worker's weft. */
function redirectEntries(file: URL, registerHooks: RegisterHooks): void {
  const to = new Map([
    [new URL("./mod.js", file).href, new URL("./plugins/shim.js", file).href],
    [new URL("./internal.js", file).href, new URL("./plugins/shim_internal.js", file).href],
  ]);
  registerHooks({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      const url = to.get(resolved.url);
      return url === undefined ? resolved : { ...resolved, url };
    },
  });
}

/** What the script exports. */
interface WorkerScript {
  runWorker(importModule: ImportModule): void;
}

/** The code cache entry's name for the script at `file`, or `undefined` without a build id. */
function entryName(file: URL, length: number): string | undefined {
  if (WORKER_SCRIPT_ID === undefined) return undefined;
  let modified: number;
  try {
    modified = builtin("node:fs").statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  return `worker-${VERSION}-node${process.version}-${process.arch}-${WORKER_SCRIPT_ID}-${length}-${Math.trunc(modified)}.code`;
}

/**
 * The script's text. The build leaves the script pure ASCII, which decodes as Latin-1 at a
 * fraction of UTF-8's cost; a script that is not (edited in place) decodes as UTF-8.
 */
function scriptText(bytes: Buffer): string {
  return builtin("node:buffer").isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

/**
 * Runs the worker script at `file`, through the code cache in `dir` when given. Returns false,
 * having run nothing, when there is no such script or Node has no `module.registerHooks`; a script
 * that fails to compile or run throws.
 */
export function runWorkerScript(file: URL, dir: string | undefined, importModule: ImportModule): boolean {
  const { registerHooks } = nodeModule as unknown as { registerHooks?: RegisterHooks };
  if (typeof registerHooks !== "function") return false;
  const fs = builtin("node:fs");
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return false;
  }
  const name = dir === undefined ? undefined : entryName(file, bytes.length);
  let cachedData: Buffer | undefined;
  if (dir !== undefined && name !== undefined) {
    try {
      cachedData = fs.readFileSync(join(dir, name));
    } catch {
      // Not cached yet.
    }
  }
  const filename = fileURLToPath(file);
  // On the script's first line, so that its line numbers are the file's.
  const script = new Script(`(function (${PARAMETERS}) {${scriptText(bytes)}\n})`, { filename, cachedData });
  const module = { exports: {} as Partial<WorkerScript> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper(module.exports, nodeModule.createRequire(file), module, filename, dirname(filename), file.href);
  const { runWorker } = module.exports;
  if (typeof runWorker !== "function") throw new Error(`${filename} does not export runWorker: the package is damaged`);
  redirectEntries(file, registerHooks);
  runWorker(importModule);
  if (dir !== undefined && name !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    const data = script.createCachedData();
    if (data.length <= MAX_ENTRY_BYTES) writeEntry(dir, name, data);
  }
  return true;
}
