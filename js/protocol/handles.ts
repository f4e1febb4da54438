/**
 * How weft's primitives (Mutex, Semaphore, Global) cross between threads inside any value: a
 * captured variable, a nested object, a task's result.
 *
 * Structured cloning would turn them into plain objects without their class. Before posting,
 * {@link encodeHandles} replaces each one with a marked plain object carrying what identifies it
 * (the address of its block in the shared memory, or its Global key) — copying only what it must;
 * on arrival {@link decodeHandles} revives each mark into a live object of the same class that
 * refers to the same lock. Encoding takes a reference on the block for the receiving object, so
 * the block outlives the sender's object while the message is in flight.
 * @module
 */

/** A class whose instances cross threads as handles. */
export interface Crosser<T extends object = object, D = unknown> {
  /** Stable name written into the mark. */
  readonly kind: string;
  is(value: object): value is T;
  /** What the receiver needs; takes a reference for the receiver where the class counts them. */
  toWire(value: T): D;
  fromWire(data: D): T;
}

const MARK = "__weft_handle__";
const crossers: Crosser[] = [];

/** Registers a class of primitives (each primitive module does this once). */
export function registerCrosser<T extends object, D>(crosser: Crosser<T, D>): void {
  crossers.push(crosser as unknown as Crosser);
}

/** The crosser of a weft primitive, or `undefined` for any other value. */
export function crosserOf(value: object): Crosser | undefined {
  for (const c of crossers) if (c.is(value)) return c;
  return undefined;
}

interface Marked {
  readonly [MARK]: string;
  readonly data: unknown;
}

function isMarked(value: unknown): value is Marked {
  return typeof value === "object" && value !== null && typeof (value as Record<string, unknown>)[MARK] === "string";
}

function containsHandle(value: unknown, seen: Set<object>): boolean {
  if (typeof value !== "object" || value === null || seen.has(value)) return false;
  seen.add(value);
  if (crosserOf(value) !== undefined) return true;
  if (Array.isArray(value)) return value.some((v) => containsHandle(v, seen));
  if (value instanceof Map) {
    for (const [k, v] of value) if (containsHandle(k, seen) || containsHandle(v, seen)) return true;
    return false;
  }
  if (value instanceof Set) {
    for (const v of value) if (containsHandle(v, seen)) return true;
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).some((v) => containsHandle(v, seen));
}

/**
 * `value` ready to post: primitives replaced by marks (the containers around them copied, other
 * values shared with the original), and whether any primitive was found.
 */
export function encodeHandles(value: unknown): { value: unknown; handles: boolean } {
  if (typeof value !== "object" || value === null) return { value, handles: false };
  if (!containsHandle(value, new Set())) return { value, handles: false };
  const copies = new Map<object, unknown>();
  const encode = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    const done = copies.get(v);
    if (done !== undefined) return done;
    const crosser = crosserOf(v);
    if (crosser !== undefined) {
      const mark: Marked = { [MARK]: crosser.kind, data: crosser.toWire(v) };
      copies.set(v, mark);
      return mark;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      copies.set(v, out);
      for (const item of v) out.push(encode(item));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      copies.set(v, out);
      for (const [k, item] of v) out.set(encode(k), encode(item));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      copies.set(v, out);
      for (const item of v) out.add(encode(item));
      return out;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
    copies.set(v, out);
    for (const [k, item] of Object.entries(v)) out[k] = encode(item);
    return out;
  };
  return { value: encode(value), handles: true };
}

/** Revives the marks in a freshly received `value`, in place. */
export function decodeHandles(value: unknown): unknown {
  const revived = new Map<object, unknown>();
  const decode = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    if (revived.has(v)) return revived.get(v);
    if (isMarked(v)) {
      const crosser = crossers.find((c) => c.kind === v[MARK]);
      if (crosser === undefined) throw new TypeError(`Cannot revive a weft ${v[MARK]} in this thread`);
      const live = crosser.fromWire(v.data);
      revived.set(v, live);
      return live;
    }
    revived.set(v, v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = decode(v[i]);
    } else if (v instanceof Map) {
      const entries = [...v].map(([k, item]) => [decode(k), decode(item)] as const);
      v.clear();
      for (const [k, item] of entries) v.set(k, item);
    } else if (v instanceof Set) {
      const items = [...v].map(decode);
      v.clear();
      for (const item of items) v.add(item);
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = decode((v as Record<string, unknown>)[k]);
      }
    }
    return v;
  };
  return decode(value);
}
