/**
 * weft: real parallelism for server-side JavaScript and TypeScript.
 *
 * The public API. Each runtime's package entry (`node/mod.ts`, `deno/mod.ts`, `bun/mod.ts`)
 * installs its adapter, loads the threaded core, and re-exports this module.
 * @module
 */

export { WeftError, type WeftErrorCode } from "./errors.js";
export { VERSION as version } from "./version.js";
