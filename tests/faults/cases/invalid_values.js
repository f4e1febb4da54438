// Values that used to reach the runtime unchecked (issue 15, items 4, 9 and 12): each is refused
// with WEFT_INVALID_ARGUMENT naming what fits, the settings before it stay in force, and the pool
// runs tasks afterwards.
import { configure, Semaphore, shutdown, spawn } from "weft";
import { rootPool } from "weft/_internal";
import { outcome, report, runtimeName } from "./_report.js";

const warnings = [];
const warn = console.warn;
console.warn = (...args) => warnings.push(args.join(" "));

const findings = { refused: {}, accepted: {}, semaphore: {} };
const refuse = async (name, options) => (findings.refused[name] = await outcome(() => configure(options)));

configure({ maxWorkers: 2, idleTimeoutMs: 60_000 });
findings.first = await eval(spawn(() => "first"));

// Pool options: wrong types, ranges, unknown names; a valid value next to a bad one changes nothing.
await refuse("maxWorkers 700", { maxWorkers: 700 });
await refuse("maxWorkers 0", { maxWorkers: 0 });
await refuse("maxWorkers string", { maxWorkers: "4" });
await refuse("idleTimeoutMs 2**40", { idleTimeoutMs: 2 ** 40 });
await refuse("idleTimeoutMs NaN", { idleTimeoutMs: Number.NaN });
await refuse("mixed", { maxWorkers: 1, idleTimeoutMs: -5 });
await refuse("unknown option", { maxWorker: 3 });
await refuse("not an object", 5);

// Resource limits that crash or wedge the process when passed through (Node, Deno).
await refuse("maxOld string", { resourceLimits: { maxOldGenerationSizeMb: "64" } });
await refuse("unknown limit", { resourceLimits: { maxOldGenerationMb: 64 } });
await refuse("limits array", { resourceLimits: [64] });
if (runtimeName !== "bun") {
  await refuse("maxOld 0", { resourceLimits: { maxOldGenerationSizeMb: 0 } });
  await refuse("maxOld -1", { resourceLimits: { maxOldGenerationSizeMb: -1 } });
  await refuse("maxOld 1", { resourceLimits: { maxOldGenerationSizeMb: 1 } });
  await refuse("stack 0.01", { resourceLimits: { stackSizeMb: 0.01 } });
  await refuse("codeRange 1e8", { resourceLimits: { codeRangeSizeMb: 1e8 } });
  await refuse("young Infinity", { resourceLimits: { maxYoungGenerationSizeMb: Infinity } });
}
findings.optionsAfterRefusals = { ...rootPool().options };

// Good limits: honoured where the runtime has them, warned about (once) where it does not.
findings.accepted.limits = await outcome(() => configure({ resourceLimits: { maxOldGenerationSizeMb: 256, stackSizeMb: 4 } }));
findings.accepted.again = await outcome(() => configure({ resourceLimits: { maxOldGenerationSizeMb: 128 } }));
findings.warnings = warnings.filter((w) => w.includes("WEFT_RESOURCE_LIMITS_IGNORED")).length;
findings.afterLimits = await eval(spawn(() => 6 * 7));

// Semaphore counts beyond what its state word holds.
const sem = new Semaphore(3);
findings.semaphore.huge = await outcome(() => new Semaphore(2 ** 32 + 3));
findings.semaphore.fraction = await outcome(() => new Semaphore(1.5));
findings.semaphore.acquireHuge = await outcome(() => sem.acquire(2 ** 32));
findings.semaphore.tryAcquireHuge = await outcome(() => sem.tryAcquire(2 ** 32 + 1));
findings.semaphore.releaseHuge = await outcome(() => sem.release(2 ** 33));
findings.semaphore.available = sem.available;
const permit = await sem.acquire(2);
findings.semaphore.afterAcquire = sem.available;
permit.release();

console.warn = warn;
await shutdown();
report(findings);
