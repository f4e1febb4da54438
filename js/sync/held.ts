/**
 * What a worker holds: the locks and permits it has taken and not yet given back, recorded in the
 * shared memory so that, when the worker dies holding them (exit, crash, out of memory, terminated
 * by `shutdown()` or a cancellation), the thread that owned it gives them back: a Mutex or a write
 * lock of an RwLock is released and marked poisoned, a read lock is released, permits are
 * returned. The list also records the mutexes the worker is waiting for (`Held.Waiting`): a
 * mutex's unlock wakes one waiter, and a worker that dies while it waits may have swallowed that
 * wake-up, so the reaper wakes all waiters of such a mutex, which pass it on.
 *
 * Only workers record (the main thread's death ends the process). The parent allocates a worker's
 * list before starting it (`weft:init` carries its address), on cache lines of its own
 * (`allocLineWords`: the list is written at every lock and unlock, and a lock word on the same
 * line would bounce between cores at every one of them), and reaps it when the worker is gone.
 *
 * Layout (32-bit words): word 0 the number of entries in use, then {@link CAPACITY} entries of two
 * words, `[kind << 24 | count, block]`. Only the worker writes its list, and the parent reads it
 * only after the worker is gone, so the worker writes with plain stores (an atomic store is a full
 * fence, and this runs at every lock and unlock): the thread's end is what orders its writes
 * before the parent's reads, and within the thread the entry is written before the count that
 * makes it part of the list. The worker keeps its own copy of the count, which nobody else changes
 * while it lives.
 *
 * Ordering against death: an entry is pushed after the lock is taken and popped before it is
 * released. A worker killed between those two instructions and the lock operation leaves the lock
 * unrecorded (held for good) rather than recorded but not held (which would release another
 * thread's lock). An engine stops a thread only at its interrupt checks (function entries, loop
 * back edges, allocations), none of which lies between an entry's words and its count. A worker
 * holding more than {@link CAPACITY} at once does not record the extra.
 * @module
 */

import { core } from "../core/module.js";
import { wordsAt } from "../core/memory.js";

/** Entries a list holds. */
export const CAPACITY = 64;
/** Words of a list. */
export const HELD_WORDS = 1 + 2 * CAPACITY;

/** What an entry records. */
export const Held = { Mutex: 1, Read: 2, Write: 3, Permits: 4, Waiting: 5 } as const;
/** One of {@link Held}'s values. */
export type Held = (typeof Held)[keyof typeof Held];

/**
 * This worker's list as a view covering it (the memory never moves, so the view stays valid) and
 * the index of its word 0; `undefined` on the main thread.
 */
let w: Int32Array | undefined;
let base = 0;
/** The entries in use: this worker's copy of word 0 of its list. */
let n = 0;

/** Called once by the worker entry with the address from `weft:init`. */
export function recordHeldAt(address: number): void {
  w = wordsAt(address + 4 * HELD_WORDS);
  base = address >>> 2;
  n = 0;
  w[base] = 0;
}

/** Records that this thread took `count` of `kind` on `block`. */
export function held(kind: Held, block: number, count = 1): void {
  if (w === undefined || n >= CAPACITY) return;
  const at = base + 1 + 2 * n;
  w[at] = (kind << 24) | count;
  w[at + 1] = block;
  w[base] = ++n;
}

/** Removes the newest record of `kind` on `block` (lowering `count` permits); before releasing. */
export function released(kind: Held, block: number, count = 1): void {
  if (w === undefined) return;
  for (let i = n - 1; i >= 0; i--) {
    const at = base + 1 + 2 * i;
    if (w[at + 1] !== block || w[at]! >>> 24 !== kind) continue;
    const left = (w[at]! & 0xff_ffff) - count;
    if (kind === Held.Permits && left > 0) {
      w[at] = (kind << 24) | left;
      return;
    }
    const last = base + 1 + 2 * (n - 1);
    if (at !== last) {
      w[at] = w[last]!;
      w[at + 1] = w[last + 1]!;
    }
    w[base] = --n;
    return;
  }
}

/** The word after a lock's wait word: 1 once poisoned (mutex and rwlock blocks). */
export function poisonWord(block: number): number {
  return (block >>> 2) + 1;
}

/**
 * Gives back what a dead worker held, from its list at `address` (on the parent thread, once the
 * worker is gone), then empties the list. Returns how many records it acted on.
 */
export function reapHeld(address: number): number {
  const list = wordsAt(address + 4 * HELD_WORDS);
  const at = address >>> 2;
  const n = Atomics.load(list, at);
  for (let i = 0; i < n; i++) {
    const word = list[at + 1 + 2 * i]!;
    const block = list[at + 2 + 2 * i]!;
    const kind = (word >>> 24) as Held;
    let wake = false;
    try {
      switch (kind) {
        case Held.Mutex:
          Atomics.store(wordsAt(block + 4), poisonWord(block), 1);
          wake = core.mutexUnlock(block);
          break;
        case Held.Write:
          Atomics.store(wordsAt(block + 4), poisonWord(block), 1);
          wake = core.rwlockWriteUnlock(block);
          break;
        case Held.Read:
          wake = core.rwlockReadUnlock(block);
          break;
        case Held.Permits:
          wake = core.semaphoreReleasePermits(block, word & 0xff_ffff);
          break;
        case Held.Waiting:
          wake = true;
          break;
      }
    } catch {
      // Already released (the worker got there first): nothing to give back.
    }
    if (wake) Atomics.notify(wordsAt(block), block >>> 2);
  }
  Atomics.store(list, at, 0);
  return n;
}

/**
 * Whether the lock whose word is `w[at]` (a view covering its block) is poisoned, for its holder
 * right after acquiring it. The mark is read plainly: a reaper stores it before the unlock that
 * the acquiring read-modify-write read, which orders this read after that store, and an atomic
 * load here is a measurable share of an uncontended lock and unlock.
 */
export function poisonedWhenLocked(w: Int32Array, at: number): boolean {
  return w[at + 1] !== 0;
}

/** Whether the lock at `block` is poisoned. */
export function isPoisoned(block: number): boolean {
  return Atomics.load(wordsAt(block + 4), poisonWord(block)) !== 0;
}

/** Clears the lock's poison mark. */
export function clearPoisoned(block: number): void {
  Atomics.store(wordsAt(block + 4), poisonWord(block), 0);
}
