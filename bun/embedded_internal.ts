// `weft/_internal` in an application that bundles weft with its build plugins.
import "./embedded.js";

export * from "../js/internal.js";
