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

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Strings up to this many UTF-16 units are written and read by hand when they are ASCII. */
const SHORT_STRING = 64;

function unsendable(path: readonly (string | number)[], why: string): WeftError {
  let where = "the value";
  for (const s of path) {
    if (typeof s === "number") where += `[${s}]`;
    else if (s.startsWith(" ")) where += s;
    else where += /^[\p{ID_Start}$_][\p{ID_Continue}$]*$/u.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return new WeftError("WEFT_UNSENDABLE_MESSAGE", `Cannot send this message through the Channel: ${where} ${why}`);
}

function bufferClass(): { prototype: Uint8Array; from(b: ArrayBuffer, o: number, l: number): Uint8Array } | undefined {
  return installedRuntime()?.bufferClass;
}

/**
 * Writes one message at a time into a buffer it keeps between messages (encoding is synchronous,
 * so one per thread serves every channel).
 */
class Encoder {
  bytes = new Uint8Array(1024);
  view = new DataView(this.bytes.buffer);
  length = 0;
  /**
   * The objects written so far, by reference number (the order they were written in, as the
   * reader numbers them): the first in `first`, the others in `seen`, so that a message holding
   * a single object, the common case, costs no Map operation.
   */
  first: object | undefined = undefined;
  readonly seen = new Map<object, number>();
  /** How many objects were written so far: the next one's reference number. */
  objects = 0;
  handles: object[] = [];
  /** Keys and indices from the message to the value being written, for errors only. */
  readonly path: (string | number)[] = [];

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
    const n = s.length;
    if (n <= SHORT_STRING) {
      const at = this.reserve(4 + n);
      const bytes = this.bytes;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        bytes[at + 4 + i] = c;
      }
      if (i === n) {
        this.view.setUint32(at, n, true);
        return;
      }
      this.length = at;
    }
    // At most 3 bytes per UTF-16 unit.
    const max = n * 3;
    const lengthAt = this.reserve(4);
    const at = this.reserve(max);
    const { written } = textEncoder.encodeInto(s, this.bytes.subarray(at, at + max));
    this.length = at + written;
    this.view.setUint32(lengthAt, written, true);
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "undefined":
        return this.u8(Tag.Undefined);
      case "boolean":
        return this.u8(v ? Tag.True : Tag.False);
      case "number":
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.u8(Tag.Int32);
          this.i32(v);
        } else {
          this.u8(Tag.Float64);
          this.f64(v);
        }
        return;
      case "bigint":
        this.u8(Tag.BigInt);
        return this.string(v.toString(16));
      case "string":
        this.u8(Tag.String);
        return this.string(v);
      case "symbol":
        throw unsendable(this.path, "is a symbol, which cannot be copied");
      case "function":
        throw unsendable(this.path, `is a function (${(v as Function).name || "anonymous"}), which cannot be copied`);
    }
    if (v === null) return this.u8(Tag.Null);
    this.object(v as object);
  }

  object(o: object): void {
    const earlier = o === this.first ? 0 : this.objects > 1 ? this.seen.get(o) : undefined;
    if (earlier !== undefined) {
      this.u8(Tag.Ref);
      return this.u32(earlier);
    }
    if (this.objects === 0) this.first = o;
    else this.seen.set(o, this.objects);
    this.objects++;
    const path = this.path;
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto === Object.prototype || proto === null) {
      const keys = Object.keys(o);
      this.u8(Tag.Object);
      this.u32(keys.length);
      for (const key of keys) {
        this.string(key);
        path.push(key);
        this.value((o as Record<string, unknown>)[key]);
        path.pop();
      }
      return;
    }
    if (proto === Array.prototype) {
      const items = o as unknown[];
      this.u8(Tag.Array);
      this.u32(items.length);
      for (let i = 0; i < items.length; i++) {
        path.push(i);
        this.value(items[i]);
        path.pop();
      }
      return;
    }
    if (ArrayBuffer.isView(o)) {
      if (o.buffer instanceof SharedArrayBuffer) {
        throw unsendable(path, "is a view over a SharedArrayBuffer, which a channel could only copy; send a SharedStruct, or capture the buffer in the spawned closure");
      }
      const buffers = bufferClass();
      const index =
        o instanceof DataView ? DATA_VIEW : buffers !== undefined && o instanceof (buffers as unknown as Function) ? NODE_BUFFER : VIEWS.findIndex((c) => o instanceof c);
      this.u8(Tag.View);
      this.u8(index);
      return this.raw(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    }
    if (o instanceof SharedArrayBuffer) {
      throw unsendable(path, "is a SharedArrayBuffer, which a channel could only copy; send a SharedStruct, or capture the buffer in the spawned closure");
    }
    if (o instanceof ArrayBuffer) {
      this.u8(Tag.ArrayBuffer);
      return this.raw(new Uint8Array(o));
    }
    if (proto === Map.prototype) {
      const map = o as Map<unknown, unknown>;
      this.u8(Tag.Map);
      this.u32(map.size);
      path.push(" (a Map entry)");
      for (const [k, item] of map) {
        this.value(k);
        this.value(item);
      }
      path.pop();
      return;
    }
    if (proto === Set.prototype) {
      const set = o as Set<unknown>;
      this.u8(Tag.Set);
      this.u32(set.size);
      path.push(" (a Set item)");
      for (const item of set) this.value(item);
      path.pop();
      return;
    }
    if (o instanceof Date) {
      this.u8(Tag.Date);
      return this.f64(o.getTime());
    }
    if (o instanceof RegExp) {
      this.u8(Tag.RegExp);
      this.string(o.source);
      return this.string(o.flags);
    }
    if (o instanceof Error) {
      this.u8(Tag.Error);
      this.string(o.name);
      this.string(o.message);
      this.value(typeof o.stack === "string" ? o.stack : undefined);
      path.push("cause");
      this.value("cause" in o ? o.cause : undefined);
      path.pop();
      return;
    }
    if (o instanceof Boolean || o instanceof Number || o instanceof String || o instanceof BigInt) {
      this.u8(Tag.Boxed);
      return this.value(o.valueOf());
    }
    if (crosserOf(o) !== undefined) {
      this.u8(Tag.Handle);
      this.u32(this.handles.length);
      this.handles.push(o);
      return;
    }
    const ctor = (proto as { constructor?: { name?: string } } | null)?.constructor?.name;
    throw unsendable(path, `is an instance of ${ctor || "an unnamed class"}; copying it would drop its class and methods`);
  }

  message(value: unknown): Uint8Array {
    this.length = 0;
    this.path.length = 0;
    if (this.bytes.length > 1 << 20) {
      // Do not keep a large buffer from one large message.
      this.bytes = new Uint8Array(1024);
      this.view = new DataView(this.bytes.buffer);
    }
    this.u32(0);
    this.value(value);
    this.view.setUint32(0, this.length - 4, true);
    const countAt = this.reserve(4);
    // Handles last: a refusal above took no reference. Their data may hold further handles
    // (a Mutex guarding a SharedStruct), encoded into this same section, so the count comes last.
    const handles = this.handles;
    for (let i = 0; i < handles.length; i++) {
      const crosser = crosserOf(handles[i]!)!;
      this.string(crosser.kind);
      this.path.length = 0;
      this.path.push(` (inside a ${crosser.kind})`);
      // Each handle's data has its own reference numbering (its objects are not shared with the body).
      this.forget();
      this.value(crosser.toWire(handles[i]!));
    }
    this.view.setUint32(countAt, handles.length, true);
    this.reset();
    return this.bytes.subarray(0, this.length);
  }

  /**
   * Forgets the objects and handles of the message just written (or abandoned). Clearing costs
   * even an empty Map a native call, and most messages hold no handle.
   */
  reset(): void {
    this.forget();
    if (this.handles.length !== 0) this.handles = [];
  }

  /** Starts a new reference numbering. */
  forget(): void {
    this.first = undefined;
    this.objects = 0;
    if (this.seen.size !== 0) this.seen.clear();
  }
}

let encoder: Encoder | undefined;

/**
 * Encodes `value`; returns the bytes, a view of a buffer reused by the next call (copy them out
 * first).
 */
export function encodeMessage(value: unknown): Uint8Array {
  const e = (encoder ??= new Encoder());
  try {
    return e.message(value);
  } catch (error) {
    e.reset();
    throw error;
  }
}

/** Strings up to this many bytes are looked up in {@link recentStrings} before being built. */
const CACHED_STRING = 16;

/**
 * Short ASCII strings read lately (object keys, mostly), by a hash of their length and end bytes:
 * reusing the string a message's key was read as last time spares building it again and the
 * engine internalising it again to use it as a property name. It keeps at most its length (a
 * power of two) of such strings alive, each of them 16 characters or fewer.
 */
const recentStrings: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);

/** Scratch for reading a float64 (every supported platform is little-endian, as the format). */
const float = new Float64Array(1);
const floatBytes = new Uint8Array(float.buffer);

/**
 * Reads one message (bytes by hand: a `DataView` per message costs more than the reads), which
 * starts at `bytes[start]`: positions in `at` and `handleAt` are indices into `bytes`. `bytes` may
 * be a view of the shared memory, so every value read out of it is a copy (strings are built, and
 * bytes decoded as UTF-8 are copied out first: not every engine's `TextDecoder` reads shared memory).
 */
class Reader {
  at: number;
  objects: unknown[] = [];
  /** Where each handle's record starts, found on the first handle. */
  handleAt: number[] | undefined;
  readonly handles: unknown[] = [];

  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
  ) {
    this.at = start + 4;
  }

  i32At(at: number): number {
    const b = this.bytes;
    return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
  }

  f64At(at: number): number {
    // Byte by byte: a subarray to copy from would be an allocation per number.
    const b = this.bytes;
    for (let i = 0; i < 8; i++) floatBytes[i] = b[at + i]!;
    return float[0]!;
  }

  u32(): number {
    const v = this.i32At(this.at) >>> 0;
    this.at += 4;
    return v;
  }

  str(): string {
    const n = this.u32();
    const at = this.at;
    this.at += n;
    if (n <= CACHED_STRING && n > 0) {
      const bytes = this.bytes;
      const slot = (n * 31 + bytes[at]! * 7 + bytes[at + n - 1]!) & (recentStrings.length - 1);
      const recent = recentStrings[slot];
      if (recent !== undefined && recent.length === n) {
        let same = true;
        for (let i = 0; i < n; i++) {
          if (recent.charCodeAt(i) !== bytes[at + i]) {
            same = false;
            break;
          }
        }
        if (same) return recent;
      }
      const s = this.ascii(at, n);
      if (s !== undefined) {
        recentStrings[slot] = s;
        return s;
      }
    } else if (n <= SHORT_STRING) {
      const s = this.ascii(at, n);
      if (s !== undefined) return s;
    }
    return textDecoder.decode(this.bytes.slice(at, at + n));
  }

  /** The `n` bytes at `at` as a string when they are all ASCII. */
  ascii(at: number, n: number): string | undefined {
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) if (bytes[at + i]! > 0x7f) return undefined;
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[at + i]!);
    return s;
  }

  raw(): Uint8Array {
    const n = this.u32();
    const copy = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return copy;
  }

  value(): unknown {
    const tag = this.bytes[this.at++] as Tag;
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
        const v = this.i32At(this.at);
        this.at += 4;
        return v;
      }
      case Tag.Float64: {
        const v = this.f64At(this.at);
        this.at += 8;
        return v;
      }
      case Tag.BigInt: {
        const hex = this.str();
        return hex.startsWith("-") ? -BigInt(`0x${hex.slice(1)}`) : BigInt(`0x${hex}`);
      }
      case Tag.String:
        return this.str();
      case Tag.Ref:
        return this.objects[this.u32()];
      case Tag.Object: {
        const out: Record<string, unknown> = {};
        this.objects.push(out);
        for (let n = this.u32(); n > 0; n--) {
          const key = this.str();
          if (key === "__proto__") {
            // Stays an own property, as structured cloning keeps it.
            Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
          } else out[key] = this.value();
        }
        return out;
      }
      case Tag.Array: {
        const n = this.u32();
        const out: unknown[] = new Array(n);
        this.objects.push(out);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case Tag.Map: {
        const out = new Map<unknown, unknown>();
        this.objects.push(out);
        for (let n = this.u32(); n > 0; n--) {
          const k = this.value();
          out.set(k, this.value());
        }
        return out;
      }
      case Tag.Set: {
        const out = new Set<unknown>();
        this.objects.push(out);
        for (let n = this.u32(); n > 0; n--) out.add(this.value());
        return out;
      }
      case Tag.Date: {
        const out = new Date(this.f64At(this.at));
        this.at += 8;
        this.objects.push(out);
        return out;
      }
      case Tag.RegExp: {
        const source = this.str();
        const out = new RegExp(source, this.str());
        this.objects.push(out);
        return out;
      }
      case Tag.ArrayBuffer: {
        const out = this.raw().buffer;
        this.objects.push(out);
        return out;
      }
      case Tag.View: {
        const index = this.bytes[this.at++]!;
        const buffer = this.raw().buffer as ArrayBuffer;
        let out: unknown;
        if (index === DATA_VIEW) out = new DataView(buffer);
        else if (index === NODE_BUFFER) out = bufferClass()?.from(buffer, 0, buffer.byteLength) ?? new Uint8Array(buffer);
        else {
          const C = VIEWS[index]!;
          out = new C(buffer, 0, buffer.byteLength / C.BYTES_PER_ELEMENT);
        }
        this.objects.push(out);
        return out;
      }
      case Tag.Error: {
        const name = this.str();
        const message = this.str();
        const out = new (ERRORS[name] ?? Error)(message);
        if (out.name !== name) Object.defineProperty(out, "name", { value: name, writable: true, configurable: true });
        this.objects.push(out);
        const stack = this.value();
        if (typeof stack === "string") Object.defineProperty(out, "stack", { value: stack, writable: true, configurable: true });
        const cause = this.value();
        if (cause !== undefined) Object.defineProperty(out, "cause", { value: cause, writable: true, configurable: true });
        return out;
      }
      case Tag.Boxed: {
        const out = Object(this.value()) as object;
        this.objects.push(out);
        return out;
      }
      case Tag.Handle: {
        const index = this.u32();
        const placeholder = this.objects.length;
        this.objects.push(undefined);
        const out = this.handle(index);
        this.objects[placeholder] = out;
        return out;
      }
      default:
        throw corrupt(tag, this.at - 1 - this.start);
    }
  }

  /** The handle `index`, revived on first use (the handle section follows the body). */
  handle(index: number): unknown {
    if (this.handles[index] !== undefined) return this.handles[index];
    const back = this.at;
    if (this.handleAt === undefined) {
      this.at = this.start + 4 + (this.i32At(this.start) >>> 0);
      const count = this.u32();
      this.handleAt = [];
      for (let i = 0; i < count; i++) {
        this.handleAt.push(this.at);
        this.skipBytes();
        this.skip();
      }
    }
    this.at = this.handleAt[index]!;
    const kind = this.str();
    const crosser = crosserNamed(kind);
    if (crosser === undefined) {
      throw new WeftError("WEFT_PROTOCOL", `Cannot receive a ${kind} from a Channel in this thread: its module is not loaded`);
    }
    const body = this.objects;
    this.objects = [];
    const data = this.value();
    this.objects = body;
    this.at = back;
    const out = crosser.fromWire(data);
    this.handles[index] = out;
    return out;
  }

  /** Moves past a length-prefixed run of bytes. */
  skipBytes(): void {
    const n = this.u32();
    this.at += n;
  }

  /** Moves past one encoded value. */
  skip(): void {
    const tag = this.bytes[this.at++] as Tag;
    switch (tag) {
      case Tag.Undefined:
      case Tag.Null:
      case Tag.False:
      case Tag.True:
        return;
      case Tag.Int32:
      case Tag.Ref:
      case Tag.Handle:
        this.at += 4;
        return;
      case Tag.Float64:
      case Tag.Date:
        this.at += 8;
        return;
      case Tag.BigInt:
      case Tag.String:
      case Tag.ArrayBuffer:
        this.skipBytes();
        return;
      case Tag.RegExp:
        this.skipBytes();
        this.skipBytes();
        return;
      case Tag.View:
        this.at += 1;
        this.skipBytes();
        return;
      case Tag.Object:
        for (let n = this.u32(); n > 0; n--) {
          this.skipBytes();
          this.skip();
        }
        return;
      case Tag.Array:
      case Tag.Set:
        for (let n = this.u32(); n > 0; n--) this.skip();
        return;
      case Tag.Map:
        for (let n = this.u32(); n > 0; n--) {
          this.skip();
          this.skip();
        }
        return;
      case Tag.Error:
        this.skipBytes();
        this.skipBytes();
        this.skip();
        this.skip();
        return;
      case Tag.Boxed:
        this.skip();
        return;
      default:
        throw corrupt(tag, this.at - 1 - this.start);
    }
  }
}

function corrupt(tag: number, at: number): WeftError {
  return new WeftError("WEFT_PROTOCOL", `Cannot decode a Channel message: unknown tag ${tag} at byte ${at}`);
}

/**
 * Decodes the message from {@link encodeMessage} that starts at `bytes[start]`, reviving handles
 * into live primitives. `bytes` may be a view of the shared memory: nothing decoded refers to it.
 * Every handle took a reference when sent; each is reached from the body or from another handle's
 * data, so all are revived and own their references.
 */
export function decodeMessage(bytes: Uint8Array, start = 0): unknown {
  return new Reader(bytes, start).value();
}
