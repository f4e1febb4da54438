// The package entry on Node.js (the `node` export condition).
import { enter } from "../js/entry.js";
import { nodeRuntime } from "./runtime.js";

await enter(nodeRuntime);

export * from "../js/index.js";
