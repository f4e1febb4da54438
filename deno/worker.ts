// The entry of every weft worker on Deno.
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/worker_main.js";
import { denoRuntime } from "./runtime.js";

installRuntime(denoRuntime);
workerMain();
