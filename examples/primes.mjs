// weft demo: count the primes below a limit on every core, with the work handed out through a
// shared-memory queue and each thread's progress read live from shared memory.
//   make demo            (or: node examples/primes.mjs [limit])
import { core, runtime, words, WorkerHost } from "weft/_internal";

const limit = Number(process.argv[2] ?? 20_000_000);
const chunkSize = 250_000;
const chunks = Math.ceil(limit / chunkSize);
const threads = runtime().hardwareConcurrency();
const fmt = (n) => n.toLocaleString("en-US");
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

console.log(`weft demo: primes below ${fmt(limit)} on ${runtime().name}, ${threads} hardware threads`);

// 1. The same work on one thread, as the baseline.
let t = performance.now();
const serialPrimes = core.countPrimes(0, chunks * chunkSize);
const serialMs = performance.now() - t;
console.log(`  one thread:   ${fmt(serialPrimes)} primes in ${secs(serialMs)}`);

// 2. One worker per hardware thread, all joined to the same Wasm memory.
const hosts = await Promise.all(Array.from({ length: threads }, (_, i) => WorkerHost.start({ name: `primes-${i}` })));
const queue = core.allocWords(1);
const progress = core.allocWords(threads);
const url = new URL("./primes_worker.mjs", import.meta.url).href;
t = performance.now();
const running = hosts.map((h, slot) => h.call(url, "work", [queue, progress, slot, chunks, chunkSize]));
const ticker = setInterval(() => {
  const done = hosts.map((_, slot) => Atomics.load(words(), (progress >>> 2) + slot));
  const bars = done.map((d, i) => `T${i + 1} ${String(d).padStart(4)}`).join("  ");
  console.log(`  progress (chunks of ${fmt(chunkSize)}): ${bars}  of ${chunks}`);
}, 500);
const results = await Promise.all(running);
clearInterval(ticker);
const parallelMs = performance.now() - t;
const parallelPrimes = results.reduce((sum, r) => sum + r.primes, 0);
results.forEach((r, i) => console.log(`  thread ${i + 1}: ${String(r.chunks).padStart(4)} chunks, ${fmt(r.primes)} primes`));
console.log(`  ${threads} threads:    ${fmt(parallelPrimes)} primes in ${secs(parallelMs)}`);
console.log(`  speed-up: ${(serialMs / parallelMs).toFixed(2)}× on ${threads} threads`);

core.freeWords(queue, 1);
core.freeWords(progress, threads);
await Promise.all(hosts.map((h) => h.close()));
if (parallelPrimes !== serialPrimes) {
  console.error(`MISMATCH: ${parallelPrimes} in parallel vs ${serialPrimes} on one thread`);
  process.exit(1);
}
