/**
 * weft bundled into an application by its build plugins (`weft/esbuild`, `weft/vite`, …): the
 * `.wasm` and the worker entry travel inside the bundle, so the output needs no `node_modules`,
 * no file beside it and no network.
 *
 * The plugin replaces the package entry with one that calls {@link loadEmbeddedCore} with the
 * module's bytes (base64) and the worker entry's source text (one self-contained ES module); new
 * workers then start from that text (`StartWorkerOptions.source`).
 * @module
 */

import { loadCore } from "./module.js";
import { importedMemoryLimits } from "./memory_limits.js";
import { coreLoadFailed } from "../errors.js";

let workerSource: string | undefined;

/** The worker entry's source text when weft was bundled with its build plugin, else `undefined`. */
export function embeddedWorkerSource(): string | undefined {
  return workerSource;
}

/** Loads the core from bytes carried in the bundle; later workers start from `worker`. */
export function loadEmbeddedCore(wasmBase64: string, worker: string): void {
  const url = new URL("weft:embedded/weft_bg.wasm");
  let module: WebAssembly.Module;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = decodeBase64(wasmBase64);
    module = new WebAssembly.Module(bytes);
  } catch (cause) {
    throw coreLoadFailed(url, cause);
  }
  const limits = importedMemoryLimits(bytes);
  if (limits === undefined) throw coreLoadFailed(url, new Error("the module imports no memory with a maximum"));
  workerSource = worker;
  loadCore({ module, limits, url });
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 (padding optional) to bytes; the runtime's own decoder where it has one. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (typeof native === "function") return native(text);
  const table = new Uint8Array(128).fill(255);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? table[code]! : 255;
    if (digit === 255) throw new SyntaxError(`Invalid base64 character at ${i}`);
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
