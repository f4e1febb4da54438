/**
 * `Condvar`: a condition variable across threads, used with a {@link Mutex}: wait (releasing the
 * mutex) until another thread notifies, then hold the mutex again.
 *
 * The state is one word of the shared Wasm memory driven by `weft-sync`'s `RawCondvar`: bits 0–30
 * a notification sequence, bit 31 "someone may be waiting". A notify with nobody waiting is one
 * load and is not remembered, as in Rust. Waits may return spuriously (as every condition
 * variable's): re-check the condition in a loop.
 *
 * `notifyOne` wakes one sleeping waiter. A waiter that gave up (abort) while a `waitAsync` of its
 * was pending passes a wake-up that lands on that `waitAsync` on to another waiter, so none is
 * lost.
 * @module
 */

import { dropWhenCollected } from "../core/blocks.js";
import { core, isWorkerThread } from "../core/module.js";
import { PoisonError, WeftError } from "../errors.js";
import { Held, held, released } from "./held.js";
import { registerCrosser } from "../protocol/handles.js";
import { wordsAt } from "../core/memory.js";
import { blockingOnMainThread, syncCall } from "./blocking.js";
import { Mutex, MutexGuard } from "./mutex.js";
import { acquireAsync, checkWaitOptions, type WaitOptions } from "./waiting.js";

/** Set by `_adopt` for the next constructor call: a block the new object takes over. */
let adopting: number | undefined;

function notifyOne(block: number): void {
  if (core.condvarNotifyOne(block)) Atomics.notify(wordsAt(block), block >>> 2, 1);
}

/**
 * A condition variable usable from every thread; captured by a spawned closure it arrives as a
 * handle to the same condition variable.
 *
 * @example
 * ```ts
 * import { Condvar, Mutex } from "weft";
 * const state = new Mutex(new Int32Array(new SharedArrayBuffer(4)));
 * const changed = new Condvar();
 * // waiter
 * const guard = await state.lock();
 * while (guard.value[0] === 0) await changed.wait(guard);
 * guard.unlock();
 * // elsewhere, any thread
 * const g = await state.lock(); g.value[0] = 1; g.unlock(); changed.notifyAll();
 * ```
 */
export class Condvar {
  #block: number;

  /** A condition variable nobody waits on. */
  constructor() {
    const adopted = adopting;
    adopting = undefined;
    const block = adopted ?? syncCall(() => core.condvarCreate());
    this.#block = block;
    dropWhenCollected(this, () => core.condvarRelease(block));
  }

  /** @internal A second object for an existing block; the caller already holds its reference. */
  static _adopt(block: number): Condvar {
    adopting = block;
    return new Condvar();
  }

  /** @internal */
  static _block(condvar: Condvar): number {
    return condvar.#block;
  }

  /**
   * Releases `guard`'s mutex, waits without blocking the thread for a notification, and locks
   * the mutex again before settling; `guard` is usable again then. Resolves `true` when notified
   * (or spuriously), `false` when `timeout` ms passed first. Rejects with `signal.reason` when
   * aborted, also with the mutex locked again, and with a `PoisonError` (holding `guard`) when a
   * thread died holding the mutex meanwhile.
   */
  async wait<T>(guard: MutexGuard<T>, options?: WaitOptions): Promise<boolean> {
    if (!(guard instanceof MutexGuard)) throw notAGuard(guard);
    const checked = checkWaitOptions(options, "wait on the Condvar");
    const block = this.#block;
    const mutex = MutexGuard._suspend(guard, "wait on the Condvar");
    const attempt = core.condvarBeginWait(block);
    mutex._unlock();
    let notified = true;
    let failure: { error: unknown } | undefined;
    try {
      await acquireAsync(
        { addr: block, step: (a) => core.condvarWaitStep(block, a), onStaleWake: () => notifyOne(block), what: "wait on the Condvar" },
        attempt,
        checked,
      );
    } catch (error) {
      if (error instanceof WeftError && error.code === "WEFT_TIMED_OUT" && !checked.signal?.aborted) notified = false;
      else failure = { error };
    }
    // Locks again whatever happened; a poisoned mutex is still locked, by the error's guard.
    await mutex.lock().catch((error: unknown) => {
      if (!(error instanceof PoisonError)) throw error;
      failure ??= { error: new PoisonError(guard, "Mutex") };
    });
    MutexGuard._resume(guard, mutex);
    if (failure !== undefined) throw failure.error;
    return notified;
  }

  /**
   * The same as {@link wait}, blocking this thread: returns `true` when notified, `false` after
   * `timeout` ms; throws a `PoisonError` (holding `guard`, locked) when a thread died holding the
   * mutex meanwhile. Only inside weft workers; elsewhere use `await wait()`.
   */
  waitSync<T>(guard: MutexGuard<T>, options?: { readonly timeout?: number }): boolean {
    if (!(guard instanceof MutexGuard)) throw notAGuard(guard);
    const { timeout } = checkWaitOptions(options, "wait on the Condvar");
    if (!isWorkerThread()) throw blockingOnMainThread("wait on the Condvar");
    const mutex = MutexGuard._suspend(guard, "wait on the Condvar");
    const block = Mutex._block(mutex);
    // The wait releases the mutex: while it lasts, this thread does not hold it, and it ends by
    // waiting for the mutex (see `Held.Waiting`).
    released(Held.Mutex, block);
    held(Held.Waiting, block);
    let notified: boolean;
    try {
      notified = syncCall(() => core.condvarWaitBlocking(this.#block, block, timeout ?? -1));
    } finally {
      released(Held.Waiting, block);
      held(Held.Mutex, block);
      MutexGuard._resume(guard, mutex);
    }
    // As `wait`: locked again, but a thread died holding the mutex meanwhile.
    if (mutex.poisoned) throw new PoisonError(guard, "Mutex");
    return notified;
  }

  /** Wakes one waiter, if any waits. Not remembered when nobody waits. */
  notifyOne(): void {
    notifyOne(this.#block);
  }

  /** Wakes every waiter. Not remembered when nobody waits. */
  notifyAll(): void {
    const block = this.#block;
    if (core.condvarNotifyAll(block)) Atomics.notify(wordsAt(block), block >>> 2);
  }
}

function notAGuard(received: unknown): WeftError {
  const got = received === null ? "null" : typeof received === "object" ? `an instance of ${received.constructor?.name ?? "Object"}` : typeof received;
  return new WeftError("WEFT_INVALID_ARGUMENT", `Cannot wait on the Condvar: expected the MutexGuard of a locked Mutex, received ${got}`);
}

registerCrosser<Condvar, number>({
  kind: "condvar",
  is: (v): v is Condvar => v instanceof Condvar,
  toWire: (c) => {
    const block = Condvar._block(c);
    syncCall(() => core.condvarRetain(block));
    return block;
  },
  fromWire: (block) => Condvar._adopt(block),
});
