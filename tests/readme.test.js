// The examples users read first must run: the README's opening example and the package README's.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert, runScript, scratchDir, test } from "./harness/mod.js";

/** The first ```js block of a Markdown file. */
function firstJsBlock(path) {
  const text = readFileSync(new URL(path, import.meta.url), "utf8");
  const match = /```js\n([\s\S]*?)```/.exec(text);
  assert.ok(match, `${path} has a js example`);
  return match[1];
}

/** Runs `code` as a module next to the installed package, with `check` appended. */
async function runExample(code, check) {
  const dir = scratchDir("readme-");
  try {
    const script = join(dir, "example.js");
    writeFileSync(script, `${code}\n${check}\n`);
    return await runScript(script, { timeoutMs: 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the README's opening example runs and hashes in a worker", async () => {
  const code = firstJsBlock("../README.md");
  const { code: exit, stdout, stderr } = await runExample(
    code,
    'console.log(JSON.stringify({ hash, expected: slowHash(user.password, rounds) }));',
  );
  assert.equal(exit, 0, stderr);
  const { hash, expected } = JSON.parse(stdout.trim());
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(hash, expected);
});

test("the package README's example runs", async () => {
  const code = firstJsBlock("../pkg-templates/README.md");
  const { code: exit, stdout, stderr } = await runExample(
    code,
    "console.log(JSON.stringify({ sum, count: new Int32Array((await counter.lock()).value)[0] }));",
  );
  assert.equal(exit, 0, stderr);
  assert.deepEqual(JSON.parse(stdout.trim()), { sum: 14, count: 3 });
});
