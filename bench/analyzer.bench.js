// (6) weft's analyzer (swc in Wasm) vs TypeScript's createSourceFile + a free-variable walk, on a
// generated ~5,000-line TypeScript file with two spawn call sites near its end.
//   `first weft` / `first ts`: one fresh process per sample (run.mjs): load time, then the first
//     analysis; for weft also the second call site of the same file right after.
//   `first weft-cached`: the same first call site read through the persistent analysis cache, in a
//     fresh process after an earlier one stored it: no analysis runs.
//   `warm`: in one process, interleaved rounds of a full analysis by each (weft's per-file cache
//     cleared before each round), and weft's second call site after its first.
import process from "node:process";
import { pathToFileURL } from "node:url";
import { emit, interleave, now, ratioOf, summarize } from "./lib/stats.mjs";
import { generateSource } from "./lib/gen_source.mjs";
import { analyzeWithTypeScript } from "./lib/ts_free_vars.mjs";

const mode = process.argv[2] ?? "warm";
const which = process.argv[3];
const source = generateSource(new URL("./.cache/analyzer", import.meta.url).pathname);
const url = pathToFileURL(source.path).href;

function checkWeft(result, expected) {
  const names = [...result.locals, ...result.top_level].map((c) => c.name).sort().join(",");
  if (names !== expected) throw new Error(`weft found ${names}, expected ${expected}`);
}
function checkTs(result, expected) {
  const names = [...result.locals, ...result.top_level.map((c) => c.name)].sort().join(",");
  if (names !== expected) throw new Error(`the TypeScript walk found ${names}, expected ${expected}`);
}
const EXPECTED = "Kind0,Kind1,Util3,limit,records,score0";
const EXPECTED_SECOND = "Kind2,defaults2,limit,score2";

/** Analyses the file's first call site, then its second; checks both; returns their times. */
function analyzeBothSites(core) {
  const t0 = now();
  const first = core.analyzeCallSite(url, source.text, source.first.line, source.first.column, undefined);
  const ms = now() - t0;
  const t1 = now();
  const second = core.analyzeCallSite(url, source.text, source.second.line, source.second.column, undefined);
  const secondMs = now() - t1;
  checkWeft(first, EXPECTED);
  checkWeft(second, EXPECTED_SECOND);
  return { ms, secondMs };
}

if (mode === "first") {
  if (which === "weft-cached") {
    // The persistent analysis cache, in a directory of this benchmark's (run.mjs fills it first).
    process.env.WEFT_CACHE_DIR = new URL("./.cache/analysis-cache", import.meta.url).pathname;
    const t0 = now();
    const { closureAt, core } = await import("weft/_internal");
    const loadMs = now() - t0;
    const t1 = now();
    const { closure, analysed } = closureAt(
      { url, source: source.text, line: source.first.line, column: source.first.column, text: undefined },
      () => core.analyzeCallSite(url, source.text, source.first.line, source.first.column, undefined),
    );
    const ms = now() - t1;
    checkWeft(closure, EXPECTED);
    emit({ bench: "analyzer_first", variant: "weft-cached", hit: !analysed, lines: source.lines, loadMs, ms });
  } else if (which === "weft") {
    const t0 = now();
    const { core } = await import("weft/_internal");
    const loadMs = now() - t0;
    const { ms, secondMs } = analyzeBothSites(core);
    emit({ bench: "analyzer_first", variant: "weft", lines: source.lines, loadMs, ms, secondMs });
  } else {
    const t0 = now();
    const { default: ts } = await import("typescript");
    const loadMs = now() - t0;
    const t1 = now();
    const result = analyzeWithTypeScript(ts, source.path, source.text, source.first.offset);
    const ms = now() - t1;
    checkTs(result, EXPECTED);
    emit({ bench: "analyzer_first", variant: "typescript", version: ts.version, lines: source.lines, loadMs, ms });
  }
} else {
  const { core } = await import("weft/_internal");
  const { default: ts } = await import("typescript");
  const seconds = [];
  const firsts = [];
  const samples = await interleave(
    {
      weft: (warmingUp) => {
        core.clearAnalyzerCache();
        const { ms, secondMs } = analyzeBothSites(core);
        if (!warmingUp) {
          firsts.push(ms);
          seconds.push(secondMs);
        }
        return ms;
      },
      typescript: () => {
        const t0 = now();
        const result = analyzeWithTypeScript(ts, source.path, source.text, source.first.offset);
        const ms = now() - t0;
        checkTs(result, EXPECTED);
        return ms;
      },
    },
    { warmup: 3, rounds: 11 },
  );
  emit({
    bench: "analyzer_warm",
    version: ts.version,
    lines: source.lines,
    metrics: {
      weft: { unit: "ms", ...summarize(samples.weft) },
      typescript: { unit: "ms", ...summarize(samples.typescript) },
      weftSecondSite: { unit: "ms", ...summarize(seconds) },
    },
    ratios: {
      "typescript/weft": ratioOf(samples.typescript, samples.weft),
      "weftSecondSite/weft": ratioOf(seconds, firsts),
    },
    samples: { ...samples, weftSecondSite: seconds },
  });
}
