/**
 * Synchronous requests from a worker to its parent, for the rare operations that must complete
 * before a worker's code can go on and that need an object only the parent has (a Global's
 * canonical value holding SharedArrayBuffers, which only messages can carry).
 *
 * Each worker gets a MessagePort and a flag word in the shared memory at start. A request posts on
 * the port, then blocks the worker on the flag (`Atomics.wait`); the parent answers on the port,
 * sets the flag to 1 and notifies; the worker reads the answer with the runtime's synchronous
 * `receiveMessageSync` and resets the flag to 0. The parent never blocks, so this cannot deadlock
 * as long as the parent's event loop runs.
 *
 * Flag word: 0 = no answer yet, 1 = answer posted.
 * @module
 */

import { WeftError } from "../errors.js";
import { wordsAt } from "../core/memory.js";
import { runtime } from "../runtime.js";

type Handler = (payload: unknown) => unknown;

interface Request {
  readonly kind: string;
  readonly payload: unknown;
}

type Reply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

const handlers = new Map<string, Handler>();
let channel: { port: MessagePort; flag: number } | undefined;

/** Registers the parent-side handler of one kind of request. */
export function onSyncRequest(kind: string, handler: Handler): void {
  handlers.set(kind, handler);
}

/** Parent side: answers the requests a worker makes on `port`, signalling on `flag`. */
export function serveSyncRequests(port: MessagePort, flag: number): void {
  port.onmessage = (event: MessageEvent) => {
    const { kind, payload } = event.data as Request;
    let reply: Reply;
    try {
      const handler = handlers.get(kind);
      if (handler === undefined) throw new WeftError("WEFT_PROTOCOL", `Cannot answer a "${kind}" request: no handler`);
      reply = { ok: true, value: handler(payload) };
    } catch (error) {
      reply = { ok: false, error };
    }
    port.postMessage(reply);
    Atomics.store(wordsAt(flag), flag >>> 2, 1);
    Atomics.notify(wordsAt(flag), flag >>> 2);
  };
  // A port with a listener would keep Node alive; the worker's own handle decides liveness.
  (port as MessagePort & { unref?(): void }).unref?.();
}

/** Worker side: the port and flag from the init message. */
export function useSyncChannel(port: MessagePort, flag: number): void {
  channel = { port, flag };
}

/** True where a parent can answer synchronous requests (inside weft workers). */
export function hasSyncChannel(): boolean {
  return channel !== undefined;
}

/** Worker side: sends a request and blocks until the parent answers. */
export function syncRequest(kind: string, payload: unknown): unknown {
  if (channel === undefined) throw new Error(`Cannot make a synchronous "${kind}" request outside a weft worker`);
  const { port, flag } = channel;
  port.postMessage({ kind, payload } satisfies Request);
  while (Atomics.load(wordsAt(flag), flag >>> 2) === 0) Atomics.wait(wordsAt(flag), flag >>> 2, 0);
  Atomics.store(wordsAt(flag), flag >>> 2, 0);
  const received = runtime().receiveMessageSync(port);
  if (received === undefined) throw new Error(`The parent signalled an answer to "${kind}" but none arrived`);
  const reply = received as Reply;
  if (!reply.ok) throw reply.error;
  return reply.value;
}
