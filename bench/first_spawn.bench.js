// (3) First spawn at a new call site, in a fresh process (run.mjs starts one per sample):
// `weft`: from weft loaded to the first result (analysis + module generation + worker start +
// round-trip); `raw` / `rawOther`: from `new Worker` to the first round-trip of a raw echo worker.
// Loading weft itself (reading and compiling the .wasm) is reported separately as `loadMs`.
// `analysis`: the analyzer's share alone, its first analysis of that same call site in a fresh process.
import { readFileSync } from "node:fs";
import process from "node:process";
import { emit, now } from "./lib/stats.mjs";
import { mechanismLabel, otherMechanism, startRaw, weftMechanism } from "./lib/raw.mjs";

const variant = process.argv[2] ?? "weft";

if (variant === "weft") {
  const t0 = now();
  const { spawn, shutdown } = await import("weft");
  const loadMs = now() - t0;
  const x = 41;
  const t1 = now();
  const r = await eval(spawn(() => x + 1));
  const ms = now() - t1;
  if (r !== 42) throw new Error(`weft returned ${r}`);
  emit({ bench: "first_spawn", variant, ms, loadMs });
  await shutdown();
} else if (variant === "built") {
  // The call site transformed at build time: no stack capture, eval or analysis.
  const { built } = await import(new URL("./.built/site.mjs", import.meta.url).href);
  const { shutdown } = await import("weft");
  const t1 = now();
  const r = await built(41);
  const ms = now() - t1;
  if (r !== 42) throw new Error(`the built site returned ${r}`);
  emit({ bench: "first_spawn", variant, ms });
  await shutdown();
} else if (variant === "analysis") {
  const { core } = await import("weft/_internal");
  const url = import.meta.url;
  const source = readFileSync(new URL(url), "utf8");
  const offset = source.indexOf("spawn(() => x + 1)");
  const before = source.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  const t1 = now();
  const closure = core.analyzeCallSite(url, source, line, column, "() => x + 1");
  const ms = now() - t1;
  if (closure.locals.length !== 1) throw new Error(`analysis found ${JSON.stringify(closure.locals)}`);
  emit({ bench: "first_spawn", variant, ms });
} else {
  const kind = variant === "raw" ? weftMechanism() : otherMechanism();
  const t1 = now();
  const worker = startRaw(kind);
  const r = await worker.call(41);
  const ms = now() - t1;
  if (r !== 42) throw new Error(`raw worker returned ${r}`);
  emit({ bench: "first_spawn", variant, mechanism: mechanismLabel(kind), ms });
  await worker.terminate();
}
