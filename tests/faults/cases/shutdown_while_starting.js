// shutdown() while the first worker is still starting (issue 15, item 8): the task queued before
// it fails with WEFT_SHUTDOWN, and the next task runs on a new worker.
import { shutdown, spawn } from "weft";
import { outcome, report } from "./_report.js";

const findings = {};
const first = outcome(() => eval(spawn(() => "first")));
await shutdown(); // the worker spawn() started is not ready yet
findings.first = await first;
findings.second = await outcome(() => eval(spawn(() => "second")));
// Twice in a row, with two tasks waiting.
const a = outcome(() => eval(spawn(() => "a")));
const b = outcome(() => eval(spawn(() => "b")));
await shutdown();
await shutdown();
findings.queued = [await a, await b];
findings.third = await outcome(() => eval(spawn(() => "third")));
await shutdown();
report(findings);
