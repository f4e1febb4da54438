// Callers whose paths hold URL syntax (issue 15, item 2): a file in `dir%20x/` is read from there,
// not from `dir x/` (which here holds a decoy with another closure), and a newline in a directory
// name does not break the path.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { shutdown } from "weft";
import { scratchDir } from "../../harness/mod.js";
import { outcome, report } from "./_report.js";

const dir = scratchDir("fault-paths-");
const job = (answer) =>
  `import { spawn } from "weft";\n` +
  `export async function run() {\n  const answer = ${JSON.stringify(answer)};\n` +
  `  const value = await eval(spawn(() => answer));\n  return value;\n}\n`;
const place = (name, answer) => {
  mkdirSync(join(dir, name), { recursive: true });
  const file = join(dir, name, "job.js");
  writeFileSync(file, job(answer));
  return pathToFileURL(file).href;
};
const findings = {};
try {
  const encoded = place("dir%20x", "from dir%20x");
  place("dir x", "from the decoy in dir x");
  const newline = place("line\nbreak", "from line\\nbreak");
  const tab = place("tab\there", "from tab");
  findings.encoded = await outcome(async () => (await import(encoded)).run());
  findings.newline = await outcome(async () => (await import(newline)).run());
  findings.tab = await outcome(async () => (await import(tab)).run());
} finally {
  await shutdown();
  rmSync(dir, { recursive: true, force: true });
}
report(findings);
