// (3) First spawn, in a fresh process (run.mjs starts one per sample):
// `weft`: at a call site no process has analysed before (a module written for this process alone,
// so the persistent analysis cache has no entry for it), from the spawn to the first result
// (analysis + module generation + worker start + round-trip); `cached`: at this file's own call
// site, which an earlier process stored in the persistent analysis cache; `built`: at a call site
// transformed at build time; `raw` / `rawOther`: from `new Worker` to the first round-trip of a raw
// echo worker. Loading weft itself (reading and compiling the .wasm) is reported separately as
// `loadMs`. `analysis`: the analyzer's share alone, in a fresh process: its first analysis of a
// module like `weft`'s, then the first generation of that site's worker module. Every variant
// uses a persistent cache directory of this benchmark's, in which weft's own entries (on Node,
// the worker code's compile cache) stay warm from one process to the next, as they do on a
// machine where weft has run before.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { emit, now } from "./lib/stats.mjs";
import { mechanismLabel, otherMechanism, startRaw, weftMechanism } from "./lib/raw.mjs";

process.env.WEFT_CACHE_DIR = new URL("./.cache/first-spawn-cache", import.meta.url).pathname;

/** The text of a module whose `first(x)` spawns `x + 1`; `tag` makes it a call site of its own. */
const siteSource = (tag) =>
  `// A call site of its own: ${tag}.\n` + `import { spawn } from "weft";\n` + `export const first = (x) => eval(spawn(() => x + 1));\n`;

/**
 * Writes a module with a call site of its own (its text names this process) and imports it: its
 * `first(x)` spawns at a site never analysed before. `remove()` deletes the file, which weft reads
 * when the site spawns.
 */
async function newCallSite() {
  const dir = new URL("./.cache/first-spawn-sites/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`site-${process.pid}-${Date.now()}.mjs`, dir);
  writeFileSync(file, siteSource(`process ${process.pid}, ${Math.random()}`));
  const { first } = await import(file.href);
  return { first, remove: () => rmSync(file) };
}

/** The 1-based line and column at which `needle` first occurs in `source`. */
function positionOf(source, needle) {
  const before = source.slice(0, source.indexOf(needle));
  return { line: before.split("\n").length, column: before.length - before.lastIndexOf("\n") };
}

const variant = process.argv[2] ?? "weft";

if (variant === "weft") {
  const t0 = now();
  const { shutdown } = await import("weft");
  const loadMs = now() - t0;
  const site = await newCallSite();
  const t1 = now();
  const r = await site.first(41);
  const ms = now() - t1;
  site.remove();
  if (r !== 42) throw new Error(`weft returned ${r}`);
  emit({ bench: "first_spawn", variant, ms, loadMs });
  await shutdown();
} else if (variant === "cached") {
  const { spawn, shutdown } = await import("weft");
  const x = 41;
  const t1 = now();
  const r = await eval(spawn(() => x + 1));
  const ms = now() - t1;
  if (r !== 42) throw new Error(`weft returned ${r}`);
  // After the measurement: the site must be one the persistent cache holds, or this row would
  // measure an analysis.
  const { closureAt } = await import("weft/_internal");
  const url = import.meta.url;
  const source = readFileSync(new URL(url), "utf8");
  const site = { url, source, ...positionOf(source, "spawn(() => x + 1));\n  const ms"), text: "() => x + 1" };
  const { analysed } = closureAt(site, () => {
    throw new Error("the cached call site is not in the persistent analysis cache");
  });
  if (analysed) throw new Error("the cached call site was analysed");
  emit({ bench: "first_spawn", variant, ms });
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
  const url = new URL(`./.cache/first-spawn-sites/site-${process.pid}.mjs`, import.meta.url).href;
  const source = siteSource(`process ${process.pid}`);
  const { line, column } = positionOf(source, "spawn(() => x + 1)");
  const t1 = now();
  const closure = core.analyzeCallSite(url, source, line, column, "() => x + 1");
  const ms = now() - t1;
  if (closure.locals.length !== 1) throw new Error(`analysis found ${JSON.stringify(closure.locals)}`);
  const t2 = now();
  const generated = core.generateModule(url, closure.id, [], {});
  const generateMs = now() - t2;
  if (!generated.code.includes("x + 1")) throw new Error(`the generated module lacks the closure: ${generated.code}`);
  emit({ bench: "first_spawn", variant, ms, generateMs });
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
