/**
 * The Deno adapter: workers are web Workers (module type), files are read with `Deno.readFile`,
 * call sites come from V8's structured stack frames.
 *
 * The glue is initialised with an explicit module and memory on every thread, so Deno's
 * `isMainThread` quirk (true inside web Workers) never decides which memory a thread uses.
 * @module
 */

import type { ParentPort, Runtime, StartWorkerOptions, WorkerPort } from "../js/runtime.js";
import { v8CallerOf } from "../js/v8_stack.js";
import { webParentPort, webWorkerPort } from "../js/web_worker.js";

declare const Deno: {
  readFile(path: URL): Promise<Uint8Array>;
};

/** True in a web Worker (Deno's own `isMainThread` says true there too, so it is not used). */
function inWorker(): boolean {
  const scope = (globalThis as { WorkerGlobalScope?: Function }).WorkerGlobalScope;
  return typeof scope === "function" && globalThis instanceof scope;
}

const WORKER_URL = new URL("./worker.js", import.meta.url);

export const denoRuntime: Runtime = {
  name: "deno",
  // A web Worker reports no exit event; a killed worker's thread resources are not freed.
  exitMeansThreadStopped: false,
  readFile: (url) => Deno.readFile(url),
  startWorker: (options: StartWorkerOptions): WorkerPort =>
    webWorkerPort(new Worker(WORKER_URL, { type: "module", ...(options.name ? { name: options.name } : {}) })),
  parentPort: (): ParentPort | null => (inWorker() ? webParentPort(globalThis as never) : null),
  hardwareConcurrency: () => navigator.hardwareConcurrency,
  callerOf: v8CallerOf,
};
