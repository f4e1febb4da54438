/**
 * The rule for the value a lock guards (`Mutex`, `RwLock`): memory that every thread shares, so
 * that every thread locks the same data. The codec's {@link SHARED} rules decide; this names the
 * lock in the refusal.
 * @module
 */

import { WeftError } from "../errors.js";
import { scan, SHARED } from "../protocol/codec.js";

/** Throws `WEFT_INVALID_ARGUMENT` unless `value` is memory every thread shares. */
export function checkSharedValue(value: unknown, lock: "Mutex" | "RwLock"): void {
  const refused = scan(value, SHARED).refused;
  if (refused !== undefined) {
    throw new WeftError(
      "WEFT_INVALID_ARGUMENT",
      `Cannot create a ${lock} around this value: ${refused.replace(/^the value/, "its value")}. A ${lock} ` +
        "guards shared memory, so that every thread locks the same data: a SharedArrayBuffer, a typed " +
        "array over one, a SharedStruct instance, any weft primitive (Mutex, RwLock, Semaphore, Condvar, " +
        "Barrier, WaitGroup, Channel, Global), or an array or plain object (or Map, Set) of those",
    );
  }
}
