/**
 * The parent's handle on one weft worker: starts it, makes it join the shared module, calls
 * exported functions of modules in it, and ends it without leaking its thread resources.
 *
 * Ending a worker: {@link WorkerHost.close} asks an idle worker to free its own stack and TLS, then
 * terminates it. {@link WorkerHost.kill} terminates at once (a busy or stuck worker) and frees the
 * worker's resources from this thread once the runtime reports the thread stopped; on runtimes
 * that cannot report that, the resources of a killed worker stay allocated (a bounded leak of one
 * stack, preferred over freeing memory a thread may still use).
 *
 * Every call settles: with the worker's result, or with a `WEFT_WORKER_EXITED` /
 * `WEFT_WORKER_CLOSED` error when the worker goes away first.
 * @module
 */

import { core, coreInit, destroyThread, type ThreadResources } from "../core/module.js";
import { tooManyWorkers, warn, workerClosed, workerExited, workerOutOfMemory, workerStartFailed } from "../errors.js";
import type { ModuleRef } from "../spawn/modules.js";
import type { Task } from "./pool.js";
import { asFromWorker, type FromWorker, type SpawnMessage, toWire } from "../protocol/messages.js";
import { runtime, type StartWorkerOptions, type WorkerPort } from "../runtime.js";
import { decodeHandles, encodeHandles } from "../protocol/handles.js";
import { serveSyncRequests } from "./sync_requests.js";
import { errorFromWire, errorToWire, transferablesIn } from "../protocol/wire.js";

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly what: string;
}

type State = "starting" | "ready" | "closing" | "gone";

export class WorkerHost {
  #port: WorkerPort;
  #state: State = "starting";
  #thread: ThreadResources | null = null;
  #threadFreed = false;
  /** Counted in the process tree's live workers (from ready until gone). */
  #counted = false;
  /** Set when this side ended the worker on purpose (close or kill), not the worker itself. */
  #endedHere = false;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #ready: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #closed: (() => void) | undefined;
  #exited: Promise<number | null>;
  #spawn: ((task: Task) => Promise<unknown>) | undefined;
  /** This side of the worker's synchronous request channel; closed when the worker is gone. */
  #sync: { port: MessagePort; flag: number } | undefined;
  #onUnusable: (() => void) | undefined;
  /**
   * Whether the worker keeps the process alive. It does while calls are in flight, and stays so
   * until the end of the event-loop turn in which the last call settled: a caller awaiting calls
   * one after another keeps it referenced throughout, because on some runtimes (Bun) unreferencing
   * a worker and referencing it again makes the next round-trip several times slower.
   */
  #referenced = true;
  #unrefQueued = false;

  private constructor(options: StartWorkerOptions) {
    this.#port = runtime().startWorker(options);
    let onExit!: (code: number | null) => void;
    this.#exited = new Promise((resolve) => (onExit = resolve));
    this.#port.onMessage((raw) => this.#receive(asFromWorker(raw)));
    this.#port.onError((error) => this.#fail(error));
    this.#port.onExit((code) => {
      this.#gone(code);
      onExit(code);
    });
  }

  /** Starts a worker and resolves once it has joined the shared module. */
  static start(options: StartWorkerOptions = {}): Promise<WorkerHost> {
    const host = new WorkerHost(options);
    return new Promise<WorkerHost>((resolve, reject) => {
      host.#ready = { resolve: () => resolve(host), reject };
      const { module, memory } = coreInit();
      const channel = new MessageChannel();
      const syncFlag = core.allocWords(1);
      host.#sync = { port: channel.port1, flag: syncFlag };
      serveSyncRequests(channel.port1, syncFlag);
      host.#port.postMessage({ type: "weft:init", module, memory, syncPort: channel.port2, syncFlag }, [channel.port2]);
    });
  }

  /** Handles tasks spawned by code running in this worker (the pool's nested spawns). */
  onSpawn(handler: (task: Task) => Promise<unknown>): void {
    this.#spawn = handler;
  }

  /**
   * Registers the one listener called, synchronously and once, when the worker stops accepting
   * calls (it failed, is closing, or is gone), so that nothing more is sent to it.
   */
  onUnusable(listener: () => void): void {
    this.#onUnusable = listener;
  }

  /** Moves to a state where calls are refused, telling the listener the first time. */
  #leave(state: "closing" | "gone"): void {
    const wasReady = this.#state === "ready";
    this.#state = state;
    if (wasReady) this.#onUnusable?.();
  }

  /** Resolves with the exit code (or `null`) once the worker is gone. */
  get exited(): Promise<number | null> {
    return this.#exited;
  }

  /** How many calls have not settled yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Where this worker's stack and TLS live in the shared memory, once it is ready. */
  get thread(): ThreadResources | null {
    return this.#thread;
  }

  /**
   * Imports the module `target` (a URL or a generated module) in the worker and calls its export
   * `name` with `args`
   * (structured-cloned; `transfer` lists what to move instead).
   */
  call(
    target: string | number | ModuleRef,
    name: string,
    args: readonly unknown[],
    transfer: Transferable[] = [],
    what = `the call of "${name}" from ${typeof target === "object" ? target.original : String(target)}`,
    handles = false,
  ): Promise<unknown> {
    if (this.#state !== "ready") {
      const ended = this.#state === "gone" && !this.#endedHere;
      return Promise.reject(ended ? workerExited(this.#exitCode, what) : workerClosed(what));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, what });
      if (!this.#referenced) this.#reference();
      try {
        this.#port.postMessage(toWire({ type: "weft:call", id, target, name, args, handles }), transfer);
      } catch (error) {
        this.#settle(id)?.reject(error);
      }
    });
  }

  /**
   * Ends an idle worker: it frees its own thread resources, then is terminated. Pending calls are
   * rejected with `WEFT_WORKER_CLOSED`. Use {@link kill} for a busy worker.
   */
  async close(): Promise<void> {
    if (this.#state === "gone") return;
    if (this.#state !== "ready") return this.kill();
    this.#leave("closing");
    this.#endedHere = true;
    this.#rejectAll((what) => workerClosed(what));
    const closed = new Promise<void>((resolve) => (this.#closed = resolve));
    this.#reference(); // keep the process alive until the worker has freed its resources
    this.#port.postMessage({ type: "weft:close" });
    await Promise.race([closed, this.#exited]);
    await this.#port.terminate();
    this.#gone(null);
  }

  /**
   * Terminates the worker now; pending calls are rejected with `reason(what)`, by default a
   * `WEFT_WORKER_EXITED` error.
   */
  async kill(reason?: (what: string) => unknown): Promise<void> {
    if (this.#state === "gone") return;
    this.#leave("closing");
    this.#endedHere = true;
    if (reason !== undefined) this.#rejectAll(reason);
    await this.#port.terminate();
    this.#gone(null);
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#state === "ready") this.#unreferenceWhenIdle();
    return pending;
  }

  #reference(): void {
    this.#referenced = true;
    this.#port.ref();
  }

  /** Unreferences the worker on a later turn of the event loop if no call has started by then. */
  #unreferenceWhenIdle(): void {
    if (this.#unrefQueued) return;
    this.#unrefQueued = true;
    setTimeout(() => {
      this.#unrefQueued = false;
      if (this.#referenced && this.#pending.size === 0 && this.#state === "ready") {
        this.#referenced = false;
        this.#port.unref();
      }
    }, 0);
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case "weft:ready": {
        this.#thread = message.thread;
        this.#state = "ready";
        this.#counted = true;
        const limit = 4 * runtime().hardwareConcurrency();
        if (core.workerStarted(limit)) warn(tooManyWorkers(core.liveWorkers(), limit));
        this.#referenced = false;
        this.#port.unref();
        this.#ready?.resolve();
        this.#ready = undefined;
        return;
      }
      case "weft:init-failed":
        this.#fail(errorFromWire(message.error));
        return;
      case "weft:result": {
        const pending = this.#settle(message.id);
        if (message.ok) pending?.resolve(message.handles ? decodeHandles(message.value) : message.value);
        else pending?.reject(errorFromWire(message.error));
        return;
      }
      case "weft:spawn":
        this.#spawned(message);
        return;
      case "weft:uncaught":
        this.#fail(errorFromWire(message.error));
        return;
      case "weft:closed":
        this.#threadFreed = true;
        this.#closed?.();
        return;
    }
  }

  /** Runs a task spawned inside the worker and sends back its outcome. */
  #spawned(message: SpawnMessage): void {
    const reply = (result: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
      if (this.#state !== "ready") return;
      if (result.ok) {
        try {
          const encoded = encodeHandles(result.value);
          this.#port.postMessage(
            { type: "weft:spawn-result", id: message.id, ok: true, value: encoded.value, handles: encoded.handles },
            transferablesIn(encoded.value),
          );
          return;
        } catch (cause) {
          result = { ok: false, error: new TypeError(`Cannot return the result of ${message.what}: ${String(cause)}`) };
        }
      }
      this.#port.postMessage({ type: "weft:spawn-result", id: message.id, ok: false, error: errorToWire(result.error) });
    };
    if (this.#spawn === undefined) {
      reply({ ok: false, error: new Error(`Cannot run ${message.what}: this worker's parent runs no pool`) });
      return;
    }
    const { target, name, args, what, handles } = message;
    this.#spawn({ target, name, args, what, handles, transfer: [] }).then(
      (value) => reply({ ok: true, value }),
      (error: unknown) => reply({ ok: false, error }),
    );
  }

  /** An error escaped the worker: it cannot be trusted any more. */
  #fail(escaped: unknown): void {
    const error =
      (escaped as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY"
        ? (what: string) => workerOutOfMemory(what, escaped)
        : () => escaped;
    if (this.#ready !== undefined) {
      this.#ready.reject(workerStartFailed(escaped));
      this.#ready = undefined;
    }
    this.#leave("closing");
    this.#rejectAll(error);
    void this.kill();
  }

  #rejectAll(reason: (what: string) => unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(reason(p.what));
  }

  #exitCode: number | null = null;

  #gone(code: number | null): void {
    if (this.#state !== "gone") this.#exitCode = code;
    this.#leave("gone");
    if (this.#ready !== undefined) {
      this.#ready.reject(workerStartFailed(`the worker exited with code ${code} before it was ready`));
      this.#ready = undefined;
    }
    this.#rejectAll((what) => workerExited(code, what));
    if (this.#counted) {
      this.#counted = false;
      core.workerEnded();
    }
    if (this.#sync !== undefined) {
      this.#sync.port.close();
      core.freeWords(this.#sync.flag, 1);
      this.#sync = undefined;
    }
    if (this.#thread !== null && !this.#threadFreed && runtime().exitMeansThreadStopped) {
      this.#threadFreed = true;
      destroyThread(this.#thread);
    }
  }
}
