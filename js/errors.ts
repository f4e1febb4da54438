/**
 * Every error weft raises is a {@link WeftError} with a stable `code`. Messages follow one form:
 * what could not be done, why, and how to fix it.
 *
 * @example
 * ```ts
 * import { WeftError } from "weft";
 * try { await somethingWithWeft(); }
 * catch (e) { if (e instanceof WeftError && e.code === "WEFT_CORE_LOAD_FAILED") { … } }
 * ```
 * @module
 */

/** The stable codes of {@link WeftError}; new codes may be added, existing ones never change. */
export type WeftErrorCode =
  | "WEFT_NO_RUNTIME"
  | "WEFT_NO_SHARED_MEMORY"
  | "WEFT_CORE_LOAD_FAILED"
  | "WEFT_CORE_MISMATCH"
  | "WEFT_WORKER_START_FAILED"
  | "WEFT_WORKER_EXITED"
  | "WEFT_WORKER_CLOSED"
  | "WEFT_PROTOCOL";

/** An error raised by weft itself (as opposed to one thrown by user code in a worker). */
export class WeftError extends Error {
  /** A stable identifier of the failure, e.g. `"WEFT_CORE_LOAD_FAILED"`. */
  readonly code: WeftErrorCode;

  constructor(code: WeftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WeftError";
    this.code = code;
  }
}

/** weft was imported through a path that did not install a runtime adapter. */
export function noRuntime(): WeftError {
  return new WeftError(
    "WEFT_NO_RUNTIME",
    'Cannot use weft before a runtime adapter is installed: import it as "weft" (its package ' +
      "entry picks the Node, Deno or Bun adapter), not from an internal file path",
  );
}

/** `SharedArrayBuffer` or shared `WebAssembly.Memory` is not available in this isolate. */
export function noSharedMemory(detail: string): WeftError {
  return new WeftError(
    "WEFT_NO_SHARED_MEMORY",
    `Cannot start weft's threaded core as shared memory is unavailable: ${detail}. weft needs ` +
      "SharedArrayBuffer and shared WebAssembly.Memory, which Node >= 22, Deno >= 2 and Bun >= 1.2 " +
      "provide by default; do not disable them (e.g. with --no-harmony-sharedarraybuffer)",
  );
}

/** The .wasm could not be read or compiled. */
export function coreLoadFailed(url: URL, cause: unknown): WeftError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WeftError(
    "WEFT_CORE_LOAD_FAILED",
    `Cannot load weft's core module as ${url.href} could not be loaded: ${reason}. Reinstall the ` +
      "weft package; when bundling, copy weft_bg.wasm next to the bundled weft code (it is " +
      "located with new URL(..., import.meta.url))",
    { cause },
  );
}

/** The .wasm and its JS glue come from different builds. */
export function coreMismatch(expected: string, received: string): WeftError {
  return new WeftError(
    "WEFT_CORE_MISMATCH",
    `Cannot use weft's core module as its version is ${received} and the JS expects ${expected}: ` +
      "the package was assembled from two builds; reinstall it",
  );
}

/** A worker failed before it joined the shared memory. */
export function workerStartFailed(cause: unknown): WeftError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WeftError("WEFT_WORKER_START_FAILED", `Cannot start a weft worker: ${reason}`, { cause });
}

/** A worker exited while calls were pending on it. */
export function workerExited(code: number | null, pending: string): WeftError {
  const how = code === null ? "was terminated" : `exited with code ${code}`;
  return new WeftError("WEFT_WORKER_EXITED", `Cannot finish ${pending} as its worker ${how}`);
}

/** A call was made on, or pending on, a worker that was closed on purpose. */
export function workerClosed(pending: string): WeftError {
  return new WeftError("WEFT_WORKER_CLOSED", `Cannot finish ${pending} as its worker was closed`);
}

/** A message between threads that does not follow weft's protocol. */
export function protocolError(detail: string): WeftError {
  return new WeftError("WEFT_PROTOCOL", `Cannot handle a message between weft threads: ${detail}`);
}
