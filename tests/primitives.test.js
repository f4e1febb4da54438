// RwLock, Condvar, Barrier, WaitGroup, Channel and SharedStruct across threads, on every runtime.
// Every test checks outcomes: exact totals, exclusion, one leader per generation, each value
// delivered once. Node 22 has no `using`, so guards are unlocked explicitly.
import { Barrier, Channel, Condvar, configure, Global, Mutex, RwLock, SharedStruct, spawn, WaitGroup, WeftError } from "weft";
import { assert, test } from "./harness/mod.js";

// Up to 4 tasks block in workers at once (producers and consumers of one channel).
configure({ maxWorkers: 4 });

const Stats = SharedStruct({ hits: "u32", total: "f64", flag: "bool", big: "i64", small: "i8", samples: ["f64", 4] });
/** 12 fields of 128 MiB: one block of 1.5 GiB, past the shared memory's maximum (1 GiB). */
const Huge = SharedStruct(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, ["f64", 16_777_216]])));

/** Shared progress in this file's Global: the same memory for every thread that evaluates it. */
const progress = new Global(new (SharedStruct({ done: "u32" }))());

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (e) => e instanceof WeftError && e.code === code);
}

function throwsWith(fn, code) {
  assert.throws(fn, (e) => e instanceof WeftError && e.code === code);
}

// ---- RwLock ----

/** `rounds` write locks, each a non-atomic read-modify-write of word 0 checked against readers. */
function writeRounds(lock, rounds) {
  for (let i = 0; i < rounds; i++) {
    const guard = lock.writeSync();
    const cells = new Int32Array(guard.value);
    if (Atomics.add(cells, 1, 1) !== 0) throw new Error("a writer found someone inside");
    cells[0] = cells[0] + 1;
    Atomics.sub(cells, 1, 1);
    guard.unlock();
  }
}

/** `rounds` read locks; each checks no writer is inside and records the most readers seen at once. */
function readRounds(lock, rounds) {
  for (let i = 0; i < rounds; i++) {
    const guard = lock.readSync();
    const cells = new Int32Array(guard.value);
    const inside = Atomics.add(cells, 2, 1) + 1;
    if (Atomics.load(cells, 1) !== 0) throw new Error("a reader saw a writer inside");
    if (inside > Atomics.load(cells, 3)) Atomics.store(cells, 3, inside);
    Atomics.sub(cells, 2, 1);
    guard.unlock();
  }
}

test("RwLock: 2 writers and 2 readers in workers; writes exact and exclusive, readers never see a writer", async () => {
  // [value, writers inside, readers inside, most readers seen at once]
  const lock = new RwLock(new SharedArrayBuffer(16));
  await Promise.all([
    eval(spawn(() => writeRounds(lock, 5_000))),
    eval(spawn(() => writeRounds(lock, 5_000))),
    eval(spawn(() => readRounds(lock, 5_000))),
    eval(spawn(() => readRounds(lock, 5_000))),
  ]);
  const guard = await lock.read();
  assert.equal(new Int32Array(guard.value)[0], 10_000);
  guard.unlock();
});

test("RwLock: two readers hold the lock at the same time; a writer waits for both", async () => {
  const lock = new RwLock(new SharedArrayBuffer(8));
  const a = await lock.read();
  const b = lock.tryRead();
  assert.ok(b !== null, "a second read lock while one is held");
  assert.equal(lock.readers, 2);
  assert.equal(lock.tryWrite(), null);
  const writer = lock.write();
  let written = false;
  void writer.then(() => (written = true));
  assert.equal(lock.tryRead(), null, "a new reader waits behind the waiting writer");
  a.unlock();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(written, false, "the writer still waits for the second reader");
  b.unlock();
  const w = await writer;
  assert.ok(lock.writeLocked);
  throwsWith(() => a.value, "WEFT_GUARD_RELEASED");
  w.unlock();
  assert.equal(lock.readers, 0);
});

test("RwLock: a timed-out write leaves the lock usable; a worker's read is shared with main's", async () => {
  const lock = new RwLock(new SharedArrayBuffer(4));
  const reading = await lock.read();
  await rejectsWith(lock.write({ timeout: 30 }), "WEFT_TIMED_OUT");
  const sharedRead = await eval(spawn(() => {
    const g = lock.tryRead();
    const ok = g !== null;
    g?.unlock();
    return ok;
  }));
  assert.equal(sharedRead, true);
  reading.unlock();
  const w = await lock.write({ timeout: 1_000 });
  w.unlock();
  throwsWith(() => new RwLock(5), "WEFT_INVALID_ARGUMENT");
  throwsWith(() => lock.readSync(), "WEFT_BLOCKING_MAIN_THREAD");
});

// ---- Condvar ----

test("Condvar: a worker waits for a condition main sets; notifyOne wakes it", async () => {
  const state = new Mutex(new SharedArrayBuffer(8)); // [ready, seen by worker]
  const changed = new Condvar();
  const waiter = eval(
    spawn(async () => {
      const guard = await state.lock();
      const cells = new Int32Array(guard.value);
      Atomics.store(cells, 1, 1); // waiting from here
      let waits = 0;
      while (cells[0] === 0) {
        await changed.wait(guard);
        waits++;
      }
      const value = cells[0];
      guard.unlock();
      return { value, waits };
    }),
  );
  const cells = new Int32Array((await peek(state)).buffer);
  while (Atomics.load(cells, 1) === 0) await new Promise((r) => setTimeout(r, 2));
  const guard = await state.lock(); // the worker is inside wait(), which released the mutex
  new Int32Array(guard.value)[0] = 42;
  guard.unlock();
  changed.notifyOne();
  const { value, waits } = await waiter;
  assert.equal(value, 42);
  assert.ok(waits >= 1);
});

/** The guarded buffer of a Mutex<SharedArrayBuffer>, read under the lock. */
async function peek(mutex) {
  const guard = await mutex.lock();
  const out = new Int32Array(guard.value);
  guard.unlock();
  return out;
}

test("Condvar: notifyAll releases three waiters in two workers and main; each re-holds the mutex", async () => {
  const state = new Mutex(new SharedArrayBuffer(12)); // [go, waiting, inside-after-wait]
  const changed = new Condvar();
  const waitInWorker = () =>
    eval(
      spawn(() => {
        const guard = state.lockSync();
        const cells = new Int32Array(guard.value);
        Atomics.add(cells, 1, 1);
        while (cells[0] === 0) changed.waitSync(guard);
        const inside = Atomics.add(cells, 2, 1);
        Atomics.sub(cells, 2, 1);
        guard.unlock();
        return inside;
      }),
    );
  const waiters = [waitInWorker(), waitInWorker()];
  const mainWaiter = (async () => {
    const guard = await state.lock();
    const cells = new Int32Array(guard.value);
    Atomics.add(cells, 1, 1);
    while (cells[0] === 0) await changed.wait(guard);
    const inside = Atomics.add(cells, 2, 1);
    Atomics.sub(cells, 2, 1);
    guard.unlock();
    return inside;
  })();
  const cells = await peek(state);
  while (Atomics.load(cells, 1) < 3) await new Promise((r) => setTimeout(r, 2));
  const guard = await state.lock();
  new Int32Array(guard.value)[0] = 1;
  guard.unlock();
  changed.notifyAll();
  assert.deepEqual(await Promise.all([...waiters, mainWaiter]), [0, 0, 0], "each waiter was alone under the mutex");
});

test("Condvar: a notify before anyone waits is not remembered; a timed-out wait returns false holding the mutex", async () => {
  const state = new Mutex(new SharedArrayBuffer(4));
  const changed = new Condvar();
  changed.notifyOne();
  changed.notifyAll();
  const guard = await state.lock();
  assert.equal(await changed.wait(guard, { timeout: 30 }), false);
  assert.ok(state.locked, "the mutex is held again after the timeout");
  new Int32Array(guard.value)[0] = 1; // the guard is usable again
  guard.unlock();
  assert.equal(state.locked, false);
  const controller = new AbortController();
  const again = await state.lock();
  const aborted = changed.wait(again, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  assert.ok(state.locked, "an aborted wait also re-locks");
  again.unlock();
  await assert.rejects(changed.wait({}), (e) => e.code === "WEFT_INVALID_ARGUMENT");
});

test("Condvar: a notifyOne that lands on an aborted waiter is passed on to the one still waiting", async () => {
  const state = new Mutex(new SharedArrayBuffer(4));
  const changed = new Condvar();
  const controller = new AbortController();
  const g1 = await state.lock();
  const quitter = changed.wait(g1, { signal: controller.signal }).catch(() => "aborted");
  const g2 = await state.lock();
  let stayed = false;
  const stayer = changed.wait(g2).then((r) => {
    stayed = r;
    g2.unlock();
  });
  controller.abort();
  assert.equal(await quitter, "aborted");
  g1.unlock();
  changed.notifyOne();
  await stayer;
  assert.equal(stayed, true);
});

// ---- Barrier ----

function barrierRounds(barrier, leaders, generations) {
  for (let g = 0; g < generations; g++) {
    if (barrier.waitSync().isLeader) Atomics.add(leaders, g, 1);
  }
}

test("Barrier: 3 parties (2 workers, main) over 20 generations: exactly one leader each", async () => {
  const barrier = new Barrier(3);
  const leaders = new Int32Array(new SharedArrayBuffer(4 * 20));
  const workers = [eval(spawn(() => barrierRounds(barrier, leaders, 20))), eval(spawn(() => barrierRounds(barrier, leaders, 20)))];
  for (let g = 0; g < 20; g++) {
    if ((await barrier.wait()).isLeader) Atomics.add(leaders, g, 1);
  }
  await Promise.all(workers);
  assert.deepEqual([...leaders], Array(20).fill(1));
  assert.equal(barrier.parties, 3);
});

test("Barrier: no party passes before all arrive; a timed-out party withdraws and the barrier stays usable", async () => {
  const barrier = new Barrier(2);
  await rejectsWith(barrier.wait({ timeout: 20 }), "WEFT_TIMED_OUT");
  const arrived = new Int32Array(new SharedArrayBuffer(4));
  const worker = eval(
    spawn(async () => {
      await new Promise((r) => setTimeout(r, 30));
      Atomics.store(arrived, 0, 1);
      return (await barrier.wait()).isLeader;
    }),
  );
  const mine = await barrier.wait();
  assert.equal(Atomics.load(arrived, 0), 1, "main passed only after the worker arrived");
  const theirs = await worker;
  assert.equal(Number(mine.isLeader) + Number(theirs), 1, "one leader: the timed-out arrival was taken back");
  throwsWith(() => new Barrier(0), "WEFT_INVALID_ARGUMENT");
});

// ---- WaitGroup ----

test("WaitGroup: wait resolves only after 4 workers call done; done below zero throws", async () => {
  const group = new WaitGroup();
  const finished = new Int32Array(new SharedArrayBuffer(4));
  group.add(4);
  assert.equal(group.count, 4);
  const tasks = Array.from({ length: 4 }, (_, i) =>
    eval(
      spawn(async () => {
        await new Promise((r) => setTimeout(r, 5 * i));
        Atomics.add(finished, 0, 1);
        group.done();
      }),
    ),
  );
  await group.wait();
  assert.equal(Atomics.load(finished, 0), 4);
  await Promise.all(tasks);
  throwsWith(() => group.done(), "WEFT_WAITGROUP_NEGATIVE");
  group.add();
  await rejectsWith(group.wait({ timeout: 20 }), "WEFT_TIMED_OUT");
  const waitedInWorker = eval(spawn(() => (group.waitSync(), group.count)));
  group.done();
  assert.equal(await waitedInWorker, 0);
  await group.wait();
});

// ---- Channel ----

function produce(channel, from, count) {
  for (let i = from; i < from + count; i++) channel.sendSync({ n: i, tag: `v${i}` });
  return count;
}

async function consume(channel) {
  const got = [];
  for await (const message of channel) got.push(message.n);
  return got;
}

test("Channel: 2 producer and 2 consumer workers plus main: every value delivered exactly once", async () => {
  const channel = new Channel(8);
  const consumers = [eval(spawn(() => consume(channel))), eval(spawn(() => consume(channel)))];
  const producers = [eval(spawn(() => produce(channel, 0, 400))), eval(spawn(() => produce(channel, 400, 400)))];
  const mine = [];
  for (let i = 800; i < 1_000; i++) await channel.send({ n: i, tag: `v${i}` });
  await Promise.all(producers);
  channel.close();
  const received = (await Promise.all(consumers)).flat();
  mine.push(...received);
  mine.sort((a, b) => a - b);
  assert.equal(mine.length, 1_000);
  assert.deepEqual(mine, Array.from({ length: 1_000 }, (_, i) => i));
});

test("Channel: per-producer order is kept for a single consumer", async () => {
  const channel = new Channel(4);
  const producer = eval(spawn(() => produce(channel, 0, 300)));
  const got = [];
  for (let i = 0; i < 300; i++) got.push((await channel.recv()).n);
  await producer;
  assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => i));
});

test("Channel: close delivers what is queued, then send and recv reject with WEFT_CHANNEL_CLOSED", async () => {
  const channel = new Channel(3);
  assert.equal(channel.trySend(1), true);
  assert.equal(channel.trySend(2), true);
  assert.equal(channel.trySend(3), true);
  assert.equal(channel.trySend(4), false, "full");
  assert.equal(channel.length, 3);
  channel.close();
  assert.equal(channel.closed, true);
  await rejectsWith(channel.send(5), "WEFT_CHANNEL_CLOSED");
  throwsWith(() => channel.trySend(5), "WEFT_CHANNEL_CLOSED");
  assert.equal(await channel.recv(), 1);
  assert.deepEqual(channel.tryRecv(), { value: 2 });
  const rest = [];
  for await (const v of channel) rest.push(v);
  assert.deepEqual(rest, [3]);
  await rejectsWith(channel.recv(), "WEFT_CHANNEL_CLOSED");
  assert.equal(channel.tryRecv(), null);
});

test("Channel: a receiver waiting in a worker is released by close; a send waiting on a full channel too", async () => {
  const channel = new Channel(1);
  const receiver = eval(
    spawn(async () => {
      try {
        await channel.recv();
        return "received";
      } catch (e) {
        return e.code;
      }
    }),
  );
  await channel.send("first");
  const blocked = channel.send("second");
  await new Promise((r) => setTimeout(r, 20));
  channel.close();
  const outcome = await blocked.then(
    () => "sent",
    (e) => e.code,
  );
  // The worker may have taken "first" before close, letting "second" in: either way nothing is lost.
  const leftover = [];
  for await (const v of channel) leftover.push(v);
  const workerGot = await receiver;
  const delivered = (workerGot === "received" ? 1 : 0) + leftover.length;
  assert.equal(delivered, outcome === "sent" ? 2 : 1);
  if (outcome !== "sent") assert.equal(outcome, "WEFT_CHANNEL_CLOSED");
});

test("Channel: recv times out and the channel stays usable; sync forms refuse the main thread", async () => {
  const channel = new Channel(2);
  await rejectsWith(channel.recv({ timeout: 20 }), "WEFT_TIMED_OUT");
  const controller = new AbortController();
  const aborted = channel.recv({ signal: controller.signal });
  controller.abort(new Error("enough"));
  await assert.rejects(aborted, /enough/);
  await channel.send("still works");
  assert.equal(await channel.recv(), "still works");
  throwsWith(() => channel.recvSync(), "WEFT_BLOCKING_MAIN_THREAD");
  throwsWith(() => new Channel(0), "WEFT_INVALID_ARGUMENT");
});

test("Channel: values round-trip with their types; primitives inside cross as handles", async () => {
  const channel = new Channel(4);
  const lock = new Mutex(new Stats());
  const cyclic = { name: "loop" };
  cyclic.self = cyclic;
  const value = {
    map: new Map([[1, { a: [1, 2] }]]),
    set: new Set(["x", 2n ** 70n]),
    date: new Date(1_700_000_000_000),
    re: /a+b/gi,
    bytes: new Uint16Array([1, 65535]),
    error: new RangeError("bad range"),
    nested: [undefined, null, -0, 1.5, "é😀", true],
    cyclic,
    lock,
    stats: new Stats({ hits: 7 }),
  };
  await channel.send(value);
  const echoed = await eval(
    spawn(async () => {
      const got = await channel.recv();
      const g = got.lock.lockSync();
      g.value.hits = 99;
      g.unlock();
      got.stats.add("hits", 1);
      await channel.send(got);
      return got.cyclic.self === got.cyclic;
    }),
  );
  assert.equal(echoed, true, "a cycle survives in the worker");
  const back = await channel.recv();
  assert.deepEqual(back.map, value.map);
  assert.deepEqual(back.set, value.set);
  assert.equal(back.date.getTime(), value.date.getTime());
  assert.equal(String(back.re), "/a+b/gi");
  assert.deepEqual([...back.bytes], [1, 65535]);
  assert.ok(back.bytes instanceof Uint16Array);
  assert.ok(back.error instanceof RangeError && back.error.message === "bad range");
  assert.ok(Object.is(back.nested[2], -0));
  assert.deepEqual(back.nested.slice(3), [1.5, "é😀", true]);
  assert.equal(back.cyclic.self, back.cyclic);
  const guard = await back.lock.lock();
  assert.equal(guard.value.hits, 99, "the worker wrote through the same Mutex");
  guard.unlock();
  assert.equal(value.stats.hits, 8, "the struct came back as the same memory");
});

test("Channel: unsendable values are refused before anything is queued, naming the path", async () => {
  const channel = new Channel(2);
  const lock = new Mutex(new SharedArrayBuffer(4));
  await assert.rejects(channel.send({ ok: 1, nested: { fn: () => 1 } }), (e) => e.code === "WEFT_UNSENDABLE_MESSAGE" && /value\.nested\.fn/.test(e.message));
  await assert.rejects(channel.send([new SharedArrayBuffer(4)]), (e) => e.code === "WEFT_UNSENDABLE_MESSAGE" && /SharedArrayBuffer/.test(e.message));
  // A Mutex guarding a SharedArrayBuffer: the buffer is its value, which bytes cannot share.
  await assert.rejects(channel.send({ lock }), (e) => e.code === "WEFT_UNSENDABLE_MESSAGE" && /inside a mutex/.test(e.message));
  class Point {}
  throwsWith(() => channel.trySend({ lock, p: new Point() }), "WEFT_UNSENDABLE_MESSAGE");
  assert.equal(channel.length, 0);
});

// ---- SharedStruct ----

function bump(stats, times) {
  for (let i = 0; i < times; i++) {
    stats.add("hits", 1);
    stats.add("big", 3n);
  }
  stats.samples[1] = 2.5;
  return times;
}

test("SharedStruct: 4 workers and main update one struct; atomic totals are exact", async () => {
  const stats = new Stats({ total: 1.5, flag: true, big: -5n, samples: [1, 2, 3, 4] });
  assert.equal(stats.total, 1.5);
  assert.equal(stats.flag, true);
  assert.equal(stats.big, -5n);
  assert.ok(stats.samples instanceof Float64Array && stats.samples.length === 4);
  await Promise.all([...Array.from({ length: 4 }, () => eval(spawn(() => bump(stats, 10_000)))), Promise.resolve(bump(stats, 10_000))]);
  assert.equal(stats.hits, 50_000);
  assert.equal(stats.load("big"), -5n + 150_000n);
  assert.equal(stats.samples[1], 2.5);
  assert.equal(stats.compareExchange("hits", 50_000, 1), 50_000);
  assert.equal(stats.hits, 1);
  stats.small = 130; // wraps as an i8 does
  assert.equal(stats.small, -126);
  assert.ok(stats instanceof SharedStruct);
  assert.equal(Stats.byteLength % 8, 0);
});

test("SharedStruct: inside a Global, a Mutex's value and a RwLock's value it is the same memory", async () => {
  const guarded = new Mutex({ stats: new Stats() });
  const table = new RwLock(new Stats());
  const before = progress.value.done;
  await eval(
    spawn(async () => {
      progress.value.add("done", 1);
      const g = await guarded.lock();
      g.value.stats.total = 3.25;
      g.unlock();
      const w = await table.write();
      w.value.hits = 11;
      w.unlock();
    }),
  );
  assert.equal(progress.value.done, before + 1);
  const g = await guarded.lock();
  assert.equal(g.value.stats.total, 3.25);
  g.unlock();
  const r = await table.read();
  assert.equal(r.value.hits, 11);
  r.unlock();
});

test("SharedStruct: bad layouts and bad field names are refused naming the field", () => {
  assert.throws(() => SharedStruct({ x: "u128" }), (e) => e.code === "WEFT_INVALID_ARGUMENT" && /"x"/.test(e.message));
  assert.throws(() => SharedStruct({ xs: ["f64", 0] }), (e) => e.code === "WEFT_INVALID_ARGUMENT" && /"xs"/.test(e.message));
  assert.throws(() => SharedStruct({ add: "u32" }), (e) => e.code === "WEFT_INVALID_ARGUMENT" && /"add"/.test(e.message));
  assert.throws(() => SharedStruct({}), (e) => e.code === "WEFT_INVALID_ARGUMENT");
  assert.throws(() => new Stats({ nope: 1 }), (e) => e.code === "WEFT_INVALID_ARGUMENT" && /"nope"/.test(e.message));
  const s = new Stats();
  assert.throws(() => s.add("total", 1), (e) => e.code === "WEFT_INVALID_ARGUMENT" && /"total"/.test(e.message));
});

test("SharedStruct: an instance the shared memory cannot hold is WEFT_SHARED_MEMORY_EXHAUSTED, in a worker too; the memory still serves", async () => {
  // Refused before any page is touched.
  const exhausted = (e) => e instanceof WeftError && e.code === "WEFT_SHARED_MEMORY_EXHAUSTED" && /exhausted/.test(e.message);
  assert.throws(() => new Huge(), exhausted);
  const inWorker = await eval(
    spawn(() => {
      try {
        new Huge();
        return "created";
      } catch (e) {
        return [e instanceof WeftError, e.code];
      }
    }),
  );
  assert.deepEqual(inWorker, [true, "WEFT_SHARED_MEMORY_EXHAUSTED"]);
  const s = new Stats({ hits: 3 });
  const channel = new Channel(1);
  await channel.send(s);
  assert.equal((await channel.recv()).hits, 3);
});

test("Channel: references to the root and between objects keep their identity; similar short keys stay distinct", async () => {
  const channel = new Channel(8);
  const shared = { n: 1 };
  const root = { a: shared, b: shared, list: [shared] };
  root.self = root;
  root.list.push(root);
  // One length, one first and one last character: keys the reader may look up in one place.
  const similar = {};
  for (const c of "abcdefghij") similar[`k${c}y`] = c;
  const accented = { "é": 1, "ab": 2, "ç": 3 };
  for (const value of [root, similar, accented, similar, accented]) await channel.send(value);
  const seen = await eval(
    spawn(async () => {
      const got = await channel.recv();
      const identity = [got.self === got, got.a === got.b, got.list[0] === got.a, got.list[1] === got, got.a.n];
      const keys = [];
      for (let i = 0; i < 4; i++) keys.push(JSON.stringify(await channel.recv()));
      await channel.send(got);
      return { identity, keys };
    }),
  );
  assert.deepEqual(seen.identity, [true, true, true, true, 1]);
  assert.deepEqual(seen.keys, [similar, accented, similar, accented].map((v) => JSON.stringify(v)));
  const back = await channel.recv();
  assert.ok(back.self === back && back.a === back.b && back.list[0] === back.a && back.list[1] === back);
  assert.equal(Object.keys(back).join(), "a,b,list,self");
});

test("Channel: large and varied messages (buffer growth inside the codec) arrive intact in a worker and back", async () => {
  const channel = new Channel(2);
  const rows = Array.from({ length: 2_000 }, (_, i) => ({
    id: i,
    name: `row-${i}-${"é".repeat(i % 7)}`,
    score: i / 7,
    big: BigInt(i) ** 3n,
    bytes: new Uint8Array(i % 300).fill(i % 251),
    tags: new Set([`t${i % 5}`, `u${i % 3}`]),
  }));
  const value = { rows, blob: new Float64Array(50_000).map((_, i) => i * 0.5), text: "x".repeat(100_000) };
  await channel.send(value);
  const summary = await eval(
    spawn(async () => {
      const got = await channel.recv();
      await channel.send(got);
      return [got.rows.length, got.rows[1999].name, got.blob[49_999], got.text.length];
    }),
  );
  assert.deepEqual(summary, [2_000, `row-1999-${"é".repeat(1999 % 7)}`, 24_999.5, 100_000]);
  assert.deepEqual(await channel.recv(), value);
});
