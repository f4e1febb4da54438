//! Diagnostics for weft's own Rust tests (`tests/glue.rs`): tight loops over one word and a CPU-bound
//! count inside the module. Compiled only with the `diagnostics` feature, which the crate's tests
//! enable and the release build does not, so none of this ships in the `.wasm`.

use std::sync::atomic::{AtomicU32, Ordering};
use wasm_bindgen::prelude::*;

fn word(addr: u32) -> Result<&'static AtomicU32, JsError> {
    if addr == 0 || !addr.is_multiple_of(4) {
        return Err(JsError::new(&format!(
            "Cannot use word: received address {addr}"
        )));
    }
    // SAFETY: the caller passes an address from `allocWords` that stays allocated while the loop
    // runs; `AtomicU32` has the alignment (4) checked above and the size of the word.
    Ok(unsafe { &*(addr as usize as *const AtomicU32) })
}

/// Adds 1 to the word `count` times with atomic read-modify-writes. Returns the final value seen.
#[wasm_bindgen(js_name = diagAtomicIncrements)]
pub fn diag_atomic_increments(addr: u32, count: u32) -> Result<u32, JsError> {
    let w = word(addr)?;
    let mut last = 0;
    for _ in 0..count {
        // Relaxed: only the count matters; no other memory is published through this word.
        last = w.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    }
    Ok(last)
}

/// The control for [`diag_atomic_increments`]: the same loop with a separate load and store, so
/// concurrent increments from other threads get lost when the threads overlap.
#[wasm_bindgen(js_name = diagPlainIncrements)]
pub fn diag_plain_increments(addr: u32, count: u32) -> Result<u32, JsError> {
    let w = word(addr)?;
    let mut last = 0;
    for _ in 0..count {
        // Relaxed load + store, deliberately not a read-modify-write: each is atomic on its own
        // (no data race in the Rust sense) but the pair is not, which is what the control shows.
        let v = w.load(Ordering::Relaxed);
        last = v.wrapping_add(1);
        w.store(last, Ordering::Relaxed);
    }
    Ok(last)
}

/// The number of primes in `[from, to)` by trial division: deterministic CPU work inside the
/// module for the glue's tests. Pure computation, no shared state.
#[wasm_bindgen(js_name = countPrimes)]
pub fn count_primes(from: u32, to: u32) -> u32 {
    (from..to).filter(|&n| is_prime(n)).count() as u32
}

fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3u32;
    while d.saturating_mul(d) <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_below_100() {
        assert_eq!(count_primes(0, 100), 25);
        assert_eq!(count_primes(2, 3), 1);
        assert_eq!(count_primes(90, 97), 0);
    }
}
