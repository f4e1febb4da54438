// The entry of every weft worker on Node.js in an application that bundles weft with weft's build
// plugins: the plugins embed it as one module's source text, weft included (npm: worker.bundle.js).
import { runWorker } from "./worker_main.js";

runWorker((url) => import(url) as Promise<Record<string, unknown>>);
