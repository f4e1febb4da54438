// The types of `require("weft")` for CommonJS code compiled with `module: node16` (which cannot
// name an ES module's declarations directly): the module's value, typed by its ES declarations.
// Types (`MutexGuard`, `WeftErrorCode`, …) come from
// `import type { … } from "weft" with { "resolution-mode": "import" }`.
declare const weft: typeof import("./index.js", { with: { "resolution-mode": "import" } });
export = weft;
