/**
 * Views over the shared memory that stay valid when it grows.
 *
 * When any thread grows the memory, `memory.buffer` becomes a new, longer SharedArrayBuffer; views
 * made earlier keep their old length and silently read `undefined` past it. Every access therefore
 * goes through {@link words}, which re-derives the view when the buffer changed.
 * @module
 */

import { coreMemory } from "./core.js";

let view: Int32Array | undefined;

/** An `Int32Array` over the whole shared memory; index a word at byte address `a` as `a >>> 2`. */
export function words(): Int32Array {
  const buffer = coreMemory().buffer;
  if (view === undefined || view.buffer !== buffer) view = new Int32Array(buffer);
  return view;
}

/** The current size of the shared memory in bytes. */
export function memoryBytes(): number {
  return coreMemory().buffer.byteLength;
}
