/**
 * The Node.js adapter: workers are `node:worker_threads` Workers, files are read with `node:fs`,
 * call sites come from V8's structured stack frames.
 * @module
 */

import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import type { ParentPort, Runtime, StartWorkerOptions, WorkerPort } from "../js/runtime.js";
import { v8CallerOf } from "../js/v8_stack.js";

const WORKER_URL = new URL("./worker.js", import.meta.url);

function startWorker(options: StartWorkerOptions): WorkerPort {
  const worker = new Worker(WORKER_URL, {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
  });
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as never),
    onMessage: (listener) => void worker.on("message", listener),
    onError: (listener) => void worker.on("error", listener),
    onExit: (listener) => void worker.on("exit", listener),
    terminate: async () => void (await worker.terminate()),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}

function parent(): ParentPort | null {
  if (isMainThread || parentPort === null) return null;
  const port = parentPort;
  return {
    postMessage: (message, transfer) => port.postMessage(message, transfer as never),
    onMessage: (listener) => void port.on("message", listener),
  };
}

export const nodeRuntime: Runtime = {
  name: "node",
  // The 'exit' event fires after the worker's thread has been joined.
  exitMeansThreadStopped: true,
  readFile: async (url) => new Uint8Array(await readFile(url)),
  startWorker,
  parentPort: parent,
  hardwareConcurrency: () => availableParallelism(),
  callerOf: v8CallerOf,
};
