/**
 * Deciding, at each spawn, how every captured value crosses to the worker.
 *
 * - Values of enclosing-scope variables must be structured-cloneable data (or weft primitives,
 *   which cross as handles): they are copied at the call.
 * - Values of top-level bindings (including imports) go the same way when they are such data;
 *   otherwise (functions, classes, module namespaces, class instances…) the worker module
 *   re-creates them from their import or declaration.
 *
 * "Data" is checked by walking the value before anything is posted, because structured cloning
 * would silently turn a class instance into a plain object without its methods. A value that
 * cannot cross is reported with the variable's name, where it is declared, and what to do. weft's
 * own primitives (Mutex, Semaphore, Global) count as data: they cross as handles (handles.ts).
 * @module
 */

import { crosserOf } from "./handles.js";

/** What {@link inspectCapture} found. */
export interface Inspection {
  /** Why the value cannot be structured-cloned faithfully; `undefined` when it can. */
  readonly reason: string | undefined;
  /** The value holds weft primitives, which must be encoded as handles (handles.ts). */
  readonly handles: boolean;
}

const PRIMITIVE: Inspection = { reason: undefined, handles: false };

/** Why a value cannot be structured-cloned faithfully, or `undefined` when it can. */
export function uncloneableReason(value: unknown): string | undefined {
  return inspectCapture(value).reason;
}

/** Checks a value in one walk: can it cross, and does it hold weft primitives? */
export function inspectCapture(value: unknown): Inspection {
  if (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol") return PRIMITIVE;
  if (value === null) return PRIMITIVE;
  let handles = false;
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): string | undefined => {
    switch (typeof v) {
      case "undefined":
      case "boolean":
      case "number":
      case "bigint":
      case "string":
        return undefined;
      case "symbol":
        return `${path} is a symbol, which cannot be copied to another thread`;
      case "function":
        return `${path} is a function (${describeFunction(v as Function)}), which cannot be copied to another thread`;
    }
    if (v === null || seen.has(v as object)) return undefined;
    const o = v as object;
    seen.add(o);
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const item: unknown = o[i];
        if (typeof item === "object" || typeof item === "function" || typeof item === "symbol") {
          const r = visit(item, `${path}[${i}]`);
          if (r !== undefined) return r;
        }
      }
      return undefined;
    }
    if (isLeaf(o)) return undefined;
    if (o instanceof Map) {
      for (const [k, item] of o) {
        const r = visit(k, `${path} (a Map key)`) ?? visit(item, `${path}.get(${String(k)})`);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    if (o instanceof Set) {
      for (const item of o) {
        const r = visit(item, `${path} (a Set item)`);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    if (o instanceof Error) return undefined;
    if (crosserOf(o) !== undefined) {
      handles = true;
      return undefined;
    }
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) {
      const name = (proto?.constructor as Function | undefined)?.name || "an unnamed class";
      return `${path} is an instance of ${name}; copying it to another thread would drop its class and methods`;
    }
    for (const key of Object.keys(o)) {
      const r = visit((o as Record<string, unknown>)[key], `${path}.${key}`);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  const reason = visit(value, "the value");
  return { reason, handles };
}

/** Values structured cloning copies faithfully as a whole, by their built-in tag. */
const LEAF_TAGS = new Set([
  "[object ArrayBuffer]",
  "[object SharedArrayBuffer]",
  "[object DataView]",
  "[object Date]",
  "[object RegExp]",
  "[object Boolean]",
  "[object Number]",
  "[object String]",
  "[object BigInt]",
  "[object Blob]",
  "[object File]",
]);

function isLeaf(o: object): boolean {
  return ArrayBuffer.isView(o) || LEAF_TAGS.has(Object.prototype.toString.call(o));
}

function describeFunction(fn: Function): string {
  const source = Function.prototype.toString.call(fn);
  if (/^class[\s{]/.test(source)) return `class ${fn.name || "(anonymous)"}`;
  return fn.name ? `${fn.name}` : "an anonymous function";
}
