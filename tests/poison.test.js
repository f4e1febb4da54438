// Poisoning: a worker that dies holding a lock or permits has them given back by the thread that
// owned it. A Mutex or a write-locked RwLock is released and marked poisoned; waiters get the lock
// (with a PoisonError holding the guard), never a hang.
import { Mutex, PoisonError, RwLock, Semaphore, shutdown, spawn } from "weft";
import { runtime } from "weft/_internal";
import { assert, runtimeName, test } from "./harness/mod.js";
import { waitOnLockWord } from "./fixtures/lock_word.js";

/** Exits the worker this runs in. */
function exitNow(code) {
  (globalThis.Deno?.exit ?? process.exit)(code);
}

async function exited(task) {
  await assert.rejects(task, (e) => e.code === "WEFT_WORKER_EXITED");
}

test("a Mutex whose holder exits is released and poisoned; a waiter gets it with the guard", async () => {
  const lock = new Mutex(new SharedArrayBuffer(4));
  const started = new Int32Array(new SharedArrayBuffer(4));
  const holder = eval(
    spawn(async () => {
      const guard = await lock.lock();
      new Int32Array(guard.value)[0] = 7; // half-way through an update
      Atomics.store(started, 0, 1);
      await new Promise((r) => setTimeout(r, 50));
      exitNow(3);
    }),
  );
  while (Atomics.load(started, 0) === 0) await new Promise((r) => setTimeout(r, 2));
  assert.equal(lock.locked, true);
  const waiting = lock.lock(); // waits for the holder, which dies holding the lock
  await exited(holder);
  const error = await waiting.then(
    () => assert.fail("a poisoned lock must not resolve"),
    (e) => e,
  );
  assert.ok(error instanceof PoisonError);
  assert.equal(error.code, "WEFT_POISONED");
  assert.equal(new Int32Array(error.guard.value)[0], 7, "the guard holds the lock over the same data");
  assert.equal(lock.poisoned, true);
  assert.equal(lock.tryLock(), null, "the error's guard holds the lock");
  error.guard.unlock();
  await assert.rejects(lock.lock(), (e) => e instanceof PoisonError && (e.guard.unlock(), true));
  lock.clearPoison();
  assert.equal(lock.poisoned, false);
  const guard = await lock.lock();
  guard.unlock();
  assert.equal(lock.locked, false);
});

test("a Mutex held with lockSync and never released by a worker that exits is poisoned; one released before exit is not", async () => {
  const poisoned = new Mutex(new SharedArrayBuffer(4));
  const clean = new Mutex(new SharedArrayBuffer(4));
  await exited(
    eval(
      spawn(() => {
        clean.lockSync().unlock();
        poisoned.lockSync();
        exitNow(4);
      }),
    ),
  );
  assert.equal(poisoned.poisoned, true);
  assert.equal(poisoned.locked, false);
  assert.equal(clean.poisoned, false);
  const guard = await clean.lock();
  guard.unlock();
});

test("RwLock: a writer that exits poisons it; a reader that exits only gives its read lock back", async () => {
  const lock = new RwLock(new SharedArrayBuffer(4));
  await exited(eval(spawn(() => (lock.readSync(), exitNow(5)))));
  assert.equal(lock.poisoned, false);
  assert.equal(lock.readers, 0, "the dead reader's lock was released");
  const w = await lock.write();
  w.unlock();
  await exited(eval(spawn(() => (lock.writeSync(), exitNow(6)))));
  assert.equal(lock.poisoned, true);
  assert.equal(lock.writeLocked, false);
  const error = await lock.read().catch((e) => e);
  assert.ok(error instanceof PoisonError && error.code === "WEFT_POISONED");
  error.guard.unlock();
  lock.clearPoison();
  (await lock.read()).unlock();
});

test("Semaphore permits held by a worker that exits are given back", async () => {
  const semaphore = new Semaphore(3);
  await exited(
    eval(
      spawn(async () => {
        await semaphore.acquire(2);
        exitNow(8);
      }),
    ),
  );
  assert.equal(semaphore.available, 3);
  const all = await semaphore.acquire(3, { timeout: 1_000 });
  all.release();
});

test("what a worker that exits still holds is given back exactly, after releases out of order and in part", async () => {
  const [a, b, c] = [0, 1, 2].map(() => new Mutex(new SharedArrayBuffer(4)));
  const semaphore = new Semaphore(5);
  await exited(
    eval(
      spawn(() => {
        a.lockSync();
        semaphore.acquireSync(3);
        const middle = b.lockSync();
        c.lockSync();
        middle.unlock(); // not the newest record
        semaphore.release(2); // part of a record, which is not the newest either
        exitNow(9);
      }),
    ),
  );
  assert.deepEqual([a.poisoned, b.poisoned, c.poisoned], [true, false, true], "poisoned: exactly the mutexes still held");
  assert.deepEqual([a.locked, b.locked, c.locked], [false, false, false]);
  assert.equal(semaphore.available, 5, "the one permit still held came back, the two released ones not again");
});

test("a worker that exits while waiting for a Mutex has the mutex's waiters woken, as it may have swallowed an unlock's wake-up", async () => {
  const lock = new Mutex(new SharedArrayBuffer(4));
  const held = await lock.lock();
  // [waiting, exit now]
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const waiter = eval(
    spawn(async () => {
      void lock.lock(); // registers its wait at once, and never gets the lock
      Atomics.store(flags, 0, 1);
      while (Atomics.load(flags, 1) === 0) await new Promise((r) => setTimeout(r, 1));
      exitNow(0);
    }),
  );
  while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 1));
  // Another waiter on the lock word, as a waiter the exiting worker's wake-up was meant for. The
  // lock stays held here, so only the reaper of the exited worker can wake it.
  const other = waitOnLockWord(lock, 10_000);
  assert.ok(other.async, "the lock word is as read: held, with a waiter");
  Atomics.store(flags, 1, 1);
  await exited(waiter);
  assert.equal(await other.value, "ok", "woken, not timed out");
  assert.ok(!lock.poisoned, "the exited worker never held it");
  held.unlock();
  const again = lock.tryLock();
  assert.ok(again !== null);
  again.unlock();
});

const terminates = runtime().exitMeansThreadStopped
  ? false
  : `${runtimeName} does not terminate a cancelled task's worker (it leaves the pool and finishes), so nothing dies holding the lock`;

test(
  "a task cancelled while holding a Mutex: its worker is terminated and the mutex poisoned, not held for good",
  async () => {
    const lock = new Mutex(new SharedArrayBuffer(4));
    const started = new Int32Array(new SharedArrayBuffer(4));
    const controller = new AbortController();
    const task = eval(
      spawn(
        async () => {
          await lock.lock();
          Atomics.store(started, 0, 1);
          await new Promise(() => {}); // holds the lock until cancelled
        },
        { signal: controller.signal },
      ),
    );
    while (Atomics.load(started, 0) === 0) await new Promise((r) => setTimeout(r, 2));
    const waiting = lock.lock();
    controller.abort(new Error("cancelled"));
    await assert.rejects(task, /cancelled/);
    const error = await waiting.catch((e) => e);
    assert.ok(error instanceof PoisonError, "the waiter got the lock, marked poisoned");
    error.guard.unlock();
    lock.clearPoison();
  },
  { skip: terminates },
);

test(
  "shutdown() while a task holds a Mutex: the mutex is poisoned and free",
  async () => {
    const lock = new Mutex(new SharedArrayBuffer(4));
    const started = new Int32Array(new SharedArrayBuffer(4));
    const task = eval(
      spawn(async () => {
        await lock.lock();
        Atomics.store(started, 0, 1);
        await new Promise(() => {});
      }),
    );
    while (Atomics.load(started, 0) === 0) await new Promise((r) => setTimeout(r, 2));
    const outcome = task.then(
      () => "resolved",
      (e) => e.code,
    );
    const waiting = lock.lock();
    await shutdown();
    assert.equal(await outcome, "WEFT_SHUTDOWN");
    const error = await waiting.catch((e) => e);
    assert.ok(error instanceof PoisonError);
    error.guard.unlock();
  },
  { skip: terminates },
);
