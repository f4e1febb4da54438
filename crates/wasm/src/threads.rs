//! Counting live workers across the whole process tree.
//!
//! The counters are statics of the module, so they live in the shared memory and every thread
//! (main, workers, workers' workers) updates the same words.
//!
//! | word        | meaning                                                     |
//! |-------------|-------------------------------------------------------------|
//! | `LIVE`      | workers that joined the module and have not ended yet      |
//! | `WARNED`    | 0 until one thread has warned about too many workers, then 1 |
//!
//! Orderings: `LIVE` is a statistic read for a warning; no other memory is published through it,
//! so `Relaxed` suffices. `WARNED` is a one-shot flag: `swap` is a single read-modify-write, so
//! exactly one thread sees the 0 whatever the ordering (`Relaxed`).

use std::sync::atomic::{AtomicU32, Ordering};
use wasm_bindgen::prelude::*;

static LIVE: AtomicU32 = AtomicU32::new(0);
static WARNED: AtomicU32 = AtomicU32::new(0);

/// Records a worker that joined. Returns true for exactly one call in the process tree: the
/// first that takes the count above `limit`, which should warn.
#[wasm_bindgen(js_name = workerStarted)]
pub fn worker_started(limit: u32) -> bool {
    let live = LIVE.fetch_add(1, Ordering::Relaxed) + 1;
    live > limit && WARNED.swap(1, Ordering::Relaxed) == 0
}

/// Records a worker that ended (closed, killed or crashed).
#[wasm_bindgen(js_name = workerEnded)]
pub fn worker_ended() {
    // Saturating: a decrement without a matching increment must not wrap to u32::MAX.
    let _ = LIVE.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
}

/// Workers alive in the process tree now.
#[wasm_bindgen(js_name = liveWorkers)]
pub fn live_workers() -> u32 {
    LIVE.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_warns_once() {
        let base = live_workers();
        let limit = base + 2;
        assert!(!worker_started(limit));
        assert!(!worker_started(limit));
        assert!(worker_started(limit));
        assert!(!worker_started(limit));
        assert_eq!(live_workers(), base + 4);
        for _ in 0..4 {
            worker_ended();
        }
        assert_eq!(live_workers(), base);
    }
}
