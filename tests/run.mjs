// Runs every tests/*.test.js and tests/faults/*.test.js file on every supported runtime (Node 22, Node 24, Deno, Bun,
// and Bun 1.4.3, the last release before its call-site columns moved by one: node/v8_stack.ts), one
// process per file, and prints per test, per runtime ("node24: N passed, N failed") and overall.
// Exits non-zero when anything failed.
//   node tests/run.mjs [--runtimes node24,deno] [file filter...]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const testsDir = dirname(fileURLToPath(import.meta.url));
const root = join(testsDir, "..");
const bin = (p) => join(root, "node_modules", p);

const RUNTIMES = {
  // Type stripping alone cannot run TS enums and namespaces, which the TS fixtures use.
  // --expose-gc: the memory tests collect garbage on purpose.
  node22: [bin("node22/bin/node"), "--expose-gc", "--experimental-transform-types", "--no-warnings=ExperimentalWarning"],
  node24: [bin("node24/bin/node"), "--expose-gc", "--experimental-transform-types", "--no-warnings=ExperimentalWarning"],
  deno: [bin(".bin/deno"), "run", "-A", "--v8-flags=--expose-gc"],
  bun: [bin(".bin/bun")],
  bun143: [bin("bun143/bin/bun")],
};

let wanted = Object.keys(RUNTIMES);
const filters = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--runtimes") wanted = argv[++i].split(",");
  else filters.push(argv[i]);
}
for (const name of wanted) {
  if (!RUNTIMES[name]) {
    console.error(`Unknown runtime "${name}"; choose from ${Object.keys(RUNTIMES).join(", ")}`);
    process.exit(2);
  }
}
// tests/*.test.js, then the fault suite (tests/faults/*.test.js), whose cases each start their own
// process under a watchdog.
const testFiles = (dir) =>
  readdirSync(join(testsDir, dir))
    .filter((f) => f.endsWith(".test.js"))
    .sort()
    .map((f) => (dir === "." ? f : `${dir}/${f}`));
const files = [...testFiles("."), ...testFiles("faults")].filter(
  (f) => filters.length === 0 || filters.some((x) => f.includes(x)),
);

const FILE_TIMEOUT_MS = 10 * 60_000;

// weft's persistent analysis cache, for this run only: the suite never reads entries of an
// earlier build, and leaves nothing in the user's cache directory.
const cacheDir = mkdtempSync(join(tmpdir(), "weft-test-cache-"));
// The tests' scratch folders (harness `scratchDir`), for this run only: bundles, compiled
// executables and generated apps are removed when the run ends, whatever failed.
mkdirSync(join(testsDir, ".scratch"), { recursive: true });
const scratch = mkdtempSync(join(testsDir, ".scratch", "run-"));
process.on("exit", () => {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

/** Files a runtime cannot parse, reported as skipped with the reason. */
function unsupported(runtime, file) {
  if (runtime === "node22" && file.endsWith(".using.test.js")) return "Node 22 does not parse `using`";
  return undefined;
}

function runFile(runtime, file) {
  const reason = unsupported(runtime, file);
  if (reason !== undefined) {
    return Promise.resolve({ results: [{ file, name: "(whole file)", status: "skipped", error: reason }], out: "", err: "" });
  }
  const [cmd, ...pre] = RUNTIMES[runtime];
  const args = [...pre, join(testsDir, "harness/run-file.js"), join(testsDir, file)];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: testsDir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WEFT_CACHE_DIR: cacheDir, WEFT_TEST_SCRATCH: scratch } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), FILE_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const results = [];
      for (const line of out.split("\n")) {
        if (line.startsWith("##weft-test ")) results.push(JSON.parse(line.slice(12)));
      }
      if (code !== 0 && !results.some((r) => r.status === "failed")) {
        results.push({
          file,
          name: "(process)",
          status: "failed",
          error: `exited with ${signal ?? `code ${code}`}\n${err.slice(-4000)}`,
        });
      }
      resolve({ results, out, err });
    });
  });
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
for (const runtime of wanted) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const file of files) {
    const { results, out } = await runFile(runtime, file);
    for (const r of results) {
      counts[r.status]++;
      const mark = r.status === "passed" ? "ok  " : r.status === "skipped" ? "skip" : "FAIL";
      console.log(`${mark} ${runtime} ${r.file} › ${r.name}${r.ms !== undefined ? ` (${r.ms} ms)` : ""}`);
      if (r.status !== "passed" && r.error) console.log(`     ${r.error.replaceAll("\n", "\n     ")}`);
    }
    const chatter = out.split("\n").filter((l) => l && !l.startsWith("##weft-test ")).join("\n");
    if (chatter && process.env.WEFT_TEST_VERBOSE) console.log(chatter);
  }
  const line = `${runtime}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  console.log(line);
  summary.push(line);
  for (const k of Object.keys(totals)) totals[k] += counts[k];
}
console.log(`\n${summary.join("\n")}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
