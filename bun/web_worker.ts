/**
 * {@link WorkerPort} and {@link ParentPort} over the web platform's `Worker` and worker global
 * scope, shared by the adapters whose runtime implements them (Deno, Bun; later browsers).
 * @module
 */

import type { ParentPort, WorkerPort } from "../js/runtime.js";

/** Runtime-specific extras some `Worker` implementations have (Bun: `ref`/`unref`). */
interface WorkerExtras {
  ref?(): void;
  unref?(): void;
}

/** The longest `terminate()` waits for the worker's `close` event, in milliseconds. */
const CLOSE_WAIT_MS = 1_000;

/** Wraps a web `Worker`. `onExit` fires for runtimes that emit a `close` event (Bun). */
export function webWorkerPort(worker: Worker): WorkerPort {
  const extras = worker as Worker & WorkerExtras;
  let exitListener: ((code: number | null) => void) | undefined;
  let exited = false;
  let terminated = false;
  let closed!: () => void;
  const closing = new Promise<void>((resolve) => (closed = resolve));
  const exit = (code: number | null) => {
    if (exited) return;
    exited = true;
    exitListener?.(code);
  };
  worker.addEventListener("close", (event) => {
    const code = (event as Event & { code?: unknown }).code;
    closed();
    exit(terminated || typeof code !== "number" ? null : code);
  });
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    onMessage: (listener) => worker.addEventListener("message", (e) => listener((e as MessageEvent).data)),
    onError: (listener) => {
      worker.addEventListener("error", (event) => {
        // Handled here: without preventDefault the error would be rethrown in this isolate.
        event.preventDefault();
        const e = event as ErrorEvent;
        listener(e.error ?? new Error(e.message || "the worker raised an error"));
      });
      worker.addEventListener("messageerror", (event) => {
        listener(new Error(`a message from the worker could not be deserialised: ${String((event as MessageEvent).data)}`));
      });
    },
    onExit: (listener) => {
      exitListener = listener;
    },
    // Bun emits `close` once the terminated worker's thread has stopped, a few milliseconds
    // later; a runtime that emits none is taken at its word after CLOSE_WAIT_MS.
    terminate: async () => {
      terminated = true;
      worker.terminate();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([closing, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
      exit(null);
    },
    ref: () => extras.ref?.(),
    unref: () => extras.unref?.(),
  };
}

/** The parent port of a web worker, given its global scope. */
export function webParentPort(scope: {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}): ParentPort {
  return {
    postMessage: (message, transfer) => scope.postMessage(message, transfer ?? []),
    onMessage: (listener) => scope.addEventListener("message", (e) => listener((e as MessageEvent).data)),
    onUncaught: (listener) => {
      scope.addEventListener("error", (e) => {
        e.preventDefault();
        listener((e as ErrorEvent).error ?? new Error((e as ErrorEvent).message));
      });
      scope.addEventListener("unhandledrejection", (e) => {
        e.preventDefault();
        listener((e as PromiseRejectionEvent).reason);
      });
    },
  };
}
