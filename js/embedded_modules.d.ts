// The modules weft's build plugins provide to the `embedded` package entries (see core/embedded.ts).
declare module "weft:embedded/wasm" {
  /** The core's `.wasm`, base64. */
  const wasm: string;
  export default wasm;
}
declare module "weft:embedded/worker" {
  /** The runtime's worker entry as one self-contained ES module. */
  const source: string;
  export default source;
}
