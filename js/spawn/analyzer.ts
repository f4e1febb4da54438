/**
 * Every call into the analyzer goes through {@link callAnalyzer}, which sorts what it throws:
 *
 * - an `AnalysisFailure` (`{ code, kind, message }`): the call site was refused; a `WeftError` with
 *   that code. A panic inside the analyzer is caught in Rust and arrives here as
 *   `WEFT_ANALYZER_BUG`, naming the file and position; the next spawn works.
 * - a `PanicError` (wasm-bindgen's report of a panic outside the analyzer's own guard, which
 *   unwound): a bug in weft, `WEFT_INTERNAL`; the module is still consistent.
 * - a `WebAssembly.RuntimeError` (a trap) or a `RangeError` (the engine's stack ran out inside
 *   Wasm): the module stopped mid-call and may hold a lock in the shared memory, so the analyzer
 *   is not called again in this isolate (`WEFT_ANALYZER_CRASHED`, then and on every later call).
 * @module
 */

import { core } from "../core/module.js";
import { analysisFailed, analyzerCrashed, WeftError } from "../errors.js";

let crashed: unknown;

/** Runs `call` on the analyzer for the call site `where`; `refine` may amend a refusal. */
export function callAnalyzer<T>(where: string, call: () => T, refine?: (error: WeftError) => void): T {
  if (crashed !== undefined) throw analyzerCrashed(where, crashed);
  try {
    return call();
  } catch (failure) {
    if (failure instanceof WebAssembly.RuntimeError || failure instanceof RangeError) {
      crashed = failure;
      throw analyzerCrashed(where, failure);
    }
    if (failure instanceof Error && failure.name === "PanicError") {
      throw new WeftError(
        "WEFT_INTERNAL",
        `Cannot spawn at ${where}: weft's core panicked (${failure.message}); please report it`,
        { cause: failure },
      );
    }
    const error = analysisFailed(where, failure);
    refine?.(error);
    throw error;
  }
}

/**
 * Forgets this isolate's analysed files (shutdown and tests). After a crash the analyzer is left
 * alone, so that shutting down still works.
 */
export function clearAnalyzer(): void {
  if (crashed !== undefined) return;
  try {
    core.clearAnalyzerCache();
  } catch (failure) {
    crashed = failure;
  }
}
