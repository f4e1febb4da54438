/**
 * All of weft that the package's entries on Bun run (`mod`, `internal`, `worker`), as one module.
 *
 * The npm package ships it as one CommonJS file with a bytecode cache beside it
 * (scripts/bun-bytecode.mjs), so that a new worker loads weft without parsing it. The entries are
 * thin modules that load it at run time (./load.ts); every entry of an isolate gets this
 * same instance, so a module that a task imports and that imports `weft` meets the weft that
 * joined the core.
 * @module
 */

import * as api from "../js/index.js";
import * as internal from "../js/internal.js";
import { enter, publishForBundles } from "../js/entry.js";
import { workerMain } from "../js/pool/worker.js";
import { installRuntime } from "../js/runtime.js";
import { bunRuntime, useWorkerEntry } from "./runtime.js";

export { api, internal };

/**
 * The package entry's steps: installs the adapter with the worker entry to start workers from,
 * then loads the core (a no-op in a weft worker, which joined it first).
 */
export function enterPackage(wasm: URL, worker: URL): void {
  useWorkerEntry(worker);
  enter(bunRuntime, wasm);
}

/** The worker entry's steps: the adapter, this isolate's weft published for bundled tasks, the loop. */
export function runWorker(): void {
  installRuntime(bunRuntime);
  publishForBundles(api, internal);
  workerMain();
}
