/**
 * Messages between a parent and a weft worker. Every message is an object whose `type` starts with
 * `weft:`; anything else is rejected, so user code sharing the channel cannot be mistaken for weft.
 *
 * Parent → worker: `weft:init` (first, once), `weft:call`, `weft:close`, `weft:spawn-result`.
 * Worker → parent: `weft:ready` or `weft:init-failed` (answering init), `weft:result`,
 * `weft:closed` (answering close; the worker has freed its thread resources and runs no more code),
 * `weft:spawn` (a task spawned by code running in the worker, for the parent's pool).
 *
 * Errors inside `weft:result` and `weft:spawn-result` travel in the form of `wire.ts`.
 *
 * The two messages of every task, `weft:call` and `weft:result`, cross as flat arrays tagged with
 * their type (`["weft:call", id, target, name, handles, ...args]`, `["weft:result", id, ok,
 * valueOrError, handles]`, see {@link toWire}): Deno's `node:worker_threads` walks every message
 * it delivers and Bun clones nested objects slowly, and a flat array took 2–3 µs off a round-trip
 * on both (`bench/`, round-trip on one CPU). The others stay objects.
 * @module
 */

import type { CoreInit, ThreadResources } from "../core/module.js";
import type { ModuleRef } from "../spawn/modules.js";
import { protocolError } from "../errors.js";

export interface InitMessage extends CoreInit {
  readonly type: "weft:init";
  /** The worker's end of its synchronous request channel (pool/sync_requests.ts) and its flag word. */
  readonly syncPort: MessagePort;
  readonly syncFlag: number;
}
export interface CallMessage {
  readonly type: "weft:call";
  readonly id: number;
  /**
   * The ES module to import in the worker: a URL, a generated module, or the number the worker
   * was told to know a generated module by.
   */
  readonly target: string | number | ModuleRef;
  /** Name of the exported function to call. */
  readonly name: string;
  readonly args: readonly unknown[];
  /** `args` hold encoded weft primitives to revive (protocol/handles.ts). */
  readonly handles: boolean;
}
export interface CloseMessage {
  readonly type: "weft:close";
}
/** Answers a worker's {@link SpawnMessage}. */
export type SpawnResultMessage =
  | { readonly type: "weft:spawn-result"; readonly id: number; readonly ok: true; readonly value: unknown; readonly handles: boolean }
  | { readonly type: "weft:spawn-result"; readonly id: number; readonly ok: false; readonly error: unknown };
export type ToWorker = InitMessage | CallMessage | CloseMessage | SpawnResultMessage;

export interface ReadyMessage {
  readonly type: "weft:ready";
  readonly thread: ThreadResources;
}
export interface InitFailedMessage {
  readonly type: "weft:init-failed";
  readonly error: unknown;
}
export type ResultMessage =
  | { readonly type: "weft:result"; readonly id: number; readonly ok: true; readonly value: unknown; readonly handles: boolean }
  | { readonly type: "weft:result"; readonly id: number; readonly ok: false; readonly error: unknown };
export interface ClosedMessage {
  readonly type: "weft:closed";
}
/** A task spawned inside a worker, forwarded to the parent's pool. */
export interface SpawnMessage {
  readonly type: "weft:spawn";
  readonly id: number;
  readonly target: string | ModuleRef;
  readonly name: string;
  readonly args: readonly unknown[];
  readonly handles: boolean;
  readonly what: string;
}
/** An error escaped the worker's code; the worker is no longer trusted. */
export interface UncaughtMessage {
  readonly type: "weft:uncaught";
  readonly error: unknown;
}
export type FromWorker =
  | ReadyMessage
  | InitFailedMessage
  | ResultMessage
  | ClosedMessage
  | SpawnMessage
  | UncaughtMessage;

const TO_WORKER = new Set(["weft:init", "weft:call", "weft:close", "weft:spawn-result"]);
const FROM_WORKER = new Set([
  "weft:ready",
  "weft:init-failed",
  "weft:result",
  "weft:closed",
  "weft:spawn",
  "weft:uncaught",
]);

/** The form a message crosses in: the task messages as flat arrays, the rest as they are. */
export function toWire(message: ToWorker | FromWorker): unknown {
  switch (message.type) {
    case "weft:call":
      return [message.type, message.id, message.target, message.name, message.handles, ...message.args];
    case "weft:result":
      return [message.type, message.id, message.ok, message.ok ? message.value : message.error, message.ok && message.handles];
    default:
      return message;
  }
}

/** The object form of a task message that crossed as an array. */
function fromArray(raw: readonly unknown[]): CallMessage | ResultMessage {
  const [type, id, a, b, c] = raw as [string, number, unknown, unknown, unknown];
  if (type === "weft:call") {
    return { type, id, target: a as CallMessage["target"], name: b as string, handles: c as boolean, args: raw.slice(5) };
  }
  return a === true
    ? { type: "weft:result", id, ok: true, value: b, handles: c as boolean }
    : { type: "weft:result", id, ok: false, error: b };
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
  const type = typeOf(message);
  if (type === "weft:call" && Array.isArray(message)) return fromArray(message) as CallMessage;
  if (TO_WORKER.has(type)) return message as ToWorker;
  throw protocolError(`a worker received an unknown message (${describe(message)})`);
}

/** Narrows a message received from a worker, or throws a `WEFT_PROTOCOL` error. */
export function asFromWorker(message: unknown): FromWorker {
  const type = typeOf(message);
  if (type === "weft:result" && Array.isArray(message)) return fromArray(message) as ResultMessage;
  if (FROM_WORKER.has(type)) return message as FromWorker;
  throw protocolError(`the parent received an unknown message from a worker (${describe(message)})`);
}
