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
 * makes it part of the list.
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
 * This worker's list: a view covering it (the memory never moves, so the view stays valid), the
 * index of its word 0, the index just past its newest entry, and the index just past its last
 * slot. On the main thread `top === end`, so nothing is recorded there. `top` is this worker's copy
 * of word 0 (the entries in use are `(top - base - 1) / 2`), which nobody else changes while it
 * lives. Every lock and unlock reads this state, so it is kept in one constant object rather
 * than module-level `let` bindings, and {@link released} checks the newest entry first: together
 * they took a compare-exchange pair plus a push and a pop from 23 to 20 ns on Node and from 8.6
 * to 4.6 ns on Bun (README, "Contended Mutex", for what that does under contention).
 */
const list: { w: Int32Array; base: number; top: number; end: number } = {
  w: new Int32Array(0),
  base: 0,
  top: 0,
  end: 0,
};

/** Called once by the worker entry with the address from `weft:init`. */
export function recordHeldAt(address: number): void {
  const base = address >>> 2;
  list.w = wordsAt(address + 4 * HELD_WORDS);
  list.base = base;
  list.top = base + 1;
  list.end = base + 1 + 2 * CAPACITY;
  list.w[base] = 0;
}

/** Records that this thread took `count` of `kind` on `block`. */
export function held(kind: Held, block: number, count = 1): void {
  const l = list;
  const at = l.top;
  if (at >= l.end) return;
  const w = l.w;
  w[at] = (kind << 24) | count;
  w[at + 1] = block;
  l.top = at + 2;
  w[l.base] = (at + 1 - l.base) >> 1;
}

/** Removes the newest record of `kind` on `block` (lowering `count` permits); before releasing. */
export function released(kind: Held, block: number, count = 1): void {
  const l = list;
  const w = l.w;
  const last = l.top - 2;
  // Nearly every release is of the newest entry, whole: one comparison of each word.
  if (last > l.base && w[last + 1] === block && w[last] === ((kind << 24) | count)) {
    l.top = last;
    w[l.base] = (last - 1 - l.base) >> 1;
    return;
  }
  for (let at = last; at > l.base; at -= 2) {
    if (w[at + 1] !== block || w[at]! >>> 24 !== kind) continue;
    const left = (w[at]! & 0xff_ffff) - count;
    if (kind === Held.Permits && left > 0) {
      w[at] = (kind << 24) | left;
      return;
    }
    if (at !== last) {
      w[at] = w[last]!;
      w[at + 1] = w[last + 1]!;
    }
    l.top = last;
    w[l.base] = (last - 1 - l.base) >> 1;
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
