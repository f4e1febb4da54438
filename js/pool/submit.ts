/**
 * Where this isolate sends the tasks it spawns: to its own pool on the root thread, to its parent
 * inside a weft worker (see pool.ts for why workers do not start workers).
 * @module
 */

import type { Task } from "../protocol/messages.js";
import { type Cancel, Pool, type PoolOptions } from "./pool.js";
import { nestedCancel } from "../errors.js";
import { runtime } from "../runtime.js";

type Forward = (task: Task) => Promise<unknown>;

let forward: Forward | undefined;
let pool: Pool | undefined;
let options: PoolOptions | undefined;

/** Called by the worker entry: tasks spawned here go to the parent. */
export function forwardTasks(to: Forward): void {
  forward = to;
}

/** The default pool settings of this machine. */
export function defaultPoolOptions(): PoolOptions {
  return { maxWorkers: Math.max(1, runtime().hardwareConcurrency()), idleTimeoutMs: 30_000, resourceLimits: undefined };
}

/** The current pool settings. */
export function poolOptions(): PoolOptions {
  return (options ??= defaultPoolOptions());
}

/** Replaces the pool settings of the root thread. */
export function setPoolOptions(next: PoolOptions): void {
  options = next;
  pool?.configure(next);
}

/**
 * Runs a task somewhere in the pool. `cancel` (a signal, a timeout) is honoured on the root
 * thread; inside a worker, a task is cancelled with the task that spawned it.
 */
export function submit(task: Task, cancel?: Cancel): Promise<unknown> {
  if (forward !== undefined) {
    if (cancel !== undefined) return Promise.reject(nestedCancel(task.what));
    return forward(task);
  }
  pool ??= new Pool(poolOptions());
  return pool.run(task, cancel);
}

/** About to submit a task that needs some preparation first: on the root thread, start a worker meanwhile. */
export function prepareToSubmit(): void {
  if (forward !== undefined) return;
  pool ??= new Pool(poolOptions());
  pool.prestart();
}

/** The root pool, if one was started on this thread. */
export function rootPool(): Pool | undefined {
  return pool;
}

