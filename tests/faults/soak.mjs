// `make soak`: the long checks that `make test` leaves out, on every runtime, each part in a
// process of its own (soak_run.js): 1,000,000 tasks with memory every 100,000, 10,000 call sites,
// the pool filled to the shared memory's capacity, and the shared memory filled with data. Prints each runtime's lines as they come
// and a summary; exits non-zero when a part failed or hung.
//   node tests/faults/soak.mjs [--runtimes node24,deno] [--parts tasks,sites,capacity]
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const bin = (p) => join(root, "node_modules", p);
const RUNTIMES = {
  node22: [bin("node22/bin/node")],
  node24: [bin("node24/bin/node")],
  deno: [bin(".bin/deno"), "run", "-A"],
  bun: [bin(".bin/bun")],
};
const PARTS = ["tasks", "sites", "capacity"];
const PART_TIMEOUT_MS = 20 * 60_000;

let runtimes = Object.keys(RUNTIMES);
let parts = PARTS;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--runtimes") runtimes = argv[++i].split(",");
  else if (argv[i] === "--parts") parts = argv[++i].split(",");
}

function run(runtime, part) {
  const [cmd, ...pre] = RUNTIMES[runtime];
  return new Promise((resolve) => {
    const child = spawn(cmd, [...pre, join(here, "soak_run.js"), part], {
      cwd: join(root, "tests"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stdout.on("data", (d) => process.stdout.write(d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), PART_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, err });
    });
  });
}

const summary = [];
for (const runtime of runtimes) {
  for (const part of parts) {
    const start = Date.now();
    const { code, signal, err } = await run(runtime, part);
    const ok = code === 0;
    summary.push(`${ok ? "ok  " : "FAIL"} ${runtime} ${part} (${Math.round((Date.now() - start) / 1000)} s)`);
    if (!ok) console.log(`${runtime} ${part} exited with ${signal ?? `code ${code}`}\n${err.slice(-4000)}`);
  }
}
console.log(`\n${summary.join("\n")}`);
process.exit(summary.every((s) => s.startsWith("ok")) ? 0 : 1);
