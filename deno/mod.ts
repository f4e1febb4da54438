// The package entry on Deno (the `deno` export condition).
import { enter } from "../js/entry.js";
import { denoRuntime } from "./runtime.js";

await enter(denoRuntime);

export * from "../js/index.js";
