// spawn inside each runtime's own test runner (node --test, deno test, bun test), which load test
// files their own way: the closure and its captures must still be found and run.
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert, runtimeName, scratchDir, test } from "./harness/mod.js";

// A top-level function (re-created in the worker) and a local (copied).
const HELPER = `function helper(n) { return n * 2; }\n`;
const BODY = `
  const base = 20;
  const result = await eval(spawn(() => helper(base) + 2));
  if (result !== 42) throw new Error("spawn returned " + result);
  await shutdown();
`;

const FILES = {
  node: `import { test } from "node:test";\nimport { spawn, shutdown } from "weft";\n${HELPER}test("spawn", async () => {${BODY}});\n`,
  deno: `import { spawn, shutdown } from "weft";\n${HELPER}Deno.test({ name: "spawn", sanitizeResources: false, sanitizeOps: false, fn: async () => {${BODY}} });\n`,
  bun: `import { test } from "bun:test";\nimport { spawn, shutdown } from "weft";\n${HELPER}test("spawn", async () => {${BODY}});\n`,
};
const ARGS = {
  node: (file) => ["--test", file],
  deno: (file) => ["test", "-A", file],
  bun: (file) => ["test", file],
};

test(`spawn in a test run by ${runtimeName}'s own test runner`, async () => {
  const dir = scratchDir("runner-");
  try {
    const file = join(dir, "spawn.test.js");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(file, FILES[runtimeName]);
    const { error, stdout, stderr } = await new Promise((resolve) =>
      execFile(process.execPath, ARGS[runtimeName](file), { cwd: dir }, (error, stdout, stderr) => resolve({ error, stdout, stderr })),
    );
    assert.equal(error?.code ?? 0, 0, `${stdout}\n${stderr}`);
    assert.match(stdout + stderr, /pass|ok/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
