/**
 * `WaitGroup`: waits for a count of tasks, in any threads, to finish (Go's `sync.WaitGroup`).
 *
 * The count is one word of the shared Wasm memory driven by `weft-sync`'s `RawWaitGroup`: bits
 * 0–23 the tasks outstanding, bits 24–30 an epoch advanced each time the count reaches 0 while
 * someone waits, bit 31 "someone may be waiting". `add`, `done` and a wait that finds 0 are one
 * atomic operation each and wake nobody unless somebody waits.
 * @module
 */

import { dropWhenCollected } from "../core/blocks.js";
import { core, isWorkerThread } from "../core/module.js";
import { invalidArgument, invalidValue } from "../errors.js";
import { registerCrosser } from "../protocol/handles.js";
import { wordsAt } from "../core/memory.js";
import { blockingOnMainThread, syncCall } from "./blocking.js";
import { acquireAsync, checkWaitOptions, type WaitOptions } from "./waiting.js";

/** Set by `_adopt` for the next constructor call: a block the new object takes over. */
let adopting: number | undefined;

/**
 * A count of outstanding tasks that any thread can raise, lower and wait on; captured by a
 * spawned closure it arrives as a handle to the same count.
 *
 * @example
 * ```ts
 * import { spawn, WaitGroup } from "weft";
 * const group = new WaitGroup();
 * for (const file of files) {
 *   group.add();
 *   eval(spawn(async () => { try { await index(file); } finally { group.done(); } }));
 * }
 * await group.wait();   // every task has called done()
 * ```
 */
export class WaitGroup {
  #block: number;

  /** A wait group with nothing outstanding. */
  constructor() {
    const adopted = adopting;
    adopting = undefined;
    const block = adopted ?? syncCall(() => core.waitGroupCreate());
    this.#block = block;
    dropWhenCollected(this, () => core.waitGroupRelease(block));
  }

  /** @internal A second object for an existing block; the caller already holds its reference. */
  static _adopt(block: number): WaitGroup {
    adopting = block;
    return new WaitGroup();
  }

  /** @internal */
  static _block(group: WaitGroup): number {
    return group.#block;
  }

  /** Tasks outstanding right now (a snapshot). */
  get count(): number {
    return core.waitGroupCount(this.#block);
  }

  /**
   * Adds `n` (default 1) outstanding tasks. Above the limit (2²⁴ − 1 outstanding) it throws
   * `WEFT_WAITGROUP_OVERFLOW` and changes nothing.
   */
  add(n = 1): void {
    const max = core.waitGroupMaxCount();
    const expected = `an integer count of tasks from 1 to ${max}`;
    if (typeof n !== "number") throw invalidArgument("add to the WaitGroup", expected, n);
    if (!Number.isInteger(n) || n < 1 || n > max) throw invalidValue("add to the WaitGroup", expected, n);
    syncCall(() => core.waitGroupAdd(this.#block, n));
  }

  /**
   * Marks one task done. With nothing outstanding it throws `WEFT_WAITGROUP_NEGATIVE` and
   * changes nothing.
   */
  done(): void {
    const block = this.#block;
    if (syncCall(() => core.waitGroupDone(block))) Atomics.notify(wordsAt(block), block >>> 2);
  }

  /**
   * Waits, without blocking the thread, until the count is 0 (at once if it is). Rejects with
   * `signal.reason` when aborted or `WEFT_TIMED_OUT` after `timeout` ms.
   */
  async wait(options?: WaitOptions): Promise<void> {
    const checked = checkWaitOptions(options, "wait for the WaitGroup");
    const block = this.#block;
    if (core.waitGroupTryWait(block)) return;
    if (checked.signal?.aborted === true) throw checked.signal.reason;
    await acquireAsync(
      {
        addr: block,
        step: (a) => core.waitGroupWaitStep(block, a),
        what: "wait for the WaitGroup",
      },
      core.waitGroupBeginWait(block),
      checked,
    );
  }

  /**
   * Waits until the count is 0, blocking this thread (`timeout` in ms: then throws
   * `WEFT_TIMED_OUT`). Only inside weft workers; elsewhere use `await wait()`.
   */
  waitSync(options?: { readonly timeout?: number }): void {
    const { timeout } = checkWaitOptions(options, "wait for the WaitGroup");
    if (!isWorkerThread()) throw blockingOnMainThread("wait for the WaitGroup");
    if (core.waitGroupTryWait(this.#block)) return;
    syncCall(() => core.waitGroupWaitBlocking(this.#block, timeout ?? -1));
  }
}

registerCrosser<WaitGroup, number>({
  kind: "waitgroup",
  is: (v): v is WaitGroup => v instanceof WaitGroup,
  toWire: (g) => {
    const block = WaitGroup._block(g);
    syncCall(() => core.waitGroupRetain(block));
    return block;
  },
  fromWire: (block) => WaitGroup._adopt(block),
});
