#!/usr/bin/env bash
# Builds the threaded Wasm module and its JS glue into js/wasm/ (generated, git-ignored):
#   cargo (wasm32, atomics, build-std) -> wasm-bindgen --target web -> wasm-opt (npm binaryen).
# The web target's glue exposes initSync({ module, memory, thread_stack_size }), which is what lets
# a worker join an existing memory; the nodejs/deno targets cannot.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/toolchain.env
tools=${WEFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-tools}
wasm_bindgen="$tools/wasm-bindgen-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
out=js/wasm

# Without --shared-memory the linker silently produces an unshared memory (the failure only shows
# later as a DataCloneError when the memory is posted to a worker). The TLS exports let the glue
# give each worker its own thread-local block.
link_args=(
  --shared-memory "--max-memory=$WASM_MAX_MEMORY" --import-memory
  --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base
  "-zstack-size=$WASM_STACK_SIZE"
)
rustflags="-C target-feature=+atomics,+bulk-memory,+mutable-globals"
for a in "${link_args[@]}"; do rustflags+=" -C link-arg=$a"; done

RUSTFLAGS="$rustflags" cargo build -p weft-wasm --release --target wasm32-unknown-unknown \
  -Z build-std=panic_abort,std

rm -rf "$out.tmp" && mkdir -p "$out.tmp"
"$wasm_bindgen" target/wasm32-unknown-unknown/release/weft_wasm.wasm \
  --target web --out-dir "$out.tmp" --out-name weft \
  --remove-name-section --remove-producers-section
node_modules/.bin/wasm-opt "$out.tmp/weft_bg.wasm" -o "$out.tmp/weft_bg.wasm" -Oz \
  --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
  --enable-sign-ext
rm -rf "$out" && mv "$out.tmp" "$out"
ls -l "$out"/weft_bg.wasm >&2
