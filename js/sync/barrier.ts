/**
 * `Barrier`: `n` parties, in any threads, wait until all have arrived; then all go on, and the
 * barrier is ready for the next generation.
 *
 * The state is two words of the shared Wasm memory driven by `weft-sync`'s `RawBarrier`: word 0
 * the arrivals of the current generation and the generation number, word 1 the number of parties.
 * The last arrival of a generation is its leader (exactly one per generation) and wakes the rest.
 *
 * Cancellation: a party that gives up (`{ signal, timeout }`) takes its arrival back, so the
 * generation still needs `n` arrivals; if the generation had already tripped when it gave up, the
 * wait succeeds instead of rejecting, so a wait either completes or leaves no trace.
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

/** What a barrier wait resolves with. */
export interface BarrierWaitResult {
  /** `true` for exactly one party of each generation: the last to arrive. */
  readonly isLeader: boolean;
}

const LEADER: BarrierWaitResult = Object.freeze({ isLeader: true });
const FOLLOWER: BarrierWaitResult = Object.freeze({ isLeader: false });

/**
 * A reusable barrier for `parties` parties across threads; captured by a spawned closure it
 * arrives as a handle to the same barrier.
 *
 * @example
 * ```ts
 * import { Barrier, spawn } from "weft";
 * const phase = new Barrier(3);
 * const step = () => eval(spawn(async () => {
 *   // … phase 1 …
 *   await phase.wait();
 *   // … phase 2: every party finished phase 1 …
 * }));
 * await Promise.all([step(), step(), step()]);
 * ```
 */
export class Barrier {
  #block: number;

  /** A barrier for `parties` parties (1 to the limit `weft_sync::MAX_PARTIES`). */
  constructor(parties: number) {
    const adopted = adopting;
    adopting = undefined;
    if (adopted === undefined) {
      const max = core.barrierMaxParties();
      const expected = `an integer number of parties from 1 to ${max}`;
      if (typeof parties !== "number") throw invalidArgument("create a Barrier", expected, parties);
      if (!Number.isInteger(parties) || parties < 1 || parties > max) throw invalidValue("create a Barrier", expected, parties);
    }
    const block = adopted ?? syncCall(() => core.barrierCreate(parties));
    this.#block = block;
    dropWhenCollected(this, () => core.barrierRelease(block));
  }

  /** @internal A second object for an existing block; the caller already holds its reference. */
  static _adopt(block: number): Barrier {
    adopting = block;
    return new Barrier(1);
  }

  /** @internal */
  static _block(barrier: Barrier): number {
    return barrier.#block;
  }

  /** The number of parties each generation waits for. */
  get parties(): number {
    return core.barrierParties(this.#block);
  }

  /**
   * Arrives and waits, without blocking the thread, until all parties of this generation have
   * arrived. Rejects with `signal.reason` when aborted or `WEFT_TIMED_OUT` after `timeout` ms,
   * having taken the arrival back.
   */
  async wait(options?: WaitOptions): Promise<BarrierWaitResult> {
    const checked = checkWaitOptions(options, "wait at the barrier");
    if (checked.signal?.aborted === true) throw checked.signal.reason;
    const block = this.#block;
    const arrival = core.barrierArrive(block);
    if (arrival === core.Arrival.Leader) return LEADER;
    if (arrival === core.Arrival.LeaderMustWake) {
      Atomics.notify(wordsAt(block), block >>> 2);
      return LEADER;
    }
    await acquireAsync(
      {
        addr: block,
        step: (a) => core.barrierWaitStep(block, a),
        abandon: (a) => (core.barrierWithdraw(block, a) ? "completed" : false),
        what: "wait at the barrier",
      },
      core.stepAttempt(),
      checked,
    );
    return FOLLOWER;
  }

  /**
   * Arrives and waits, blocking this thread (`timeout` in ms: then throws `WEFT_TIMED_OUT`). Only
   * inside weft workers; elsewhere use `await wait()`.
   */
  waitSync(options?: { readonly timeout?: number }): BarrierWaitResult {
    const { timeout } = checkWaitOptions(options, "wait at the barrier");
    if (!isWorkerThread()) throw blockingOnMainThread("wait at the barrier");
    return syncCall(() => core.barrierWaitBlocking(this.#block, timeout ?? -1)) ? LEADER : FOLLOWER;
  }
}

registerCrosser<Barrier, number>({
  kind: "barrier",
  is: (v): v is Barrier => v instanceof Barrier,
  toWire: (b) => {
    const block = Barrier._block(b);
    syncCall(() => core.barrierRetain(block));
    return block;
  },
  fromWire: (block) => Barrier._adopt(block),
});
