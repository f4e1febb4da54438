// The entry of every weft worker on Bun.
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/worker_main.js";
import { bunRuntime } from "./runtime.js";

installRuntime(bunRuntime);
workerMain();
