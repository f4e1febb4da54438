// The raw baseline worker on node:worker_threads: replies to [id, x] with [id, x + 1].
import { parentPort } from "node:worker_threads";

parentPort.on("message", (m) => parentPort.postMessage([m[0], m[1] + 1]));
