/**
 * The bounded worker pool of the root thread (the isolate that loaded weft first).
 *
 * - At most `maxWorkers` workers (default: hardware concurrency); tasks beyond them wait in a FIFO
 *   queue. Any worker can run any task: a task names an ES module URL and an export to call.
 * - Pipelining: while the queue holds at least two tasks per worker (a burst of small tasks), each
 *   worker is sent one task beyond the one it runs, so it starts the next without waiting for a
 *   round-trip through this thread. With a short queue, tasks go only to free workers, so the last
 *   tasks of a burst go to whichever worker frees first.
 * - A worker started for waiting tasks is sent the oldest one (unless it belongs to a cancel
 *   scope or has a transfer list) with the module, before it has joined, so that the task starts as soon as the worker
 *   can run it, without waiting for its `weft:ready` to reach this thread and a call to go back.
 *   A worker that refuses the join never runs that task: it goes back to the front of the queue.
 *   One that crashes or exits before it is ready may have run it: the task fails, as a task does
 *   whose worker died.
 * - Nested spawns: workers never start workers of their own; a task spawned inside a worker is
 *   forwarded to this pool. A worker whose running tasks are all waiting for tasks they spawned
 *   counts as free, so a recursion deeper than `maxWorkers` (a parallel fib, say) always has a
 *   worker for its innermost tasks and cannot deadlock. Idle workers are preferred over such
 *   waiting ones.
 * - Liveness: a worker with calls in flight keeps the process alive; an idle one does not
 *   (WorkerHost refs/unrefs it). Idle workers are closed after `idleTimeoutMs`, with timers that do
 *   not keep the process alive either.
 * - `shutdown()` rejects every queued and in-flight task with `WEFT_SHUTDOWN`, kills the busy
 *   workers, closes the idle ones (so they free their own stacks), discards workers still starting
 *   (each is closed as soon as it has joined), and resolves once every one of them is gone; it
 *   leaves the pool usable: the next task starts new workers.
 * - A worker that dies (exit, crash, out of memory) fails only its own tasks, with an error
 *   carrying its exit code, and is replaced on demand. A worker that cannot be started (the runtime
 *   refused it, or it failed before joining) fails the queued tasks only when no other worker is
 *   left to run them.
 * - Memory: a worker is started only while its stack fits in the shared memory (capacity.ts); at
 *   capacity, tasks wait for a busy worker, and fail with `WEFT_WORKER_START_FAILED` only when
 *   there is none.
 * - Cancellation ({@link Cancel}): a task run with a signal or a timeout belongs to a cancel
 *   scope, and so does every task spawned while it runs (its nested tasks). A worker running a
 *   scope's task runs nothing else but that scope's tasks (no pipelining, no unrelated task on it
 *   while it waits), so that cancelling terminates exactly the scope's work: queued tasks of the
 *   scope are removed and never run, and every task of the scope rejects at once with the reason.
 *   Workers running its tasks leave the pool (replaced on demand): on Node they are terminated;
 *   on Deno and Bun, which do not say when a terminated worker's thread has stopped (so its stack
 *   could never be freed), they finish the task's code, whose result is dropped, and are closed
 *   then, their stacks counted until then.
 * - Where a runtime's cost of loading a module grows with the modules an isolate has loaded
 *   ({@link Runtime.modulesPerWorker}), a worker that has loaded that many generated modules is
 *   retired: it takes no new task, and is closed once its running tasks are done.
 * @module
 */

import { noRoomForWorker, shutDown, WeftError, workerStartFailed } from "../errors.js";
import { type ResourceLimit, runtime, type Runtime } from "../runtime.js";
import type { Task } from "../protocol/messages.js";
import { roomForWorkers, stackLeaked, workerCapacity } from "./capacity.js";
import { WorkerHost } from "./host.js";
import type { AbortSignalLike } from "../sync/waiting.js";
import { debugEnabled, debugLog } from "./debug.js";
import { Histogram } from "./histogram.js";
import type { PoolStats } from "./stats.js";

export type { Task };

/** How long an idle worker being closed may take to free its stack before it is killed. */
const CLOSE_GRACE_MS = 1000;
/**
 * How long `shutdown()` waits for workers that were still starting, in milliseconds: a worker's
 * start takes tens of milliseconds, seconds on a loaded machine.
 */
const START_GRACE_MS = 5000;

/**
 * After a worker failed to start while others run, no new worker is started for this long: the
 * queued tasks wait for the running workers instead (also a worker whose task waits for them, so
 * a nested spawn cannot wait for a start that keeps failing), and the start is tried again after.
 * A failed start therefore repeats at most ten times a second, whatever the load.
 */
const START_RETRY_MS = 100;

/** Logs the worker's exit (call only when debugging). */
function logExit(host: WorkerHost): void {
  void host.exited.then((code) => debugLog(`worker exited${code === null ? "" : ` with code ${code}`}`));
}

/** Whether `promise` settles within `ms`; the timer does not keep the process alive. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    runtime().unrefTimer(timer);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pool settings; see {@link configure}. */
export interface PoolOptions {
  /** Upper bound of live workers. Default: the number of hardware threads. */
  maxWorkers: number;
  /** An idle worker is closed after this long. Default: 30,000 ms. */
  idleTimeoutMs: number;
  /** Per-worker engine limits (`maxOldGenerationSizeMb`, …), checked by `configure`. */
  resourceLimits: Readonly<Partial<Record<ResourceLimit, number>>> | undefined;
}

/** How a task may be cancelled: an abort signal, a timeout in milliseconds from now, or both. */
export interface Cancel {
  readonly signal?: AbortSignalLike | undefined;
  readonly timeoutMs?: number | undefined;
  /** The error a timeout rejects with. */
  readonly timedOut: () => unknown;
}

/** A cancellable task and the tasks spawned while it runs, cancelled together. */
class Scope {
  /** Why it was cancelled, once it was. */
  reason: { error: unknown } | undefined;
  /** Its tasks that have not settled. */
  readonly tasks = new Set<Queued>();
  /** Workers running its tasks (each runs only this scope's tasks). */
  readonly slots = new Set<Slot>();
  #detach: (() => void) | undefined;

  constructor(cancel: Cancel, onCancel: (scope: Scope) => void) {
    const { signal, timeoutMs } = cancel;
    const fire = (error: unknown) => {
      if (this.reason !== undefined) return;
      this.reason = { error };
      this.#detach?.();
      onCancel(this);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => fire(signal!.reason);
    if (timeoutMs !== undefined) {
      // Unreferenced: a running task keeps the process alive through its worker, not its timer.
      timer = setTimeout(() => fire(cancel.timedOut()), timeoutMs);
      runtime().unrefTimer(timer);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#detach = () => {
      this.#detach = undefined;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
  }

  /** Stops listening once every task of the scope has settled. */
  settled(queued: Queued): void {
    this.tasks.delete(queued);
    if (this.tasks.size === 0) this.#detach?.();
  }
}

interface Slot {
  readonly host: WorkerHost;
  /** When it last went from idle to running a task (`performance.now()`). */
  busySince: number;
  /** The cancel scope whose tasks this worker runs, exclusively; `undefined` for ordinary tasks. */
  scope: Scope | undefined;
  /** Tasks running on this worker. */
  running: number;
  /** Tasks spawned from this worker that have not settled (its tasks are waiting on them). */
  children: number;
  /** When the worker last finished a task (ms since the epoch). */
  idleSince: number;
  /** The reaper timer, armed while the worker is alive; re-armed lazily, not per task. */
  idleTimer: unknown;
  /**
   * Keys of the generated modules sent to this worker, counted only where the runtime bounds them
   * ({@link Runtime.modulesPerWorker}).
   */
  readonly modules: Set<string> | undefined;
  /** Out of the pool, to be closed once its running tasks are done. */
  retiring: boolean;
  /** Retired because its task was cancelled: it finishes code whose result nobody wants. */
  abandoned: boolean;
  /** The worker has joined (it was ready); before, only the task sent with the module runs on it. */
  joined: boolean;
}

interface Queued {
  readonly task: Task;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly scope: Scope | undefined;
  /** When it was queued, then when it started running (`performance.now()`). */
  at: number;
  /** Settled: counted once, whatever settles it first (its result, a cancellation, shutdown). */
  done: boolean;
}


/** A new worker's entry in the pool. */
function newSlot(host: WorkerHost): Slot {
  return {
    host,
    busySince: 0,
    scope: undefined,
    running: 0,
    children: 0,
    idleSince: Date.now(),
    idleTimer: undefined,
    modules: runtime().modulesPerWorker === undefined ? undefined : new Set(),
    retiring: false,
    abandoned: false,
    joined: false,
  };
}

export class Pool {
  #options: PoolOptions;
  #slots = new Set<Slot>();
  /** The worker whose last task ended most recently, if it is still in the pool. */
  #warm: Slot | undefined;
  /** FIFO of waiting tasks: `#queue[#head]` is the oldest. */
  #queue: Queued[] = [];
  #head = 0;
  #starting = 0;
  /** The last failed start's error while starts are held back ({@link START_RETRY_MS}). */
  #startsHeld: { error: unknown } | undefined;
  /** Workers of earlier generations still starting or closing: closed when they arrive, counted until closed. */
  #discarding = 0;
  /** Every start in progress, settled once its worker is in the pool, closed after a discard, or failed. */
  #starts = new Set<Promise<void>>();
  /**
   * Workers not ready yet that were sent a task (see {@link WorkerHost.start}'s `first`), with that
   * task: counted in `#starting` until ready, when they join `#slots`.
   */
  #early = new Map<Slot, Queued>();
  /** Retired workers not closed yet: they finish their tasks, and their stacks still count. */
  #retired = new Set<Slot>();
  /** Bumped by shutdown so that workers still starting are discarded. */
  #generation = 0;
  // Statistics since the start or the last reset.
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #since = performance.now();
  /** Time workers spent running tasks, ended busy periods only. */
  #busyMs = 0;
  #runTimes = new Histogram();
  #waitTimes = new Histogram();
  /** `WEFT_DEBUG` is on. */
  readonly #debug = debugEnabled();
  /**
   * Times are recorded (on by default). Only the benchmark that measures the bookkeeping's own
   * cost turns it off, through `weft/_internal`.
   */
  timing = true;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  get options(): Readonly<PoolOptions> {
    return this.#options;
  }

  /** Changes settings; a lower `maxWorkers` takes effect as busy workers finish. */
  configure(options: PoolOptions): void {
    this.#options = options;
    this.#dispatch();
  }

  /** What the pool is doing and has done since the start or the last reset; `reset` starts anew. */
  stats(reset = false): PoolStats {
    const now = performance.now();
    let busy = 0;
    let busyMs = this.#busyMs;
    for (const slot of [...this.#slots, ...this.#retired]) {
      if (slot.running === 0 || slot.abandoned) continue;
      busy++;
      busyMs += now - Math.max(slot.busySince, this.#since);
    }
    const capacity = Math.max(1, this.#options.maxWorkers) * (now - this.#since);
    const snapshot: PoolStats = {
      workers: this.#slots.size + this.#retired.size,
      busy,
      queued: this.#waiting,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      utilization: capacity > 0 ? Math.min(1, busyMs / capacity) : 0,
      runTimeMs: this.#runTimes.percentiles(),
      waitTimeMs: this.#waitTimes.percentiles(),
    };
    if (reset) {
      this.#completed = this.#failed = this.#cancelled = 0;
      this.#busyMs = 0;
      this.#since = now;
      this.#runTimes.clear();
      this.#waitTimes.clear();
    }
    return snapshot;
  }

  /** Settles `queued` once, counting how. */
  #settle(queued: Queued, outcome: "completed" | "failed" | "cancelled", value: unknown): void {
    if (queued.done) return;
    queued.done = true;
    if (outcome === "completed") this.#completed++;
    else if (outcome === "failed") this.#failed++;
    else this.#cancelled++;
    if (this.#debug) debugLog(`task ${outcome}: ${queued.task.what}`);
    if (outcome === "completed") queued.resolve(value);
    else queued.reject(value);
  }

  /** Live and starting workers. */
  get size(): number {
    return this.#slots.size + this.#starting;
  }

  /**
   * Runs `task` on some worker; settles with its result or error, or with the cancellation's
   * reason as soon as `cancel` fires (an already aborted signal: without running it).
   */
  run(task: Task, cancel?: Cancel): Promise<unknown> {
    if (cancel === undefined) return this.#enqueue(task, undefined);
    if (cancel.signal?.aborted) {
      this.#cancelled++;
      if (this.#debug) debugLog(`task cancelled before it was queued: ${task.what}`);
      return Promise.reject(cancel.signal.reason);
    }
    return this.#enqueue(task, new Scope(cancel, (scope) => this.#cancel(scope)));
  }

  /** Rejects every task of a cancelled scope: removed from the queue, or its worker killed. */
  #cancel(scope: Scope): void {
    const error = scope.reason!.error;
    if (this.#waiting > 0) {
      const kept = this.#queue.slice(this.#head).filter((q) => q.scope !== scope);
      this.#queue = kept;
      this.#head = 0;
    }
    for (const queued of [...scope.tasks]) this.#settle(queued, "cancelled", error);
    for (const slot of [...scope.slots]) {
      this.#slots.delete(slot);
      this.#clearIdle(slot);
      if (runtime().exitMeansThreadStopped) {
        if (this.#debug) debugLog("worker terminated: its task was cancelled");
        void slot.host.kill(() => error);
      } else {
        // Terminating would leave the worker's stack allocated for good (the runtime never says
        // when the thread stopped), and enough cancellations would leave no room for workers.
        // The worker leaves the pool instead, and is closed, freeing its stack, once the task
        // returns; what it returns is dropped.
        if (this.#debug) debugLog("worker left the pool: its task was cancelled; closed when the task returns");
        slot.retiring = true;
        slot.abandoned = true;
        this.#retired.add(slot);
      }
    }
    scope.slots.clear();
    this.#dispatch();
  }

  /**
   * Starts a worker now if the pool has none, ahead of a task that is about to come (spawn calls
   * it before analysing a new call site, so that the worker starts while the analysis runs).
   */
  prestart(): void {
    if (this.size === 0 && this.#options.maxWorkers > 0 && this.#room() > 0) this.#startWorker();
  }

  /** Workers that may start now without overfilling the shared memory. */
  #room(): number {
    return roomForWorkers(this.#starting + this.#discarding);
  }

  /** Kills every worker and rejects every queued and running task. */
  async shutdown(): Promise<void> {
    this.#generation++;
    this.#startsHeld = undefined;
    this.#discarding += this.#starting;
    this.#starting = 0;
    const queued = [...this.#early.values(), ...this.#takeAll()];
    this.#early.clear();
    for (const q of queued) this.#settle(q, "failed", shutDown(q.task.what));
    const slots = [...this.#slots, ...this.#retired];
    this.#slots.clear();
    this.#retired.clear();
    // Starts of the generation just ended: each worker is closed as soon as it has joined, so that
    // no thread of this pool is still loading once shutdown() resolves. A start that takes longer
    // than START_GRACE_MS is left to finish (and be closed) on its own.
    const starts = settlesWithin(Promise.all(this.#starts), START_GRACE_MS);
    await Promise.all([
      ...slots.map((slot) => {
        this.#clearIdle(slot);
        return slot.running === 0 ? this.#close(slot.host) : this.#kill(slot.host);
      }),
      starts,
    ]);
  }

  /**
   * Ends an idle worker so that it frees its own stack; one that does not answer within
   * {@link CLOSE_GRACE_MS} (stuck in code a task left running) is killed.
   */
  async #close(host: WorkerHost): Promise<void> {
    if (!(await settlesWithin(host.close(), CLOSE_GRACE_MS))) await this.#kill(host);
  }

  /** Terminates a worker mid-task: its calls reject with `WEFT_SHUTDOWN`. */
  #kill(host: WorkerHost): Promise<void> {
    this.#killed();
    return host.kill(shutDown);
  }

  /** Counts the stack of a worker terminated mid-task where the runtime cannot say when it stopped. */
  #killed(): void {
    if (!runtime().exitMeansThreadStopped) stackLeaked();
  }

  #enqueue(task: Task, scope: Scope | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const queued: Queued = { task, resolve, reject, scope, at: this.timing ? performance.now() : 0, done: false };
      if (this.#debug) debugLog(`task queued: ${task.what}`);
      if (scope !== undefined) {
        if (scope.reason !== undefined) {
          this.#settle(queued, "cancelled", scope.reason.error);
          return;
        }
        scope.tasks.add(queued);
      }
      if (this.#waiting === 0) {
        // Fast path: straight to an idle worker when nothing waits before this task; first to the
        // one that went idle last, which is still taking calls without sleeping (pool/worker.ts).
        const warm = this.#warm;
        if (warm !== undefined && warm.running === 0 && this.#slots.has(warm)) {
          this.#runOn(warm, queued);
          return;
        }
        for (const slot of this.#slots) {
          if (slot.running === 0) {
            this.#runOn(slot, queued);
            return;
          }
        }
      }
      this.#queue.push(queued);
      this.#dispatch();
    });
  }

  /**
   * Places queued tasks: on an idle worker; else on a new worker while below the bound (it takes
   * them when ready); else on a worker whose tasks are all waiting for tasks they spawned.
   */
  #dispatch(): void {
    while (this.#waiting > 0) {
      let target: Slot | undefined;
      let waiting: Slot | undefined;
      let pipelined: Slot | undefined;
      const burst = this.#waiting >= 2 * Math.max(1, this.#slots.size);
      // A worker running a cancel scope's tasks takes only more of that scope's tasks.
      const scope = this.#queue[this.#head]!.scope;
      for (const slot of this.#slots) {
        if (slot.running === 0) {
          target = slot;
          break;
        }
        if (slot.scope !== scope) continue;
        if (waiting === undefined && slot.running <= slot.children) waiting = slot;
        if (scope === undefined && burst && pipelined === undefined && slot.running - slot.children < 2) pipelined = slot;
      }
      if (target === undefined && this.#startsHeld === undefined && this.size < this.#options.maxWorkers && this.#room() > 0) {
        while (this.#starting < this.#waiting && this.size < this.#options.maxWorkers && this.#room() > 0) {
          this.#startWorker();
        }
        return;
      }
      target ??= waiting ?? pipelined;
      if (target === undefined) {
        if (this.size === 0 && this.#discarding === 0 && this.#retired.size === 0) {
          const held = this.#startsHeld;
          if (held === undefined) this.#failQueued();
          else this.#failWaiting(() => held.error);
        }
        return;
      }
      this.#runOn(target, this.#take());
    }
  }

  /** Tasks in the queue. */
  get #waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** The oldest queued task (the queue is not empty). */
  #take(): Queued {
    const queued = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as Queued;
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return queued;
  }

  #takeAll(): Queued[] {
    const all = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    return all;
  }

  /**
   * Fails every queued task: no worker is running or starting, and none can start (the shared
   * memory is full of other workers' stacks).
   */
  #failQueued(): void {
    if (this.#waiting === 0) return;
    const live = workerCapacity().workers - this.#room();
    this.#failWaiting((q) => noRoomForWorker(q.task.what, live, workerCapacity().workers));
  }

  /** Fails every queued task with `errorFor(task)`. */
  #failWaiting(errorFor: (queued: Queued) => unknown): void {
    for (const q of this.#takeAll()) this.#settle(q, "failed", errorFor(q));
  }

  #startWorker(): void {
    const generation = this.#generation;
    this.#starting++;
    const limits = this.#options.resourceLimits;
    const options = { name: "weft", ...(limits === undefined ? {} : { resourceLimits: limits }) };
    /** The slot made when the worker was sent a task with the module, before it joined. */
    let early: Slot | undefined;
    const first = (host: WorkerHost) => {
      // Only the oldest task; not one of a cancel scope (whose workers are chosen with it), nor
      // one that moves buffers, which would be lost with a worker that refuses the join.
      const oldest = this.#waiting === 0 ? undefined : this.#queue[this.#head]!;
      if (generation !== this.#generation || oldest === undefined || oldest.scope !== undefined || oldest.task.transfer.length > 0) return;
      early = newSlot(host);
      const queued = this.#take();
      this.#early.set(early, queued);
      this.#runOn(early, queued);
    };
    let started: Promise<WorkerHost>;
    try {
      started = WorkerHost.start(options, first);
    } catch (error) {
      // The runtime refused to create the thread (`new Worker` threw: EAGAIN, a bad option).
      started = Promise.reject(error instanceof WeftError ? error : workerStartFailed(error));
    }
    const settled = started.then(
      (host) => {
        if (early !== undefined) this.#early.delete(early);
        if (generation !== this.#generation) {
          if (this.#debug) {
            debugLog("worker discarded: it was starting when the pool shut down");
            logExit(host);
          }
          // A task it was sent may be running there: it is killed, not asked to close.
          return (host.pending === 0 ? this.#close(host) : this.#kill(host)).finally(() => {
            this.#discarding--;
            this.#dispatch();
          });
        }
        this.#starting--;
        const slot = early ?? newSlot(host);
        slot.joined = true;
        host.onSpawn((task) => this.#spawnFrom(slot, task));
        host.onUnusable(() => this.#lost(slot));
        if (this.#debug) {
          debugLog(`worker started (${this.#slots.size + 1} live)`);
          logExit(host);
        }
        this.#slots.add(slot);
        this.#dispatch();
        this.#armIdle(slot);
      },
      (error: unknown) => {
        if (early !== undefined) this.#earlyFailed(early, error);
        if (generation !== this.#generation) {
          this.#discarding--;
          this.#dispatch();
          return;
        }
        this.#starting--;
        // Nothing can run: fail what waits rather than retry forever.
        if (this.#slots.size === 0 && this.#starting === 0) {
          this.#failWaiting(() => error);
          return;
        }
        // Others run: what waits goes to them for a while (START_RETRY_MS).
        this.#holdStarts(error);
        this.#dispatch();
      },
    );
    this.#starts.add(settled);
    const done = () => void this.#starts.delete(settled);
    settled.then(done, done);
  }

  /** Starts no worker for {@link START_RETRY_MS}, then dispatches again. */
  #holdStarts(error: unknown): void {
    if (this.#startsHeld !== undefined) {
      this.#startsHeld.error = error;
      return;
    }
    this.#startsHeld = { error };
    const timer = setTimeout(() => {
      this.#startsHeld = undefined;
      this.#dispatch();
    }, START_RETRY_MS);
    runtime().unrefTimer(timer);
  }

  /**
   * The task sent with the module to `slot`'s worker ended before the worker joined: the worker
   * failed to start, or the task could not be posted. If the worker refused the join, the task
   * never ran and goes back to the front of the queue; otherwise it fails with `error` (a worker
   * that crashed or exited may have run it, and running it twice is worse). Once per slot.
   */
  #earlyFailed(slot: Slot, error: unknown): void {
    const queued = this.#early.get(slot);
    if (queued === undefined) return;
    this.#early.delete(slot);
    slot.running--;
    if (!slot.host.joinRefused) {
      this.#settle(queued, "failed", error);
      return;
    }
    if (queued.done) return;
    if (this.#debug) debugLog(`task given back: its worker could not join: ${queued.task.what}`);
    if (this.#head > 0) this.#queue[--this.#head] = queued;
    else this.#queue.unshift(queued);
  }

  /** A task spawned by a task running on `slot`. */
  #spawnFrom(slot: Slot, task: Task): Promise<unknown> {
    slot.children++;
    this.#dispatch(); // the slot may have become available
    const settled = () => {
      slot.children--;
    };
    // A task spawned by a cancellable task is cancelled with it.
    const result = this.#enqueue(task, slot.scope);
    result.then(settled, settled);
    return result;
  }

  #runOn(slot: Slot, queued: Queued): void {
    const now = this.timing ? performance.now() : 0;
    if (this.timing) {
      this.#waitTimes.record(now - queued.at);
      queued.at = now;
    }
    if (this.#debug) debugLog(`task started: ${queued.task.what}`);
    if (slot.running === 0) slot.busySince = now;
    slot.running++;
    const { scope } = queued;
    if (scope !== undefined) {
      slot.scope = scope;
      scope.slots.add(slot);
    }
    const { target } = queued.task;
    if (slot.modules !== undefined && typeof target !== "string") slot.modules.add(target.key);
    slot.host.run(queued.task).then(
      (value) => {
        this.#ran(slot, queued);
        this.#settle(queued, "completed", value);
      },
      (error: unknown) => {
        if (!slot.joined) {
          // Sent with the module, and ended before the worker joined.
          this.#earlyFailed(slot, error);
          return;
        }
        this.#ran(slot, queued);
        this.#settle(queued, "failed", error);
      },
    );
  }

  /** A task's run on `slot` ended (returned, threw, or its worker went). */
  #ran(slot: Slot, queued: Queued): void {
    if (this.timing) {
      const now = performance.now();
      if (!queued.done) this.#runTimes.record(now - queued.at);
      if (slot.running === 1) this.#busyMs += now - Math.max(slot.busySince, this.#since);
    }
    this.#done(slot);
    queued.scope?.settled(queued);
  }

  #done(slot: Slot): void {
    slot.running--;
    if (slot.running === 0 && slot.scope !== undefined) {
      slot.scope.slots.delete(slot);
      slot.scope = undefined;
    }
    if (slot.running === 0) {
      slot.idleSince = Date.now();
      this.#warm = slot;
    }
    const bound = runtime().modulesPerWorker;
    if (!slot.retiring && slot.modules !== undefined && bound !== undefined && slot.modules.size >= bound) {
      // Out of the pool now, so that it takes no new task; closed once its tasks are done.
      slot.retiring = true;
      this.#retired.add(slot);
      this.#clearIdle(slot);
      this.#slots.delete(slot);
    }
    if (slot.retiring) {
      if (slot.running === 0 && this.#retired.has(slot)) {
        void this.#close(slot.host).finally(() => {
          this.#retired.delete(slot);
          this.#dispatch();
        });
      }
      this.#dispatch();
      return;
    }
    if (!this.#slots.has(slot)) return;
    this.#dispatch();
  }

  /** Closes the worker once it has been idle for `idleTimeoutMs`, checking when the timer fires. */
  #armIdle(slot: Slot, delay = this.#options.idleTimeoutMs): void {
    const timer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (!this.#slots.has(slot)) return;
      const idleFor = Date.now() - slot.idleSince;
      if (slot.running > 0 || idleFor < this.#options.idleTimeoutMs) {
        this.#armIdle(slot, slot.running > 0 ? this.#options.idleTimeoutMs : this.#options.idleTimeoutMs - idleFor);
        return;
      }
      this.#slots.delete(slot);
      void slot.host.close();
    }, delay);
    runtime().unrefTimer(timer);
    slot.idleTimer = timer;
  }

  #clearIdle(slot: Slot): void {
    if (slot.idleTimer !== undefined) {
      clearTimeout(slot.idleTimer as ReturnType<typeof setTimeout>);
      slot.idleTimer = undefined;
    }
  }

  /** The worker stopped taking calls (crash, exit, kill, close): forget it; start another if work waits. */
  #lost(slot: Slot): void {
    this.#clearIdle(slot);
    if (this.#slots.delete(slot)) {
      // It failed by itself (crash, exit, out of memory) and was terminated: its stack may stay.
      this.#killed();
      this.#dispatch();
    }
  }
}
