// A call site for weft's build-time transform: bench/run.mjs builds it with weft/esbuild (weft left
// external, so the bench's own weft runs it) into bench/.built/site.mjs before the benchmarks.
import { spawn } from "weft";

/** One transformed round-trip: `i + 1` computed in a worker. */
export const built = (i) => eval(spawn(() => i + 1));
