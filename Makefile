# weft — build, test and demo. `make demo` and `make test` work on a fresh machine: they install
# what is missing (scripts/setup.sh), build what changed, and run.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-builtin-rules

NODE24 := node_modules/node24/bin/node
NODE22 := node_modules/node22/bin/node
TSC := $(NODE24) node_modules/typescript/bin/tsc

RUST_SOURCES := Cargo.toml $(wildcard Cargo.lock) rust-toolchain.toml scripts/toolchain.env \
  $(shell find crates -name '*.rs' -o -name Cargo.toml | grep -v /tests/fixtures/)
TS_SOURCES := tsconfig.json js/tsconfig.json $(shell find js node deno bun -name '*.ts' -not -path 'js/wasm/*')

.PHONY: build setup wasm ts package local-install test test-wasm demo bench clean

setup: build/.setup-stamp
build/.setup-stamp: scripts/setup.sh scripts/toolchain.env rust-toolchain.toml package.json package-lock.json
	@scripts/setup.sh
	@mkdir -p build && touch $@

wasm: js/wasm/weft_bg.wasm
js/wasm/weft_bg.wasm: scripts/build-wasm.sh scripts/wasm-flags.sh $(RUST_SOURCES) | build/.setup-stamp
	scripts/build-wasm.sh

ts: build/.ts-stamp
build/.ts-stamp: js/wasm/weft_bg.wasm $(TS_SOURCES) | build/.setup-stamp
	rm -rf build/ts
	$(TSC) -p js/tsconfig.json
	$(TSC) -p tsconfig.json
	@touch $@

package: dist/npm/package.json
dist/npm/package.json: build/.ts-stamp scripts/assemble.mjs scripts/bun-bytecode.mjs $(wildcard pkg-templates/*)
	$(NODE24) scripts/assemble.mjs

build: package

# The package as an application would install it, for the tests and the examples.
local-install: tests/node_modules/weft/package.json examples/node_modules/weft/package.json bench/node_modules/weft/package.json
%/node_modules/weft/package.json: dist/npm/package.json
	rm -rf $*/node_modules/weft && mkdir -p $*/node_modules && cp -R dist/npm $*/node_modules/weft

test: package local-install
	scripts/test.sh

# The glue's wasm-bindgen tests alone (Node 24 and Deno).
test-wasm: | build/.setup-stamp
	scripts/test-wasm.sh

# Benchmarks on Node 24, Deno and Bun: writes bench/results.md and bench/results.json.
bench: package local-install bench/node_modules/weft/package.json
	$(NODE24) bench/run.mjs

# Long checks, not part of `make test`, on Node 22, Node 24, Deno and Bun: 1,000,000 tasks (memory
# printed every 100,000), 10,000 distinct call sites, and the pool filled to the shared memory's
# capacity (tests/faults/soak.mjs).
.PHONY: soak
soak: package local-install
	$(NODE24) tests/faults/soak.mjs

demo: package local-install
	$(NODE24) examples/mandelbrot.mjs

clean:
	rm -rf build dist js/wasm target tests/node_modules/weft examples/node_modules/weft bench/node_modules/weft

# Long random fuzzing of the analyzer, not part of `make test` (which runs the same property tests
# from a fixed seed): the release profile, so debug assertions are off as in the `.wasm`. Prints the
# seed (FUZZ_SEED=<seed> replays a run; FUZZ_CASES sets the number of cases per property) and a
# summary. Failures are recorded in crates/analyzer/proptest-regressions/robustness.txt; keep the
# input printed with them under crates/analyzer/tests/fixtures/fuzz/.
.PHONY: fuzz
fuzz:
	@seed=$${FUZZ_SEED:-$$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}; \
	cases=$${FUZZ_CASES:-1000000}; \
	echo "fuzz: seed $$seed, $$cases cases per property (replay: make fuzz FUZZ_SEED=$$seed)"; \
	PROPTEST_RNG_SEED=$$seed PROPTEST_CASES=$$cases cargo test --release -p weft-analyzer \
	  --test robustness never_panic -- --nocapture \
	  || { echo "fuzz: seed $$seed FAILED (replay: make fuzz FUZZ_SEED=$$seed)"; exit 1; }; \
	echo "fuzz: seed $$seed passed"
