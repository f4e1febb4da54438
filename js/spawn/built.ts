/**
 * Running a call site that weft's build-time transform rewrote (`weft/esbuild`, `weft/vite`, …).
 *
 * The transform replaces `eval(spawn(() => …, options))` with a call of {@link runBuilt} that
 * names the closure's captures in plain code, and links a worker module, bundled at build time,
 * that exports one function per call site of the file. So nothing here captures a stack, reads a
 * source file, evals or analyses: the values are checked as the eval bridge checks them, and the
 * task is submitted.
 * @module
 */

import { WeftError, uncloneableCapture } from "../errors.js";
import { CAPTURE, pack, scan } from "../protocol/codec.js";
import type { ModuleRef } from "./modules.js";
import { checkOptions, submitWith, type SpawnOptions } from "./spawn.js";

/** The worker module of one transformed file, as the transform writes it into that file. */
export interface BuiltModule {
  /** Unique to the module's text. */
  readonly key: string;
  /** The module's text: bundled, importing nothing but builtins and weft itself. */
  readonly source: string;
  /** The file it was built from (a `file:` URL at build time), for messages. */
  readonly original: string;
}

const refs = new WeakMap<BuiltModule, ModuleRef>();

function refOf(module: BuiltModule): ModuleRef {
  let ref = refs.get(module);
  if (ref === undefined) {
    if (typeof module !== "object" || module === null || typeof module.source !== "string" || typeof module.key !== "string") {
      throw new WeftError("WEFT_INTERNAL", "A call site rewritten by weft's build-time transform names no worker module: rebuild with the same weft version");
    }
    ref = { key: module.key, original: module.original, source: module.source };
    refs.set(module, ref);
  }
  return ref;
}

/**
 * Starts the task of the call site `name` of a transformed file: `locals` holds the closure's
 * enclosing-scope captures, `top` the top-level names the transform passes by value. A value that
 * cannot cross throws here, synchronously, naming it.
 */
export function runBuilt(
  module: BuiltModule,
  name: string,
  where: string,
  locals: Record<string, unknown>,
  top: Record<string, unknown>,
  options?: SpawnOptions,
): Promise<unknown> {
  const checked = checkOptions(options);
  let handles = false;
  for (const values of [locals, top]) {
    for (const key of Object.keys(values)) {
      const scanned = scan(values[key], CAPTURE);
      if (scanned.refused !== undefined) {
        const declared = values === top ? "at the top level of its module" : "in an enclosing scope";
        const error = uncloneableCapture(where, key, declared, scanned.refused);
        if (values === top) {
          error.message +=
            ". The build-time transform passes a top-level variable by value unless its declaration shows it holds code " +
            "(a function, a class, require()); declare such a value with `function` or `class`, or initialise it with one";
        }
        throw error;
      }
      handles ||= scanned.handles;
    }
  }
  const what = `the task spawned at ${where}`;
  const task = { target: refOf(module), name, payload: pack([locals, top], handles), transfer: checked.transfer, what };
  return submitWith(task, checked);
}
