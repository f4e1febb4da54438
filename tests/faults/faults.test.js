// The fault suite (issue 15): each case runs in a process of its own on the runtime under test,
// under a watchdog (a case that hangs is killed and fails), and its findings are asserted here:
// every task settled with the right code, the process lived (exit code 0), and the pool still ran
// tasks afterwards.
import { assert, runFault, runtimeName, test } from "../harness/mod.js";

const CASE_TIMEOUT_MS = 45_000;

const runs = new Map();

/** Runs `tests/faults/cases/<name>.js` (once per file) and returns its findings. */
function findingsOf(name) {
  if (!runs.has(name)) runs.set(name, runCase(name));
  return runs.get(name);
}

async function runCase(name) {
  const { code, signal, findings, stdout, stderr } = await runFault(new URL(`./cases/${name}.js`, import.meta.url), {
    timeoutMs: CASE_TIMEOUT_MS,
  });
  assert.equal(signal, null, `${name} was killed by ${signal}; stderr:\n${stderr}`);
  assert.equal(code, 0, `${name} exited with code ${code}; stdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.ok(findings !== undefined, `${name} reported nothing; stdout:\n${stdout}\nstderr:\n${stderr}`);
  return findings;
}

/** `outcome` is a refusal with `code` whose message matches every pattern. */
function refused(outcome, code, ...patterns) {
  assert.equal(outcome.code, code, JSON.stringify(outcome));
  for (const pattern of patterns) assert.match(outcome.message, pattern);
}

test("configure refuses values that would crash or wedge a worker, and keeps the settings before them", async () => {
  const f = await findingsOf("invalid_values");
  assert.equal(f.first, "first");
  refused(f.refused["maxWorkers 700"], "WEFT_INVALID_ARGUMENT", /maxWorkers/, /from 1 to \d+/, /received 700/);
  refused(f.refused["maxWorkers 0"], "WEFT_INVALID_ARGUMENT", /maxWorkers/);
  refused(f.refused["maxWorkers string"], "WEFT_INVALID_ARGUMENT", /received string/);
  refused(f.refused["idleTimeoutMs 2**40"], "WEFT_INVALID_ARGUMENT", /idleTimeoutMs/, /2147483647/);
  refused(f.refused["idleTimeoutMs NaN"], "WEFT_INVALID_ARGUMENT", /idleTimeoutMs/);
  refused(f.refused.mixed, "WEFT_INVALID_ARGUMENT", /idleTimeoutMs/);
  refused(f.refused["unknown option"], "WEFT_INVALID_ARGUMENT", /"maxWorker"/, /maxWorkers, idleTimeoutMs, resourceLimits/);
  refused(f.refused["not an object"], "WEFT_INVALID_ARGUMENT");
  refused(f.refused["maxOld string"], "WEFT_INVALID_ARGUMENT", /maxOldGenerationSizeMb/, /received string/);
  refused(f.refused["unknown limit"], "WEFT_INVALID_ARGUMENT", /"maxOldGenerationMb"/);
  refused(f.refused["limits array"], "WEFT_INVALID_ARGUMENT", /resourceLimits/);
  if (runtimeName !== "bun") {
    for (const name of ["maxOld 0", "maxOld -1", "maxOld 1"]) {
      refused(f.refused[name], "WEFT_INVALID_ARGUMENT", /maxOldGenerationSizeMb/, /from 16 to/);
    }
    refused(f.refused["stack 0.01"], "WEFT_INVALID_ARGUMENT", /stackSizeMb/, /received 0\.01/);
    refused(f.refused["codeRange 1e8"], "WEFT_INVALID_ARGUMENT", /codeRangeSizeMb/);
    refused(f.refused["young Infinity"], "WEFT_INVALID_ARGUMENT", /maxYoungGenerationSizeMb/);
  }
  // The mixed call's valid maxWorkers: 1 did not take effect either.
  assert.deepEqual(f.optionsAfterRefusals, { maxWorkers: 2, idleTimeoutMs: 60_000 });
  assert.deepEqual(f.accepted.limits, { value: null });
  assert.deepEqual(f.accepted.again, { value: null });
  // Bun ignores resource limits: one warning, however often they are configured.
  assert.equal(f.warnings, runtimeName === "bun" ? 1 : 0);
  assert.equal(f.afterLimits, 42);
});

test("Semaphore counts a 32-bit word cannot carry are refused, not wrapped", async () => {
  const { semaphore } = await findingsOf("invalid_values");
  refused(semaphore.huge, "WEFT_INVALID_ARGUMENT", /from 1 to 16383/, /received 4294967299/);
  refused(semaphore.fraction, "WEFT_INVALID_ARGUMENT", /received 1\.5/);
  refused(semaphore.acquireHuge, "WEFT_INVALID_ARGUMENT", /at most 16383/, /received 4294967296/);
  refused(semaphore.tryAcquireHuge, "WEFT_INVALID_ARGUMENT");
  refused(semaphore.releaseHuge, "WEFT_INVALID_ARGUMENT");
  assert.equal(semaphore.available, 3, "a refused count took or gave permits");
  assert.equal(semaphore.afterAcquire, 1);
});

test(
  "a worker over its heap limit fails only its task, and the process and pool live on",
  async () => {
    const f = await findingsOf("out_of_memory");
    assert.equal(f.before, "fine");
    refused(f.runaway, "WEFT_WORKER_OUT_OF_MEMORY", /ran out of memory/, /resourceLimits/);
    assert.equal(f.after, "fine");
    assert.ok(f.rssMb < 1024, `the process holds ${f.rssMb} MB after the worker was replaced`);
  },
  {
    skip:
      runtimeName === "bun"
        ? "Bun ignores resourceLimits (oven-sh/bun#31411): an unbounded task would grow the whole process"
        : undefined,
  },
);

test("shutdown() while the first worker starts fails the queued task, and the next one runs", async () => {
  const f = await findingsOf("shutdown_while_starting");
  refused(f.first, "WEFT_SHUTDOWN");
  assert.deepEqual(f.second, { value: "second" });
  refused(f.queued[0], "WEFT_SHUTDOWN");
  refused(f.queued[1], "WEFT_SHUTDOWN");
  assert.deepEqual(f.third, { value: "third" });
});

test("a new worker's first task is sent with the module: it runs before the ready, goes back if the join fails, fails once if the worker dies or its transfer list is refused, and shutdown() ends it", async () => {
  const f = await findingsOf("early_task");
  // 1. The pool did not hear the ready before the result, so the call was sent before it.
  assert.deepEqual(f.heldBack, { value: "ran before the pool knew the worker was ready" });
  assert.deepEqual(f.heldBackEvents, ["init", "weft:ready", "weft:result"]);
  // 2. The spoiled worker failed to join; its task ran on the next worker instead of failing.
  assert.deepEqual(f.spoiledEvents, ["init", "weft:init-failed"]);
  assert.deepEqual(f.givenBack, [{ value: "one" }, { value: "two" }]);
  assert.deepEqual(f.givenBackCounts, { completed: 2, failed: 0 });
  // 3. Shut down while a task sent early runs on a worker the pool still counts as starting.
  assert.equal(f.ranWhileStarting, true);
  refused(f.shutDown, "WEFT_SHUTDOWN");
  assert.equal(f.liveAfterShutdown, 0);
  assert.deepEqual(f.afterwards, { value: "afterwards" });
  // 4. A worker that died before its ready may have run the task: it fails, and never runs twice.
  assert.equal(f.ranBeforeDeath, true);
  refused(f.died, "WEFT_WORKER_START_FAILED");
  assert.deepEqual(f.behind, { value: "behind it" });
  assert.equal(f.runs, 1);
  // 5. A transfer list the runtime refuses fails only the task; its worker starts and runs the next.
  refused(f.refusedTransfer, "WEFT_INVALID_ARGUMENT", /^Cannot send the task spawned at \S+early_task\.js:\d+:\d+: the runtime refused its transfer list/);
  assert.deepEqual(f.afterRefusal, { value: "after the refusal" });
  assert.equal(f.workersAfterRefusal, 1);
  refused(f.refusedWithModule, "WEFT_INVALID_ARGUMENT", /^Cannot send the call sent with the module: the runtime refused its transfer list/);
  assert.deepEqual(f.hostAfterRefusal, { value: 1 });
});

test(
  "a worker that never reports ready fails to start after the start timeout, and holds no other start back",
  async () => {
    const f = await findingsOf("lost_ready");
    assert.equal(f.lostFirstEvent, "init");
    refused(f.lost, "WEFT_WORKER_START_FAILED", /^Cannot start a weft worker: it did not join within 300 ms of being sent the module, and was terminated$/);
    assert.deepEqual(f.behindLost, { value: "behind the lost one" });
    assert.deepEqual(f.afterLoss, { value: "after the loss" });
    assert.equal(f.workersAfterLoss, 1);
  },
);

test("a caller's path is read as the file it is: %20, newlines and tabs stay literal", async () => {
  const f = await findingsOf("paths");
  assert.deepEqual(f.encoded, { value: "from dir%20x" });
  assert.deepEqual(f.newline, { value: "from line\\nbreak" });
  assert.deepEqual(f.tab, { value: "from tab" });
});

test("callers whose source cannot be read fail with WEFT_SOURCE_UNAVAILABLE", async () => {
  const f = await findingsOf("sources");
  if (runtimeName !== "bun") refused(f.dataUrl, "WEFT_SOURCE_UNAVAILABLE", /data: URL/, /module file on disk/);
  if (runtimeName !== "node") refused(f.blobUrl, "WEFT_SOURCE_UNAVAILABLE", /blob: URL/);
  assert.deepEqual(f.beforeDelete, { value: 42 });
  refused(f.afterDelete, "WEFT_SOURCE_UNAVAILABLE", /caller\.js/, /cannot be read/);
  assert.deepEqual(f.poolAfter, { value: "still running" });
});

test("configure refuses a maxWorkers whose stacks do not fit, naming the limit it accepts", async () => {
  const f = await findingsOf("capacity");
  refused(f.seven, "WEFT_INVALID_ARGUMENT", /shared memory of 1 GiB/, /received 700/);
  refused(f.six, "WEFT_INVALID_ARGUMENT", /received 600/);
  // Each worker takes a 2 MiB stack of the 1 GiB: the limit leaves room for the rest.
  assert.ok(f.limit >= 64 && f.limit * 2 < 1024 - 192, `limit ${f.limit}`);
  assert.deepEqual(f.atLimit, { value: null });
  refused(f.aboveLimit, "WEFT_INVALID_ARGUMENT", new RegExp(`received ${f.limit + 1}`));
  assert.deepEqual(f.tasks, [1, 4, 9, 16, 25, 36]);
});

test("a burst of worker starts: every worker joins, every task runs, the process exits", async () => {
  const f = await findingsOf("worker_burst");
  assert.equal(f.peak, f.workers, `only ${f.peak} of ${f.workers} workers started`);
  assert.deepEqual(f.failed, []);
  const n = f.workers + 8;
  assert.equal(f.sum, (n * (n - 1)) / 2);
});

test("the analyzer's odd inputs fail only their own site: not inline, too large, names like weft's, an aliased eval", async () => {
  const f = await findingsOf("analysis");
  refused(f.notInline, "WEFT_CLOSURE_NOT_INLINE", /not written inline/);
  assert.equal(f.callbackRuns, 1, "the enclosing callback was taken for the closure and spawned again");
  refused(f.large, "WEFT_SOURCE_TOO_LARGE", /large\.js/, /6291456 bytes/);
  assert.deepEqual(f.ternaries, { value: 7 });
  assert.deepEqual(f.names, { value: 22 });
  refused(f.aliasedEval, "WEFT_CAPTURE_UNREADABLE", /analysis\.js:\d+:\d+/, /secret is not defined/, /direct eval/);
  assert.deepEqual(f.after, { value: "after" });
});

test("a shared memory full of data: refusals are WEFT_SHARED_MEMORY_EXHAUSTED, analyses and nested spawns still run, every task settles, freed memory serves again", async () => {
  const f = await findingsOf("memory_full");
  assert.equal(f.before, 42);
  // The data's budget: the 1 GiB memory less its initial size and the analyzer's 480 MiB share.
  assert.ok(f.filledMiB > 500 && f.filledMiB < 544, `filled ${f.filledMiB} MiB`);
  assert.deepEqual(Object.keys(f.refusals), ["WEFT_SHARED_MEMORY_EXHAUSTED"]);
  refused(f.send, "WEFT_SHARED_MEMORY_EXHAUSTED", /exhausted/);
  refused(f.newChannel, "WEFT_SHARED_MEMORY_EXHAUSTED", /exhausted/);
  assert.deepEqual(f.analysed, { value: "full 4" }, "an analysis found no room: the data took the analyzer's share");
  assert.deepEqual(f.nested, { value: 10 }, "the nested spawn waited for a worker that could not start");
  assert.deepEqual(f.concurrent, [{ value: 100 }, { value: 200 }]);
  assert.equal(f.workersWhileFull, 1, "a second worker started although its stack had no room");
  assert.equal(f.again, 16_777_216, "the collected data did not give its room back");
  assert.deepEqual(f.after, [42, 49]);
  assert.equal(f.workersAfter, 2, "no worker started once there was room again");
});
