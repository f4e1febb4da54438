// The entry of every weft worker on Node.js.
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/pool/worker.js";
import { publishForBundles } from "../js/entry.js";
import * as api from "../js/index.js";
import * as internal from "../js/internal.js";
import { nodeRuntime } from "./runtime.js";

installRuntime(nodeRuntime);
publishForBundles(api, internal);
workerMain();
