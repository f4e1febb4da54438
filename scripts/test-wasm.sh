#!/usr/bin/env bash
# Runs the glue crate's #[wasm_bindgen_test]s inside the threaded module, headless on Node 24
# (wasm-bindgen-test-runner picks `node` from PATH; the system one may be too old).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/wasm-flags.sh
export PATH="$root/node_modules/node24/bin:$WASM_BINDGEN_BIN:$PATH"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
RUSTFLAGS="$WASM_RUSTFLAGS" cargo test -p weft-wasm --target wasm32-unknown-unknown \
  --lib --tests -Z build-std=panic_abort,std "$@"
