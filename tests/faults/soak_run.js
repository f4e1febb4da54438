// One runtime's soak (run by soak.mjs, or directly: `<runtime> tests/faults/soak_run.js <part>`):
//   tasks     1,000,000 tasks from one call site, 256 in flight; every 100,000: time, memory, and
//             the sum of the results so far (a lost or repeated task changes it);
//   sites     10,000 distinct call sites in one generated file, awaited one after another; every
//             1,000: the time they took;
//   capacity  as many workers as the shared memory holds, each running a task that waits until
//             all of them run, plus queued tasks beyond them: every task settles, none fails;
//   full      the shared memory filled with SharedStructs, each size down to 8 bytes until none
//             fits: every refusal is WEFT_SHARED_MEMORY_EXHAUSTED (none a trap), and so is a
//             Channel send that no longer fits. Touches about 1 GiB.
// Prints `soak <json>` lines; exits 1 when a check fails.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Channel, configure, shutdown, SharedStruct, spawn, WeftError } from "weft";
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

async function full() {
  const start = performance.now();
  const channel = new Channel(4);
  const held = [];
  const refusals = new Map();
  for (let length = 16_777_216; length >= 1; length = Math.floor(length / 8)) {
    const Block = SharedStruct({ values: ["f64", length] });
    for (;;) {
      try {
        held.push(new Block());
      } catch (e) {
        const code = e instanceof WeftError ? e.code : `${e?.constructor?.name}: ${e?.message}`;
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
        break;
      }
    }
  }
  let sent;
  try {
    channel.trySend(new Uint8Array(1 << 20));
    sent = "sent";
  } catch (e) {
    sent = e instanceof WeftError ? e.code : `${e?.constructor?.name}: ${e?.message}`;
  }
  line({ structs: held.length, sharedMb: mb(memoryBytes()), refusals: Object.fromEntries(refusals), send: sent, ms: Math.round(performance.now() - start) });
  check(refusals.size === 1 && refusals.has("WEFT_SHARED_MEMORY_EXHAUSTED"), "a refusal other than WEFT_SHARED_MEMORY_EXHAUSTED");
  check(sent === "WEFT_SHARED_MEMORY_EXHAUSTED", `a send into the full memory: ${sent}`);
}

const parts = { tasks, sites, capacity, full };
if (!(part in parts)) {
  console.error(`usage: soak_run.js ${Object.keys(parts).join("|")}`);
  process.exit(2);
}
mkdirSync(new URL("../.scratch/", import.meta.url), { recursive: true });
await parts[part]();
await shutdown();
process.exit(failed ? 1 : 0);
