// (5) Mutex. Uncontended: lock + unlock per op on the main thread vs a bare
// Atomics.compareExchange pair (and `await lock()` vs the baseline's async lock). Contended: two
// workers (blocking lockSync) and the main thread (await lock()) increment one counter under the
// lock; weft's Mutex vs a plain-JS SharedArrayBuffer futex mutex on raw workers of the mechanism
// weft uses. Contended runs twice: a tight loop, and with some work between two increments.
import { configure, Mutex, shutdown, spawn } from "weft";
import { emit, interleave, now, ratioOf, scaled, summarize } from "./lib/stats.mjs";
import { burn } from "./lib/burn.mjs";
import { lockAsync, unlock } from "./lib/futex_mutex.mjs";
import { mechanismLabel, startRaw, weftMechanism } from "./lib/raw.mjs";

const SYNC_OPS = scaled(1_000_000, 100_000);
const ASYNC_OPS = scaled(200_000, 20_000);
const PER_THREAD = scaled(200_000, 20_000);
const OUTSIDE = 25;
const PER_THREAD_WITH_WORK = scaled(50_000, 5_000);
const WORKERS = 2;

/**
 * Non-atomic increments of word 0 of `buffer`, each under `mutex` (blocking: workers only), with
 * `outside` steps of work between two increments, without the lock.
 */
function incrementUnderLock(mutex, buffer, times, outside) {
  const cell = new Int32Array(buffer);
  let work = 0;
  for (let i = 0; i < times; i++) {
    if (outside > 0) work += burn(i, outside);
    const guard = mutex.lockSync();
    cell[0] = cell[0] + 1;
    guard.unlock();
  }
  return work === -1 ? -1 : times;
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
  { warmup: 2, rounds: 11 },
);

configure({ maxWorkers: WORKERS });
const kind = weftMechanism();
const futexScript = new URL(kind === "web" ? "./lib/futex_worker_web.mjs" : "./lib/futex_worker_node.mjs", import.meta.url);
const futexWorkers = Array.from({ length: WORKERS }, () => startRaw(kind, futexScript));

/** Counter increments per millisecond by main + workers under weft's Mutex. */
async function contendedWeft(times, outside) {
  const total = times * (WORKERS + 1);
  const buffer = new SharedArrayBuffer(4);
  const counter = new Mutex(buffer);
  const cell = new Int32Array(buffer);
  const t0 = now();
  const workers = [];
  for (let w = 0; w < WORKERS; w++) {
    workers.push(eval(spawn(() => incrementUnderLock(counter, buffer, times, outside))));
  }
  let work = 0;
  for (let i = 0; i < times; i++) {
    if (outside > 0) work += burn(i, outside);
    const guard = await counter.lock();
    cell[0] = cell[0] + 1;
    guard.unlock();
  }
  await Promise.all(workers);
  const ms = now() - t0;
  if (cell[0] !== total || work === -1) throw new Error(`weft counted ${cell[0]}, expected ${total}`);
  return total / ms;
}

/** The same under the plain-JS futex mutex, on raw workers. */
async function contendedFutex(times, outside) {
  const total = times * (WORKERS + 1);
  const buffer = new SharedArrayBuffer(8);
  const words = new Int32Array(buffer);
  const t0 = now();
  const workers = futexWorkers.map((w) => w.call({ buffer, times, outside }));
  let work = 0;
  for (let i = 0; i < times; i++) {
    if (outside > 0) work += burn(i, outside);
    await lockAsync(words, 0);
    words[1] = words[1] + 1;
    unlock(words, 0);
  }
  await Promise.all(workers);
  const ms = now() - t0;
  if (words[1] !== total || work === -1) throw new Error(`futex counted ${words[1]}, expected ${total}`);
  return total / ms;
}

const contended = await interleave(
  {
    weft: () => contendedWeft(PER_THREAD, 0),
    futex: () => contendedFutex(PER_THREAD, 0),
    weftWithWork: () => contendedWeft(PER_THREAD_WITH_WORK, OUTSIDE),
    futexWithWork: () => contendedFutex(PER_THREAD_WITH_WORK, OUTSIDE),
  },
  // Many rounds: which thread the scheduler runs when decides much of a round's throughput, for
  // both variants alike, so that single rounds range over a factor of two.
  { warmup: 2, rounds: scaled(31, 5) },
);

const summary = (unit, xs) => ({ unit, ...summarize(xs) });
emit({
  bench: "mutex",
  mechanism: mechanismLabel(kind),
  outsideSteps: OUTSIDE,
  metrics: {
    weftTryLock: summary("ns/op", uncontended.weftTryLock),
    compareExchange: summary("ns/op", uncontended.compareExchange),
    weftLock: summary("ns/op", uncontended.weftLock),
    futexLockAsync: summary("ns/op", uncontended.futexLockAsync),
    contendedWeft: summary("ops/ms", contended.weft),
    contendedFutex: summary("ops/ms", contended.futex),
    contendedWeftWithWork: summary("ops/ms", contended.weftWithWork),
    contendedFutexWithWork: summary("ops/ms", contended.futexWithWork),
  },
  ratios: {
    "weftTryLock/compareExchange": ratioOf(uncontended.weftTryLock, uncontended.compareExchange),
    "weftLock/futexLockAsync": ratioOf(uncontended.weftLock, uncontended.futexLockAsync),
    "contendedWeft/contendedFutex": ratioOf(contended.weft, contended.futex),
    "contendedWeftWithWork/contendedFutexWithWork": ratioOf(contended.weftWithWork, contended.futexWithWork),
  },
  samples: { ...uncontended, contended },
});
await Promise.all(futexWorkers.map((w) => w.terminate()));
await shutdown();
