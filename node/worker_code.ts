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
 * architecture, and the script's length and CRC-32. V8 checks its own (its version, its flags, the
 * source's length) and rejects data that fails them, but it does not compare the source itself,
 * so the content check is this module's. Data missing or rejected is produced again from the
 * script just run (its top level and the functions it called, so the worker's set-up too) and
 * written as the analysis cache writes its entries: a temporary file of mode 0600 renamed into
 * place, counted in that cache's bound.
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
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import type { ImportModule } from "../js/pool/worker.js";
import { VERSION } from "../js/version.js";
import { builtin } from "./builtins.js";
import type { RegisterHooks } from "./modules.js";
import { MAX_ENTRY_BYTES, writeEntry } from "./persistent_cache.js";

export { CODE_CACHE_DIR } from "./persistent_cache.js";

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

/**
 * The code cache entry's name for `bytes`, or `undefined` where Node has no `zlib.crc32` (before
 * 22.2). `node:zlib` is loaded only here, by a worker given a cache directory.
 */
function entryName(bytes: Uint8Array): string | undefined {
  const { crc32 } = builtin("node:zlib") as { crc32?: (data: Uint8Array) => number };
  if (typeof crc32 !== "function") return undefined;
  const crc = crc32(bytes).toString(16).padStart(8, "0");
  return `worker-${VERSION}-node${process.version}-${process.arch}-${bytes.length}-${crc}.code`;
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
  const name = dir === undefined ? undefined : entryName(bytes);
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
  const script = new Script(`(function (${PARAMETERS}) {${bytes.toString("utf8")}\n})`, { filename, cachedData });
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
