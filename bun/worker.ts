// The entry of every weft worker on Bun.
import { installRuntime } from "../js/runtime.js";
import { workerMain } from "../js/pool/worker.js";
import { publishForBundles } from "../js/entry.js";
import * as api from "../js/index.js";
import * as internal from "../js/internal.js";
import { bunRuntime } from "./runtime.js";

installRuntime(bunRuntime);
publishForBundles(api, internal);
workerMain();
