/**
 * The Bun adapter: workers are web Workers (Bun's fastest to start), files are read with
 * `Bun.file`, call sites come from JavaScriptCore's emulation of V8's stack-trace API.
 * @module
 */

import type { ParentPort, Runtime, StartWorkerOptions, WorkerPort } from "../js/runtime.js";
import { v8CallerOf } from "../js/v8_stack.js";
import { webParentPort, webWorkerPort } from "../js/web_worker.js";

declare const Bun: {
  readonly isMainThread: boolean;
  file(path: URL): { bytes(): Promise<Uint8Array> };
};

const WORKER_URL = new URL("./worker.js", import.meta.url);

export const bunRuntime: Runtime = {
  name: "bun",
  // Bun's `close` event is not documented to follow the thread's end; a killed worker's thread
  // resources are not freed.
  exitMeansThreadStopped: false,
  readFile: (url) => Bun.file(url).bytes(),
  startWorker: (options: StartWorkerOptions): WorkerPort =>
    webWorkerPort(new Worker(WORKER_URL, { type: "module", ...(options.name ? { name: options.name } : {}) })),
  parentPort: (): ParentPort | null => (Bun.isMainThread ? null : webParentPort(globalThis as never)),
  hardwareConcurrency: () => navigator.hardwareConcurrency,
  callerOf: v8CallerOf,
};
