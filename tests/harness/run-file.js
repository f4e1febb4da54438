// Runs one test file on the current runtime and prints one line per test:
//   ##weft-test {"file":…,"name":…,"status":"passed"|"failed"|"skipped","ms":…,"error":…}
// then exits (0 when every test passed).
import { registeredTests, runtimeName } from "./mod.js";

const file = process.argv[runtimeName === "deno" ? 2 : 2];
if (!file) {
  console.error("usage: run-file.js <test file>");
  process.exit(2);
}
const fileUrl = new URL(file, `file://${process.cwd()}/`).href;
const shortName = file.replace(/^.*tests\//, "");

function report(result) {
  console.log(`##weft-test ${JSON.stringify({ file: shortName, ...result })}`);
}

function describe(error) {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

let failed = 0;
try {
  await import(fileUrl);
} catch (error) {
  report({ name: "(loading the file)", status: "failed", ms: 0, error: describe(error) });
  process.exit(1);
}

for (const t of registeredTests()) {
  if (t.skip) {
    report({ name: t.name, status: "skipped", ms: 0, error: String(t.skip) });
    continue;
  }
  const start = performance.now();
  let timer;
  try {
    await Promise.race([
      t.fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
      }),
    ]);
    report({ name: t.name, status: "passed", ms: Math.round(performance.now() - start) });
  } catch (error) {
    failed++;
    report({ name: t.name, status: "failed", ms: Math.round(performance.now() - start), error: describe(error) });
  } finally {
    clearTimeout(timer);
  }
}
process.exit(failed === 0 ? 0 : 1);
