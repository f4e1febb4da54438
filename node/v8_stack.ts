/**
 * Call sites from the V8 stack-trace API (`Error.captureStackTrace` with a `prepareStackTrace`
 * that returns the structured frames). V8 (Node, Deno) provides it; Bun's JavaScriptCore emulates
 * it. Only a few frames are captured, so the cost does not grow with the stack's depth
 * (JavaScriptCore applies the limit before dropping the frames above `callee`, hence more than 1).
 * @module
 */

import type { CallSite } from "../js/runtime.js";
import { builtin } from "./builtins.js";

interface V8Frame {
  getFunctionName(): string | null;
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
  return toCallSite(capture(callee, 1)?.[0], nodePathToUrl);
}

/**
 * The same for JavaScriptCore, whose `captureStackTrace(target, callee)` returns no frames when
 * `callee` runs under a method call: capture unfiltered and take the frame after `callee`'s own,
 * found by `callee`'s name among weft's frames at the top of the stack. `pathToUrl` is the
 * runtime's own `pathToFileURL` (see {@link toUrl}).
 */
export function jscCallerOf(pathToUrl: (path: string) => string): (callee: Function) => CallSite | undefined {
  return (callee) => {
    // capture, this function, callee and its caller, plus one frame of slack (an adapter's wrapper).
    const frames = capture(undefined, 5);
    if (frames === undefined) return undefined;
    const own = frames.findIndex((f) => f.getFunctionName() === callee.name);
    return own < 0 ? undefined : toCallSite(frames[own + 1], pathToUrl, jscColumnShift());
  };
}

/**
 * What to add to JavaScriptCore's column of a call to get the one the analyzer expects: that of
 * the call's opening parenthesis, counted from 1, as Bun reports it from 1.4.4 on. Earlier
 * versions (1.2 to 1.4.3) report one less, in files and in evaluated code alike. Measured once per
 * isolate, on a call at a known column.
 */
function jscColumnShift(): number {
  if (shift === undefined) {
    shift = 0;
    try {
      // In `return callee()` the parenthesis is the 14th character. Frames: `capture`, the arrow,
      // the probe. Only a shift of one is taken: any other reading (the callee's start, 8) is a
      // convention this does not know, and is left as reported.
      const probe = new Function("callee", "return callee()") as (callee: () => V8Frame | undefined) => V8Frame | undefined;
      const column = probe(() => capture(undefined, 3)?.[2])?.getColumnNumber();
      if (column === 13) shift = 1;
    } catch {
      // No `Function` constructor (a locked-down isolate): columns as reported.
    }
  }
  return shift;
}
let shift: number | undefined;

/** Captures at most `limit` structured frames; a V8 stack walk's cost grows with the limit. */
function capture(callee: Function | undefined, limit: number): V8Frame[] | undefined {
  const E = Error as ErrorWithV8;
  if (typeof E.captureStackTrace !== "function") return undefined;
  const savedPrepare = E.prepareStackTrace;
  const savedLimit = E.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    E.stackTraceLimit = limit;
    E.prepareStackTrace = framesOf;
    if (callee === undefined) E.captureStackTrace(holder);
    else E.captureStackTrace(holder, callee);
    return Array.isArray(holder.stack) ? (holder.stack as V8Frame[]) : undefined;
  } finally {
    E.prepareStackTrace = savedPrepare;
    E.stackTraceLimit = savedLimit;
  }
}

const framesOf = (_error: Error, frames: V8Frame[]): V8Frame[] => frames;

function toCallSite(frame: V8Frame | undefined, pathToUrl: (path: string) => string, columnShift = 0): CallSite | undefined {
  if (frame === undefined) return undefined;
  const url = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (typeof url !== "string" || url === "" || line === null || column === null) return undefined;
  return { url: toUrl(url, pathToUrl), line, column: column + columnShift };
}

/**
 * Some engines report a module's file as a plain path (Bun, Deno). The runtime's own
 * `pathToFileURL` turns it into the module's URL: it escapes `%` (a file `dir%20x/a.js` is not
 * `dir x/a.js`), newlines and tabs (which the URL parser would drop), `#` and `?`.
 */
function toUrl(fileName: string, pathToUrl: (path: string) => string): string {
  if (!fileName.startsWith("/")) return fileName;
  let href = urlsOfPaths.get(fileName);
  if (href === undefined) {
    href = pathToUrl(fileName);
    urlsOfPaths.set(fileName, href);
  }
  return href;
}

/** `node:url`'s `pathToFileURL`, loaded on first use. */
const nodePathToUrl = (path: string): string => builtin("node:url").pathToFileURL(path).href;

/** `toUrl`'s results: spawn asks once per call, for a handful of files. */
const urlsOfPaths = new Map<string, string>();
