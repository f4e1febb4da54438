/**
 * The shape of `stats()`'s figures, apart from the pool so that the public declarations need
 * nothing of the pool's internals.
 * @module
 */

import type { Percentiles } from "./histogram.js";

/** A snapshot of the pool's work; see `stats()`. */
export interface PoolStats {
  /** Live workers (busy or idle). */
  readonly workers: number;
  /** Workers running at least one task. */
  readonly busy: number;
  /** Tasks waiting for a worker. */
  readonly queued: number;
  /** Tasks that returned, threw, or were cancelled, since the start or the last reset. */
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  /**
   * The share of the workers' capacity (`maxWorkers` × elapsed time) spent running tasks since
   * the start or the last reset, from 0 to 1.
   */
  readonly utilization: number;
  /** How long tasks ran, and waited in the queue, in milliseconds. */
  readonly runTimeMs: Percentiles;
  readonly waitTimeMs: Percentiles;
}
