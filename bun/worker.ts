// The entry of every weft worker on Bun.
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/pool/worker.js";
import { bunRuntime } from "./runtime.js";

installRuntime(bunRuntime);
workerMain();
