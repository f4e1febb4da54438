/**
 * What every runtime's package entry does, in order: install the adapter, then load the threaded
 * core (a no-op inside a weft worker, which joined it before importing anything else).
 * @module
 */

import { type CoreSource, loadCore } from "./core/module.js";
import { installRuntime, type Runtime } from "./runtime.js";
import { installBridge } from "./spawn/spawn.js";

export function enter(runtime: Runtime, core: CoreSource): void {
  installRuntime(runtime);
  loadCore(core);
  installBridge();
}
