/**
 * `Channel<T>`: a bounded multi-producer multi-consumer queue of values between any threads.
 *
 * Messages live in the shared Wasm memory: a send encodes the value (protocol/bytes.ts), copies
 * the bytes into a block of the shared memory and queues the block's address in the channel, a
 * `weft-sync` `RawChannel` (a ring of handles with two wait words, receivers on word 0 and
 * senders on word 1). A receive dequeues an address, decodes the bytes where they lie and frees
 * the block. So any thread receives what any thread sent, with no message passing between them.
 *
 * Values are copied as by structured cloning; weft primitives and SharedStructs inside them
 * cross as handles. A value that cannot be sent (a function, a class instance, a
 * SharedArrayBuffer) fails the send with `WEFT_UNSENDABLE_MESSAGE` before anything is queued.
 *
 * After `close()`, sends fail with `WEFT_CHANNEL_CLOSED`; receives still get every queued value,
 * then fail with `WEFT_CHANNEL_CLOSED` (async iteration ends there).
 * @module
 */

import { dropWhenCollected } from "../core/blocks.js";
import { core, isWorkerThread } from "../core/module.js";
import { invalidArgument, invalidValue, WeftError } from "../errors.js";
import { registerCrosser } from "../protocol/handles.js";
import { decodeMessage, encodeMessage } from "../protocol/bytes.js";
import { bytesUpTo, wordsAt } from "../core/memory.js";
import { blockingOnMainThread, syncCall } from "./blocking.js";
import { acquireAsync, checkWaitOptions, type WaitOptions } from "./waiting.js";

/** Set by `_adopt` for the next constructor call: a block the new object takes over. */
let adopting: number | undefined;

function closedError(what: "send on" | "receive from"): WeftError {
  return new WeftError(
    "WEFT_CHANNEL_CLOSED",
    what === "send on"
      ? "Cannot send on the Channel as it is closed: nothing was queued; stop sending once close() has been called"
      : "Cannot receive from the Channel as it is closed and every value sent before close() has been received",
  );
}

/** Copies encoded bytes into a new message block of the shared memory; returns its address. */
function store(bytes: Uint8Array): number {
  // The plain-number call first; the one that throws only to say why it failed
  // (`WEFT_SHARED_MEMORY_EXHAUSTED` when the memory cannot hold the message).
  const message = core.messageTryAlloc(bytes.length) || syncCall(() => core.messageAlloc(bytes.length));
  // A cached view covering the block: reading `memory.buffer` anew costs more than the copy.
  bytesUpTo(message + 4 + bytes.length).set(bytes, message + 4);
  return message;
}

/**
 * Decodes a received message where it lies in the shared memory (the block is this thread's alone
 * once dequeued, and decoding copies everything out), then frees its block.
 */
function take(message: number): unknown {
  const length = wordsAt(message)[message >>> 2]! >>> 0;
  try {
    return decodeMessage(bytesUpTo(message + 4 + length), message + 4);
  } finally {
    if (!core.messageTryFree(message)) core.messageFree(message);
  }
}

/**
 * Drops a message that was never queued: frees its block, and revives the handles it holds so
 * that the references they took are released with them.
 */
function discard(message: number): void {
  take(message);
}

/**
 * A step's result as a `StepOutcome`: `Wait` goes on waiting; anything else (sent, a received
 * message, closed) ends the step loop.
 */
function stepOf(outcome: number): number {
  return outcome === core.ChannelOutcome.Wait ? core.StepOutcome.Wait : core.StepOutcome.Acquired;
}

/**
 * A bounded queue of values that every thread can send to and receive from; captured by a
 * spawned closure (or sent through another channel) it arrives as a handle to the same queue.
 *
 * @example
 * ```ts
 * import { Channel, spawn } from "weft";
 * const jobs = new Channel<string>(16);
 * const worker = eval(spawn(async () => {
 *   let n = 0;
 *   for await (const job of jobs) n += job.length;   // ends once closed and drained
 *   return n;
 * }));
 * for (const job of ["a", "bb", "ccc"]) await jobs.send(job);
 * jobs.close();
 * console.log(await worker);   // 6
 * ```
 */
export class Channel<T = unknown> {
  #block: number;

  /** An open, empty channel holding at most `capacity` values (1 to 2²⁴ − 1). */
  constructor(capacity: number) {
    const adopted = adopting;
    adopting = undefined;
    if (adopted === undefined) {
      const max = core.channelMaxCapacity();
      const expected = `an integer capacity from 1 to ${max}`;
      if (typeof capacity !== "number") throw invalidArgument("create a Channel", expected, capacity);
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > max) throw invalidValue("create a Channel", expected, capacity);
    }
    const block = adopted ?? syncCall(() => core.channelCreate(capacity));
    this.#block = block;
    dropWhenCollected(this, () => core.channelRelease(block));
  }

  /** @internal A second object for an existing block; the caller already holds its reference. */
  static _adopt<T>(block: number): Channel<T> {
    adopting = block;
    return new Channel<T>(1);
  }

  /** @internal */
  static _block(channel: Channel<unknown>): number {
    return channel.#block;
  }

  /** The most values the channel holds. */
  get capacity(): number {
    return core.channelCapacity(this.#block);
  }

  /** Values queued right now (a snapshot). */
  get length(): number {
    return core.channelLength(this.#block);
  }

  /** Whether {@link close} has been called (by any thread). */
  get closed(): boolean {
    return core.channelIsClosed(this.#block);
  }

  #wakeReceivers(): void {
    Atomics.notify(wordsAt(this.#block), this.#block >>> 2);
  }

  #wakeSenders(): void {
    const word = this.#block + 4;
    Atomics.notify(wordsAt(word), word >>> 2);
  }

  /**
   * Sends a copy of `value`, waiting without blocking the thread while the channel is full.
   * Rejects with `WEFT_CHANNEL_CLOSED` once closed, `signal.reason` when aborted,
   * `WEFT_TIMED_OUT` after `timeout` ms; nothing is queued then.
   */
  async send(value: T, options?: WaitOptions): Promise<void> {
    const checked = checkWaitOptions(options, "send on the Channel");
    const block = this.#block;
    const message = store(encodeMessage(value));
    const first = core.channelTrySend(block, message);
    if (first === core.ChannelOutcome.NotReady) {
      let outcome: number = first;
      try {
        if (checked.signal?.aborted === true) throw checked.signal.reason;
        await acquireAsync(
          {
            addr: block + 4,
            step: () => stepOf((outcome = core.channelSendStep(block, message))),
            what: "send on the Channel",
          },
          0,
          checked,
        );
      } catch (error) {
        discard(message);
        throw error;
      }
      return this.#sent(outcome, message);
    }
    return this.#sent(first, message);
  }

  #sent(outcome: number, message: number): void {
    if (outcome === core.ChannelOutcome.DoneWake) this.#wakeReceivers();
    else if (outcome === core.ChannelOutcome.Closed) {
      discard(message);
      throw closedError("send on");
    }
  }

  /**
   * Sends a copy of `value` if there is room: `true` when queued, `false` when full. Throws
   * `WEFT_CHANNEL_CLOSED` once closed.
   */
  trySend(value: T): boolean {
    const message = store(encodeMessage(value));
    const outcome = core.channelTrySend(this.#block, message);
    if (outcome === core.ChannelOutcome.NotReady) {
      discard(message);
      return false;
    }
    this.#sent(outcome, message);
    return true;
  }

  /**
   * Sends, blocking this thread while full (`timeout` in ms: then throws `WEFT_TIMED_OUT`). Only
   * inside weft workers; elsewhere use `await send()`.
   */
  sendSync(value: T, options?: { readonly timeout?: number }): void {
    const { timeout } = checkWaitOptions(options, "send on the Channel");
    if (!isWorkerThread()) throw blockingOnMainThread("send on the Channel");
    const message = store(encodeMessage(value));
    const outcome = core.channelSendBlocking(this.#block, message, timeout ?? -1);
    if (outcome === core.ChannelOutcome.NotReady) {
      discard(message);
      throw new WeftError("WEFT_TIMED_OUT", `Cannot send on the Channel within ${timeout} ms: it stayed full; nothing was queued`);
    }
    this.#sent(outcome, message);
  }

  /**
   * Receives the oldest value, waiting without blocking the thread while the channel is empty.
   * Rejects with `WEFT_CHANNEL_CLOSED` once closed and drained, `signal.reason` when aborted,
   * `WEFT_TIMED_OUT` after `timeout` ms.
   */
  async recv(options?: WaitOptions): Promise<T> {
    const checked = checkWaitOptions(options, "receive from the Channel");
    const block = this.#block;
    const first = core.channelTryRecv(block);
    if (first !== core.ChannelOutcome.NotReady) return this.#received(first);
    if (checked.signal?.aborted === true) throw checked.signal.reason;
    // What the step that ended the wait got, as `channelTryRecv` returns it.
    let received: number = core.ChannelOutcome.Closed;
    await acquireAsync(
      {
        addr: block,
        step: () => {
          const step = core.channelRecvStep(block);
          if (step !== core.ChannelOutcome.Wait) received = step;
          return stepOf(step);
        },
        what: "receive from the Channel",
      },
      0,
      checked,
    );
    return this.#received(received);
  }

  /**
   * After a receive that got a message or found the channel closed, as one number (what
   * `channelTryRecv` and `channelRecvBlocking` return): a message handle with bit 0 set when
   * senders must be woken, or `Closed`.
   */
  #received(received: number): T {
    if (received === core.ChannelOutcome.Closed) throw closedError("receive from");
    if ((received & 1) !== 0) this.#wakeSenders();
    // Not `& ~1`: a handle above 2 GiB would turn negative.
    return take(received - (received & 1)) as T;
  }

  /**
   * Receives the oldest value if there is one: `{ value }`, or `null` when the channel is empty
   * (check {@link closed} to tell whether more can come).
   */
  tryRecv(): { value: T } | null {
    const received = core.channelTryRecv(this.#block);
    if (received === core.ChannelOutcome.NotReady || received === core.ChannelOutcome.Closed) return null;
    return { value: this.#received(received) };
  }

  /**
   * Receives, blocking this thread while empty (`timeout` in ms: then throws `WEFT_TIMED_OUT`).
   * Only inside weft workers; elsewhere use `await recv()`.
   */
  recvSync(options?: { readonly timeout?: number }): T {
    const { timeout } = checkWaitOptions(options, "receive from the Channel");
    if (!isWorkerThread()) throw blockingOnMainThread("receive from the Channel");
    const received = core.channelRecvBlocking(this.#block, timeout ?? -1);
    if (received === core.ChannelOutcome.NotReady) {
      throw new WeftError("WEFT_TIMED_OUT", `Cannot receive from the Channel within ${timeout} ms: it stayed empty`);
    }
    return this.#received(received);
  }

  /**
   * Closes the channel for every thread: sends fail from now on; values already queued are still
   * received. Closing twice does nothing.
   */
  close(): void {
    const wake = core.channelClose(this.#block);
    if ((wake & 1) !== 0) this.#wakeReceivers();
    if ((wake & 2) !== 0) this.#wakeSenders();
  }

  /** Receives values until the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let value: T;
      try {
        value = await this.recv();
      } catch (error) {
        if (error instanceof WeftError && error.code === "WEFT_CHANNEL_CLOSED") return;
        throw error;
      }
      yield value;
    }
  }
}

registerCrosser<Channel<unknown>, number>({
  kind: "channel",
  is: (v): v is Channel<unknown> => v instanceof Channel,
  toWire: (c) => {
    const block = Channel._block(c);
    syncCall(() => core.channelRetain(block));
    return block;
  },
  fromWire: (block) => Channel._adopt(block),
});
