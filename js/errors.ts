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
  | "WEFT_WORKER_OUT_OF_MEMORY"
  | "WEFT_TOO_MANY_WORKERS"
  | "WEFT_GUARD_RELEASED"
  | "WEFT_BLOCKING_MAIN_THREAD"
  | "WEFT_MUTEX_NOT_LOCKED"
  | "WEFT_SEMAPHORE_EXCEEDS_CAPACITY"
  | "WEFT_SEMAPHORE_RELEASE_EXCEEDS_CAPACITY"
  | "WEFT_SEMAPHORE_INVALID_CAPACITY"
  | "WEFT_COUNTER_OVERFLOW"
  | "WEFT_COUNTER_UNDERFLOW"
  | "WEFT_TIMED_OUT"
  | "WEFT_PROTOCOL"
  | "WEFT_SHUTDOWN"
  | "WEFT_NO_CALL_SITE"
  | "WEFT_NOT_EVALUATED"
  | "WEFT_UNCLONEABLE_CAPTURE"
  | "WEFT_INVALID_ARGUMENT"
  | "WEFT_ANALYZER_CRASHED"
  | "WEFT_INTERNAL"
  // Analysis of the spawn call site (one per analyzer error kind):
  | "WEFT_UNSUPPORTED_FILE"
  | "WEFT_SYNTAX_ERROR"
  | "WEFT_TOO_DEEP"
  | "WEFT_NO_CLOSURE"
  | "WEFT_CLOSURE_NOT_INLINE"
  | "WEFT_AMBIGUOUS_CLOSURE"
  | "WEFT_CLOSURE_HAS_PARAMS"
  | "WEFT_THIS_CAPTURED"
  | "WEFT_ARGUMENTS_CAPTURED"
  | "WEFT_NEW_TARGET_CAPTURED"
  | "WEFT_SUPER_CAPTURED"
  | "WEFT_DIRECT_EVAL"
  | "WEFT_WITH_STATEMENT"
  | "WEFT_CANNOT_RECREATE"
  | "WEFT_NO_NEW_EXPRESSION";

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

/** @internal weft was imported through a path that did not install a runtime adapter. */
export function noRuntime(): WeftError {
  return new WeftError(
    "WEFT_NO_RUNTIME",
    'Cannot use weft before a runtime adapter is installed: import it as "weft" (its package ' +
      "entry picks the Node, Deno or Bun adapter), not from an internal file path",
  );
}

/** @internal `SharedArrayBuffer` or shared `WebAssembly.Memory` is not available in this isolate. */
export function noSharedMemory(detail: string): WeftError {
  return new WeftError(
    "WEFT_NO_SHARED_MEMORY",
    `Cannot start weft's threaded core as shared memory is unavailable: ${detail}. weft needs ` +
      "SharedArrayBuffer and shared WebAssembly.Memory, which Node >= 22, Deno >= 2 and Bun >= 1.2 " +
      "provide by default; do not disable them (e.g. with --no-harmony-sharedarraybuffer)",
  );
}

/** @internal The .wasm could not be read or compiled. */
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

/** @internal The .wasm and its JS glue come from different builds. */
export function coreMismatch(expected: string, received: string): WeftError {
  return new WeftError(
    "WEFT_CORE_MISMATCH",
    `Cannot use weft's core module as its version is ${received} and the JS expects ${expected}: ` +
      "the package was assembled from two builds; reinstall it",
  );
}

/** @internal A worker failed before it joined the shared memory. */
export function workerStartFailed(cause: unknown): WeftError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WeftError("WEFT_WORKER_START_FAILED", `Cannot start a weft worker: ${reason}`, { cause });
}

/** @internal A worker exited while calls were pending on it. */
export function workerExited(code: number | null, pending: string): WeftError {
  const how = code === null ? "was terminated" : `exited with code ${code}`;
  return new WeftError("WEFT_WORKER_EXITED", `Cannot finish ${pending} as its worker ${how}`);
}

/** @internal A call was made on, or pending on, a worker that was closed on purpose. */
export function workerClosed(pending: string): WeftError {
  return new WeftError("WEFT_WORKER_CLOSED", `Cannot finish ${pending} as its worker was closed`);
}

/** @internal A message between threads that does not follow weft's protocol. */
export function protocolError(detail: string): WeftError {
  return new WeftError("WEFT_PROTOCOL", `Cannot handle a message between weft threads: ${detail}`);
}

/** @internal A task was queued or running when `shutdown()` was called. */
export function shutDown(what: string): WeftError {
  return new WeftError(
    "WEFT_SHUTDOWN",
    `Cannot finish ${what} as weft was shut down: shutdown() terminates every worker; spawn again ` +
      "afterwards to start new ones",
  );
}

/** @internal */
const ANALYSIS_CODES: Record<string, WeftErrorCode> = {
  UnsupportedExtension: "WEFT_UNSUPPORTED_FILE",
  Parse: "WEFT_SYNTAX_ERROR",
  TooDeep: "WEFT_TOO_DEEP",
  NoClosureAtPosition: "WEFT_NO_CLOSURE",
  ClosureNotInline: "WEFT_CLOSURE_NOT_INLINE",
  AmbiguousClosure: "WEFT_AMBIGUOUS_CLOSURE",
  ClosureHasParams: "WEFT_CLOSURE_HAS_PARAMS",
  ThisCaptured: "WEFT_THIS_CAPTURED",
  ArgumentsCaptured: "WEFT_ARGUMENTS_CAPTURED",
  NewTargetCaptured: "WEFT_NEW_TARGET_CAPTURED",
  SuperCaptured: "WEFT_SUPER_CAPTURED",
  DirectEval: "WEFT_DIRECT_EVAL",
  WithStatement: "WEFT_WITH_STATEMENT",
  NoNewExpressionAtPosition: "WEFT_NO_NEW_EXPRESSION",
  CannotRecreate: "WEFT_CANNOT_RECREATE",
};

/**
 * The analyzer refused a spawn call site. `failure` is the analyzer's error object
 * (`{ kind, message, line?, column? }`); `where` names the call site.
 * @internal
 */
export function analysisFailed(where: string, failure: unknown): WeftError {
  if (typeof failure === "object" && failure !== null && "kind" in failure) {
    const { kind, message } = failure as { kind: string; message: string };
    const code = ANALYSIS_CODES[kind] ?? "WEFT_INTERNAL";
    return new WeftError(code, `Cannot spawn at ${where}: ${message}`);
  }
  return new WeftError("WEFT_INTERNAL", `Cannot spawn at ${where}: ${String(failure)}`, { cause: failure });
}

/** @internal The analyzer's Wasm instance trapped; it cannot be trusted on this thread any more. */
export function analyzerCrashed(where: string, cause: unknown): WeftError {
  return new WeftError(
    "WEFT_ANALYZER_CRASHED",
    `Cannot spawn at ${where}: weft's analyzer crashed (${String(cause)}) and is disabled on this ` +
      "thread; please report the file that caused it",
    { cause },
  );
}

/** @internal The runtime gave no usable stack frame for the spawn call. */
export function noCallSite(): WeftError {
  return new WeftError(
    "WEFT_NO_CALL_SITE",
    "Cannot spawn as the caller's file, line and column could not be read from the stack: call " +
      "spawn() directly in a module file (not through Function() or a REPL) and do not replace " +
      "Error.prepareStackTrace",
  );
}

/** @internal A captured value cannot be sent to a worker. */
export function uncloneableCapture(where: string, name: string, declared: string, reason: string): WeftError {
  return new WeftError(
    "WEFT_UNCLONEABLE_CAPTURE",
    `Cannot spawn at ${where}: the captured variable "${name}" (declared at ${declared}) cannot be ` +
      `sent to a worker: ${reason.replace(/^the value/, "its value")}. Capture plain data instead ` +
      "(copy the fields the task needs into a local), or declare it at the top level of the module " +
      "so the worker can re-create it from its declaration",
  );
}

/** @internal spawn() returned a script that nobody passed to eval(). */
export function notEvaluated(where: string): WeftError {
  return new WeftError(
    "WEFT_NOT_EVALUATED",
    `Cannot run the task spawned at ${where} as the script spawn() returned was not passed to ` +
      "eval(): write `await eval(spawn(() => …))` — spawn() only describes the task, eval() starts it",
  );
}

/** @internal A public function received an argument of the wrong type or range. */
export function invalidArgument(what: string, expected: string, received: unknown): WeftError {
  const got = received === null ? "null" : Array.isArray(received) ? "an array" : typeof received;
  return new WeftError("WEFT_INVALID_ARGUMENT", `Cannot ${what}: expected ${expected}, received ${got}`);
}

/** @internal A worker went over its heap limit (Node's `resourceLimits`). */
export function workerOutOfMemory(what: string, cause: unknown): WeftError {
  return new WeftError(
    "WEFT_WORKER_OUT_OF_MEMORY",
    `Cannot finish ${what} as its worker ran out of memory (${cause instanceof Error ? cause.message : String(cause)}): ` +
      "raise configure({ resourceLimits }) or make the task use less memory; the worker was replaced",
    { cause },
  );
}

/** @internal More live workers in the process tree than is sensible (warned once). */
export function tooManyWorkers(live: number, limit: number): WeftError {
  return new WeftError(
    "WEFT_TOO_MANY_WORKERS",
    `${live} workers are alive in this process, more than ${limit} (4 × hardware threads): ` +
      "each costs a thread and memory; share one pool (configure({ maxWorkers })) rather than " +
      "starting workers per request",
  );
}

/** @internal Prints a warning as one line: `WeftError [CODE]: message`. */
export function warn(error: WeftError): void {
  console.warn(`${error.name} [${error.code}]: ${error.message}`);
}
