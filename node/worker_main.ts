// weft's worker on Node.js, run by the worker entry (node/worker.ts): in the npm package as the
// script node/worker_main.cjs, through V8's code cache (node/worker_code.ts); otherwise as this
// module. Bundles made with weft's build plugins embed it through node/embedded_worker.ts.
import { installRuntime } from "../js/runtime.js";
import { type ImportModule, workerMain } from "../js/pool/worker.js";
import { publishForBundles } from "../js/entry.js";
import * as api from "../js/index.js";
import * as internal from "../js/internal.js";
import { nodeRuntime } from "./runtime.js";

/** Installs the Node adapter and runs the worker side of the protocol. */
export function runWorker(importModule: ImportModule): void {
  installRuntime(nodeRuntime);
  publishForBundles(api, internal);
  workerMain(importModule);
}
