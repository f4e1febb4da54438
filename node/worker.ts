// The entry of every weft worker on Node.js. In the npm package, weft's worker code is the script
// node/worker_main.cjs beside this module, run through V8's code cache (node/worker_code.ts);
// without that script (weft run from its sources) it is loaded as modules.
import { workerData } from "node:worker_threads";
import type { ImportModule } from "../js/pool/worker.js";
import { CODE_CACHE_DIR, runWorkerScript } from "./worker_code.js";

const importModule: ImportModule = (url) => import(url) as Promise<Record<string, unknown>>;
const dir = (workerData as Record<string, unknown> | null | undefined)?.[CODE_CACHE_DIR];
if (!runWorkerScript(new URL("./worker_main.cjs", import.meta.url), typeof dir === "string" ? dir : undefined, importModule)) {
  const { runWorker } = await import("./worker_main.js");
  runWorker(importModule);
}
