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

test("require('weft') works and spawn in a CommonJS file re-creates its require()d bindings", async () => {
  const dir = scratchDir("cjs-");
  try {
    // No package.json "type": the .cjs files are CommonJS on every runtime.
    writeFileSync(join(dir, "helper.cjs"), HELPER);
    writeFileSync(join(dir, "main.cjs"), MAIN);
    const { code, stdout, stderr } = await runScript(join(dir, "main.cjs"), { cwd: dir });
    const line = stdout.split("\n").find((l) => l.startsWith("##result "));
    assert.ok(line !== undefined, `exit ${code}: ${stderr}`);
    const out = JSON.parse(line.slice("##result ".length));
    assert.equal(out.error, undefined, out.error);
    assert.deepEqual(out.types, ["function", "function", "function"]);
    assert.deepEqual(out.result, [22, "b.txt"]);
    assert.equal(out.isolated, "undefined");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
