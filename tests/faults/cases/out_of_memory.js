// A task that allocates without bound in a worker with a heap limit (issue 15, item 5): its task
// fails with WEFT_WORKER_OUT_OF_MEMORY, the process lives on with bounded memory, and the pool
// replaces the worker. On Deno, which stops such a worker without reporting it, weft's watchdog
// settles the task.
import { configure, shutdown, spawn } from "weft";
import { outcome, report } from "./_report.js";

configure({ maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 64 } });
const findings = {};
const task = (grow) =>
  eval(
    spawn(() => {
      if (!grow) return "fine";
      // Many separate arrays: the shape whose growth V8 reports to the limit's callback (a single
      // ever-growing array can abort the process: see the README).
      const kept = [];
      for (;;) kept.push(new Array(10_000).fill(Math.random()));
    }),
  );
findings.before = await task(false); // the worker module is cached: the runaway call starts synchronously
findings.runaway = await outcome(() => task(true));
findings.after = await task(false);
findings.rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
await shutdown();
report(findings);
