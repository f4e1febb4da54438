// Shared measurement helpers: warm-up, interleaved rounds, medians with min–max, one JSON line out.
import process from "node:process";

/** `--quick` in run.mjs: fewer rounds, for checking that everything runs. */
export const QUICK = process.env.WEFT_BENCH_QUICK === "1";

export const now = () => performance.now();

/** "node", "deno" or "bun". */
export function runtimeName() {
  if (typeof globalThis.Bun !== "undefined") return "bun";
  if (typeof globalThis.Deno !== "undefined") return "deno";
  return "node";
}

/** Median, min, max and count of a list of numbers. */
export function summarize(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = xs.length >> 1;
  const median = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { median, min: xs[0], max: xs[xs.length - 1], n: xs.length };
}

/** The ratios a[i] / b[i] of samples taken in the same round, summarized. */
export function ratioOf(a, b) {
  return summarize(a.map((x, i) => x / b[i]));
}

/**
 * Runs each variant (`name → async (warmingUp) => measurement`) `warmup` times, then `rounds` rounds in
 * which every variant runs once. The order reverses every round and rotates every second round
 * (A B C, C B A, B C A, A C B, …), so that slow drift and order effects hit every variant alike.
 * Returns the samples by variant, in round order.
 */
export async function interleave(variants, { warmup = 2, rounds = 9 } = {}) {
  const names = Object.keys(variants);
  if (QUICK) {
    warmup = Math.min(warmup, 1);
    rounds = Math.min(rounds, 3);
  }
  for (let w = 0; w < warmup; w++) for (const name of names) await variants[name](true);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const shift = r >> 1;
    const rotated = names.map((_, i) => names[(i + shift) % names.length]);
    const order = r % 2 === 1 ? rotated.reverse() : rotated;
    for (const name of order) samples[name].push(await variants[name]());
  }
  return samples;
}

/** Microseconds per call of `op`, over `count` sequential awaited calls. */
export async function microsPerOp(count, op) {
  const t0 = now();
  for (let i = 0; i < count; i++) await op(i);
  return ((now() - t0) * 1000) / count;
}

/** Prints the one result line run.mjs reads. */
export function emit(result) {
  console.log(`##bench ${JSON.stringify({ runtime: runtimeName(), ...result })}`);
}

/** Garbage collection where the runtime exposes it (Node/Deno with --expose-gc, Bun). */
export async function collectGarbage() {
  for (let i = 0; i < 3; i++) {
    if (typeof globalThis.Bun !== "undefined") globalThis.Bun.gc(true);
    else globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The variable to scale work by: `n` normally, `quick` under --quick. */
export function scaled(n, quick) {
  return QUICK ? quick : n;
}
