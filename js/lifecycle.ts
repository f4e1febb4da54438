/**
 * `configure()`, `stats()` and `shutdown()`: the pool's settings, its figures and its end.
 *
 * Every setting is checked before any takes effect: a value of the wrong type, outside the range
 * that works, or unknown to the runtime is refused with a `WEFT_INVALID_ARGUMENT` `WeftError` that
 * names the option and the range it accepts, and the previous settings stay in force. The ranges
 * are those that cannot crash the process: a worker given too small a heap or stack brings down
 * the whole process on Node and Deno rather than failing alone.
 * @module
 */

import { invalidArgument, invalidValue, resourceLimitsIgnored, warn, WeftError } from "./errors.js";
import { isWorkerThread } from "./core/module.js";
import { formatBytes, WORKER_FOOTPRINT, workerCapacity } from "./pool/capacity.js";
import type { PoolOptions } from "./pool/pool.js";
import type { PoolStats } from "./pool/stats.js";
import { poolOptions, rootPool, setPoolOptions } from "./pool/submit.js";
import { type ResourceLimit, runtime } from "./runtime.js";
import { clearSpawnCaches } from "./spawn/spawn.js";

/** Settings of the worker pool; every field is optional. */
export interface ConfigureOptions {
  /**
   * Upper bound of live workers (default: hardware threads). At most as many as the shared memory
   * has room for: `configure` names the bound when a value is above it.
   */
  readonly maxWorkers?: number;
  /** Idle workers are closed after this many milliseconds (default 30,000; at most 2³¹ − 1). */
  readonly idleTimeoutMs?: number;
  /**
   * Per-worker engine limits in MB (`maxOldGenerationSizeMb`, `maxYoungGenerationSizeMb`,
   * `codeRangeSizeMb`, `stackSizeMb`), for tasks started afterwards; a task whose worker exceeds
   * them is rejected with `WEFT_WORKER_OUT_OF_MEMORY` and the worker replaced. Node and Deno honour
   * them, each within its own ranges; Bun ignores them (a warning says so). `{}` removes them.
   */
  readonly resourceLimits?: ResourceLimits;
}

/** Per-worker engine limits, in MB; see {@link ConfigureOptions.resourceLimits}. */
export interface ResourceLimits {
  /** The main heap. */
  readonly maxOldGenerationSizeMb?: number;
  /** The heap of recently created objects. */
  readonly maxYoungGenerationSizeMb?: number;
  /** The memory reserved for compiled code. */
  readonly codeRangeSizeMb?: number;
  /** The thread's stack. */
  readonly stackSizeMb?: number;
}

/** The largest delay timers take: above it `setTimeout` fires at once (with a warning on Node). */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

const OPTIONS: readonly (keyof ConfigureOptions)[] = ["maxWorkers", "idleTimeoutMs", "resourceLimits"];
/** The limits: the public {@link ResourceLimits} and the runtime interface's `ResourceLimit`, alike. */
const LIMITS = [
  "maxOldGenerationSizeMb",
  "maxYoungGenerationSizeMb",
  "codeRangeSizeMb",
  "stackSizeMb",
] as const satisfies readonly (keyof ResourceLimits & ResourceLimit)[];

let warnedIgnoredLimits = false;

function integerIn(option: string, value: unknown, min: number, max: number, why: string): number {
  const expected = `an integer from ${min} to ${max} (${why})`;
  if (typeof value !== "number") throw invalidArgument(`configure ${option}`, expected, value);
  if (!Number.isInteger(value) || value < min || value > max) throw invalidValue(`configure ${option}`, expected, value);
  return value;
}

function checkMaxWorkers(value: unknown): number {
  const capacity = workerCapacity();
  const why =
    `weft's shared memory of ${formatBytes(capacity.maximum)} holds the stacks of ${capacity.workers} ` +
    `workers, ${formatBytes(WORKER_FOOTPRINT)} each, beside the analyzer's share`;
  return integerIn("maxWorkers", value, 1, capacity.workers, why);
}

function checkIdleTimeout(value: unknown): number {
  return integerIn("idleTimeoutMs", value, 1, MAX_TIMER_DELAY, "the largest delay a timer takes");
}

function checkResourceLimits(value: unknown): PoolOptions["resourceLimits"] {
  const what = "configure resourceLimits";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(what, `an object with some of ${LIMITS.join(", ")}`, value);
  }
  const ranges = runtime().resourceLimits;
  const out: Partial<Record<ResourceLimit, number>> = {};
  for (const [key, limit] of Object.entries(value)) {
    if (limit === undefined) continue;
    if (!(LIMITS as readonly string[]).includes(key)) {
      throw invalidValue(what, `only the limits ${LIMITS.join(", ")}`, key);
    }
    const name = key as ResourceLimit;
    const range = ranges?.[name];
    const expected =
      range === undefined ? "a positive number of MB" : `a number of MB from ${range.min} to ${range.max} (${range.why})`;
    if (typeof limit !== "number") throw invalidArgument(`${what}.${name}`, expected, limit);
    const fits = range === undefined ? Number.isFinite(limit) && limit > 0 : limit >= range.min && limit <= range.max;
    if (!fits) throw invalidValue(`${what}.${name} on ${runtime().name}`, expected, limit);
    out[name] = limit;
  }
  if (ranges === undefined && Object.keys(out).length > 0 && !warnedIgnoredLimits) {
    warnedIgnoredLimits = true;
    warn(resourceLimitsIgnored(runtime().name));
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Changes the pool's settings. Takes effect for tasks started afterwards. A value that does not
 * fit throws a `WEFT_INVALID_ARGUMENT` `WeftError` and changes nothing.
 *
 * @example
 * ```ts
 * import { configure } from "weft";
 * configure({ maxWorkers: 4, idleTimeoutMs: 5_000 });
 * ```
 */
export function configure(options: ConfigureOptions): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalidArgument("configure", "an options object", options);
  }
  for (const key of Object.keys(options)) {
    if (!(OPTIONS as readonly string[]).includes(key)) {
      throw invalidValue("configure", `only the options ${OPTIONS.join(", ")}`, key);
    }
  }
  const current = poolOptions();
  const next: PoolOptions = {
    maxWorkers: options.maxWorkers === undefined ? current.maxWorkers : checkMaxWorkers(options.maxWorkers),
    idleTimeoutMs: options.idleTimeoutMs === undefined ? current.idleTimeoutMs : checkIdleTimeout(options.idleTimeoutMs),
    resourceLimits:
      options.resourceLimits === undefined ? current.resourceLimits : checkResourceLimits(options.resourceLimits),
  };
  setPoolOptions(next);
}

/**
 * Rejects every queued and running task with a `WEFT_SHUTDOWN` `WeftError`, ends every worker, and
 * clears weft's caches. Resolves once every worker is gone, including one that was still starting
 * (it is closed as soon as it has joined; one that takes more than 5 s to start is left to close
 * itself). Spawning afterwards starts new workers.
 *
 * @example
 * ```ts
 * import { shutdown } from "weft";
 * await shutdown();
 * ```
 */
export async function shutdown(): Promise<void> {
  clearSpawnCaches();
  await rootPool()?.shutdown();
}

/**
 * What the pool is doing and has done: live and busy workers, queued tasks, tasks completed,
 * failed and cancelled, the share of the workers' capacity used, and percentiles of how long tasks
 * ran and waited (from fixed-size histograms, within about 3 %). Counts and times are since the
 * first task or the last `stats({ reset: true })`, which returns the figures and starts anew. On
 * the thread that imported weft first; inside a worker it throws, as tasks spawned there run in
 * that thread's pool.
 *
 * @example
 * ```ts
 * import { stats } from "weft";
 * const { busy, queued, runTimeMs } = stats();
 * console.log(`${busy} busy, ${queued} queued, p99 ${runTimeMs.p99} ms`);
 * ```
 */
export function stats(options?: { readonly reset?: boolean }): PoolStats {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw invalidArgument("stats", "an options object { reset }", options);
  }
  if (isWorkerThread()) {
    throw new WeftError(
      "WEFT_INVALID_ARGUMENT",
      "Cannot call stats() inside a weft worker: the pool lives in the thread that imported weft " +
        "first, where tasks spawned in workers run too; call it there",
    );
  }
  const pool = rootPool();
  if (pool !== undefined) return pool.stats(options?.reset === true);
  const none = { p50: 0, p90: 0, p99: 0, max: 0 };
  return { workers: 0, busy: 0, queued: 0, completed: 0, failed: 0, cancelled: 0, utilization: 0, runTimeMs: none, waitTimeMs: none };
}
