/**
 * Requests between a parent and a worker, the same way in both directions: the parent calls
 * functions in a worker (`weft:call`), a worker spawns tasks in the parent's pool (`weft:spawn`),
 * and either answers with `weft:result`.
 *
 * The side that asks keeps its outstanding requests in a {@link Requests}; the side that runs one
 * waits for its outcome with {@link outcomeOf} and answers with {@link answer}, which encodes the
 * value with the codec's {@link RESULT} rules (or reports why it cannot cross) and errors with
 * thrown.ts.
 *
 * No result can hang in this path: a value is never handed to a promise's resolution when it
 * looks like a promise only because a built-in prototype was given a `then` (a task that did
 * `Object.prototype.then = …` would otherwise make every later object result wait forever); such
 * a result fails with `WEFT_PROTOTYPE_POLLUTED` instead ({@link pollutedPrototype}).
 * @module
 */

import { prototypePolluted, uncloneableResult } from "../errors.js";
import { crossesAsIs, decode, encode, RESULT } from "./codec.js";
import type { FromWorker, ResultMessage, ToWorker } from "./messages.js";
import { decodeThrown, encodeThrown } from "./thrown.js";

/** Posts a message to the other side. */
export type Post = (message: ToWorker | FromWorker, transfer?: Transferable[]) => void;

interface Outstanding {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly what: string;
}

/** The requests one side has sent and not yet seen answered, by id. */
export class Requests {
  #pending = new Map<number, Outstanding>();
  #nextId = 1;
  #onIdle: (() => void) | undefined;

  /** `onIdle` is called each time the last outstanding request settles. */
  constructor(onIdle?: () => void) {
    this.#onIdle = onIdle;
  }

  /** How many requests have not settled yet. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Sends a request with `send(id)`; the promise settles with its answer. `what` names the request
   * in errors. A `send` that throws rejects the request with its error.
   */
  make(what: string, send: (id: number) => void): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, what });
      try {
        send(id);
      } catch (error) {
        this.#take(id)?.reject(error);
      }
    });
  }

  /** Settles the request `result` answers; an answer to a request already settled is ignored. */
  settle(result: ResultMessage): void {
    const request = this.#take(result.id);
    if (request === undefined) return;
    if (!result.ok) {
      request.reject(decodeThrown(result.error));
      return;
    }
    let value: unknown;
    try {
      value = decode(result.payload);
    } catch (error) {
      request.reject(error);
      return;
    }
    const polluted = pollutedThenOf(value);
    if (polluted === undefined) request.resolve(value);
    else request.reject(prototypePolluted(request.what, polluted));
  }

  /** Rejects request `id` with `error`, if it has not settled. */
  reject(id: number, error: unknown): void {
    this.#take(id)?.reject(error);
  }

  /** Rejects every outstanding request with `reason(what)`. */
  rejectAll(reason: (what: string) => unknown): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const request of all) request.reject(reason(request.what));
  }

  #take(id: number): Outstanding | undefined {
    const request = this.#pending.get(id);
    if (request === undefined) return undefined;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#onIdle?.();
    return request;
  }
}

/** What running a request came to. */
export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Calls `done` once with the outcome of `result`, what a request's function returned: a plain
 * value, a promise, or another thenable, which are awaited. An object that is thenable only
 * through a `then` on a built-in prototype is not awaited (it would never settle): it is a
 * `WEFT_PROTOTYPE_POLLUTED` error for `what`.
 */
export function outcomeOf(result: unknown, what: string, done: (outcome: Outcome) => void): void {
  const settled = (value: unknown) => {
    const polluted = pollutedThenOf(value);
    done(polluted === undefined ? { ok: true, value } : { ok: false, error: prototypePolluted(what, polluted) });
  };
  if (crossesAsIs(result) || typeof (result as { then?: unknown }).then !== "function") {
    done({ ok: true, value: result });
    return;
  }
  const polluted = pollutedThenOf(result);
  if (polluted !== undefined) {
    done({ ok: false, error: prototypePolluted(what, polluted) });
    return;
  }
  const failed = (error: unknown) => done({ ok: false, error });
  // A native promise is followed with the intrinsic `then`; a user thenable is adopted.
  const promise = result instanceof Promise ? result : Promise.resolve(result);
  Promise.prototype.then.call(promise, settled, failed);
}

/**
 * Answers request `id` with `outcome`: the value encoded with the {@link RESULT} rules, or the
 * error (stacks passed through `rewrite`). A value that cannot cross becomes a
 * `WEFT_UNCLONEABLE_RESULT` error for `what`.
 */
export function answer(post: Post, id: number, outcome: Outcome, what: string, rewrite?: (stack: string) => string): void {
  let error: unknown;
  if (outcome.ok) {
    const { value } = outcome;
    if (crossesAsIs(value)) {
      post({ type: "weft:result", id, ok: true, payload: value });
      return;
    }
    const encoded = encode(value, RESULT);
    if (encoded.refused === undefined) {
      try {
        post({ type: "weft:result", id, ok: true, payload: encoded.payload }, encoded.transfer);
        return;
      } catch (cause) {
        error = uncloneableResult(what, cause instanceof Error ? cause.message : String(cause));
      }
    } else {
      error = uncloneableResult(what, encoded.refused);
    }
  } else {
    error = outcome.error;
  }
  post({ type: "weft:result", id, ok: false, error: encodeThrown(error, rewrite) });
}

// ---- polluted prototypes ----

/**
 * The built-in prototypes whose objects can reach a result, with their names for messages.
 * Looked up by name: an isolate may lack some (`SharedArrayBuffer` can be disabled), and weft
 * reports that itself when it loads the core.
 */
const BUILT_IN_PROTOTYPES: ReadonlyArray<readonly [object, string]> = [
  ["Object", Object.prototype],
  ["Array", Array.prototype],
  ["Map", Map.prototype],
  ["Set", Set.prototype],
  ["Date", Date.prototype],
  ["RegExp", RegExp.prototype],
  ["Error", Error.prototype],
  ["ArrayBuffer", ArrayBuffer.prototype],
  ["SharedArrayBuffer", (globalThis as { SharedArrayBuffer?: { prototype: object } }).SharedArrayBuffer?.prototype],
  ["DataView", DataView.prototype],
  ["TypedArray", Object.getPrototypeOf(Uint8Array.prototype) as object],
  ["Function", Function.prototype],
]
  .filter((entry): entry is [string, object] => entry[1] !== undefined)
  .map(([name, proto]) => [proto, `${name}.prototype`] as const);

/**
 * `"Object.prototype.then"` (or another built-in prototype's) when code in this thread gave a
 * built-in prototype a `then`, which makes ordinary objects look like promises; else `undefined`.
 */
export function pollutedPrototype(): string | undefined {
  for (const [proto, name] of BUILT_IN_PROTOTYPES) if (Object.hasOwn(proto, "then")) return `${name}.then`;
  return undefined;
}

/** Where `value`'s `then` comes from when it is callable and inherited from a built-in prototype. */
function pollutedThenOf(value: unknown): string | undefined {
  if (crossesAsIs(value) || typeof (value as { then?: unknown }).then !== "function") return undefined;
  for (let o: object | null = value as object; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (!Object.hasOwn(o, "then")) continue;
    for (const [proto, name] of BUILT_IN_PROTOTYPES) if (proto === o) return `${name}.then`;
    return undefined;
  }
  return undefined;
}
