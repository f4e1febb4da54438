/**
 * `configure()` and `shutdown()`: the pool's settings and its end.
 * @module
 */

import { invalidArgument } from "./errors.js";
import { clearSpawnCaches } from "./spawn/spawn.js";
import { poolOptions, rootPool, setPoolOptions } from "./pool/submit.js";

/** Settings of the worker pool; every field is optional. */
export interface ConfigureOptions {
  /** Upper bound of live workers (default: hardware threads). */
  readonly maxWorkers?: number;
  /** Idle workers are closed after this many milliseconds (default 30,000). */
  readonly idleTimeoutMs?: number;
  /**
   * Node's per-worker limits (`maxOldGenerationSizeMb`, `maxYoungGenerationSizeMb`,
   * `codeRangeSizeMb`, `stackSizeMb`); a task whose worker exceeds them is rejected and the
   * worker replaced. Ignored on Deno and Bun.
   */
  readonly resourceLimits?: Readonly<Record<string, number>>;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalidArgument(`configure ${name}`, "a positive integer", value);
  }
  return value;
}

/**
 * Changes the pool's settings. Takes effect for tasks started afterwards.
 *
 * @example
 * ```ts
 * import { configure } from "weft";
 * configure({ maxWorkers: 4, idleTimeoutMs: 5_000 });
 * ```
 */
export function configure(options: ConfigureOptions): void {
  if (typeof options !== "object" || options === null) {
    throw invalidArgument("configure", "an options object", options);
  }
  const current = poolOptions();
  setPoolOptions({
    maxWorkers: options.maxWorkers === undefined ? current.maxWorkers : positiveInteger("maxWorkers", options.maxWorkers),
    idleTimeoutMs:
      options.idleTimeoutMs === undefined ? current.idleTimeoutMs : positiveInteger("idleTimeoutMs", options.idleTimeoutMs),
    resourceLimits: options.resourceLimits === undefined ? current.resourceLimits : { ...options.resourceLimits },
  });
}

/**
 * Terminates every worker, rejects every queued and running task with a `WEFT_SHUTDOWN`
 * `WeftError`, and clears weft's caches. Spawning afterwards starts new workers.
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
