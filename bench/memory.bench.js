// (7) Memory, one fresh process per sample (run.mjs): RSS added per idle worker, weft's workers
// (joined to the shared Wasm memory) vs raw echo workers of the same mechanism; and for weft the
// growth of the shared Wasm memory per worker (its stack and TLS block).
import process from "node:process";
import { collectGarbage, emit } from "./lib/stats.mjs";
import { mechanismLabel, startRaw, weftMechanism } from "./lib/raw.mjs";

const variant = process.argv[2] ?? "weft";
const WORKERS = 4;
const settle = () => new Promise((r) => setTimeout(r, 300));
const rss = () => process.memoryUsage().rss;

if (variant === "weft") {
  const { WorkerHost, memoryBytes } = await import("weft/_internal");
  await collectGarbage();
  await settle();
  const rss0 = rss();
  const wasm0 = memoryBytes();
  const hosts = [];
  for (let i = 0; i < WORKERS; i++) hosts.push(await WorkerHost.start());
  await settle();
  await collectGarbage();
  const rssPerWorker = (rss() - rss0) / WORKERS;
  const wasmPerWorker = (memoryBytes() - wasm0) / WORKERS;
  emit({ bench: "memory", variant, workers: WORKERS, rssPerWorker, wasmPerWorker, wasmTotal: memoryBytes() });
  await Promise.all(hosts.map((h) => h.close()));
} else {
  const kind = weftMechanism();
  await collectGarbage();
  await settle();
  const rss0 = rss();
  const workers = [];
  for (let i = 0; i < WORKERS; i++) {
    const w = startRaw(kind);
    await w.call(0);
    workers.push(w);
  }
  await settle();
  await collectGarbage();
  const rssPerWorker = (rss() - rss0) / WORKERS;
  emit({ bench: "memory", variant, mechanism: mechanismLabel(kind), workers: WORKERS, rssPerWorker });
  await Promise.all(workers.map((w) => w.terminate()));
}
