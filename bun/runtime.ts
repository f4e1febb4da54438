/**
 * The Bun adapter: workers are web Workers (Bun's fastest to start), files are read with
 * `Bun.file`, call sites come from JavaScriptCore's emulation of V8's stack-trace API, generated
 * modules load from `blob:` URLs with bare specifiers resolved up front by `Bun.resolveSync` from
 * the caller's file.
 * @module
 */

import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { persistentCache } from "../node/persistent_cache.js";
import type { ParentPort, Runtime, StartWorkerOptions, WorkerPort } from "../js/runtime.js";
import { listen, receiveMessageSync } from "../node/ports.js";
import { jscCallerOf } from "../node/v8_stack.js";
import { webParentPort, webWorkerPort } from "./web_worker.js";

declare const Bun: {
  readonly isMainThread: boolean;
  file(path: URL): { bytes(): Promise<Uint8Array> };
  resolveSync(specifier: string, from: string): string;
};

/** Resolves like an `import` in `parentUrl`, with Bun's own resolver. Builtins stay as written. */
function resolveSpecifiers(specifiers: readonly string[], parentUrl: string): Record<string, string> {
  const out: Record<string, string> = {};
  const from = fileURLToPath(parentUrl);
  for (const specifier of specifiers) {
    if (/^(node|bun):/.test(specifier) || isBuiltin(specifier)) continue;
    const resolved = Bun.resolveSync(specifier, from);
    out[specifier] = resolved.startsWith("/") ? pathToFileURL(resolved).href : resolved;
  }
  return out;
}

/** The worker entry beside this module; computed on first use (a CommonJS bundle has no `import.meta.url`). */
const workerUrl = (): URL => new URL("./worker.js", import.meta.url);

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
  }),
  bufferClass: Buffer,
  name: "bun",
  // Bun's `close` event is not documented to follow the thread's end; a killed worker's thread
  // resources are not freed.
  exitMeansThreadStopped: false,
  readFileSync: (url) => new Uint8Array(readFileSync(url)),
  readTextFileSync: (url) => readFileSync(new URL(url), "utf8"),
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
  callerOf: jscCallerOf,
};
