/**
 * The persistent analysis cache: what analysing a call site produced (its closure, then each
 * worker module generated for it), kept across processes in the runtime's private cache
 * directory (`Runtime.persistentCache`), so that a process spawning at a site an earlier run
 * analysed does no analysis: no parse, and none of the analyzer's code runs.
 *
 * An entry's key covers every input of the analysis: the analyzer's build fingerprint (its
 * sources and locked dependencies, from the glue), the file's URL and whole text, the position,
 * the closure's own text, and for a module the names passed by value and the resolved
 * specifiers. Equal inputs give equal outputs, so a hit is what the analysis would return; any
 * change to the file, or to weft's analyzer, is a different key. Refusals are not cached (they
 * are analysed again, and throw with their message). An entry that does not parse, or names
 * another kind or fingerprint, is a miss.
 * @module
 */

import { core } from "../core/module.js";
import { runtime } from "../runtime.js";
import type { Closure, GeneratedModule } from "../wasm/weft.js";
import { debugEnabled, debugLog } from "../pool/debug.js";

type Kind = "closure" | "module";

let fingerprint: string | undefined;

/**
 * A site's inputs hashed once (with the analyzer's fingerprint): the closure's and every module's
 * key derive from it, so a large file is hashed once per call site, not once per entry.
 */
const digests = new WeakMap<SiteInputs, string>();

function keyOf(kind: Kind, site: SiteInputs, extra: readonly string[] = []): string | undefined {
  const cache = runtime().persistentCache;
  if (cache === undefined) return undefined;
  let digest = digests.get(site);
  if (digest === undefined) {
    fingerprint ??= core.analyzerFingerprint();
    digest = cache.key([fingerprint, site.url, site.source, String(site.line), String(site.column), site.text ?? "\u0000none"]);
    digests.set(site, digest);
  }
  return cache.key([kind, digest, ...extra]);
}

function read<T>(kind: Kind, key: string | undefined): T | undefined {
  if (key === undefined) return undefined;
  const text = unwritten?.get(key) ?? runtime().persistentCache?.read(key);
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as { kind?: unknown; fingerprint?: unknown; value?: unknown };
    if (entry.kind !== kind || entry.fingerprint !== fingerprint || typeof entry.value !== "object" || entry.value === null) return undefined;
    return entry.value as T;
  } catch {
    return undefined;
  }
}

/** Entries made since the last {@link flush}, by key: written together, after the current task. */
let unwritten: Map<string, string> | undefined;

/**
 * Stores an entry after the task of the event loop that made it, not during it: writing (a
 * temporary file renamed into place, and once per process a read of the directory to keep it
 * bounded) takes milliseconds on some runtimes (Bun), which a spawn would otherwise spend before
 * its task is even on its way to a worker; after the task, the thread is waiting for that worker.
 * The timer keeps the process alive until then. A process that ends before it fires (by
 * `process.exit()`, say, or under a test runner's fake timers that never advance) stores
 * nothing, and a later process analyses the site again.
 */
function write(kind: Kind, key: string | undefined, value: unknown): void {
  if (key === undefined) return;
  if (unwritten === undefined) {
    unwritten = new Map();
    setTimeout(flush, 0);
  }
  unwritten.set(key, JSON.stringify({ kind, fingerprint, value }));
}

function flush(): void {
  const entries = unwritten;
  unwritten = undefined;
  const cache = runtime().persistentCache;
  if (entries === undefined || cache === undefined) return;
  for (const [key, text] of entries) cache.write(key, text);
}

/** The inputs of one call site's analysis. */
export interface SiteInputs {
  readonly url: string;
  readonly source: string;
  readonly line: number;
  readonly column: number;
  readonly text: string | undefined;
}

/** The closure at `site`, from the cache or from `analyse` (whose result is then stored). */
export function closureAt(site: SiteInputs, analyse: () => Closure): { closure: Closure; analysed: boolean } {
  const key = keyOf("closure", site);
  const cached = read<Closure>("closure", key);
  if (cached !== undefined) {
    if (debugEnabled()) debugLog(`analysis of ${site.url}:${site.line}:${site.column} read from the persistent cache`);
    return { closure: cached, analysed: false };
  }
  const closure = analyse();
  write("closure", key, closure);
  return { closure, analysed: true };
}

/** The worker module for `site` with `byValue` and `resolved`, from the cache or from `generate`. */
export function moduleAt(site: SiteInputs, byValue: readonly string[], resolved: Record<string, string>, generate: () => GeneratedModule): GeneratedModule {
  const key = keyOf("module", site, [byValue.join(","), JSON.stringify(Object.entries(resolved).sort())]);
  const cached = read<GeneratedModule>("module", key);
  if (cached !== undefined && typeof cached.code === "string" && Array.isArray(cached.mappings)) return cached;
  const generated = generate();
  write("module", key, { code: generated.code, mappings: generated.mappings });
  return generated;
}
