/// <reference lib="esnext.disposable" preserve="true" />
/**
 * `RwLock<T>`: a readers–writer lock across every thread of the process tree, guarding a shared
 * value: many readers at once, or one writer.
 *
 * The lock is one word of the shared Wasm memory driven by `weft-sync`'s `RawRwLock`: a semaphore
 * of 16,383 permits on that word, a read lock taking one, a write lock all of them. A waiting
 * writer reserves every permit, so a stream of readers cannot starve it; a waiting reader reserves
 * its one, so a writer that relocks in a loop cannot starve readers. Uncontended read and write
 * locks and unlocks are one compare-exchange each; an uncontended read lock and unlock run in JS
 * on the word (as the Mutex's fast path does), everything else in the state machine.
 *
 * Cancellation: `read()`/`write()` with `{ signal, timeout }` reject with `signal.reason` or
 * `WEFT_TIMED_OUT` and give any reservation up: nothing is held.
 * @module
 */

import { dropWhenCollected } from "../core/blocks.js";
import { core, isWorkerThread } from "../core/module.js";
import { PoisonError, WeftError } from "../errors.js";
import { clearPoisoned, Held, held, isPoisoned, poisonedWhenLocked, released } from "./held.js";
import { registerCrosser } from "../protocol/handles.js";
import { wordsAt } from "../core/memory.js";
import { blockingOnMainThread, syncCall } from "./blocking.js";
import { checkSharedValue } from "./shared_value.js";
import { acquireAsync, checkWaitOptions, type WaitOptions } from "./waiting.js";

/** `weft_sync::MAX_READERS` (from the glue): the lock word's permits, bits 0–13; a writer takes them all. */
const MAX_READERS: number = core.RwLockWord.Unlocked;

/**
 * Takes a read lock in JS when no reservation, heartbeat or parked waiter is recorded (bits
 * 14–31 clear) and a permit is free: one compare-exchange, the uncontended case of
 * `RawRwLock::try_read`. Anything else is left to the state machine. `w[i]` is the lock word.
 *
 * The first read of the word is plain (an atomic load is a measurable share of the fast path):
 * only the compare-exchange decides, and it fails on a stale value.
 */
function tryReadWord(w: Int32Array, i: number): boolean {
  for (let v = w[i]!; (v & ~MAX_READERS) === 0 && v > 0; ) {
    const seen = Atomics.compareExchange(w, i, v, v - 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/**
 * Releases a read lock in JS when nothing else is recorded in the word (bits 14–31 clear), so
 * that nobody needs waking: the uncontended case of `RawRwLock::read_unlock`.
 */
function readUnlockWord(w: Int32Array, i: number): boolean {
  for (let v = w[i]!; (v & ~MAX_READERS) === 0 && v < MAX_READERS; ) {
    const seen = Atomics.compareExchange(w, i, v, v + 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/**
 * Takes the write lock in JS when the word is exactly unlocked (every read permit free, nothing
 * else recorded): the writer takes all the permits, the uncontended case of
 * `RawRwLock::try_write`.
 */
function tryWriteWord(w: Int32Array, i: number): boolean {
  return Atomics.compareExchange(w, i, MAX_READERS, 0) === MAX_READERS;
}

/**
 * Releases the write lock in JS when nothing else is recorded in the word (no permit free, bits
 * 14–31 clear), so that nobody needs waking: the uncontended case of `RawRwLock::write_unlock`.
 */
function writeUnlockWord(w: Int32Array, i: number): boolean {
  return Atomics.compareExchange(w, i, 0, MAX_READERS) === 0;
}

/** Set by `_adopt` for the next constructor call: a block the new object takes over. */
let adopting: number | undefined;

type Mode = "read" | "write";

/** What both guards of an {@link RwLock} share: the guarded value, and unlocking once. */
export abstract class RwLockGuard<T> {
  #lock: RwLock<T> | undefined;
  #value: T;
  readonly #mode: Mode;

  /** @internal */
  constructor(lock: RwLock<T>, value: T, mode: Mode) {
    this.#lock = lock;
    this.#value = value;
    this.#mode = mode;
  }

  /** The guarded value. Throws once the guard is unlocked. */
  get value(): T {
    if (this.#lock === undefined) {
      throw new WeftError("WEFT_GUARD_RELEASED", `Cannot use an RwLock ${this.#mode} guard after unlock(): lock it again`);
    }
    return this.#value;
  }

  /** Releases this read or write lock. A second call does nothing. */
  unlock(): void {
    const lock = this.#lock;
    if (lock === undefined) return;
    this.#lock = undefined;
    RwLock._unlock(lock, this.#mode);
  }

  /** Unlocks at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.unlock();
  }
}

/** Proof of holding a read lock of an {@link RwLock}; other readers may hold it too. */
export class RwLockReadGuard<T> extends RwLockGuard<T> {}

/** Proof of holding the write lock of an {@link RwLock}: nobody else holds it. */
export class RwLockWriteGuard<T> extends RwLockGuard<T> {}

/**
 * A readers–writer lock over a shared value, usable from every thread; captured by a spawned
 * closure it arrives as a handle to the same lock.
 *
 * @example
 * ```ts
 * import { RwLock } from "weft";
 * const table = new RwLock(new Float64Array(new SharedArrayBuffer(8 * 1024)));
 * {
 *   using reading = await table.read();    // many readers at once
 *   console.log(reading.value[0]);
 * }
 * {
 *   using writing = await table.write();   // one writer, no readers
 *   writing.value[0] = 42;
 * }
 * ```
 */
export class RwLock<T = undefined> {
  #block: number;
  #value: T;
  /** A view covering the block (the memory never moves) and the index of its lock word. */
  #words: Int32Array;
  #at: number;

  /**
   * A new unlocked lock guarding `value`, which must be shared memory (a SharedArrayBuffer, a
   * typed array over one, a SharedStruct, weft primitives, or objects/arrays of those).
   */
  constructor(value?: T) {
    const adopted = adopting;
    adopting = undefined;
    if (adopted === undefined) checkSharedValue(value, "RwLock");
    this.#value = value as T;
    const block = adopted ?? syncCall(() => core.rwlockCreate());
    this.#block = block;
    this.#words = wordsAt(block + 8);
    this.#at = block >>> 2;
    dropWhenCollected(this, () => core.rwlockRelease(block));
  }

  /** @internal A second object for an existing block; the caller already holds its reference. */
  static _adopt<T>(block: number, value: T): RwLock<T> {
    adopting = block;
    return new RwLock(value);
  }

  /** @internal */
  static _block(lock: RwLock<unknown>): number {
    return lock.#block;
  }

  /** @internal */
  static _value<T>(lock: RwLock<T>): T {
    return lock.#value;
  }

  /** @internal Called by the guards. */
  static _unlock(lock: RwLock<unknown>, mode: Mode): void {
    const block = lock.#block;
    released(mode === "read" ? Held.Read : Held.Write, block);
    if (mode === "read" ? readUnlockWord(lock.#words, lock.#at) : writeUnlockWord(lock.#words, lock.#at)) return;
    const wake = syncCall(() => (mode === "read" ? core.rwlockReadUnlock(block) : core.rwlockWriteUnlock(block)));
    if (wake) Atomics.notify(lock.#words, lock.#at);
  }

  /** Read locks held right now, 0 while write-locked (a snapshot, for diagnostics). */
  get readers(): number {
    return core.rwlockReaders(this.#block);
  }

  /** Whether a writer holds the lock right now (a snapshot, for diagnostics). */
  get writeLocked(): boolean {
    return core.rwlockIsWriteLocked(this.#block);
  }

  /**
   * Waits for a read lock without blocking the thread; other readers may hold it at the same
   * time. Rejects with `signal.reason` when aborted or `WEFT_TIMED_OUT` after `timeout` ms.
   */
  read(options?: WaitOptions): Promise<RwLockReadGuard<T>> {
    if (options === undefined && tryReadWord(this.#words, this.#at)) return settle(this.#reading());
    return this.#lockSlow("read", options).then(() => this.#readingOrThrow());
  }

  /** Just read-locked: records it and makes the guard, or the PoisonError holding it. */
  #reading(): RwLockReadGuard<T> | PoisonError<RwLockReadGuard<T>> {
    held(Held.Read, this.#block);
    const guard = new RwLockReadGuard(this, this.#value, "read");
    return poisonedWhenLocked(this.#words, this.#at) ? new PoisonError(guard, "RwLock") : guard;
  }

  /** Just write-locked: as {@link #reading}. */
  #writing(): RwLockWriteGuard<T> | PoisonError<RwLockWriteGuard<T>> {
    held(Held.Write, this.#block);
    const guard = new RwLockWriteGuard(this, this.#value, "write");
    return poisonedWhenLocked(this.#words, this.#at) ? new PoisonError(guard, "RwLock") : guard;
  }

  #readingOrThrow(): RwLockReadGuard<T> {
    return orThrow(this.#reading());
  }

  #writingOrThrow(): RwLockWriteGuard<T> {
    return orThrow(this.#writing());
  }

  /**
   * Whether a thread died while holding the write lock (exit, crash, out of memory, terminated),
   * so that the data may be half-updated. While poisoned, every read and write lock rejects
   * (throws) with a `PoisonError` (`WEFT_POISONED`) that holds the acquired guard. A reader that
   * dies only gives its read lock back.
   */
  get poisoned(): boolean {
    return isPoisoned(this.#block);
  }

  /** Clears the poison mark, once the guarded data has been checked or repaired. */
  clearPoison(): void {
    clearPoisoned(this.#block);
  }

  /**
   * Waits for the write lock without blocking the thread: no reader or other writer holds it
   * meanwhile. Rejects like {@link read}.
   */
  write(options?: WaitOptions): Promise<RwLockWriteGuard<T>> {
    if (options === undefined && tryWriteWord(this.#words, this.#at)) return settle(this.#writing());
    return this.#lockSlow("write", options).then(() => this.#writingOrThrow());
  }

  async #lockSlow(mode: Mode, options: WaitOptions | undefined): Promise<void> {
    const what = `${mode}-lock the RwLock`;
    const checked = checkWaitOptions(options, what);
    const block = this.#block;
    if (mode === "read" ? core.rwlockTryRead(block) : core.rwlockTryWrite(block)) return;
    if (checked.signal?.aborted === true) throw checked.signal.reason;
    const attempt = mode === "read" ? core.rwlockBeginRead(block) : core.rwlockBeginWrite(block);
    await acquireAsync(
      {
        addr: block,
        step: (a) => core.rwlockLockStep(block, a),
        abandon: (a) => core.rwlockAbandon(block, a),
        what,
      },
      attempt,
      checked,
    );
  }

  /** Takes a read lock if no writer holds or waits for it; otherwise returns `null`. */
  tryRead(): RwLockReadGuard<T> | null {
    return tryReadWord(this.#words, this.#at) || core.rwlockTryRead(this.#block) ? this.#readingOrThrow() : null;
  }

  /** Takes the write lock if nobody holds or waits for it; otherwise returns `null`. */
  tryWrite(): RwLockWriteGuard<T> | null {
    return tryWriteWord(this.#words, this.#at) || core.rwlockTryWrite(this.#block) ? this.#writingOrThrow() : null;
  }

  /**
   * Takes a read lock, blocking this thread (`timeout` in ms: then throws `WEFT_TIMED_OUT`). Only
   * inside weft workers; elsewhere use `await read()`.
   */
  readSync(options?: { readonly timeout?: number }): RwLockReadGuard<T> {
    const { timeout } = checkWaitOptions(options, "read-lock the RwLock");
    if (!isWorkerThread()) throw blockingOnMainThread("read-lock the RwLock");
    const block = this.#block;
    if (!tryReadWord(this.#words, this.#at)) syncCall(() => core.rwlockReadBlocking(block, timeout ?? -1));
    return this.#readingOrThrow();
  }

  /** Takes the write lock, blocking this thread; as {@link readSync}. */
  writeSync(options?: { readonly timeout?: number }): RwLockWriteGuard<T> {
    const { timeout } = checkWaitOptions(options, "write-lock the RwLock");
    if (!isWorkerThread()) throw blockingOnMainThread("write-lock the RwLock");
    const block = this.#block;
    if (!tryWriteWord(this.#words, this.#at)) syncCall(() => core.rwlockWriteBlocking(block, timeout ?? -1));
    return this.#writingOrThrow();
  }
}

function settle<G>(guard: G | PoisonError<G>): Promise<G> {
  return guard instanceof PoisonError ? Promise.reject(guard) : Promise.resolve(guard);
}

function orThrow<G>(guard: G | PoisonError<G>): G {
  if (guard instanceof PoisonError) throw guard;
  return guard;
}

registerCrosser<RwLock<unknown>, { block: number; value: unknown }>({
  kind: "rwlock",
  is: (v): v is RwLock<unknown> => v instanceof RwLock,
  toWire: (lock) => {
    const block = RwLock._block(lock);
    syncCall(() => core.rwlockRetain(block));
    return { block, value: RwLock._value(lock) };
  },
  fromWire: ({ block, value }) => RwLock._adopt(block, value),
});
