// (5) Mutex. Uncontended: lock + unlock per op on the main thread vs a bare
// Atomics.compareExchange pair (and `await lock()` vs the baseline's async lock). Contended: two
// workers (blocking lockSync) and the main thread (await lock()) increment one counter under the
// lock; weft's Mutex vs a plain-JS SharedArrayBuffer futex mutex on raw workers.
import { configure, Mutex, shutdown, spawn } from "weft";
import { emit, interleave, now, ratioOf, scaled, summarize } from "./lib/stats.mjs";
import { lockAsync, unlock } from "./lib/futex_mutex.mjs";
import { mechanismLabel, startRaw, weftMechanism } from "./lib/raw.mjs";

const SYNC_OPS = scaled(1_000_000, 100_000);
const ASYNC_OPS = scaled(200_000, 20_000);
const PER_THREAD = scaled(200_000, 20_000);
const WORKERS = 2;

/** Non-atomic increments of word 0 of `buffer`, each under `mutex` (blocking: workers only). */
function incrementUnderLock(mutex, buffer, times) {
  const cell = new Int32Array(buffer);
  for (let i = 0; i < times; i++) {
    const guard = mutex.lockSync();
    cell[0] = cell[0] + 1;
    guard.unlock();
  }
  return times;
}

function nanosPerOp(count, t0) {
  return ((now() - t0) * 1e6) / count;
}

const mutex = new Mutex(new SharedArrayBuffer(4));
const plain = new Int32Array(new SharedArrayBuffer(8));

const uncontended = await interleave(
  {
    weftTryLock: () => {
      const t0 = now();
      for (let i = 0; i < SYNC_OPS; i++) mutex.tryLock().unlock();
      return nanosPerOp(SYNC_OPS, t0);
    },
    compareExchange: () => {
      const t0 = now();
      for (let i = 0; i < SYNC_OPS; i++) {
        Atomics.compareExchange(plain, 0, 0, 1);
        Atomics.compareExchange(plain, 0, 1, 0);
      }
      return nanosPerOp(SYNC_OPS, t0);
    },
    weftLock: async () => {
      const t0 = now();
      for (let i = 0; i < ASYNC_OPS; i++) (await mutex.lock()).unlock();
      return nanosPerOp(ASYNC_OPS, t0);
    },
    futexLockAsync: async () => {
      const t0 = now();
      for (let i = 0; i < ASYNC_OPS; i++) {
        await lockAsync(plain, 0);
        unlock(plain, 0);
      }
      return nanosPerOp(ASYNC_OPS, t0);
    },
  },
  { warmup: 2, rounds: 9 },
);

configure({ maxWorkers: WORKERS });
const kind = weftMechanism();
const futexScript = new URL(kind === "web" ? "./lib/futex_worker_web.mjs" : "./lib/futex_worker_node.mjs", import.meta.url);
const futexWorkers = Array.from({ length: WORKERS }, () => startRaw(kind, futexScript));
const total = PER_THREAD * (WORKERS + 1);

const contended = await interleave(
  {
    weft: async () => {
      const buffer = new SharedArrayBuffer(4);
      const counter = new Mutex(buffer);
      const cell = new Int32Array(buffer);
      const t0 = now();
      const workers = [];
      for (let w = 0; w < WORKERS; w++) workers.push(eval(spawn(() => incrementUnderLock(counter, buffer, PER_THREAD))));
      for (let i = 0; i < PER_THREAD; i++) {
        const guard = await counter.lock();
        cell[0] = cell[0] + 1;
        guard.unlock();
      }
      await Promise.all(workers);
      const ms = now() - t0;
      if (cell[0] !== total) throw new Error(`weft counted ${cell[0]}, expected ${total}`);
      return total / ms;
    },
    futex: async () => {
      const buffer = new SharedArrayBuffer(8);
      const words = new Int32Array(buffer);
      const t0 = now();
      const workers = futexWorkers.map((w) => w.call({ buffer, times: PER_THREAD }));
      for (let i = 0; i < PER_THREAD; i++) {
        await lockAsync(words, 0);
        words[1] = words[1] + 1;
        unlock(words, 0);
      }
      await Promise.all(workers);
      const ms = now() - t0;
      if (words[1] !== total) throw new Error(`futex counted ${words[1]}, expected ${total}`);
      return total / ms;
    },
  },
  { warmup: 2, rounds: 9 },
);

const summary = (unit, xs) => ({ unit, ...summarize(xs) });
emit({
  bench: "mutex",
  mechanism: mechanismLabel(kind),
  metrics: {
    weftTryLock: summary("ns/op", uncontended.weftTryLock),
    compareExchange: summary("ns/op", uncontended.compareExchange),
    weftLock: summary("ns/op", uncontended.weftLock),
    futexLockAsync: summary("ns/op", uncontended.futexLockAsync),
    contendedWeft: summary("ops/ms", contended.weft),
    contendedFutex: summary("ops/ms", contended.futex),
  },
  ratios: {
    "weftTryLock/compareExchange": ratioOf(uncontended.weftTryLock, uncontended.compareExchange),
    "weftLock/futexLockAsync": ratioOf(uncontended.weftLock, uncontended.futexLockAsync),
    "contendedWeft/contendedFutex": ratioOf(contended.weft, contended.futex),
  },
});
await Promise.all(futexWorkers.map((w) => w.terminate()));
await shutdown();
