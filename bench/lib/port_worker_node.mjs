// Baseline channel endpoint on node:worker_threads: [id, { role, port, n }] → [id, n] once it has
// sent (producer) or received (consumer) n small objects through `port`.
import { parentPort } from "node:worker_threads";
import { servePort } from "./port_endpoint.mjs";

parentPort.on("message", ([id, job]) => servePort(job, () => parentPort.postMessage([id, job.n])));
