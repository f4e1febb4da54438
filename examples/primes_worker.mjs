// The worker half of examples/primes.mjs: takes chunks from a shared queue word until none are
// left, counting primes in each with weft's Rust core, and publishes its progress in shared words.
import { core, words } from "weft/_internal";

/**
 * `queue` word 0: index of the next chunk to take (shared by all threads).
 * `progress` word `slot`: chunks this thread has finished.
 */
export function work(queue, progress, slot, chunks, chunkSize) {
  const w = words();
  let primes = 0;
  let taken = 0;
  for (;;) {
    const chunk = Atomics.add(w, queue >>> 2, 1);
    if (chunk >= chunks) break;
    primes += core.countPrimes(chunk * chunkSize, (chunk + 1) * chunkSize);
    taken++;
    Atomics.add(w, (progress >>> 2) + slot, 1);
  }
  return { primes, chunks: taken };
}
