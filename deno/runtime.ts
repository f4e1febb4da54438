/**
 * The Deno adapter: workers are Deno's `node:worker_threads` Workers (its web Workers cannot be
 * unref'd, so an idle one would keep the process alive), files are read with `Deno.readFile`,
 * call sites come from V8's structured stack frames.
 *
 * The glue is initialised with an explicit module and memory on every thread, so Deno's
 * `isMainThread` quirk in web Workers never decides which memory a thread uses.
 * @module
 */

import { Buffer } from "node:buffer";
import { isMainThread } from "node:worker_threads";
import { persistentCache } from "../node/persistent_cache.js";
import type { Runtime } from "../js/runtime.js";
import { v8CallerOf } from "../node/v8_stack.js";
import { dataModuleUrl } from "../node/modules.js";
import { listen, receiveMessageSync } from "../node/message_ports.js";
import { startThreadWorker, threadParentPort, v8ResourceLimits } from "../node/ports.js";
import { heapLimitWatch } from "./heap_watchdog.js";
import { type Files, resolveBare } from "./resolve.js";

const files: Files = {
  readText: (url) => {
    try {
      return Deno.readTextFileSync(url);
    } catch {
      return undefined;
    }
  },
  isFile: (url) => {
    try {
      return Deno.statSync(url).isFile;
    } catch {
      return false;
    }
  },
};

function resolveSpecifiers(specifiers: readonly string[], parentUrl: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const specifier of specifiers) {
    const resolved = resolveBare(files, specifier, parentUrl);
    if (resolved !== undefined) out[specifier] = resolved;
  }
  return out;
}

declare const Deno: {
  readFileSync(path: URL): Uint8Array;
  readTextFileSync(path: URL): string;
  statSync(path: URL): { isFile: boolean };
  unrefTimer(id: number): void;
  permissions: {
    querySync?(descriptor: { name: "env"; variable: string } | { name: "read" | "write"; path: string } | { name: "sys"; kind: "uid" }): { state: string };
  };
  env: { get(name: string): string | undefined };
  uid(): number | null;
};

/** Whether `descriptor` is granted already: a query never prompts. */
const granted = (descriptor: Parameters<NonNullable<typeof Deno.permissions.querySync>>[0]): boolean =>
  Deno.permissions.querySync?.(descriptor).state === "granted";

const denoEnv = (name: string): string | undefined => (granted({ name: "env", variable: name }) ? Deno.env.get(name) : undefined);

/**
 * The worker entry. Deno's `node:worker_threads` takes only `file:` and `data:` URLs: loaded from
 * elsewhere (an https: URL, as a JSR package is), the worker starts from a `data:` module that
 * imports the entry, which Deno then loads and caches like the rest of the package.
 */
/** A worker entry given as source text, as a `data:` URL. */
const sourceWorkerUrl = (source: string): URL =>
  new URL(`data:text/javascript;base64,${Buffer.from(source, "utf8").toString("base64")}`);

const workerUrl = (): URL =>
  ((entry: URL) =>
    entry.protocol === "file:" ? entry : new URL(`data:text/javascript,${encodeURIComponent(`import ${JSON.stringify(entry.href)};`)}`))(
    new URL("./worker.js", import.meta.url),
  );

export const denoRuntime: Runtime = {
  // Only where already granted: a query never prompts, a get without permission would.
  env: denoEnv,
  persistentCache: persistentCache({
    env: denoEnv,
    home: () => denoEnv("HOME") ?? denoEnv("USERPROFILE"),
    uid: () => (granted({ name: "sys", kind: "uid" }) ? (Deno.uid() ?? undefined) : undefined),
    allowed: (dir) => granted({ name: "read", path: dir }) && granted({ name: "write", path: dir }),
    rootThread: isMainThread,
  }),
  bufferClass: Buffer,
  name: "deno",
  // Not known to follow the thread's end on Deno: a killed worker's thread resources are kept.
  exitMeansThreadStopped: false,
  readFileSync: (url) => Deno.readFileSync(url),
  readTextFileSync: (url) => Deno.readTextFileSync(new URL(url)),
  moduleUrl: dataModuleUrl,
  adoptModule: () => {},
  resolveSpecifiers,
  receiveMessageSync,
  listen,
  // Only a worker with limits can be stopped at its heap limit without a word (heap_watchdog.ts).
  startWorker: (options) =>
    startThreadWorker(
      options.source === undefined ? workerUrl() : sourceWorkerUrl(options.source),
      options, options.resourceLimits === undefined ? undefined : heapLimitWatch()),
  // A task Deno stops at its heap limit must stop in a microtask, or the worker's event loop
  // stops with it and nothing can report it (heap_watchdog.ts).
  parentPort: () => threadParentPort(true),
  unrefTimer: (timer) => Deno.unrefTimer(timer as number),
  hardwareConcurrency: () => navigator.hardwareConcurrency,
  now: () => performance.now(),
  callerOf: v8CallerOf,
  resourceLimits: v8ResourceLimits(
    2,
    "Deno sizes the worker's thread stack from it but not V8's stack limit, so 1 to 1.5 MB let a deep recursion crash the process, and less is ignored",
  ),
  // Each dynamic import updates the isolate's whole module graph (deno's ModuleGraphContainer
  // works on a copy of it), so importing the n-th module costs O(n), about 1 µs more per module
  // already loaded: 10,000 call sites took 158 s, most of it in one worker's imports. A fresh
  // worker every 256 generated modules bounds the cost of an import; 256 balances a worker's
  // start-up (~40 ms) against that growth.
  modulesPerWorker: 256,
};
