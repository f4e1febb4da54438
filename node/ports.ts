/**
 * {@link WorkerPort} and {@link ParentPort} over `node:worker_threads`, shared by the Node and
 * Deno adapters (Deno implements the module; unlike its web Workers, these can be unref'd, so an
 * idle pool does not keep the process alive).
 * @module
 */

import { isMainThread, parentPort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { ParentPort, StartWorkerOptions, WorkerPort } from "../js/runtime.js";

/** Starts the worker entry at `url`. */
export function startThreadWorker(url: URL, options: StartWorkerOptions): WorkerPort {
  const worker = new Worker(url, {
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

/** This thread's parent, or `null` on the main thread. */
export function threadParentPort(): ParentPort | null {
  if (isMainThread || parentPort === null) return null;
  const port = parentPort;
  return {
    postMessage: (message, transfer) => port.postMessage(message, transfer as never),
    onMessage: (listener) => void port.on("message", listener),
    // Caught here rather than left to the runtime: Node would deliver them through the Worker's
    // 'error' event, but Deno can abort the whole process when such an error races with the
    // worker's termination.
    onUncaught: (listener) => {
      process.on("uncaughtException", listener);
      process.on("unhandledRejection", listener);
    },
  };
}

/** The next message waiting on `port`, received synchronously (`Runtime.receiveMessageSync`). */
export function receiveMessageSync(port: MessagePort): unknown {
  return receiveMessageOnPort(port as never)?.message;
}
