// The shared memory filled with data until nothing more fits: every refusal is
// WEFT_SHARED_MEMORY_EXHAUSTED, the analyzer still has room (a spawn at a new call site runs, on
// the main thread and nested in a worker), a worker that finds no room for its stack fails to
// start with the same cause and every task settles, and the memory serves again once the data
// is collected.
import { Channel, configure, SharedStruct, shutdown, spawn, stats, WeftError } from "weft";
import { outcome, report } from "./_report.js";

const codeOf = (e) => (e instanceof WeftError ? e.code : `${e?.constructor?.name}: ${e?.message}`);
const findings = {};

configure({ maxWorkers: 2 });
findings.before = await eval(spawn(() => 6 * 7));
const channel = new Channel(4);

let held = [];
const refusals = new Map();
let bytes = 0;
for (let length = 16_777_216; length >= 1; length = Math.floor(length / 8)) {
  const Block = SharedStruct({ values: ["f64", length] });
  for (;;) {
    try {
      held.push(new Block());
      bytes += length * 8;
    } catch (e) {
      refusals.set(codeOf(e), (refusals.get(codeOf(e)) ?? 0) + 1);
      break;
    }
  }
}
findings.structs = held.length;
findings.filledMiB = Math.round(bytes / 2 ** 20);
findings.refusals = Object.fromEntries(refusals);
findings.send = await outcome(() => channel.trySend(new Uint8Array(1 << 20)));
findings.newChannel = await outcome(() => new Channel(4));

// New call sites: each is analysed where it is spawned, in the memory the data could not take.
const word = "full";
findings.analysed = await outcome(() => eval(spawn(() => `${word} ${word.length}`)));
findings.nested = await outcome(() =>
  eval(
    spawn(async () => {
      const { spawn } = await import("weft");
      const inner = 5;
      return await eval(spawn(() => inner * 2));
    }),
  ),
);

// Two tasks at once want a second worker, whose stack has no room: it fails to start, and each
// task settles, on the worker that exists or with the failed start.
const settled = await Promise.allSettled([1, 2].map((i) => eval(spawn(() => i * 100))));
findings.concurrent = settled.map((s) =>
  s.status === "fulfilled" ? { value: s.value } : { code: codeOf(s.reason), cause: codeOf(s.reason?.cause) },
);
findings.workersWhileFull = stats().workers;

// Dropped and collected, the data gives its room back.
held = [];
const collect = () => (globalThis.gc ? globalThis.gc() : globalThis.Bun?.gc(true));
let again;
for (let i = 0; i < 100 && again === undefined; i++) {
  collect();
  await new Promise((resolve) => setTimeout(resolve, 20));
  try {
    again = new (SharedStruct({ values: ["f64", 16_777_216] }))().values.length;
  } catch (e) {
    if (codeOf(e) !== "WEFT_SHARED_MEMORY_EXHAUSTED") throw e;
  }
}
findings.again = again ?? null;
// Past the pause after the failed start, two tasks at once start the second worker. The pause's
// 100 ms timer was armed before this 300 ms one and fires first (timers fire in deadline order).
await new Promise((resolve) => setTimeout(resolve, 300));
findings.after = await Promise.all([6, 7].map((i) => eval(spawn(() => i * 7))));
findings.workersAfter = stats().workers;
await shutdown();
report(findings);
