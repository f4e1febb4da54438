// Baseline barrier: plain JS on a SharedArrayBuffer. words[0] counts arrivals, words[1] is the
// generation; the last arrival resets the count, advances the generation and wakes the others.
export function sabBarrierWait(words, parties) {
  const generation = Atomics.load(words, 1);
  if (Atomics.add(words, 0, 1) + 1 === parties) {
    Atomics.store(words, 0, 0);
    Atomics.add(words, 1, 1);
    Atomics.notify(words, 1);
    return true;
  }
  while (Atomics.load(words, 1) === generation) Atomics.wait(words, 1, generation);
  return false;
}
