/**
 * `spawn(fn)` and the eval bridge.
 *
 * `spawn` reads its caller's position from the stack, has the analyzer find the closure there and
 * its free variables (once per call site), and returns a short script such as
 * `__weft(3,()=>({items,limit}))`. Passed to a direct `eval` in the caller, that script reads the
 * current values of exactly those variables in the caller's scope and hands them to the bridge
 * (`__weft`), which decides how each crosses (the value codec, protocol/codec.ts), obtains the worker module for that
 * choice (generated once per call site and choice), and submits the task.
 *
 * The script holds only the bridge's name, an integer and validated identifiers: never a path,
 * source text or user data.
 * @module
 */

import { core } from "../core/module.js";
import {
  capturesUnreadable,
  invalidArgument,
  noCallSite,
  notEvaluated,
  taskTimedOut,
  uncloneableCapture,
  uncloneableCaptures,
  warn,
  WeftError,
} from "../errors.js";
import { CAPTURE, pack, refusedTogether, scan } from "../protocol/codec.js";
import type { Capture, Closure, GeneratedModule } from "../wasm/weft.js";
import { callAnalyzer, clearAnalyzer } from "./analyzer.js";
import { closureAt, moduleAt, type SiteInputs } from "./analysis_cache.js";
import type { ModuleRef } from "./modules.js";
import { clearSourceTexts, originalSite, sourceText } from "./sites.js";
import { runtime } from "../runtime.js";
import { prepareToSubmit, submit } from "../pool/submit.js";
import type { Task } from "../protocol/messages.js";
import type { AbortSignalLike } from "../sync/waiting.js";

/**
 * What marks a string as a {@link WorkerScript} of result type `T`. It exists only in types: no
 * string has this property, so only `spawn` makes a WorkerScript.
 */
export interface WorkerScriptResult<T> {
  /** The closure's awaited result type (types only). */
  readonly "weft:result": T;
}

/**
 * The script `spawn` returns: pass it to `eval` in the same scope to start the task.
 * `await eval(script)` is typed as the closure's awaited result once weft is imported.
 */
export type WorkerScript<T> = string & WorkerScriptResult<T>;

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /**
   * Captured ArrayBuffers (or typed arrays' buffers, MessagePorts) to move to the worker instead
   * of copying; they become detached in the caller.
   */
  readonly transfer?: readonly object[];
  /**
   * Cancels the task when aborted: a task still queued is removed and never runs, a running one
   * has its worker terminated (the pool replaces it), and the promise rejects at once with
   * `signal.reason`. Tasks the task spawned are cancelled with it. An already aborted signal
   * rejects without running the task.
   */
  readonly signal?: AbortSignalLike;
  /**
   * Milliseconds, counted from the `eval` (time in the queue included), after which the task is
   * cancelled as by `signal`, rejecting with a `WEFT_TIMED_OUT` WeftError.
   */
  readonly timeout?: number;
}

/** @internal What spawn's options ask for, checked. */
export interface Options {
  readonly transfer: Transferable[];
  readonly signal: AbortSignalLike | undefined;
  readonly timeoutMs: number | undefined;
}

const NO_OPTIONS: Options = Object.freeze({ transfer: [], signal: undefined, timeoutMs: undefined });

interface Site {
  readonly id: number;
  /** The caller's source file (for a nested spawn: the file its generated module came from). */
  readonly url: string;
  /** `file:line:column` of the call, for messages. */
  readonly where: string;
  readonly closure: Closure;
  /** The top-level captures the script reads at the eval; the others are re-created. */
  readonly readTop: readonly Capture[];
  readonly script: string;
  readonly resolved: Record<string, string>;
  readonly modules: Map<string, ModuleRef & { readonly source: string }>;
  /** What the analysis read: the keys of the persistent cache. */
  readonly inputs: SiteInputs;
  /** Whether the analyzer holds this file (it analysed the site in this isolate). */
  analysed: boolean;
}

/** The bridge's global name; a file that declares or mentions it gets `__weft$1`, `__weft$2`, …. */
const BRIDGE = "__weft";
const installedBridges = new Set<string>();
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

const sites: Site[] = [];
const sitesByPosition = new Map<string, Site>();

interface Pending {
  readonly site: Site;
  readonly options: Options;
}
let pending: Pending[] = [];
let checkScheduled = false;

/**
 * Describes a task: `fn`, a closure without parameters, to run on a worker thread with the
 * current values of the variables it uses. Pass the result to a direct `eval` in the same scope,
 * which starts the task and returns a promise of its result:
 *
 * @example
 * ```ts
 * import { spawn } from "weft";
 * const rounds = 12;
 * const hash = await eval(spawn(() => slowHash("hunter2", rounds)));
 * ```
 *
 * Variables of enclosing scopes are copied (structured clone) when `eval` runs; top-level
 * bindings are copied when they hold data and re-created in the worker from their declaration or
 * import otherwise (functions, classes, modules). Never pass untrusted input to `spawn` or `eval`.
 */
export function spawn<T>(fn: () => T, options?: SpawnOptions): WorkerScript<Awaited<T>> {
  if (typeof fn !== "function") throw invalidArgument("spawn", "a closure such as () => work()", fn);
  const checked = checkOptions(options);
  // The first spawn (of the process, or since shutdown()) starts a worker before anything else:
  // its start is the longest step of a first spawn, and the stack capture, source maps and
  // analysis below all run while it loads.
  if (sitesByPosition.size === 0) prepareToSubmit();
  const reported = runtime().callerOf(spawn);
  if (reported === undefined) throw noCallSite();
  const position = `${reported.url}:${reported.line}:${reported.column}`;
  let site = sitesByPosition.get(position);
  if (site === undefined) {
    const at = originalSite(reported);
    if (at === undefined) throw noCallSite();
    prepareToSubmit(); // the first worker starts while the call site is analysed
    // In a generated module the closure's text was reprinted, so only the position identifies it.
    site = analyse(at.url, at.line, at.column, at.mapped ? undefined : fn, at.mapped);
    sitesByPosition.set(position, site);
  }
  pending.push({ site, options: checked });
  if (!checkScheduled) {
    checkScheduled = true;
    queueMicrotask(checkEvaluated);
  }
  return site.script as WorkerScript<Awaited<T>>;
}

/** @internal Checks spawn's options (shared with sites transformed at build time). */
export function checkOptions(options: SpawnOptions | undefined): Options {
  // `object[]` in the public type keeps DOM names out of weft's declarations.
  if (options === undefined) return NO_OPTIONS;
  if (typeof options !== "object" || options === null) {
    throw invalidArgument("spawn", "an options object { transfer, signal, timeout }", options);
  }
  const { transfer, signal, timeout } = options;
  if (transfer !== undefined && !Array.isArray(transfer)) {
    throw invalidArgument("spawn", "options.transfer to be an array", transfer);
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw invalidArgument("spawn", "options.signal to be an AbortSignal", signal);
  }
  if (timeout !== undefined && !(typeof timeout === "number" && timeout >= 0 && timeout <= 2 ** 31 - 1)) {
    throw invalidArgument("spawn", "options.timeout to be a number of milliseconds from 0 to 2147483647", timeout);
  }
  return { transfer: transfer === undefined ? [] : ([...transfer] as Transferable[]), signal, timeoutMs: timeout };
}

function isAbortSignal(value: unknown): value is AbortSignalLike {
  return typeof value === "object" && value !== null && "aborted" in value && "addEventListener" in value;
}

const warned = new Set<Site>();

/**
 * Every script spawn returned in the last synchronous run should have reached the bridge; one
 * that did not was never passed to eval. This warns, once per call site, rather than throwing into
 * the event loop.
 */
function checkEvaluated(): void {
  checkScheduled = false;
  const missed = pending;
  pending = [];
  for (const { site } of missed) {
    if (warned.has(site)) continue;
    warned.add(site);
    warn(notEvaluated(site.where));
  }
}

/**
 * Analyses the call site. `nested`: the call runs inside a generated worker module, where only the
 * closure's direct captures are in scope (the top-level names they need in turn were copied or
 * re-created there already), so only those are read.
 */
function analyse(url: string, line: number, column: number, fn: Function | undefined, nested: boolean): Site {
  const source = sourceText(url);
  const where = `${url}:${line}:${column}`;
  const text = fn === undefined ? undefined : Function.prototype.toString.call(fn);
  const inputs: SiteInputs = { url, source, line, column, text };
  const { closure, analysed } = closureAt(inputs, () => analyseSite(inputs, where));
  // Enums are re-created from their declaration, never read: TypeScript emitters may erase a
  // `const enum` entirely, so the caller may have no binding to read.
  const read = closure.top_level.filter((c) => readable(c) && !(nested && c.via !== null));
  const names = [...closure.locals, ...read].map((c) => c.name);
  for (const name of names) {
    if (!IDENTIFIER.test(name)) {
      throw new WeftError("WEFT_INTERNAL", `Cannot spawn at ${where}: the analyzer returned the name ${JSON.stringify(name)}`);
    }
  }
  const id = sites.length;
  const call = bridgeNameFor(source);
  // The values are read by a thunk the bridge calls, so that a capture the eval's scope cannot
  // read (an aliased eval, a variable in its temporal dead zone) fails as a WeftError there. An
  // imported binding is read only where the running code has it: a loader that compiles ES
  // modules to CommonJS (tsx, jest) renames `helper` to `import_x.helper`, and an import absent
  // from the object is re-created in the worker from its declaration, as one holding a function is.
  const fields = [
    ...closure.locals.map((c) => c.name),
    ...read.map((c) => (c.kind === "Import" ? `...(typeof ${c.name}==="undefined"?{}:{${c.name}})` : c.name)),
  ];
  const script = fields.length === 0 ? `${call}(${id})` : `${call}(${id},()=>({${fields.join(",")}}))`;
  const resolved = runtime().resolveSpecifiers(closure.bare_specifiers, url);
  const site: Site = { id, url, where, closure, readTop: read, script, resolved, modules: new Map(), inputs, analysed };
  sites.push(site);
  return site;
}

/** Runs the analyzer on a call site (which also makes it hold the file for `generateModule`). */
function analyseSite({ url, source, line, column, text }: SiteInputs, where: string): Closure {
  return callAnalyzer(where, () => core.analyzeCallSite(url, source, line, column, text), (error) => {
    const hint = runtime().callSiteHint;
    if (error.code === "WEFT_NO_CLOSURE" && hint !== undefined) error.message += ` (${hint})`;
  });
}

function readable(capture: Capture): boolean {
  return capture.kind !== "Enum";
}

function declaredAt(site: Site, capture: Capture): string {
  return `${site.url}:${capture.line}:${capture.column}`;
}

/**
 * The eval bridge: runs the task of site `id` with the caller's current `values`. A capture that
 * cannot cross throws here, synchronously at the `eval`, before any worker is involved.
 */
function bridge(id: unknown, read?: () => Record<string, unknown>): Promise<unknown> {
  const site = typeof id === "number" ? sites[id] : undefined;
  if (site === undefined) throw new WeftError("WEFT_INTERNAL", `The eval bridge received an unknown task id ${String(id)}`);
  const index = pending.findIndex((p) => p.site === site);
  const options = index >= 0 ? pending.splice(index, 1)[0]!.options : NO_OPTIONS;
  let values: Record<string, unknown> = {};
  if (typeof read === "function") {
    try {
      values = read();
    } catch (cause) {
      throw capturesUnreadable(site.where, cause);
    }
  }
  return start(site, values, options);
}

/**
 * The bridge's name for scripts of a file with text `source`: the first of `__weft`, `__weft$1`,
 * … that the text never mentions as a whole word, so no binding of the caller's scope can shadow
 * it. Installed in this isolate on first use.
 */
function bridgeNameFor(source: string): string {
  let name = BRIDGE;
  for (let n = 1; mentions(source, name); n++) name = `${BRIDGE}$${n}`;
  if (!installedBridges.has(name)) {
    installedBridges.add(name);
    if (!Object.prototype.hasOwnProperty.call(globalThis, name)) {
      Object.defineProperty(globalThis, name, { value: bridge, enumerable: false, writable: false, configurable: false });
    }
  }
  return name;
}

function mentions(source: string, name: string): boolean {
  const word = name.replace(/\$/g, "\\$");
  return new RegExp(`(?<![\\p{ID_Continue}$\\u200c\\u200d])${word}(?![\\p{ID_Continue}$\\u200c\\u200d])`, "u").test(source);
}

/**
 * Starts the task: each enclosing-scope capture must cross (the value codec's capture rules), or
 * the eval throws naming it; a top-level capture that cannot cross is re-created in the worker
 * from its declaration instead.
 */
function start(site: Site, values: Record<string, unknown>, options: Options): Promise<unknown> {
  const locals: Record<string, unknown> = {};
  let handles = false;
  for (const capture of site.closure.locals) {
    const value = values[capture.name];
    const scanned = scan(value, CAPTURE);
    if (scanned.refused !== undefined) {
      throw uncloneableCapture(site.where, capture.name, declaredAt(site, capture), scanned.refused);
    }
    handles ||= scanned.handles;
    locals[capture.name] = value;
  }
  const top: Record<string, unknown> = {};
  const byValue: string[] = [];
  for (const capture of site.readTop) {
    if (!Object.prototype.hasOwnProperty.call(values, capture.name)) continue; // re-created
    const value = values[capture.name];
    const scanned = scan(value, CAPTURE);
    if (scanned.refused === undefined) {
      handles ||= scanned.handles;
      top[capture.name] = value;
      byValue.push(capture.name);
    }
  }
  const together = refusedTogether([locals, top], CAPTURE);
  if (together !== undefined) throw uncloneableCaptures(site.where, [...Object.keys(locals), ...byValue], together);
  const what = `the task spawned at ${site.where}`;
  const task = { target: moduleFor(site, byValue), name: "default", payload: pack([locals, top], handles), transfer: options.transfer, what };
  return submitWith(task, options);
}

/** @internal Submits `task` with what `options` ask for (cancellation, a timeout). */
export function submitWith(task: Task, options: Options): Promise<unknown> {
  const { signal, timeoutMs } = options;
  if (signal === undefined && timeoutMs === undefined) return submit(task);
  return submit(task, { signal, timeoutMs, timedOut: () => taskTimedOut(task.what, timeoutMs!) });
}

function moduleFor(site: Site, byValue: string[]): ModuleRef {
  const key = byValue.join(",");
  let module = site.modules.get(key);
  if (module === undefined) {
    const generated: GeneratedModule = moduleAt(site.inputs, byValue, site.resolved, () => {
      // A closure read from the persistent cache: the analyzer has not seen the file yet.
      if (!site.analysed) {
        analyseSite(site.inputs, site.where);
        site.analysed = true;
      }
      return callAnalyzer(site.where, () => core.generateModule(site.url, site.closure.id, byValue, site.resolved));
    });
    module = {
      key: `${site.url}#${site.closure.id}|${key}`,
      original: site.url,
      site: site.where,
      source: generated.code,
      mappings: generated.mappings,
    };
    site.modules.set(key, module);
  }
  return module;
}

/** Installs the eval bridge as a global, once per isolate. */
export function installBridge(): void {
  bridgeNameFor("");
}

/** Forgets analysed call sites (shutdown and tests). */
export function clearSpawnCaches(): void {
  sitesByPosition.clear();
  clearSourceTexts();
  for (const site of sites) site.modules.clear();
  clearAnalyzer();
}
