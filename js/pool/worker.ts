/**
 * The body of every weft worker, shared by all runtimes: each runtime's worker entry installs its
 * adapter and calls {@link workerMain}.
 *
 * Life of a worker: `weft:init` → join the module and memory → `weft:ready`; then any number of
 * `weft:call`s, each importing a module by URL and calling one of its exports, concurrently; then
 * `weft:close` → free this thread's stack and TLS → `weft:closed`, after which the parent
 * terminates the worker. Tasks spawned by code in this worker go to the parent (`weft:spawn`).
 *
 * After init, the parent's messages come on a call port of their own. The init may carry a first
 * call (the pool sends a new worker its first task with the module): it runs right after a
 * successful join, before any message of the call port, and never after a failed one.
 *
 * A worker whose last call just settled may keep taking messages from that port synchronously for
 * {@link IDLE_SPIN_MS} before it returns to its event loop to sleep: a caller that awaits one task
 * and spawns the next then reaches a thread that is still running, where a sleeping one must
 * first be woken (on a virtual machine, tens of microseconds; bench/ row 1). The spin ends at once
 * when a call that awaits arrives, and never runs while a call is in progress. Workers spin only
 * while the process has a core to spare beyond its workers (fewer live workers than hardware
 * threads it may run on), and only while spinning has served this worker's caller better than
 * sleeping: a {@link SpinPolicy} measures both (./spin_policy.ts), because where the caller shares
 * a core with the worker a spin takes the core the caller needs.
 *
 * Workers are reused: one runs many tasks, one after another or interleaved while they await.
 * An error that escapes a task's code outside its promise (a timer or listener it set, a rejection
 * nobody handles) is caught here and never fails another task: it fails the running task whose
 * module the error's stack runs in, if one does; otherwise it is reported to the parent as a stray
 * error (`weft:stray`), which prints a `WEFT_STRAY_ERROR` warning, and the worker goes on. A task
 * that gives a built-in prototype a `then` would make later results hang: the worker detects it,
 * fails the calls it holds with `WEFT_PROTOTYPE_POLLUTED` and asks to be replaced
 * (`weft:unusable`).
 * @module
 */

import { core, destroyThisThread, joinCore } from "../core/module.js";
// The primitives register how they cross threads when loaded; a worker must know them all before
// it decodes a task's arguments.
import "../sync/barrier.js";
import "../sync/channel.js";
import "../sync/condvar.js";
import "../sync/global.js";
import "../sync/mutex.js";
import "../sync/rwlock.js";
import "../sync/semaphore.js";
import "../sync/shared_struct.js";
import "../sync/wait_group.js";
import { recordHeldAt } from "../sync/held.js";
import { prototypePolluted } from "../errors.js";
import { generatedModule, generatedModulesIn, moduleUrl } from "../spawn/modules.js";
import { crossesAsIs, decode } from "../protocol/codec.js";
import { asToWorker, type CallMessage, encodeMessage } from "../protocol/messages.js";
import { answer, type Outcome, outcomeOf, pollutedPrototype, type Post, Requests } from "../protocol/requests.js";
import { encodeThrown } from "../protocol/thrown.js";
import { runtime } from "../runtime.js";
import { rewriteStack } from "../spawn/sites.js";
import { forwardTasks } from "./submit.js";
import { useBlockingRequests } from "./blocking_requests.js";
import { SpinPolicy } from "./spin_policy.js";

/**
 * How long an idle worker keeps checking its call port before it sleeps, in milliseconds: longer
 * than a caller's turn between two awaited tasks (the result's wake-up, the caller's own work,
 * the next post) on the machines measured in bench/, and short enough that a worker with no more
 * work gives the core back within a fraction of a millisecond.
 */
const IDLE_SPIN_MS = 0.25;

/** Imported modules by URL: a repeated `import()` would still go through the module loader. */
const namespaces = new Map<string, Record<string, unknown>>();

/** A call this worker is running and has not answered yet. */
interface Running {
  /** The URL of the module it runs. */
  readonly url: string;
  readonly name: string;
}

/** Loads the ES module at a URL, as `import(url)` does in the worker entry's own module. */
export type ImportModule = (url: string) => Promise<Record<string, unknown>>;

/**
 * Runs the worker side of the protocol on this isolate's parent port. `importModule` loads the
 * modules calls name; an entry that runs weft's code as a script, where `import()` is not
 * available, passes its own.
 */
export function workerMain(importModule: ImportModule = (url) => import(url) as Promise<Record<string, unknown>>): void {
  const rt = runtime();
  const parent = rt.parentPort();
  if (parent === null) throw new Error("weft's worker entry was loaded outside a worker");
  const post: Post = (message, transfer) => parent.postMessage(encodeMessage(message), transfer);
  const running = new Map<number, Running>();
  /** The parent was asked to replace this worker; it sends no more calls. */
  let unusable = false;
  let pollutionReported = false;

  /** What a call is, for messages: the task's spawn call site when its module says. */
  const describe = (call: Running): string => {
    const site = generatedModule(call.url)?.site;
    return site === undefined ? `the call of "${call.name}" from ${call.url}` : `the task spawned at ${site}`;
  };

  /**
   * Answers call `id` once; later outcomes of the same call are dropped. A built-in prototype
   * given a `then` by then retires the worker first.
   */
  const finish = (id: number, outcome: Outcome): void => {
    const call = running.get(id);
    if (call === undefined) return;
    running.delete(id);
    const polluted = pollutedPrototype();
    if (polluted !== undefined && !pollutionReported) {
      pollutionReported = true;
      retire(polluted);
    }
    // Taken before the answer is posted: a caller on this worker's core may run as soon as the
    // post wakes it, before the post returns, and that time belongs to the cycle.
    answeredAt = running.size === 0 ? rt.now() : undefined;
    answer(post, id, outcome, describe(call), rewriteStack);
    spin();
  };

  /**
   * Asks the parent to replace this worker: it sends nothing more, and closes the worker once every
   * call it holds is answered. With `polluted` (a built-in prototype has a `then`, so objects can
   * no longer settle a promise here), every call held fails now, since any could hang.
   */
  const retire = (polluted?: string): void => {
    if (!unusable) {
      unusable = true;
      post({ type: "weft:unusable" });
    }
    if (polluted === undefined) return;
    for (const id of [...running.keys()]) {
      finish(id, { ok: false, error: prototypePolluted(describe(running.get(id)!), polluted) });
    }
  };

  const run = (message: CallMessage, url: string, namespace: Record<string, unknown>): void => {
    const { id } = message;
    const fn = namespace[message.name];
    if (typeof fn !== "function") {
      finish(id, { ok: false, error: new TypeError(`Cannot call "${message.name}" of ${url} in a worker: it is not an exported function`) });
      return;
    }
    let result: unknown;
    try {
      result = (fn as (...args: unknown[]) => unknown)(...(decode(message.payload) as unknown[]));
    } catch (error) {
      finish(id, { ok: false, error });
      return;
    }
    const call = running.get(id);
    if (call === undefined) return; // answered meanwhile (the worker was retired)
    const what = describe(call);
    // An object or a promise is only safe to settle with while no built-in prototype has a `then`.
    const polluted = crossesAsIs(result) ? undefined : pollutedPrototype();
    if (polluted !== undefined) {
      finish(id, { ok: false, error: prototypePolluted(what, polluted) });
      return;
    }
    outcomeOf(result, what, (outcome) => finish(id, outcome));
  };

  const call = (message: CallMessage): void => {
    let url: string;
    try {
      url = typeof message.target === "string" ? message.target : moduleUrl(message.target);
    } catch (error) {
      answer(post, message.id, { ok: false, error }, `the call of "${message.name}"`);
      return;
    }
    running.set(message.id, { url, name: message.name });
    const polluted = pollutedPrototype();
    if (polluted !== undefined) {
      finish(message.id, { ok: false, error: prototypePolluted(describe({ url, name: message.name }), polluted) });
      return;
    }
    const namespace = namespaces.get(url);
    if (namespace !== undefined) {
      run(message, url, namespace);
      return;
    }
    importModule(url).then(
      (loaded) => {
        namespaces.set(url, loaded);
        run(message, url, loaded);
      },
      (error: unknown) => finish(message.id, { ok: false, error }),
    );
  };

  /**
   * An error escaped code running in this worker. It belongs to the running call whose module
   * its stack runs in, if any; otherwise no task can own it: it is reported as stray.
   */
  const escaped = (error: unknown): void => {
    const stack = error instanceof Error && typeof error.stack === "string" ? error.stack : "";
    const modules = generatedModulesIn(stack);
    for (const [id, call] of running) {
      if (modules.some((m) => m.url === call.url) || (generatedModule(call.url) === undefined && stack.includes(call.url))) {
        // The task failed outside its own promise: like a crash of its code, the worker is
        // replaced (some runtimes end a worker after any uncaught error), and the others finish.
        retire();
        finish(id, { ok: false, error });
        return;
      }
    }
    post({ type: "weft:stray", error: encodeThrown(error, rewriteStack), site: modules[0]?.site });
  };

  const spawns = new Requests();
  forwardTasks((task) =>
    spawns.make(task.what, (id) => {
      const { target, name, payload, what } = task;
      post({ type: "weft:spawn", id, target, name, payload, what }, task.transfer);
    }),
  );
  parent.onUncaught?.(escaped);

  let joined = false;
  let closed = false;
  /** The parent's messages after init (see the module's doc). */
  let calls: MessagePort | undefined;
  let spinning = false;
  /** The hardware threads this process may run on. */
  let cores: number | undefined;
  /** Whether to spin, from the cycles measured (see the module's doc). */
  const policy = new SpinPolicy();
  /** When this worker last answered with no call left running: the start of a cycle. */
  let answeredAt: number | undefined;

  /**
   * Takes the parent's next messages synchronously while this worker is idle, for up to
   * {@link IDLE_SPIN_MS} after the last one, if the policy says to; returns once a call is in
   * progress (its promise needs the event loop), the policy changes its mind, or the time is up.
   * Where this worker may not spin at all, the cycle that just began is not measured: neither mode
   * was chosen.
   */
  const spin = (): void => {
    if (spinning || running.size !== 0 || calls === undefined || closed || unusable) return;
    if (core.liveWorkers() >= (cores ??= runtime().hardwareConcurrency())) {
      answeredAt = undefined;
      return;
    }
    if (!policy.spinning) return;
    spinning = true;
    try {
      // The runtime's clock, not `performance.now()`: on Node that global loads perf_hooks the
      // first time a thread reads it, before this worker's first answer (see Runtime.now).
      let until = rt.now() + IDLE_SPIN_MS;
      while (rt.now() < until) {
        const raw = rt.receiveMessageSync(calls);
        if (raw === undefined) continue;
        receive(raw);
        if (running.size !== 0 || closed || unusable || !policy.spinning) return;
        until = rt.now() + IDLE_SPIN_MS;
      }
    } finally {
      spinning = false;
    }
  };

  const receive = (raw: unknown): void => {
    const message = asToWorker(raw);
    if (closed) return;
    switch (message.type) {
      case "weft:init":
        if (joined) throw new Error("weft worker received a second init message");
        try {
          const thread = joinCore(message);
          useBlockingRequests(message.requestPort, message.requestFlag);
          recordHeldAt(message.held);
          joined = true;
          calls = message.callPort;
          runtime().listen(calls, receive);
          post({ type: "weft:ready", thread });
        } catch (error) {
          post({ type: "weft:init-failed", error: encodeThrown(error) });
          return;
        }
        if (message.call !== undefined) receive(message.call);
        return;
      case "weft:call":
        if (answeredAt !== undefined) {
          policy.record(rt.now() - answeredAt);
          answeredAt = undefined;
        }
        call(message);
        return;
      case "weft:result":
        spawns.settle(message);
        return;
      case "weft:close":
        closed = true;
        if (joined) destroyThisThread();
        post({ type: "weft:closed" });
        calls?.close();
        return;
    }
  };
  parent.onMessage(receive);
  // The pool posts a worker's init as it starts it, so the init is usually waiting already: taken
  // now, the worker joins and runs its first task without first returning to its event loop.
  const waiting = parent.takeWaiting?.();
  if (waiting !== undefined) receive(waiting);
}
