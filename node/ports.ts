/**
 * {@link WorkerPort} and {@link ParentPort} over `node:worker_threads`, shared by the Node and
 * Deno adapters (Deno implements the module; unlike its web Workers, these can be unref'd, so an
 * idle pool does not keep the process alive).
 * @module
 */

import { isMainThread, parentPort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { LimitRange, ParentPort, ResourceLimit, StartWorkerOptions, WorkerPort } from "../js/runtime.js";

/**
 * Watches a worker from the parent side: `start` gets the worker (and its `workerData`, filled
 * before the worker is created) and a way to report an error as if the worker had raised it;
 * `busy` is told whether the worker keeps the process alive (calls in flight) or not.
 */
export interface WorkerWatch {
  readonly workerData: Record<string, unknown>;
  readonly transferList: readonly Transferable[];
  start(worker: Worker, raise: (error: Error) => void): void;
  busy(busy: boolean): void;
  stop(): void;
}

/**
 * Starts the worker entry at `url`, watched by `watch` if given. The worker's `workerData` is the
 * watch's, or else `data`.
 */
export function startThreadWorker(url: URL, options: StartWorkerOptions, watch?: WorkerWatch, data?: Record<string, unknown>): WorkerPort {
  const workerData = watch === undefined ? data : watch.workerData;
  const worker = new Worker(url, {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    ...(workerData === undefined ? {} : { workerData }),
    ...(watch === undefined ? {} : { transferList: [...watch.transferList] as never }),
  });
  const errorListeners: ((error: unknown) => void)[] = [];
  worker.on("exit", () => watch?.stop());
  watch?.start(worker, (error) => {
    for (const listener of errorListeners) listener(error);
  });
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as never),
    onMessage: (listener) => void worker.on("message", listener),
    onError: (listener) => {
      errorListeners.push(listener);
      worker.on("error", listener);
    },
    onExit: (listener) => void worker.on("exit", listener),
    terminate: async () => {
      watch?.stop();
      await worker.terminate();
    },
    ref: () => {
      watch?.busy(true);
      worker.ref();
    },
    unref: () => {
      watch?.busy(false);
      worker.unref();
    },
  };
}

/**
 * This thread's parent, or `null` on the main thread. With `deferMessages`, each message is handled
 * in a microtask rather than in the port's event (see deno/heap_watchdog.ts for why).
 */
export function threadParentPort(deferMessages = false): ParentPort | null {
  if (isMainThread || parentPort === null) return null;
  const port = parentPort;
  return {
    postMessage: (message, transfer) => port.postMessage(message, transfer as never),
    onMessage: (listener) =>
      void port.on("message", deferMessages ? (message: unknown) => queueMicrotask(() => listener(message)) : listener),
    // Not where messages are deferred (Deno, whose parent port `receiveMessageOnPort` also
    // refuses as not a MessagePort): a message taken here would run outside that microtask.
    ...(deferMessages
      ? {}
      : {
          takeWaiting: () => {
            try {
              return receiveMessageOnPort(port)?.message;
            } catch {
              return undefined;
            }
          },
        }),
    // Caught here rather than left to the runtime: Node would deliver them through the Worker's
    // 'error' event, but Deno can abort the whole process when such an error races with the
    // worker's termination.
    onUncaught: (listener) => {
      process.on("uncaughtException", listener);
      process.on("unhandledRejection", listener);
    },
  };
}

/** V8 heaps stay far below this: larger values only ask for address space. */
const MAX_HEAP_MB = 1 << 20;

/**
 * The `resourceLimits` ranges of `node:worker_threads` on V8 runtimes (Node, and Deno's
 * implementation of the module), as measured on Node 22, Node 24 and Deno 2.
 *
 * Both runtimes pass the values to V8 or to the thread unchecked, and a bad one takes the whole
 * process down rather than the worker:
 * - `maxOldGenerationSizeMb` of 0–2 on Node, 0–4 on Deno: V8 runs out of heap while it sets the
 *   isolate up, and aborts the process (exit code 133); a little more and weft's worker cannot
 *   load (Deno then hangs instead of reporting it);
 * - `stackSizeMb` below 0.25 on Node: the stack left after Node's 192 KiB guard is too small for
 *   its own start-up, and the process segfaults (exit code 139); 1 to 1.5 on Deno: Deno sizes the
 *   thread's stack from it but V8 keeps its default limit, so a deep recursion overflows the
 *   thread and aborts the process (exit code 134);
 * - a `codeRangeSizeMb` of terabytes: the address space cannot be reserved, and V8 aborts.
 *
 * `minStackMb` is the runtime's smallest safe `stackSizeMb`, `stackWhy` says why.
 */
export function v8ResourceLimits(minStackMb: number, stackWhy: string): Readonly<Record<ResourceLimit, LimitRange>> {
  return {
    maxOldGenerationSizeMb: {
      min: 16,
      max: MAX_HEAP_MB,
      why: "below it a worker cannot even load, and very small heaps abort the whole process",
    },
    maxYoungGenerationSizeMb: { min: 1, max: MAX_HEAP_MB, why: "the young generation's size" },
    codeRangeSizeMb: {
      min: 1,
      max: 4096,
      why: "larger code ranges only reserve address space, and a reservation the system refuses aborts the process",
    },
    stackSizeMb: { min: minStackMb, max: 1024, why: stackWhy },
  };
}
