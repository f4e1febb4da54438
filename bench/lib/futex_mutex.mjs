// The plain-JS baseline lock: a three-state futex mutex on one Int32Array word
// (0 unlocked, 1 locked, 2 locked with waiters), blocking with Atomics.wait, or waiting with
// Atomics.waitAsync on threads that must not block.

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

/** `times` non-atomic increments of word 1, each under the lock in word 0, blocking. */
export function incrementUnderFutex(buffer, times) {
  const words = new Int32Array(buffer);
  for (let i = 0; i < times; i++) {
    lock(words, 0);
    words[1] = words[1] + 1;
    unlock(words, 0);
  }
  return times;
}
