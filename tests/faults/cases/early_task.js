// A new worker is sent its first task together with the module, before it has joined
// (pool/pool.ts). The runtime adapter's worker ports are wrapped here, so that the case decides
// when the pool hears a worker's `weft:ready`, and can spoil a worker's init.
//   1. ready held back until the task's result comes: the task still runs, so it was sent early;
//   2. the first worker's init spoiled: that worker fails to start, and the task it was sent goes
//      back to the queue and runs on the next worker;
//   3. shutdown() while a task sent early runs and the ready is held back: the task fails with
//      WEFT_SHUTDOWN, shutdown() resolves, the worker is gone, and the pool runs tasks again;
//   4. the worker dies while that task runs, before the ready: the task fails, and is not run
//      again on another worker;
//   5. the runtime refuses a transfer list: the task (or a call sent with the module) fails with
//      an error naming it, and the worker stays;
//   6. a worker's ready and answers are lost for good: its start fails after the start timeout,
//      and so does the task sent with it; the worker started for the next task, whose join waited
//      for the lost one's, joins then and runs it.
import { configure, shutdown, spawn, stats } from "weft";
import { core, runtime, WorkerHost } from "weft/_internal";
import { outcome, report } from "./_report.js";

const typeOf = (message) => (Array.isArray(message) ? message[0] : message?.type);

/**
 * Wraps every worker the pool starts from now on; `n` counts them from 0. `hold(n)`: whether to
 * keep that worker's `weft:ready` until its first result (or until `release()`, which also stops
 * holding a ready that has not arrived yet); `spoil(n)`:
 * whether to replace that worker's module with a value that cannot be joined; `drop(n)`: whether
 * to lose that worker's `weft:ready` and results for good. `ports[n]` is its port, `log[n]` what
 * crossed it.
 */
function intercept({ hold = () => false, spoil = () => false, drop = () => false }) {
  const adapter = runtime();
  const startWorker = adapter.startWorker;
  const log = [];
  const ports = [];
  const held = new Set();
  let released = false;
  adapter.startWorker = (options) => {
    const port = startWorker.call(adapter, options);
    const n = log.length;
    ports.push(port);
    const events = [];
    log.push(events);
    let listener;
    let ready;
    const deliver = () => {
      if (ready === undefined) return;
      const message = ready;
      ready = undefined;
      held.delete(deliver);
      listener(message);
    };
    port.onMessage = ((original) => (l) => {
      listener = l;
      original.call(port, (message) => {
        const type = typeOf(message);
        events.push(type);
        if ((type === "weft:ready" || type === "weft:result") && drop(n)) return;
        if (type === "weft:ready" && !released && hold(n)) {
          ready = message;
          held.add(deliver);
          return;
        }
        if (type === "weft:result") deliver();
        listener(message);
      });
    })(port.onMessage);
    port.postMessage = ((original) => (message, transfer) => {
      if (typeOf(message) === "weft:init") {
        events.push("init");
        if (spoil(n)) message = { ...message, module: "not a module" };
      }
      original.call(port, message, transfer);
    })(port.postMessage);
    return port;
  };
  return {
    log,
    ports,
    release: () => {
      released = true;
      [...held].forEach((deliver) => deliver());
    },
    restore: () => (adapter.startWorker = startWorker),
  };
}

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

{
  // 6. Worker 0's ready and result are lost. Both tasks are spawned at once, so the pool starts
  // a worker for each; workers join one at a time, and without a start timeout worker 1 would wait
  // for worker 0's join, and both tasks with it, for good. After the timeout worker 0's start
  // fails, the task sent with it fails (it may have run), and worker 1 joins and runs the other.
  const wrap = intercept({ drop: (n) => n === 0 });
  WorkerHost.startTimeoutMs = 300;
  const lost = outcome(() => eval(spawn(() => "its answer is lost")));
  const behind = outcome(() => eval(spawn(() => "behind the lost one")));
  await new Promise((resolve) => setTimeout(resolve, 0)); // worker 0's init is sent
  WorkerHost.startTimeoutMs = 60_000; // for the workers started after it
  findings.lost = await lost;
  findings.behindLost = await behind;
  findings.lostFirstEvent = wrap.log[0][0];
  findings.afterLoss = await outcome(() => eval(spawn(() => "after the loss")));
  findings.workersAfterLoss = stats().workers;
  wrap.restore();
  await shutdown();
}

report(findings);
