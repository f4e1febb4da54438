#!/usr/bin/env bash
# Installs what building and testing weft needs, skipping what is already in place:
#   - the Rust toolchain pinned in rust-toolchain.toml, with rust-src, rustfmt, clippy and the
#     wasm32 target;
#   - wasm-bindgen-cli and wasm-pack at the versions in scripts/toolchain.env, into a tools cache
#     shared by checkouts ($WEFT_TOOLS_DIR, default ~/.cache/weft-tools);
#   - the npm dev dependencies pinned in package-lock.json (Node 22 and 24, Deno, Bun, binaryen,
#     typescript, esbuild), when package-lock.json changed since the last install.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=toolchain.env
. scripts/toolchain.env

say() { printf 'setup: %s\n' "$*" >&2; }

if ! command -v rustup >/dev/null 2>&1; then
  say "rustup is required and was not found on PATH; install it from your OS packages or rustup.rs"
  exit 1
fi
channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup run "$channel" rustc --print sysroot >/dev/null 2>&1 \
  || ! [ -d "$(rustup run "$channel" rustc --print sysroot)/lib/rustlib/src/rust/library" ] \
  || ! [ -d "$(rustup run "$channel" rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ] \
  || ! rustup run "$channel" cargo fmt --version >/dev/null 2>&1 \
  || ! rustup run "$channel" cargo clippy --version >/dev/null 2>&1; then
  say "installing Rust $channel with rust-src, rustfmt, clippy and wasm32-unknown-unknown"
  rustup toolchain install "$channel" --profile minimal --component rust-src,rustfmt,clippy \
    --target wasm32-unknown-unknown
fi

tools=${WEFT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-tools}
wb_root="$tools/wasm-bindgen-$WASM_BINDGEN_VERSION"
if ! "$wb_root/bin/wasm-bindgen" --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION into $wb_root (several minutes, once)"
  # Not --locked: the CLI's lockfile names a webpki-roots release the registry no longer serves.
  cargo +"$channel" install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$wb_root" --force
fi
wp_root="$tools/wasm-pack-$WASM_PACK_VERSION"
if ! "$wp_root/bin/wasm-pack" --version 2>/dev/null | grep -q " $WASM_PACK_VERSION\$"; then
  say "installing wasm-pack $WASM_PACK_VERSION into $wp_root (several minutes, once)"
  cargo +"$channel" install wasm-pack --version "$WASM_PACK_VERSION" --locked --root "$wp_root" \
    --force
fi

stamp=node_modules/.weft-install-stamp
if ! [ -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "installing npm dev dependencies (runtimes, binaryen, typescript, esbuild)"
  # `npm ci` installs exactly package-lock.json and never rewrites it (the lockfile lists every
  # platform's optional binaries of deno, bun and esbuild; npm picks this machine's).
  npm ci --no-audit --no-fund --foreground-scripts
  cp package-lock.json "$stamp"
fi
