// Hand-written baseline: a minimal worker answering postMessage, and a tiny pool of them.
import { Worker as ThreadsWorker } from "node:worker_threads";
import { runtimeName } from "./stats.mjs";

/** The worker mechanism weft itself uses on this runtime. */
export function weftMechanism() {
  return runtimeName() === "bun" ? "web" : "worker_threads";
}

/** The other mechanism, where this runtime has it (Node has no web Worker). */
export function otherMechanism() {
  if (runtimeName() === "node") return undefined;
  return weftMechanism() === "web" ? "worker_threads" : "web";
}

export const mechanismLabel = (kind) => (kind === "web" ? "web Worker" : "node:worker_threads");

/**
 * Starts a raw echo worker. `call(x)` resolves with x + 1 from the worker; calls may overlap.
 * `script`: a worker file of the same protocol ([id, x] in, [id, result] out).
 */
export function startRaw(kind, script) {
  const pending = new Map();
  let nextId = 0;
  const receive = (m) => {
    const resolve = pending.get(m[0]);
    pending.delete(m[0]);
    resolve(m[1]);
  };
  let post;
  let terminate;
  if (kind === "web") {
    const url = script ?? new URL("./echo_web.mjs", import.meta.url);
    const worker = new Worker(url, { type: "module" });
    worker.onmessage = (e) => receive(e.data);
    post = (m) => worker.postMessage(m);
    terminate = async () => worker.terminate();
  } else {
    const url = script ?? new URL("./echo_node.mjs", import.meta.url);
    const worker = new ThreadsWorker(url);
    worker.on("message", receive);
    post = (m) => worker.postMessage(m);
    terminate = () => worker.terminate();
  }
  return {
    call(x) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        post([id, x]);
      });
    },
    post,
    terminate,
  };
}

/** `size` raw workers served round-robin: the least a pool could do. */
export function startRawPool(kind, size) {
  const workers = Array.from({ length: size }, () => startRaw(kind));
  let next = 0;
  return {
    call(x) {
      const w = workers[next];
      next = (next + 1) % size;
      return w.call(x);
    },
    terminate: () => Promise.all(workers.map((w) => w.terminate())),
  };
}
