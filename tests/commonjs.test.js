// weft from CommonJS: `require("weft")` on every runtime, and spawn in a CommonJS file, whose
// `require`d bindings the worker re-creates. Each case runs in a new process.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert, runScript, scratchDir, test } from "./harness/mod.js";

const HELPER = `exports.triple = (n) => n * 3;\n`;

const MAIN = `const { spawn, shutdown, Mutex, WeftError } = require("weft");
const { triple } = require("./helper.cjs");
const path = require("node:path");
function local(n) { return triple(n) + 1; }
const x = 7;
(async () => {
  const out = { types: [typeof spawn, typeof Mutex, typeof WeftError] };
  try {
    out.result = await eval(spawn(() => [local(x), path.basename("/a/b.txt")]));
    out.isolated = await eval(spawn(() => typeof window));
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  await shutdown();
  console.log("##result " + JSON.stringify(out));
})();
`;

/**
 * Writes `files` (name → text) to a new directory and runs its `main.cjs` in a new process;
 * returns what it printed after `##result `, having checked that it reports no error. No
 * package.json "type": the .cjs files are CommonJS on every runtime.
 */
async function runCase(files) {
  const dir = scratchDir("cjs-");
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const { code, stdout, stderr } = await runScript(join(dir, "main.cjs"), { cwd: dir });
    const line = stdout.split("\n").find((l) => l.startsWith("##result "));
    assert.ok(line !== undefined, `exit ${code}: ${stderr}`);
    const out = JSON.parse(line.slice("##result ".length));
    assert.equal(out.error, undefined, out.error);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("require('weft') works and spawn in a CommonJS file re-creates its require()d bindings", async () => {
  const out = await runCase({ "helper.cjs": HELPER, "main.cjs": MAIN });
  assert.deepEqual(out.types, ["function", "function", "function"]);
  assert.deepEqual(out.result, [22, "b.txt"]);
  assert.equal(out.isolated, "undefined");
});

const LOCKER = `// Loaded inside a worker by a task: weft from require() there is that worker's weft.
exports.bump = (counter) => {
  const { Mutex } = require("weft");
  if (!(counter instanceof Mutex)) throw new Error("require('weft') in a worker gave another instance of weft");
  const guard = counter.lockSync();
  try {
    return (new Int32Array(guard.value)[0] += 1);
  } finally {
    guard.unlock();
  }
};
`;

const BUMPS = `const { spawn, shutdown, Mutex } = require("weft");
const { bump } = require("./locker.cjs");
const counter = new Mutex(new SharedArrayBuffer(4));
(async () => {
  const out = {};
  try {
    out.results = await Promise.all([1, 2, 3, 4].map(() => eval(spawn(() => bump(counter)))));
    const guard = await counter.lock();
    out.total = new Int32Array(guard.value)[0];
    guard.unlock();
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  await shutdown();
  console.log("##result " + JSON.stringify(out));
})();
`;

test("require('weft') in a module a task loads is the worker's own weft: a Mutex passed in is one of its Mutexes", async () => {
  const out = await runCase({ "locker.cjs": LOCKER, "main.cjs": BUMPS });
  assert.deepEqual([...out.results].sort(), [1, 2, 3, 4]);
  assert.equal(out.total, 4);
});
