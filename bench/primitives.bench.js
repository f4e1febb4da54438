// (8) The primitives beyond Mutex. Channel: 1 producer and 1 consumer worker moving small objects
// through a weft Channel vs a MessageChannel between two raw workers of the mechanism weft uses.
// RwLock: an uncontended read lock + unlock vs a Mutex lock + unlock, on the main thread. Barrier:
// rounds of 2 workers meeting at a weft Barrier vs a plain-JS SharedArrayBuffer barrier, both in
// weft workers. Semaphore: 2 workers (blocking acquireSync) and the main thread (await acquire())
// pass through a section that admits 2 at once, under a weft Semaphore vs a plain-JS
// SharedArrayBuffer futex semaphore, both in weft workers.
import { Worker as ThreadsWorker, MessageChannel as ThreadsChannel } from "node:worker_threads";
import { Barrier, Channel, configure, Mutex, RwLock, Semaphore, shutdown, spawn } from "weft";
import { emit, interleave, now, ratioOf, scaled, summarize } from "./lib/stats.mjs";
import { mechanismLabel, weftMechanism } from "./lib/raw.mjs";
import { item } from "./lib/port_endpoint.mjs";
import { sabBarrierWait } from "./lib/sab_barrier.mjs";
import { acquire as futexAcquire, acquireAsync as futexAcquireAsync, pass, release as futexRelease } from "./lib/futex_semaphore.mjs";

const MESSAGES = scaled(100_000, 10_000);
const LOCK_OPS = scaled(1_000_000, 100_000);
const ROUNDS = scaled(20_000, 2_000);
const PASSES = scaled(200_000, 20_000);
const PERMITS = 2;

configure({ maxWorkers: 2 });

// ---- Channel vs MessageChannel ----

function produce(channel, n) {
  for (let i = 0; i < n; i++) channel.sendSync(item(i));
  return n;
}

function consume(channel, n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += channel.recvSync().id;
  if (sum !== (n * (n - 1)) / 2) throw new Error(`the consumer got the wrong items: ${sum}`);
  return n;
}

/** Messages per ms through a weft Channel between two workers. */
async function weftChannel() {
  const channel = new Channel(256);
  const t0 = now();
  await Promise.all([eval(spawn(() => consume(channel, MESSAGES))), eval(spawn(() => produce(channel, MESSAGES)))]);
  return MESSAGES / (now() - t0);
}

const kind = weftMechanism();
const portScript = new URL(kind === "web" ? "./lib/port_worker_web.mjs" : "./lib/port_worker_node.mjs", import.meta.url);

function startPortWorker() {
  const pending = new Map();
  let next = 0;
  const receive = ([id, n]) => {
    pending.get(id)(n);
    pending.delete(id);
  };
  if (kind === "web") {
    const worker = new Worker(portScript, { type: "module" });
    worker.onmessage = (e) => receive(e.data);
    return {
      run: (job) => new Promise((resolve) => (pending.set(next, resolve), worker.postMessage([next++, job], [job.port]))),
      terminate: async () => worker.terminate(),
    };
  }
  const worker = new ThreadsWorker(portScript);
  worker.on("message", receive);
  return {
    run: (job) => new Promise((resolve) => (pending.set(next, resolve), worker.postMessage([next++, job], [job.port]))),
    terminate: () => worker.terminate(),
  };
}

const portWorkers = [startPortWorker(), startPortWorker()];

/** Messages per ms through a MessageChannel between the two raw workers. */
async function messageChannel() {
  const { port1, port2 } = kind === "web" ? new MessageChannel() : new ThreadsChannel();
  const t0 = now();
  await Promise.all([portWorkers[1].run({ role: "consumer", port: port2, n: MESSAGES }), portWorkers[0].run({ role: "producer", port: port1, n: MESSAGES })]);
  return MESSAGES / (now() - t0);
}

const channels = await interleave({ weft: weftChannel, messageChannel }, { warmup: 1, rounds: 7 });

// ---- RwLock read vs Mutex ----

const rwlock = new RwLock(new SharedArrayBuffer(4));
const mutex = new Mutex(new SharedArrayBuffer(4));
const nanosPerOp = (t0) => ((now() - t0) * 1e6) / LOCK_OPS;
const locks = await interleave(
  {
    rwlockRead: () => {
      const t0 = now();
      for (let i = 0; i < LOCK_OPS; i++) rwlock.tryRead().unlock();
      return nanosPerOp(t0);
    },
    mutexLock: () => {
      const t0 = now();
      for (let i = 0; i < LOCK_OPS; i++) mutex.tryLock().unlock();
      return nanosPerOp(t0);
    },
  },
  { warmup: 2, rounds: 11 },
);

// ---- Barrier vs a plain-JS SAB barrier ----

function weftRounds(barrier, rounds) {
  let leaders = 0;
  for (let i = 0; i < rounds; i++) if (barrier.waitSync().isLeader) leaders++;
  return leaders;
}

function sabRounds(words, rounds) {
  let leaders = 0;
  for (let i = 0; i < rounds; i++) if (sabBarrierWait(words, 2)) leaders++;
  return leaders;
}

async function weftBarrier() {
  const barrier = new Barrier(2);
  const t0 = now();
  const leaders = await Promise.all([eval(spawn(() => weftRounds(barrier, ROUNDS))), eval(spawn(() => weftRounds(barrier, ROUNDS)))]);
  const ms = now() - t0;
  if (leaders[0] + leaders[1] !== ROUNDS) throw new Error(`weft's barrier had ${leaders[0] + leaders[1]} leaders in ${ROUNDS} rounds`);
  return ROUNDS / ms;
}

async function sabBarrier() {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const t0 = now();
  const leaders = await Promise.all([eval(spawn(() => sabRounds(words, ROUNDS))), eval(spawn(() => sabRounds(words, ROUNDS)))]);
  const ms = now() - t0;
  if (leaders[0] + leaders[1] !== ROUNDS) throw new Error(`the SAB barrier had ${leaders[0] + leaders[1]} leaders in ${ROUNDS} rounds`);
  return ROUNDS / ms;
}

const barriers = await interleave({ weft: weftBarrier, sab: sabBarrier }, { warmup: 1, rounds: 7 });

// ---- Semaphore vs a plain-JS futex semaphore ----

function weftPasses(semaphore, cellBuffer, times) {
  const cell = new Int32Array(cellBuffer);
  for (let i = 0; i < times; i++) {
    const permit = semaphore.acquireSync(1);
    pass(cell, PERMITS);
    permit.release();
  }
  return times;
}

function futexPasses(words, cellBuffer, times) {
  const cell = new Int32Array(cellBuffer);
  for (let i = 0; i < times; i++) {
    futexAcquire(words);
    pass(cell, PERMITS);
    futexRelease(words);
  }
  return times;
}

/** Checks a round's counts: every pass made, and never more than PERMITS threads inside at once. */
function checkPasses(name, cell, total) {
  if (cell[0] !== total) throw new Error(`${name} counted ${cell[0]} passes, expected ${total}`);
  if (cell[2] !== 0) throw new Error(`${name} let more than ${PERMITS} threads in at once, ${cell[2]} times`);
}

/** Passes per ms by main + 2 workers under a weft Semaphore of PERMITS permits. */
async function weftSemaphore() {
  const semaphore = new Semaphore(PERMITS);
  const cellBuffer = new SharedArrayBuffer(12);
  const cell = new Int32Array(cellBuffer);
  const t0 = now();
  const workers = [eval(spawn(() => weftPasses(semaphore, cellBuffer, PASSES))), eval(spawn(() => weftPasses(semaphore, cellBuffer, PASSES)))];
  for (let i = 0; i < PASSES; i++) {
    const permit = await semaphore.acquire(1);
    pass(cell, PERMITS);
    permit.release();
  }
  await Promise.all(workers);
  const ms = now() - t0;
  checkPasses("weft's Semaphore", cell, 3 * PASSES);
  return (3 * PASSES) / ms;
}

/** The same under the plain-JS futex semaphore, in the same weft workers. */
async function futexSemaphore() {
  const words = new Int32Array(new SharedArrayBuffer(8));
  words[0] = PERMITS;
  const cellBuffer = new SharedArrayBuffer(12);
  const cell = new Int32Array(cellBuffer);
  const t0 = now();
  const workers = [eval(spawn(() => futexPasses(words, cellBuffer, PASSES))), eval(spawn(() => futexPasses(words, cellBuffer, PASSES)))];
  for (let i = 0; i < PASSES; i++) {
    await futexAcquireAsync(words);
    pass(cell, PERMITS);
    futexRelease(words);
  }
  await Promise.all(workers);
  const ms = now() - t0;
  checkPasses("the futex semaphore", cell, 3 * PASSES);
  return (3 * PASSES) / ms;
}

const semaphores = await interleave({ weft: weftSemaphore, futex: futexSemaphore }, { warmup: 2, rounds: scaled(21, 5) });

const summary = (unit, xs) => ({ unit, ...summarize(xs) });
emit({
  bench: "primitives",
  mechanism: mechanismLabel(kind),
  messages: MESSAGES,
  metrics: {
    channelWeft: summary("msgs/ms", channels.weft),
    channelMessageChannel: summary("msgs/ms", channels.messageChannel),
    rwlockRead: summary("ns/op", locks.rwlockRead),
    mutexLock: summary("ns/op", locks.mutexLock),
    barrierWeft: summary("rounds/ms", barriers.weft),
    barrierSab: summary("rounds/ms", barriers.sab),
    semaphoreWeft: summary("passes/ms", semaphores.weft),
    semaphoreFutex: summary("passes/ms", semaphores.futex),
  },
  ratios: {
    "channelWeft/channelMessageChannel": ratioOf(channels.weft, channels.messageChannel),
    "rwlockRead/mutexLock": ratioOf(locks.rwlockRead, locks.mutexLock),
    "barrierWeft/barrierSab": ratioOf(barriers.weft, barriers.sab),
    "semaphoreWeft/semaphoreFutex": ratioOf(semaphores.weft, semaphores.futex),
  },
  samples: { channels, locks, barriers, semaphores },
});
await Promise.all(portWorkers.map((w) => w.terminate()));
await shutdown();
