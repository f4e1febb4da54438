/**
 * The one threaded Wasm module and its shared memory.
 *
 * The first isolate of a process tree that imports weft loads the module ({@link loadCore}): it
 * compiles the .wasm once and lets the glue create the shared `WebAssembly.Memory`. Every worker
 * weft starts receives that compiled `WebAssembly.Module` and that memory in its first message and
 * joins them ({@link joinCore}) without recompiling, so all threads see the same heap at the same
 * addresses.
 *
 * Thread resources: each joining thread gets a stack and a TLS block of its own, allocated in the
 * shared heap by the glue's start function. They must be freed before the thread goes away:
 * either by the thread itself ({@link destroyThisThread}) or, once the thread has certainly
 * stopped, by any other thread from the addresses it reported ({@link destroyThread}).
 * @module
 */

import { coreLoadFailed, coreMismatch, noSharedMemory } from "../errors.js";
import { runtime } from "../runtime.js";
import { coreMemoryLimits, importedMemoryLimits, type MemoryLimits, recordMemoryLimits, sharedBudget } from "./memory_limits.js";
import { VERSION } from "../version.js";
import * as glue from "../wasm/weft.js";

/** Stack size of each worker thread inside the module, a multiple of 64 KiB. */
export const WORKER_STACK_SIZE = 2 * 1024 * 1024;

/** What a new worker needs to join the module: posted in its first message. */
export interface CoreInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
}

/** Where a joined thread's stack and TLS block live, so another thread can free them. */
export interface ThreadResources {
  readonly tlsBase: number;
  readonly stackAlloc: number;
  readonly stackSize: number;
}

type Exports = glue.InitOutput & {
  readonly __tls_base?: WebAssembly.Global;
  readonly __stack_alloc?: WebAssembly.Global;
};

interface Loaded {
  readonly init: CoreInit;
  readonly exports: Exports;
  /** Set on worker threads; the main thread's stack is static and never freed. */
  readonly thread: ThreadResources | null;
}

let loaded: Loaded | undefined;

function checkSharedMemory(): void {
  if (typeof SharedArrayBuffer !== "function") {
    throw noSharedMemory("SharedArrayBuffer is not defined in this isolate");
  }
  if (typeof Atomics !== "object" || typeof Atomics.wait !== "function") {
    throw noSharedMemory("Atomics is not available in this isolate");
  }
}

function checkVersion(): void {
  const version = glue.coreVersion();
  if (version !== VERSION) throw coreMismatch(VERSION, version);
}

/**
 * Where the core comes from: the URL of the `.wasm` file, or the module already compiled by the
 * runtime's module loader (Deno's `import source`, where the `.wasm` is part of the module graph),
 * with the memory limits its import section declares (read when the package was assembled).
 */
export type CoreSource = URL | { readonly module: WebAssembly.Module; readonly limits: MemoryLimits; readonly url: URL };

/**
 * Loads the core as the first thread of this process tree; a no-op when this isolate already
 * loaded or joined it. Synchronous (a file read and a synchronous compile, which server runtimes
 * allow for a module of any size), so that the package entry has no top-level await and can be
 * `require`d from CommonJS.
 */
export function loadCore(source: CoreSource): void {
  if (loaded !== undefined) return;
  checkSharedMemory();
  const wasmUrl = source instanceof URL ? source : source.url;
  let module: WebAssembly.Module;
  if (source instanceof URL) {
    try {
      const bytes = runtime().readFileSync(source);
      module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      recordMemoryLimits(importedMemoryLimits(bytes));
    } catch (cause) {
      throw coreLoadFailed(source, cause);
    }
  } else {
    module = source.module;
    recordMemoryLimits(source.limits);
  }
  let exports: Exports;
  try {
    exports = glue.initSync({ module }) as Exports;
  } catch (cause) {
    throw coreLoadFailed(wasmUrl, cause);
  }
  const memory = exports.memory;
  if (!(memory.buffer instanceof SharedArrayBuffer)) {
    throw noSharedMemory("the module's memory was created unshared");
  }
  loaded = { init: { module, memory }, exports, thread: null };
  checkVersion();
  // Before any data is allocated; workers share the budget (a static of the module).
  const limits = coreMemoryLimits();
  if (limits !== undefined) glue.setSharedBudget(sharedBudget(limits));
}

/** Joins the module and memory posted by the parent. Called once, first thing in a worker. */
export function joinCore(init: CoreInit): ThreadResources {
  if (loaded !== undefined) {
    throw new Error("Cannot join weft's core module as this isolate has already loaded it");
  }
  checkSharedMemory();
  const exports = glue.initSync({
    module: init.module,
    memory: init.memory,
    thread_stack_size: WORKER_STACK_SIZE,
  }) as Exports;
  const thread: ThreadResources = {
    tlsBase: exports.__tls_base?.value ?? 0,
    stackAlloc: exports.__stack_alloc?.value ?? 0,
    stackSize: WORKER_STACK_SIZE,
  };
  loaded = { init, exports, thread };
  checkVersion();
  return thread;
}

/** True once this isolate has loaded or joined the module. */
export function isCoreReady(): boolean {
  return loaded !== undefined;
}

/**
 * True in a weft worker: an isolate that joined the module a parent posted to it (as opposed to
 * the root thread, which loaded it). Tasks spawned here go to the parent, blocking waits are
 * allowed, and the parent answers blocking requests.
 */
export function isWorkerThread(): boolean {
  return loaded !== undefined && loaded.thread !== null;
}

function current(): Loaded {
  if (loaded === undefined) {
    throw new Error("weft's core module is not loaded yet: import weft from its package entry");
  }
  return loaded;
}

/** The module and memory to post to a new worker. */
export function coreInit(): CoreInit {
  return current().init;
}

/** The shared memory. */
export function coreMemory(): WebAssembly.Memory {
  return current().init.memory;
}

/** The wasm-bindgen functions, once the module is loaded or joined. */
export const core: typeof glue = glue;

/**
 * Frees this worker's stack and TLS block. Nothing may call into the module on this thread
 * afterwards; the worker is about to be terminated.
 */
export function destroyThisThread(): void {
  const { exports, thread } = current();
  if (thread === null) throw new Error("Cannot destroy the main thread's stack: it is static");
  exports.__wbindgen_thread_destroy();
}

/**
 * Frees the stack and TLS block of another worker that has certainly stopped running (its thread
 * has exited). Must be called at most once per worker.
 */
export function destroyThread(thread: ThreadResources): void {
  if (thread.tlsBase === 0 || thread.stackAlloc === 0) return;
  current().exports.__wbindgen_thread_destroy(thread.tlsBase, thread.stackAlloc, thread.stackSize);
}
