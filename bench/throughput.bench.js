// (2) Throughput: 100,000 small tasks issued at once, one worker per core, weft vs piscina and
// tinypool (Node) and vs a raw round-robin pool of postMessage workers (every runtime).
import { configure, shutdown, spawn } from "weft";
import { emit, interleave, now, ratioOf, runtimeName, scaled, summarize } from "./lib/stats.mjs";
import { mechanismLabel, startRawPool, weftMechanism } from "./lib/raw.mjs";

const TASKS = scaled(100_000, 10_000);
const CORES = navigator.hardwareConcurrency;
const TASK = new URL("./lib/pool_task.mjs", import.meta.url).href;

/** Tasks per second for `TASKS` tasks (a fifth when warming up) issued at once through `issue(i)`. */
async function burst(issue, warmingUp) {
  const count = warmingUp ? TASKS / 5 : TASKS;
  const t0 = now();
  const all = new Array(count);
  for (let i = 0; i < count; i++) all[i] = issue(i);
  const results = await Promise.all(all);
  const seconds = (now() - t0) / 1000;
  if (results[count - 1] !== count) throw new Error(`last result ${results[count - 1]}`);
  return count / seconds;
}

configure({ maxWorkers: CORES });
const variants = { weft: (w) => burst((i) => eval(spawn(() => i + 1)), w) };
const closers = [];
const raw = startRawPool(weftMechanism(), CORES);
closers.push(raw.terminate);
variants.raw = (w) => burst((i) => raw.call(i), w);
if (runtimeName() === "node") {
  const { Piscina } = await import("piscina");
  const { Tinypool } = await import("tinypool");
  const piscina = new Piscina({ filename: TASK, minThreads: CORES, maxThreads: CORES });
  const tinypool = new Tinypool({ filename: TASK, minThreads: CORES, maxThreads: CORES });
  closers.push(() => piscina.destroy(), () => tinypool.destroy());
  variants.piscina = (w) => burst((i) => piscina.run(i), w);
  variants.tinypool = (w) => burst((i) => tinypool.run(i), w);
}

const samples = await interleave(variants, { warmup: 1, rounds: 5 });
const unit = "tasks/s";
const metrics = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { unit, ...summarize(v) }]));
const ratios = {};
for (const k of Object.keys(samples)) if (k !== "weft") ratios[`weft/${k}`] = ratioOf(samples.weft, samples[k]);
emit({ bench: "throughput", tasks: TASKS, workers: CORES, mechanism: mechanismLabel(weftMechanism()), metrics, ratios, samples });
await Promise.all(closers.map((c) => c()));
await shutdown();
