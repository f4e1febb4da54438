// The package entry on Bun when an application bundles weft with its build plugins (weft/esbuild,
// weft/vite, …): the plugin provides the two `weft:embedded/` modules, the core's bytes and the
// worker entry's source, so that the bundle needs no file of the package.
import wasm from "weft:embedded/wasm";
import worker from "weft:embedded/worker";
import { enterEmbedded } from "../js/entry.js";
import { bunRuntime } from "./runtime.js";

enterEmbedded(bunRuntime, wasm, worker);

export * from "../js/index.js";
