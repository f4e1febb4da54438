/**
 * The Node.js adapter: workers are `node:worker_threads` Workers, files are read with `node:fs`,
 * call sites come from V8's structured stack frames.
 * @module
 */

import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { findSourceMap } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { builtin } from "./builtins.js";
import { CODE_CACHE_DIR, persistentCache } from "../node/persistent_cache.js";
import type { CallSite, Runtime, StartWorkerOptions } from "../js/runtime.js";
import { v8CallerOf } from "./v8_stack.js";
import { originalPosition } from "./source_maps.js";
import { adoptDataModule, dataModuleUrl } from "./modules.js";
import { listen, receiveMessageSync } from "./message_ports.js";
import { startThreadWorker, threadParentPort, v8ResourceLimits } from "./ports.js";

/**
 * The caller's position in the text the runtime is running. Two kinds of file come with a source
 * map, and they need opposite treatment:
 * - generated output on disk (tsc, esbuild, a bundle, with `//# sourceMappingURL`): the file is the
 *   running text, so its raw position is right; its map leads to another file (`src/app.ts`), whose
 *   positions name different code in this one;
 * - a file Node compiled itself (`--experimental-transform-types`, or a loader such as tsx that
 *   registers a map): the running text exists only in memory, and the map leads back into the same
 *   file, so the mapped position is the one to analyse in the file on disk.
 * So the mapped position is used only when the map's origin is the frame's own file.
 */
const sourceMaps = new Map<string, ReturnType<typeof findSourceMap>>();

function callerOf(callee: Function): CallSite | undefined {
  const site = v8CallerOf(callee);
  if (site === undefined || !site.url.startsWith("file:")) return site;
  // A running module's source map, if any, is registered when it is compiled: look it up once.
  let map = sourceMaps.get(site.url);
  if (map === undefined && !sourceMaps.has(site.url)) {
    // ES modules are registered by URL, CommonJS ones (a loader's output too) by path.
    map = findSourceMap(site.url) ?? findSourceMap(fileURLToPath(site.url));
    sourceMaps.set(site.url, map);
  }
  if (map === undefined) return site;
  // The start of the mapping segment, as Node's own stack traces show it: `findOrigin` would add
  // the offset into the generated segment, which a transpiler's reprinting makes meaningless
  // (tsx turns `spawn(` into `(0, import_weft.spawn)(`).
  const entry = map.findEntry(site.line - 1, site.column - 1) as {
    originalSource?: string;
    originalLine?: number;
    originalColumn?: number;
  };
  if (entry.originalLine === undefined || entry.originalColumn === undefined) return site;
  if (entry.originalSource === undefined || !sameFile(entry.originalSource, site.url)) return site;
  return { url: site.url, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

/** Whether a source map's file name (a path or a URL) names the module at `url`. */
function sameFile(fileName: string, url: string): boolean {
  try {
    return (fileName.startsWith("/") ? pathToFileURL(fileName) : new URL(fileName)).href === url;
  } catch {
    return false;
  }
}

/** The worker entry beside this module; computed on first use (a CommonJS bundle has no `import.meta.url`). */
const workerUrl = (): URL => new URL("./worker.js", import.meta.url);

/** A worker entry given as source text, as a `data:` URL (which Node's workers load as ES modules). */
export function sourceWorkerUrl(source: string): URL {
  return new URL(`data:text/javascript;base64,${Buffer.from(source, "utf8").toString("base64")}`);
}

/** Node 22's default young generation for a worker, in MB. */
const YOUNG_GENERATION_MB = 48;

/**
 * With `maxOldGenerationSizeMb` alone, also bounds the young generation: to half the old one, at
 * most {@link YOUNG_GENERATION_MB}. Node 24 gives every worker a 192 MB young generation whatever
 * its old one, and when a scavenge at the old generation's limit promotes more than the limit's
 * callback leaves room for, V8 aborts the whole process ("Reached heap limit") instead of the
 * worker reporting ERR_WORKER_OUT_OF_MEMORY (tests/faults/cases/out_of_memory.js shows it with a
 * 64 MB old generation). A young size the user gives is kept.
 */
function boundYoungGeneration(options: StartWorkerOptions): StartWorkerOptions {
  const limits = options.resourceLimits;
  const old = limits?.maxOldGenerationSizeMb;
  if (old === undefined || limits?.maxYoungGenerationSizeMb !== undefined) return options;
  const young = Math.max(1, Math.min(YOUNG_GENERATION_MB, Math.floor(old / 2)));
  return { ...options, resourceLimits: { ...limits, maxYoungGenerationSizeMb: young } };
}

const cache = persistentCache({
  env: (name) => process.env[name],
  home: () => process.env.HOME ?? process.env.USERPROFILE,
  uid: () => process.getuid?.(),
  allowed: () => true,
  rootThread: isMainThread,
});

/**
 * The worker entry's `workerData`: the directory for V8's code cache of weft's worker script
 * (node/worker_code.ts), the analysis cache's, when that cache is on and its directory usable.
 */
function entryData(): Record<string, unknown> | undefined {
  const dir = cache?.directory();
  return dir === undefined ? undefined : { [CODE_CACHE_DIR]: dir };
}

/**
 * `process.hrtime()` in milliseconds. Not `performance.now()`: the first read of the global
 * `performance` in a Node thread loads `perf_hooks` and the nine modules it needs, about a
 * millisecond in a new worker, which would hold up that worker's first answer.
 */
function hrtimeMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}

export const nodeRuntime: Runtime = {
  env: (name) => process.env[name],
  persistentCache: cache,
  bufferClass: Buffer,
  name: "node",
  // The 'exit' event fires after the worker's thread has been joined.
  exitMeansThreadStopped: true,
  readFileSync: (url) => new Uint8Array(readFileSync(url)),
  readTextFileSync: (url) => readFileSync(new URL(url), "utf8"),
  moduleUrl: dataModuleUrl,
  adoptModule: adoptDataModule,
  resolveSpecifiers: () => ({}),
  receiveMessageSync,
  listen,
  startWorker: (options) =>
    options.source === undefined
      ? startThreadWorker(workerUrl(), boundYoungGeneration(options), undefined, entryData())
      : startThreadWorker(sourceWorkerUrl(options.source), boundYoungGeneration(options)),
  parentPort: threadParentPort,
  unrefTimer: (timer) => (timer as { unref(): void }).unref(),
  // `node:os` is loaded on first use: a new worker asks only once its first task is answered.
  hardwareConcurrency: () => builtin("node:os").availableParallelism(),
  now: hrtimeMs,
  callerOf,
  originalPosition,
  resourceLimits: v8ResourceLimits(1, "a smaller stack overflows while the worker starts, or crashes the process"),
};
