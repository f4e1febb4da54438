//! The wasm-bindgen surface of weft: the one threaded module that the main thread loads and every
//! worker joins over the same shared `WebAssembly.Memory`.
//!
//! This crate holds glue only. Logic lives in `weft-analyzer` and `weft-sync`; each module here
//! converts arguments, calls into them, and converts results.
//!
//! Addresses crossing the boundary are byte offsets into the shared memory (`u32`), always 4-byte
//! aligned for words. JS derives `Int32Array` indices as `addr >>> 2`.

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
compile_error!(
    "weft-wasm must be built with `-C target-feature=+atomics,+bulk-memory,+mutable-globals`, \
     `-C panic=unwind -C target-feature=+exception-handling` and `-Z build-std=panic_unwind,std`; \
     use `make wasm`, which passes them"
);

mod analyzer;
mod channel;
#[cfg(feature = "diagnostics")]
mod diag;
mod memory;
mod structs;
mod sync;
mod threads;

pub use analyzer::{analyze_call_site, generate_module, new_expression_at};
pub use channel::*;
#[cfg(feature = "diagnostics")]
pub use diag::{count_primes, diag_atomic_increments, diag_plain_increments};
pub use memory::{
    alloc_line_words, alloc_words, free_line_words, free_words, release_shared, reserve_shared,
    set_shared_budget, SHARED_MEMORY_EXHAUSTED,
};
pub use structs::*;
pub use sync::*;
pub use threads::{live_workers, worker_ended, worker_started};

use wasm_bindgen::prelude::*;

/// A fingerprint of the analyzer's sources and locked dependencies (`build.rs`): what keys the
/// persistent analysis cache, so that results of one build are never used by another.
#[wasm_bindgen(js_name = analyzerFingerprint)]
pub fn analyzer_fingerprint() -> String {
    env!("WEFT_ANALYZER_FINGERPRINT").to_owned()
}

/// The crate version, so JS can check that the loaded .wasm matches its glue.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
