// Cancelling tasks: spawn(fn, { signal, timeout }). Outcomes, not timing: a cancelled queued task
// never ran (its side effect is absent), a cancelled running task frees its worker for the next
// task, a timeout rejects with WEFT_TIMED_OUT. Running tasks wait on shared flags, so every order
// of events below is forced, never hoped for.
import { configure, shutdown, spawn, stats } from "weft";
import { core, rootPool } from "weft/_internal";
import { assert, test } from "./harness/mod.js";

/** Resolves once `flags[i]` is non-zero. */
async function until(flags, i) {
  while (Atomics.load(flags, i) === 0) await new Promise((r) => setTimeout(r, 1));
}

/** A promise's rejection (fails if it fulfils). */
async function rejection(promise) {
  return promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error) => error,
  );
}

test("an aborted signal rejects with its reason and the task never runs", async () => {
  const ran = new Int32Array(new SharedArrayBuffer(4));
  const controller = new AbortController();
  const reason = new Error("not wanted");
  controller.abort(reason);
  const before = stats().cancelled;
  const error = await rejection(eval(spawn(() => Atomics.store(ran, 0, 1), { signal: controller.signal })));
  assert.equal(error, reason);
  assert.equal(stats().cancelled, before + 1, "counted as cancelled");
  assert.equal(await eval(spawn(() => 1 + 1)), 2);
  assert.equal(Atomics.load(ran, 0), 0);
});

test("a queued task cancelled before a worker is free is removed and never runs", async () => {
  configure({ maxWorkers: 1 });
  try {
    // [blocker started, release blocker, cancelled task ran]
    const flags = new Int32Array(new SharedArrayBuffer(12));
    const blocker = eval(
      spawn(() => {
        Atomics.store(flags, 0, 1);
        Atomics.wait(flags, 1, 0);
        return "blocker done";
      }),
    );
    await until(flags, 0);
    const controller = new AbortController();
    const queued = eval(spawn(() => Atomics.store(flags, 2, 1), { signal: controller.signal }));
    controller.abort();
    const error = await rejection(queued);
    assert.equal(error.name, "AbortError");
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    assert.equal(await blocker, "blocker done");
    // The one worker has run everything queued after the blocker by the time this returns.
    assert.equal(await eval(spawn(() => "after")), "after");
    assert.equal(Atomics.load(flags, 2), 0, "the cancelled task ran");
  } finally {
    configure({ maxWorkers: 2 });
  }
});

test("a running task cancelled by its signal rejects at once and its worker is replaced", async () => {
  configure({ maxWorkers: 1 });
  try {
    // [started, stop (lets the loop end where a runtime cannot terminate a busy worker)]
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const controller = new AbortController();
    const busy = eval(
      spawn(
        () => {
          Atomics.store(flags, 0, 1);
          while (Atomics.load(flags, 1) === 0);
          return "finished";
        },
        { signal: controller.signal },
      ),
    );
    await until(flags, 0);
    const reason = new Error("client went away");
    controller.abort(reason);
    assert.equal(await rejection(busy), reason);
    // The only worker slot was freed: a later task runs (on a new worker).
    assert.equal(await eval(spawn(() => 6 * 7)), 42);
    Atomics.store(flags, 1, 1);
  } finally {
    configure({ maxWorkers: 2 });
  }
});

test("a cancelled running task leaves no worker stack behind in the shared memory", async () => {
  await shutdown();
  configure({ maxWorkers: 1 });
  try {
    const flags = new Int32Array(new SharedArrayBuffer(8)); // [started, stop]
    const controller = new AbortController();
    const busy = eval(
      spawn(
        () => {
          Atomics.store(flags, 0, 1);
          while (Atomics.load(flags, 1) === 0);
        },
        { signal: controller.signal },
      ),
    );
    await until(flags, 0);
    controller.abort();
    await rejection(busy);
    Atomics.store(flags, 1, 1); // lets the loop end where the worker finishes it (Deno, Bun)
    assert.equal(await eval(spawn(() => "after")), "after");
    // Every thread that joined the core is a worker of the pool again: the cancelled task's
    // worker was terminated or closed, and its stack freed (else this never holds).
    while (!(stats().workers === 1 && core.liveWorkers() === 1)) await new Promise((r) => setTimeout(r, 5));
  } finally {
    configure({ maxWorkers: 2 });
  }
});

test("a timeout rejects with WEFT_TIMED_OUT naming the task, and the pool goes on", async () => {
  const flags = new Int32Array(new SharedArrayBuffer(4));
  const error = await rejection(
    eval(
      spawn(
        () => {
          Atomics.wait(flags, 0, 0);
          return "released";
        },
        { timeout: 20 },
      ),
    ),
  );
  assert.equal(error.code, "WEFT_TIMED_OUT");
  assert.match(error.message, /cancel\.test\.js:\d+:\d+/);
  assert.match(error.message, /20 ms/);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  assert.equal(await eval(spawn(() => "next", { timeout: 60_000 })), "next");
});

test("tasks spawned by a cancelled task are cancelled with it", async () => {
  await shutdown();
  configure({ maxWorkers: 2 });
  // [parent started, child started, release]
  const flags = new Int32Array(new SharedArrayBuffer(12));
  const controller = new AbortController();
  const parent = eval(
    spawn(
      async () => {
        Atomics.store(flags, 0, 1);
        return await eval(
          spawn(() => {
            Atomics.store(flags, 1, 1);
            while (Atomics.load(flags, 2) === 0);
            return "child";
          }),
        );
      },
      { signal: controller.signal },
    ),
  );
  await until(flags, 1);
  const pool = rootPool();
  assert.equal(pool.size, 2, "the parent and its child each run on a worker");
  controller.abort();
  assert.equal((await rejection(parent)).name, "AbortError");
  assert.equal(pool.size, 0, "both workers of the cancelled tasks were terminated");
  Atomics.store(flags, 2, 1);
  assert.equal(await eval(spawn(() => "fresh")), "fresh");
});

test("bad options are refused at the spawn call", async () => {
  assert.throws(() => spawn(() => 1, { signal: {} }), { code: "WEFT_INVALID_ARGUMENT", message: /options\.signal/ });
  assert.throws(() => spawn(() => 1, { timeout: -1 }), { code: "WEFT_INVALID_ARGUMENT", message: /options\.timeout/ });
});

test("shutdown", async () => {
  await shutdown();
});
