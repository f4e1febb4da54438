/**
 * Source positions as weft identifies things by them: a spawn call site, a `new Global(...)`.
 *
 * A position the runtime reports inside a generated worker module is mapped back, through the
 * module's position map, to the caller file it was generated from: a nested spawn is analysed in
 * that original file, a Global re-created in a worker keeps its original identity, and stack
 * frames name the original file and line.
 * @module
 */

import { isPermissionDenied, noSourceFile, sourceUnavailable } from "../errors.js";
import { generatedModule, generatedModuleById } from "./modules.js";
import { runtime, type CallSite } from "../runtime.js";

/**
 * `[generated line, generated column, original line, original column]`, 1-based (UTF-16 columns),
 * sorted; an original line of 0 marks where mapped text ends on its generated line.
 */
export type Mapping = readonly [number, number, number, number];

const sources = new Map<string, string>();

/**
 * The names runtimes give code that has no file: Node's `[eval]`, `[eval1]` and `[stdin]`, its
 * REPL's `REPL1`, Deno's `$deno$eval.mts` and `$deno$stdin.mts`, and Bun's `[eval]` and `[stdin]`
 * made into file URLs of the working directory.
 */
const INLINE_CODE = /(?:^|\/)(?:\[(?:eval|stdin)\d*\]|%5B(?:eval|stdin)\d*%5D|REPL\d+|\$deno\$(?:eval|stdin|repl)[^/]*)$/;

/**
 * The text of a caller's source file, read once per isolate. Throws `WEFT_SOURCE_UNAVAILABLE` when
 * the caller is not a file (a `data:`, `blob:` or remote module) or its file cannot be read (moved
 * or deleted since it was loaded).
 */
export function sourceText(url: string): string {
  let source = sources.get(url);
  if (source === undefined) {
    if (INLINE_CODE.test(url)) throw noSourceFile(url);
    if (!url.startsWith("file:")) {
      const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
      throw sourceUnavailable(url, `its module was loaded from ${scheme === undefined ? "something other than a file" : `a ${scheme} URL, not from a file`}`);
    }
    try {
      source = runtime().readTextFileSync(url);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      if (isPermissionDenied(cause)) {
        throw sourceUnavailable(
          url,
          `the runtime denied read access to it (${reason}); grant read access to your source files, e.g. Deno's --allow-read`,
        );
      }
      throw sourceUnavailable(url, `its file cannot be read (${reason})`);
    }
    sources.set(url, source);
  }
  return source;
}

/** Forgets the source texts read so far (shutdown). */
export function clearSourceTexts(): void {
  sources.clear();
}

/**
 * The original position of a generated one: the last mapping at or before it on the same
 * generated line, with the column offset carried over; `undefined` for weft's wrapper code.
 */
export function mapPosition(mappings: readonly Mapping[], line: number, column: number): [number, number] | undefined {
  let lo = 0;
  let hi = mappings.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = mappings[mid]!;
    if (m[0] < line || (m[0] === line && m[1] <= column)) lo = mid + 1;
    else hi = mid;
  }
  const m = mappings[lo - 1];
  if (m === undefined || m[0] !== line || m[2] === 0) return undefined;
  return [m[2], m[3] + (column - m[1])];
}

/**
 * The position in original source for a position the runtime reported, which may lie in a
 * generated module (`mapped` then says so); `undefined` for a position in weft's wrapper code.
 */
export function originalSite(at: CallSite): (CallSite & { readonly mapped: boolean }) | undefined {
  const generated = generatedModule(at.url);
  if (generated === undefined) return { ...at, mapped: false };
  const position = mapPosition(generated.mappings, at.line, at.column);
  if (position === undefined) return undefined;
  return { url: generated.original, line: position[0], column: position[1], mapped: true };
}

/**
 * Rewrites the frames of `stack` that point into generated modules of this isolate so that they
 * name the original file and position.
 */
export function rewriteStack(stack: string): string {
  return stack.replace(/((?:data|blob):[^\s()]+?):(\d+):(\d+)/g, (whole, url: string, line: string, column: string) => {
    const id = /^data:[^,]*;weft=(\d+)/.exec(url)?.[1];
    const generated = id === undefined ? generatedModule(url) : generatedModuleById(Number(id));
    if (generated === undefined) return whole;
    const mapped = mapPosition(generated.mappings, Number(line), Number(column));
    if (mapped === undefined) return `${generated.original} (weft worker module)`;
    const source = runtime().originalPosition?.(generated.original, mapped[0], mapped[1]);
    return source === undefined
      ? `${generated.original}:${mapped[0]}:${mapped[1]}`
      : `${source.url}:${source.line}:${source.column}`;
  });
}
