// weft example: a parallel pipeline. A reader feeds file contents into a Channel, workers count
// words and send their tallies into a second Channel, a writer merges them; a SharedStruct holds
// the progress every thread updates, and a WaitGroup says when the counters are done.
//   node examples/word_count.mjs [directory] [--json]
//   deno run -A examples/word_count.mjs …      bun examples/word_count.mjs …
import { Channel, SharedStruct, spawn, WaitGroup } from "weft";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const json = args.includes("--json");
const root = args.find((a) => !a.startsWith("--")) ?? fileURLToPath(new URL("..", import.meta.url));
const COUNTERS = 3;

const Progress = SharedStruct({ files: "u32", bytes: "u64", words: "u32", counters: "u32" });

/** The words of a text: runs of letters, lower-cased. */
function wordsOf(text) {
  return text.toLowerCase().match(/\p{L}+/gu) ?? [];
}

/** Files under `dir` worth counting (text sources), skipping dependency and build folders. */
async function* textFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || ["node_modules", "target", "dist", "build"].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* textFiles(path);
    else if (/\.(md|txt|js|mjs|ts|rs|toml)$/.test(entry.name)) yield path;
  }
}

/** A counter: takes texts until the channel closes, sends one tally per text. */
async function count(texts, tallies, progress, finished) {
  progress.add("counters", 1);
  try {
    for await (const { path, text } of texts) {
      const tally = new Map();
      for (const word of wordsOf(text)) tally.set(word, (tally.get(word) ?? 0) + 1);
      progress.add("words", [...tally.values()].reduce((a, b) => a + b, 0));
      await tallies.send({ path, tally });
    }
  } finally {
    finished.done();
  }
}

const progress = new Progress();
const texts = new Channel(16); // the reader waits when the counters fall behind
const tallies = new Channel(16);
const finished = new WaitGroup();

finished.add(COUNTERS);
const counters = Array.from({ length: COUNTERS }, () => eval(spawn(() => count(texts, tallies, progress, finished))));

// The writer: merges tallies as they come, until the counters are done and the channel drained.
const totals = new Map();
const writer = (async () => {
  for await (const { tally } of tallies) {
    for (const [word, n] of tally) totals.set(word, (totals.get(word) ?? 0) + n);
    progress.add("files", 1);
  }
})();

// The reader.
const ticker = json ? undefined : setInterval(() => console.log(`  ${progress.files} files, ${progress.words} words so far`), 100);
for await (const path of textFiles(root)) {
  const text = await readFile(path, "utf8");
  progress.add("bytes", BigInt(Buffer.byteLength(text)));
  await texts.send({ path, text });
}
texts.close();
await finished.wait();
tallies.close();
await writer;
await Promise.all(counters);
clearInterval(ticker);

const top = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
if (json) {
  console.log(JSON.stringify({ files: progress.files, bytes: String(progress.bytes), words: progress.words, counters: progress.counters, top }));
} else {
  console.log(`${progress.files} files, ${progress.bytes} bytes, ${progress.words} words, counted by ${progress.counters} workers`);
  for (const [word, n] of top) console.log(`${String(n).padStart(8)}  ${word}`);
}
