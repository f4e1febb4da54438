// The entry of every weft worker on Deno.
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/pool/worker.js";
import { denoRuntime } from "./runtime.js";

installRuntime(denoRuntime);
workerMain();
