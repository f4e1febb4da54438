/**
 * `SharedStruct(layout)`: classes whose instances live in the shared Wasm memory, so that every
 * thread holding one reads and writes the same fields.
 *
 * An instance is a block of the shared memory (`crates/wasm/src/structs.rs`: a refcount, the size,
 * then the fields from byte 8, 8-byte aligned). Fields are laid out in declaration order, each at
 * an offset aligned to its element size (8 for `f64`, `i64`, `u64`; 4, 2, 1 below), so the same
 * layout gives the same offsets in every thread. Field accessors read and write through typed-array
 * views over the block; plain reads and writes are not atomic (like `Int32Array` elements), the
 * atomic methods are (`Atomics.*` on the same views).
 *
 * An instance crosses threads as a handle: the receiver gets an instance of a class with the same
 * layout (the one `SharedStruct` made in that thread for it, or a new one) over the same block.
 * @module
 */

import { dropWhenCollected } from "../core/blocks.js";
import { core } from "../core/module.js";
import { WeftError } from "../errors.js";
import { registerCrosser } from "../protocol/handles.js";
import { words } from "../core/memory.js";
import { syncCall } from "./blocking.js";

/** The integer field types, which have atomic methods. */
export type SharedIntegerType = "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "i64" | "u64";
/** A scalar field type. */
export type SharedScalarType = SharedIntegerType | "f32" | "f64" | "bool";
/** A field type: a scalar, or a fixed array `[scalar, length]` read as a typed array. */
export type SharedFieldType = SharedScalarType | readonly [SharedScalarType, number];
/** A struct layout: field names to types, in the order they are laid out. */
export type SharedLayout = Readonly<Record<string, SharedFieldType>>;

/** The typed array a scalar type is read through. */
export type SharedArrayOf<S extends SharedScalarType> = S extends "i8"
  ? Int8Array
  : S extends "u8" | "bool"
    ? Uint8Array
    : S extends "i16"
      ? Int16Array
      : S extends "u16"
        ? Uint16Array
        : S extends "i32"
          ? Int32Array
          : S extends "u32"
            ? Uint32Array
            : S extends "f32"
              ? Float32Array
              : S extends "f64"
                ? Float64Array
                : S extends "i64"
                  ? BigInt64Array
                  : BigUint64Array;

/** The JS value of a field of type `F`. */
export type SharedFieldValue<F extends SharedFieldType> = F extends readonly [infer S extends SharedScalarType, number]
  ? SharedArrayOf<S>
  : F extends "i64" | "u64"
    ? bigint
    : F extends "bool"
      ? boolean
      : number;

/** The names of a layout's integer fields. */
export type SharedIntegerField<L extends SharedLayout> = {
  [K in keyof L]: L[K] extends SharedIntegerType ? K : never;
}[keyof L] &
  string;

/** What an instance's constructor accepts: initial values for any of the fields. */
export type SharedInit<L extends SharedLayout> = {
  readonly [K in keyof L]?: L[K] extends readonly [SharedScalarType, number] ? ArrayLike<number | bigint> : SharedFieldValue<L[K]>;
};

/** The atomic methods of an instance; each returns what the `Atomics` function of that name does. */
export interface SharedStructMethods<L extends SharedLayout> {
  /** Atomically adds `value` to the field; returns the old value (`Atomics.add`). */
  add<K extends SharedIntegerField<L>>(field: K, value: SharedFieldValue<L[K]>): SharedFieldValue<L[K]>;
  /** Atomically subtracts `value` from the field; returns the old value (`Atomics.sub`). */
  sub<K extends SharedIntegerField<L>>(field: K, value: SharedFieldValue<L[K]>): SharedFieldValue<L[K]>;
  /** Atomic bitwise and; returns the old value (`Atomics.and`). */
  and<K extends SharedIntegerField<L>>(field: K, value: SharedFieldValue<L[K]>): SharedFieldValue<L[K]>;
  /** Atomic bitwise or; returns the old value (`Atomics.or`). */
  or<K extends SharedIntegerField<L>>(field: K, value: SharedFieldValue<L[K]>): SharedFieldValue<L[K]>;
  /** Atomic bitwise xor; returns the old value (`Atomics.xor`). */
  xor<K extends SharedIntegerField<L>>(field: K, value: SharedFieldValue<L[K]>): SharedFieldValue<L[K]>;
  /** Atomically replaces the field; returns the old value (`Atomics.exchange`). */
  exchange<K extends SharedIntegerField<L>>(field: K, value: SharedFieldValue<L[K]>): SharedFieldValue<L[K]>;
  /** Reads the field atomically (`Atomics.load`). */
  load<K extends SharedIntegerField<L>>(field: K): SharedFieldValue<L[K]>;
  /** Writes the field atomically; returns `value` (`Atomics.store`). */
  store<K extends SharedIntegerField<L>>(field: K, value: SharedFieldValue<L[K]>): SharedFieldValue<L[K]>;
  /**
   * Writes `replacement` if the field holds `expected`; returns the old value either way
   * (`Atomics.compareExchange`).
   */
  compareExchange<K extends SharedIntegerField<L>>(
    field: K,
    expected: SharedFieldValue<L[K]>,
    replacement: SharedFieldValue<L[K]>,
  ): SharedFieldValue<L[K]>;
}

/** An instance: the fields as properties, and the atomic methods. */
export type SharedStructInstance<L extends SharedLayout> = { -readonly [K in keyof L]: SharedFieldValue<L[K]> } & SharedStructMethods<L> &
  SharedStruct;

/** A class made by {@link SharedStruct}. */
export interface SharedStructClass<L extends SharedLayout> {
  /** A new instance in shared memory: every field zero (false), then `init`'s values. */
  new (init?: SharedInit<L>): SharedStructInstance<L>;
  /** The layout it was made from. */
  readonly layout: L;
  /** Bytes the fields take in shared memory. */
  readonly byteLength: number;
  /** The prototype of its instances, where the field accessors and atomic methods live. */
  readonly prototype: SharedStructInstance<L>;
}

type ViewClass =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const SCALARS: Readonly<Record<SharedScalarType, { readonly view: ViewClass; readonly size: number }>> = {
  i8: { view: Int8Array, size: 1 },
  u8: { view: Uint8Array, size: 1 },
  bool: { view: Uint8Array, size: 1 },
  i16: { view: Int16Array, size: 2 },
  u16: { view: Uint16Array, size: 2 },
  i32: { view: Int32Array, size: 4 },
  u32: { view: Uint32Array, size: 4 },
  f32: { view: Float32Array, size: 4 },
  f64: { view: Float64Array, size: 8 },
  i64: { view: BigInt64Array, size: 8 },
  u64: { view: BigUint64Array, size: 8 },
};

const INTEGERS: ReadonlySet<string> = new Set(["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"]);

/** The most elements of one array field. */
const MAX_ARRAY = 2 ** 24;

interface Field {
  readonly name: string;
  readonly type: SharedScalarType;
  /** Elements for an array field; `undefined` for a scalar. */
  readonly length: number | undefined;
  /** Byte offset from the start of the fields. */
  readonly offset: number;
}

interface Plan {
  readonly fields: readonly Field[];
  readonly byName: ReadonlyMap<string, Field>;
  readonly byteLength: number;
  /** The layout in a canonical form, identical in every thread: `[[name, type, length?], …]`. */
  readonly wire: readonly (readonly [string, SharedScalarType, number?])[];
  readonly key: string;
}

function badLayout(detail: string): WeftError {
  return new WeftError("WEFT_INVALID_ARGUMENT", `Cannot make a SharedStruct: ${detail}`);
}

function plan(layout: unknown): Plan {
  if (typeof layout !== "object" || layout === null || Array.isArray(layout)) {
    throw badLayout(`expected a layout object such as { hits: "u32", mean: "f64" }, received ${layout === null ? "null" : Array.isArray(layout) ? "an array" : typeof layout}`);
  }
  const fields: Field[] = [];
  const byName = new Map<string, Field>();
  let offset = 0;
  for (const [name, spec] of Object.entries(layout)) {
    if (name in Base.prototype || name === "constructor" || name === "__proto__") {
      throw badLayout(`field "${name}" would hide a method of every instance; rename it`);
    }
    let type: unknown = spec;
    let length: number | undefined;
    if (Array.isArray(spec)) {
      [type, length] = spec as unknown[] as [unknown, number];
      if (spec.length !== 2 || !Number.isInteger(length) || length! < 1 || length! > MAX_ARRAY) {
        throw badLayout(`field "${name}" must be [type, length] with an integer length from 1 to ${MAX_ARRAY}, received ${JSON.stringify(spec)}`);
      }
    }
    if (typeof type !== "string" || !(type in SCALARS)) {
      throw badLayout(`field "${name}" has type ${JSON.stringify(type)}; expected one of ${Object.keys(SCALARS).map((t) => `"${t}"`).join(", ")}, or [type, length]`);
    }
    const size = SCALARS[type as SharedScalarType].size;
    offset = Math.ceil(offset / size) * size;
    const field: Field = { name, type: type as SharedScalarType, length, offset };
    fields.push(field);
    byName.set(name, field);
    offset += size * (length ?? 1);
  }
  if (fields.length === 0) throw badLayout("the layout has no fields");
  const byteLength = Math.max(8, Math.ceil(offset / 8) * 8);
  const wire = fields.map((f) => (f.length === undefined ? ([f.name, f.type] as const) : ([f.name, f.type, f.length] as const)));
  return { fields, byName, byteLength, wire, key: JSON.stringify(wire) };
}

/** Set by `_adopt` for the next constructor call: a block the new object takes over. */
let adopting: number | undefined;

/** Classes made in this thread, by canonical layout: a handle arriving here revives as one of them. */
const classes = new Map<string, SharedStructClass<SharedLayout>>();

/**
 * The base class of every SharedStruct class: `value instanceof SharedStruct` is true for any
 * instance. Calling `SharedStruct(layout)` (without `new`) makes a class.
 */
export interface SharedStruct {
  /** Marks SharedStruct instances (always `true`). */
  readonly _sharedStruct: true;
}

/** Common to every instance: the block, the views, the atomic methods. */
abstract class Base {
  #block = 0;
  #views = new Map<ViewClass, ArrayBufferView>();

  /** @internal */
  static _init(instance: Base, block: number): void {
    instance.#block = block;
  }

  /** @internal */
  static _block(instance: Base): number {
    return instance.#block;
  }

  /** @internal A view of the fields as `C` (cached: shared memory never moves). */
  _view(C: ViewClass): any {
    let view = this.#views.get(C);
    if (view === undefined) {
      const plan = (this.constructor as unknown as { [PLAN]: Plan })[PLAN];
      view = new (C as unknown as new (b: ArrayBufferLike, o: number, n: number) => ArrayBufferView)(
        words().buffer,
        this.#block + 8,
        plan.byteLength / C.BYTES_PER_ELEMENT,
      );
      this.#views.set(C, view);
    }
    return view;
  }

  /** @internal The integer field `name`, for an atomic method. */
  _integer(name: unknown, method: string): [any, number] {
    const plan = (this.constructor as unknown as { [PLAN]: Plan })[PLAN];
    const field = typeof name === "string" ? plan.byName.get(name) : undefined;
    if (field === undefined || field.length !== undefined || !INTEGERS.has(field.type)) {
      const integers = plan.fields.filter((f) => f.length === undefined && INTEGERS.has(f.type)).map((f) => `"${f.name}"`);
      throw new WeftError(
        "WEFT_INVALID_ARGUMENT",
        `Cannot ${method}() on field ${JSON.stringify(name)} of the SharedStruct: atomic methods take an integer field's name (${integers.length === 0 ? "this struct has none" : integers.join(", ")})`,
      );
    }
    const { view, size } = SCALARS[field.type];
    return [this._view(view), field.offset / size];
  }

  add(name: string, value: number | bigint): number | bigint {
    return this._atomic("add", name, value);
  }
  sub(name: string, value: number | bigint): number | bigint {
    return this._atomic("sub", name, value);
  }
  and(name: string, value: number | bigint): number | bigint {
    return this._atomic("and", name, value);
  }
  or(name: string, value: number | bigint): number | bigint {
    return this._atomic("or", name, value);
  }
  xor(name: string, value: number | bigint): number | bigint {
    return this._atomic("xor", name, value);
  }
  exchange(name: string, value: number | bigint): number | bigint {
    return this._atomic("exchange", name, value);
  }
  store(name: string, value: number | bigint): number | bigint {
    return this._atomic("store", name, value);
  }
  load(name: string): number | bigint {
    return this._atomic("load", name);
  }
  compareExchange(name: string, expected: number | bigint, replacement: number | bigint): number | bigint {
    return this._atomic("compareExchange", name, expected, replacement);
  }

  /** @internal `Atomics[method]` on the integer field `name`. */
  _atomic(method: AtomicMethod, name: string, ...args: (number | bigint)[]): number | bigint {
    const [view, index] = this._integer(name, method);
    return (Atomics[method] as (v: unknown, i: number, ...a: unknown[]) => number | bigint)(view, index, ...args);
  }
}

type AtomicMethod = "add" | "sub" | "and" | "or" | "xor" | "exchange" | "load" | "store" | "compareExchange";

const PLAN = Symbol("weft.sharedStruct.plan");

function makeClass(p: Plan, layout: SharedLayout): SharedStructClass<SharedLayout> {
  const Struct = class extends Base {
    static readonly [PLAN] = p;
    static readonly layout = layout;
    static readonly byteLength = p.byteLength;

    constructor(init?: Record<string, unknown>) {
      super();
      const adopted = adopting;
      adopting = undefined;
      const block = adopted ?? syncCall(() => core.structCreate(p.byteLength));
      Base._init(this, block);
      dropWhenCollected(this, () => core.structRelease(block));
      if (adopted === undefined && init !== undefined) {
        if (typeof init !== "object" || init === null) {
          throw new WeftError("WEFT_INVALID_ARGUMENT", `Cannot create a SharedStruct: initial values must be an object, received ${init === null ? "null" : typeof init}`);
        }
        for (const [name, value] of Object.entries(init)) {
          const field = p.byName.get(name);
          if (field === undefined) {
            throw new WeftError("WEFT_INVALID_ARGUMENT", `Cannot create a SharedStruct with field "${name}": its layout has ${p.fields.map((f) => `"${f.name}"`).join(", ")}`);
          }
          if (field.length === undefined) (this as unknown as Record<string, unknown>)[name] = value;
          else (this as unknown as Record<string, { set(v: unknown): void }>)[name]!.set(value);
        }
      }
    }
  };
  for (const field of p.fields) {
    const { view, size } = SCALARS[field.type];
    const index = field.offset / size;
    const descriptor: PropertyDescriptor =
      field.length !== undefined
        ? {
            get(this: Base) {
              const whole = this._view(view) as { subarray(a: number, b: number): unknown };
              const sub = whole.subarray(index, index + field.length!);
              Object.defineProperty(this, field.name, { value: sub, enumerable: true });
              return sub;
            },
            enumerable: true,
          }
        : field.type === "bool"
          ? {
              get(this: Base) {
                return this._view(view)[index] !== 0;
              },
              set(this: Base, v: unknown) {
                this._view(view)[index] = v ? 1 : 0;
              },
              enumerable: true,
            }
          : {
              get(this: Base) {
                return this._view(view)[index];
              },
              set(this: Base, v: unknown) {
                this._view(view)[index] = v;
              },
              enumerable: true,
            };
    Object.defineProperty(Struct.prototype, field.name, descriptor);
  }
  Object.defineProperty(Struct.prototype, "_sharedStruct", { value: true });
  return Struct as unknown as SharedStructClass<SharedLayout>;
}

/**
 * Makes a class whose instances live in shared memory, with the fields of `layout`.
 *
 * @example
 * ```ts
 * import { SharedStruct, spawn } from "weft";
 * const Progress = SharedStruct({ done: "u32", total: "u32", latencies: ["f64", 64] });
 * const progress = new Progress({ total: 100 });
 * await Promise.all(jobs.map((job) => eval(spawn(async () => {
 *   await run(job);
 *   progress.add("done", 1);      // atomic, visible to every thread
 * }))));
 * console.log(progress.done, "of", progress.total);
 * ```
 */
export const SharedStruct: {
  <const L extends SharedLayout>(layout: L): SharedStructClass<L>;
  readonly prototype: SharedStruct;
} = function SharedStruct<const L extends SharedLayout>(layout: L): SharedStructClass<L> {
  if (new.target !== undefined) {
    throw new WeftError("WEFT_INVALID_ARGUMENT", "Cannot use `new SharedStruct(…)`: call SharedStruct(layout) to make a class, then `new` that class");
  }
  const p = plan(layout);
  const made = makeClass(p, Object.freeze({ ...layout }));
  if (!classes.has(p.key)) classes.set(p.key, made);
  return made as unknown as SharedStructClass<L>;
} as never;
// `instance instanceof SharedStruct` for an instance of any SharedStruct class.
(SharedStruct as unknown as { prototype: object }).prototype = Base.prototype;

registerCrosser<Base, { block: number; layout: Plan["wire"] }>({
  kind: "struct",
  is: (v): v is Base => v instanceof Base,
  toWire: (s) => {
    const block = Base._block(s);
    syncCall(() => core.structRetain(block));
    return { block, layout: (s.constructor as unknown as { [PLAN]: Plan })[PLAN].wire };
  },
  fromWire: ({ block, layout }) => {
    const key = JSON.stringify(layout);
    let Struct = classes.get(key);
    if (Struct === undefined) {
      const rebuilt: SharedLayout = Object.fromEntries(
        layout.map(([name, type, length]): [string, SharedFieldType] => [name, length === undefined ? type : [type, length]]),
      );
      const p = plan(rebuilt);
      Struct = makeClass(p, Object.freeze(rebuilt));
      classes.set(key, Struct);
    }
    adopting = block;
    return new Struct() as unknown as Base;
  },
});
