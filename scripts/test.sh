#!/usr/bin/env bash
# Every test on every supported runtime:
#   0. rustfmt and clippy (warnings are errors) on the workspace;
#   1. native Rust tests of the workspace (analyzer fixtures, sync state machines, glue);
#   2. the glue crate's wasm-bindgen tests, inside the threaded module, headless on Node 24;
#   3. the public type declarations, checked against a strict usage file, and the JSR build with
#      `deno check` and a spawn through it on Deno (tests/jsr/smoke.js);
#   4. the cross-runtime JS suite (tests/*.test.js) on Node 22, Node 24, Deno and Bun, against
#      dist/npm installed as tests/node_modules/weft (by `make local-install`).
# Fails when any step fails; the last line is the JS suite's "N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/toolchain.env

echo "== cargo fmt --check, cargo clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "rust lints: ok"

echo "== cargo test (native)"
log=$(mktemp)
if cargo test --workspace >"$log" 2>&1; then
  grep -E '^test result' "$log"
  rm -f "$log"
else
  cat "$log"
  exit 1
fi

echo "== wasm-bindgen tests (crates/wasm, threaded, Node 24)"
scripts/test-wasm.sh

echo "== public types (tests/types/usage.ts, tsc --strict)"
node_modules/node24/bin/node node_modules/typescript/bin/tsc -p tests/types/tsconfig.json
echo "types: ok"

echo "== JSR package (deno check of dist/jsr, then a spawn through it on Deno)"
(cd dist/jsr && ../../node_modules/.bin/deno check --quiet deno/mod.js)
node_modules/.bin/deno run -A tests/jsr/smoke.js
echo "jsr: ok"

echo "== cross-runtime suite"
node_modules/node24/bin/node tests/run.mjs "$@"
