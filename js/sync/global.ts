/**
 * `Global<T>`: one value for the whole process tree, identified by where it is declared.
 *
 * The identity of a Global is its `new Global(...)` expression: file URL, line and column. Every
 * isolate that evaluates that expression — in an imported module or in the spawning file itself,
 * before or after workers started, in a declaration re-created inside a worker module — gets the
 * same value: the first one registered with the root thread (the isolate that loaded weft first).
 *
 * The root keeps the registry; a worker asks it the first time it meets a key (a blocking
 * request, see pool/blocking_requests.ts) and remembers the answer. Nothing is broadcast and no registry
 * travels with tasks. A Global captured by a closure crosses as its key plus its value, so the
 * receiving worker knows it without asking. Globals live as long as the process.
 * @module
 */

import { noCallSite, WeftError } from "../errors.js";
import { callAnalyzer } from "../spawn/analyzer.js";
import { CAPTURE, scan } from "../protocol/codec.js";
import { registerCrosser } from "../protocol/handles.js";
import { runtime } from "../runtime.js";
import { core, isWorkerThread } from "../core/module.js";
import { originalSite, sourceText } from "../spawn/sites.js";
import type { CallSite } from "../runtime.js";
import { onBlockingRequest, requestBlocking } from "../pool/blocking_requests.js";

/** Set by `_of` for the next constructor call: the key and value the new object stands for. */
let adopting: { key: string; value: unknown } | undefined;

/** This isolate's Globals, by key. On the root thread this is the registry. */
const known = new Map<string, unknown>();

/** A Global as it crosses: its key and value (which the codec encodes in turn). */
interface Wire {
  readonly key: string;
  readonly value: unknown;
}

/** The root's side: the first value registered for a key wins. */
onBlockingRequest("global", (request) => {
  const { key, value } = request as Wire;
  if (!known.has(key)) known.set(key, value);
  return { key, value: known.get(key) } satisfies Wire;
});

function resolve(key: string, initial: unknown): unknown {
  if (known.has(key)) return known.get(key);
  const value = isWorkerThread() ? (requestBlocking("global", { key, value: initial } satisfies Wire) as Wire).value : initial;
  known.set(key, value);
  return value;
}

/**
 * A Global's key: the start of its `new` expression in the original source, whatever position the
 * engine reported (V8 and JavaScriptCore differ) and wherever the code runs (a generated worker
 * module maps back to its caller file).
 */
function identity(reported: CallSite): string {
  const at = originalSite(reported);
  if (at === undefined) throw noCallSite();
  const where = `${at.url}:${at.line}:${at.column}`;
  const position = callAnalyzer(where, () => core.newExpressionAt(at.url, sourceText(at.url), at.line, at.column));
  return `${at.url}:${position[0]}:${position[1]}`;
}

/** A Global's value crosses as a capture does (copied once into each thread, or as a handle). */
function checkValue(value: unknown): void {
  const refused = scan(value, CAPTURE).refused;
  if (refused !== undefined) {
    throw new WeftError(
      "WEFT_INVALID_ARGUMENT",
      `Cannot create a Global holding this value: ${refused.replace(/^the value/, "its value")}. A Global's ` +
        "value must reach every thread: hold data (arrays, plain objects, Map, Set, Date, …; copied into " +
        "each thread once), SharedArrayBuffers, or weft primitives",
    );
  }
}

/**
 * A value shared by every thread that evaluates the same `new Global(...)` expression.
 *
 * @example
 * ```ts
 * import { Global, Mutex } from "weft";
 * export const counter = new Global(new Mutex(new SharedArrayBuffer(4)));
 * // in any module, any worker:
 * { using guard = await counter.value.lock(); new Int32Array(guard.value)[0]++; }
 * ```
 */
export class Global<T> {
  #key: string;
  #value: T;

  /**
   * The Global declared by this expression: `initial` if this is the first evaluation in the
   * process tree, otherwise the value the first evaluation registered (`initial` is dropped).
   */
  constructor(initial: T) {
    const adopted = adopting;
    adopting = undefined;
    if (adopted !== undefined) {
      this.#key = adopted.key;
      this.#value = adopted.value as T;
      return;
    }
    checkValue(initial);
    const at = runtime().callerOf(Global);
    if (at === undefined) throw noCallSite();
    this.#key = identity(at);
    this.#value = resolve(this.#key, initial) as T;
  }

  /** @internal */
  static _of<T>(key: string, value: T): Global<T> {
    adopting = { key, value };
    return new Global(value);
  }

  /** @internal */
  static _key(global: Global<unknown>): string {
    return global.#key;
  }

  /** The shared value. */
  get value(): T {
    return this.#value;
  }
}

registerCrosser<Global<unknown>, Wire>({
  kind: "global",
  is: (v): v is Global<unknown> => v instanceof Global,
  toWire: (g) => ({ key: Global._key(g), value: g.value }),
  fromWire: ({ key, value }) => {
    if (!known.has(key)) known.set(key, value);
    return Global._of(key, known.get(key));
  },
});
