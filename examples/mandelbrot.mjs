// weft demo: render the Mandelbrot set on every core with spawn(), showing each worker's progress
// live (read from shared memory) and the speed-up over the same render on one thread.
//   make demo            (or: node examples/mandelbrot.mjs [width] [height])
import { spawn } from "weft";
// A namespace import: the worker re-imports it, so `threads.threadId` is the worker's own. (An
// imported binding holding data, like `import { threadId }`, is copied from the caller instead.)
import * as threads from "node:worker_threads";
import { availableParallelism } from "node:os";

const width = Number(process.argv[2] ?? 2400);
const height = Number(process.argv[3] ?? 1600);
const maxIterations = 1000;
const bands = 4 * availableParallelism();

/** Escape-time iteration counts for rows [y0, y1), one byte per pixel. */
function renderRows(y0, y1, progress) {
  const out = new Uint8Array((y1 - y0) * width);
  for (let y = y0; y < y1; y++) {
    const ci = (y / height) * 2.4 - 1.2;
    for (let x = 0; x < width; x++) {
      const cr = (x / width) * 3.5 - 2.5;
      let zr = 0, zi = 0, i = 0;
      while (i < maxIterations && zr * zr + zi * zi <= 4) {
        const t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        i++;
      }
      out[(y - y0) * width + x] = i === maxIterations ? 0 : 1 + (i % 255);
    }
    if (progress) Atomics.add(progress, 0, 1);
  }
  return out;
}

/** A band rendered in a worker; reports rows done per worker thread in shared memory. */
function renderBand(y0, y1, rowsByThread) {
  const id = threads.threadId;
  const mine = new Int32Array(rowsByThread, id * 4, 1);
  return { threadId: id, pixels: renderRows(y0, y1, mine) };
}

function checksum(pixels) {
  let h = 2166136261;
  for (let i = 0; i < pixels.length; i++) h = Math.imul(h ^ pixels[i], 16777619);
  return h >>> 0;
}

console.log(`weft demo: Mandelbrot ${width}×${height}, ${maxIterations} iterations, ${availableParallelism()} cores`);

let t = performance.now();
const serial = renderRows(0, height, null);
const serialMs = performance.now() - t;
console.log(`  one thread: ${(serialMs / 1000).toFixed(2)} s`);

const rowsByThread = new SharedArrayBuffer(4 * 64); // rows done, indexed by worker threadId
const image = new Uint8Array(width * height);
const perThread = new Map();
t = performance.now();
const tasks = [];
for (let b = 0; b < bands; b++) {
  const y0 = Math.floor((b * height) / bands);
  const y1 = Math.floor(((b + 1) * height) / bands);
  tasks.push(
    eval(spawn(() => renderBand(y0, y1, rowsByThread))).then(({ threadId: id, pixels }) => {
      image.set(pixels, y0 * width);
      perThread.set(id, (perThread.get(id) ?? 0) + (y1 - y0));
    }),
  );
}
const rows = new Int32Array(rowsByThread);
const show = () => {
  const parts = [];
  for (let id = 1; id < 64; id++) if (Atomics.load(rows, id) > 0) parts.push(`worker ${id}: ${String(Atomics.load(rows, id)).padStart(4)} rows`);
  console.log(`  progress  ${parts.join("   ")}   (of ${height})`);
};
const ticker = setInterval(show, 300);
await Promise.all(tasks);
clearInterval(ticker);
show();
const parallelMs = performance.now() - t;

const same = checksum(image) === checksum(serial);
console.log(`  ${perThread.size} workers: ${(parallelMs / 1000).toFixed(2)} s — speed-up ${(serialMs / parallelMs).toFixed(2)}× over one thread`);
console.log(`  image identical to the single-thread render: ${same ? "yes" : "NO"}`);

// A small preview: 72×24 characters, darker for points that escape later.
const shades = " .:-=+*#%@";
for (let row = 0; row < 24; row++) {
  let line = "  ";
  for (let col = 0; col < 72; col++) {
    const v = image[Math.floor(((row + 0.5) * height) / 24) * width + Math.floor(((col + 0.5) * width) / 72)];
    line += v === 0 ? "@" : shades[Math.min(shades.length - 2, Math.floor(Math.log2(v + 1)))];
  }
  console.log(line);
}
if (!same) process.exit(1);
