// Compiled with `tsc --noEmit` (strict) against the assembled package: `make test` fails if the
// public types regress. Lines marked @ts-expect-error must stay errors.
import { type AbortSignalLike, Barrier, type BarrierWaitResult, Channel, Condvar, configure, type PoolStats, PoisonError, RwLock, type RwLockReadGuard, type RwLockWriteGuard, SharedStruct, stats, Global, Mutex, type MutexGuard, type Permit, Semaphore, shutdown, spawn, WaitGroup, WeftError, type WorkerScript } from "weft";

const rounds = 3;
const user = { name: "ada" };

// A sync closure: the awaited result has the closure's return type.
const doubled: number = await eval(spawn(() => rounds * 2));
// An async closure: its promise is unwrapped once.
const greeting: string = await eval(spawn(async () => `hi ${user.name}`));
// Objects keep their shape.
const pair: { a: number; b: string[] } = await eval(spawn(() => ({ a: 1, b: ["x"] })));

// The script itself is a WorkerScript carrying the result type.
const script: WorkerScript<number> = spawn(() => 1);
const fromScript: Promise<number> = eval(script);

// @ts-expect-error the result is a number, not a string
const wrong: string = await eval(spawn(() => 1));

// @ts-expect-error spawn closures take no parameters
spawn((x: number) => x * 2);

// @ts-expect-error spawn needs a function
spawn(42);

configure({ maxWorkers: 2, idleTimeoutMs: 1_000 });
// @ts-expect-error maxWorkers is a number
configure({ maxWorkers: "2" });

try {
  await shutdown();
} catch (e) {
  if (e instanceof WeftError) {
    const code: string = e.code;
    void code;
  }
}

// Primitives: guards carry the guarded value's type; `using` works with guards and permits.
const counter = new Mutex(new SharedArrayBuffer(4));
// Any AbortSignal fits the signal option; this file compiles without DOM types, so a stand-in.
const signal = { aborted: false, addEventListener() {}, removeEventListener() {} };
const guard: MutexGuard<SharedArrayBuffer> = await counter.lock({ timeout: 100, signal });
const cell: Int32Array = new Int32Array(guard.value);
guard.unlock();
{
  using scoped = await counter.lock();
  void scoped.value.byteLength;
}
const permits = new Semaphore(2);
const permit: Permit | null = permits.tryAcquire(2);
permit?.release();
const shared = new Global(new Mutex(new SharedArrayBuffer(8)));
const viaGlobal: Promise<MutexGuard<SharedArrayBuffer>> = shared.value.lock();
// @ts-expect-error lock options take a number of milliseconds
void counter.lock({ timeout: "soon" });
// The result of a spawned closure that returns a Mutex is a Mutex.
const returned: Mutex<SharedArrayBuffer> = await eval(spawn(() => counter));

// Plain eval still works on strings.
const plain: unknown = eval("1 + 1");

void [doubled, greeting, pair, fromScript, wrong, plain, cell, viaGlobal, returned];

// Cancelling a task: any AbortSignal (typed without DOM or Node types), a timeout in milliseconds.
declare const taskSignal: AbortSignalLike;
const cancelled: number = await eval(spawn(() => rounds * 3, { signal: taskSignal, timeout: 1000 }));
void cancelled;
// @ts-expect-error a task's timeout is a number of milliseconds
void spawn(() => 1, { timeout: "soon" });
// Pool figures.
const figures: PoolStats = stats({ reset: true });
const p99: number = figures.runTimeMs.p99 + figures.waitTimeMs.max + figures.utilization;
void p99;

// The concurrency toolbox.
const table = new RwLock(new Float64Array(new SharedArrayBuffer(64)));
const reading: RwLockReadGuard<Float64Array> = await table.read({ timeout: 10 });
const first: number = reading.value[0]!;
reading.unlock();
const writing: RwLockWriteGuard<Float64Array> | null = table.tryWrite();
writing?.unlock();
const condvar = new Condvar();
const held = await counter.lock();
const notified: boolean = await condvar.wait(held, { timeout: 5 });
held.unlock();
condvar.notifyAll();
const { isLeader }: BarrierWaitResult = await new Barrier(2).wait();
const group = new WaitGroup();
group.add(2);
const waited: Promise<void> = group.wait();
const jobs = new Channel<{ id: number }>(8);
await jobs.send({ id: 1 });
const job: { id: number } = await jobs.recv();
const maybe: { value: { id: number } } | null = jobs.tryRecv();
for await (const j of jobs) void j.id;
// @ts-expect-error the channel carries { id: number }
void jobs.send("text");
const Point = SharedStruct({ x: "f64", hits: "u32", big: "i64", path: ["f32", 4], seen: "bool" });
const point = new Point({ x: 1.5, big: 2n });
const x: number = point.x;
const big: bigint = point.big;
const path: Float32Array = point.path;
const seen: boolean = point.seen;
const before: number = point.add("hits", 1);
const bigBefore: bigint = point.add("big", 1n);
// @ts-expect-error atomic methods take an integer field
point.add("x", 1);
// @ts-expect-error a u32 field is a number
point.hits = 1n;
const isStruct: boolean = point instanceof SharedStruct;
try {
  await counter.lock();
} catch (e) {
  if (e instanceof PoisonError) (e.guard as MutexGuard<SharedArrayBuffer>).unlock();
}
const poisoned: boolean = counter.poisoned || table.poisoned;
void [first, notified, isLeader, waited, job, maybe, x, big, path, seen, before, bigBefore, isStruct, poisoned];
