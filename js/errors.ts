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
  | "WEFT_SHARED_MEMORY_EXHAUSTED"
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
  | "WEFT_RWLOCK_NOT_READ_LOCKED"
  | "WEFT_RWLOCK_NOT_WRITE_LOCKED"
  | "WEFT_BARRIER_INVALID_PARTIES"
  | "WEFT_WAITGROUP_NEGATIVE"
  | "WEFT_WAITGROUP_OVERFLOW"
  | "WEFT_CHANNEL_INVALID_CAPACITY"
  | "WEFT_CHANNEL_CLOSED"
  | "WEFT_UNSENDABLE_MESSAGE"
  | "WEFT_POISONED"
  | "WEFT_TIMED_OUT"
  | "WEFT_PROTOCOL"
  | "WEFT_SHUTDOWN"
  | "WEFT_NO_CALL_SITE"
  | "WEFT_NOT_EVALUATED"
  | "WEFT_CAPTURE_UNREADABLE"
  | "WEFT_UNCLONEABLE_CAPTURE"
  | "WEFT_UNCLONEABLE_RESULT"
  | "WEFT_STRAY_ERROR"
  | "WEFT_PROTOTYPE_POLLUTED"
  | "WEFT_INVALID_ARGUMENT"
  | "WEFT_ANALYZER_CRASHED"
  | "WEFT_INTERNAL"
  | "WEFT_SOURCE_UNAVAILABLE"
  | "WEFT_RESOURCE_LIMITS_IGNORED"
  // Analysis of the spawn call site (one per analyzer error kind):
  | "WEFT_UNSUPPORTED_FILE"
  | "WEFT_SOURCE_TOO_LARGE"
  | "WEFT_SOURCE_MISMATCH"
  | "WEFT_ANALYZER_BUG"
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
  | "WEFT_NO_NEW_EXPRESSION"
  | "WEFT_UNTRANSFORMABLE";

/** An error raised by weft itself (as opposed to one thrown by user code in a worker). */
export class WeftError extends Error {
  /** A stable identifier of the failure, e.g. `"WEFT_CORE_LOAD_FAILED"`. */
  readonly code: WeftErrorCode;

  /** An error with a stable `code`; `options.cause` is the underlying error, if any. */
  constructor(code: WeftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WeftError";
    this.code = code;
  }
}

/**
 * `WEFT_POISONED`: the lock was taken, but a thread died while holding it earlier, so the data it
 * guards may be half-updated. `guard` holds the lock (like Rust's `PoisonError::into_inner`):
 * check or repair the data, then `clearPoison()` on the lock, and unlock the guard.
 */
export class PoisonError<G> extends WeftError {
  /** The lock, acquired: unlock it when done. */
  readonly guard: G;

  /** @internal */
  constructor(guard: G, lock: string) {
    super(
      "WEFT_POISONED",
      `Cannot ${lock === "Mutex" ? "lock the Mutex" : "lock the RwLock"} cleanly as a thread died while holding it: the data it guards may be ` +
        "half-updated. The lock is held by this error's `guard`: check or repair the data, call clearPoison() on the " +
        "lock, then unlock the guard",
    );
    this.name = "PoisonError";
    this.guard = guard;
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
  if (isPermissionDenied(cause)) {
    return new WeftError(
      "WEFT_CORE_LOAD_FAILED",
      `Cannot load weft's core module as the runtime denied read access to ${url.href} (${reason}): ` +
        `weft reads its own weft_bg.wasm; grant read access to the weft package, e.g. Deno's ` +
        `--allow-read=${packageDir(url)}`,
      { cause },
    );
  }
  return new WeftError(
    "WEFT_CORE_LOAD_FAILED",
    `Cannot load weft's core module as ${url.href} could not be loaded: ${reason}. Reinstall the ` +
      "weft package. To bundle weft into an application or a single executable, build with weft's " +
      "plugin for the bundler (weft/esbuild, weft/rollup, weft/vite, weft/webpack, weft/bun), which " +
      "embeds the .wasm and the worker entry; or leave weft external (esbuild --external:weft, " +
      "Rollup's `external`, webpack's `externals`) so that it loads from node_modules",
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
  const hint = /cannot find module|not found|ENOENT/i.test(reason)
    ? ": weft's worker entry is missing beside its code; bundle weft with its plugin for the bundler (weft/esbuild, weft/rollup, weft/vite, weft/webpack, weft/bun), or leave it external so that it loads from node_modules"
    : "";
  return new WeftError("WEFT_WORKER_START_FAILED", `Cannot start a weft worker: ${reason}${hint}`, { cause });
}

/**
 * @internal A worker did not report ready within `ms` of being sent the module, and was
 * terminated. A task sent with the module fails with this too: it may have run.
 */
export function workerStartTimedOut(ms: number): WeftError {
  return new WeftError(
    "WEFT_WORKER_START_FAILED",
    `Cannot start a weft worker: it did not join within ${ms} ms of being sent the module, and was terminated`,
  );
}

/** @internal A worker exited while calls were pending on it. */
export function workerExited(code: number | null, pending: string): WeftError {
  const how = code === null ? "was terminated" : `exited with code ${code}`;
  return new WeftError("WEFT_WORKER_EXITED", `Cannot finish ${pending} as its worker ${how}`);
}

/**
 * @internal A worker ended because an error escaped code running in it: the error belongs to the
 * task whose code threw it (which got it already, or saw it reported as stray), not to `pending`.
 */
export function workerCrashed(pending: string, cause: unknown): WeftError {
  const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  return new WeftError(
    "WEFT_WORKER_EXITED",
    `Cannot finish ${pending} as its worker ended after an error escaped other code running in it ` +
      `(${reason}); the worker is replaced, spawn the task again`,
    { cause },
  );
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
/** The codes the analyzer reports (`AnalyzeError::code` in crates/analyzer/src/error.rs). */
const ANALYSIS_CODES: ReadonlySet<string> = new Set<WeftErrorCode>([
  "WEFT_UNSUPPORTED_FILE",
  "WEFT_SOURCE_TOO_LARGE",
  "WEFT_SYNTAX_ERROR",
  "WEFT_TOO_DEEP",
  "WEFT_NO_CLOSURE",
  "WEFT_NO_NEW_EXPRESSION",
  "WEFT_CLOSURE_NOT_INLINE",
  "WEFT_SOURCE_MISMATCH",
  "WEFT_AMBIGUOUS_CLOSURE",
  "WEFT_CLOSURE_HAS_PARAMS",
  "WEFT_THIS_CAPTURED",
  "WEFT_ARGUMENTS_CAPTURED",
  "WEFT_NEW_TARGET_CAPTURED",
  "WEFT_SUPER_CAPTURED",
  "WEFT_DIRECT_EVAL",
  "WEFT_WITH_STATEMENT",
  "WEFT_CANNOT_RECREATE",
  "WEFT_ANALYZER_BUG",
  "WEFT_INTERNAL",
]);

/**
 * The analyzer refused a spawn call site. `failure` is what the analyzer threw
 * (`AnalysisFailure`: `{ code, kind, message }`); `where` names the call site.
 * @internal
 */
export function analysisFailed(where: string, failure: unknown): WeftError {
  if (typeof failure === "object" && failure !== null && "code" in failure && "message" in failure) {
    const { code, message } = failure as { code: unknown; message: unknown };
    if (typeof code === "string" && ANALYSIS_CODES.has(code)) {
      return new WeftError(code as WeftErrorCode, `Cannot spawn at ${where}: ${String(message)}`);
    }
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

/** @internal Captures that each can cross alone but not in one message (a runtime's cloning bug). */
export function uncloneableCaptures(where: string, names: readonly string[], reason: string): WeftError {
  return new WeftError(
    "WEFT_UNCLONEABLE_CAPTURE",
    `Cannot spawn at ${where}: the captured variables ${names.map((n) => `"${n}"`).join(", ")} cannot be sent to a ` +
      `worker together: ${reason.replace(/^the value has/, "between them they have")}`,
  );
}

/** @internal A task's result cannot be sent back from its worker. */
export function uncloneableResult(what: string, reason: string): WeftError {
  return new WeftError(
    "WEFT_UNCLONEABLE_RESULT",
    `Cannot return the result of ${what}: ${reason.replace(/^the value/, "the result")}. Return plain ` +
      "data instead (copy the fields the caller needs into a plain object or array)",
  );
}

/**
 * @internal An error escaped a task's code after the task settled (a timer or listener it left
 * behind): it fails no task and is reported as a warning.
 */
export function strayError(site: string | undefined, error: unknown): WeftError {
  const from = site === undefined ? "code running in a weft worker" : `the code of the task spawned at ${site}`;
  const shown = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return new WeftError(
    "WEFT_STRAY_ERROR",
    `An error escaped ${from} after its task had settled, so no task could fail with it: ${shown}\n` +
      "Catch errors in the timers and listeners a task leaves behind, or wait for them before the task returns",
    { cause: error },
  );
}

/** @internal A built-in prototype was given a `then`, so results would never settle. */
export function prototypePolluted(what: string, property: string): WeftError {
  return new WeftError(
    "WEFT_PROTOTYPE_POLLUTED",
    `Cannot deliver the result of ${what} as ${property} is set in the thread that received it, ` +
      "which makes every object look like a promise: tasks must not change built-in prototypes, " +
      "since a worker runs many tasks one after another; a worker where this happened is replaced",
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

/**
 * @internal The script's eval could not read the captured variables: it was not a direct eval in
 * the spawn's scope, or a variable was still in its temporal dead zone.
 */
export function capturesUnreadable(where: string, cause: unknown): WeftError {
  const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new WeftError(
    "WEFT_CAPTURE_UNREADABLE",
    `Cannot run the task spawned at ${where} as the variables it captures could not be read where ` +
      `its script was evaluated (${reason}): pass spawn()'s script straight to a direct eval in ` +
      "the scope of the spawn call, `await eval(spawn(() => …))`, not to an aliased eval such as " +
      "`(0, eval)(…)` or `globalThis.eval(…)`, and only once the variables it uses are initialised",
    { cause },
  );
}

/** @internal A public function received an argument of the wrong type or range. */
/** @internal A task's `timeout` elapsed before it settled. */
export function taskTimedOut(what: string, timeoutMs: number): WeftError {
  return new WeftError(
    "WEFT_TIMED_OUT",
    `Cannot finish ${what} within its timeout of ${timeoutMs} ms (counted from the eval, queueing ` +
      "included): its worker was terminated; raise the timeout, or split the work into smaller tasks",
  );
}

/** @internal `signal` or `timeout` on a spawn inside a worker. */
export function nestedCancel(what: string): WeftError {
  return new WeftError(
    "WEFT_INVALID_ARGUMENT",
    `Cannot give ${what} a signal or timeout of its own: a task spawned inside a worker is ` +
      "cancelled with the task that spawned it; pass { signal, timeout } to the outermost spawn",
  );
}

export function invalidArgument(what: string, expected: string, received: unknown): WeftError {
  const got = received === null ? "null" : Array.isArray(received) ? "an array" : typeof received;
  return new WeftError("WEFT_INVALID_ARGUMENT", `Cannot ${what}: expected ${expected}, received ${got}`);
}

/** @internal The runtime refused to post a task with its `transfer` list. */
export function transferRefused(what: string, cause: unknown): WeftError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WeftError(
    "WEFT_INVALID_ARGUMENT",
    `Cannot send ${what}: the runtime refused its transfer list (${reason}). List in \`transfer\` only ` +
      "transferable objects (ArrayBuffers, MessagePorts, …), each once, none already transferred",
    { cause },
  );
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

/**
 * @internal A public function received a value of the right type outside the range that works;
 * the message shows the value itself.
 */
export function invalidValue(what: string, expected: string, received: unknown): WeftError {
  const shown = typeof received === "string" ? JSON.stringify(received) : String(received);
  return new WeftError("WEFT_INVALID_ARGUMENT", `Cannot ${what}: expected ${expected}, received ${shown}`);
}

/**
 * @internal The source of a spawn's caller cannot be read: it is not a file (a `data:` or remote
 * module), or the file was moved or deleted after it was loaded.
 */
/**
 * Whether `cause` is a runtime's refusal for lack of a permission (Deno's `NotCapable`, formerly
 * `PermissionDenied`), not a missing or broken file.
 */
export function isPermissionDenied(cause: unknown): boolean {
  const name = (cause as { name?: unknown } | null)?.name;
  return name === "NotCapable" || name === "PermissionDenied";
}

/** The folder of the weft package a file of it lies in, as a path (for a permission flag). */
function packageDir(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  const at = path.lastIndexOf("/js/wasm/");
  return at < 0 ? path.slice(0, path.lastIndexOf("/")) : path.slice(0, at);
}

/**
 * @internal spawn or a Global in code that has no file: `node -e`, `deno eval`, `bun -e`, code
 * piped to stdin, a REPL.
 */
export function noSourceFile(url: string): WeftError {
  return new WeftError(
    "WEFT_SOURCE_UNAVAILABLE",
    `Cannot spawn from ${url}: it is code given on the command line (node -e, deno eval, bun -e), ` +
      "piped to stdin or typed in a REPL, which has no source file; weft reads the file that calls " +
      "spawn() to find the closure and its variables. Put the code in a module file and run that " +
      "file (from a REPL, import a module that calls spawn)",
  );
}

export function sourceUnavailable(url: string, reason: string): WeftError {
  const shown = url.length > 80 ? `${url.slice(0, 77)}...` : url;
  return new WeftError(
    "WEFT_SOURCE_UNAVAILABLE",
    `Cannot read the source of ${shown} as ${reason}: weft reads the file that calls spawn() (or ` +
      "creates a Global) to find the closure and its variables; call it from a module file on " +
      "disk, and keep that file in place while the program runs",
  );
}

/** @internal `configure({ resourceLimits })` on a runtime whose workers ignore them (warned once). */
export function resourceLimitsIgnored(runtimeName: string): WeftError {
  return new WeftError(
    "WEFT_RESOURCE_LIMITS_IGNORED",
    `configure({ resourceLimits }) has no effect on ${runtimeName}: its workers take no heap or stack ` +
      "limits, so a task that allocates without bound grows the whole process; bound the work a " +
      "task does itself, or run it in a child process with its own memory limit",
  );
}

/** @internal No worker could be started for a task: the shared memory has no room for its stack. */
export function noRoomForWorker(what: string, live: number, fit: number): WeftError {
  return new WeftError(
    "WEFT_WORKER_START_FAILED",
    `Cannot start a worker for ${what}: weft's shared memory has room for ${fit} worker stacks and ` +
      `${live} are in use by workers of this process; lower configure({ maxWorkers }), share one ` +
      "pool, or close workers started by hand",
  );
}

/** @internal Prints a warning as one line: `WeftError [CODE]: message`. */
export function warn(error: WeftError): void {
  console.warn(`${error.name} [${error.code}]: ${error.message}`);
}
