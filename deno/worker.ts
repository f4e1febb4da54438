// The entry of every weft worker on Deno.
import { workerData } from "node:worker_threads";
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/pool/worker.js";
import { publishForBundles } from "../js/entry.js";
import * as api from "../js/index.js";
import * as internal from "../js/internal.js";
import { answerProbes } from "./heap_watchdog.js";
import { denoRuntime } from "./runtime.js";

answerProbes(workerData);
installRuntime(denoRuntime);
publishForBundles(api, internal);
workerMain();
