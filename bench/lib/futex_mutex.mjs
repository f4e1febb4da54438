// The plain-JS baseline lock: a three-state futex mutex on one Int32Array word
// (0 unlocked, 1 locked, 2 locked with waiters), blocking with Atomics.wait, or waiting with
// Atomics.waitAsync on threads that must not block.
import { burn } from "./burn.mjs";

export function lock(words, index) {
  let c = Atomics.compareExchange(words, index, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(words, index, 2);
  while (c !== 0) {
    Atomics.wait(words, index, 2);
    c = Atomics.exchange(words, index, 2);
  }
}

export async function lockAsync(words, index) {
  let c = Atomics.compareExchange(words, index, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(words, index, 2);
  while (c !== 0) {
    const waited = Atomics.waitAsync(words, index, 2);
    if (waited.async) await waited.value;
    c = Atomics.exchange(words, index, 2);
  }
}

export function unlock(words, index) {
  if (Atomics.sub(words, index, 1) !== 1) {
    Atomics.store(words, index, 0);
    Atomics.notify(words, index, 1);
  }
}

/**
 * `times` non-atomic increments of word 1, each under the lock in word 0, blocking; `outside`
 * steps of work between two increments, without the lock.
 */
export function incrementUnderFutex(buffer, times, outside) {
  const words = new Int32Array(buffer);
  let work = 0;
  for (let i = 0; i < times; i++) {
    if (outside > 0) work += burn(i, outside);
    lock(words, 0);
    words[1] = words[1] + 1;
    unlock(words, 0);
  }
  return work === -1 ? -1 : times;
}
