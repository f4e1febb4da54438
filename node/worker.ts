// The entry of every weft worker on Node.js.
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/pool/worker.js";
import { nodeRuntime } from "./runtime.js";

installRuntime(nodeRuntime);
workerMain();
