//! Blocking wait and wake on a word: the one thing the blocking Rust paths need from the platform.
//!
//! The state machines never block by themselves; they return [`crate::Step::Wait`] and the
//! blocking helpers (`RawMutex::lock`, `RawSemaphore::acquire`, …) hand that to a [`Futex`]. The
//! implementations are:
//!
//! | type | where | how |
//! |---|---|---|
//! | `WasmFutex` | `wasm32` with `target_feature = "atomics"` | `memory.atomic.wait32` / `memory.atomic.notify` |
//! | `ParkingFutex` | native `std` (tests, tools) | a FIFO queue per address, hashed into a fixed table |
//! | `LoomFutex` | `--cfg loom` | the same FIFO queue on loom's `Mutex` + `Condvar` |
//!
//! All of them have the semantics of the Wasm instructions: waiters for an address form a FIFO
//! queue, `wake(n)` removes and wakes the first `n`, and a wait may also return spuriously.

use core::time::Duration;

use crate::atomic::AtomicU32;

#[cfg(loom)]
mod loom_futex;
#[cfg(not(any(loom, target_arch = "wasm32")))]
mod parking;
#[cfg(all(target_arch = "wasm32", target_feature = "atomics", not(loom)))]
mod wasm;

#[cfg(loom)]
pub use loom_futex::LoomFutex;
#[cfg(not(any(loom, target_arch = "wasm32")))]
pub use parking::{ParkingFutex, StdClock};
#[cfg(all(target_arch = "wasm32", target_feature = "atomics", not(loom)))]
pub use wasm::WasmFutex;

/// The `count` for [`Futex::wake`] that wakes every waiter (what `Atomics.notify(view, index)`
/// does when its count is left out).
pub const WAKE_ALL: u32 = u32::MAX;

/// Why [`Futex::wait`] returned. The state machines treat every outcome alike (step again); the
/// distinction is for tests and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// Removed from the queue by a `wake` (or returned spuriously).
    Woken,
    /// The word did not hold `expected`; the caller did not sleep.
    Mismatch,
    /// The timeout elapsed.
    TimedOut,
}

/// Sleep and wake on the address of a 32-bit word.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use std::time::Duration;
/// use weft_sync::{AtomicU32, Futex, ParkingFutex, WaitResult};
///
/// let word = AtomicU32::new(7);
/// // The word is not 6: no sleep at all.
/// assert_eq!(ParkingFutex.wait(&word, 6, None), WaitResult::Mismatch);
/// assert_eq!(
///     ParkingFutex.wait(&word, 7, Some(Duration::from_millis(1))),
///     WaitResult::TimedOut
/// );
/// assert_eq!(ParkingFutex.wake(&word, 1), 0);
/// # }
/// ```
pub trait Futex {
    /// Sleeps while `word` holds `expected`, until woken by [`Futex::wake`] on the same word or
    /// until `timeout` (`None`: no timeout) elapses. Checking the value and joining the queue are
    /// one atomic step with respect to `wake`.
    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult;

    /// Wakes up to `count` waiters of `word`, oldest first, and returns how many were woken.
    fn wake(&self, word: &AtomicU32, count: u32) -> u32;
}

/// A monotonic clock, needed only by the blocking helpers that take a timeout.
///
/// Rust on `wasm32-unknown-unknown` has no clock of its own; the glue can implement this with
/// `performance.now()`.
pub trait Clock {
    /// Time since an arbitrary, fixed origin. Never decreases.
    fn now(&self) -> Duration;
}
