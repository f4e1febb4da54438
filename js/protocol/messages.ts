/**
 * Messages between a parent and a weft worker. Every message is tagged with a `type` starting with
 * `weft:`; anything else is rejected, so user code sharing the channel cannot be mistaken for weft.
 *
 * Parent → worker: `weft:init` (first, once, on the worker's own port, possibly carrying a first
 * `weft:call`), then on the call port it carries: `weft:call`, `weft:result` (answering a
 * `weft:spawn`), `weft:close`. A port of its own lets an idle worker take its next call
 * synchronously (see pool/worker.ts).
 * Worker → parent: `weft:ready` or `weft:init-failed` (answering init), `weft:result` (answering a
 * `weft:call`), `weft:spawn` (a task spawned by code running in the worker, for the parent's
 * pool), `weft:stray` (an error that escaped a task after it settled), `weft:unusable` (the worker
 * can no longer be trusted with tasks), `weft:closed` (answering close; the worker has freed its
 * thread resources and runs no more code).
 *
 * Requests (`weft:call`, `weft:spawn`) and their answer (`weft:result`) work the same way in both
 * directions (requests.ts). Values inside them are payloads of the value codec (codec.ts);
 * errors travel in the form of thrown.ts.
 *
 * The requests and results cross as flat arrays tagged with their type, their payload spread into
 * them (`["weft:call", id, target, name, marks, ...args]`, `["weft:result", id, true, value,
 * marks?]`, `["weft:result", id, false, error]`, see {@link encodeMessage}):
 * Deno's `node:worker_threads` walks every message it delivers (its per-message cost:
 * denoland/deno#11561) and Bun clones nested objects slowly, so a flat array is cheaper to post than
 * an object (`bench/`, round-trip on one CPU). The others stay objects.
 * @module
 */

import type { CoreInit, ThreadResources } from "../core/module.js";
import type { ModuleRef } from "../spawn/modules.js";
import { protocolError } from "../errors.js";
import { appendList, appendPayload, listAt, type Payload, payloadAt } from "./codec.js";

/**
 * One unit of work: call export `name` of a module with the arguments in `payload`. The module is
 * a URL, or a generated module whose source each worker receives the first time only.
 */
export interface Task {
  readonly target: string | ModuleRef;
  readonly name: string;
  /** The arguments, as an array encoded by the codec. */
  readonly payload: Payload;
  readonly transfer: Transferable[];
  /** What the task is, for error messages (e.g. "the task spawned at file:///a.js:3:9"). */
  readonly what: string;
}

export interface InitMessage extends CoreInit {
  readonly type: "weft:init";
  /** The worker's end of its blocking request channel (pool/blocking_requests.ts) and its flag word. */
  readonly requestPort: MessagePort;
  readonly requestFlag: number;
  /** Where the worker records the locks and permits it holds (sync/held.ts). */
  readonly held: number;
  /** The worker's end of the channel every later parent → worker message comes on. */
  readonly callPort: MessagePort;
  /**
   * A first call (a `weft:call` in the form it crosses in), run once the worker has joined, before
   * any message of the call port; never run when the join fails.
   */
  readonly call?: unknown;
}
/** Runs export `name` of `target` in the worker. */
export interface CallMessage {
  readonly type: "weft:call";
  readonly id: number;
  /**
   * The ES module to import in the worker: a URL, a generated module, or the number the worker
   * was told to know a generated module by.
   */
  readonly target: string | number | ModuleRef;
  readonly name: string;
  /** The arguments, as an array encoded by the codec. */
  readonly payload: Payload;
}
/** Answers a {@link CallMessage} or a {@link SpawnMessage}. */
export type ResultMessage =
  | { readonly type: "weft:result"; readonly id: number; readonly ok: true; readonly payload: Payload }
  | { readonly type: "weft:result"; readonly id: number; readonly ok: false; readonly error: unknown };
export interface CloseMessage {
  readonly type: "weft:close";
}
export type ToWorker = InitMessage | CallMessage | ResultMessage | CloseMessage;

export interface ReadyMessage {
  readonly type: "weft:ready";
  readonly thread: ThreadResources;
}
export interface InitFailedMessage {
  readonly type: "weft:init-failed";
  readonly error: unknown;
}
/** A task spawned inside a worker, for the parent's pool. */
export interface SpawnMessage {
  readonly type: "weft:spawn";
  readonly id: number;
  readonly target: string | ModuleRef;
  readonly name: string;
  readonly payload: Payload;
  readonly what: string;
}
/** An error that escaped a task after the task settled, or that no running task could own. */
export interface StrayMessage {
  readonly type: "weft:stray";
  readonly error: unknown;
  /** The call site of the spawn whose code threw it, when its stack names one. */
  readonly site: string | undefined;
}
/**
 * The worker must not be given calls any more: it answers every call it holds, then should be
 * closed (a built-in prototype was given a `then`, see requests.ts).
 */
export interface UnusableMessage {
  readonly type: "weft:unusable";
}
export interface ClosedMessage {
  readonly type: "weft:closed";
}
export type FromWorker =
  | ReadyMessage
  | InitFailedMessage
  | ResultMessage
  | SpawnMessage
  | StrayMessage
  | UnusableMessage
  | ClosedMessage;

const TO_WORKER = new Set(["weft:init", "weft:close"]);
const FROM_WORKER = new Set(["weft:ready", "weft:init-failed", "weft:stray", "weft:unusable", "weft:closed"]);

/**
 * The form a message crosses in: requests and results as flat arrays, with their payload spread
 * into them (codec.ts), the rest as they are.
 */
export function encodeMessage(message: ToWorker | FromWorker): unknown {
  switch (message.type) {
    case "weft:call":
      return appendList([message.type, message.id, message.target, message.name], message.payload);
    case "weft:spawn":
      return appendList([message.type, message.id, message.target, message.name, message.what], message.payload);
    case "weft:result":
      return message.ok ? appendPayload([message.type, message.id, true], message.payload) : [message.type, message.id, false, message.error];
    default:
      return message;
  }
}

/** The object form of a message that crossed as an array, or `undefined` for another array. */
function fromArray(raw: readonly unknown[]): CallMessage | SpawnMessage | ResultMessage | undefined {
  const [type, id, a, b, c] = raw as [unknown, number, unknown, unknown, unknown];
  switch (type) {
    case "weft:call":
      return { type, id, target: a as CallMessage["target"], name: b as string, payload: listAt(raw, 4) };
    case "weft:spawn":
      return { type, id, target: a as SpawnMessage["target"], name: b as string, what: c as string, payload: listAt(raw, 5) };
    case "weft:result":
      return a === true ? { type, id, ok: true, payload: payloadAt(raw, 3) } : { type, id, ok: false, error: b };
    default:
      return undefined;
  }
}

function typeOf(message: unknown): string {
  if (Array.isArray(message)) return typeof message[0] === "string" ? message[0] : "";
  if (typeof message === "object" && message !== null && "type" in message) {
    const type = (message as { type: unknown }).type;
    if (typeof type === "string") return type;
  }
  return "";
}

function describe(message: unknown): string {
  const type = typeOf(message);
  return type === "" ? `a ${message === null ? "null" : typeof message} without a type` : `type "${type}"`;
}

/** Narrows a message received by a worker, or throws a `WEFT_PROTOCOL` error. */
export function asToWorker(message: unknown): ToWorker {
  if (Array.isArray(message)) {
    const decoded = fromArray(message);
    if (decoded !== undefined && decoded.type !== "weft:spawn") return decoded;
  } else if (TO_WORKER.has(typeOf(message))) {
    return message as ToWorker;
  }
  throw protocolError(`a worker received an unknown message (${describe(message)})`);
}

/** Narrows a message received from a worker, or throws a `WEFT_PROTOCOL` error. */
export function asFromWorker(message: unknown): FromWorker {
  if (Array.isArray(message)) {
    const decoded = fromArray(message);
    if (decoded !== undefined && decoded.type !== "weft:call") return decoded;
  } else if (FROM_WORKER.has(typeOf(message))) {
    return message as FromWorker;
  }
  throw protocolError(`the parent received an unknown message from a worker (${describe(message)})`);
}
