//! The glue's exports, run inside the threaded module by wasm-bindgen-test-runner on Node.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;
use weft_wasm::{alloc_words, core_version, count_primes, diag_atomic_increments, diag_plain_increments, free_words};

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(core_version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn words_are_zeroed_aligned_and_reusable() {
    let a = alloc_words(4).unwrap();
    assert_eq!(a % 4, 0);
    // SAFETY: `a` points at 4 words just allocated for this test.
    let slice = unsafe { std::slice::from_raw_parts(a as usize as *const u32, 4) };
    assert_eq!(slice, &[0, 0, 0, 0]);
    assert_eq!(diag_atomic_increments(a, 1000).unwrap(), 1000);
    assert_eq!(diag_plain_increments(a, 24).unwrap(), 1024);
    free_words(a, 4).unwrap();
}

#[wasm_bindgen_test]
fn bad_counts_and_addresses_are_errors() {
    assert!(alloc_words(0).is_err());
    assert!(free_words(0, 1).is_err());
    assert!(free_words(6, 1).is_err());
    assert!(diag_atomic_increments(2, 1).is_err());
}

#[wasm_bindgen_test]
fn primes() {
    assert_eq!(count_primes(0, 10_000), 1229);
}
