/**
 * How many workers fit in the shared memory.
 *
 * Every worker that joins the module takes a stack ({@link WORKER_STACK_SIZE}) and a TLS block in
 * the one shared memory, which can grow only up to the maximum its module declares (1 GiB by
 * default). A worker whose stack does not fit traps while it joins, and the glue's thread start-up
 * does not recover from that: every later worker then hangs while joining. So workers are only
 * ever started when their stack fits:
 *
 * - `configure({ maxWorkers })` refuses a bound above {@link workerCapacity}: the memory's maximum,
 *   less its initial size (static data, the main thread's stack) and the analyzer's share, divided
 *   by {@link WORKER_FOOTPRINT};
 * - the pool counts the workers of the whole process (`liveWorkers`, which includes workers
 *   started by hand) plus those it is starting, and starts none beyond the capacity
 *   ({@link roomForWorkers});
 * - data shares that room with the stacks: each worker's {@link WORKER_FOOTPRINT} is charged to
 *   the same budget as primitives, structs and messages before it starts (`reserveShared`, in
 *   WorkerHost), so a worker whose stack would not fit fails to start instead.
 * @module
 */

import { core, WORKER_STACK_SIZE } from "../core/module.js";
import { ANALYZER_SHARE, coreMemoryLimits } from "../core/memory_limits.js";
import { memoryBytes } from "../core/memory.js";

/** One page of Wasm memory. */
const PAGE = 65536;

/**
 * Bytes one worker takes in the shared memory: its stack, plus one page for its TLS block, the
 * thread's own allocations and the allocator's headers (about 11 KiB measured).
 */
export const WORKER_FOOTPRINT = WORKER_STACK_SIZE + PAGE;

/** The most a 32-bit Wasm memory can hold, for a module whose declared maximum is unknown. */
const WASM32_MAXIMUM = 2 ** 32;

/** How the capacity was computed, for messages. */
export interface Capacity {
  /** Workers whose stacks fit, for the whole process. */
  readonly workers: number;
  /** The memory's maximum, in bytes. */
  readonly maximum: number;
}

let computed: Capacity | undefined;
/** Stacks of killed workers that nobody could free (runtimes that do not report a thread's end). */
let leaked = 0;

/** The number of workers whose stacks fit in the shared memory next to everything else. */
export function workerCapacity(): Capacity {
  if (computed !== undefined) return computed;
  const limits = coreMemoryLimits() ?? { initial: memoryBytes(), maximum: WASM32_MAXIMUM };
  const free = limits.maximum - limits.initial - ANALYZER_SHARE;
  computed = { workers: Math.max(1, Math.floor(free / WORKER_FOOTPRINT)), maximum: limits.maximum };
  return computed;
}

/**
 * How many more workers may start now, with `starting` workers of this pool already starting
 * (not yet counted as live).
 */
export function roomForWorkers(starting: number): number {
  return workerCapacity().workers - core.liveWorkers() - leaked - starting;
}

/**
 * Records the stack of a worker that was terminated while its thread may still have been running,
 * on a runtime that does not report when the thread stopped: it stays allocated for good (see
 * WorkerHost), and takes the place of one worker.
 */
export function stackLeaked(): void {
  leaked++;
}

/** `bytes` in the largest binary unit that shows it exactly: "1 GiB", "512 MiB", "2112 KiB". */
export function formatBytes(bytes: number): string {
  if (bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GiB`;
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
