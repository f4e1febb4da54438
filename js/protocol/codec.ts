/**
 * The value codec: the one place that decides how a value crosses between weft threads — a
 * spawned closure's captures, a task's result, a Global's value, a Mutex's guarded value.
 *
 * One walk of the value ({@link scan}) applies one rule table, under one of three rule sets:
 *
 * | value                                               | {@link CAPTURE} | {@link RESULT} | {@link SHARED} |
 * |-----------------------------------------------------|-----------------|----------------|----------------|
 * | `undefined`, `null`                                 | copied          | copied         | allowed        |
 * | boolean, number, bigint, string                     | copied          | copied         | refused        |
 * | `SharedArrayBuffer`, typed array / DataView over one | shared          | shared         | shared         |
 * | `ArrayBuffer`, typed array / DataView over one      | copied          | moved          | refused        |
 * | Node `Buffer` over an `ArrayBuffer`                 | its bytes copied| moved if whole | refused        |
 * | `Date`, `RegExp`, boxed primitives, `Blob`, errors   | copied          | copied         | refused        |
 * | `Mutex`, `Semaphore`, `Global`                      | handle          | handle         | handle         |
 * | arrays, plain objects, `Map`, `Set`                 | walked          | walked         | walked         |
 * | functions, symbols, class instances, host objects   | refused         | refused        | refused        |
 *
 * A Node `Buffer` arrives as a `Buffer` (structured cloning alone would make it a `Uint8Array`).
 * Small Buffers are views into a pool shared by many of them: only a Buffer that spans its whole
 * ArrayBuffer is moved; any other is sent as a copy of its own bytes (never the pool, which moving
 * would detach under every other Buffer in it, and copying would send in full).
 *
 * "Copied" and "moved" are structured cloning's own work (moved: on the transfer list, detached in
 * the sender). A handle is a mark standing for the primitive, revived on arrival into a live
 * object of the same class over the same lock (handles.ts). A refusal is a sentence naming the
 * path to the value (`the value.items[2] is an instance of Point; …`), for the caller to turn into
 * its own error. A class instance is refused rather than copied because structured cloning would
 * silently turn it into a plain object without its methods. Where the runtime's structured cloning
 * resolves references wrongly after a BigInt (`Runtime.clonesBigIntReferencesWrongly`), a value
 * holding a BigInt and an object met twice, or a handle (whose mark is referenced twice), is
 * refused for the same reason.
 *
 * A value becomes a {@link Payload} ({@link pack}): a primitive as itself, anything else as
 * `[value]`, or `[value, marks]` when it holds handles. The payload therefore says whether it
 * needs reviving ({@link decode}); messages carry no flag for it. Marks are recognised by identity
 * (structured cloning keeps the identity of objects within one message), so no user data can be
 * mistaken for one.
 *
 * Hot path: a primitive is recognised by {@link crossesAsIs} without any walk or allocation.
 * @module
 */

import { crosserNamed, crosserOf } from "./handles.js";
import { protocolError } from "../errors.js";
import { installedRuntime, type BufferClass } from "../runtime.js";

/** One of the three rule sets of the table above. */
export interface Rules {
  /** ArrayBuffers, and the buffers of views over them, are moved rather than copied. */
  readonly moveBuffers: boolean;
  /** Only what every thread shares is allowed (a Mutex's value). */
  readonly sharedOnly: boolean;
}

/** A spawned closure's captures, a Global's value, the arguments of a call. */
export const CAPTURE: Rules = Object.freeze({ moveBuffers: false, sharedOnly: false });
/** A task's result, or a nested task's result sent back to its worker. */
export const RESULT: Rules = Object.freeze({ moveBuffers: true, sharedOnly: false });
/** A Mutex's guarded value: memory shared across threads, weft primitives, containers of those. */
export const SHARED: Rules = Object.freeze({ moveBuffers: false, sharedOnly: true });

/** What one walk of a value found. */
export interface Scan {
  /** Why the value cannot cross under the rules, naming the path to the culprit; else `undefined`. */
  readonly refused: string | undefined;
  /** The value holds weft primitives, which cross as handles. */
  readonly handles: boolean;
  /** The ArrayBuffers to move ({@link RESULT}); empty otherwise. */
  readonly transfer: ArrayBuffer[];
}

/** A value in the form it is posted in; only {@link decode} may look inside. */
export type Payload = { readonly __payload: never } | string | number | boolean | bigint | null | undefined;

/** A value encoded for posting, or the reason it cannot be. */
export type Encoded =
  | { readonly payload: Payload; readonly transfer: Transferable[]; readonly refused?: undefined }
  | { readonly refused: string };

const NOTHING: Scan = Object.freeze({ refused: undefined, handles: false, transfer: [] as ArrayBuffer[] });
const NO_TRANSFER: Transferable[] = [];

/**
 * True for values that cross as themselves under every rule set but {@link SHARED}: `undefined`,
 * `null`, booleans, numbers, bigints and strings. No walk, no allocation.
 */
export function crossesAsIs(value: unknown): value is string | number | boolean | bigint | null | undefined {
  return value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol");
}

// ---- the rule table ----

const enum Kind {
  /** Copied by structured cloning as a whole. */
  Copied,
  /** Shared memory: never copied. */
  Shared,
  /** An ArrayBuffer: copied, or moved under RESULT. */
  Buffer,
  /** A view over an ArrayBuffer: copied, or its buffer moved under RESULT. */
  View,
  /** A weft primitive: a handle. */
  Handle,
  /** A Node `Buffer` over an ArrayBuffer: crosses as its bytes, revived as a Buffer. */
  NodeBuffer,
  Array,
  Map,
  Set,
  Object,
  /** Anything else: refused. */
  Refused,
}

/** Built-ins that structured cloning copies faithfully as a whole. */
const COPIED_PROTOTYPES: ReadonlySet<object> = new Set(
  [Date, RegExp, Boolean, Number, String, BigInt, globalThis.Blob, (globalThis as { File?: Function }).File]
    .filter((c): c is Function => typeof c === "function")
    .map((c) => c.prototype as object),
);

function kindOf(o: object): Kind {
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto === Object.prototype || proto === null) return Kind.Object;
  if (proto === Array.prototype) return Kind.Array;
  if (ArrayBuffer.isView(o)) {
    if (o.buffer instanceof SharedArrayBuffer) return Kind.Shared;
    const buffers = bufferClass();
    return buffers !== null && o instanceof (buffers as unknown as Function) ? Kind.NodeBuffer : Kind.View;
  }
  if (proto === Map.prototype) return Kind.Map;
  if (proto === Set.prototype) return Kind.Set;
  if (o instanceof SharedArrayBuffer) return Kind.Shared;
  if (o instanceof ArrayBuffer) return Kind.Buffer;
  if (o instanceof Error || COPIED_PROTOTYPES.has(proto as object)) return Kind.Copied;
  return crosserOf(o) === undefined ? Kind.Refused : Kind.Handle;
}

let buffers: BufferClass | null | undefined;

/** The runtime's Buffer class, or `null` when it has none; looked up once a runtime is installed. */
function bufferClass(): BufferClass | null {
  if (buffers === undefined) {
    const runtime = installedRuntime();
    if (runtime === undefined) return null;
    buffers = runtime.bufferClass ?? null;
  }
  return buffers;
}

let bigIntReferences: boolean | undefined;

/** Whether the runtime's cloning breaks references after a BigInt ({@link Runtime}); looked up once. */
function breaksReferencesAfterBigInt(): boolean {
  if (bigIntReferences === undefined) {
    const runtime = installedRuntime();
    if (runtime === undefined) return false;
    bigIntReferences = runtime.clonesBigIntReferencesWrongly?.() === true;
  }
  return bigIntReferences;
}

/**
 * The refusal, where cloning breaks references after a BigInt, of a value put together from parts
 * that each passed {@link scan} (a task's captures): one part can hold the BigInt and another the
 * second reference or the handle. `undefined` on every other runtime, without a walk.
 */
export function refusedTogether(value: unknown, rules: Rules): string | undefined {
  return breaksReferencesAfterBigInt() ? scan(value, rules).refused : undefined;
}

/** Whether a Buffer's view covers its whole ArrayBuffer, so that moving it detaches nothing else. */
function ownsItsBuffer(view: ArrayBufferView): boolean {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

/** The kind of mark that stands for a Buffer in a payload. */
const BUFFER_MARK = "Buffer";

function describeFunction(fn: Function): string {
  const source = Function.prototype.toString.call(fn);
  if (/^class[\s{]/.test(source)) return `class ${fn.name || "(anonymous)"}`;
  return fn.name ? fn.name : "an anonymous function";
}

function className(o: object): string {
  const proto: unknown = Object.getPrototypeOf(o);
  const ctor = (proto as { constructor?: unknown } | null)?.constructor;
  return (typeof ctor === "function" && ctor.name) || "an unnamed class";
}

/** What a value is, in a sentence: "a number", "an ArrayBuffer", "a Date". */
function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return `a ${value === null ? "null" : typeof value}`;
  const name = className(value);
  return /^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}

// ---- scanning ----

/** Path segments: a key or index, or one of these markers. */
const MAP_KEY = Symbol("a Map key");
const SET_ITEM = Symbol("a Set item");
type Segment = string | number | typeof MAP_KEY | typeof SET_ITEM | { readonly mapValueOf: unknown };

function render(path: readonly Segment[]): string {
  let out = "the value";
  for (const s of path) {
    if (typeof s === "number") out += `[${s}]`;
    else if (typeof s === "string") out += /^[\p{ID_Start}$_][\p{ID_Continue}$]*$/u.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
    else if (s === MAP_KEY) out += " (a Map key)";
    else if (s === SET_ITEM) out += " (a Set item)";
    else out += `.get(${String(s.mapValueOf)})`;
  }
  return out;
}

/** Walks `value` once under `rules`: whether it can cross, whether it holds handles, what to move. */
export function scan(value: unknown, rules: Rules): Scan {
  if (crossesAsIs(value) && !(rules.sharedOnly && value !== undefined && value !== null)) return NOTHING;
  const path: Segment[] = [];
  const seen = new Set<object>();
  let moved: Set<ArrayBuffer> | undefined;
  let handles = false;
  // Only where cloning breaks references after a BigInt: whether the value holds a BigInt, and a
  // reference to an object met before (a cycle, a shared object).
  const guardBigInts = breaksReferencesAfterBigInt();
  let bigint = false;
  let repeated = false;

  const visit = (v: unknown): string | undefined => {
    switch (typeof v) {
      case "undefined":
        return undefined;
      case "boolean":
      case "number":
      case "bigint":
      case "string":
        return rules.sharedOnly ? `${render(path)} is ${describe(v)}, which every thread would copy rather than share` : undefined;
      case "symbol":
        return `${render(path)} is a symbol, which cannot be copied to another thread`;
      case "function":
        return `${render(path)} is a function (${describeFunction(v as Function)}), which cannot be copied to another thread`;
    }
    if (v === null) return undefined;
    if (seen.has(v as object)) {
      repeated = true;
      return undefined;
    }
    const o = v as object;
    seen.add(o);
    switch (kindOf(o)) {
      case Kind.Shared:
        return undefined;
      case Kind.Handle:
        handles = true;
        return undefined;
      case Kind.Copied:
        return rules.sharedOnly ? `${render(path)} is ${describe(o)}, which every thread would copy rather than share` : undefined;
      case Kind.Buffer:
        if (rules.sharedOnly) return `${render(path)} is an ArrayBuffer, which every thread would copy: use a SharedArrayBuffer`;
        if (rules.moveBuffers && !isDetached(o as ArrayBuffer)) (moved ??= new Set()).add(o as ArrayBuffer);
        return undefined;
      case Kind.NodeBuffer: {
        const view = o as Uint8Array;
        if (rules.sharedOnly) return `${render(path)} is a Buffer over an ArrayBuffer, which every thread would copy: use a Uint8Array over a SharedArrayBuffer`;
        handles = true;
        const buffer = view.buffer as ArrayBuffer;
        if (rules.moveBuffers && ownsItsBuffer(view) && !isDetached(buffer)) (moved ??= new Set()).add(buffer);
        return undefined;
      }
      case Kind.View: {
        const buffer = (o as ArrayBufferView).buffer as ArrayBuffer;
        if (rules.sharedOnly) return `${render(path)} is ${describe(o)} over an ArrayBuffer, which every thread would copy: use one over a SharedArrayBuffer`;
        if (rules.moveBuffers && !isDetached(buffer)) (moved ??= new Set()).add(buffer);
        return undefined;
      }
      case Kind.Array: {
        const items = o as unknown[];
        for (let i = 0; i < items.length; i++) {
          const r = at(i, items[i]);
          if (r !== undefined) return r;
        }
        return undefined;
      }
      case Kind.Map:
        for (const [k, item] of o as Map<unknown, unknown>) {
          const r = at(MAP_KEY, k) ?? at({ mapValueOf: k }, item);
          if (r !== undefined) return r;
        }
        return undefined;
      case Kind.Set:
        for (const item of o as Set<unknown>) {
          const r = at(SET_ITEM, item);
          if (r !== undefined) return r;
        }
        return undefined;
      case Kind.Object:
        for (const key of Object.keys(o)) {
          const r = at(key, (o as Record<string, unknown>)[key]);
          if (r !== undefined) return r;
        }
        return undefined;
      case Kind.Refused:
        return `${render(path)} is an instance of ${className(o)}; copying it to another thread would drop its class and methods`;
    }
  };

  /** Visits `v`, reached from the current path through `segment`. */
  const at = (segment: Segment, v: unknown): string | undefined => {
    if (crossesAsIs(v) && !rules.sharedOnly) {
      if (guardBigInts && typeof v === "bigint") bigint = true;
      return undefined;
    }
    path.push(segment);
    const r = visit(v);
    path.pop();
    return r;
  };

  const refused =
    visit(value) ??
    (bigint && (repeated || handles)
      ? `the value has a BigInt and ${repeated ? "a second reference to one object" : "a weft primitive or a Buffer (whose mark is referenced twice)"}, ` +
        "which this runtime's structured cloning can resolve to the wrong object (Bun 1.3 and earlier): upgrade Bun to 1.4 or " +
        "later, or send the BigInt as a string"
      : undefined);
  return { refused, handles, transfer: moved === undefined ? [] : [...moved] };
}

function isDetached(buffer: ArrayBuffer): boolean {
  return (buffer as ArrayBuffer & { detached?: boolean }).detached === true;
}

// ---- packing and decoding ----

/** A weft primitive as it travels: the crosser's kind and what its `toWire` returned, encoded. */
interface Mark {
  readonly kind: string;
  readonly data: unknown;
}

/**
 * `value` as a payload, once {@link scan} has accepted it; `handles` is what the scan (or the
 * scans of its parts) found. Without handles the value itself is posted; with handles, the
 * containers around them are copied with each primitive replaced by a mark (other values are
 * shared with the original, for structured cloning to copy).
 */
export function pack(value: unknown, handles: boolean): Payload {
  if (crossesAsIs(value)) return value;
  if (!handles) return [value] as unknown as Payload;
  const marks: Mark[] = [];
  const copies = new Map<object, unknown>();
  const copy = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    const done = copies.get(v);
    if (done !== undefined) return done;
    switch (kindOf(v)) {
      case Kind.Handle: {
        const crosser = crosserOf(v)!;
        const mark: { kind: string; data: unknown } = { kind: crosser.kind, data: undefined };
        copies.set(v, mark);
        marks.push(mark);
        mark.data = copy(crosser.toWire(v));
        return mark;
      }
      case Kind.NodeBuffer: {
        // A plain Uint8Array: over the Buffer's own ArrayBuffer (moved or copied whole by
        // structured cloning), or over a copy of just its bytes when it is a view into a pool.
        const view = v as Uint8Array;
        const bytes = ownsItsBuffer(view)
          ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
          : Uint8Array.prototype.slice.call(view);
        const mark: Mark = { kind: BUFFER_MARK, data: bytes };
        copies.set(v, mark);
        marks.push(mark);
        return mark;
      }
      case Kind.Array: {
        const out: unknown[] = [];
        copies.set(v, out);
        for (const item of v as unknown[]) out.push(copy(item));
        return out;
      }
      case Kind.Map: {
        const out = new Map<unknown, unknown>();
        copies.set(v, out);
        for (const [k, item] of v as Map<unknown, unknown>) out.set(copy(k), copy(item));
        return out;
      }
      case Kind.Set: {
        const out = new Set<unknown>();
        copies.set(v, out);
        for (const item of v as Set<unknown>) out.add(copy(item));
        return out;
      }
      case Kind.Object: {
        const out: Record<string, unknown> = Object.getPrototypeOf(v) === null ? Object.create(null) : {};
        copies.set(v, out);
        for (const key of Object.keys(v)) out[key] = copy((v as Record<string, unknown>)[key]);
        return out;
      }
      default:
        return v;
    }
  };
  return [copy(value), marks] as unknown as Payload;
}

/** Scans and packs `value` under `rules`: its payload and transfer list, or why it cannot cross. */
export function encode(value: unknown, rules: Rules): Encoded {
  if (crossesAsIs(value) && !rules.sharedOnly) return { payload: value, transfer: NO_TRANSFER };
  const scanned = scan(value, rules);
  if (scanned.refused !== undefined) return { refused: scanned.refused };
  return { payload: pack(value, scanned.handles), transfer: scanned.transfer };
}

/** The value a freshly received payload stands for; its handles are revived in place. */
export function decode(payload: Payload): unknown {
  if (typeof payload !== "object" || payload === null) return payload;
  const packed = payload as unknown as readonly [unknown] | readonly [unknown, readonly Mark[]];
  return packed.length === 1 ? packed[0] : revive(packed[0], packed[1]);
}

// ---- payloads inside flat messages ----
//
// Requests and results cross as flat arrays (messages.ts), and every level of nesting costs time
// to clone on some engines, so a payload is spread into the message rather than nested in it.

/** Appends a payload to a flat message: its value, then its marks when it has any. */
export function appendPayload(message: unknown[], payload: Payload): unknown[] {
  if (crossesAsIs(payload)) message.push(payload);
  else message.push(...(payload as unknown as unknown[]));
  return message;
}

/** The payload {@link appendPayload} wrote into `message` from index `at` (the message's last items). */
export function payloadAt(message: readonly unknown[], at: number): Payload {
  const value = message[at];
  if (message.length > at + 1) return [value, message[at + 1]] as unknown as Payload;
  return (crossesAsIs(value) ? value : [value]) as Payload;
}

/** Appends the payload of a list (a call's arguments) to a flat message: its marks or 0, then its items. */
export function appendList(message: unknown[], payload: Payload): unknown[] {
  const [items, marks] = payload as unknown as readonly [readonly unknown[]] | readonly [readonly unknown[], readonly Mark[]];
  message.push(marks ?? 0, ...items);
  return message;
}

/** The list payload {@link appendList} wrote into `message` from index `at`. */
export function listAt(message: readonly unknown[], at: number): Payload {
  const marks = message[at];
  const items = message.slice(at + 1);
  return (marks === 0 ? [items] : [items, marks]) as unknown as Payload;
}

const REVIVING = Symbol("reviving");

function revive(value: unknown, marks: readonly Mark[]): unknown {
  const isMark = new Set<object>(marks);
  const revived = new Map<object, unknown>();
  const seen = new Set<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    if (isMark.has(v)) {
      const done = revived.get(v);
      if (done === REVIVING) throw protocolError("a weft primitive's value refers back to the primitive itself");
      if (done !== undefined) return done;
      const mark = v as Mark;
      if (mark.kind === BUFFER_MARK) {
        const bytes = mark.data as Uint8Array;
        const live = bufferClass()?.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength) ?? bytes;
        revived.set(v, live);
        return live;
      }
      const crosser = crosserNamed(mark.kind);
      if (crosser === undefined) throw protocolError(`a weft ${mark.kind} arrived in a thread that does not know the class`);
      revived.set(v, REVIVING);
      const live = crosser.fromWire(walk(mark.data));
      revived.set(v, live);
      return live;
    }
    if (seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
    } else if (v instanceof Map) {
      const entries = [...v].map(([k, item]) => [walk(k), walk(item)] as const);
      v.clear();
      for (const [k, item] of entries) v.set(k, item);
    } else if (v instanceof Set) {
      const items = [...v].map(walk);
      v.clear();
      for (const item of items) v.add(item);
    } else {
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        for (const key of Object.keys(v)) (v as Record<string, unknown>)[key] = walk((v as Record<string, unknown>)[key]);
      }
    }
    return v;
  };
  return walk(value);
}
