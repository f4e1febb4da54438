/**
 * Unstable internals for weft's own tests, benchmarks and examples, exported as `weft/_internal`.
 * Not covered by semver; applications should not import it.
 * @module
 */

export { core, coreMemory, isCoreReady, WORKER_STACK_SIZE, type ThreadResources } from "./core.js";
export { memoryBytes, words, wordsAt } from "./memory.js";
export { runtime } from "./runtime.js";
export { WorkerHost } from "./worker_host.js";
export { rootPool } from "./tasks.js";
