/**
 * What every runtime's package entry does, in order: install the adapter, then load the threaded
 * core (a no-op inside a weft worker, which joined it before importing anything else).
 * @module
 */

import { loadCore } from "./core/module.js";
import { installRuntime, type Runtime } from "./runtime.js";
import { installBridge } from "./spawn/spawn.js";

export function enter(runtime: Runtime, wasmUrl: URL): void {
  installRuntime(runtime);
  loadCore(wasmUrl);
  installBridge();
}
