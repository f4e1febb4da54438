/**
 * Loads ./package.ts for the package's entries on Bun: `package.cjs` beside them in the
 * npm package, CommonJS compiled to bytecode by scripts/bun-bytecode.mjs.
 *
 * The load happens at run time, through `require`, so that a bundler that follows the entries'
 * imports never reads the compiled file (it has no exports a bundler can see). An application
 * that bundles weft without weft's plugin therefore gets `WEFT_CORE_LOAD_FAILED`, which names the
 * plugins, as it does when the bundle cannot reach the `.wasm`.
 * @module
 */

import { createRequire } from "node:module";
import { coreLoadFailed } from "../js/errors.js";
import type * as Package from "./package.js";

/** The compiled module, relative to the entries. */
const PACKAGE_FILE = "./package.cjs";

/** weft's code for the entries, loaded once per isolate (`require` caches it). */
export function loadPackage(entryUrl: string): typeof Package {
  try {
    return createRequire(entryUrl)(PACKAGE_FILE) as typeof Package;
  } catch (cause) {
    throw coreLoadFailed(new URL(PACKAGE_FILE, entryUrl), cause);
  }
}
