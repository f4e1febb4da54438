#!/usr/bin/env bash
# Every test on every supported runtime:
#   0. rustfmt and clippy (warnings are errors) on the workspace;
#   1. native Rust tests of the workspace (analyzer fixtures, sync state machines, glue);
#   2. the glue crate's wasm-bindgen tests, inside the threaded module, headless on Node 24
#      (wasm-pack test --node) and on Deno (scripts/test-wasm.sh);
#   2b. the analyzer's depth limit against the release module's real stacks, on all four runtimes;
#   3. the public type declarations, checked against a strict usage file, and the JSR build with
#      `deno check` and a spawn through it on Deno (tests/jsr/smoke.js);
#   4. packaging does not depend on where the checkout is: scripts/assemble.mjs, run in a copy
#      whose path contains dots, produces exactly dist/npm and dist/jsr;
#   5. the cross-runtime JS suite (tests/*.test.js) on Node 22, Node 24, Deno and Bun (the pinned
#      release and 1.4.3, see tests/run.mjs), against
#      dist/npm installed as tests/node_modules/weft (by `make local-install`).
# Each step ends with one line saying what it checked; the last line is the JS suite's
# "N passed, N failed". Fails when any step fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/toolchain.env
node24=node_modules/node24/bin/node

echo "== cargo fmt --check, cargo clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "rust lints: ok"

echo "== cargo test (native)"
log=$(mktemp)
# INSTA_UPDATE=no: a snapshot that differs fails without writing a .snap.new into the tree.
if INSTA_UPDATE=no cargo test --workspace >"$log" 2>&1; then
  grep -E '^test result' "$log"
  # Sums the "test result: ok. N passed; N failed; N ignored; ..." lines.
  awk '/^test result:/ {
      for (i = 1; i < NF; i++) {
        if ($(i + 1) ~ /^passed/) p += $i
        if ($(i + 1) ~ /^failed/) f += $i
        if ($(i + 1) ~ /^ignored/) g += $i
      }
    }
    END { printf "cargo test (native): %d passed, %d failed, %d ignored\n", p, f, g }' "$log"
  rm -f "$log"
else
  cat "$log"
  exit 1
fi

echo "== wasm-bindgen tests (crates/wasm, threaded, Node 24 and Deno)"
scripts/test-wasm.sh

echo "== analyzer depth limit on the release module's stacks (crates/analyzer/tests/wasm_stack.mjs)"
stack_test=crates/analyzer/tests/wasm_stack.mjs
for rt in node22 node24 deno bun; do
  case $rt in
    node22) cmd=(node_modules/node22/bin/node "$stack_test") ;;
    node24) cmd=("$node24" "$stack_test") ;;
    deno) cmd=(node_modules/.bin/deno run -A "$stack_test") ;;
    bun) cmd=(node_modules/.bin/bun "$stack_test") ;;
  esac
  out=$("${cmd[@]}" 2>&1) || { echo "$out"; echo "wasm stack: FAILED on $rt" >&2; exit 1; }
  echo "$rt: $(echo "$out" | tail -1)"
done
echo "wasm stack: ok on node22, node24, deno, bun"

echo "== public types (tests/types/usage.ts, tsc --strict, skipLibCheck false, lib ES2022, no @types/node)"
$node24 node_modules/typescript/bin/tsc -p tests/types/tsconfig.json
# The same from CommonJS (module node16): `require("weft")` typed through js/index.d.cts.
$node24 node_modules/typescript/bin/tsc -p tests/types/tsconfig.cjs.json
echo "types: ok (ESM and CommonJS)"

echo "== JSR package (deno check, deno publish --dry-run and deno doc --lint of dist/jsr, then a spawn through it on Deno)"
# In a copy outside the checkout, so that nothing resolves through the checkout's node_modules:
# the package's own dependencies come from its jsr.json, as for a consumer.
jsr_copy=$(mktemp -d)
cp -R dist/jsr "$jsr_copy/jsr"
cp tests/jsr/smoke.js "$jsr_copy/smoke.js"
(cd "$jsr_copy/jsr" && "$root/node_modules/.bin/deno" check --quiet deno/mod.js)
# What JSR checks on publish: slow types, global augmentations. Its one warning is expected: the
# worker imports each generated module by a URL known only at run time.
if ! out=$(cd "$jsr_copy/jsr" && "$root/node_modules/.bin/deno" publish --dry-run --allow-dirty 2>&1); then
  echo "$out"
  echo "jsr: deno publish --dry-run failed" >&2
  exit 1
fi
# Every export documented, and no public type naming a private one.
if ! out=$(cd "$jsr_copy/jsr" && NO_COLOR=1 "$root/node_modules/.bin/deno" doc --lint deno/mod.js 2>&1); then
  echo "$out"
  echo "jsr: deno doc --lint failed" >&2
  exit 1
fi
(cd "$jsr_copy" && "$root/node_modules/.bin/deno" run -A --config jsr/jsr.json smoke.js ./jsr/deno/mod.js)
# The same layout imported from an http: URL, as jsr: imports load: the .wasm comes through the
# module graph, so the only permissions are importing from that host and reading the caller.
"$node24" tests/jsr/serve.mjs "$jsr_copy/jsr" >"$jsr_copy/serve.log" &
serve_pid=$!
for _ in $(seq 100); do grep -q serving "$jsr_copy/serve.log" && break; sleep 0.1; done
jsr_url=$(sed -n 's/^serving //p' "$jsr_copy/serve.log")
remote_ok=0
(cd "$jsr_copy" && "$root/node_modules/.bin/deno" run --quiet \
  "--allow-import=${jsr_url#http://}" "--allow-read=$jsr_copy/smoke.js" smoke.js "$jsr_url/deno/mod.js") || remote_ok=$?
kill "$serve_pid"
if [ "$remote_ok" != 0 ]; then echo "jsr: the package imported from $jsr_url failed" >&2; exit 1; fi
rm -rf "$jsr_copy"
echo "jsr: ok (checked, published dry, documented, run from a path and from an http: URL)"

echo "== packaging from a path with dots (scripts/assemble.mjs in a copy under build/weft.*.git/)"
# The copy is made of hard links (instant, and on one filesystem because it lives under build/),
# not symlinks: esbuild names every bundled module, ours and node_modules' alike, by its real path
# relative to the working directory, so the bundles only match when everything sits inside it.
dotted=$(mktemp -d "$root/build/weft.XXXXXX.git")
trap 'rm -rf "$dotted"' EXIT
mkdir -p "$dotted/scripts" "$dotted/build"
cp -al scripts/assemble.mjs scripts/bun-bytecode.mjs "$dotted/scripts/"
cp -al Cargo.toml js pkg-templates node_modules "$dotted/"
cp -al build/ts "$dotted/build/"
(cd "$dotted" && "$root/$node24" scripts/assemble.mjs >/dev/null)
for pkg in npm jsr; do
  if ! diff -r "dist/$pkg" "$dotted/dist/$pkg" >"$dotted/diff.txt"; then
    head -20 "$dotted/diff.txt"
    echo "packaging: dist/$pkg assembled under $dotted differs from dist/$pkg (lines above;" \
      "if dist/ is older than build/ts, run make package first)" >&2
    exit 1
  fi
done
npm_files=$(find dist/npm -type f | wc -l) jsr_files=$(find dist/jsr -type f | wc -l)
echo "packaging: the same $npm_files npm and $jsr_files jsr files from $dotted"

echo "== cross-runtime suite"
$node24 tests/run.mjs "$@"
