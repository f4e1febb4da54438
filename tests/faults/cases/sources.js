// Callers whose source weft cannot read (issue 15, item 14): a module that is not a file, and a
// file deleted after shutdown(). Each fails with WEFT_SOURCE_UNAVAILABLE; the pool runs tasks after.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { shutdown, spawn } from "weft";
import { scratchDir } from "../../harness/mod.js";
import { outcome, report, runtimeName } from "./_report.js";

globalThis.__weftFaultSpawn = spawn;
const body = "export function start() { const v = 1; const script = globalThis.__weftFaultSpawn(() => v); return script.length; }";
const findings = {};

// Node and Deno import data: modules; Deno and Bun, blob: modules.
if (runtimeName !== "bun") {
  const url = `data:text/javascript,${encodeURIComponent(body)}`;
  findings.dataUrl = await outcome(async () => (await import(url)).start());
}
if (runtimeName !== "node") {
  const url = URL.createObjectURL(new Blob([body], { type: "text/javascript" }));
  findings.blobUrl = await outcome(async () => (await import(url)).start());
}

const dir = scratchDir("fault-sources-");
try {
  const file = join(dir, "caller.js");
  writeFileSync(
    file,
    `import { spawn } from "weft";\nexport function run() { const n = 6; return eval(spawn(() => n * 7)); }\n`,
  );
  const caller = await import(pathToFileURL(file).href);
  findings.beforeDelete = await outcome(() => caller.run());
  await shutdown(); // forgets the analysed call sites and the file's text
  rmSync(file);
  findings.afterDelete = await outcome(() => caller.run());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
findings.poolAfter = await outcome(() => eval(spawn(() => "still running")));
await shutdown();
report(findings);
