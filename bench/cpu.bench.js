// (4) CPU-bound speedup: the same work split into chunks, run on all cores through weft vs run
// serially on the main thread. Speedup = serial time / parallel time, per round.
import { configure, shutdown, spawn } from "weft";
import { emit, interleave, now, ratioOf, scaled, summarize } from "./lib/stats.mjs";

const CORES = navigator.hardwareConcurrency;
const CHUNKS = CORES * 4;
const STEPS = scaled(3_000_000, 500_000);

/** A linear congruential generator run `steps` times: pure integer work the JIT cannot skip. */
function burn(seed, steps) {
  let x = seed;
  for (let i = 0; i < steps; i++) x = (x * 1103515245 + 12345) % 2147483647;
  return x;
}

let expected;
function check(results) {
  const sum = results.reduce((a, b) => a + b, 0);
  if (expected === undefined) expected = sum;
  else if (sum !== expected) throw new Error(`checksum ${sum} !== ${expected}`);
}

configure({ maxWorkers: CORES });
const samples = await interleave(
  {
    serial: async () => {
      const t0 = now();
      const results = [];
      for (let c = 0; c < CHUNKS; c++) results.push(burn(c + 1, STEPS));
      const ms = now() - t0;
      check(results);
      return ms;
    },
    weft: async () => {
      const t0 = now();
      const tasks = [];
      for (let c = 0; c < CHUNKS; c++) {
        const seed = c + 1;
        tasks.push(eval(spawn(() => burn(seed, STEPS))));
      }
      const results = await Promise.all(tasks);
      const ms = now() - t0;
      check(results);
      return ms;
    },
  },
  { warmup: 2, rounds: 7 },
);
emit({
  bench: "cpu",
  cores: CORES,
  chunks: CHUNKS,
  metrics: { serial: { unit: "ms", ...summarize(samples.serial) }, weft: { unit: "ms", ...summarize(samples.weft) } },
  ratios: { "serial/weft": ratioOf(samples.serial, samples.weft) },
});
await shutdown();
