/* @ts-self-types="./mod.d.ts" */
// The package entry on Deno from JSR. The .wasm is imported as a module source, so it is part of
// Deno's module graph: fetched and cached with the code wherever the package is loaded from (an
// https: URL, a `deno compile` binary), never read from disk or fetched at run time.
import source weftModule from "../js/wasm/weft_bg.wasm";
import { enter } from "../js/entry.js";
import { denoRuntime } from "./runtime.js";

enter(denoRuntime, {
  module: weftModule,
  // The memory limits the .wasm declares, read from it when the package was assembled.
  limits: {{limits}},
  url: new URL("../js/wasm/weft_bg.wasm", import.meta.url),
});

export * from "../js/index.js";
