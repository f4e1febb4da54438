/**
 * The Deno adapter: workers are Deno's `node:worker_threads` Workers (its web Workers cannot be
 * unref'd, so an idle one would keep the process alive), files are read with `Deno.readFile`,
 * call sites come from V8's structured stack frames.
 *
 * The glue is initialised with an explicit module and memory on every thread, so Deno's
 * `isMainThread` quirk in web Workers never decides which memory a thread uses.
 * @module
 */

import type { Runtime } from "../js/runtime.js";
import { v8CallerOf } from "../node/v8_stack.js";
import { dataModuleUrl } from "../node/modules.js";
import { receiveMessageSync, startThreadWorker, threadParentPort } from "../node/ports.js";
import { type Files, resolveBare } from "./resolve.js";

const files: Files = {
  readText: (url) => {
    try {
      return Deno.readTextFileSync(url);
    } catch {
      return undefined;
    }
  },
  isFile: (url) => {
    try {
      return Deno.statSync(url).isFile;
    } catch {
      return false;
    }
  },
};

function resolveSpecifiers(specifiers: readonly string[], parentUrl: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const specifier of specifiers) {
    const resolved = resolveBare(files, specifier, parentUrl);
    if (resolved !== undefined) out[specifier] = resolved;
  }
  return out;
}

declare const Deno: {
  readFile(path: URL): Promise<Uint8Array>;
  readTextFileSync(path: URL): string;
  statSync(path: URL): { isFile: boolean };
  unrefTimer(id: number): void;
};

const WORKER_URL = new URL("./worker.js", import.meta.url);

export const denoRuntime: Runtime = {
  name: "deno",
  // Not known to follow the thread's end on Deno: a killed worker's thread resources are kept.
  exitMeansThreadStopped: false,
  readFile: (url) => Deno.readFile(url),
  readTextFileSync: (url) => Deno.readTextFileSync(new URL(url)),
  moduleUrl: dataModuleUrl,
  adoptModule: () => {},
  resolveSpecifiers,
  receiveMessageSync,
  startWorker: (options) => startThreadWorker(WORKER_URL, options),
  parentPort: threadParentPort,
  unrefTimer: (timer) => Deno.unrefTimer(timer as number),
  hardwareConcurrency: () => navigator.hardwareConcurrency,
  callerOf: v8CallerOf,
};
