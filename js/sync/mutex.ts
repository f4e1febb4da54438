/// <reference lib="esnext.disposable" preserve="true" />
/**
 * `Mutex<T>`: mutual exclusion across every thread of the process tree, guarding a shared value.
 *
 * The lock is a word in the shared Wasm memory driven by `weft-sync`'s `RawMutex`:
 * bit 0 locked, bit 1 waiters parked (unlock wakes one of them), bit 2 owed to a waiter. An
 * uncontended lock and unlock are one compare-exchange each and never notify.
 *
 * Fast path: those two compare-exchanges run here, in JS, on the same word (`0 → LOCKED` is
 * `RawMutex::try_lock`, `LOCKED → 0` is `RawMutex::unlock` when nobody is parked and nothing is
 * owed); every other case goes to the Rust state machine. JS atomics are sequentially consistent,
 * stronger than the Acquire/Release the Rust side documents, so the two paths mix freely.
 *
 * Fairness (`weft_sync::FAIR_AFTER`): a thread that has waited 0.5 ms or longer goes before
 * newcomers, including the thread that just unlocked, so no thread starves; until then the thread
 * that holds the lock may take it again at once. The async path measures the wait with
 * `performance.now()` (acquireAsync's `waitedMs`), the blocking path in Rust with the same clock.
 * There is no hand-off to a particular waiter.
 *
 * Wake-ups: a contended unlock wakes one waiter, which passes the wake-up on when it takes the lock
 * or sleeps again (`RawMutex`'s docs). A waiter that vanishes while registered could swallow it,
 * so whoever drops one wakes all waiters of the word: an async lock that gives up while its
 * `waitAsync` is pending (`mutexAbandon` says so), and the thread reaping a worker that died while
 * waiting, which finds the word in the worker's held list (`Held.Waiting`, recorded for the
 * duration of every wait in a worker).
 *
 * Cancellation: `lock({ signal, timeout })` rejects with `signal.reason` or a `WEFT_TIMED_OUT`
 * WeftError and leaves the lock exactly as it was: nothing is held, nothing owed.
 *
 * Poisoning: a worker records the mutexes it holds (held.ts); one that dies holding this mutex
 * has it released and marked poisoned (word 1 of the block) by the thread that owned the worker.
 * @module
 */

import { acquireAsync, checkWaitOptions, type WaitOptions } from "./waiting.js";
import { dropWhenCollected } from "../core/blocks.js";
import { core, isWorkerThread } from "../core/module.js";
import { PoisonError, WeftError } from "../errors.js";
import { registerCrosser } from "../protocol/handles.js";
import { wordsAt } from "../core/memory.js";
import { blockingOnMainThread, syncCall } from "./blocking.js";
import { checkSharedValue } from "./shared_value.js";
import { clearPoisoned, Held, held, isPoisoned, poisonedWhenLocked, released } from "./held.js";

/** `weft_sync::RawMutex`'s word: unlocked, and held with nobody parked and nothing owed (from the glue). */
const UNLOCKED: number = core.MutexWord.Unlocked;
const LOCKED: number = core.MutexWord.Locked;

/** Set by `_adopt` for the next constructor call: a block the new object takes over. */
let adopting: number | undefined;

/** Proof of holding a {@link Mutex}; `value` is the guarded value. Unlock it exactly once. */
export class MutexGuard<T> {
  #mutex: Mutex<T> | undefined;
  #value: T;

  /** @internal */
  constructor(mutex: Mutex<T>, value: T) {
    this.#mutex = mutex;
    this.#value = value;
  }

  /** The guarded value. Throws once the guard is unlocked. */
  get value(): T {
    if (this.#mutex === undefined) {
      throw new WeftError("WEFT_GUARD_RELEASED", "Cannot use a MutexGuard after unlock(): lock the mutex again");
    }
    return this.#value;
  }

  /**
   * @internal A condition variable's wait: the guard stops granting access and hands back its
   * mutex, which the caller unlocks and later locks again before {@link _resume}.
   */
  static _suspend<T>(guard: MutexGuard<T>, what: string): Mutex<T> {
    const mutex = guard.#mutex;
    if (mutex === undefined) {
      throw new WeftError("WEFT_GUARD_RELEASED", `Cannot ${what} with a MutexGuard after unlock(): pass the guard of a mutex this thread holds`);
    }
    guard.#mutex = undefined;
    return mutex;
  }

  /** @internal The mutex is held again: the guard grants access as before. */
  static _resume<T>(guard: MutexGuard<T>, mutex: Mutex<T>): void {
    guard.#mutex = mutex;
  }

  /** Unlocks the mutex. A second call does nothing. */
  unlock(): void {
    const mutex = this.#mutex;
    if (mutex === undefined) return;
    this.#mutex = undefined;
    mutex._unlock();
  }

  /** Unlocks at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.unlock();
  }
}

/**
 * A mutual-exclusion lock over a shared value, usable from every thread: captured by a spawned
 * closure (directly, through an import, or nested in an object) it arrives as a handle to the
 * same lock.
 *
 * @example
 * ```ts
 * import { Mutex } from "weft";
 * const counter = new Mutex(new SharedArrayBuffer(4));
 * {
 *   using guard = await counter.lock();   // or: const guard = …; try { … } finally { guard.unlock(); }
 *   new Int32Array(guard.value)[0] += 1;
 * }
 * ```
 */
export class Mutex<T = undefined> {
  #block: number;
  #value: T;
  /** A view covering the block (the memory never moves) and the index of its lock word. */
  #words: Int32Array;
  #at: number;

  /**
   * A new unlocked mutex guarding `value`, which must be shared memory (a SharedArrayBuffer, a
   * typed array over one, or objects/arrays of those) so that every thread sees the same data.
   */
  constructor(value?: T) {
    const adopted = adopting;
    adopting = undefined;
    if (adopted === undefined) checkSharedValue(value, "Mutex");
    this.#value = value as T;
    const block = adopted ?? syncCall(() => core.mutexCreate());
    this.#block = block;
    this.#words = wordsAt(block + 8);
    this.#at = block >>> 2;
    dropWhenCollected(this, () => core.mutexRelease(block));
  }

  /** @internal A second object for an existing block; the caller already holds its reference. */
  static _adopt<T>(block: number, value: T): Mutex<T> {
    adopting = block;
    return new Mutex(value);
  }

  /** @internal */
  static _block(mutex: Mutex<unknown>): number {
    return mutex.#block;
  }

  /** @internal */
  static _value<T>(mutex: Mutex<T>): T {
    return mutex.#value;
  }

  /** Whether some thread holds the lock right now (a snapshot, for diagnostics). */
  get locked(): boolean {
    return core.mutexIsLocked(this.#block);
  }

  /**
   * Waits for the lock without blocking the thread. Resolves with a guard; rejects with
   * `signal.reason` when aborted or a `WEFT_TIMED_OUT` WeftError after `timeout` ms.
   */
  lock(options?: WaitOptions): Promise<MutexGuard<T>> {
    // Not `async`: the uncontended path skips the async function's machinery.
    if (options === undefined && this.#tryLock()) {
      const guard = this.#locked();
      return guard instanceof MutexGuard ? Promise.resolve(guard) : Promise.reject(guard);
    }
    return this.#lockSlow(options);
  }

  /** Takes the lock if it is free and owed to nobody (`RawMutex::try_lock`). */
  #tryLock(): boolean {
    return Atomics.compareExchange(this.#words, this.#at, UNLOCKED, LOCKED) === UNLOCKED;
  }

  /** Just locked: records it and makes the guard, or the PoisonError holding it. */
  #locked(): MutexGuard<T> | PoisonError<MutexGuard<T>> {
    held(Held.Mutex, this.#block);
    const guard = new MutexGuard(this, this.#value);
    return poisonedWhenLocked(this.#words, this.#at) ? new PoisonError(guard, "Mutex") : guard;
  }

  /** {@link #locked}, throwing the PoisonError. */
  #lockedOrThrow(): MutexGuard<T> {
    const guard = this.#locked();
    if (guard instanceof MutexGuard) return guard;
    throw guard;
  }

  async #lockSlow(options: WaitOptions | undefined): Promise<MutexGuard<T>> {
    const checked = checkWaitOptions(options, "lock the mutex");
    const block = this.#block;
    if (this.#tryLock() || core.mutexSpinLock(block)) return this.#lockedOrThrow();
    if (checked.signal?.aborted === true) throw checked.signal.reason;
    held(Held.Waiting, block);
    try {
      await acquireAsync(
        {
          addr: block,
          step: (a, waitedMs) => core.mutexLockStep(block, a, waitedMs),
          // A wait that ended (a timeout) is no longer registered: nothing to clear.
          abandon: (a, pending) => core.mutexAbandon(block, a) && pending,
          what: "lock the mutex",
        },
        0,
        checked,
      );
    } finally {
      released(Held.Waiting, block);
    }
    return this.#lockedOrThrow();
  }

  /**
   * Takes the lock if it is free and owed to no waiter; otherwise returns `null`. Throws a
   * `PoisonError` holding the guard when the mutex is poisoned.
   */
  tryLock(): MutexGuard<T> | null {
    return this.#tryLock() ? this.#lockedOrThrow() : null;
  }

  /**
   * Whether a thread died while holding this mutex (exit, crash, out of memory, terminated), so
   * that the data it guards may be half-updated. While poisoned, every lock rejects (throws) with
   * a `PoisonError` (`WEFT_POISONED`) that holds the acquired guard.
   */
  get poisoned(): boolean {
    return isPoisoned(this.#block);
  }

  /** Clears the poison mark, once the guarded data has been checked or repaired. */
  clearPoison(): void {
    clearPoisoned(this.#block);
  }

  /**
   * Takes the lock, blocking this thread until it is free (`timeout` in ms: then throws
   * `WEFT_TIMED_OUT`). Only inside weft workers; on other threads use `await lock()`.
   */
  lockSync(options?: { readonly timeout?: number }): MutexGuard<T> {
    const { timeout } = checkWaitOptions(options, "lock the mutex");
    if (!isWorkerThread()) throw blockingOnMainThread("lock the mutex");
    if (!this.#tryLock()) {
      const block = this.#block;
      held(Held.Waiting, block);
      try {
        syncCall(() => core.mutexLockBlocking(block, timeout ?? -1));
      } finally {
        released(Held.Waiting, block);
      }
    }
    return this.#lockedOrThrow();
  }

  /** @internal Called by the guard. */
  _unlock(): void {
    const block = this.#block;
    released(Held.Mutex, block);
    if (Atomics.compareExchange(this.#words, this.#at, LOCKED, UNLOCKED) === LOCKED) return;
    if (syncCall(() => core.mutexUnlock(block))) Atomics.notify(this.#words, this.#at, 1);
  }
}

registerCrosser<Mutex<unknown>, { block: number; value: unknown }>({
  kind: "mutex",
  is: (v): v is Mutex<unknown> => v instanceof Mutex,
  toWire: (m) => {
    const block = Mutex._block(m);
    syncCall(() => core.mutexRetain(block));
    return { block, value: Mutex._value(m) };
  },
  fromWire: ({ block, value }) => Mutex._adopt(block, value),
});
