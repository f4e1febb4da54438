/**
 * Unstable internals for weft's own tests, benchmarks and examples, exported as `weft/_internal`.
 * Not covered by semver; applications should not import it.
 * @module
 */

export { core, coreMemory, isCoreReady, WORKER_STACK_SIZE, type ThreadResources } from "./core/module.js";
export { memoryBytes, words, wordsAt } from "./core/memory.js";
export { runtime } from "./runtime.js";
export { WorkerHost } from "./pool/host.js";
export { rootPool } from "./pool/submit.js";
export { Histogram } from "./pool/histogram.js";
export * as spinPolicy from "./pool/spin_policy.js";
export { runBuilt, type BuiltModule } from "./spawn/built.js";
export { decodeBase64 } from "./core/embedded.js";
export { closureAt } from "./spawn/analysis_cache.js";
export { BUNDLED_API } from "./entry.js";
