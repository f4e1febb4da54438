/**
 * The Bun adapter: workers are web Workers (Bun's fastest to start), files are read with
 * `node:fs` (loaded on first use, node/builtins.ts), call sites come from JavaScriptCore's
 * emulation of V8's stack-trace API, generated modules load from `blob:` URLs with bare
 * specifiers resolved up front by `Bun.resolveSync` from the caller's file. Hashing and path
 * conversion use Bun's own functions, which cost nothing to load, where the `node:` modules
 * would add to a thread's first spawn.
 * @module
 */

import { isBuiltin } from "node:module";
import { builtin } from "../node/builtins.js";
import { persistentCache } from "../node/persistent_cache.js";
import type { ParentPort, Runtime, StartWorkerOptions, WorkerPort } from "../js/runtime.js";
import { listen, receiveMessageSync } from "../node/message_ports.js";
import { jscCallerOf } from "../node/v8_stack.js";
import { webParentPort, webWorkerPort } from "./web_worker.js";

/** The part of `Bun.CryptoHasher` used here. */
interface BunHasher {
  update(data: string): BunHasher;
  digest(encoding: "hex"): string;
}

declare const Bun: {
  readonly isMainThread: boolean;
  fileURLToPath(url: string | URL): string;
  pathToFileURL(path: string): URL;
  CryptoHasher: new (algorithm: "sha256") => BunHasher;
  resolveSync(specifier: string, from: string): string;
};

/** Resolves like an `import` in `parentUrl`, with Bun's own resolver. Builtins stay as written. */
function resolveSpecifiers(specifiers: readonly string[], parentUrl: string): Record<string, string> {
  const out: Record<string, string> = {};
  const from = Bun.fileURLToPath(parentUrl);
  for (const specifier of specifiers) {
    if (/^(node|bun):/.test(specifier) || isBuiltin(specifier)) continue;
    const resolved = Bun.resolveSync(specifier, from);
    out[specifier] = resolved.startsWith("/") ? Bun.pathToFileURL(resolved).href : resolved;
  }
  return out;
}

/**
 * The worker entry of weft's package, named by the package entry (bun/mod.ts) from its own URL.
 * The adapter reads no `import.meta`: the npm package ships it inside one CommonJS module
 * (./package.ts), which has none.
 */
let workerEntry: URL | undefined;

/** Sets the worker entry that {@link bunRuntime} starts workers from. */
export function useWorkerEntry(url: URL): void {
  workerEntry = url;
}

function workerUrl(): URL {
  if (workerEntry === undefined) {
    throw new Error("weft's worker entry is not known: import weft from its package entry");
  }
  return workerEntry;
}

/** Bun 1.3 and earlier clone `{ n: 0n, a, r: a }` with `r` not `a` (see `Runtime`). */
function clonesBigIntReferencesWrongly(): boolean {
  const a = {};
  const copy = structuredClone({ n: 0n, a, r: a });
  return copy.r !== copy.a;
}

const sourceUrls = new Map<string, string>();
/** A worker entry given as source text, as a `blob:` URL made once per text. */
function sourceWorkerUrl(source: string): string {
  let url = sourceUrls.get(source);
  if (url === undefined) {
    url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    sourceUrls.set(source, url);
  }
  return url;
}

/**
 * The worker side of the channel: the web scope's messages, but uncaught errors through `process`,
 * because Bun's worker scope does not reliably hand them to its `error` and `unhandledrejection`
 * listeners (oven-sh/bun#16424, oven-sh/bun#29043).
 */
function bunParentPort(): ParentPort {
  const port = webParentPort(globalThis as never);
  return {
    ...port,
    onUncaught: (listener) => {
      process.on("uncaughtException", listener);
      process.on("unhandledRejection", listener);
    },
  };
}

export const bunRuntime: Runtime = {
  env: (name) => process.env[name],
  persistentCache: persistentCache({
    env: (name) => process.env[name],
    home: () => process.env.HOME ?? process.env.USERPROFILE,
    uid: () => process.getuid?.(),
    allowed: () => true,
    sha256: (text) => new Bun.CryptoHasher("sha256").update(text).digest("hex"),
  }),
  // Loaded on first use: loading `node:buffer` adds to every new worker's start, and only a
  // value holding a Buffer needs it.
  get bufferClass() {
    return builtin("node:buffer").Buffer;
  },
  clonesBigIntReferencesWrongly,
  name: "bun",
  // Bun's `close` event is not documented to follow the thread's end; a killed worker's thread
  // resources are not freed.
  exitMeansThreadStopped: false,
  readFileSync: (url) => new Uint8Array(builtin("node:fs").readFileSync(url)),
  readTextFileSync: (url) => builtin("node:fs").readFileSync(new URL(url), "utf8"),
  moduleUrl: (source) => URL.createObjectURL(new Blob([source], { type: "text/javascript" })),
  adoptModule: () => {},
  resolveSpecifiers,
  receiveMessageSync,
  listen,
  startWorker: (options: StartWorkerOptions): WorkerPort =>
    webWorkerPort(new Worker(options.source === undefined ? workerUrl() : sourceWorkerUrl(options.source), { type: "module", ...(options.name ? { name: options.name } : {}) })),
  parentPort: (): ParentPort | null => (Bun.isMainThread ? null : bunParentPort()),
  unrefTimer: (timer) => (timer as { unref(): void }).unref(),
  callSiteHint:
    "on Bun, a function that returns spawn()'s script directly (`return spawn(…)`, or through a " +
    "variable, which Bun's transpiler folds into it) makes a proper tail call that removes that " +
    "function from the stack: write `return eval(spawn(…))`",
  hardwareConcurrency: () => navigator.hardwareConcurrency,
  now: () => performance.now(),
  callerOf: jscCallerOf((path) => Bun.pathToFileURL(path).href),
};
