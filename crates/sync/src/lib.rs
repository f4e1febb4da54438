//! Synchronisation state machines on shared 32-bit words: a mutex, a counting semaphore, a
//! readers–writer lock, a condition variable, a barrier, a wait group, a bounded channel and a
//! counter, usable from Rust inside the Wasm
//! module (blocking, in workers) and, step by step, from JS threads that cannot block
//! (`Atomics.waitAsync`).
//!
//! Every primitive is a view over words it borrows, split into non-blocking steps
//! (`try_lock`, `lock_step` → [`Step`], `unlock` → "wake?"). The blocking Rust paths run the
//! very same steps and sleep through a [`Futex`]. No wake-up hands anything to a particular
//! waiter. Every wake-up wakes all waiters of a word, so that a waiter that gave up or vanished
//! never holds others up, except the mutex's unlock, which wakes one and is passed along by the
//! waiter it wakes (see [`RawMutex`] for how a vanished waiter's swallowed wake-up is passed on).
//!
//! | primitive | words | engine |
//! |---|---|---|
//! | [`RawMutex`] | 1 | its own (lock bit, parked bit, fairness bit) |
//! | [`RawSemaphore`] | 2: state, capacity | the permit engine: reservation with a heartbeat lease |
//! | [`RawRwLock`] | 1 | the permit engine with [`MAX_READERS`] permits: readers take 1, a writer all |
//! | [`RawBarrier`] | 2: state, parties | its own (arrivals, generation) |
//! | [`RawWaitGroup`] | 1 | its own (count, epoch) |
//! | [`RawCondvar`] | 1 | its own (sequence, parked bit), with a [`RawMutex`] |
//! | [`RawChannel`] | 6 + capacity | a ring of handles under a spin lock, two wait words |
//! | [`Counter`] | 1 | a checked counter, nothing waits on it |

// `memory_atomic_wait32`/`memory_atomic_notify` are still unstable (rust-lang/rust#77839); threaded
// Wasm needs nightly for `-Z build-std` anyway.
#![cfg_attr(
    all(target_arch = "wasm32", target_feature = "atomics", not(loom)),
    feature(stdarch_wasm_atomic_wait)
)]

mod atomic;
mod barrier;
mod channel;
mod condvar;
mod counter;
mod doc_example;
mod error;
mod futex;
mod mutex;
mod rwlock;
mod semaphore;
mod step;
mod wait_group;

pub use atomic::AtomicU32;
pub use barrier::{
    Arrival, BarrierAttempt, BarrierWaitResult, BarrierWords, RawBarrier, Withdrawal, MAX_PARTIES,
};
pub use channel::{
    ChannelStorage, CloseWake, RawChannel, RecvStep, SendStep, TryRecv, TrySend,
    CHANNEL_HEADER_WORDS, MAX_CHANNEL_CAPACITY,
};
pub use condvar::{CondvarAttempt, RawCondvar};
pub use counter::Counter;
pub use error::SyncError;
#[cfg(loom)]
pub use futex::LoomFutex;
#[cfg(all(target_arch = "wasm32", target_feature = "atomics", not(loom)))]
pub use futex::WasmFutex;
pub use futex::{Clock, Futex, WaitResult, WAKE_ALL};
#[cfg(not(any(loom, target_arch = "wasm32")))]
pub use futex::{ParkingFutex, StdClock};
pub use mutex::{LockAttempt, RawMutex, FAIR_AFTER};
pub use rwlock::{RawRwLock, MAX_READERS};
pub use semaphore::{AcquireAttempt, RawSemaphore, SemaphoreWords, MAX_PERMITS};
pub use step::{Park, Step, GRACE, GRACE_MS};
pub use wait_group::{RawWaitGroup, WaitAttempt, MAX_WAIT_COUNT};
