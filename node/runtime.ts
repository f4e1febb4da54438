/**
 * The Node.js adapter: workers are `node:worker_threads` Workers, files are read with `node:fs`,
 * call sites come from V8's structured stack frames.
 * @module
 */

import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Runtime } from "../js/runtime.js";
import { v8CallerOf } from "../js/v8_stack.js";
import { adoptDataModule, dataModuleUrl } from "./modules.js";
import { startThreadWorker, threadParentPort } from "./ports.js";

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
  startWorker: (options) => startThreadWorker(WORKER_URL, options),
  parentPort: threadParentPort,
  unrefTimer: (timer) => (timer as { unref(): void }).unref(),
  hardwareConcurrency: () => availableParallelism(),
  callerOf: v8CallerOf,
};
