// The entry of every weft worker on Bun.
import { loadPackage } from "./load.js";

loadPackage(import.meta.url).runWorker();
