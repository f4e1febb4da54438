/**
 * Lifetimes of the shared blocks behind Mutex and Semaphore objects.
 *
 * Every JS object that refers to a block holds one reference on it (the block's refcount word);
 * a FinalizationRegistry per isolate drops the reference when the object is collected, and the
 * last drop, in whichever thread, frees the block. A block therefore lives while any thread can
 * still reach it, and a program that creates and drops many primitives keeps the memory bounded.
 * @module
 */

const registry = new FinalizationRegistry<() => void>((drop) => drop());

/** Drops the reference `target` holds (by calling `drop`) once `target` is collected. */
export function dropWhenCollected(target: object, drop: () => void): void {
  registry.register(target, drop);
}
