/**
 * Views over the shared memory that stay valid when it grows.
 *
 * When any thread grows the memory, `memory.buffer` becomes a new, longer SharedArrayBuffer; views
 * made earlier keep their old length and read `undefined` past it. Shared memory never moves, so
 * an old view still aliases the same bytes up to its length: a cached view is reused for every
 * word it covers and re-derived only for a word past its end (reading `memory.buffer` is far
 * dearer than an atomic operation on some engines, so the lock fast paths must not do it).
 * @module
 */

import { coreMemory } from "./module.js";

let view: Int32Array | undefined;

/** An `Int32Array` over the whole shared memory as it is now; index byte address `a` as `a >>> 2`. */
export function words(): Int32Array {
  const buffer = coreMemory().buffer;
  if (view === undefined || view.buffer !== buffer) view = new Int32Array(buffer);
  return view;
}

/** An `Int32Array` over the shared memory that covers the word at byte address `addr` (index it as `addr >>> 2`). */
export function wordsAt(addr: number): Int32Array {
  return view !== undefined && addr >>> 2 < view.length ? view : words();
}

let bytes: Uint8Array | undefined;

/**
 * A `Uint8Array` over the shared memory that covers the bytes up to `end` (exclusive): the same
 * reuse as {@link wordsAt}, for copying whole blocks in and out.
 */
export function bytesUpTo(end: number): Uint8Array {
  if (bytes !== undefined && end <= bytes.length) return bytes;
  const buffer = wordsAt(end - 1).buffer;
  bytes = new Uint8Array(buffer);
  return bytes;
}

/** The current size of the shared memory in bytes. */
export function memoryBytes(): number {
  return coreMemory().buffer.byteLength;
}
