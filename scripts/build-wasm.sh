#!/usr/bin/env bash
# Builds the threaded Wasm module and its JS glue into js/wasm/ (generated, git-ignored):
#   cargo (wasm32, atomics, build-std) -> wasm-bindgen --target web -> wasm-opt (npm binaryen).
# The web target's glue exposes initSync({ module, memory, thread_stack_size }), which is what lets
# a worker join an existing memory; the nodejs/deno targets cannot.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/wasm-flags.sh
out=js/wasm

RUSTFLAGS="$WASM_RUSTFLAGS" cargo build -p weft-wasm --release --target wasm32-unknown-unknown \
  -Z build-std=panic_abort,std

rm -rf "$out.tmp" && mkdir -p "$out.tmp"
"$WASM_BINDGEN_BIN/wasm-bindgen" target/wasm32-unknown-unknown/release/weft_wasm.wasm \
  --target web --out-dir "$out.tmp" --out-name weft \
  --remove-name-section --remove-producers-section
node_modules/.bin/wasm-opt "$out.tmp/weft_bg.wasm" -o "$out.tmp/weft_bg.wasm" -Oz \
  --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
  --enable-sign-ext
rm -rf "$out" && mv "$out.tmp" "$out"
ls -l "$out"/weft_bg.wasm >&2
