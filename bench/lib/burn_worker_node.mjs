// Raw control worker for the speedup benchmark on node:worker_threads: [id, { seed, steps }] → [id, burn(…)].
import { parentPort } from "node:worker_threads";
import { burn } from "./burn.mjs";

parentPort.on("message", ([id, { seed, steps }]) => parentPort.postMessage([id, burn(seed, steps)]));
