// Mutex, Semaphore and Global across threads, on every runtime. Node 22 has no `using`, so these
// tests unlock explicitly; sync_using.test.js covers `using` where the runtime parses it.
import { configure, Global, Mutex, Semaphore, spawn, WeftError } from "weft";
import { memoryBytes } from "weft/_internal";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert, runScript, runtimeName, scratchDir, test } from "./harness/mod.js";
import { firstWorker } from "./fixtures/chain.js";
import { parkedBit, reservedPermits, waitOnLockWord } from "./fixtures/lock_word.js";
import { counterLock } from "./fixtures/plain_mutex.js";
import { events, log, sharedLock as lockInModule } from "./fixtures/shared_lock.js";

/** The seed README's Global: declared in this very file. */
const sharedLock = new Global(new Mutex(new SharedArrayBuffer(4)));

/** Re-created inside worker modules when a closure calls it: its Global keeps this file's identity. */
function sharedCell() {
  return new Global(new Int32Array(new SharedArrayBuffer(4)));
}

/** Two Globals on one line: distinct identities. */
function twoOnOneLine() {
  return [new Global(new Int32Array(new SharedArrayBuffer(4))), new Global(new Int32Array(new SharedArrayBuffer(4)))];
}

/** Tight non-atomic read-modify-write increments of word 0, each under the lock. */
function incrementUnderLock(mutex, times) {
  for (let i = 0; i < times; i++) {
    const guard = mutex.lockSync();
    const cell = new Int32Array(guard.value);
    cell[0] = cell[0] + 1;
    guard.unlock();
  }
  return times;
}

/**
 * The same read-modify-write of word 0 without the lock, by two threads made to interleave the
 * way a lock forbids: in each round both read the counter, meet (word 1 counts arrivals), and only
 * then write back what they read plus one, and meet again before the next round. So every round
 * loses one of its two updates, whatever the scheduler does. The load and the store are separate
 * atomic operations: a plain loop could legally be folded by the JIT into a single addition.
 */
function incrementWithoutLock(buffer, times) {
  const cell = new Int32Array(buffer);
  let arrivals = 0;
  const meet = () => {
    arrivals += 2;
    Atomics.add(cell, 1, 1);
    for (let seen = Atomics.load(cell, 1); seen < arrivals; seen = Atomics.load(cell, 1)) Atomics.wait(cell, 1, seen, 10);
    Atomics.notify(cell, 1);
  };
  for (let i = 0; i < times; i++) {
    const read = Atomics.load(cell, 0);
    meet();
    Atomics.store(cell, 0, read + 1);
    meet();
  }
  return times;
}

async function forceGc() {
  if (typeof globalThis.Bun !== "undefined") globalThis.Bun.gc(true);
  else globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 0));
}

test("main + 4 workers × 20,000 non-atomic increments under the lock give the exact total", async () => {
  const counter = new Mutex(new SharedArrayBuffer(4));
  const workers = Array.from({ length: 4 }, () => eval(spawn(() => incrementUnderLock(counter, 20_000))));
  for (let i = 0; i < 20_000; i++) {
    const guard = await counter.lock();
    const cell = new Int32Array(guard.value);
    cell[0] = cell[0] + 1;
    guard.unlock();
  }
  await Promise.all(workers);
  const guard = await counter.lock();
  assert.equal(new Int32Array(guard.value)[0], 100_000);
  guard.unlock();
});

test("the same increments without the lock, interleaved, lose updates (the control)", async () => {
  const buffer = new SharedArrayBuffer(8); // [counter, arrivals]
  await Promise.all(Array.from({ length: 2 }, () => eval(spawn(() => incrementWithoutLock(buffer, 2_000)))));
  assert.equal(new Int32Array(buffer)[0], 2_000, "each round of two increments counted one");
});

test("the seed example: a Global in this file is shared with a worker and its nested spawn", async () => {
  {
    const guard = await sharedLock.value.lock();
    new Int32Array(guard.value)[0] = 1;
    guard.unlock();
  }
  const seen = await eval(
    spawn(async () => {
      const guard = await sharedLock.value.lock();
      const before = new Int32Array(guard.value)[0];
      guard.unlock();
      await eval(
        spawn(async () => {
          const inner = await sharedLock.value.lock();
          new Int32Array(inner.value)[0] = 3;
          inner.unlock();
        }),
      );
      return before;
    }),
  );
  assert.equal(seen, 1);
  const guard = await sharedLock.value.lock();
  assert.equal(new Int32Array(guard.value)[0], 3);
  guard.unlock();
});

test("a Global created by code re-created in a worker module keeps its original identity", async () => {
  const cell = sharedCell().value;
  assert.equal(sharedCell().value, cell, "the same expression gives the same value in one thread");
  Atomics.store(cell, 0, 5);
  const seen = await eval(
    spawn(() => {
      const mine = sharedCell().value;
      const before = Atomics.load(mine, 0);
      Atomics.store(mine, 0, 6);
      return before;
    }),
  );
  assert.equal(seen, 5);
  assert.equal(Atomics.load(cell, 0), 6);
});

test("two new Global expressions on one line never alias, in any thread", async () => {
  const [a, b] = twoOnOneLine();
  assert.notEqual(a.value, b.value);
  Atomics.store(a.value, 0, 1);
  Atomics.store(b.value, 0, 2);
  const seen = await eval(
    spawn(() => {
      const [x, y] = twoOnOneLine();
      return [Atomics.load(x.value, 0), Atomics.load(y.value, 0)];
    }),
  );
  assert.deepEqual(seen, [1, 2]);
});

test("a Global in another module: main → W1 → W2 each block until the previous holder releases", async () => {
  const lock = lockInModule;
  const flags = new SharedArrayBuffer(16);
  const guard = await lock.value.lock();
  log(guard.value, 10);
  const w1 = eval(spawn(() => firstWorker(flags)));
  const f = new Int32Array(flags);
  while (Atomics.load(f, 0) === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 150)); // W1 is waiting; it must not get the lock meanwhile
  const beforeRelease = events(guard.value);
  log(guard.value, 11);
  guard.unlock();
  const w2Blocked = await w1;
  const final = await lock.value.lock();
  const order = events(final.value);
  final.unlock();
  assert.deepEqual(beforeRelease, [10], "W1 acquired while main held the lock");
  assert.equal(w2Blocked, true, "W2 acquired while W1 held the lock");
  assert.deepEqual(order, [10, 11, 21, 22, 31]);
});

test("a plain Mutex reached through an import is the same lock in the worker", async () => {
  const guard = await counterLock.lock();
  const attempt = eval(spawn(() => counterLock.tryLock() === null));
  assert.equal(await attempt, true, "the worker saw the lock held");
  new Int32Array(guard.value)[0] = 41;
  guard.unlock();
  const seen = await eval(
    spawn(() => {
      const g = counterLock.lockSync();
      const v = new Int32Array(g.value)[0] + 1;
      new Int32Array(g.value)[0] = v;
      g.unlock();
      return v;
    }),
  );
  assert.equal(seen, 42);
});

test("a mutex nested in a captured object and one returned from a worker are the same lock", async () => {
  const box = { inner: { lock: new Mutex(new SharedArrayBuffer(4)) } };
  const returned = await eval(
    spawn(() => {
      const g = box.inner.lock.lockSync();
      new Int32Array(g.value)[0] = 7;
      g.unlock();
      return { again: box.inner.lock, fresh: new Mutex(new SharedArrayBuffer(4)) };
    }),
  );
  const g = await returned.again.lock();
  assert.equal(new Int32Array(g.value)[0], 7);
  assert.equal(box.inner.lock.tryLock(), null, "the returned handle locks the original");
  g.unlock();
  assert.ok(returned.fresh instanceof Mutex);
  const f = returned.fresh.tryLock();
  assert.ok(f !== null);
  f.unlock();
});

test("a semaphore with 2 permits shared by 4 workers never has more than 2 holders, and reaches 2", async () => {
  configure({ maxWorkers: Math.max(2, navigator.hardwareConcurrency) }); // the default, but at least 2
  const permits = new Semaphore(2);
  const stats = new SharedArrayBuffer(8); // [holders now, most seen]
  const work = () =>
    eval(
      spawn(() => {
        const s = new Int32Array(stats);
        for (let i = 0; i < 300; i++) {
          const permit = permits.acquireSync();
          const now = Atomics.add(s, 0, 1) + 1;
          let max = Atomics.load(s, 1);
          while (now > max && Atomics.compareExchange(s, 1, max, now) !== max) max = Atomics.load(s, 1);
          // The first holder waits (up to 10 s) for a second one, which a task on another worker
          // becomes however late that worker starts: "reaches 2" does not depend on timing.
          const until = Date.now() + 10_000;
          while (Atomics.load(s, 1) < 2 && Date.now() < until) Atomics.wait(s, 1, Atomics.load(s, 1), 5);
          for (let k = 0; k < 2000; k++) Atomics.load(s, 0);
          Atomics.sub(s, 0, 1);
          permit.release();
        }
      }),
    );
  await Promise.all([work(), work(), work(), work()]);
  const s = new Int32Array(stats);
  assert.equal(s[0], 0);
  assert.equal(s[1], 2);
  assert.equal(permits.available, 2);
});

test("acquire(n) waits until n permits are free; release(n) returns them", async () => {
  const sem = new Semaphore(3);
  await sem.acquire(3); // returned below one permit at a time with release(1)
  assert.equal(sem.available, 0);
  const flags = new SharedArrayBuffer(4);
  const waiter = eval(
    spawn(() => {
      const p = sem.acquireSync(2);
      Atomics.store(new Int32Array(flags), 0, 1);
      p.release();
      return "got 2";
    }),
  );
  sem.release(1);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(Atomics.load(new Int32Array(flags), 0), 0, "2 permits were taken while only 1 was free");
  sem.release(1);
  assert.equal(await waiter, "got 2");
  sem.release(1);
  assert.equal(sem.available, 3);
}, { timeoutMs: 20_000 });

test("acquire beyond capacity fails at once; releasing more than taken is refused", async () => {
  const sem = new Semaphore(2);
  await assert.rejects(sem.acquire(3), { name: "WeftError", code: "WEFT_SEMAPHORE_EXCEEDS_CAPACITY" });
  assert.throws(() => sem.release(1), { code: "WEFT_SEMAPHORE_RELEASE_EXCEEDS_CAPACITY" });
  assert.equal(sem.available, 2);
  assert.throws(() => new Semaphore(0), { code: "WEFT_SEMAPHORE_INVALID_CAPACITY" });
});

test("abort and timeout reject and leave the lock and the semaphore usable", async () => {
  const mutex = new Mutex();
  const held = await mutex.lock();
  await assert.rejects(mutex.lock({ timeout: 30 }), { name: "WeftError", code: "WEFT_TIMED_OUT" });
  const controller = new AbortController();
  const aborted = mutex.lock({ signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(aborted, { name: "AbortError" });
  held.unlock();
  const again = mutex.tryLock();
  assert.ok(again !== null, "the lock is free after the waiters gave up");
  again.unlock();

  const sem = new Semaphore(2);
  const one = await sem.acquire(1);
  await assert.rejects(sem.acquire(2, { timeout: 30 }), { code: "WEFT_TIMED_OUT" });
  one.release();
  const both = sem.tryAcquire(2);
  assert.ok(both !== null, "the reservation of the timed-out acquire was given up");
  both.release();
});

test("a waiting acquire reserves its permits only after losing races to newcomers for half a millisecond", async () => {
  const sem = new Semaphore(1);
  let permit = sem.tryAcquire(1);
  const waiter = sem.acquire(1);
  const tick = () => new Promise((r) => setTimeout(r, 1));
  /** Until the waiter has stepped after a release: parked again (bit 31) or reserved. */
  const stepped = async () => {
    for (const until = Date.now() + 10_000; !(parkedBit(sem) || reservedPermits(sem) > 0) && Date.now() < until; ) await tick();
  };
  await tick(); // more than 0.5 ms since its first wait, which found no permit
  let races = 0;
  while (reservedPermits(sem) === 0 && races < 20) {
    assert.ok(parkedBit(sem), "the waiter is parked");
    permit.release(); // wakes the waiter, which runs on this thread only at the next await
    permit = sem.tryAcquire(1);
    assert.ok(permit !== null, "an unreserved permit goes to whoever asks first");
    races++;
    await stepped();
  }
  // Its first wait and seven wake-ups to no permit make it overdue (weft_sync's
  // RESERVE_AFTER_WAITS is 8), so the eighth wake-up to no permit reserves.
  assert.equal(races, 8, "the waiter reserved when it lost its eighth race");
  assert.equal(reservedPermits(sem), 1);
  permit.release();
  assert.equal(sem.tryAcquire(1), null, "a released permit is kept for the reserving waiter");
  (await waiter).release();
  assert.equal(reservedPermits(sem), 0);
  assert.equal(sem.available, 1);
});

test("an aborted lock does not swallow the wake-up of another waiter for the same mutex", async () => {
  // An unlock wakes one waiter. The aborted lock's waitAsync is registered before the other
  // waiter's, so it is first in the engine's list; giving up must remove it, or the unlock's one
  // wake-up would go to it and the other waiter would sleep on.
  const mutex = new Mutex();
  const held = await mutex.lock();
  const controller = new AbortController();
  const aborted = mutex.lock({ signal: controller.signal });
  const other = waitOnLockWord(mutex, 10_000);
  assert.ok(other.async, "the lock word is as read: held, with a waiter");
  controller.abort();
  await assert.rejects(aborted, { name: "AbortError" });
  held.unlock();
  assert.equal(await other.value, "ok", "woken, not timed out");
  const again = mutex.tryLock();
  assert.ok(again !== null, "free and owed to nobody afterwards");
  again.unlock();
});

test("guards: a second unlock does nothing; using a guard after unlock throws", async () => {
  const mutex = new Mutex(new SharedArrayBuffer(4));
  const guard = await mutex.lock();
  guard.unlock();
  guard.unlock();
  assert.throws(() => guard.value, { code: "WEFT_GUARD_RELEASED" });
  assert.ok(mutex.tryLock() !== null);
});

test("the JS fast path and the Rust state machine agree on the lock word, contended or not", async () => {
  const mutex = new Mutex(new SharedArrayBuffer(4));
  const guard = mutex.tryLock();
  assert.ok(guard !== null && mutex.locked, "a JS tryLock is seen as held by the state machine");
  assert.equal(mutex.tryLock(), null);
  guard.unlock();
  assert.ok(!mutex.locked, "a JS unlock is seen as free");
  // Held here while a worker parks on it: the unlock must take the slow path and wake it.
  const held = await mutex.lock();
  const order = new Int32Array(new SharedArrayBuffer(8));
  const waiter = eval(
    spawn(() => {
      Atomics.store(order, 0, 1);
      const g = mutex.lockSync();
      const sawRelease = Atomics.load(order, 1);
      g.unlock();
      return sawRelease;
    }),
  );
  while (Atomics.load(order, 0) === 0) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setTimeout(r, 20)); // let it spin out and park
  Atomics.store(order, 1, 1);
  held.unlock();
  assert.equal(await waiter, 1, "the worker took the lock only after the release");
  assert.ok(!mutex.locked);
  assert.ok(mutex.tryLock() !== null, "free and owed to nobody afterwards");
});

test("lockSync and acquireSync block in workers and are refused on the main thread", async () => {
  const mutex = new Mutex();
  assert.throws(() => mutex.lockSync(), { code: "WEFT_BLOCKING_MAIN_THREAD" });
  assert.throws(() => new Semaphore(1).acquireSync(), { code: "WEFT_BLOCKING_MAIN_THREAD" });
  const guard = await mutex.lock();
  const timedOut = eval(
    spawn(() => {
      try {
        mutex.lockSync({ timeout: 50 });
        return "locked";
      } catch (e) {
        return e.code;
      }
    }),
  );
  assert.equal(await timedOut, "WEFT_TIMED_OUT");
  guard.unlock();
});

test("a Mutex refuses a value that is not shared memory", () => {
  assert.throws(() => new Mutex(new ArrayBuffer(4)), { code: "WEFT_INVALID_ARGUMENT", message: /shared memory/ });
  assert.throws(() => new Mutex({ n: 1, f() {} }), { code: "WEFT_INVALID_ARGUMENT" });
});

test("with 4 workers hammering one mutex, every worker gets a fair share", async () => {
  const mutex = new Mutex(new SharedArrayBuffer(4));
  const counts = await Promise.all(
    Array.from({ length: 4 }, () =>
      eval(
        spawn(() => {
          const end = Date.now() + 400;
          let n = 0;
          while (Date.now() < end) {
            const g = mutex.lockSync();
            const cell = new Int32Array(g.value);
            for (let k = 0; k < 50; k++) cell[0] = cell[0] + 1;
            g.unlock();
            n++;
          }
          return n;
        }),
      ),
    ),
  );
  const total = counts.reduce((a, b) => a + b, 0);
  const min = Math.min(...counts);
  assert.ok(min >= 0.25 * (total / 4), `shares ${counts.join(", ")}`);
}, { timeoutMs: 20_000 });

test("200,000 mutexes created and dropped keep the shared memory bounded", async () => {
  await forceGc();
  const before = memoryBytes();
  for (let batch = 0; batch < 20; batch++) {
    for (let i = 0; i < 10_000; i++) new Mutex();
    await forceGc();
  }
  const grown = memoryBytes() - before;
  assert.ok(grown <= 1024 * 1024, `the shared memory grew by ${grown} bytes`);
}, { timeoutMs: 60_000 });

test("a process waiting for a lock stays alive, and exits by itself after the last guard is released", async () => {
  const dir = scratchDir("live-");
  try {
    const script = join(dir, "probe.js");
    writeFileSync(
      script,
      `import { Mutex } from "weft";
const m = new Mutex();
const first = await m.lock();
setTimeout(() => first.unlock(), 300);
const second = await m.lock();
console.log("acquired");
second.unlock();
`,
    );
    const { code, stdout, stderr } = await runScript(script, { timeoutMs: 10_000 });
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), "acquired");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void WeftError;
void runtimeName;

test("a Mutex's value must be shared: plain data is refused saying what fits, weft primitives in containers are accepted", async () => {
  assert.throws(() => new Mutex({ a: 1 }), (e) => {
    assert.ok(e instanceof WeftError);
    assert.equal(e.code, "WEFT_INVALID_ARGUMENT");
    assert.match(e.message, /its value\.a is a number, which every thread would copy/);
    assert.match(e.message, /a SharedArrayBuffer, a typed array over one, a SharedStruct instance, any weft primitive \(Mutex, RwLock/);
    return true;
  });
  assert.throws(() => new Mutex([new SharedArrayBuffer(4), "label"]), { code: "WEFT_INVALID_ARGUMENT", message: /its value\[1\] is a string/ });
  assert.throws(() => new Mutex(new Uint8Array(4)), { code: "WEFT_INVALID_ARGUMENT", message: /Uint8Array over an ArrayBuffer/ });
  const guarded = new Mutex({ sem: new Semaphore(1), cells: [new Int32Array(new SharedArrayBuffer(8))] });
  const taken = await eval(spawn(() => {
    const guard = guarded.lockSync();
    try {
      guard.value.cells[0][1] = 5;
      const permit = guard.value.sem.tryAcquire(1);
      permit?.forget(); // the main thread releases it
      return permit !== null;
    } finally {
      guard.unlock();
    }
  }));
  assert.equal(taken, true, "the worker took the permit of the same semaphore");
  const guard = await guarded.lock();
  assert.equal(guard.value.sem.available, 0, "the main thread sees the permit taken");
  assert.equal(guard.value.cells[0][1], 5);
  guard.value.sem.release(1);
  guard.unlock();
});

test("a Global holds any value a capture may hold (a Map too) and refuses class instances", async () => {
  const table = new Global(new Map([["k", 1]]));
  assert.equal(await eval(spawn(() => table.value.get("k"))), 1);
  class Point {
    x = 1;
  }
  assert.throws(() => new Global(new Point()), { code: "WEFT_INVALID_ARGUMENT", message: /instance of Point/ });
  assert.throws(() => new Global({ f() {} }), { code: "WEFT_INVALID_ARGUMENT", message: /its value\.f is a function/ });
});
