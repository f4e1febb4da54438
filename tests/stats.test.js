// stats() and WEFT_DEBUG: figures that match exactly the tasks run, and one log line per event.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configure, shutdown, spawn, stats } from "weft";
import { Histogram } from "weft/_internal";
import { assert, runScript, runtimeName, scratchDir, test } from "./harness/mod.js";

test("the histogram's percentiles are within 1/32 above the true ones and never above the max", () => {
  const h = new Histogram();
  assert.deepEqual(h.percentiles(), { p50: 0, p90: 0, p99: 0, max: 0 });
  // 1..1000 ms: the true p50, p90, p99 are 500, 900 and 990 ms.
  for (let ms = 1; ms <= 1000; ms++) h.record(ms);
  const { p50, p90, p99, max } = h.percentiles();
  for (const [got, want] of [[p50, 500], [p90, 900], [p99, 990]]) {
    assert.ok(got >= want && got <= want * (1 + 1 / 32), `${got} for ${want}`);
  }
  assert.equal(max, 1000);
  assert.equal(h.count, 1000);
  // Sub-millisecond values are exact to the microsecond below 64 µs.
  h.clear();
  h.record(0.005);
  h.record(0.063);
  assert.deepEqual(h.percentiles(), { p50: 0.005, p90: 0.063, p99: 0.063, max: 0.063 });
  // Beyond the last bucket (about 36 minutes), values still count and the max stays exact.
  h.record(5e6);
  assert.equal(h.percentiles().max, 5e6);
  assert.equal(h.count, 3);
});

test("stats() counts exactly the tasks completed, failed and cancelled, then resets", async () => {
  await shutdown();
  // One worker, so that which workers exist is decided, not raced.
  configure({ maxWorkers: 1 });
  stats({ reset: true });
  const ok = await Promise.all([1, 2, 3, 4, 5].map((n) => eval(spawn(() => n * 2))));
  assert.deepEqual(ok, [2, 4, 6, 8, 10]);
  const between = stats();
  assert.equal(between.workers, 1);
  assert.deepEqual([between.completed, between.busy, between.queued], [5, 0, 0]);
  for (const why of ["a", "b"]) {
    await eval(spawn(() => { throw new Error(why); })).then(() => assert.fail("resolved"), () => {});
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  await eval(spawn(() => Atomics.wait(flag, 0, 0), { timeout: 10 })).then(() => assert.fail("resolved"), (e) => assert.equal(e.code, "WEFT_TIMED_OUT"));
  const s = stats({ reset: true });
  assert.equal(s.completed, 5);
  assert.equal(s.failed, 2);
  assert.equal(s.cancelled, 1);
  assert.equal(s.queued, 0);
  assert.equal(s.busy, 0);
  // The timed-out task's worker left the pool: terminated on Node; on Deno and Bun still blocked
  // in the task (released below), to be closed when it returns.
  assert.equal(s.workers, runtimeName === "node" ? 0 : 1);
  assert.ok(s.utilization > 0 && s.utilization <= 1, `utilization ${s.utilization}`);
  assert.ok(s.runTimeMs.max > 0 && s.runTimeMs.p50 <= s.runTimeMs.p90 && s.runTimeMs.p90 <= s.runTimeMs.p99);
  assert.ok(s.runTimeMs.p99 <= s.runTimeMs.max);
  assert.ok(s.waitTimeMs.max >= 0);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const after = stats();
  assert.deepEqual([after.completed, after.failed, after.cancelled], [0, 0, 0]);
  assert.equal(after.runTimeMs.max, 0);
  configure({ maxWorkers: 2 });
});

test("stats() inside a worker is a clear error", async () => {
  const error = await eval(
    spawn(async () => {
      const { stats: inWorker } = await import("weft");
      try {
        inWorker();
        return "no error";
      } catch (e) {
        return e.code;
      }
    }),
  );
  assert.equal(error, "WEFT_INVALID_ARGUMENT");
});

const DEBUGGED = `import { spawn, shutdown } from "weft";
const n = 20;
console.log("result " + await eval(spawn(() => n + 1)));
await shutdown();
`;

test("WEFT_DEBUG=1 logs pool events on stderr, one line each; nothing without it", async () => {
  const dir = scratchDir("debug-");
  try {
    writeFileSync(join(dir, "main.js"), DEBUGGED);
    const on = await runScript(join(dir, "main.js"), { env: { WEFT_DEBUG: "1" } });
    assert.match(on.stdout, /result 21/);
    const lines = on.stderr.split("\n").filter((l) => l.startsWith("weft: "));
    for (const event of [/^weft: worker started/, /^weft: task queued: the task spawned at .*main\.js:3:/, /^weft: task started: /, /^weft: task completed: /]) {
      assert.ok(lines.some((l) => event.test(l)), `no line matching ${event} in:\n${on.stderr}`);
    }
    const off = await runScript(join(dir, "main.js"), { env: { WEFT_DEBUG: "" } });
    assert.match(off.stdout, /result 21/);
    assert.doesNotMatch(off.stderr, /^weft: /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("shutdown", async () => {
  await shutdown();
});
