/**
 * Generated worker modules as this isolate knows them: the URL each was loaded from, its source
 * text and the caller file it was generated from. A spawn made by code running inside a generated
 * module (a nested spawn) finds its caller's source here, since the module was never a file.
 * @module
 */

import { runtime } from "./runtime.js";

/** A generated module travelling with a task: its source is sent once per worker. */
export interface ModuleRef {
  /** Identifies the module: caller URL + closure + by-value names. */
  readonly key: string;
  /** The caller file the module was generated from. */
  readonly original: string;
  /** Present when the receiving thread may not have seen this key yet. */
  readonly source?: string;
  /** Set by a pool for a worker: the number the worker will know this module by from now on. */
  readonly index?: number;
}

interface Known {
  readonly url: string;
  readonly source: string;
  readonly original: string;
}

const byKey = new Map<string, Known>();
const byUrl = new Map<string, Known>();
const byIndex: Known[] = [];

/**
 * The URL to import the module at, creating it from `ref.source` the first time. A number is the
 * index a pool gave the module when it first sent it to this worker.
 */
export function moduleUrl(ref: ModuleRef | number): string {
  if (typeof ref === "number") {
    const known = byIndex[ref];
    if (known === undefined) throw new Error(`Cannot load worker module #${ref}: it was never sent to this worker`);
    return known.url;
  }
  const known = byKey.get(ref.key);
  if (known !== undefined) {
    if (ref.index !== undefined) byIndex[ref.index] = known;
    return known.url;
  }
  if (ref.source === undefined) {
    throw new Error(`Cannot load the worker module ${ref.key}: its source was never sent to this worker`);
  }
  const url = runtime().moduleUrl(ref.source);
  runtime().adoptModule(url, ref.original);
  const entry = { url, source: ref.source, original: ref.original };
  byKey.set(ref.key, entry);
  byUrl.set(url, entry);
  if (ref.index !== undefined) byIndex[ref.index] = entry;
  return url;
}

/** The source and original file of a generated module loaded in this isolate, by its URL. */
export function generatedModule(url: string): { source: string; original: string } | undefined {
  return byUrl.get(url);
}
