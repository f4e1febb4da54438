/**
 * `node:` modules that weft uses only for some operations, loaded the first time one is needed
 * instead of when weft loads. Every worker loads weft, and the first load of a builtin in a new
 * thread is not free: on Bun, `node:crypto`, `node:worker_threads`, `node:fs` and `node:url`
 * together take longer than the worker's own start, which a task that never reads a file or the
 * analysis cache would otherwise wait for (bench/ row 3). A module a thread is about to need
 * anyway may still be loaded early: the root thread loads the analysis cache's hash with weft
 * (persistent_cache.ts).
 *
 * Loaded with `process.getBuiltinModule` (Node ≥ 22.3, Deno 2, Bun), else with `require` from
 * `createRequire` (Node 22.0–22.2). Either way the load is synchronous, so callers stay so.
 *
 * `process` itself is the global in the shims, never `import process from
 * "node:process"`: Node makes that ES module by reading every property of `process`, which loads
 * the parts it otherwise loads on first use (`process.report`, `process.finalization`), about
 * 1 ms in a new worker (`process.moduleLoadList` shows them).
 * @module
 */

import { createRequire } from "node:module";

/** The builtins loaded through here, by specifier. */
interface Lazy {
  "node:buffer": typeof import("node:buffer");
  "node:crypto": typeof import("node:crypto");
  "node:fs": typeof import("node:fs");
  "node:os": typeof import("node:os");
  "node:path": typeof import("node:path");
  "node:url": typeof import("node:url");
  "node:worker_threads": typeof import("node:worker_threads");
}

const loaded = new Map<keyof Lazy, unknown>();
let load: ((specifier: string) => unknown) | undefined;

/** The builtin `specifier`, loaded on the first call in this thread. */
export function builtin<K extends keyof Lazy>(specifier: K): Lazy[K] {
  let namespace = loaded.get(specifier);
  if (namespace === undefined) {
    load ??=
      typeof process.getBuiltinModule === "function"
        ? (id) => process.getBuiltinModule(id)
        : // The base only anchors relative specifiers, and builtins have none.
          createRequire(`${process.cwd()}/`);
    namespace = load(specifier);
    loaded.set(specifier, namespace);
  }
  return namespace as Lazy[K];
}
