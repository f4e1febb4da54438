/**
 * A `MessageChannel` end as all three runtimes provide it (`Runtime.listen` and
 * `Runtime.receiveMessageSync`). Kept apart from ports.ts, whose workers Bun does not use, so
 * that a Bun thread does not load `node:worker_threads` before its first synchronous receive.
 * @module
 */

import { builtin } from "./builtins.js";

/**
 * Calls `listener` with each message arriving on `port` (`Runtime.listen`). Node's ports are
 * event emitters, and listening as one avoids a `MessageEvent` per message, whose first use loads
 * Node's web-events implementation (tens of milliseconds in a fresh worker); elsewhere, as a web
 * port.
 */
export function listen(port: MessagePort, listener: (message: unknown) => void): void {
  const emitter = port as MessagePort & { on?(event: "message", listener: (message: unknown) => void): void };
  if (typeof emitter.on === "function") emitter.on("message", listener);
  else port.onmessage = (event) => listener(event.data);
}

/** `receiveMessageOnPort`, once loaded: an idle worker's spin calls it in a tight loop. */
let receiveOnPort: ((port: never) => { message: unknown } | undefined) | undefined;

/** The next message waiting on `port`, received synchronously (`Runtime.receiveMessageSync`). */
export function receiveMessageSync(port: MessagePort): unknown {
  receiveOnPort ??= builtin("node:worker_threads").receiveMessageOnPort;
  return receiveOnPort(port as never)?.message;
}
