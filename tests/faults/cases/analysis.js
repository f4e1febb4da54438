// What the analyzer is given that it must refuse or handle without taking anything else down
// (issue 15, items 1, 3 and 14): a function spawned by reference inside a callback (never the
// enclosing callback, which would spawn again, forever), a file too large to analyse (only that
// site fails), a deeply nested but valid file, a top-level binding with a generated-looking name,
// and spawn's script passed to an aliased (indirect) eval.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { shutdown, spawn } from "weft";
import { scratchDir } from "../../harness/mod.js";
import { outcome, report } from "./_report.js";

const findings = {};

// 1. A closure that is not written inline, inside a callback: the callback must run exactly once.
let callbackRuns = 0;
const f = () => 1;
findings.notInline = await outcome(() =>
  Promise.resolve().then(() => {
    callbackRuns++;
    return eval(spawn(f));
  }),
);
await new Promise((resolve) => setTimeout(resolve, 50)); // room for a runaway respawn to show
findings.callbackRuns = callbackRuns;

const dir = scratchDir("fault-analysis-");
try {
  const write = async (name, text) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return import(pathToFileURL(file).href);
  };

  // 3. Above the analyzer's 6 MiB limit: this site fails, with its file named; then others work.
  const filler = `// ${"x".repeat(1000)}\n`.repeat(7 * 1024);
  const large = await write(
    "large.js",
    `import { spawn } from "weft";\n${filler}export function run() { const n = 2; return eval(spawn(() => n + 1)); }\n`,
  );
  findings.large = await outcome(() => large.run());

  // 14. 250 nested ternaries: valid, within what the release module's stack holds.
  const ternaries = `${"a ? ".repeat(250)}7${" : 0".repeat(250)}`;
  const deep = await write(
    "ternaries.js",
    `import { spawn } from "weft";\nexport function run() { const a = true; return eval(spawn(() => ${ternaries})); }\n`,
  );
  findings.ternaries = await outcome(() => deep.run());

  // 14. Top-level names that look like weft's own generated ones.
  const names = await write(
    "names.js",
    `import { spawn } from "weft";\n` +
      `function __weft_top() { return 20; }\nconst __weft = 1;\nconst __weft1_top = 1;\n` +
      `export function run() { return eval(spawn(() => __weft_top() + __weft1_top + 1)); }\n`,
  );
  findings.names = await outcome(() => names.run());
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// 14. An aliased eval runs the script in the global scope, where the captures do not exist.
const indirect = eval;
findings.aliasedEval = await outcome(() => {
  const secret = 5;
  return indirect(spawn(() => secret * 2));
});

findings.after = await outcome(() => eval(spawn(() => "after")));
await shutdown();
report(findings);
