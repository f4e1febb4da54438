// maxWorkers whose stacks cannot fit in the shared memory (issue 15, item 10): configure refuses
// them and names the limit, which it accepts; tasks run within it.
import { configure, shutdown, spawn } from "weft";
import { outcome, report } from "./_report.js";

const findings = {};
findings.seven = await outcome(() => configure({ maxWorkers: 700 }));
findings.six = await outcome(() => configure({ maxWorkers: 600 }));
const limit = Number(/from 1 to (\d+)/.exec(findings.seven.message ?? "")?.[1]);
findings.limit = limit;
findings.atLimit = await outcome(() => configure({ maxWorkers: limit }));
findings.aboveLimit = await outcome(() => configure({ maxWorkers: limit + 1 }));
configure({ maxWorkers: 4 });
findings.tasks = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => eval(spawn(() => i * i))));
await shutdown();
report(findings);
