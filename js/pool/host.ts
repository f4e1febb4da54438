/**
 * The parent's handle on one weft worker: starts it, makes it join the shared module, runs tasks
 * in it, and ends it without leaking its thread resources.
 *
 * Ending a worker: {@link WorkerHost.close} asks an idle worker to free its own stack and TLS, then
 * terminates it. {@link WorkerHost.kill} terminates at once (a busy or stuck worker) and frees the
 * worker's resources from this thread once the runtime reports the thread stopped; on runtimes
 * that cannot report that, the resources of a killed worker stay allocated (a bounded leak of one
 * stack, preferred over freeing memory a thread may still use).
 *
 * Every call settles: with the worker's result, or with a `WEFT_WORKER_EXITED` /
 * `WEFT_WORKER_CLOSED` error when the worker goes away first. An error that escaped a task after it
 * settled is printed as a `WEFT_STRAY_ERROR` warning and fails nothing.
 *
 * Generated modules: the host remembers which ones its worker has received and the number the
 * worker knows each by, so a module's source crosses once per worker.
 * @module
 */

import { HELD_WORDS, reapHeld } from "../sync/held.js";
import { core, coreInit, destroyThread, type ThreadResources } from "../core/module.js";
import {
  strayError,
  tooManyWorkers,
  transferRefused,
  warn,
  workerClosed,
  workerCrashed,
  workerExited,
  workerOutOfMemory,
  workerStartFailed,
  workerStartTimedOut,
} from "../errors.js";
import type { ModuleRef } from "../spawn/modules.js";
import { CAPTURE, encode } from "../protocol/codec.js";
import { asFromWorker, type CallMessage, encodeMessage, type FromWorker, type SpawnMessage, type Task } from "../protocol/messages.js";
import { answer, type Post, Requests } from "../protocol/requests.js";
import { decodeThrown } from "../protocol/thrown.js";
import { embeddedWorkerSource } from "../core/embedded.js";
import { runtime, type StartWorkerOptions, type WorkerPort } from "../runtime.js";
import { serveBlockingRequests } from "./blocking_requests.js";
import { syncCall } from "../sync/blocking.js";
import { WORKER_FOOTPRINT } from "./capacity.js";

type State = "starting" | "ready" | "closing" | "gone";

/** Settles when the last worker asked to join has joined or failed (see {@link WorkerHost.start}). */
let joinTurn: Promise<void> = Promise.resolve();

/**
 * Workers this thread is terminating, until they are gone (at most {@link END_WAIT_MS}): no
 * worker is sent the module meanwhile. Bun crashed (SIGSEGV) in about 1 of 30 runs of a fault
 * case that sends a worker the module as another one is terminated.
 */
const ending = new Set<Promise<unknown>>();
/** The longest a worker's start waits for a terminated worker to be gone, in milliseconds. */
const END_WAIT_MS = 1_000;

export class WorkerHost {
  /**
   * How long a worker may take from being sent `weft:init` to `weft:ready`, in milliseconds,
   * before its start fails (`WEFT_WORKER_START_FAILED`) and it is terminated. Workers join one at
   * a time, so a worker that never reports (a runtime that lost the thread or its messages) would
   * otherwise hold every later start back, and the tasks waiting for one, for good. Far above a
   * start's tens of milliseconds, or the seconds of hundreds of workers starting at once on two
   * cores. Settable for weft's own tests.
   */
  static startTimeoutMs = 60_000;

  #port: WorkerPort;
  /** Fails the start if the worker has not joined in time (set once `weft:init` is sent). */
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  /** The parent's end of the worker's call port (from init on, every message to the worker). */
  #callPort: MessagePort | undefined;
  #post: Post;
  #state: State = "starting";
  #thread: ThreadResources | null = null;
  #threadFreed = false;
  /**
   * Whether the worker's {@link WORKER_FOOTPRINT} is charged to the shared memory's budget
   * (`reserveShared`): from before its start until its stack is freed, or for good when the stack
   * stays allocated (a killed worker whose thread may still run, see above).
   */
  #reserved = false;
  /** Whether `weft:init` went out: from then on the worker may have allocated its stack. */
  #initSent = false;
  /** Counted in the process tree's live workers (from ready until gone). */
  #counted = false;
  /** Set when this side ended the worker on purpose (close or kill), not the worker itself. */
  #endedHere = false;
  #calls = new Requests(() => {
    if (this.#state === "ready") this.#unreferenceWhenIdle();
    else if (this.#retiring) void this.#close();
  });
  /** The worker asked to be replaced: it is closed once its last call settles. */
  #retiring = false;
  /** Generated modules the worker has received, by key: the number it knows each one by. */
  #known = new Map<string, number>();
  #ready: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #closed: (() => void) | undefined;
  #exited: Promise<number | null>;
  /** The worker's list of held locks and permits (sync/held.ts), from init until it is reaped. */
  #held: number | undefined;
  #spawn: ((task: Task) => Promise<unknown>) | undefined;
  /** This side of the worker's blocking request channel; closed when the worker is gone. */
  #requests: { port: MessagePort; flag: number } | undefined;
  #onUnusable: (() => void) | undefined;
  /** While {@link start}'s `first` runs: keeps the one call made then, to send it with the init. */
  #first: ((message: CallMessage, transfer: Transferable[], what: string) => void) | undefined;
  #joinRefused = false;
  /**
   * Whether the worker keeps the process alive. It does while calls are in flight, and stays so
   * until the end of the event-loop turn in which the last call settled: a caller awaiting calls
   * one after another keeps it referenced throughout, because on some runtimes (Bun) unreferencing
   * a worker and referencing it again makes the next round-trip several times slower.
   */
  #referenced = true;
  #unrefQueued = false;
  #exitCode: number | null = null;

  private constructor(options: StartWorkerOptions) {
    const source = embeddedWorkerSource();
    const port = runtime().startWorker(source === undefined ? options : { ...options, source });
    this.#port = port;
    this.#post = (message, transfer) => (this.#callPort ?? port).postMessage(encodeMessage(message), transfer ?? []);
    let onExit!: (code: number | null) => void;
    this.#exited = new Promise((resolve) => (onExit = resolve));
    port.onMessage((raw) => this.#receive(asFromWorker(raw)));
    port.onError((error) => this.#fail(error));
    port.onExit((code) => {
      this.#gone(code);
      onExit(code);
    });
  }

  /**
   * Starts a worker and resolves once it has joined the shared module. Workers boot in parallel
   * but join one at a time: each is sent the module only after the previous one joined or failed,
   * because a thread that instantiates over the shared memory while another grows it can see a
   * stale length (toyobayashi/emnapi#217).
   *
   * `first`: called just before the worker is sent the module; a {@link run} made during the call
   * is sent with the module, and the worker runs it as soon as it has joined, so a first task does
   * not wait for the round-trip of `weft:ready`. Only one such call may be made. If the start
   * fails, the call is rejected after the promise returned here; it never ran if the worker
   * refused the join ({@link joinRefused}). A worker that joined says `weft:ready` before any
   * answer, on the port its answers come back on.
   */
  static start(options: StartWorkerOptions = {}, first?: (host: WorkerHost) => void): Promise<WorkerHost> {
    const host = new WorkerHost(options);
    const joined = new Promise<WorkerHost>((resolve, reject) => {
      host.#ready = { resolve: () => resolve(host), reject };
    });
    const previous = joinTurn;
    joinTurn = joined.then(
      () => {},
      () => {},
    );
    void previous.then(async () => {
      if (ending.size > 0) await Promise.all(ending);
      if (host.#state !== "starting") return; // failed or shut down while waiting
      const { module, memory } = coreInit();
      const channel = new MessageChannel();
      let requestFlag: number;
      let held: number;
      try {
        syncCall(() => core.reserveShared(WORKER_FOOTPRINT));
        host.#reserved = true;
        requestFlag = syncCall(() => core.allocWords(1));
        host.#requests = { port: channel.port1, flag: requestFlag };
        serveBlockingRequests(channel.port1, requestFlag);
        held = syncCall(() => core.allocLineWords(HELD_WORDS));
        host.#held = held;
      } catch (error) {
        // The shared memory has no room for this worker's stack or words
        // (WEFT_SHARED_MEMORY_EXHAUSTED): it fails to start, before it was sent anything.
        host.#fail(error);
        return;
      }
      const calls = new MessageChannel();
      host.#callPort = calls.port1;
      let call: { id: number; what: string; message: unknown; transfer: Transferable[] } | undefined;
      host.#first = (message, transfer, what) => {
        call = { id: message.id, what, message: encodeMessage(message), transfer };
        host.#first = undefined;
      };
      try {
        first?.(host);
      } finally {
        host.#first = undefined;
      }
      const init = (withCall: typeof call) =>
        host.#port.postMessage(
          encodeMessage({ type: "weft:init", module, memory, requestPort: channel.port2, requestFlag, held, callPort: calls.port2, call: withCall?.message }),
          [channel.port2, calls.port2, ...(withCall?.transfer ?? [])],
        );
      host.#initSent = true;
      try {
        init(call);
      } catch (error) {
        if (call === undefined || call.transfer.length === 0) throw error;
        // The first call's transfer list is refused: the call fails, as it would have when posted
        // alone, and the worker starts without it.
        host.#calls.reject(call.id, transferRefused(call.what, error));
        init(undefined);
      }
      const ms = WorkerHost.startTimeoutMs;
      host.#startTimer = setTimeout(() => host.#startTimedOut(ms), ms);
      runtime().unrefTimer(host.#startTimer);
    });
    return joined;
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

  /**
   * The worker said it could not join (`weft:init-failed`): it runs no call, not even one sent
   * with the module. Any other end before `weft:ready` (a crash, an exit) leaves unknown whether
   * that call ran.
   */
  get joinRefused(): boolean {
    return this.#joinRefused;
  }

  /** Resolves with the exit code (or `null`) once the worker is gone. */
  get exited(): Promise<number | null> {
    return this.#exited;
  }

  /** How many calls have not settled yet. */
  get pending(): number {
    return this.#calls.size;
  }

  /** Where this worker's stack and TLS live in the shared memory, once it is ready. */
  get thread(): ThreadResources | null {
    return this.#thread;
  }

  /** Runs `task` in the worker; settles with its result or error. */
  run(task: Task): Promise<unknown> {
    return this.#call(this.#targetFor(task.target), task.name, task.payload, task.transfer, task.what);
  }

  /**
   * Imports the module at URL `target` in the worker and calls its export `name` with `args`
   * (copied by the value codec's capture rules; `transfer` lists what to move instead).
   */
  call(
    target: string,
    name: string,
    args: readonly unknown[],
    transfer: Transferable[] = [],
    what = `the call of "${name}" from ${target}`,
  ): Promise<unknown> {
    const encoded = encode(args, CAPTURE);
    if (encoded.refused !== undefined) {
      return Promise.reject(new TypeError(`Cannot send the arguments of ${what}: ${encoded.refused.replace(/^the value/, "the arguments")}`));
    }
    return this.#call(target, name, encoded.payload, [...encoded.transfer, ...transfer], what);
  }

  /** What the worker loads for `target`: the module itself the first time, its number afterwards. */
  #targetFor(target: string | ModuleRef): string | number | ModuleRef {
    if (typeof target === "string") return target;
    const index = this.#known.get(target.key);
    if (index !== undefined) return index;
    const next = this.#known.size;
    this.#known.set(target.key, next);
    return { ...target, index: next };
  }

  #call(target: string | number | ModuleRef, name: string, payload: Task["payload"], transfer: Transferable[], what: string): Promise<unknown> {
    if (this.#state !== "ready" && this.#first === undefined) {
      const ended = this.#state === "gone" && !this.#endedHere;
      return Promise.reject(ended ? workerExited(this.#exitCode, what) : workerClosed(what));
    }
    if (!this.#referenced) this.#reference();
    return this.#calls.make(what, (id) => (this.#first ?? this.#postCall)({ type: "weft:call", id, target, name, payload }, transfer, what));
  }

  /** Posts a call; a transfer list the runtime refuses is a `WEFT_INVALID_ARGUMENT` naming the task. */
  #postCall = (message: CallMessage, transfer: Transferable[], what: string): void => {
    try {
      this.#post(message, transfer);
    } catch (error) {
      throw transfer.length === 0 ? error : transferRefused(what, error);
    }
  };

  /**
   * Ends an idle worker: it frees its own thread resources, then is terminated. Pending calls are
   * rejected with `WEFT_WORKER_CLOSED`. Use {@link kill} for a busy worker.
   */
  async close(): Promise<void> {
    if (this.#state === "gone") return;
    if (this.#state !== "ready" && !this.#retiring) return this.kill();
    this.#leave("closing");
    return this.#close();
  }

  /** The worker takes no more calls: it is closed politely once the calls it holds are answered. */
  #retire(): void {
    if (this.#state !== "ready") return;
    this.#leave("closing");
    this.#retiring = true;
    if (this.#calls.size === 0) void this.#close();
  }

  async #close(): Promise<void> {
    if (this.#endedHere) return;
    this.#retiring = false;
    this.#endedHere = true;
    this.#calls.rejectAll((what) => workerClosed(what));
    const closed = new Promise<void>((resolve) => (this.#closed = resolve));
    this.#reference(); // keep the process alive until the worker has freed its resources
    this.#post({ type: "weft:close" });
    await Promise.race([closed, this.#exited]);
    await this.#terminate();
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
    if (reason !== undefined) this.#calls.rejectAll(reason);
    await this.#terminate();
    this.#gone(null);
  }

  /** Terminates the worker; no worker is sent the module until it is gone (see {@link ending}). */
  async #terminate(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gone = Promise.race([this.#exited, new Promise((resolve) => (timer = setTimeout(resolve, END_WAIT_MS)))]);
    runtime().unrefTimer(timer);
    ending.add(gone);
    void gone.then(() => {
      clearTimeout(timer);
      ending.delete(gone);
    });
    await this.#port.terminate();
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
      if (this.#referenced && this.#calls.size === 0 && this.#state === "ready") {
        this.#referenced = false;
        this.#port.unref();
      }
    }, 0);
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case "weft:ready": {
        this.#stopStartTimer();
        this.#thread = message.thread;
        this.#state = "ready";
        this.#counted = true;
        const limit = 4 * runtime().hardwareConcurrency();
        if (core.workerStarted(limit)) warn(tooManyWorkers(core.liveWorkers(), limit));
        // A call sent before the worker joined keeps it referenced until it settles.
        if (this.#calls.size === 0) {
          this.#referenced = false;
          this.#port.unref();
        }
        this.#ready?.resolve();
        this.#ready = undefined;
        return;
      }
      case "weft:init-failed":
        this.#joinRefused = true;
        this.#fail(decodeThrown(message.error));
        return;
      case "weft:result":
        this.#calls.settle(message);
        return;
      case "weft:spawn":
        this.#spawned(message);
        return;
      case "weft:stray":
        warn(strayError(message.site, decodeThrown(message.error)));
        return;
      case "weft:unusable":
        this.#retire();
        return;
      case "weft:closed":
        this.#threadFreed = true;
        this.#closed?.();
        return;
    }
  }

  /** Runs a task spawned inside the worker and sends back its outcome. */
  #spawned(message: SpawnMessage): void {
    const { id, target, name, payload, what } = message;
    const reply: Post = (m, transfer) => {
      if (this.#state === "ready") this.#post(m, transfer);
    };
    if (this.#spawn === undefined) {
      answer(reply, id, { ok: false, error: new Error(`Cannot run ${what}: this worker's parent runs no pool`) }, what);
      return;
    }
    this.#spawn({ target, name, payload, what, transfer: [] }).then(
      (value) => answer(reply, id, { ok: true, value }, what),
      (error: unknown) => answer(reply, id, { ok: false, error }, what),
    );
  }

  /**
   * The runtime reports an error that escaped the worker's code (or its start): the worker is
   * killed, and its calls fail with an error that names it as their cause, never with the error
   * itself, which belongs to the code that threw it.
   */
  #fail(escaped: unknown): void {
    const error =
      (escaped as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY"
        ? (what: string) => workerOutOfMemory(what, escaped)
        : (what: string) => workerCrashed(what, escaped);
    this.#abandon(workerStartFailed(escaped), error);
  }

  /** The worker did not join within `ms` of its init: as a failed start, with its own errors. */
  #startTimedOut(ms: number): void {
    this.#startTimer = undefined;
    if (this.#state !== "starting") return;
    const error = workerStartTimedOut(ms);
    this.#abandon(error, () => error);
  }

  /**
   * Gives the worker up: a start still pending fails with `startError`, its calls with
   * `callError`, and it is killed.
   */
  #abandon(startError: unknown, callError: (what: string) => unknown): void {
    if (this.#ready !== undefined) {
      this.#ready.reject(startError);
      this.#ready = undefined;
    }
    this.#leave("closing");
    this.#calls.rejectAll(callError);
    void this.kill();
  }

  #stopStartTimer(): void {
    if (this.#startTimer === undefined) return;
    clearTimeout(this.#startTimer);
    this.#startTimer = undefined;
  }

  #gone(code: number | null): void {
    this.#stopStartTimer();
    if (this.#state !== "gone") this.#exitCode = code;
    this.#leave("gone");
    if (this.#ready !== undefined) {
      this.#ready.reject(workerStartFailed(`the worker exited with code ${code} before it was ready`));
      this.#ready = undefined;
    }
    this.#calls.rejectAll((what) => workerExited(code, what));
    if (this.#counted) {
      this.#counted = false;
      core.workerEnded();
    }
    if (this.#held !== undefined) {
      // A worker that died (rather than closed when asked, with its tasks done) gives back what
      // it still held: locks released (Mutex and write locks poisoned), permits returned.
      if (!this.#threadFreed) reapHeld(this.#held);
      core.freeLineWords(this.#held, HELD_WORDS);
      this.#held = undefined;
    }
    this.#callPort?.close();
    this.#callPort = undefined;
    if (this.#requests !== undefined) {
      this.#requests.port.close();
      core.freeWords(this.#requests.flag, 1);
      this.#requests = undefined;
    }
    if (this.#thread !== null && !this.#threadFreed && runtime().exitMeansThreadStopped) {
      this.#threadFreed = true;
      destroyThread(this.#thread);
    }
    // Given back once no stack can remain: freed, never allocated (init not sent), or refused
    // (the worker could not join). A worker gone between init and ready may have allocated it.
    if (this.#reserved && (this.#threadFreed || !this.#initSent || this.#joinRefused)) {
      core.releaseShared(WORKER_FOOTPRINT);
      this.#reserved = false;
    }
  }
}
