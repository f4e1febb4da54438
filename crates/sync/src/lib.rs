//! Synchronisation state machines on shared 32-bit words: a mutex, a counting semaphore and a
//! counter, usable from Rust inside the Wasm module (blocking, in workers) and, step by step, from
//! JS threads that cannot block (`Atomics.waitAsync`).
//!
//! Every primitive is a view over words it borrows, split into non-blocking steps
//! (`try_lock`, `lock_step` → [`Step`], `unlock` → "wake all?"). The blocking Rust paths run the
//! very same steps and sleep through a [`Futex`].

// `memory_atomic_wait32`/`memory_atomic_notify` are still unstable (rust-lang/rust#77839); threaded
// Wasm needs nightly for `-Z build-std` anyway.
#![cfg_attr(
    all(target_arch = "wasm32", target_feature = "atomics", not(loom)),
    feature(stdarch_wasm_atomic_wait)
)]

mod atomic;
mod counter;
mod doc_example;
mod error;
mod futex;
mod mutex;
mod semaphore;
mod step;

pub use atomic::AtomicU32;
pub use counter::Counter;
pub use error::SyncError;
#[cfg(loom)]
pub use futex::LoomFutex;
#[cfg(all(target_arch = "wasm32", target_feature = "atomics", not(loom)))]
pub use futex::WasmFutex;
pub use futex::{Clock, Futex, WaitResult, WAKE_ALL};
#[cfg(not(any(loom, target_arch = "wasm32")))]
pub use futex::{ParkingFutex, StdClock};
pub use mutex::{LockAttempt, RawMutex};
pub use semaphore::{AcquireAttempt, RawSemaphore, SemaphoreWords, MAX_PERMITS};
pub use step::{Park, Step, GRACE, GRACE_MS};
