/**
 * The Node.js adapter: workers are `node:worker_threads` Workers, files are read with `node:fs`,
 * call sites come from V8's structured stack frames.
 * @module
 */

import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { findSourceMap } from "node:module";
import { availableParallelism } from "node:os";
import type { CallSite, Runtime } from "../js/runtime.js";
import { v8CallerOf } from "./v8_stack.js";
import { adoptDataModule, dataModuleUrl } from "./modules.js";
import { receiveMessageSync, startThreadWorker, threadParentPort, v8ResourceLimits } from "./ports.js";

/**
 * The caller's position in its source file. When Node compiled the file from something else
 * (`--experimental-transform-types`, or a loader that registers source maps), V8's call sites
 * point into the compiled code; the source map Node keeps for the file maps them back.
 */
const sourceMaps = new Map<string, ReturnType<typeof findSourceMap>>();

function callerOf(callee: Function): CallSite | undefined {
  const site = v8CallerOf(callee);
  if (site === undefined || !site.url.startsWith("file:")) return site;
  // A running module's source map, if any, is registered when it is compiled: look it up once.
  let map = sourceMaps.get(site.url);
  if (map === undefined && !sourceMaps.has(site.url)) {
    map = findSourceMap(site.url);
    sourceMaps.set(site.url, map);
  }
  if (map === undefined) return site;
  const origin = map.findOrigin(site.line, site.column) as { lineNumber?: number; columnNumber?: number };
  if (origin.lineNumber === undefined || origin.columnNumber === undefined) return site;
  return { url: site.url, line: origin.lineNumber, column: origin.columnNumber };
}

const WORKER_URL = new URL("./worker.js", import.meta.url);

export const nodeRuntime: Runtime = {
  name: "node",
  // The 'exit' event fires after the worker's thread has been joined.
  exitMeansThreadStopped: true,
  readFile: async (url) => new Uint8Array(await readFile(url)),
  readTextFileSync: (url) => readFileSync(new URL(url), "utf8"),
  moduleUrl: dataModuleUrl,
  adoptModule: adoptDataModule,
  resolveSpecifiers: () => ({}),
  receiveMessageSync,
  startWorker: (options) => startThreadWorker(WORKER_URL, options),
  parentPort: threadParentPort,
  unrefTimer: (timer) => (timer as { unref(): void }).unref(),
  hardwareConcurrency: () => availableParallelism(),
  callerOf,
  resourceLimits: v8ResourceLimits(1, "a smaller stack overflows while the worker starts, or crashes the process"),
};
