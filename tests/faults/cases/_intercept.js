// Wraps the runtime adapter's worker ports for the fault cases, so that a case decides what the
// pool hears from each worker it starts (see intercept()).
import { runtime } from "weft/_internal";

const typeOf = (message) => (Array.isArray(message) ? message[0] : message?.type);

/**
 * Wraps every worker the pool starts from now on; `n` counts them from 0. `hold(n)`: whether to
 * keep that worker's `weft:ready` until its first result (or until `release()`, which also stops
 * holding a ready that has not arrived yet); `spoil(n)`: whether to replace that worker's module
 * with a value that cannot be joined; `drop(n)`: whether to lose that worker's `weft:ready` and
 * results for good. `ports[n]` is its port, `log[n]` what crossed it.
 */
export function intercept({ hold = () => false, spoil = () => false, drop = () => false }) {
  const adapter = runtime();
  const startWorker = adapter.startWorker;
  const log = [];
  const ports = [];
  const held = new Set();
  let released = false;
  adapter.startWorker = (options) => {
    const port = startWorker.call(adapter, options);
    const n = log.length;
    ports.push(port);
    const events = [];
    log.push(events);
    let listener;
    let ready;
    const deliver = () => {
      if (ready === undefined) return;
      const message = ready;
      ready = undefined;
      held.delete(deliver);
      listener(message);
    };
    port.onMessage = ((original) => (l) => {
      listener = l;
      original.call(port, (message) => {
        const type = typeOf(message);
        events.push(type);
        if ((type === "weft:ready" || type === "weft:result") && drop(n)) return;
        if (type === "weft:ready" && !released && hold(n)) {
          ready = message;
          held.add(deliver);
          return;
        }
        if (type === "weft:result") deliver();
        listener(message);
      });
    })(port.onMessage);
    port.postMessage = ((original) => (message, transfer) => {
      if (typeOf(message) === "weft:init") {
        events.push("init");
        if (spoil(n)) message = { ...message, module: "not a module" };
      }
      original.call(port, message, transfer);
    })(port.postMessage);
    return port;
  };
  return {
    log,
    ports,
    release: () => {
      released = true;
      [...held].forEach((deliver) => deliver());
    },
    restore: () => (adapter.startWorker = startWorker),
  };
}
