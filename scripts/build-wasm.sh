#!/usr/bin/env bash
# Builds the threaded Wasm module and its JS glue into js/wasm/ (generated, git-ignored):
#   wasm-pack build (cargo for wasm32 with atomics and build-std, then wasm-bindgen --target web)
#   -> wasm-opt from the npm `binaryen` package (strips the names and producers sections).
# The web target's glue exposes initSync({ module, memory, thread_stack_size }), which is what lets
# a worker join an existing memory; the nodejs/deno targets cannot.
#
# wasm-pack never downloads anything here: `--mode no-install` makes it take the wasm-bindgen CLI
# found first on PATH (the pinned one from the tools cache, which it checks against Cargo.lock) and
# fail rather than fetch another; its own wasm-opt is off (`--no-opt`, and `wasm-opt = false` in
# crates/wasm/Cargo.toml) because the binaryen it would fetch is not the pinned one. The panic
# strategy comes from scripts/wasm-flags.sh (RUSTFLAGS and WASM_BUILD_STD), not from wasm-pack's
# `--panic-unwind`, which runs `cargo +nightly` (not the toolchain pinned in rust-toolchain.toml)
# and has rustup install that toolchain when it is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/wasm-flags.sh
out=js/wasm
wasm_pack="$WASM_PACK_BIN/wasm-pack"

stage=$(mktemp -d "${TMPDIR:-/tmp}/weft-wasm.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# WASM_PACK_CACHE: where wasm-pack would put downloaded tools; an empty scratch directory, so
# nothing from an earlier download can be picked up either.
PATH="$WASM_BINDGEN_BIN:$PATH" RUSTFLAGS="$WASM_RUSTFLAGS" WASM_PACK_CACHE="$stage/cache" \
  "$wasm_pack" --log-level warn build crates/wasm --release --target web --mode no-install \
  --no-pack --no-gitignore --no-opt --out-dir "$stage/out" --out-name weft \
  -- -Z "build-std=$WASM_BUILD_STD"
if [ -e "$stage/cache" ]; then
  echo "build-wasm: wasm-pack downloaded $(ls "$stage/cache") into its cache;" \
    "it must use the pinned wasm-bindgen and no wasm-opt (see the top of this script)" >&2
  exit 1
fi

# Besides the features named here, wasm-opt enables every feature listed in the module's
# target_features section (e.g. exception handling when panics unwind).
#
# A function with one caller is inlined into it only while small (300, binaryen's measure of a
# function's size). Inlined whatever their size, as binaryen does by default, the steps of the
# analyzer's module generation became one 54 KB function at the `generateModule` export, which
# V8's baseline compiler took 4-7 ms to compile on its first call (its time grows faster than a
# function's size). Capped, the largest function is 23 KB, and in fresh Node and Deno processes
# the first generation of a small module took 5.4-5.5 ms instead of 10.4-10.5 (README, "Analyzer
# first use", has the other figures).
node_modules/.bin/wasm-opt "$stage/out/weft_bg.wasm" -o "$stage/out/weft_bg.wasm" -Oz \
  --strip-debug --strip-producers --one-caller-inline-max-function-size 300 \
  --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
  --enable-sign-ext
rm -rf "$out" && mkdir -p "$out"
for f in weft.js weft.d.ts weft_bg.wasm weft_bg.wasm.d.ts; do cp "$stage/out/$f" "$out/"; done
ls -l "$out"/weft_bg.wasm >&2
