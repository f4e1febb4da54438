// The persistent analysis cache: a second process spawning at the same call site reads the
// analysis from the cache; an edit, a corrupt entry, an unsafe directory or WEFT_CACHE=0 never
// make weft run anything but the closure written there.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, runScript, runtimeName, scratchDir, test } from "./harness/mod.js";

const HIT = /read from the persistent cache/;

/** A script in its own directory spawning `body` (an expression of `k`), printing the result. */
function scriptWith(dir, body) {
  const path = join(dir, "site.mjs");
  writeFileSync(path, `import { spawn, shutdown } from "weft";\nconst k = 21;\nconsole.log(await eval(spawn(() => ${body})));\nawait shutdown();\n`);
  return path;
}

async function run(path, cache, extra = {}) {
  const r = await runScript(path, { env: { WEFT_CACHE_DIR: cache, WEFT_DEBUG: "1", ...extra } });
  assert.equal(r.code, 0, r.stderr);
  return { value: r.stdout.trim(), hit: HIT.test(r.stderr) };
}

/** The files of `cache` named `*${suffix}`: analysis entries by default. */
const entries = (cache, suffix = ".entry") => {
  try {
    return readdirSync(cache).filter((n) => n.endsWith(suffix));
  } catch {
    return [];
  }
};

test("a second process reads the analysis from the cache; an edited file is analysed afresh", async () => {
  const dir = scratchDir("cache-");
  const cache = join(dir, "cache");
  try {
    const path = scriptWith(dir, "k * 2");
    assert.deepEqual(await run(path, cache), { value: "42", hit: false });
    assert.equal(entries(cache).length, 2, "the closure and its worker module were stored");
    if (process.platform !== "win32") {
      assert.equal(statSync(cache).mode & 0o777, 0o700);
      for (const e of entries(cache)) assert.equal(statSync(join(cache, e)).mode & 0o777, 0o600);
    }
    assert.deepEqual(await run(path, cache), { value: "42", hit: true });
    scriptWith(dir, "k * 3"); // same file, same position, another closure
    assert.deepEqual(await run(path, cache), { value: "63", hit: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("entries are stored after the spawn's turn of the event loop, not during it", async () => {
  const dir = scratchDir("cache-");
  const cache = join(dir, "cache");
  try {
    const path = join(dir, "later.mjs");
    writeFileSync(
      path,
      `import { readdirSync } from "node:fs";
import process from "node:process";
import { spawn, shutdown } from "weft";
const stored = () => { try { return readdirSync(process.env.WEFT_CACHE_DIR).filter((n) => n.endsWith(".entry")).length; } catch { return 0; } };
const k = 21;
const task = eval(spawn(() => k * 5));
const during = stored();
const value = await task;
await new Promise((resolve) => setTimeout(resolve, 0));
console.log(JSON.stringify({ during, value, after: stored() }));
await shutdown();
`,
    );
    const r = await runScript(path, { env: { WEFT_CACHE_DIR: cache } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { during: 0, value: 105, after: 2 });
    assert.deepEqual(await run(path, cache), { value: JSON.stringify({ during: 2, value: 105, after: 2 }), hit: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("corrupt entries are ignored and replaced; WEFT_CACHE=0 stores nothing", async () => {
  const dir = scratchDir("cache-");
  const cache = join(dir, "cache");
  try {
    const path = scriptWith(dir, "k + 1");
    await run(path, cache);
    for (const e of entries(cache)) writeFileSync(join(cache, e), e.startsWith("a") ? "" : '{"kind":"closure","value":{"locals":"nope"');
    assert.deepEqual(await run(path, cache), { value: "22", hit: false });
    assert.deepEqual(await run(path, cache), { value: "22", hit: true }, "rewritten by the last run");
    const off = join(dir, "off");
    assert.deepEqual(await run(path, off, { WEFT_CACHE: "0" }), { value: "22", hit: false });
    assert.equal(entries(off).length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "a cache directory others may write is not used",
  async () => {
    const dir = scratchDir("cache-");
    const cache = join(dir, "cache");
    try {
      mkdirSync(cache, { mode: 0o777 });
      chmodSync(cache, 0o777);
      const path = scriptWith(dir, "k - 1");
      assert.deepEqual(await run(path, cache), { value: "20", hit: false });
      assert.equal(entries(cache).length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { skip: process.platform === "win32" ? "POSIX permissions" : false },
);

test("the cache stays bounded: a write that finds too many entries removes the oldest quarter", async () => {
  const dir = scratchDir("cache-");
  const cache = join(dir, "cache");
  try {
    mkdirSync(cache, { mode: 0o700 });
    for (let i = 0; i < 2_100; i++) writeFileSync(join(cache, `${String(i).padStart(64, "0")}.entry`), "old");
    const path = scriptWith(dir, "k * 4");
    assert.deepEqual(await run(path, cache), { value: "84", hit: false });
    const left = entries(cache);
    assert.ok(left.length <= 2_100 - 525 + 2, `${left.length} entries left`);
    assert.ok(left.some((e) => readFileSync(join(cache, e), "utf8").includes('"kind":"closure"')), "the new entry is kept");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The code cache entries of weft's worker script in `cache` (Node). */
const codeEntries = (cache) => entries(cache, ".code");

test(
  "Node: workers run weft's code through V8's code cache in the cache directory; a damaged entry is replaced",
  async () => {
    const dir = scratchDir("cache-");
    const cache = join(dir, "cache");
    try {
      const path = scriptWith(dir, "k * 5");
      assert.deepEqual(await run(path, cache), { value: "105", hit: false });
      const [name, ...more] = codeEntries(cache);
      assert.equal(more.length, 0, `one code cache entry, found ${[name, ...more]}`);
      assert.ok(name.includes(`node${process.version}-${process.arch}`), name);
      // Named by the script's content as the build hashed it, and its length and modification
      // time; the build leaves the script ASCII, which the worker decodes as Latin-1.
      const script = new URL("./node_modules/weft/node/worker_main.cjs", import.meta.url);
      const bytes = readFileSync(script);
      const id = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
      assert.ok(name.endsWith(`-${id}-${bytes.length}-${Math.trunc(statSync(script).mtimeMs)}.code`), name);
      assert.ok(bytes.every((b) => b < 0x80), "the worker script is not ASCII");
      const file = join(cache, name);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const written = statSync(file).ino;
      // Accepted by V8: the next worker does not write it again (a rewrite renames a new file in).
      assert.deepEqual(await run(path, cache), { value: "105", hit: true });
      assert.equal(statSync(file).ino, written, "the entry was rewritten: V8 rejected it");
      // Damaged in place, same length: V8 rejects it, the task still runs, the entry is replaced.
      const size = statSync(file).size;
      writeFileSync(file, Buffer.alloc(size, 0x5a));
      assert.deepEqual(await run(path, cache), { value: "105", hit: true });
      assert.deepEqual(codeEntries(cache), [name]);
      assert.notEqual(statSync(file).ino, written, "the damaged entry was kept");
      assert.ok(readFileSync(file).some((b) => b !== 0x5a), "the damaged entry was kept");
      const off = join(dir, "off");
      assert.deepEqual(await run(path, off, { WEFT_CACHE: "0" }), { value: "105", hit: false });
      assert.deepEqual(codeEntries(off), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { skip: runtimeName !== "node" ? "V8's code cache of the worker script is Node's (Deno and Bun cache compiled code themselves)" : false },
);
