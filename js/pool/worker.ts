/**
 * The body of every weft worker, shared by all runtimes: each runtime's worker entry installs its
 * adapter and calls {@link workerMain}.
 *
 * Life of a worker: `weft:init` → join the module and memory → `weft:ready`; then any number of
 * `weft:call`s, each importing a module by URL and calling one of its exports, concurrently; then
 * `weft:close` → free this thread's stack and TLS → `weft:closed`, after which the parent
 * terminates the worker. Tasks spawned by code in this worker go to the parent (`weft:spawn`).
 * @module
 */

import { destroyThisThread, joinCore } from "../core/module.js";
// The primitives register how they cross threads when loaded; a worker must know them all before
// it decodes a task's arguments.
import "../sync/global.js";
import "../sync/mutex.js";
import "../sync/semaphore.js";
import { moduleUrl } from "../spawn/modules.js";
import { asToWorker, type CallMessage, type FromWorker, toWire } from "../protocol/messages.js";
import { runtime } from "../runtime.js";
import { forwardTasks } from "./submit.js";
import { decodeHandles, encodeHandles } from "../protocol/handles.js";
import { rewriteStack } from "../spawn/sites.js";
import { useSyncChannel } from "./sync_requests.js";
import { errorFromWire, errorToWire, transferablesIn } from "../protocol/wire.js";

type Post = (message: FromWorker, transfer?: Transferable[]) => void;

/** Imported modules by URL: a repeated `import()` would still go through the module loader. */
const namespaces = new Map<string, Record<string, unknown>>();

async function load(url: string): Promise<Record<string, unknown>> {
  const namespace = (await import(url)) as Record<string, unknown>;
  namespaces.set(url, namespace);
  return namespace;
}

async function call(message: CallMessage, post: Post): Promise<void> {
  let value: unknown;
  try {
    const url = typeof message.target === "string" ? message.target : moduleUrl(message.target);
    const namespace = namespaces.get(url) ?? (await load(url));
    const fn = namespace[message.name];
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot call "${message.name}" of ${url} in a worker: it is not an exported function`);
    }
    const args = message.handles ? (decodeHandles(message.args) as unknown[]) : message.args;
    value = await (fn as (...args: unknown[]) => unknown)(...args);
  } catch (error) {
    post({ type: "weft:result", id: message.id, ok: false, error: errorToWire(error, rewriteStack) });
    return;
  }
  try {
    if (typeof value !== "object" || value === null) {
      post({ type: "weft:result", id: message.id, ok: true, value, handles: false });
      return;
    }
    const encoded = encodeHandles(value);
    post(
      { type: "weft:result", id: message.id, ok: true, value: encoded.value, handles: encoded.handles },
      transferablesIn(encoded.value),
    );
  } catch (cause) {
    const error = new TypeError(`Cannot return the result of a task from its worker: ${String(cause)}`, { cause });
    post({ type: "weft:result", id: message.id, ok: false, error: errorToWire(error) });
  }
}

/** Runs the worker side of the protocol on this isolate's parent port. */
export function workerMain(): void {
  const parent = runtime().parentPort();
  if (parent === null) throw new Error("weft's worker entry was loaded outside a worker");
  const post: Post = (message, transfer) => parent.postMessage(toWire(message), transfer);
  const spawned = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextSpawn = 1;
  forwardTasks(
    (task) =>
      new Promise((resolve, reject) => {
        const id = nextSpawn++;
        spawned.set(id, { resolve, reject });
        const { target, name, args, what, transfer, handles } = task;
        post({ type: "weft:spawn", id, target, name, args, handles, what }, transfer);
      }),
  );
  parent.onUncaught?.((error) => post({ type: "weft:uncaught", error: errorToWire(error) }));
  let joined = false;
  let closed = false;
  parent.onMessage((raw) => {
    const message = asToWorker(raw);
    if (closed) return;
    switch (message.type) {
      case "weft:init":
        if (joined) throw new Error("weft worker received a second init message");
        try {
          const thread = joinCore(message);
          useSyncChannel(message.syncPort, message.syncFlag);
          joined = true;
          post({ type: "weft:ready", thread });
        } catch (error) {
          post({ type: "weft:init-failed", error: errorToWire(error) });
        }
        return;
      case "weft:call":
        void call(message, post);
        return;
      case "weft:spawn-result": {
        const pending = spawned.get(message.id);
        spawned.delete(message.id);
        if (message.ok) pending?.resolve(message.handles ? decodeHandles(message.value) : message.value);
        else pending?.reject(errorFromWire(message.error));
        return;
      }
      case "weft:close":
        closed = true;
        if (joined) destroyThisThread();
        post({ type: "weft:closed" });
        return;
    }
  });
}
