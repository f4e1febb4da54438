/**
 * The Node.js adapter: workers are `node:worker_threads` Workers, files are read with `node:fs`,
 * call sites come from V8's structured stack frames.
 * @module
 */

import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Runtime } from "../js/runtime.js";
import { v8CallerOf } from "../js/v8_stack.js";
import { startThreadWorker, threadParentPort } from "./ports.js";

const WORKER_URL = new URL("./worker.js", import.meta.url);

export const nodeRuntime: Runtime = {
  name: "node",
  // The 'exit' event fires after the worker's thread has been joined.
  exitMeansThreadStopped: true,
  readFile: async (url) => new Uint8Array(await readFile(url)),
  startWorker: (options) => startThreadWorker(WORKER_URL, options),
  parentPort: threadParentPort,
  hardwareConcurrency: () => availableParallelism(),
  callerOf: v8CallerOf,
};
