// Baseline contended worker on node:worker_threads: [id, { buffer, times, outside }] → [id, times].
import { parentPort } from "node:worker_threads";
import { incrementUnderFutex } from "./futex_mutex.mjs";

parentPort.on("message", ([id, { buffer, times, outside }]) => parentPort.postMessage([id, incrementUnderFutex(buffer, times, outside)]));
