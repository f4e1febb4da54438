/**
 * Call sites from the V8 stack-trace API (`Error.captureStackTrace` with a `prepareStackTrace`
 * that returns the structured frames). V8 (Node, Deno) provides it; Bun's JavaScriptCore emulates
 * it. Only one frame is captured, so the cost does not grow with the stack's depth.
 * @module
 */

import type { CallSite } from "./runtime.js";

interface V8Frame {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

type ErrorWithV8 = ErrorConstructor & {
  captureStackTrace?(target: object, constructorOpt?: Function): void;
  prepareStackTrace?: ((error: Error, frames: V8Frame[]) => unknown) | undefined;
  stackTraceLimit?: number | undefined;
};

/** The frame right above `callee`: the place that called it. */
export function v8CallerOf(callee: Function): CallSite | undefined {
  const E = Error as ErrorWithV8;
  if (typeof E.captureStackTrace !== "function") return undefined;
  const savedPrepare = E.prepareStackTrace;
  const savedLimit = E.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    E.stackTraceLimit = 1;
    E.prepareStackTrace = (_error, frames) => frames;
    E.captureStackTrace(holder, callee);
    const frames = holder.stack as V8Frame[] | undefined;
    const frame = Array.isArray(frames) ? frames[0] : undefined;
    if (frame === undefined) return undefined;
    const url = frame.getFileName();
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    if (typeof url !== "string" || url === "" || line === null || column === null) return undefined;
    return { url: toUrl(url), line, column };
  } finally {
    E.prepareStackTrace = savedPrepare;
    E.stackTraceLimit = savedLimit;
  }
}

/**
 * Some engines report a module's file as a plain path (Bun; Deno for files under a package.json).
 * The URL pathname setter percent-encodes what a path may contain and a URL may not (`#`, `?`, `%`).
 */
function toUrl(fileName: string): string {
  if (!fileName.startsWith("/")) return fileName;
  const url = new URL("file:///");
  url.pathname = fileName;
  return url.href;
}
