/**
 * The one interface between weft's runtime-neutral core and a JavaScript runtime. `node/`, `deno/`
 * and `bun/` each implement it; the package's `exports` map picks one per runtime (the `node`,
 * `deno` and `bun` conditions), and that entry installs it with {@link installRuntime} before
 * anything else in weft runs. Nothing in `js/` touches a runtime's own globals (`process`, `Deno`,
 * `Bun`, `worker_threads`) except through this interface.
 * @module
 */

import { noRuntime } from "./errors.js";

/** A position in a source file, as the runtime's stack traces report it (1-based). */
export interface CallSite {
  /** The file's URL (`file:///…`, `data:…`, `https:…`). */
  readonly url: string;
  readonly line: number;
  readonly column: number;
}

/** What weft needs from a worker it started. */
export interface WorkerPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Registers the one message listener. */
  onMessage(listener: (message: unknown) => void): void;
  /** Registers the one listener for an error that escaped the worker's code. */
  onError(listener: (error: unknown) => void): void;
  /**
   * Registers the one listener for the end of the worker, with its exit code when the runtime
   * reports one (`null` when terminated or unknown).
   */
  onExit(listener: (code: number | null) => void): void;
  /** Stops the worker now. Resolves once the runtime reports it gone. */
  terminate(): Promise<void>;
  /** Whether an idle worker keeps the process alive. */
  ref(): void;
  unref(): void;
}

/** The parent side as seen from inside a worker. */
export interface ParentPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onMessage(listener: (message: unknown) => void): void;
  /**
   * Where the runtime's own report of an uncaught error loses it (a web Worker's `ErrorEvent`
   * carries only text on some runtimes): catches uncaught errors and rejections in this worker
   * instead, so that weft can send them to the parent intact.
   */
  onUncaught?(listener: (error: unknown) => void): void;
  /**
   * The next message already waiting on this port, taken synchronously, or `undefined` (none
   * waiting, or a port that cannot be read synchronously). Where it exists, a worker takes the
   * init its parent posted before it started without waiting for a turn of its event loop.
   */
  takeWaiting?(): unknown;
}

/** Options for {@link Runtime.startWorker}. */
export interface StartWorkerOptions {
  /** A name shown in debuggers and thread listings. */
  readonly name?: string;
  /**
   * Per-worker engine limits, already checked against {@link Runtime.resourceLimits}; ignored by
   * runtimes without them.
   */
  readonly resourceLimits?: Readonly<Partial<Record<ResourceLimit, number>>>;
  /**
   * The worker entry as source text (one self-contained ES module) to start the worker from,
   * instead of the runtime's entry file: set when weft was bundled into an application with its
   * build plugins, where no file of the package is at hand.
   */
  readonly source?: string;
}

/** The per-worker engine limits of `node:worker_threads` (`new Worker(url, { resourceLimits })`). */
export type ResourceLimit = "maxOldGenerationSizeMb" | "maxYoungGenerationSizeMb" | "codeRangeSizeMb" | "stackSizeMb";

/** The values of one resource limit a runtime handles without harm to the process: `min..=max` MB. */
export interface LimitRange {
  readonly min: number;
  readonly max: number;
  /** Why the bounds are where they are, for the message that refuses a value outside them. */
  readonly why: string;
}

/** A JavaScript runtime, as weft sees it. */
export interface Runtime {
  /** `"node"`, `"deno"` or `"bun"`. */
  readonly name: string;
  /**
   * True when the runtime's exit event for a worker means its thread has stopped running code,
   * so the parent may free the worker's stack in the shared memory.
   */
  readonly exitMeansThreadStopped: boolean;
  /** Reads a local file (the package's .wasm). */
  readFileSync(url: URL): Uint8Array;
  /** Reads a source file synchronously (the caller of `spawn`), by URL. */
  readTextFileSync(url: string): string;
  /**
   * A URL from which `import()` loads an ES module with this source text, in this isolate. Every
   * specifier in the source is absolute or bare. `id` is unique per isolate; a `data:` URL carries
   * it as `weft=<id>` so stack frames can be traced to the module however the URL is shortened.
   */
  moduleUrl(source: string, id: number): string;
  /**
   * Called once per generated module URL before it is imported: bare specifiers in it must then
   * resolve exactly as they do in `originalUrl` (a no-op where {@link resolveSpecifiers} already
   * rewrote them).
   */
  adoptModule(url: string, originalUrl: string): void;
  /**
   * Resolves bare specifiers as `import` in `parentUrl` would. Returns the ones to rewrite;
   * specifiers left out stay as written (builtins, and all of them where `adoptModule` handles
   * resolution).
   */
  resolveSpecifiers(specifiers: readonly string[], parentUrl: string): Record<string, string>;
  /** The next message waiting on `port`, received synchronously, or `undefined` when none is. */
  receiveMessageSync(port: MessagePort): unknown;
  /** Calls `listener` with the data of each message arriving on `port` (one listener per port). */
  listen(port: MessagePort, listener: (message: unknown) => void): void;
  /** Starts a worker that runs this runtime's weft worker entry. */
  startWorker(options: StartWorkerOptions): WorkerPort;
  /** The parent of this isolate when it is a worker, else `null`. */
  parentPort(): ParentPort | null;
  /** Makes a timer returned by `setTimeout` not keep the process alive. */
  unrefTimer(timer: unknown): void;
  /** Added to "no spawn call found at this position" errors: why the runtime may point elsewhere. */
  readonly callSiteHint?: string;
  /** The number of hardware threads. */
  hardwareConcurrency(): number;
  /**
   * A monotonic clock in milliseconds with sub-millisecond resolution, from an origin of its own:
   * only differences of its readings in one thread mean anything. A worker's idle loop reads it
   * (pool/worker.ts); reading it must load nothing, so that a new worker's first answer waits for
   * no module load.
   */
  now(): number;
  /**
   * The resource limits this runtime's workers honour, each with the range of values that neither
   * crash the process nor leave a worker unable to start. `undefined`: the runtime ignores
   * `resourceLimits` (weft warns once when they are configured).
   */
  readonly resourceLimits?: Readonly<Record<ResourceLimit, LimitRange>>;
  /**
   * Where each `import()` costs time in proportion to the modules the isolate has loaded already:
   * the number of generated modules after which the pool replaces a worker, so that a program
   * with very many call sites keeps a bounded cost per task. `undefined`: no such cost.
   */
  readonly modulesPerWorker?: number;
  /**
   * The call site of the function that called `callee` (the frame right above `callee`'s), or
   * `undefined` when the runtime cannot tell.
   */
  callerOf(callee: Function): CallSite | undefined;
  /**
   * Where a position in generated code on disk (tsc or bundler output with a source map) came
   * from, when the runtime maps error stacks through source maps (Node's `--enable-source-maps`);
   * `undefined` otherwise. Used to make a worker's stack frames name the original source, as the
   * runtime's own frames do.
   */
  originalPosition?(url: string, line: number, column: number): CallSite | undefined;
  /**
   * The runtime's `Buffer` class (Node's, which Deno and Bun provide too), so that a Buffer crosses
   * threads as a Buffer rather than as a plain `Uint8Array`; `undefined` where there is none.
   */
  readonly bufferClass?: BufferClass;
  /**
   * Whether the runtime's structured cloning resolves a reference to an object already copied
   * wrongly once a BigInt came before it (Bun 1.3 and earlier: `{ n: 0n, a, r: a }` arrives with
   * `r` not `a`). The value codec asks once, at its first scan, and then refuses values that hold
   * both.
   */
  clonesBigIntReferencesWrongly?(): boolean;
  /**
   * The value of an environment variable, or `undefined` when it is unset or the process may not
   * read it (Deno without `--allow-env`: never a permission prompt).
   */
  env?(name: string): string | undefined;
  /**
   * A private directory of text entries that outlive the process (the persistent analysis
   * cache); `undefined` where the runtime has none, it is turned off, or the process may not use
   * it without asking.
   */
  readonly persistentCache?: PersistentCache | undefined;
}

/** Text entries kept across processes under fixed-length keys; every failure reads as a miss. */
export interface PersistentCache {
  /** A key (hex) for the given parts, which may be large (a whole source file). */
  key(parts: readonly string[]): string;
  /** The entry under `key`, or `undefined`. */
  read(key: string): string | undefined;
  /** Stores `text` under `key` (atomically; silently not at all on failure). */
  write(key: string, text: string): void;
}

/** What weft needs of Node's `Buffer`: recognising one, and making one over bytes that arrived. */
export interface BufferClass {
  readonly prototype: Uint8Array;
  from(buffer: ArrayBuffer, byteOffset: number, length: number): Uint8Array;
}

let installed: Runtime | undefined;

/**
 * Installs the runtime adapter. Called once by the package entry of each runtime; a second call
 * with a different adapter is a programming error.
 */
export function installRuntime(runtime: Runtime): void {
  if (installed !== undefined && installed !== runtime) {
    throw new TypeError(
      `Cannot install the ${runtime.name} runtime adapter as the ${installed.name} adapter is ` +
        "already installed: the weft package was loaded twice through different entries",
    );
  }
  installed = runtime;
}

/** The installed runtime adapter, or `undefined` before one is installed. */
export function installedRuntime(): Runtime | undefined {
  return installed;
}

/** The installed runtime adapter. */
export function runtime(): Runtime {
  if (installed === undefined) throw noRuntime();
  return installed;
}
