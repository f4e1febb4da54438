/**
 * Source positions as weft identifies things by them: a spawn call site, a `new Global(...)`.
 *
 * A position the runtime reports inside a generated worker module is mapped back to the caller
 * file the module was generated from, so code re-created in a worker keeps its original identity.
 * @module
 */

import { generatedModule } from "./modules.js";
import type { CallSite } from "./runtime.js";

/** The position in original source for a position reported by the runtime. */
export function canonicalSite(at: CallSite, _kind: "new" | "call"): CallSite {
  const generated = generatedModule(at.url);
  if (generated === undefined) return at;
  return { url: generated.original, line: at.line, column: at.column };
}
