/**
 * Errors of the lock state machines, as thrown by the Rust glue (a `SyncFailure`, declared by the
 * glue), turned into WeftErrors; and the refusal to block the main thread.
 * @module
 */

import { WeftError, type WeftErrorCode } from "../errors.js";
import type { SyncFailure } from "../wasm/weft.js";

function isSyncFailure(e: unknown): e is SyncFailure {
  return typeof e === "object" && e !== null && !(e instanceof Error) && "code" in e && "message" in e;
}

/** Runs `f`; a `SyncFailure` from the glue becomes a WeftError with its code. */
export function syncCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isSyncFailure(e)) throw new WeftError(e.code as WeftErrorCode, e.message);
    throw e;
  }
}

/** `lockSync`/`acquireSync` outside a weft worker. */
export function blockingOnMainThread(what: string): WeftError {
  return new WeftError(
    "WEFT_BLOCKING_MAIN_THREAD",
    `Cannot ${what} synchronously on this thread: blocking waits are for weft workers (inside a ` +
      "spawned closure); here, await the async form instead",
  );
}
