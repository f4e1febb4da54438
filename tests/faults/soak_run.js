// One runtime's soak (run by soak.mjs, or directly: `<runtime> tests/faults/soak_run.js <part>`):
//   tasks     1,000,000 tasks from one call site, 256 in flight; every 100,000: time, memory, and
//             the sum of the results so far (a lost or repeated task changes it);
//   sites     10,000 distinct call sites in one generated file, awaited one after another; every
//             1,000: the time they took;
//   capacity  as many workers as the shared memory holds, each running a task that waits until
//             all of them run, plus queued tasks beyond them: every task settles, none fails;
// Prints `soak <json>` lines; exits 1 when a check fails.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { configure, shutdown, spawn } from "weft";
import { core, memoryBytes } from "weft/_internal";
import { runtimeName, scratchDir } from "../harness/mod.js";

const part = process.argv.at(-1);
const mb = (bytes) => Math.round(bytes / 2 ** 20);
const line = (fields) => console.log(`soak ${JSON.stringify({ runtime: runtimeName, part, ...fields })}`);
let failed = false;
const check = (ok, what) => {
  if (!ok) {
    failed = true;
    line({ failed: what });
  }
};

async function tasks() {
  const total = 1_000_000;
  const window = 256;
  const step = 100_000;
  let next = 0;
  let sum = 0;
  const start = performance.now();
  let lap = start;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const value = await eval(spawn(() => i % 1000));
      sum += value;
      if ((i + 1) % step === 0) {
        const now = performance.now();
        line({
          tasks: i + 1,
          lapMs: Math.round(now - lap),
          rssMb: mb(process.memoryUsage().rss),
          heapMb: mb(process.memoryUsage().heapUsed),
          sharedMb: mb(memoryBytes()),
        });
        lap = now;
      }
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const expected = (total / 1000) * ((999 * 1000) / 2);
  line({ done: total, totalMs: Math.round(performance.now() - start), sum, expected });
  check(sum === expected, `sum ${sum} !== ${expected}`);
}

async function sites() {
  const count = 10_000;
  const dir = scratchDir("soak-sites-");
  try {
    let source = 'import { spawn } from "weft";\nexport async function run(lap) {\n  let sum = 0;\n';
    for (let i = 0; i < count; i++) {
      source += `  sum += await eval(spawn(() => ${i}));\n`;
      if ((i + 1) % 1000 === 0) source += `  lap(${i + 1});\n`;
    }
    source += "  return sum;\n}\n";
    const file = join(dir, "sites.js");
    writeFileSync(file, source);
    const { run } = await import(pathToFileURL(file).href);
    const start = performance.now();
    let last = start;
    const sum = await run((n) => {
      const now = performance.now();
      line({ sites: n, lapMs: Math.round(now - last), rssMb: mb(process.memoryUsage().rss), sharedMb: mb(memoryBytes()) });
      last = now;
    });
    line({ done: count, totalMs: Math.round(performance.now() - start) });
    check(sum === (count * (count - 1)) / 2, `sum ${sum}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function capacity() {
  let limit;
  try {
    configure({ maxWorkers: 100_000 });
  } catch (error) {
    limit = Number(/from 1 to (\d+)/.exec(error.message)?.[1]);
  }
  check(Number.isInteger(limit), "configure named no limit");
  configure({ maxWorkers: limit });
  // Each task waits (at most 120 s) until word 0 is set, so that `limit` workers run at once.
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const start = performance.now();
  const extra = 20;
  const all = Array.from({ length: limit + extra }, (_, i) =>
    eval(
      spawn(() => {
        Atomics.wait(gate, 0, 0, 120_000);
        return i;
      }),
    ),
  );
  let peak = 0;
  while (peak < limit && performance.now() - start < 120_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    peak = Math.max(peak, core.liveWorkers());
  }
  line({ limit, live: peak, startMs: Math.round(performance.now() - start), sharedMb: mb(memoryBytes()) });
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  const settled = await Promise.allSettled(all);
  const failures = settled.filter((s) => s.status === "rejected").map((s) => s.reason?.code);
  line({ settled: settled.length, failed: failures.length, codes: [...new Set(failures)], totalMs: Math.round(performance.now() - start) });
  check(peak === limit, `only ${peak} of ${limit} workers started`);
  check(failures.length === 0, `${failures.length} tasks failed`);
}

const parts = { tasks, sites, capacity };
if (!(part in parts)) {
  console.error(`usage: soak_run.js ${Object.keys(parts).join("|")}`);
  process.exit(2);
}
mkdirSync(new URL("../.scratch/", import.meta.url), { recursive: true });
await parts[part]();
await shutdown();
process.exit(failed ? 1 : 0);
