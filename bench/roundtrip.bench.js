// (1) Warm round-trip of a trivial closure, sequential: weft vs a raw worker (the same mechanism
// weft uses on this runtime), the other mechanism where there is one, and piscina/tinypool on Node.
import { configure, shutdown, spawn } from "weft";
import { rootPool } from "weft/_internal";
import { emit, interleave, microsPerOp, ratioOf, runtimeName, scaled, summarize } from "./lib/stats.mjs";
import { mechanismLabel, otherMechanism, startRaw, weftMechanism } from "./lib/raw.mjs";

const OPS = scaled(1000, 100);
const TASK = new URL("./lib/pool_task.mjs", import.meta.url).href;

configure({ maxWorkers: 1 });
await eval(spawn(() => 0)); // the pool exists from here on
const variants = {
  weft: () =>
    microsPerOp(OPS, async (i) => {
      const r = await eval(spawn(() => i + 1));
      if (r !== i + 1) throw new Error(`weft returned ${r}`);
    }),
};
// The same calls with the pool's time bookkeeping for stats() off (counts stay, as does the one
// check of WEFT_DEBUG): what stats() costs a round-trip.
variants.weftNoTiming = async () => {
  const pool = rootPool();
  pool.timing = false;
  try {
    return await variants.weft();
  } finally {
    pool.timing = true;
  }
};
const { built } = await import(new URL("./.built/site.mjs", import.meta.url).href);
variants.built = () =>
  microsPerOp(OPS, async (i) => {
    const r = await built(i);
    if (r !== i + 1) throw new Error(`the built site returned ${r}`);
  });
const closers = [];
const raw = startRaw(weftMechanism());
closers.push(raw.terminate);
variants.raw = () => microsPerOp(OPS, (i) => raw.call(i));
const other = otherMechanism();
if (other !== undefined) {
  const w = startRaw(other);
  closers.push(w.terminate);
  variants.rawOther = () => microsPerOp(OPS, (i) => w.call(i));
}
if (runtimeName() === "node") {
  const { Piscina } = await import("piscina");
  const { Tinypool } = await import("tinypool");
  const piscina = new Piscina({ filename: TASK, minThreads: 1, maxThreads: 1 });
  const tinypool = new Tinypool({ filename: TASK, minThreads: 1, maxThreads: 1 });
  closers.push(() => piscina.destroy(), () => tinypool.destroy());
  variants.piscina = () => microsPerOp(OPS, (i) => piscina.run(i));
  variants.tinypool = () => microsPerOp(OPS, (i) => tinypool.run(i));
}

const samples = await interleave(variants, { warmup: 3, rounds: 21 });
const unit = "µs/round-trip";
const metrics = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { unit, ...summarize(v) }]));
const ratios = {};
for (const k of Object.keys(samples)) if (k !== "weft") ratios[`weft/${k}`] = ratioOf(samples.weft, samples[k]);
emit({
  bench: "roundtrip",
  ops: OPS,
  mechanism: mechanismLabel(weftMechanism()),
  otherMechanism: other && mechanismLabel(other),
  metrics,
  ratios,
  samples,
});
await Promise.all(closers.map((c) => c()));
await shutdown();
