// (4) CPU-bound speedup: the same work split into chunks, run on all cores through weft vs run
// serially on the main thread (speedup = serial time / parallel time, per round). The same split
// over raw workers is measured alongside, as a control of how much parallelism the machine gave.
import { configure, shutdown, spawn } from "weft";
import { emit, interleave, now, ratioOf, scaled, summarize } from "./lib/stats.mjs";
import { burn } from "./lib/burn.mjs";
import { mechanismLabel, startRaw, weftMechanism } from "./lib/raw.mjs";

const CORES = navigator.hardwareConcurrency;
const CHUNKS = CORES * 4;
const STEPS = scaled(3_000_000, 500_000);

let expected;
function check(results) {
  const sum = results.reduce((a, b) => a + b, 0);
  if (expected === undefined) expected = sum;
  else if (sum !== expected) throw new Error(`checksum ${sum} !== ${expected}`);
}

/** Milliseconds to run every chunk through `run(seed)`, all issued at once. */
async function timed(run) {
  const t0 = now();
  const tasks = [];
  for (let c = 0; c < CHUNKS; c++) tasks.push(run(c + 1));
  const results = await Promise.all(tasks);
  const ms = now() - t0;
  check(results);
  return ms;
}

configure({ maxWorkers: CORES });
const kind = weftMechanism();
const script = new URL(kind === "web" ? "./lib/burn_worker_web.mjs" : "./lib/burn_worker_node.mjs", import.meta.url);
const raw = Array.from({ length: CORES }, () => startRaw(kind, script));

const samples = await interleave(
  {
    serial: () => timed(async (seed) => burn(seed, STEPS)),
    weft: () => timed((seed) => eval(spawn(() => burn(seed, STEPS)))),
    raw: () => timed((seed) => raw[seed % CORES].call({ seed, steps: STEPS })),
  },
  { warmup: 2, rounds: 11 },
);
emit({
  bench: "cpu",
  cores: CORES,
  chunks: CHUNKS,
  mechanism: mechanismLabel(kind),
  metrics: {
    serial: { unit: "ms", ...summarize(samples.serial) },
    weft: { unit: "ms", ...summarize(samples.weft) },
    raw: { unit: "ms", ...summarize(samples.raw) },
  },
  ratios: { "serial/weft": ratioOf(samples.serial, samples.weft), "serial/raw": ratioOf(samples.serial, samples.raw) },
  samples,
});
await Promise.all(raw.map((w) => w.terminate()));
await shutdown();
