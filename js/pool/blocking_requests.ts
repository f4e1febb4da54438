/**
 * Blocking requests from a worker to its parent, for the rare operations that must complete
 * before a worker's code can go on and that need an object only the parent has (a Global's
 * canonical value holding SharedArrayBuffers, which only messages can carry).
 *
 * Each worker gets a MessagePort and a flag word in the shared memory at start. A request posts on
 * the port, then blocks the worker on the flag (`Atomics.wait`); the parent answers on the port,
 * sets the flag to 1 and notifies; the worker takes the answer with the runtime's synchronous
 * `receiveMessageSync` and resets the flag to 0. The parent never blocks, so this cannot deadlock
 * as long as the parent's event loop runs. Values both ways are encoded by the value codec with
 * its capture rules.
 *
 * Flag word: 0 = no answer yet, 1 = answer posted.
 * @module
 */

import { isWorkerThread } from "../core/module.js";
import { wordsAt } from "../core/memory.js";
import { protocolError } from "../errors.js";
import { CAPTURE, decode, encode, type Payload } from "../protocol/codec.js";
import { decodeThrown, encodeThrown } from "../protocol/thrown.js";
import { runtime } from "../runtime.js";

type Handler = (value: unknown) => unknown;

interface Request {
  readonly kind: string;
  readonly payload: Payload;
}

type Reply = { readonly ok: true; readonly payload: Payload } | { readonly ok: false; readonly error: unknown };

const handlers = new Map<string, Handler>();
let channel: { port: MessagePort; flag: number } | undefined;

/** Registers the parent-side handler of one kind of request. */
export function onBlockingRequest(kind: string, handler: Handler): void {
  handlers.set(kind, handler);
}

function encodeOrThrow(value: unknown, what: string): { payload: Payload; transfer: Transferable[] } {
  const encoded = encode(value, CAPTURE);
  if (encoded.refused !== undefined) throw protocolError(`${what} cannot cross threads: ${encoded.refused}`);
  return encoded;
}

/** Parent side: answers the requests a worker makes on `port`, signalling on `flag`. */
export function serveBlockingRequests(port: MessagePort, flag: number): void {
  runtime().listen(port, (message) => {
    const { kind, payload } = message as Request;
    let reply: Reply;
    let transfer: Transferable[] = [];
    try {
      const handler = handlers.get(kind);
      if (handler === undefined) throw protocolError(`no handler answers a "${kind}" request`);
      const encoded = encodeOrThrow(handler(decode(payload)), `the answer to a "${kind}" request`);
      reply = { ok: true, payload: encoded.payload };
      transfer = encoded.transfer;
    } catch (error) {
      reply = { ok: false, error: encodeThrown(error) };
    }
    port.postMessage(reply, transfer);
    Atomics.store(wordsAt(flag), flag >>> 2, 1);
    Atomics.notify(wordsAt(flag), flag >>> 2);
  });
  // A port with a listener would keep Node alive; the worker's own handle decides liveness.
  (port as MessagePort & { unref?(): void }).unref?.();
}

/** Worker side: the port and flag from the init message. */
export function useBlockingRequests(port: MessagePort, flag: number): void {
  channel = { port, flag };
}

/** Worker side: sends a request and blocks this thread until the parent answers. */
export function requestBlocking(kind: string, value: unknown): unknown {
  if (channel === undefined || !isWorkerThread()) {
    throw new Error(`Cannot make a blocking "${kind}" request outside a weft worker`);
  }
  const { port, flag } = channel;
  const encoded = encodeOrThrow(value, `the value of a "${kind}" request`);
  port.postMessage({ kind, payload: encoded.payload } satisfies Request, encoded.transfer);
  while (Atomics.load(wordsAt(flag), flag >>> 2) === 0) Atomics.wait(wordsAt(flag), flag >>> 2, 0);
  Atomics.store(wordsAt(flag), flag >>> 2, 0);
  const received = runtime().receiveMessageSync(port);
  if (received === undefined) throw protocolError(`the parent signalled an answer to "${kind}" but none arrived`);
  const reply = received as Reply;
  if (!reply.ok) throw decodeThrown(reply.error);
  return decode(reply.payload);
}
