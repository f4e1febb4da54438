// The plain-JS baseline semaphore on a SharedArrayBuffer: words[0] counts the free permits,
// words[1] the threads that are about to wait or waiting. An acquire takes a permit with a
// compare-exchange, or registers as a waiter and sleeps while no permit is free; a release adds its
// permit and wakes one waiter if any registered. Unfair (whoever runs first takes a released permit)
// and single-permit only: the simplest correct counting semaphore.
//
// A waiter registers before it checks the count again (inside Atomics.wait), and a release adds
// its permit before it reads the waiter count: with sequentially consistent atomics either the
// release sees the waiter or the waiter's wait sees the permit, so no wake-up is lost.

/** Takes a permit if one is free (retrying lost compare-exchanges); false when none is. */
function tryTake(words) {
  for (let v = Atomics.load(words, 0); v > 0; v = Atomics.load(words, 0)) {
    if (Atomics.compareExchange(words, 0, v, v - 1) === v) return true;
  }
  return false;
}

export function acquire(words) {
  while (!tryTake(words)) {
    Atomics.add(words, 1, 1);
    Atomics.wait(words, 0, 0);
    Atomics.sub(words, 1, 1);
  }
}

export async function acquireAsync(words) {
  while (!tryTake(words)) {
    Atomics.add(words, 1, 1);
    const waited = Atomics.waitAsync(words, 0, 0);
    if (waited.async) await waited.value;
    Atomics.sub(words, 1, 1);
  }
}

export function release(words) {
  Atomics.add(words, 0, 1);
  if (Atomics.load(words, 1) > 0) Atomics.notify(words, 0, 1);
}

/**
 * One pass through the section a semaphore guards: counts the pass in `cell[0]` and, in
 * `cell[2]`, every pass that found `capacity` threads already inside (`cell[1]` counts them).
 */
export function pass(cell, capacity) {
  if (Atomics.add(cell, 1, 1) >= capacity) Atomics.add(cell, 2, 1);
  Atomics.add(cell, 0, 1);
  Atomics.sub(cell, 1, 1);
}
