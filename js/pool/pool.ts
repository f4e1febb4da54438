/**
 * The bounded worker pool of the root thread (the isolate that loaded weft first).
 *
 * - At most `maxWorkers` workers (default: hardware concurrency); tasks beyond them wait in a FIFO
 *   queue. Any worker can run any task: a task names an ES module URL and an export to call.
 * - Pipelining: while the queue holds at least two tasks per worker (a burst of small tasks), each
 *   worker is sent one task beyond the one it runs, so it starts the next without waiting for a
 *   round-trip through this thread. With a short queue, tasks go only to free workers, so the last
 *   tasks of a burst go to whichever worker frees first.
 * - Nested spawns: workers never start workers of their own; a task spawned inside a worker is
 *   forwarded to this pool. A worker whose running tasks are all waiting for tasks they spawned
 *   counts as free, so a recursion deeper than `maxWorkers` (a parallel fib, say) always has a
 *   worker for its innermost tasks and cannot deadlock. Idle workers are preferred over such
 *   waiting ones.
 * - Liveness: a worker with calls in flight keeps the process alive; an idle one does not
 *   (WorkerHost refs/unrefs it). Idle workers are closed after `idleTimeoutMs`, with timers that do
 *   not keep the process alive either.
 * - `shutdown()` kills every worker, rejects every queued and in-flight task with
 *   `WEFT_SHUTDOWN`, and leaves the pool usable: the next task starts new workers.
 * - A worker that dies (exit, crash, out of memory) fails only its own tasks, with an error
 *   carrying its exit code, and is replaced on demand.
 * @module
 */

import { shutDown } from "../errors.js";
import type { ModuleRef } from "../spawn/modules.js";
import { runtime } from "../runtime.js";
import { WorkerHost } from "./host.js";

/** Pool settings; see {@link configure}. */
export interface PoolOptions {
  /** Upper bound of live workers. Default: the number of hardware threads. */
  maxWorkers: number;
  /** An idle worker is closed after this long. Default: 30,000 ms. */
  idleTimeoutMs: number;
  /** Node's per-worker heap limits (`maxOldGenerationSizeMb`, …); ignored elsewhere. */
  resourceLimits: Readonly<Record<string, number>> | undefined;
}

/**
 * One unit of work: call export `name` of a module with `args`. The module is a URL, or a
 * generated module whose source the pool sends to each worker the first time only.
 */
export interface Task {
  readonly target: string | ModuleRef;
  readonly name: string;
  readonly args: readonly unknown[];
  readonly transfer: Transferable[];
  /** `args` hold encoded weft primitives (protocol/handles.ts) to revive on arrival. */
  readonly handles: boolean;
  /** What the task is, for error messages (e.g. "the task spawned at file:///a.js:3:9"). */
  readonly what: string;
}

interface Slot {
  readonly host: WorkerHost;
  /** Tasks running on this worker. */
  running: number;
  /** Tasks spawned from this worker that have not settled (its tasks are waiting on them). */
  children: number;
  /** Generated modules this worker has received, by key: the number it knows each one by. */
  readonly known: Map<string, number>;
  /** When the worker last finished a task (ms since the epoch). */
  idleSince: number;
  /** The reaper timer, armed while the worker is alive; re-armed lazily, not per task. */
  idleTimer: unknown;
}

interface Queued {
  readonly task: Task;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class Pool {
  #options: PoolOptions;
  #slots = new Set<Slot>();
  /** FIFO of waiting tasks: `#queue[#head]` is the oldest. */
  #queue: Queued[] = [];
  #head = 0;
  #starting = 0;
  /** Bumped by shutdown so that workers still starting are discarded. */
  #generation = 0;

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

  /** Live and starting workers. */
  get size(): number {
    return this.#slots.size + this.#starting;
  }

  /** Runs `task` on some worker; settles with its result or error. */
  run(task: Task): Promise<unknown> {
    return this.#enqueue(task);
  }

  /**
   * Starts a worker now if the pool has none, ahead of a task that is about to come (spawn calls
   * it before analysing a new call site, so that the worker starts while the analysis runs).
   */
  prestart(): void {
    if (this.size === 0 && this.#options.maxWorkers > 0) this.#startWorker();
  }

  /** Kills every worker and rejects every queued and running task. */
  async shutdown(): Promise<void> {
    this.#generation++;
    const queued = this.#takeAll();
    for (const q of queued) q.reject(shutDown(q.task.what));
    const slots = [...this.#slots];
    this.#slots.clear();
    await Promise.all(
      slots.map((slot) => {
        this.#clearIdle(slot);
        return slot.host.kill(shutDown);
      }),
    );
  }

  #enqueue(task: Task): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const queued = { task, resolve, reject };
      if (this.#waiting === 0) {
        // Fast path: straight to an idle worker when nothing waits before this task.
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
      for (const slot of this.#slots) {
        if (slot.running === 0) {
          target = slot;
          break;
        }
        if (waiting === undefined && slot.running <= slot.children) waiting = slot;
        if (burst && pipelined === undefined && slot.running - slot.children < 2) pipelined = slot;
      }
      if (target === undefined && this.size < this.#options.maxWorkers) {
        while (this.#starting < this.#waiting && this.size < this.#options.maxWorkers) {
          this.#startWorker();
        }
        return;
      }
      target ??= waiting ?? pipelined;
      if (target === undefined) return;
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

  #startWorker(): void {
    const generation = this.#generation;
    this.#starting++;
    const limits = this.#options.resourceLimits;
    WorkerHost.start({ name: "weft", ...(limits === undefined ? {} : { resourceLimits: limits }) }).then(
      (host) => {
        this.#starting--;
        if (generation !== this.#generation) {
          void host.close();
          return;
        }
        const slot: Slot = { host, running: 0, children: 0, known: new Map(), idleSince: Date.now(), idleTimer: undefined };
        host.onSpawn((task) => this.#spawnFrom(slot, task));
        host.onUnusable(() => this.#lost(slot));
        this.#slots.add(slot);
        this.#dispatch();
        this.#armIdle(slot);
      },
      (error: unknown) => {
        this.#starting--;
        if (generation !== this.#generation) return;
        // Nothing can run: fail what waits rather than retry forever.
        if (this.#slots.size === 0 && this.#starting === 0) {
          for (const q of this.#takeAll()) q.reject(error);
        }
      },
    );
  }

  /** A task spawned by a task running on `slot`. */
  #spawnFrom(slot: Slot, task: Task): Promise<unknown> {
    slot.children++;
    this.#dispatch(); // the slot may have become available
    const settled = () => {
      slot.children--;
    };
    const result = this.#enqueue(task);
    result.then(settled, settled);
    return result;
  }

  #runOn(slot: Slot, queued: Queued): void {
    slot.running++;
    const { task } = queued;
    let target: string | number | ModuleRef = task.target;
    if (typeof target !== "string") {
      const index = slot.known.get(target.key);
      if (index !== undefined) {
        target = index;
      } else {
        const next = slot.known.size;
        slot.known.set(target.key, next);
        target = { ...target, index: next };
      }
    }
    slot.host.call(target, task.name, task.args, task.transfer, task.what, task.handles).then(
      (value) => {
        this.#done(slot);
        queued.resolve(value);
      },
      (error: unknown) => {
        this.#done(slot);
        queued.reject(error);
      },
    );
  }

  #done(slot: Slot): void {
    slot.running--;
    if (slot.running === 0) slot.idleSince = Date.now();
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
    if (this.#slots.delete(slot)) this.#dispatch();
  }
}
