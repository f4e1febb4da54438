/**
 * The message codec of `Channel`: a value as bytes, so that a message can live in the shared
 * memory and be received by any thread, not only the one it was posted to.
 *
 * What it carries is what structured cloning copies, minus what bytes cannot hold:
 *
 * | value                                                  | in a message |
 * |--------------------------------------------------------|--------------|
 * | `undefined`, `null`, booleans, numbers, bigints, strings | copied      |
 * | arrays (holes read back as `undefined`), plain objects, `Map`, `Set` | walked; shared and cyclic references kept |
 * | `Date`, `RegExp`, boxed primitives, errors (name, message, stack, cause) | copied |
 * | `ArrayBuffer`, typed arrays, `DataView`, Node `Buffer` | their bytes copied |
 * | `Mutex`, `RwLock`, `Semaphore`, `Condvar`, `Barrier`, `WaitGroup`, `Channel`, `Global`, `SharedStruct` instances | handles to the same primitive |
 * | `SharedArrayBuffer` and views over one, `Blob`, functions, symbols, class instances | refused |
 *
 * A `SharedArrayBuffer` is refused because bytes can only copy it, and a copy of shared memory
 * would silently stop being shared; a `SharedStruct` (or a Global holding the buffer, captured by
 * the closure) is the way to share memory through a channel.
 *
 * Layout: `[u32 body length][body][u32 handle count][handles]`, little-endian. The body is a tag
 * byte per value followed by its content. Handles are appended only once the whole body has been
 * written, so a refused value partway through takes no reference on any primitive; each handle is
 * its crosser's kind (a string) and its `toWire` data (a value in the same format).
 * @module
 */

import { WeftError } from "../errors.js";
import { crosserNamed, crosserOf } from "./handles.js";
import { installedRuntime } from "../runtime.js";

const enum Tag {
  Undefined,
  Null,
  False,
  True,
  Int32,
  Float64,
  BigInt,
  String,
  Array,
  Object,
  Map,
  Set,
  Date,
  RegExp,
  ArrayBuffer,
  View,
  Ref,
  Handle,
  Error,
  Boxed,
}

/** Typed array classes by their index in a `View` record; `DataView` and Node's `Buffer` last. */
const VIEWS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;
const DATA_VIEW = VIEWS.length;
const NODE_BUFFER = VIEWS.length + 1;

const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function unsendable(path: string, why: string): WeftError {
  return new WeftError("WEFT_UNSENDABLE_MESSAGE", `Cannot send this message through the Channel: ${path} ${why}`);
}

function bufferClass(): { prototype: Uint8Array; from(b: ArrayBuffer, o: number, l: number): Uint8Array } | undefined {
  return installedRuntime()?.bufferClass;
}

/** A growable byte buffer. */
class Writer {
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);
  length = 0;

  /**
   * Makes room for `n` more bytes and returns where they start. It may replace `bytes` and
   * `view`: call it before reading either (`this.bytes[this.reserve(1)]` would write to the old one).
   */
  reserve(n: number): number {
    const at = this.length;
    const needed = at + n;
    if (needed > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < needed) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.bytes.subarray(0, at));
      this.bytes = bigger;
      this.view = new DataView(bigger.buffer);
    }
    this.length = needed;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1);
    this.bytes[at] = v;
  }

  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }

  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }

  f64(v: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, v, true);
  }

  raw(src: Uint8Array): void {
    this.u32(src.length);
    const at = this.reserve(src.length);
    this.bytes.set(src, at);
  }

  string(s: string): void {
    // At most 3 bytes per UTF-16 unit.
    const max = s.length * 3;
    const lengthAt = this.reserve(4);
    const at = this.reserve(max);
    const { written } = encoder.encodeInto(s, this.bytes.subarray(at, at + max));
    this.length = at + written;
    this.view.setUint32(lengthAt, written, true);
  }
}

/** Encodes `value`; returns the bytes (a view of a private buffer, valid until the next call). */
export function encodeMessage(value: unknown): Uint8Array {
  const w = new Writer();
  const seen = new Map<object, number>();
  const handles: object[] = [];
  const path: string[] = [];
  const where = (): string => `the value${path.join("")}`;
  w.u32(0);

  const encode = (v: unknown): void => {
    switch (typeof v) {
      case "undefined":
        return w.u8(Tag.Undefined);
      case "boolean":
        return w.u8(v ? Tag.True : Tag.False);
      case "number":
        if ((v | 0) === v && !Object.is(v, -0)) {
          w.u8(Tag.Int32);
          w.i32(v);
        } else {
          w.u8(Tag.Float64);
          w.f64(v);
        }
        return;
      case "bigint":
        w.u8(Tag.BigInt);
        return w.string(v.toString(16));
      case "string":
        w.u8(Tag.String);
        return w.string(v);
      case "symbol":
        throw unsendable(where(), "is a symbol, which cannot be copied");
      case "function":
        throw unsendable(where(), `is a function (${(v as Function).name || "anonymous"}), which cannot be copied`);
    }
    if (v === null) return w.u8(Tag.Null);
    const o = v as object;
    const earlier = seen.get(o);
    if (earlier !== undefined) {
      w.u8(Tag.Ref);
      return w.u32(earlier);
    }
    seen.set(o, seen.size);
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto === Object.prototype || proto === null) {
      const keys = Object.keys(o);
      w.u8(Tag.Object);
      w.u32(keys.length);
      for (const key of keys) {
        w.string(key);
        path.push(/^[\p{ID_Start}$_][\p{ID_Continue}$]*$/u.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
        encode((o as Record<string, unknown>)[key]);
        path.pop();
      }
      return;
    }
    if (proto === Array.prototype) {
      const items = o as unknown[];
      w.u8(Tag.Array);
      w.u32(items.length);
      for (let i = 0; i < items.length; i++) {
        path.push(`[${i}]`);
        encode(items[i]);
        path.pop();
      }
      return;
    }
    if (ArrayBuffer.isView(o)) {
      if (o.buffer instanceof SharedArrayBuffer) {
        throw unsendable(where(), "is a view over a SharedArrayBuffer, which a channel could only copy; send a SharedStruct, or capture the buffer in the spawned closure");
      }
      const buffers = bufferClass();
      const index =
        o instanceof DataView ? DATA_VIEW : buffers !== undefined && o instanceof (buffers as unknown as Function) ? NODE_BUFFER : VIEWS.findIndex((c) => o instanceof c);
      w.u8(Tag.View);
      w.u8(index);
      return w.raw(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    }
    if (o instanceof SharedArrayBuffer) {
      throw unsendable(where(), "is a SharedArrayBuffer, which a channel could only copy; send a SharedStruct, or capture the buffer in the spawned closure");
    }
    if (o instanceof ArrayBuffer) {
      w.u8(Tag.ArrayBuffer);
      return w.raw(new Uint8Array(o));
    }
    if (proto === Map.prototype) {
      const map = o as Map<unknown, unknown>;
      w.u8(Tag.Map);
      w.u32(map.size);
      path.push(" (a Map entry)");
      for (const [k, item] of map) {
        encode(k);
        encode(item);
      }
      path.pop();
      return;
    }
    if (proto === Set.prototype) {
      const set = o as Set<unknown>;
      w.u8(Tag.Set);
      w.u32(set.size);
      path.push(" (a Set item)");
      for (const item of set) encode(item);
      path.pop();
      return;
    }
    if (o instanceof Date) {
      w.u8(Tag.Date);
      return w.f64(o.getTime());
    }
    if (o instanceof RegExp) {
      w.u8(Tag.RegExp);
      w.string(o.source);
      return w.string(o.flags);
    }
    if (o instanceof Error) {
      w.u8(Tag.Error);
      w.string(o.name);
      w.string(o.message);
      encode(typeof o.stack === "string" ? o.stack : undefined);
      path.push(".cause");
      encode("cause" in o ? o.cause : undefined);
      path.pop();
      return;
    }
    if (o instanceof Boolean || o instanceof Number || o instanceof String || o instanceof BigInt) {
      w.u8(Tag.Boxed);
      return encode(o.valueOf());
    }
    if (crosserOf(o) !== undefined) {
      w.u8(Tag.Handle);
      w.u32(handles.length);
      handles.push(o);
      return;
    }
    const ctor = (proto as { constructor?: { name?: string } } | null)?.constructor?.name;
    throw unsendable(where(), `is an instance of ${ctor || "an unnamed class"}; copying it would drop its class and methods`);
  };

  encode(value);
  w.view.setUint32(0, w.length - 4, true);
  const countAt = w.reserve(4);
  // Handles last: a refusal above took no reference. Their data may hold further handles
  // (a Mutex's guarded value), encoded into this same section.
  for (let i = 0; i < handles.length; i++) {
    const crosser = crosserOf(handles[i]!)!;
    w.string(crosser.kind);
    path.length = 0;
    path.push(` (inside a ${crosser.kind})`);
    // Each handle's data has its own reference numbering (its objects are not shared with the body).
    seen.clear();
    encode(crosser.toWire(handles[i]!));
  }
  // Written last: handle data may add handles (a Mutex guarding a SharedStruct).
  w.view.setUint32(countAt, handles.length, true);
  return w.bytes.subarray(0, w.length);
}

/** Decodes bytes from {@link encodeMessage}, reviving handles into live primitives. */
export function decodeMessage(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let objects: unknown[] = [];
  const u8 = (): number => bytes[at++]!;
  const u32 = (): number => {
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const str = (): string => {
    const n = u32();
    const s = decoder.decode(bytes.subarray(at, at + n));
    at += n;
    return s;
  };
  const raw = (): Uint8Array => {
    const n = u32();
    const copy = bytes.slice(at, at + n);
    at += n;
    return copy;
  };
  /** Moves past a length-prefixed run of bytes (`at += u32()` would read `at` before u32 moves it). */
  const skipString = (): void => {
    const n = u32();
    at += n;
  };
  /** Handles by index, revived on first use (the handle section follows the body). */
  let handleAt: number[] | undefined;
  const handles: unknown[] = [];

  const decode = (): unknown => {
    const tag = u8() as Tag;
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int32: {
        const v = view.getInt32(at, true);
        at += 4;
        return v;
      }
      case Tag.Float64: {
        const v = view.getFloat64(at, true);
        at += 8;
        return v;
      }
      case Tag.BigInt: {
        const hex = str();
        return hex.startsWith("-") ? -BigInt(`0x${hex.slice(1)}`) : BigInt(`0x${hex}`);
      }
      case Tag.String:
        return str();
      case Tag.Ref:
        return objects[u32()];
      case Tag.Object: {
        const out: Record<string, unknown> = {};
        objects.push(out);
        for (let n = u32(); n > 0; n--) {
          const key = str();
          // defineProperty: a "__proto__" key stays an own property, as structured cloning keeps it.
          Object.defineProperty(out, key, { value: decode(), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      case Tag.Array: {
        const n = u32();
        const out: unknown[] = new Array(n);
        objects.push(out);
        for (let i = 0; i < n; i++) out[i] = decode();
        return out;
      }
      case Tag.Map: {
        const out = new Map<unknown, unknown>();
        objects.push(out);
        for (let n = u32(); n > 0; n--) {
          const k = decode();
          out.set(k, decode());
        }
        return out;
      }
      case Tag.Set: {
        const out = new Set<unknown>();
        objects.push(out);
        for (let n = u32(); n > 0; n--) out.add(decode());
        return out;
      }
      case Tag.Date: {
        const out = new Date(view.getFloat64(at, true));
        at += 8;
        objects.push(out);
        return out;
      }
      case Tag.RegExp: {
        const source = str();
        const out = new RegExp(source, str());
        objects.push(out);
        return out;
      }
      case Tag.ArrayBuffer: {
        const out = raw().buffer;
        objects.push(out);
        return out;
      }
      case Tag.View: {
        const index = u8();
        const bytesOut = raw();
        const buffer = bytesOut.buffer as ArrayBuffer;
        let out: unknown;
        if (index === DATA_VIEW) out = new DataView(buffer);
        else if (index === NODE_BUFFER) out = bufferClass()?.from(buffer, 0, buffer.byteLength) ?? new Uint8Array(buffer);
        else {
          const C = VIEWS[index]!;
          out = new C(buffer, 0, buffer.byteLength / C.BYTES_PER_ELEMENT);
        }
        objects.push(out);
        return out;
      }
      case Tag.Error: {
        const name = str();
        const message = str();
        const out = new (ERRORS[name] ?? Error)(message);
        if (out.name !== name) Object.defineProperty(out, "name", { value: name, writable: true, configurable: true });
        objects.push(out);
        const stack = decode();
        if (typeof stack === "string") Object.defineProperty(out, "stack", { value: stack, writable: true, configurable: true });
        const cause = decode();
        if (cause !== undefined) Object.defineProperty(out, "cause", { value: cause, writable: true, configurable: true });
        return out;
      }
      case Tag.Boxed: {
        const out = Object(decode()) as object;
        objects.push(out);
        return out;
      }
      case Tag.Handle: {
        const index = u32();
        const placeholder = objects.length;
        objects.push(undefined);
        const out = handle(index);
        objects[placeholder] = out;
        return out;
      }
      default:
        throw new WeftError("WEFT_PROTOCOL", `Cannot decode a Channel message: unknown tag ${tag as number} at byte ${at - 1}`);
    }
  };

  const handle = (index: number): unknown => {
    if (index < handles.length && handles[index] !== undefined) return handles[index];
    if (handleAt === undefined) {
      // Skip to the handle section and note where each handle starts; decode them lazily.
      const back = at;
      at = 4 + view.getUint32(0, true);
      const count = u32();
      handleAt = [];
      for (let i = 0; i < count; i++) {
        handleAt.push(at);
        skipString();
        skipValue();
      }
      at = back;
    }
    const back = at;
    at = handleAt[index]!;
    const kind = str();
    const crosser = crosserNamed(kind);
    if (crosser === undefined) {
      throw new WeftError("WEFT_PROTOCOL", `Cannot receive a ${kind} from a Channel in this thread: its module is not loaded`);
    }
    const body = objects;
    objects = [];
    const data = decode();
    objects = body;
    at = back;
    const out = crosser.fromWire(data);
    handles[index] = out;
    return out;
  };

  /** Moves past one encoded value. */
  const skipValue = (): void => {
    const tag = u8() as Tag;
    switch (tag) {
      case Tag.Undefined:
      case Tag.Null:
      case Tag.False:
      case Tag.True:
        return;
      case Tag.Int32:
      case Tag.Ref:
      case Tag.Handle:
        at += 4;
        return;
      case Tag.Float64:
      case Tag.Date:
        at += 8;
        return;
      case Tag.BigInt:
      case Tag.String:
      case Tag.ArrayBuffer:
        skipString();
        return;
      case Tag.RegExp:
        skipString();
        skipString();
        return;
      case Tag.View:
        at += 1;
        skipString();
        return;
      case Tag.Object:
        for (let n = u32(); n > 0; n--) {
          skipString();
          skipValue();
        }
        return;
      case Tag.Array:
      case Tag.Set:
        for (let n = u32(); n > 0; n--) skipValue();
        return;
      case Tag.Map:
        for (let n = u32(); n > 0; n--) {
          skipValue();
          skipValue();
        }
        return;
      case Tag.Error:
        skipString();
        skipString();
        skipValue();
        skipValue();
        return;
      case Tag.Boxed:
        skipValue();
        return;
      default:
        throw new WeftError("WEFT_PROTOCOL", `Cannot decode a Channel message: unknown tag ${tag as number} at byte ${at - 1}`);
    }
  };

  at = 4;
  const value = decode();
  // Every handle took a reference when sent; each is reached from the body or from another
  // handle's data, so all are revived and own their references.
  return value;
}
