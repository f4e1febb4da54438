// A new worker is sent its first task together with the module, before it has joined
// (pool/pool.ts). The runtime adapter's worker ports are wrapped (./_intercept.js), so that the
// case decides when the pool hears a worker's `weft:ready`, and can spoil a worker's init.
//   1. ready held back until the task's result comes: the task still runs, so it was sent early;
//   2. the first worker's init spoiled: that worker fails to start, and the task it was sent goes
//      back to the queue and runs on the next worker;
//   3. shutdown() while a task sent early runs and the ready is held back: the task fails with
//      WEFT_SHUTDOWN, shutdown() resolves, the worker is gone, and the pool runs tasks again;
//   4. the worker dies while that task runs, before the ready: the task fails, and is not run
//      again on another worker;
//   5. the runtime refuses a transfer list: the task (or a call sent with the module) fails with
//      an error naming it, and the worker stays.
import { configure, shutdown, spawn, stats } from "weft";
import { core, WorkerHost } from "weft/_internal";
import { intercept } from "./_intercept.js";
import { outcome, report } from "./_report.js";

/** Whether word 0 of `words` leaves 0 within 30 s (a task running elsewhere sets it). */
async function becomesNonZero(words) {
  const waited = Atomics.waitAsync(words, 0, 0, 30_000);
  return (waited.async ? await waited.value : waited.value) !== "timed-out";
}

const findings = {};
configure({ maxWorkers: 2 });

{
  const wrap = intercept({ hold: () => true });
  findings.heldBack = await outcome(() => eval(spawn(() => "ran before the pool knew the worker was ready")));
  findings.heldBackEvents = [...wrap.log[0]];
  wrap.restore();
  await shutdown();
}

{
  const wrap = intercept({ spoil: (n) => n === 0 });
  const before = stats();
  const tasks = [outcome(() => eval(spawn(() => "one"))), outcome(() => eval(spawn(() => "two")))];
  findings.givenBack = await Promise.all(tasks);
  const after = stats();
  findings.givenBackCounts = { completed: after.completed - before.completed, failed: after.failed - before.failed };
  findings.spoiledEvents = [...wrap.log[0]];
  wrap.restore();
  await shutdown();
}

{
  const wrap = intercept({ hold: () => true });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const task = outcome(() =>
    eval(
      spawn(() => {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        return new Promise(() => {}); // never settles
      }),
    ),
  );
  // The task runs in the worker while the pool still counts the worker as starting.
  findings.ranWhileStarting = await becomesNonZero(flag);
  const done = shutdown();
  wrap.release();
  await done;
  findings.shutDown = await task;
  findings.liveAfterShutdown = core.liveWorkers();
  wrap.restore();
  findings.afterwards = await outcome(() => eval(spawn(() => "afterwards")));
  await shutdown();
}

{
  // 4. The worker dies (terminated here) while the task sent with the module runs and before the
  // pool heard the ready: the task may have run, so it fails, and is not run again on the worker
  // started for the task queued behind it.
  const wrap = intercept({ hold: (n) => n === 0 });
  const runs = new Int32Array(new SharedArrayBuffer(4));
  const dying = outcome(() =>
    eval(
      spawn(() => {
        Atomics.add(runs, 0, 1);
        Atomics.notify(runs, 0);
        return new Promise(() => {}); // never settles
      }),
    ),
  );
  const behind = outcome(() => eval(spawn(() => "behind it")));
  findings.ranBeforeDeath = await becomesNonZero(runs);
  await wrap.ports[0].terminate();
  findings.behind = await behind;
  findings.runs = Atomics.load(runs, 0);
  // Settled at once when its worker died; "unsettled" only if it was wrongly run again.
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, 10_000, "unsettled")));
  findings.died = await Promise.race([dying, late]);
  clearTimeout(timer);
  wrap.restore();
  await shutdown();
}

{
  // 5. A transfer list the runtime refuses (a detached buffer). Through the pool, a task with a
  // transfer list waits for its worker's ready: it fails naming the task, and the worker stays.
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] }); // detaches it
  findings.refusedTransfer = await outcome(() => eval(spawn(() => "never runs", { transfer: [buffer] })));
  findings.afterRefusal = await outcome(() => eval(spawn(() => "after the refusal")));
  findings.workersAfterRefusal = stats().workers;
  await shutdown();
  // A worker sent such a call with the module fails the call alone, and starts without it.
  const fixture = new URL("../../fixtures/fib.js", import.meta.url).href;
  let first;
  const host = await WorkerHost.start({ name: "weft-early-transfer" }, (h) => {
    first = outcome(() => h.call(fixture, "fib", [1], [buffer], "the call sent with the module"));
  });
  findings.refusedWithModule = await first;
  findings.hostAfterRefusal = await outcome(() => host.call(fixture, "fib", [1]));
  await host.close();
}

report(findings);
