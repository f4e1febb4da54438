// The entry of every weft worker on Bun in an application that bundles weft with weft's build
// plugins: the plugins embed it as one module's source text, weft included (npm: worker.bundle.js).
import { runWorker } from "./package.js";

runWorker();
