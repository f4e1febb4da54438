/**
 * Generated worker modules as this isolate knows them: the URL each was loaded from, its source
 * text and the caller file it was generated from. A spawn made by code running inside a generated
 * module (a nested spawn) finds its caller's source here, since the module was never a file.
 * @module
 */

import { runtime } from "../runtime.js";
import type { Mapping } from "./sites.js";

/** A generated module travelling with a task: its source is sent once per worker. */
export interface ModuleRef {
  /** Identifies the module: caller URL + closure + by-value names. */
  readonly key: string;
  /** The caller file the module was generated from. */
  readonly original: string;
  /** Present when the receiving thread may not have seen this key yet. */
  readonly source?: string;
  /** Generated → original positions; sent with the source. */
  readonly mappings?: readonly Mapping[];
  /** The spawn call it runs the closure of (`file:line:column`), for messages; sent with the source. */
  readonly site?: string;
  /** Set by a worker's host: the number the worker will know this module by from now on. */
  readonly index?: number;
}

/** A generated module this isolate loaded. */
export interface Known {
  readonly url: string;
  readonly source: string;
  readonly original: string;
  readonly mappings: readonly Mapping[];
  /** The spawn call site it was generated for, when the sender said. */
  readonly site: string | undefined;
}

const byKey = new Map<string, Known>();
const byUrl = new Map<string, Known>();
const byIndex: Known[] = [];
/** Every generated module this isolate loaded, by the id in its URL. */
const byId: Known[] = [];

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
  const id = byId.length;
  const url = runtime().moduleUrl(ref.source, id);
  runtime().adoptModule(url, ref.original);
  const entry: Known = { url, source: ref.source, original: ref.original, mappings: ref.mappings ?? [], site: ref.site };
  byId.push(entry);
  byKey.set(ref.key, entry);
  byUrl.set(url, entry);
  if (ref.index !== undefined) byIndex[ref.index] = entry;
  return url;
}

/** A generated module loaded in this isolate, by the id in its URL (`weft=<id>`). */
export function generatedModuleById(id: number): Known | undefined {
  return byId[id];
}

/** A generated module loaded in this isolate, by its URL. */
export function generatedModule(url: string): Known | undefined {
  return byUrl.get(url);
}

/** A stack frame's location inside a generated module: `data:…;weft=<id>,…:line:column` or a `blob:` URL. */
const GENERATED_FRAME = /((?:data|blob):[^\s()]+?):(\d+):(\d+)/g;

/** The generated modules of this isolate that the frames of `stack` run in, innermost first. */
export function generatedModulesIn(stack: string): Known[] {
  const found: Known[] = [];
  for (const [, url] of stack.matchAll(GENERATED_FRAME)) {
    const id = /^data:[^,]*;weft=(\d+)/.exec(url!)?.[1];
    const known = id === undefined ? generatedModule(url!) : generatedModuleById(Number(id));
    if (known !== undefined && !found.includes(known)) found.push(known);
  }
  return found;
}
