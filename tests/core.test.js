// The threaded core: one module and one shared memory across the main thread and every worker.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Mutex } from "weft";
import { core, memoryBytes, runtime, words, wordsAt, WORKER_STACK_SIZE, WorkerHost } from "weft/_internal";
import { assert, here, runScript, runtimeName, scratchDir, test } from "./harness/mod.js";
import { increments } from "./fixtures/increments.js";

const FIXTURE = here("./fixtures/increments.js", import.meta.url);
const WORKERS = 4;

async function startWorkers(n) {
  return Promise.all(Array.from({ length: n }, (_, i) => WorkerHost.start({ name: `weft-test-${i}` })));
}

/** Waits (without blocking this thread) until the word at `addr` is at least `value`. */
async function waitForAtLeast(addr, value) {
  for (;;) {
    const seen = Atomics.load(words(), addr >>> 2);
    if (seen >= value) return;
    const r = Atomics.waitAsync(words(), addr >>> 2, seen, 5_000);
    if ((r.async ? await r.value : r.value) === "timed-out") {
      throw new Error(`word stayed at ${Atomics.load(words(), addr >>> 2)}, expected ${value}`);
    }
  }
}

/** Main thread + `hosts` each add `count` to one word, all released at the same moment. */
async function incrementEverywhere(hosts, count, atomic) {
  const barrier = core.allocWords(2);
  const addr = core.allocWords(1);
  try {
    const calls = hosts.map((h) => h.call(FIXTURE, "incrementTogether", [barrier, addr, count, atomic]));
    await waitForAtLeast(barrier, hosts.length);
    Atomics.store(words(), (barrier >>> 2) + 1, 1);
    Atomics.notify(words(), (barrier >>> 2) + 1);
    increments(addr, count, atomic);
    await Promise.all(calls);
    return Atomics.load(words(), addr >>> 2) >>> 0;
  } finally {
    core.freeWords(barrier, 2);
    core.freeWords(addr, 1);
  }
}

test("weft and weft/_internal share one instance of weft's state (one module, one memory)", () => {
  const mutex = new Mutex();
  const block = Mutex._block(mutex);
  assert.equal(Atomics.load(words(), block >>> 2), 0);
  const guard = mutex.tryLock();
  assert.equal(Atomics.load(words(), block >>> 2), 1, "the lock word is in the memory weft/_internal sees");
  assert.ok(core.mutexIsLocked(block));
  guard.unlock();
  assert.ok(!core.mutexIsLocked(block));
});

test("the .wasm and the JS come from the same version", () => {
  const pkg = JSON.parse(readFileSync(new URL("./node_modules/weft/package.json", import.meta.url), "utf8"));
  assert.equal(core.coreVersion(), pkg.version);
  assert.equal(runtime().name, runtimeName);
});

test("main + 4 workers × 1,000,000 atomic increments on one word give the exact total", async () => {
  const hosts = await startWorkers(WORKERS);
  try {
    const total = await incrementEverywhere(hosts, 1_000_000, true);
    assert.equal(total, (WORKERS + 1) * 1_000_000);
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
});

test("the non-atomic control loses updates, so the threads really overlap", async () => {
  const hosts = await startWorkers(WORKERS);
  const expected = (WORKERS + 1) * 10_000_000;
  const totals = [];
  try {
    // A lost update needs two threads inside the loop at once; on a loaded machine one attempt
    // might run them one after another, so allow a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      const total = await incrementEverywhere(hosts, 10_000_000, false);
      totals.push(total);
      if (total < expected) break;
    }
    assert.ok(totals.at(-1) < expected, `plain increments never lost an update: ${totals.join(", ")}`);
    // How many survive the overlap is up to the scheduler (a stale write can undo any number of
    // other threads' increments), so only "some" is certain; alone, the same loop is exact.
    assert.ok(totals.at(-1) > 0, `no plain increment arrived: ${totals.join(", ")}`);
    assert.equal(await incrementEverywhere([], 1_000_000, false), 1_000_000, "one thread's plain increments, alone");
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
});

test("a worker's worker joins the same memory", async () => {
  const [host] = await startWorkers(1);
  const addr = core.allocWords(1);
  try {
    Atomics.store(words(), addr >>> 2, 1234);
    const { seen, stackAlloc } = await host.call(FIXTURE, "nested", [addr, 1000]);
    assert.equal(seen, 1234, "the grandchild reads what the main thread wrote");
    assert.equal(Atomics.load(words(), addr >>> 2), 2234, "the main thread sees the grandchild's writes");
    assert.ok(stackAlloc > 0, "the grandchild got its own stack in the shared memory");
    assert.notEqual(stackAlloc, host.thread.stackAlloc);
  } finally {
    core.freeWords(addr, 1);
    await host.close();
  }
});

test("50 workers created and closed in sequence leave the memory within one stack of its size", async () => {
  // Warm up: the first worker may grow the heap for allocator bookkeeping.
  await (await WorkerHost.start()).close();
  const before = memoryBytes();
  for (let i = 0; i < 50; i++) {
    const host = await WorkerHost.start();
    assert.ok(host.thread.stackAlloc > 0);
    await host.close();
  }
  const grown = memoryBytes() - before;
  assert.ok(grown <= WORKER_STACK_SIZE, `memory grew by ${grown} bytes over 50 workers`);
});

test(
  "killed workers have their stacks freed by the parent once their thread has stopped",
  async () => {
    await (await WorkerHost.start()).kill();
    const before = memoryBytes();
    const flag = core.allocWords(1);
    try {
      for (let i = 0; i < 20; i++) {
        const host = await WorkerHost.start();
        const blocked = host.call(FIXTURE, "blockUntilSet", [flag]); // busy: cannot close politely
        await host.kill();
        await assert.rejects(blocked, { name: "WeftError", code: "WEFT_WORKER_EXITED" });
      }
    } finally {
      core.freeWords(flag, 1);
    }
    const grown = memoryBytes() - before;
    assert.ok(grown <= WORKER_STACK_SIZE, `memory grew by ${grown} bytes over 20 killed workers`);
  },
  { skip: runtime().exitMeansThreadStopped ? false : `${runtimeName} reports no thread exit; killed workers keep their stack` },
);

test("views over the memory follow its growth", async () => {
  const before = memoryBytes();
  const oldView = words();
  const big = core.allocWords(8 * 1024 * 1024); // 32 MiB: forces the memory to grow
  const [host] = await startWorkers(1);
  try {
    assert.ok(memoryBytes() >= before + 32 * 1024 * 1024);
    assert.equal(oldView.length * 4, before, "an old view keeps its old length");
    const last = big + 8 * 1024 * 1024 * 4 - 4;
    assert.ok(last >= before, "the word is past the old end");
    assert.equal(wordsAt(before - 4), oldView, "a cached view is reused for a word it covers");
    Atomics.store(wordsAt(last), last >>> 2, 77);
    assert.equal(await host.call(FIXTURE, "read", [last]), 77);
    assert.equal(words().length * 4, memoryBytes());
    assert.ok(wordsAt(last).length > last >>> 2, "a view for a word past the old end covers it");
    Atomics.store(oldView, (before >>> 2) - 1, 55);
    assert.equal(Atomics.load(wordsAt(last), (before >>> 2) - 1), 55, "old and new views alias the same memory");
  } finally {
    core.freeWords(big, 8 * 1024 * 1024);
    await host.close();
  }
});

test("errors thrown in a worker call reject the call with the same class and message", async () => {
  const [host] = await startWorkers(1);
  try {
    await assert.rejects(host.call(FIXTURE, "fail", ["type"]), (e) => {
      assert.ok(e instanceof TypeError);
      assert.equal(e.message, "bad type");
      return true;
    });
    await assert.rejects(host.call(FIXTURE, "fail", ["number"]), (e) => e === 42);
    await assert.rejects(host.call(FIXTURE, "missing", []), /not an exported function/);
  } finally {
    await host.close();
  }
});

test("calls on a closed worker reject with WEFT_WORKER_CLOSED", async () => {
  const [host] = await startWorkers(1);
  await host.close();
  await assert.rejects(host.call(FIXTURE, "read", [0]), { code: "WEFT_WORKER_CLOSED" });
  assert.equal(host.pending, 0);
});

test("live workers are counted across threads, with one warning above 4 × hardware threads", async () => {
  const dir = scratchDir("many-");
  try {
    const script = join(dir, "probe.js");
    writeFileSync(
      script,
      `import { core, runtime, WorkerHost } from "weft/_internal";
const limit = 4 * runtime().hardwareConcurrency();
const hosts = [];
for (let i = 0; i <= limit + 1; i++) hosts.push(await WorkerHost.start());
const live = core.liveWorkers();
await Promise.all(hosts.map((h) => h.close()));
console.log(JSON.stringify({ limit, live, after: core.liveWorkers() }));
`,
    );
    const { code, stdout, stderr } = await runScript(script);
    assert.equal(code, 0, stderr);
    const { limit, live, after } = JSON.parse(stdout.trim());
    assert.equal(live, limit + 2);
    assert.equal(after, 0);
    assert.equal(stderr.match(/WEFT_TOO_MANY_WORKERS/g)?.length, 1, stderr);
    assert.match(stderr, new RegExp(`more than ${limit} \\(4 × hardware threads\\)`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The sizes in bytes of the function bodies of a Wasm binary (its code section). */
function functionBodySizes(bytes) {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    if (id !== 10) {
      at += size;
      continue;
    }
    const sizes = [];
    for (let n = leb(); n > 0; n--) {
      const body = leb();
      sizes.push(body);
      at += body;
    }
    return sizes;
  }
  throw new Error("the module has no code section");
}

test("the release module has no function too large for a quick first compile (wasm-opt's one-caller inlining is capped)", () => {
  // Inlined into their only callers whatever their size, the steps of a module generation made one
  // 54 KB function, which V8's baseline compiler took 4-7 ms to compile (scripts/build-wasm.sh).
  const sizes = functionBodySizes(readFileSync(new URL("./node_modules/weft/js/wasm/weft_bg.wasm", import.meta.url)));
  assert.ok(sizes.length > 1000, `${sizes.length} function bodies read`);
  const largest = Math.max(...sizes);
  assert.ok(largest < 40_000, `the largest function body is ${largest} bytes`);
});

test("the glue exports the lock word values JS compares; diagnostics exports are not in the release module", () => {
  const mutex = new Mutex();
  const block = Mutex._block(mutex);
  assert.equal(Atomics.load(words(), block >>> 2), core.MutexWord.Unlocked);
  const guard = mutex.tryLock();
  assert.equal(Atomics.load(words(), block >>> 2), core.MutexWord.Locked, "the JS fast path writes the state machine's LOCKED");
  guard.unlock();
  assert.equal(Atomics.load(words(), block >>> 2), core.MutexWord.Unlocked);
  assert.ok(Number.isInteger(core.graceMs()) && core.graceMs() > 0);
  assert.deepEqual([core.StepOutcome.Acquired, core.StepOutcome.Wait, core.StepOutcome.WaitBounded], [0, 1, 2]);
  for (const name of ["countPrimes", "diagAtomicIncrements", "diagPlainIncrements"]) {
    assert.equal(name in core, false, `${name} is a test-only export`);
  }
});
