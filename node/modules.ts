/**
 * Loading generated worker modules on Node: `data:` URLs, with bare specifiers resolved exactly as
 * in the caller's file by an in-thread resolve hook (`module.registerHooks`) that re-parents
 * resolutions made from a generated module to the file it was generated from. Node therefore
 * applies its own rules — package `exports`/`imports` with the `import` conditions, `node:`
 * builtins, the caller's nearest `node_modules` — with nothing re-implemented here.
 * @module
 */

import { Buffer } from "node:buffer";
import * as nodeModule from "node:module";

const originals = new Map<string, string>();
let hooked = false;

/** What `module.registerHooks` gives a resolve hook, and what the next hook returns. */
export type ResolveContext = { parentURL?: string | undefined; conditions?: readonly string[] };
export type Resolved = { url: string };
export type Resolve = (specifier: string, context: ResolveContext) => Resolved;
/** `module.registerHooks` (Node >= 22.15), as far as weft uses it: an in-thread resolve hook. */
export type RegisterHooks = (hooks: { resolve: (specifier: string, context: ResolveContext, next: Resolve) => Resolved }) => unknown;

interface HooksApi {
  registerHooks?: RegisterHooks;
}

/**
 * The `weft=<id>` parameter names the module in stack traces even where a runtime abbreviates long
 * `data:` URLs (Deno does), so that frames can be mapped back to the caller's file.
 */
export function dataModuleUrl(source: string, id: number): string {
  return `data:text/javascript;weft=${id};base64,${base64(source)}`;
}

/**
 * `Uint8Array.prototype.toBase64` where the engine has it (Deno): the first use of `Buffer` in a
 * new Deno worker costs it half a millisecond of its first task, as that of a native method does not.
 */
const toBase64 = (Uint8Array.prototype as { toBase64?: (this: Uint8Array) => string }).toBase64;
let encoder: TextEncoder | undefined;

/** The UTF-8 bytes of `text` in base64. */
function base64(text: string): string {
  if (typeof toBase64 !== "function") return Buffer.from(text, "utf8").toString("base64");
  encoder ??= new TextEncoder();
  return toBase64.call(encoder.encode(text));
}

export function adoptDataModule(url: string, originalUrl: string): void {
  originals.set(url, originalUrl);
  if (hooked) return;
  const api = nodeModule as unknown as HooksApi;
  if (typeof api.registerHooks !== "function") {
    throw new Error(
      `weft needs module.registerHooks (Node >= 22.15) to resolve imports of spawned closures; this is Node ${process.versions.node}`,
    );
  }
  api.registerHooks({
    resolve(specifier, context, next) {
      const original = context.parentURL === undefined ? undefined : originals.get(context.parentURL);
      return original === undefined ? next(specifier, context) : next(specifier, { ...context, parentURL: original });
    },
  });
  hooked = true;
}
