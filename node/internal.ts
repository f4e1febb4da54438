// `weft/_internal` on Node.js: the package entry's steps, then the unstable internals.
import "./mod.js";

export * from "../js/internal.js";
