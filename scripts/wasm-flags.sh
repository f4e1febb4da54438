# Sourced by the build and test scripts: RUSTFLAGS for the threaded wasm32 module.
# Without --shared-memory the linker silently produces an unshared memory (the failure only shows
# later as a DataCloneError when the memory is posted to a worker). The TLS exports let the glue
# give each worker its own thread-local block.
# shellcheck source=toolchain.env
. "$(dirname "${BASH_SOURCE[0]}")/toolchain.env"
wasm_link_args=(
  --shared-memory "--max-memory=$WASM_MAX_MEMORY" --import-memory
  --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base
  "-zstack-size=$WASM_STACK_SIZE"
)
WASM_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals"
for a in "${wasm_link_args[@]}"; do WASM_RUSTFLAGS+=" -C link-arg=$a"; done
# Panics unwind, with Wasm exception handling, so that a panic in the analyzer is caught and
# reported for its call site (WEFT_ANALYZER_BUG) instead of trapping the module every thread shares;
# wasm-bindgen (>= 0.2.107) then turns any other panic in an export into a thrown PanicError.
# std is rebuilt to match: pass `-Z build-std=$WASM_BUILD_STD` to cargo.
WASM_RUSTFLAGS+=" -C panic=unwind -C target-feature=+exception-handling"
WASM_BUILD_STD=panic_unwind,std
WEFT_TOOLS_DIR=${WEFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-tools}
WASM_BINDGEN_BIN="$WEFT_TOOLS_DIR/wasm-bindgen-$WASM_BINDGEN_VERSION/bin"
WASM_PACK_BIN="$WEFT_TOOLS_DIR/wasm-pack-$WASM_PACK_VERSION/bin"
