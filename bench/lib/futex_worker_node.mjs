// Baseline contended worker on node:worker_threads: [id, { buffer, times }] → [id, times].
import { parentPort } from "node:worker_threads";
import { incrementUnderFutex } from "./futex_mutex.mjs";

parentPort.on("message", ([id, { buffer, times }]) => parentPort.postMessage([id, incrementUnderFutex(buffer, times)]));
