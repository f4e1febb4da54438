/** weft's version; the build checks it against Cargo.toml and the package templates. */
export const VERSION = "0.1.0";
