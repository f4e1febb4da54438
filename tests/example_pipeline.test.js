// examples/word_count.mjs on every runtime: the parallel pipeline (Channels, a WaitGroup, a
// SharedStruct for progress) gives the same counts as counting on one thread.
import { spawn as spawnProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, runtimeName, test } from "./harness/mod.js";

const example = fileURLToPath(new URL("../examples/word_count.mjs", import.meta.url));
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

/** What the example counts, on this thread: the same files, the same words. */
function countHere(dir) {
  const totals = new Map();
  let files = 0;
  let words = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || ["node_modules", "target", "dist", "build"].includes(entry.name)) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(md|txt|js|mjs|ts|rs|toml)$/.test(entry.name)) {
        files++;
        for (const w of readFileSync(path, "utf8").toLowerCase().match(/\p{L}+/gu) ?? []) {
          totals.set(w, (totals.get(w) ?? 0) + 1);
          words++;
        }
      }
    }
  };
  walk(dir);
  const top = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
  return { files, words, top };
}

test("the word-count pipeline example counts exactly what one thread counts", async () => {
  const args = runtimeName === "deno" ? ["run", "-A", example, fixtures, "--json"] : [example, fixtures, "--json"];
  const child = spawnProcess(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, err);
  const result = JSON.parse(out.trim().split("\n").at(-1));
  const expected = countHere(fixtures);
  assert.ok(expected.files > 5, "the fixtures hold files to count");
  assert.equal(result.files, expected.files);
  assert.equal(result.words, expected.words);
  assert.deepEqual(result.top, expected.top);
  assert.equal(result.counters, 3);
});
