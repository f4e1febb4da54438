/**
 * What every runtime's package entry does, in order: install the adapter, then load the threaded
 * core (a no-op inside a weft worker, which joined it before importing anything else).
 * @module
 */

import { loadEmbeddedCore } from "./core/embedded.js";
import { type CoreSource, loadCore } from "./core/module.js";
import { installRuntime, type Runtime } from "./runtime.js";
import { installBridge } from "./spawn/spawn.js";

export function enter(runtime: Runtime, core: CoreSource): void {
  installRuntime(runtime);
  loadCore(core);
  installBridge();
}

/**
 * The package entry of weft bundled into an application by its build plugins: the core's bytes
 * (base64) and the worker entry's source travel in the bundle (see core/embedded.ts).
 */
export function enterEmbedded(runtime: Runtime, wasmBase64: string, workerSource: string): void {
  installRuntime(runtime);
  loadEmbeddedCore(wasmBase64, workerSource);
  installBridge();
}

/** The key of the global through which code bundled for a worker reaches that worker's weft. */
export const BUNDLED_API = Symbol.for("weft.bundled");

/**
 * Publishes this isolate's weft (its public API and `weft/_internal`) for worker modules bundled
 * by weft's build plugins: they import `weft` as a module that reads this global, so that a task
 * uses the instance of weft that joined the core, never a second copy bundled into it.
 */
export function publishForBundles(api: object, internal: object): void {
  if (!Object.prototype.hasOwnProperty.call(globalThis, BUNDLED_API)) {
    Object.defineProperty(globalThis, BUNDLED_API, { value: Object.freeze({ api, internal }), enumerable: false });
  }
}
