// Many workers starting at once (issue 15, item 10): each joins the shared memory in turn, so a
// burst of starts never leaves one trapped half-joined (which used to hang every later start and
// keep the process alive); every task runs, and the process exits.
import { configure, shutdown, spawn } from "weft";
import { core } from "weft/_internal";
import { outcome, report, runtimeName } from "./_report.js";

// 200 workers reliably hung Node before joins took turns; Deno starts workers slowly, so fewer.
const workers = Number(process.argv.at(-1)) || (runtimeName === "deno" ? 128 : 200);
configure({ maxWorkers: workers });
// Each task waits until all of them run (at most 60 s), so that `workers` workers start together.
const gate = new Int32Array(new SharedArrayBuffer(4));
const tasks = Array.from({ length: workers + 8 }, (_, i) =>
  outcome(() =>
    eval(
      spawn(() => {
        Atomics.wait(gate, 0, 0, 60_000);
        return i;
      }),
    ),
  ),
);
let peak = 0;
const started = performance.now();
while (peak < workers && performance.now() - started < 60_000) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  peak = Math.max(peak, core.liveWorkers());
}
Atomics.store(gate, 0, 1);
Atomics.notify(gate, 0);
const results = await Promise.all(tasks);
await shutdown();
report({
  workers,
  peak,
  failed: results.filter((r) => r.code !== undefined).map((r) => r.code),
  sum: results.reduce((sum, r) => sum + (r.value ?? 0), 0),
  live: core.liveWorkers(),
});
