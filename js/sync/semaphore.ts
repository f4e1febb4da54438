/// <reference lib="esnext.disposable" preserve="true" />
/**
 * `Semaphore`: a counting semaphore shared by every thread of the process tree.
 *
 * The state lives in two words of the shared Wasm memory driven by `weft-sync`'s `RawSemaphore`:
 * word 0 holds the free permits (bits 0–13), a reservation for one waiting acquirer (bits 14–27),
 * that waiter's heartbeat (bits 28–30) and a waiters-parked flag (bit 31); word 1 holds the
 * capacity. A third word counts the JS objects referring to the block.
 *
 * Fairness: an acquirer that has to wait reserves its permits; others may only take permits
 * beyond the reservation, so a large request is not starved by a stream of small ones. The
 * reservation is a lease: a waiter that vanished (its worker died) loses it within milliseconds.
 *
 * Cancellation: `acquire(n, { signal, timeout })` rejects with `signal.reason` or a `WEFT_TIMED_OUT`
 * WeftError and gives its reservation up; no permit is taken.
 * @module
 */

import { dropWhenCollected } from "../core/blocks.js";
import { core, isWorkerThread } from "../core/module.js";
import { invalidArgument, invalidValue } from "../errors.js";
import { registerCrosser } from "../protocol/handles.js";
import { wordsAt } from "../core/memory.js";
import { blockingOnMainThread, syncCall } from "./blocking.js";
import { acquireAsync, checkWaitOptions, type WaitOptions } from "./waiting.js";
import { Held, held, released } from "./held.js";

/** Set by `_adopt` for the next constructor call: a block the new object takes over. */
let adopting: number | undefined;

/** Permits taken by an acquire; release them once (or let `using` do it). */
export class Permit {
  #semaphore: Semaphore | undefined;
  /** How many permits this holds. */
  readonly count: number;

  /** @internal */
  constructor(semaphore: Semaphore, count: number) {
    this.#semaphore = semaphore;
    this.count = count;
    held(Held.Permits, Semaphore._block(semaphore), count);
  }

  /** Returns the permits. A second call does nothing. */
  release(): void {
    const semaphore = this.#semaphore;
    if (semaphore === undefined) return;
    this.#semaphore = undefined;
    semaphore.release(this.count);
  }

  /**
   * Keeps the permits taken without this Permit: it no longer releases them, and its thread no
   * longer counts them as its own (a worker that dies gives back the permits it holds). For
   * permits that another thread will return with `semaphore.release(n)`.
   */
  forget(): void {
    const semaphore = this.#semaphore;
    if (semaphore === undefined) return;
    this.#semaphore = undefined;
    released(Held.Permits, Semaphore._block(semaphore), this.count);
  }

  /** Releases at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * The most permits a semaphore can hold: the state word counts them in 14 bits
 * (`weft_sync::MAX_PERMITS`).
 */
const MAX_PERMITS = 2 ** 14 - 1;

/**
 * The largest count the Wasm calls carry unchanged: they take a `u32`, and a larger number would
 * arrive wrapped (2³² + 3 as 3).
 */
const MAX_U32 = 2 ** 32 - 1;

/**
 * Takes `n` permits in JS when the state word `w[i]` records nothing but free permits (no
 * reservation, heartbeat or parked waiter: bits 14–31 clear) and `n` of them are free: the
 * uncontended case of `RawSemaphore::try_acquire`. Anything else is left to the state machine.
 * The first read of the word is plain: only the compare-exchange decides (as in rwlock.ts).
 */
function tryAcquireWord(w: Int32Array, i: number, n: number): boolean {
  for (let v = w[i]!; (v & ~MAX_PERMITS) === 0 && v >= n; ) {
    const seen = Atomics.compareExchange(w, i, v, v - n);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/**
 * Returns `n` permits in JS when the state word records nothing but free permits and they stay
 * within the capacity (word 1, never changed after creation): nobody needs waking, the
 * uncontended case of `RawSemaphore::release`. Anything else (waiters, or a release beyond the
 * capacity, which fails) is left to the state machine.
 */
function releaseWord(w: Int32Array, i: number, n: number): boolean {
  const capacity = w[i + 1]!;
  for (let v = w[i]!; (v & ~MAX_PERMITS) === 0 && v + n <= capacity; ) {
    const seen = Atomics.compareExchange(w, i, v, v + n);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/**
 * A count of permits to acquire or release: an integer from 1 up. Counts above the capacity are
 * left to the state machine, which refuses them with its own codes; counts that a `u32` cannot
 * hold never reach it.
 */
function checkCount(what: string, n: unknown): number {
  const expected = `an integer count of permits from 1 to the semaphore's capacity (at most ${MAX_PERMITS})`;
  if (typeof n !== "number") throw invalidArgument(what, expected, n);
  if (!Number.isInteger(n) || n < 1 || n > MAX_U32) throw invalidValue(what, expected, n);
  return n;
}

/**
 * A counting semaphore usable from every thread; captured by a spawned closure it arrives as a
 * handle to the same permits.
 *
 * @example
 * ```ts
 * import { Semaphore } from "weft";
 * const connections = new Semaphore(3);
 * {
 *   using permit = await connections.acquire();
 *   // at most 3 holders at once, across all threads
 * }
 * ```
 */
export class Semaphore {
  #block: number;
  /** A view covering the block (the memory never moves) and the index of its state word. */
  #words: Int32Array;
  #at: number;

  /**
   * A semaphore with `permits` permits (1 to 16,383), all free. A value that is not an integer
   * from 0 to 2³² − 1 throws `WEFT_INVALID_ARGUMENT`; 0 or more than 16,383 throws
   * `WEFT_SEMAPHORE_INVALID_CAPACITY`.
   */
  constructor(permits: number) {
    const adopted = adopting;
    adopting = undefined;
    if (adopted === undefined) {
      const expected = `an integer number of permits from 1 to ${MAX_PERMITS}`;
      if (typeof permits !== "number") throw invalidArgument("create a Semaphore", expected, permits);
      if (!Number.isInteger(permits) || permits < 0 || permits > MAX_U32) {
        throw invalidValue("create a Semaphore", expected, permits);
      }
    }
    const block = adopted ?? syncCall(() => core.semaphoreCreate(permits, permits));
    this.#block = block;
    this.#words = wordsAt(block + 8);
    this.#at = block >>> 2;
    dropWhenCollected(this, () => core.semaphoreRelease(block));
  }

  /** @internal A second object for an existing block; the caller already holds its reference. */
  static _adopt(block: number): Semaphore {
    adopting = block;
    return new Semaphore(0);
  }

  /** @internal */
  static _block(semaphore: Semaphore): number {
    return semaphore.#block;
  }

  /** The total number of permits. */
  get capacity(): number {
    return core.semaphoreCapacity(this.#block);
  }

  /** Permits free right now (a snapshot). */
  get available(): number {
    return core.semaphoreAvailable(this.#block);
  }

  /**
   * Waits for `n` permits without blocking the thread. `n` above the capacity fails at once with
   * `WEFT_SEMAPHORE_EXCEEDS_CAPACITY`; abort and timeout reject and take nothing.
   */
  async acquire(n = 1, options?: WaitOptions): Promise<Permit> {
    const count = checkCount("acquire permits", n);
    const checked = checkWaitOptions(options, "acquire permits");
    const block = this.#block;
    if (tryAcquireWord(this.#words, this.#at, count) || syncCall(() => core.semaphoreTryAcquire(block, count))) {
      return new Permit(this, count);
    }
    if (checked.signal?.aborted === true) throw checked.signal.reason;
    const attempt = syncCall(() => core.semaphoreBeginAcquire(block, count));
    await acquireAsync(
      {
        addr: block,
        step: (a, waitedMs) => syncCall(() => core.semaphoreAcquireStep(block, a, waitedMs)),
        abandon: (a) => core.semaphoreAbandon(block, a),
        what: `acquire ${count} permit${count === 1 ? "" : "s"}`,
      },
      attempt,
      checked,
    );
    return new Permit(this, count);
  }

  /** Takes `n` permits if they are free (beyond any reservation); otherwise returns `null`. */
  tryAcquire(n = 1): Permit | null {
    const count = checkCount("acquire permits", n);
    return tryAcquireWord(this.#words, this.#at, count) || syncCall(() => core.semaphoreTryAcquire(this.#block, count))
      ? new Permit(this, count)
      : null;
  }

  /**
   * Takes `n` permits, blocking this thread (`timeout` in ms: then throws `WEFT_TIMED_OUT`). Only
   * inside weft workers; elsewhere use `await acquire()`.
   */
  acquireSync(n = 1, options?: { readonly timeout?: number }): Permit {
    const count = checkCount("acquire permits", n);
    const { timeout } = checkWaitOptions(options, "acquire permits");
    if (!isWorkerThread()) throw blockingOnMainThread("acquire permits");
    if (!tryAcquireWord(this.#words, this.#at, count)) {
      const block = this.#block;
      syncCall(() => core.semaphoreAcquireBlocking(block, count, timeout ?? -1));
    }
    return new Permit(this, count);
  }

  /** Returns `n` permits; more than were taken fails with `WEFT_SEMAPHORE_RELEASE_EXCEEDS_CAPACITY`. */
  release(n = 1): void {
    const count = checkCount("release permits", n);
    released(Held.Permits, this.#block, count);
    if (releaseWord(this.#words, this.#at, count)) return;
    if (syncCall(() => core.semaphoreReleasePermits(this.#block, count))) Atomics.notify(this.#words, this.#at);
  }
}

registerCrosser<Semaphore, number>({
  kind: "semaphore",
  is: (v): v is Semaphore => v instanceof Semaphore,
  toWire: (s) => {
    const block = Semaphore._block(s);
    syncCall(() => core.semaphoreRetain(block));
    return block;
  },
  fromWire: (block) => Semaphore._adopt(block),
});

