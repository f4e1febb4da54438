// The package entry on Deno (the `deno` export condition).
import { enter } from "../js/entry.js";
import { denoRuntime } from "./runtime.js";

// The module file, relative to this entry: `<runtime>/mod.js` sits one level below the package
// root in both the bundled (npm) and the unbundled (JSR) layout.
enter(denoRuntime, new URL("../js/wasm/weft_bg.wasm", import.meta.url));

export * from "../js/index.js";
