// The package entry on Bun (the `bun` export condition).
import { enter } from "../js/entry.js";
import { bunRuntime } from "./runtime.js";

await enter(bunRuntime);

export * from "../js/index.js";
