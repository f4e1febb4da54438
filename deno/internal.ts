// `weft/_internal` on Deno: the package entry's steps, then the unstable internals.
import "./mod.js";

export * from "../js/internal.js";
