//! [`Futex`] for threaded Wasm: the `memory.atomic.wait32` / `memory.atomic.notify` instructions.

use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
use core::time::Duration;

use super::{Futex, WaitResult};
use crate::atomic::AtomicU32;

/// Waits with `memory.atomic.wait32` and wakes with `memory.atomic.notify`.
///
/// These wake JS `Atomics.wait`/`Atomics.waitAsync` waiters on the same address too, and are woken
/// by `Atomics.notify`.
///
/// # Panics
///
/// `wait` traps (it does not return) on a thread that may not block, such as a browser's main
/// thread. Use the step API from JS there.
#[derive(Clone, Copy, Debug, Default)]
pub struct WasmFutex;

impl Futex for WasmFutex {
    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
        let timeout_ns = match timeout {
            // Negative means "no timeout" to the instruction.
            None => -1,
            Some(t) => i64::try_from(t.as_nanos()).unwrap_or(i64::MAX),
        };
        // SAFETY: `word` is a live, 4-byte aligned `AtomicU32`, so its address is valid for the
        // atomic 32-bit access the instruction performs; the `i32` reinterpretation of the bits is
        // what the instruction compares.
        let ret = unsafe {
            memory_atomic_wait32(word.as_ptr().cast::<i32>(), expected as i32, timeout_ns)
        };
        match ret {
            0 => WaitResult::Woken,
            1 => WaitResult::Mismatch,
            _ => WaitResult::TimedOut,
        }
    }

    fn wake(&self, word: &AtomicU32, count: u32) -> u32 {
        // SAFETY: as in `wait`, the address is that of a live, aligned atomic word.
        unsafe { memory_atomic_notify(word.as_ptr().cast::<i32>(), count) }
    }
}
