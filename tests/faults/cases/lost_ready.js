// A worker whose `weft:ready` and results are lost for good (a runtime that lost its messages)
// must not leave tasks waiting: after the start timeout (WorkerHost.startTimeoutMs) its start
// fails and it is terminated; the task sent with it fails, since it may have run, and the worker
// started for the next task, whose join waited for the lost one's, joins then and runs it.
import { configure, shutdown, spawn, stats } from "weft";
import { WorkerHost } from "weft/_internal";
import { intercept } from "./_intercept.js";
import { outcome, report } from "./_report.js";

const findings = {};
configure({ maxWorkers: 2 });

// Worker 0's ready and result are lost. Both tasks are spawned at once, so the pool starts a
// worker for each; workers join one at a time, and without a start timeout worker 1 would wait for
// worker 0's join, and both tasks with it, for good.
const wrap = intercept({ drop: (n) => n === 0 });
WorkerHost.startTimeoutMs = 300;
const lost = outcome(() => eval(spawn(() => "its answer is lost")));
const behind = outcome(() => eval(spawn(() => "behind the lost one")));
// Worker 0 was sent the module with the 300 ms timeout; the workers after it get the default.
while (!wrap.log[0]?.includes("init")) await new Promise((resolve) => setTimeout(resolve, 0));
WorkerHost.startTimeoutMs = 60_000;
findings.lost = await lost;
findings.behindLost = await behind;
findings.lostFirstEvent = wrap.log[0][0];
findings.afterLoss = await outcome(() => eval(spawn(() => "after the loss")));
findings.workersAfterLoss = stats().workers;
wrap.restore();
await shutdown();

report(findings);
