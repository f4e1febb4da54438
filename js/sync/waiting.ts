/**
 * Waiting without blocking the thread — for a lock, permits, a barrier's other parties or a wait
 * group's count — the async driver of `weft-sync`'s step protocol, with `Atomics.waitAsync` as the
 * wait.
 *
 * Liveness: a pending `waitAsync` does not keep Node or Deno alive (nodejs/node#61941,
 * denoland/deno#15358), so a referenced interval timer is held while anything in this isolate
 * waits (one for all waiters; it never fires in practice, and costs no CPU). When nothing waits,
 * nothing is held.
 *
 * Cancellation: on abort or timeout the driver stops stepping and lets the primitive abandon its
 * attempt (the semaphore and the rwlock drop a reservation, a barrier takes its arrival back). A
 * barrier's withdrawal can come too late, when the barrier has already let the waiter through:
 * the wait then succeeds rather than rejects, so that it either completes or leaves no trace. A
 * `waitAsync` left pending is ignored when it resolves. No wake-up is owed to a particular waiter:
 * the words whose releases wake all waiters resolve it at the next release, and the mutex, whose
 * unlock wakes one, has its `abandon` ask for a wake-all that removes it at once.
 * @module
 */

import { core } from "../core/module.js";
import { WeftError } from "../errors.js";
import { wordsAt } from "../core/memory.js";

/** Longest wait, in ms, when a step says `WaitBounded` (`weft_sync::GRACE_MS`, read from the glue once). */
let graceMs: number | undefined;

let waiters = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function hold(): void {
  if (waiters++ === 0) keepAlive = setInterval(() => {}, 2 ** 30);
}

function release(): void {
  if (--waiters === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/**
 * What weft uses of an `AbortSignal`, so that its declarations need no DOM types; any
 * `AbortSignal` fits.
 */
export interface AbortSignalLike {
  /** Whether it has been aborted. */
  readonly aborted: boolean;
  /** Why it was aborted: what the cancelled operation rejects with. */
  readonly reason?: unknown;
  /** Calls `listener` when it is aborted. */
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  /** Removes a listener added by `addEventListener`. */
  removeEventListener(type: "abort", listener: () => void): void;
}

/** Options of an async acquire. */
export interface WaitOptions {
  /** Gives up when aborted: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignalLike;
  /** Gives up after this many milliseconds: the promise rejects with `WEFT_TIMED_OUT`. */
  readonly timeout?: number;
}

/**
 * What {@link Acquire.abandon} returned: `true` when waiters must be woken, `false` when not,
 * `"completed"` when it was too late to give up because the wait had already succeeded.
 */
export type Abandoned = boolean | "completed";

/** The steps of one primitive's contended acquire or wait. */
export interface Acquire {
  /** Byte address of the word to wait on. */
  readonly addr: number;
  /**
   * One step: a `core.StepOutcome` (the glue's enum, kept out of this public declaration). The
   * attempt's new bits are read with `core.stepAttempt()` after it. `waitedMs`: how long this
   * acquire has waited since its first wait began, 0 before (the mutex's eventual fairness).
   */
  step(attempt: number, waitedMs: number): number;
  /**
   * Undoes a waiting attempt (mutex, semaphore, rwlock, barrier): see {@link Abandoned}.
   * `pending`: whether the attempt's last `waitAsync` may still be registered in the engine's
   * list (an abort won the race against it), which a word whose releases wake one waiter must
   * clear by waking all.
   */
  abandon?(attempt: number, pending: boolean): Abandoned;
  /**
   * Called when a `waitAsync` this wait left pending (it gave up while asleep) is later woken by a
   * notify: a condition variable's `notifyOne` wakes one waiter, so a wake-up landing on a waiter
   * that is gone must be passed on.
   */
  onStaleWake?(): void;
  /** Describes the acquire for errors ("lock the mutex", "acquire 2 permits", "wait at the barrier"). */
  readonly what: string;
}

const NO_OPTIONS: WaitOptions = Object.freeze({});

/** Checks and normalises options up front, so that bad ones fail before any waiting. */
export function checkWaitOptions(options: WaitOptions | undefined, what: string): WaitOptions {
  if (options === undefined) return NO_OPTIONS;
  if (typeof options !== "object" || options === null) {
    throw new WeftError("WEFT_INVALID_ARGUMENT", `Cannot ${what}: options must be an object { signal, timeout }`);
  }
  const { signal, timeout } = options;
  if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
    throw new WeftError("WEFT_INVALID_ARGUMENT", `Cannot ${what}: timeout must be a number of milliseconds >= 0, received ${String(timeout)}`);
  }
  if (signal !== undefined && !(typeof signal === "object" && signal !== null && "aborted" in signal)) {
    throw new WeftError("WEFT_INVALID_ARGUMENT", `Cannot ${what}: signal must be an AbortSignal`);
  }
  return { ...(signal === undefined ? {} : { signal }), ...(timeout === undefined ? {} : { timeout }) };
}

function timedOut(what: string, timeout: number): WeftError {
  return new WeftError("WEFT_TIMED_OUT", `Cannot ${what} within ${timeout} ms: it stayed unavailable; nothing was acquired and the wait left no trace`);
}

/** Runs the step loop until acquired (or the wait is over), aborted or timed out. */
export async function acquireAsync(acquire: Acquire, firstAttempt: number, options: WaitOptions): Promise<void> {
  const { signal, timeout } = options;
  // performance.now(): monotonic, so a clock change neither stretches nor cuts a timeout.
  const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
  let attempt = firstAttempt;
  let onAbort: (() => void) | undefined;
  const aborted =
    signal === undefined
      ? undefined
      : new Promise<void>((resolve) => {
          onAbort = () => resolve();
          signal.addEventListener("abort", onAbort, { once: true });
        });
  let pending: Promise<"ok" | "not-equal" | "timed-out"> | undefined;
  let firstWait: number | undefined;
  hold();
  try {
    for (;;) {
      const status = acquire.step(attempt, firstWait === undefined ? 0 : performance.now() - firstWait);
      attempt = core.stepAttempt();
      if (status === core.StepOutcome.Acquired) return;
      const now = performance.now();
      firstWait ??= now;
      const left = deadline - now;
      if (signal?.aborted === true || left <= 0) {
        const abandoned = acquire.abandon?.(attempt, pending !== undefined) ?? false;
        if (abandoned === "completed") return;
        if (abandoned) Atomics.notify(wordsAt(acquire.addr), acquire.addr >>> 2);
        if (signal?.aborted === true) throw signal.reason;
        throw timedOut(acquire.what, timeout!);
      }
      const wait = status === core.StepOutcome.WaitBounded ? Math.min((graceMs ??= core.graceMs()), left) : left;
      const result = Atomics.waitAsync(wordsAt(acquire.addr), acquire.addr >>> 2, core.stepExpected() | 0, wait === Infinity ? undefined : wait);
      if (result.async) {
        if (aborted === undefined) await result.value;
        else {
          // Left pending when the abort wins: a wake-up landing on it later is passed on.
          pending = result.value;
          if (await Promise.race([pending.then(() => true), aborted.then(() => false)])) pending = undefined;
        }
      }
    }
  } finally {
    const onStaleWake = acquire.onStaleWake;
    if (pending !== undefined && onStaleWake !== undefined) {
      void pending.then((outcome) => {
        if (outcome === "ok") onStaleWake();
      });
    }
    if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
    release();
  }
}
