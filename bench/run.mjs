// Runs weft's benchmarks on Node 24, Deno and Bun (Node-only peers on Node), one process per
// (runtime, benchmark file) and one fresh process per sample for first-use measurements, then
// writes bench/results.md and bench/results.json.
//   node bench/run.mjs [--runtimes node,deno,bun] [--only roundtrip,cpu,...] [--quick]
//   node bench/run.mjs --rewrite      (results.md again from results.json, measuring nothing)
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ratioOf, summarize } from "./lib/stats.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, "..");
const bin = (p) => join(root, "node_modules", p);

const RUNTIMES = {
  node: [bin("node24/bin/node"), "--expose-gc"],
  deno: [bin(".bin/deno"), "run", "-A", "--v8-flags=--expose-gc"],
  bun: [bin(".bin/bun")],
};
const BENCHES = ["roundtrip", "throughput", "first_spawn", "cpu", "mutex", "primitives", "analyzer", "memory"];

let runtimes = Object.keys(RUNTIMES);
let only = BENCHES;
let quick = false;
/** `--rewrite`: no measuring; results.md is written again from results.json (after a change to this script's tables). */
let rewrite = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--rewrite") rewrite = true;
  else if (argv[i] === "--runtimes") runtimes = argv[++i].split(",");
  else if (argv[i] === "--only") only = argv[++i].split(",");
  else if (argv[i] === "--quick") quick = true;
  else {
    console.error(`Unknown argument "${argv[i]}": use --runtimes node,deno,bun --only ${BENCHES.join(",")} --quick`);
    process.exit(2);
  }
}
for (const r of runtimes) if (!RUNTIMES[r]) throw new Error(`Unknown runtime "${r}"; choose from ${Object.keys(RUNTIMES)}`);
for (const b of only) if (!BENCHES.includes(b)) throw new Error(`Unknown benchmark "${b}"; choose from ${BENCHES}`);

/** Fresh-process samples per variant. */
const FRESH = quick ? 3 : 7;
const MEMORY_FRESH = quick ? 2 : 3;
const TIMEOUT_MS = 5 * 60_000;

const log = (text) => process.stderr.write(`${text}\n`);

// The call site transformed at build time (lib/built_site.src.js), which the round-trip and first
// spawn benchmarks run as the `built` variant.
{
  const esbuild = await import("esbuild");
  const { default: weft } = await import("weft/esbuild");
  await esbuild.build({
    entryPoints: [join(benchDir, "lib/built_site.src.js")], bundle: true, platform: "node", format: "esm",
    external: ["weft"], outfile: join(benchDir, ".built/site.mjs"), logLevel: "error", plugins: [weft()],
  });
}

/** `taskset`, where it exists (Linux): runs a process with every thread on one CPU. */
const TASKSET = ["/usr/bin/taskset", "/bin/taskset"].find((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});

/**
 * Runs one benchmark file in a new process; resolves with its `##bench` result. `oneCpu`: under
 * `taskset -c 0` (the caller checks that TASKSET exists).
 */
function run(runtime, file, args = [], { oneCpu = false, flags = [] } = {}) {
  const [runtimeCmd, ...runtimePre] = RUNTIMES[runtime];
  const [cmd, ...pre] = oneCpu ? [TASKSET, "-c", "0", runtimeCmd, ...runtimePre, ...flags] : [runtimeCmd, ...runtimePre, ...flags];
  const env = { ...process.env, WEFT_BENCH_QUICK: quick ? "1" : "0", NO_COLOR: "1" };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...pre, join(benchDir, file), ...args], { cwd: benchDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("##bench "));
      if (code === 0 && line !== undefined) resolve(JSON.parse(line.slice(8)));
      else reject(new Error(`${runtime} ${file} ${args.join(" ")}: exited with ${signal ?? `code ${code}`}\n${err.slice(-2000)}`));
    });
  });
}

/** `samples` fresh processes per variant, the variants alternating (A B, B A, …). */
async function fresh(runtime, file, variants, samples) {
  const out = Object.fromEntries(variants.map((v) => [v.join(" "), []]));
  for (let i = 0; i < samples; i++) {
    const order = i % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) out[v.join(" ")].push(await run(runtime, file, v));
  }
  return out;
}

const rows = [];
const rawResults = [];
const failures = [];

function row(r) {
  rows.push(r);
}

const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtStats = (s, unit) => `${fmt(s.median)} ${unit} (${fmt(s.min)}–${fmt(s.max)})`;
const fmtBytes = (b) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

/**
 * A comparison row. `ratio`: summary of per-round (or per-pair) ratios; `target`: { op: "<=" | ">=",
 * value } or undefined for information only.
 */
function compare({ workload, runtime, what, weft, baseline, ratio, ratioLabel, target, note }) {
  let status = "info";
  if (target !== undefined && Number.isFinite(ratio.median)) {
    const ok = target.op === "<=" ? ratio.median <= target.value : ratio.median >= target.value;
    status = ok ? "met" : "missed";
  }
  row({
    workload,
    runtime,
    what,
    weft,
    baseline,
    ratio: { ...ratio, label: ratioLabel },
    target: target && `${target.op === "<=" ? "≤" : "≥"} ${target.value}`,
    status,
    note,
  });
}

function pairRatio(a, b) {
  return summarize(a.map((x, i) => x / b[i]));
}

/** Separate processes for the round-trip: its timings settle into per-process modes (thread wake-up). */
const ROUNDTRIP_PROCESSES = quick ? 1 : 3;

async function roundtrip(runtime) {
  const runs = [];
  for (let i = 0; i < ROUNDTRIP_PROCESSES; i++) runs.push(await run(runtime, "roundtrip.bench.js"));
  rawResults.push(...runs);
  // Rounds of all processes pooled: a ratio is still taken within one round of one process.
  const r = runs[0];
  const samples = {};
  for (const k of Object.keys(r.samples)) samples[k] = runs.flatMap((x) => x.samples[k]);
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  r.ratios = {};
  for (const k of Object.keys(samples)) if (k !== "weft") r.ratios[`weft/${k}`] = ratioOf(samples.weft, samples[k]);
  const u = "µs";
  compare({
    workload: "1 warm round-trip", runtime,
    what: `weft vs raw worker (${r.mechanism}), sequential, ${runs.length} processes × ${r.samples.weft.length} rounds × ${r.ops} calls`,
    weft: fmtStats(m.weft, u), baseline: fmtStats(m.raw, u), ratio: r.ratios["weft/raw"], ratioLabel: "weft/raw",
    target: { op: "<=", value: 1.3 },
    note: `fastest rounds: ${fmt(m.weft.min / m.raw.min)}× (a raw worker's per-call times are bimodal: two threads that sleep on separate cores, or share one; an idle weft worker spins or sleeps, whichever has served its caller better)`,
  });
  if (m.rawOther) {
    compare({
      workload: "1 warm round-trip", runtime, what: `weft vs raw worker (${r.otherMechanism}, not used by weft here)`,
      weft: fmtStats(m.weft, u), baseline: fmtStats(m.rawOther, u), ratio: r.ratios["weft/rawOther"], ratioLabel: "weft/raw",
    });
  }
  if (m.built) {
    compare({
      workload: "1 warm round-trip", runtime, what: "a call site transformed at build time (weft/esbuild) vs raw worker",
      weft: fmtStats(m.built, u), baseline: fmtStats(m.raw, u), ratio: ratioOf(samples.built, samples.raw), ratioLabel: "built/raw",
      target: { op: "<=", value: 1.15 },
    });
  }
  if (m.weftNoTiming) {
    compare({
      workload: "1 warm round-trip", runtime, what: "weft vs weft without stats() time bookkeeping (WEFT_DEBUG off in both)",
      weft: fmtStats(m.weft, u), baseline: fmtStats(m.weftNoTiming, u), ratio: r.ratios["weft/weftNoTiming"], ratioLabel: "weft/weft",
      target: { op: "<=", value: 1.02 },
    });
  }
  await roundtripOnOneCpu(runtime);
  for (const peer of ["piscina", "tinypool"]) {
    if (!m[peer]) continue;
    compare({
      workload: "1 warm round-trip", runtime, what: `weft vs ${peer} run(), 1 thread each`,
      weft: fmtStats(m.weft, u), baseline: fmtStats(m[peer], u), ratio: r.ratios[`weft/${peer}`], ratioLabel: `weft/${peer}`,
    });
  }
}

/**
 * Wall-clock round-trips between two cores depend on how fast an idle core wakes up, which on a
 * VM flips between two modes. On one CPU every hand-off is a context switch, so this isolates what
 * each variant itself costs per call. Optional: skipped without taskset, or where CPU affinity
 * cannot be changed.
 */
async function roundtripOnOneCpu(runtime) {
  if (TASKSET === undefined) return;
  let one;
  try {
    one = await run(runtime, "roundtrip.bench.js", [], { oneCpu: true });
  } catch (error) {
    log(`round-trip on one CPU skipped: ${String(error.message ?? error).split("\n")[0]}`);
    return;
  }
  rawResults.push({ ...one, pinned: "taskset -c 0" });
  const p = Object.fromEntries(Object.entries(one.samples).map(([k, v]) => [k, summarize(v)]));
  compare({
    workload: "1 warm round-trip", runtime,
    what: "the same with every thread on one CPU (taskset -c 0): each variant's own cost per call, without cross-core wake-ups",
    weft: fmtStats(p.weft, "µs"), baseline: fmtStats(p.raw, "µs"), ratio: one.ratios["weft/raw"], ratioLabel: "weft/raw",
  });
}

async function throughput(runtime) {
  const r = await run(runtime, "throughput.bench.js");
  rawResults.push(r);
  const m = r.metrics;
  const u = "tasks/s";
  const what = (b) => `${r.tasks.toLocaleString("en")} tasks at once, ${r.workers} workers: weft vs ${b}`;
  for (const peer of ["piscina", "tinypool"]) {
    if (!m[peer]) continue;
    compare({
      workload: "2 throughput", runtime, what: what(peer),
      weft: fmtStats(m.weft, u), baseline: fmtStats(m[peer], u), ratio: r.ratios[`weft/${peer}`], ratioLabel: `weft/${peer}`,
      target: peer === "piscina" ? { op: ">=", value: 1 } : undefined,
    });
  }
  compare({
    workload: "2 throughput", runtime, what: what(`raw round-robin ${r.mechanism} workers`),
    weft: fmtStats(m.weft, u), baseline: fmtStats(m.raw, u), ratio: r.ratios["weft/raw"], ratioLabel: "weft/raw",
  });
}

async function firstSpawn(runtime) {
  const variants = [["weft"], ["raw"], ["analysis"], ["built"], ["cached"]];
  if (runtime !== "node") variants.push(["rawOther"]);
  // One process first, whose entries in the benchmark's persistent cache the samples find: the
  // `cached` call site's analysis and, on Node, the worker code's compile cache.
  await run(runtime, "first_spawn.bench.js", ["cached"]);
  const s = await fresh(runtime, "first_spawn.bench.js", variants, FRESH);
  rawResults.push({ runtime, bench: "first_spawn", samples: s });
  const ms = (v) => s[v].map((x) => x.ms);
  const u = "ms";
  compare({
    workload: "3 first spawn", runtime,
    what: `first spawn at a new call site vs a raw worker's first round-trip (${s.raw[0].mechanism}), fresh processes`,
    weft: fmtStats(summarize(ms("weft")), u), baseline: fmtStats(summarize(ms("raw")), u),
    ratio: pairRatio(ms("weft"), ms("raw")), ratioLabel: "weft/raw", target: { op: "<=", value: 1.5 },
    note:
      `of which the first analysis of that call site: ${fmtStats(summarize(ms("analysis")), u)}, and the first generation of its worker module: ${fmtStats(summarize(s.analysis.map((x) => x.generateMs)), u)}; ` +
      `loading weft before it (import, .wasm compile, not counted): ${fmtStats(summarize(s.weft.map((x) => x.loadMs)), u)}`,
  });
  compare({
    workload: "3 first spawn", runtime,
    what: "first spawn at a call site transformed at build time (weft/esbuild) vs a raw worker's first round-trip",
    weft: fmtStats(summarize(ms("built")), u), baseline: fmtStats(summarize(ms("raw")), u),
    ratio: pairRatio(ms("built"), ms("raw")), ratioLabel: "built/raw", target: { op: "<=", value: 1.2 },
  });
  compare({
    workload: "3 first spawn", runtime,
    what: "first spawn at a call site an earlier process analysed (read from the persistent analysis cache) vs a raw worker's first round-trip",
    weft: fmtStats(summarize(ms("cached")), u), baseline: fmtStats(summarize(ms("raw")), u),
    ratio: pairRatio(ms("cached"), ms("raw")), ratioLabel: "cached/raw",
  });
  if (s.rawOther) {
    compare({
      workload: "3 first spawn", runtime, what: `vs a raw ${s.rawOther[0].mechanism}'s first round-trip (not used by weft here)`,
      weft: fmtStats(summarize(ms("weft")), u), baseline: fmtStats(summarize(ms("rawOther")), u),
      ratio: pairRatio(ms("weft"), ms("rawOther")), ratioLabel: "weft/raw",
    });
  }
}

async function cpu(runtime) {
  const r = await run(runtime, "cpu.bench.js");
  rawResults.push(r);
  const control = r.ratios["serial/raw"];
  const missed = r.ratios["serial/weft"].median < 1.85;
  compare({
    workload: "4 CPU-bound speedup", runtime, what: `${r.chunks} chunks on ${r.cores} cores vs the same work serially`,
    weft: fmtStats(r.metrics.weft, "ms"), baseline: fmtStats(r.metrics.serial, "ms"),
    ratio: r.ratios["serial/weft"], ratioLabel: "serial/weft (speedup)", target: { op: ">=", value: 1.85 },
    note: missed
      ? `the raw-worker control below got ${fmt(control.median)} (${fmt(control.min)}–${fmt(control.max)}) in the same run` +
        (control.median < 1.85 ? `: the machine did not give ${r.cores} free cores` : "")
      : undefined,
  });
  compare({
    workload: "4 CPU-bound speedup", runtime, what: `control: the same chunks on ${r.cores} raw ${r.mechanism} workers vs serially`,
    weft: fmtStats(r.metrics.raw, "ms"), baseline: fmtStats(r.metrics.serial, "ms"),
    ratio: control, ratioLabel: "serial/raw (speedup)",
  });
}

async function mutex(runtime) {
  const r = await run(runtime, "mutex.bench.js");
  rawResults.push(r);
  const m = r.metrics;
  compare({
    workload: "5 Mutex uncontended", runtime, what: "tryLock() + unlock() vs a bare Atomics.compareExchange pair",
    weft: fmtStats(m.weftTryLock, "ns/op"), baseline: fmtStats(m.compareExchange, "ns/op"),
    ratio: r.ratios["weftTryLock/compareExchange"], ratioLabel: "weft/CAS pair",
  });
  compare({
    workload: "5 Mutex uncontended", runtime, what: "await lock() + unlock() vs plain-JS futex mutex's async lock",
    weft: fmtStats(m.weftLock, "ns/op"), baseline: fmtStats(m.futexLockAsync, "ns/op"),
    ratio: r.ratios["weftLock/futexLockAsync"], ratioLabel: "weft/futex",
  });
  compare({
    workload: "5 Mutex contended", runtime,
    what: `2 workers (lockSync) + main (await lock()) vs plain-JS SAB futex mutex on raw ${r.mechanism} workers`,
    weft: fmtStats(m.contendedWeft, "ops/ms"), baseline: fmtStats(m.contendedFutex, "ops/ms"),
    ratio: r.ratios["contendedWeft/contendedFutex"], ratioLabel: "weft/futex (throughput)", target: { op: ">=", value: 1 },
  });
  compare({
    workload: "5 Mutex contended", runtime, what: `the same with ${r.outsideSteps} LCG steps of work between two locks`,
    weft: fmtStats(m.contendedWeftWithWork, "ops/ms"), baseline: fmtStats(m.contendedFutexWithWork, "ops/ms"),
    ratio: r.ratios["contendedWeftWithWork/contendedFutexWithWork"], ratioLabel: "weft/futex (throughput)",
  });
}

async function primitives(runtime) {
  const r = await run(runtime, "primitives.bench.js");
  rawResults.push(r);
  const m = r.metrics;
  compare({
    workload: "8 Channel", runtime,
    what: `1 producer and 1 consumer worker, small objects, vs a MessageChannel between two raw ${r.mechanism} workers`,
    weft: fmtStats(m.channelWeft, "msgs/ms"), baseline: fmtStats(m.channelMessageChannel, "msgs/ms"),
    ratio: r.ratios["channelWeft/channelMessageChannel"], ratioLabel: "weft/MessageChannel (throughput)", target: { op: ">=", value: 1 },
  });
  compare({
    workload: "8 RwLock uncontended", runtime, what: "tryRead() + unlock() vs a Mutex's tryLock() + unlock()",
    weft: fmtStats(m.rwlockRead, "ns/op"), baseline: fmtStats(m.mutexLock, "ns/op"),
    ratio: r.ratios["rwlockRead/mutexLock"], ratioLabel: "RwLock/Mutex (time)",
  });
  compare({
    workload: "8 Barrier", runtime, what: "rounds of 2 workers at a Barrier (waitSync) vs a plain-JS SAB barrier in the same workers",
    weft: fmtStats(m.barrierWeft, "rounds/ms"), baseline: fmtStats(m.barrierSab, "rounds/ms"),
    ratio: r.ratios["barrierWeft/barrierSab"], ratioLabel: "weft/SAB barrier (throughput)",
  });
  compare({
    workload: "8 Semaphore contended", runtime,
    what: "2 workers (acquireSync) + main (await acquire()) through a section 2 may enter at once, vs a plain-JS SAB futex semaphore in the same workers",
    weft: fmtStats(m.semaphoreWeft, "passes/ms"), baseline: fmtStats(m.semaphoreFutex, "passes/ms"),
    ratio: r.ratios["semaphoreWeft/semaphoreFutex"], ratioLabel: "weft/futex (throughput)", target: { op: ">=", value: 1 },
  });
}

async function analyzer(runtime) {
  if (runtime !== "node") return;
  const s = await fresh(runtime, "analyzer.bench.js", [["first", "weft"], ["first", "ts"]], FRESH);
  rawResults.push({ runtime, bench: "analyzer_first", samples: s });
  const weft = s["first weft"];
  const ts = s["first ts"];
  const version = ts[0].version;
  const lines = weft[0].lines;
  const u = "ms";
  const first = (xs) => xs.map((x) => x.ms);
  const loadAndFirst = (xs) => xs.map((x) => x.loadMs + x.ms);
  compare({
    workload: "6 analyzer first use", runtime,
    what: `first analysis of a ${lines}-line TS file (fresh process) vs typescript ${version} createSourceFile + free-variable walk`,
    weft: fmtStats(summarize(first(weft)), u), baseline: fmtStats(summarize(first(ts)), u),
    ratio: pairRatio(first(ts), first(weft)), ratioLabel: "typescript/weft (speedup)", target: { op: ">=", value: 3 },
  });
  // What V8's tier-up costs that first use: the same with baseline (Liftoff) code only. A flag of
  // the whole process, which a library cannot set; fresh processes, alternating with typescript's.
  const liftoff = { weft: [], ts: [] };
  for (let i = 0; i < FRESH; i++) {
    const pair = [
      ["weft", () => run(runtime, "analyzer.bench.js", ["first", "weft"], { flags: ["--liftoff-only"] })],
      ["ts", () => run(runtime, "analyzer.bench.js", ["first", "ts"])],
    ];
    for (const [key, sample] of i % 2 === 0 ? pair : pair.reverse()) liftoff[key].push(await sample());
  }
  rawResults.push({ runtime, bench: "analyzer_first_liftoff_only", samples: liftoff });
  compare({
    workload: "6 analyzer first use", runtime,
    what: "the same with V8's baseline tier only (node --liftoff-only: no optimising compiles in the background; a process flag, not open to a library)",
    weft: fmtStats(summarize(first(liftoff.weft)), u), baseline: fmtStats(summarize(first(liftoff.ts)), u),
    ratio: pairRatio(first(liftoff.ts), first(liftoff.weft)), ratioLabel: "typescript/weft (speedup)",
  });
  // The persistent analysis cache: stored by one process, read by fresh ones.
  await run(runtime, "analyzer.bench.js", ["first", "weft-cached"]);
  const c = await fresh(runtime, "analyzer.bench.js", [["first", "weft-cached"], ["first", "ts"]], FRESH);
  rawResults.push({ runtime, bench: "analyzer_first_cached", samples: c });
  const cached = c["first weft-cached"];
  if (cached.some((x) => !x.hit)) throw new Error("a fresh process missed the persistent analysis cache");
  compare({
    workload: "6 analyzer first use", runtime,
    what: "the same call site read from the persistent analysis cache (fresh process, stored by an earlier one) vs typescript",
    weft: fmtStats(summarize(first(cached)), u), baseline: fmtStats(summarize(first(c["first ts"])), u),
    ratio: pairRatio(first(c["first ts"]), first(cached)), ratioLabel: "typescript/weft (speedup)", target: { op: ">=", value: 20 },
  });
  compare({
    workload: "6 analyzer first use", runtime, what: "the same, including loading each (import, .wasm compile)",
    weft: fmtStats(summarize(loadAndFirst(weft)), u), baseline: fmtStats(summarize(loadAndFirst(ts)), u),
    ratio: pairRatio(loadAndFirst(ts), loadAndFirst(weft)), ratioLabel: "typescript/weft (speedup)",
  });
  compare({
    workload: "6 analyzer second call site", runtime, what: "second call site in the analysed file vs the first analysis (fresh process)",
    weft: fmtStats(summarize(weft.map((x) => x.secondMs)), u), baseline: fmtStats(summarize(first(weft)), u),
    ratio: summarize(weft.map((x) => x.secondMs / x.ms)), ratioLabel: "second/first", target: { op: "<=", value: 0.05 },
  });
  const w = await run(runtime, "analyzer.bench.js", ["warm"]);
  rawResults.push(w);
  compare({
    workload: "6 analyzer warm", runtime, what: "full analysis, warm (weft's file cache cleared each round) vs typescript",
    weft: fmtStats(w.metrics.weft, u), baseline: fmtStats(w.metrics.typescript, u),
    ratio: w.ratios["typescript/weft"], ratioLabel: "typescript/weft (speedup)",
  });
  compare({
    workload: "6 analyzer second call site", runtime, what: "second call site vs first analysis, warm",
    weft: fmtStats(w.metrics.weftSecondSite, u), baseline: fmtStats(w.metrics.weft, u),
    ratio: w.ratios["weftSecondSite/weft"], ratioLabel: "second/first", target: { op: "<=", value: 0.05 },
  });
}

async function memory(runtime) {
  const s = await fresh(runtime, "memory.bench.js", [["weft"], ["raw"]], MEMORY_FRESH);
  rawResults.push({ runtime, bench: "memory", samples: s });
  const mib = (xs) => summarize(xs.map((x) => x / 1024 / 1024));
  const weftRss = s.weft.map((x) => x.rssPerWorker);
  const rawRss = s.raw.map((x) => x.rssPerWorker);
  compare({
    workload: "7 memory", runtime, what: `RSS per idle worker (${s.weft[0].workers} started) vs a raw ${s.raw[0].mechanism}`,
    weft: fmtStats(mib(weftRss), "MiB"), baseline: fmtStats(mib(rawRss), "MiB"),
    ratio: pairRatio(weftRss, rawRss), ratioLabel: "weft/raw",
  });
  const wasm = summarize(s.weft.map((x) => x.wasmPerWorker));
  row({
    workload: "7 memory", runtime, what: "shared Wasm memory per worker (its stack + TLS)",
    weft: `${fmtBytes(wasm.median)} (${fmtBytes(wasm.min)}–${fmtBytes(wasm.max)})`, baseline: "—",
    ratio: undefined, target: undefined, status: "info",
  });
}

function packageSize() {
  const dist = join(root, "dist/npm");
  let raw = 0;
  let gz = 0;
  let files = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const bytes = readFileSync(path);
        raw += bytes.length;
        gz += gzipSync(bytes, { level: 9 }).length;
        files++;
      }
    }
  };
  walk(dist);
  const wasm = readFileSync(join(dist, "js/wasm/weft_bg.wasm"));
  const wasmGz = gzipSync(wasm, { level: 9 }).length;
  // The tarball npm would publish, when npm is on the PATH.
  const pack = spawnSync("npm", ["pack", "--dry-run", "--json"], { cwd: dist, encoding: "utf8", timeout: 60_000 });
  let tarball;
  try {
    tarball = JSON.parse(pack.stdout)[0].size;
  } catch {
    tarball = undefined;
  }
  const sizes = { files, raw, gzipped: gz, tarball, wasm: wasm.length, wasmGzipped: wasmGz };
  rawResults.push({ bench: "package_size", ...sizes });
  row({
    workload: "7 package size", runtime: "—", what: `dist/npm, ${files} files (gzip -9 per file, summed)`,
    weft: `${fmtBytes(raw)} raw, ${fmtBytes(gz)} gzipped` + (tarball === undefined ? "" : `; npm pack tarball ${fmtBytes(tarball)}`),
    baseline: "—", status: "info",
  });
  row({
    workload: "7 package size", runtime: "—", what: "weft_bg.wasm alone",
    weft: `${fmtBytes(wasm.length)} raw, ${fmtBytes(wasmGz)} gzipped`, baseline: "—", status: "info",
  });
}

const STEPS = { roundtrip, throughput, first_spawn: firstSpawn, cpu, mutex, primitives, analyzer, memory };

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout || r.stderr || "").split("\n")[0].trim();
}
function packageVersion(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8")).version;
  } catch {
    return "not installed";
  }
}

/** The summary at the top of results.md: the targeted ratios by runtime, and how to reproduce them. */
function summarySection() {
  const KEY = [
    ["1 warm round-trip", "warm round-trip of a trivial closure, weft / raw worker"],
    ["2 throughput", "100,000 tasks at once, weft / piscina (tasks/s)"],
    ["3 first spawn", "first spawn at a new call site, weft / raw worker's first round-trip"],
    ["4 CPU-bound speedup", "CPU-bound speedup on all cores vs serial"],
    ["5 Mutex contended", "contended Mutex throughput, weft / plain-JS futex mutex"],
    ["6 analyzer first use", "analyzer first use, typescript / weft", (r) => !r.what.includes("persistent analysis cache")],
    ["6 analyzer first use", "analyzer first use from the persistent analysis cache, typescript / weft", (r) => r.what.includes("persistent analysis cache")],
    ["6 analyzer second call site", "second call site in an analysed file / first analysis"],
    ["8 Channel", "Channel throughput between two workers, weft / MessageChannel"],
    ["8 Semaphore contended", "contended Semaphore throughput, weft / plain-JS futex semaphore"],
  ];
  const names = { node: "Node 24", deno: "Deno", bun: "Bun" };
  const out = [];
  out.push(
    "## Summary",
    "",
    `Measured by \`make bench\` on ${environment.cpus} × ${environment.cpuModel} (${environment.date.slice(0, 10)}). ` +
      "Every figure is a ratio of two things measured in the same run, interleaved, as the median of repeated " +
      "runs after warm-up; `bench/results.md` has every row with absolute values and min–max, " +
      "`bench/results.json` the raw data.",
    "",
    `| ratio | target | ${runtimes.map((r) => names[r]).join(" | ")} |`,
    `|---|---|${runtimes.map(() => "---").join("|")}|`,
  );
  for (const [workload, label, which = () => true] of KEY) {
    const targeted = (x) => x.workload === workload && x.target !== undefined && which(x);
    const cells = runtimes.map((runtime) => {
      const r = rows.find((x) => targeted(x) && x.runtime === runtime);
      if (r === undefined) return "—";
      return `${fmt(r.ratio.median)} ${r.status === "met" ? "✓" : "✗"}`;
    });
    const target = rows.find(targeted)?.target ?? "—";
    out.push(`| ${label} | ${target} | ${cells.join(" | ")} |`);
  }
  const rss = runtimes.map((runtime) => rows.find((x) => x.workload === "7 memory" && x.runtime === runtime && x.ratio)?.weft.split(" (")[0] ?? "—");
  out.push(`| RSS per idle worker | — | ${rss.join(" | ")} |`);
  const size = rows.filter((x) => x.workload === "7 package size").map((x) => `${x.what.split(",")[0]}: ${x.weft}`);
  out.push(
    "",
    "✓ met, ✗ missed. The peers are piscina and tinypool (Node only) and typescript's parser; the raw " +
      "worker is a minimal hand-written postMessage worker of the kind weft uses on that runtime " +
      "(node:worker_threads on Node and Deno, a web Worker on Bun). " +
      (size.length > 0 ? `Package size: ${size.join("; ")}.` : ""),
    "",
    "Reproduce with `make bench` (Node 24, Deno and Bun from the pinned dev dependencies; about 7½ minutes on 2 " +
      "cores). `node bench/run.mjs --runtimes node --only roundtrip,cpu` runs a subset, `--quick` a short smoke run.",
    "",
  );
  return out.join("\n");
}

const started = Date.now();
const loadAverageAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
let environment;
if (rewrite) {
  const saved = JSON.parse(readFileSync(join(benchDir, "results.json"), "utf8"));
  rows.push(...saved.rows);
  failures.push(...saved.failures);
  rawResults.push(...saved.results);
  environment = saved.environment;
  quick = environment.quick;
  runtimes = Object.keys(RUNTIMES).filter((r) => saved.rows.some((x) => x.runtime === r));
} else {
for (const bench of only) {
  for (const runtime of runtimes) {
    if (bench === "analyzer" && runtime !== "node") continue;
    log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${bench} on ${runtime}`);
    try {
      await STEPS[bench](runtime);
    } catch (error) {
      log(String(error.stack ?? error));
      failures.push({ bench, runtime, error: String(error.message ?? error) });
    }
  }
}
if (only.includes("memory")) packageSize();

environment = {
  date: new Date().toISOString(),
  quick,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  loadAverageAtStart,
  loadAverageAtEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
  node: versionOf(RUNTIMES.node[0], ["--version"]),
  deno: versionOf(RUNTIMES.deno[0], ["--version"]),
  bun: versionOf(RUNTIMES.bun[0], ["--version"]),
  weft: packageVersion(join(benchDir, "node_modules/weft/package.json")),
  piscina: packageVersion(bin("piscina/package.json")),
  tinypool: packageVersion(bin("tinypool/package.json")),
  typescript: packageVersion(bin("typescript/package.json")),
  durationSeconds: Math.round((Date.now() - started) / 1000),
};

writeFileSync(join(benchDir, "results.json"), `${JSON.stringify({ environment, rows, failures, results: rawResults }, null, 2)}\n`);
}

const cell = (s) => String(s ?? "—").replace(/\|/g, "\\|");
const md = [];
md.push("# weft benchmark results", "");
md.push(summarySection(), "## Every row", "");
md.push(
  `Generated by \`make bench\` (\`bench/run.mjs\`) on ${environment.date}: ${environment.cpus} × ${environment.cpuModel}, ` +
    `${environment.os}; Node ${environment.node}, ${environment.deno.replace(/\s*\(.*/, "")}, Bun ${environment.bun}; ` +
    `weft ${environment.weft}, piscina ${environment.piscina}, tinypool ${environment.tinypool}, typescript ${environment.typescript}. ` +
    `Load average (1, 5, 15 min) at the start: ${environment.loadAverageAtStart.join(", ")}; at the end: ${environment.loadAverageAtEnd.join(", ")}. Took ${environment.durationSeconds} s.` +
    (quick ? " **Quick mode: fewer rounds, not for quoting.**" : ""),
  "",
  "Each figure is the median over repeated measured runs after warm-up, with min–max in parentheses. Each ratio " +
    "is the median of per-round ratios of two variants measured in the same process, interleaved (order " +
    "alternating every round), or, for first-use rows, of pairs of fresh processes run alternately. " +
    "Status compares the median ratio with the target; `info` rows have no target.",
  "",
  "| # | runtime | comparison | weft | baseline | ratio | target | status |",
  "|---|---|---|---|---|---|---|---|",
);
for (const r of rows) {
  const ratio = r.ratio ? `${fmt(r.ratio.median)} (${fmt(r.ratio.min)}–${fmt(r.ratio.max)}) ${r.ratio.label}` : "—";
  const what = r.note ? `${r.what}; ${r.note}` : r.what;
  md.push(`| ${cell(r.workload)} | ${cell(r.runtime)} | ${cell(what)} | ${cell(r.weft)} | ${cell(r.baseline)} | ${cell(ratio)} | ${cell(r.target)} | ${r.status === "missed" ? "**missed**" : r.status} |`);
}
if (failures.length > 0) {
  md.push("", "## Failures", "");
  for (const f of failures) md.push(`- ${f.bench} on ${f.runtime}: ${f.error.split("\n")[0]}`);
}
md.push("");
writeFileSync(join(benchDir, "results.md"), md.join("\n"));
process.stdout.write(md.join("\n"));

log(rewrite ? "wrote bench/results.md from bench/results.json" : `wrote bench/results.md and bench/results.json in ${environment.durationSeconds} s`);
if (failures.length > 0) process.exitCode = 1;
