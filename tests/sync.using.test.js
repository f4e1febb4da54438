// `using` with guards and permits, on runtimes that parse explicit resource management
// (tests/run.mjs reports this file as skipped on Node 22).
import { Global, Mutex, Semaphore, spawn } from "weft";
import { assert, test } from "./harness/mod.js";

const shared = new Global(new Mutex(new SharedArrayBuffer(4)));

test("a guard in a using block unlocks at the end of the block", async () => {
  const mutex = new Mutex(new SharedArrayBuffer(4));
  {
    using guard = await mutex.lock();
    new Int32Array(guard.value)[0] = 5;
    assert.equal(mutex.tryLock(), null);
  }
  const again = mutex.tryLock();
  assert.ok(again !== null);
  assert.equal(new Int32Array(again.value)[0], 5);
  again.unlock();
});

test("a permit in a using block is released, also when the block throws", async () => {
  const sem = new Semaphore(1);
  assert.throws(() => {
    using permit = sem.tryAcquire();
    assert.ok(permit !== null);
    throw new Error("inside");
  }, /inside/);
  assert.equal(sem.available, 1);
});

test("the seed README example with using: a nested spawn sees 1 then sets 3", async () => {
  {
    using guard = await shared.value.lock();
    new Int32Array(guard.value)[0] = 1;
  }
  const seen = await eval(
    spawn(async () => {
      let before;
      {
        using guard = await shared.value.lock();
        before = new Int32Array(guard.value)[0];
      }
      await eval(
        spawn(async () => {
          using guard = await shared.value.lock();
          new Int32Array(guard.value)[0] = 3;
        }),
      );
      return before;
    }),
  );
  assert.equal(seen, 1);
  using guard = await shared.value.lock();
  assert.equal(new Int32Array(guard.value)[0], 3);
});
