/**
 * Errors of the lock state machines, as thrown by the Rust glue (`{ code, message }`), turned into
 * WeftErrors; and the refusal to block the main thread.
 * @module
 */

import { WeftError, type WeftErrorCode } from "../errors.js";

/** Runs `f`; an error object from the sync glue becomes a WeftError with its code. */
export function syncCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (typeof e === "object" && e !== null && "code" in e && "message" in e && !(e instanceof Error)) {
      const { code, message } = e as { code: string; message: string };
      throw new WeftError(code as WeftErrorCode, message);
    }
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
