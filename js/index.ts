/**
 * weft: real parallelism for server-side JavaScript and TypeScript.
 *
 * The public API. Each runtime's package entry (`node/mod.ts`, `deno/mod.ts`, `bun/mod.ts`)
 * installs its adapter, loads the threaded core, and re-exports this module.
 * @module
 */

import type { WorkerScript } from "./spawn/spawn.js";

export { PoisonError, WeftError, type WeftErrorCode } from "./errors.js";
export { configure, shutdown, stats, type ConfigureOptions, type ResourceLimits } from "./lifecycle.js";
export type { PoolStats } from "./pool/stats.js";
export type { Percentiles } from "./pool/histogram.js";
export { Barrier, type BarrierWaitResult } from "./sync/barrier.js";
export { Channel } from "./sync/channel.js";
export { Condvar } from "./sync/condvar.js";
export { Global } from "./sync/global.js";
export { Mutex, MutexGuard } from "./sync/mutex.js";
export { RwLock, RwLockGuard, RwLockReadGuard, RwLockWriteGuard } from "./sync/rwlock.js";
export { Permit, Semaphore } from "./sync/semaphore.js";
export {
  SharedStruct,
  type SharedArrayOf,
  type SharedFieldType,
  type SharedFieldValue,
  type SharedInit,
  type SharedIntegerField,
  type SharedIntegerType,
  type SharedLayout,
  type SharedScalarType,
  type SharedStructClass,
  type SharedStructInstance,
  type SharedStructMethods,
} from "./sync/shared_struct.js";
export { WaitGroup } from "./sync/wait_group.js";
export { spawn, type SpawnOptions, type WorkerScript, type WorkerScriptResult } from "./spawn/spawn.js";
export type { AbortSignalLike, WaitOptions } from "./sync/waiting.js";
export { VERSION as version } from "./version.js";

declare global {
  /**
   * weft's overload of the global `eval`: evaluating the script `spawn` returned starts the task
   * and yields a promise of the closure's result.
   */
  function eval<T>(script: WorkerScript<T>): Promise<T>;
}
