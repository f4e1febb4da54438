/**
 * The shape of `stats()`'s figures, apart from the pool so that the public declarations need
 * nothing of the pool's internals.
 * @module
 */

import type { Percentiles } from "./histogram.js";

/** A snapshot of the pool's work; see `stats()`. */
export interface PoolStats {
  /** Live workers (busy or idle, and any finishing a cancelled task on Deno or Bun). */
  readonly workers: number;
  /** Workers running at least one task that has not been cancelled. */
  readonly busy: number;
  /** Tasks waiting for a worker. */
  readonly queued: number;
  /** Tasks that returned, since the start or the last reset. */
  readonly completed: number;
  /** Tasks that threw, or whose worker died, since the start or the last reset. */
  readonly failed: number;
  /** Tasks cancelled by their signal or timeout, since the start or the last reset. */
  readonly cancelled: number;
  /**
   * The share of the workers' capacity (`maxWorkers` × elapsed time) spent running tasks since
   * the start or the last reset, from 0 to 1.
   */
  readonly utilization: number;
  /** How long tasks ran, in milliseconds. */
  readonly runTimeMs: Percentiles;
  /** How long tasks waited in the queue for a worker, in milliseconds. */
  readonly waitTimeMs: Percentiles;
}
