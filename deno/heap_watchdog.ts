/**
 * A watchdog for workers that Deno stops at their heap limit without telling anyone.
 *
 * With `resourceLimits` set, Deno installs a near-heap-limit callback (denoland/deno#32430) that
 * terminates the JavaScript running when the heap is full and raises the heap limit so that the
 * isolate survives. On Deno 2.9 the parent usually hears nothing of it: no `error`, no `exit`, and
 * the task that was running never settles. (Without `resourceLimits` there is no such callback,
 * and V8 aborts the whole process when a worker's heap is full: exit code 133.)
 *
 * Two things make it observable:
 * - the worker's heap limit (`v8.getHeapStatistics().heap_size_limit`) is higher after the
 *   callback than it was before;
 * - the worker's event loop survives when the terminated code ran in a microtask, so the Deno
 *   worker entry delivers every message from the parent in a microtask (`deferMessages`).
 *
 * While a worker is busy (calls in flight, or still starting), the parent sends it a probe every
 * {@link PROBE_INTERVAL_MS} over a channel of its own; the worker answers with its heap limit
 * ({@link answerProbes}). A limit above the one it started with means the worker hit it: it is
 * reported as out of memory, which fails its tasks with `WEFT_WORKER_OUT_OF_MEMORY` and replaces
 * it. As a last resort, a worker that answers nothing and uses no CPU for {@link SILENT_PROBES}
 * probes in a row (its event loop stopped with the code) is reported the same way; that one
 * misreads a task that blocks its thread without using CPU (`Atomics.wait`, `lockSync()`, a child
 * process run synchronously) for that long.
 * @module
 */

import { clearInterval, setInterval } from "node:timers";
import { getHeapStatistics } from "node:v8";
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import type { WorkerWatch } from "../node/ports.js";

/** How often a busy worker is probed. */
export const PROBE_INTERVAL_MS = 1000;
/** Unanswered probes, with no CPU used between them, after which the worker is given up. */
export const SILENT_PROBES = 5;

/** The key of the probe port in the worker's `workerData`. */
const PROBE_KEY = "weftProbe";

/** `Worker.prototype.cpuUsage` (Deno, Node >= 24): the worker thread's CPU time, in µs. */
type CpuUsage = () => Promise<{ user: number; system: number }>;

/** A watch for one new worker. */
export function heapLimitWatch(): WorkerWatch {
  const { port1, port2 } = new MessageChannel();
  let worker: (Worker & { cpuUsage?: CpuUsage }) | undefined;
  let raise: ((error: Error) => void) | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let answered = true;
  let silent = 0;
  let lastCpu = -1;
  let sampling = false;

  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const tick = () => {
    if (answered) {
      silent = 0;
    } else if (!sampling && typeof worker?.cpuUsage === "function") {
      sampling = true;
      worker.cpuUsage().then(
        ({ user, system }) => {
          sampling = false;
          const cpu = user + system;
          silent = cpu === lastCpu ? silent + 1 : 0;
          lastCpu = cpu;
          if (silent >= SILENT_PROBES && timer !== undefined) {
            stop();
            raise?.(outOfMemory(`it answered nothing and used no CPU for ${(SILENT_PROBES * PROBE_INTERVAL_MS) / 1000} s`));
          }
        },
        () => {
          sampling = false;
        },
      );
    }
    answered = false;
    port1.postMessage(0);
  };
  port1.on("message", (answer: unknown) => {
    answered = true;
    const limits = answer as { readonly initial: number; readonly now: number } | undefined;
    if (limits !== undefined && limits.now > limits.initial && timer !== undefined) {
      stop();
      raise?.(outOfMemory(`its heap limit was raised from ${mb(limits.initial)} to ${mb(limits.now)}`));
    }
  });
  port1.unref(); // the worker keeps the process alive while busy; its probe channel never does

  return {
    workerData: { [PROBE_KEY]: port2 },
    transferList: [port2],
    start(w, report) {
      worker = w;
      raise = report;
      this.busy(true); // a starting worker is referenced until it is ready
    },
    busy(busy) {
      if (!busy) {
        stop();
        return;
      }
      if (timer !== undefined) return;
      answered = true;
      silent = 0;
      lastCpu = -1;
      timer = setInterval(tick, PROBE_INTERVAL_MS);
      timer.unref();
    },
    stop() {
      stop();
      port1.close();
    },
  };
}

/** `bytes` in whole MB, for messages. */
function mb(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MB`;
}

/** The error Node raises for a worker over its heap limit, with what showed it here. */
function outOfMemory(evidence: string): Error {
  const error = new Error(`the worker reached its heap limit, which Deno does not report (${evidence})`);
  // The code Node gives the same event, which WorkerHost turns into WEFT_WORKER_OUT_OF_MEMORY.
  (error as Error & { code: string }).code = "ERR_WORKER_OUT_OF_MEMORY";
  return error;
}

/**
 * In a worker, first thing: answers the parent's probes, if it sent a probe port in `workerData`,
 * with this isolate's heap limit now and as it was when the worker started.
 */
export function answerProbes(workerData: unknown): void {
  const port = (workerData as Record<string, unknown> | null | undefined)?.[PROBE_KEY] as MessagePort | undefined;
  if (port === undefined) return;
  const initial = getHeapStatistics().heap_size_limit;
  port.on("message", () => port.postMessage({ initial, now: getHeapStatistics().heap_size_limit }));
  port.unref();
}
