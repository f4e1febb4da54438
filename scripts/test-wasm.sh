#!/usr/bin/env bash
# Runs the glue crate's #[wasm_bindgen_test]s inside the threaded module, headless, with the pinned
# wasm-bindgen-test-runner:
#   - on Node 24 from node_modules, through `wasm-pack test --node` (the runner picks `node` from
#     PATH; the system one is too old);
#   - on Deno from node_modules, through `cargo test` with the runner and WASM_BINDGEN_USE_DENO=1
#     (see run_deno below for why not through wasm-pack).
# Extra arguments go to `cargo test` (e.g. a test name filter after `--`).
# Fails when a runtime ran no test; ends with one line:
#   "wasm-bindgen tests: node24 N passed, N failed; deno N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/wasm-flags.sh
wasm_pack="$WASM_PACK_BIN/wasm-pack"
build_std="build-std=$WASM_BUILD_STD"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Node 24. --mode no-install: the runner is the one beside the pinned wasm-bindgen CLI first on
# PATH; wasm-pack downloads nothing (see scripts/build-wasm.sh). `--lib --test '*'` leaves out the
# doctests, which rustdoc would compile without the atomics RUSTFLAGS.
run_node() {
  PATH="$root/node_modules/node24/bin:$WASM_BINDGEN_BIN:$PATH" RUSTFLAGS="$WASM_RUSTFLAGS" \
    WASM_PACK_CACHE="$scratch/wasm-pack-cache" \
    "$wasm_pack" --log-level warn test --node --mode no-install crates/wasm \
    -Z "$build_std" --lib --test '*' "$@"
}

# Deno. `wasm-pack test --node` sets WASM_BINDGEN_TEST_ONLY_NODE=1, with which the runner skips a
# Deno run and exits 0 without running a test; wasm-pack has no Deno mode, so cargo drives the
# runner directly. The runner's Deno script assigns `window.__wbg_test_invoke`, and Deno 2 has no
# `window` global (denoland/deno#13367): a `deno` first on PATH preloads `globalThis.window`.
run_deno() {
  mkdir -p "$scratch/deno-bin"
  cat >"$scratch/deno-bin/deno" <<EOF
#!/usr/bin/env bash
window='data:text/javascript,globalThis.window = globalThis;'
[ "\${1-}" = run ] && shift && set -- run --preload "\$window" "\$@"
exec "$root/node_modules/.bin/deno" "\$@"
EOF
  chmod +x "$scratch/deno-bin/deno"
  PATH="$scratch/deno-bin:$WASM_BINDGEN_BIN:$PATH" RUSTFLAGS="$WASM_RUSTFLAGS" \
    WASM_BINDGEN_USE_DENO=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p weft-wasm --target wasm32-unknown-unknown -Z "$build_std" --lib --test '*' "$@"
}

# Sums the runner's "test result: ok. N passed; N failed; ..." lines of one log.
count() {
  awk '/^test result:/ {
      for (i = 1; i < NF; i++) {
        if ($(i + 1) ~ /^passed/) p += $i
        if ($(i + 1) ~ /^failed/) f += $i
      }
    }
    END { printf "%d %d\n", p, f }' "$1"
}

status=0
summary=()
for runtime in node24 deno; do
  echo "-- $runtime"
  rc=0
  case $runtime in
    node24) run_node "$@" ;;
    deno) run_deno "$@" ;;
  esac 2>&1 | tee "$scratch/$runtime.log" || rc=$?
  read -r passed failed < <(count "$scratch/$runtime.log")
  summary+=("$runtime $passed passed, $failed failed")
  if [ "$rc" -ne 0 ]; then
    status=$rc
  elif [ "$passed" -eq 0 ]; then
    echo "test-wasm: no test ran on $runtime; the runner skipped every test binary" \
      "(its output is above)" >&2
    status=1
  fi
done
line="wasm-bindgen tests:" sep=" "
for s in "${summary[@]}"; do line+="$sep$s" sep="; "; done
echo "$line"
exit "$status"
