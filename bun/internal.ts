// `weft/_internal` on Bun: the package entry's steps, then the unstable internals (js/internal.ts),
// listed for the reason given in ./mod.ts.
import "./mod.js";
import { loadPackage } from "./load.js";

export const {
  BUNDLED_API,
  closureAt,
  core,
  coreMemory,
  decodeBase64,
  Histogram,
  isCoreReady,
  memoryBytes,
  rootPool,
  runBuilt,
  runtime,
  spinPolicy,
  words,
  wordsAt,
  WORKER_STACK_SIZE,
  WorkerHost,
} = loadPackage(import.meta.url).internal;
