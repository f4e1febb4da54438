/**
 * The registry of weft's primitives (Mutex, Semaphore, Global), whose instances cross between
 * threads as handles: the sender describes the object (the address of its block in the shared
 * memory, or its Global key), the receiver makes a live object of the same class that refers to
 * the same lock or value. Each primitive's module registers its class once; the value codec
 * (codec.ts) decides where handles are needed.
 * @module
 */

/** A class whose instances cross threads as handles. */
export interface Crosser<T extends object = object, D = unknown> {
  /** Stable name of the class in messages. */
  readonly kind: string;
  is(value: object): value is T;
  /**
   * What the receiver needs (encoded by the codec in turn, so it may hold other primitives);
   * takes a reference for the receiver where the class counts them.
   */
  toWire(value: T): D;
  /** A live object from what {@link toWire} sent, already decoded. */
  fromWire(data: D): T;
}

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

/** The crosser registered as `kind`, or `undefined` when this thread has not loaded it. */
export function crosserNamed(kind: string): Crosser | undefined {
  for (const c of crossers) if (c.kind === kind) return c;
  return undefined;
}
