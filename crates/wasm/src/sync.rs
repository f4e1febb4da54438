//! Mutex and semaphore blocks for the JS `Mutex` and `Semaphore`, over `weft-sync`'s state
//! machines.
//!
//! Block layouts (32-bit words, allocated zeroed by [`crate::memory`], 4-byte aligned):
//!
//! | block     | word 0                 | word 1    | word 2         |
//! |-----------|------------------------|-----------|----------------|
//! | mutex     | lock word (`RawMutex`) | refcount  |                |
//! | semaphore | state (`RawSemaphore`) | capacity  | refcount       |
//!
//! The refcount counts JS objects, in any thread, that refer to the block; the last release frees
//! it. The wait word JS parks on with `Atomics.waitAsync` is always word 0.
//!
//! A step returns a [`StepOutcome`]; one that must wait stores what JS needs to wait in this
//! thread's [`LAST_STEP`]: the value to wait on and the attempt's new bits. Returning them through
//! getters avoids allocating an object per step.
//!
//! The values JS relies on ([`MutexWord`], [`StepOutcome`], [`grace_ms`]) are exported from here,
//! so the TypeScript side reads them from the glue instead of copying them.

use std::cell::Cell;
use std::sync::atomic::AtomicU32;

use wasm_bindgen::prelude::*;
use weft_sync::{AcquireAttempt, Counter, LockAttempt, RawMutex, RawSemaphore, Step, SyncError};

use crate::memory::{alloc_words, free_words};

/// A kind of block: `words` words, the last of which counts references.
#[derive(Clone, Copy)]
struct Block {
    words: u32,
}

const MUTEX: Block = Block { words: 2 };
const SEMAPHORE: Block = Block { words: 3 };

impl Block {
    fn refcount<'a>(self, addr: u32) -> Counter<'a> {
        Counter::new(word(addr + 4 * (self.words - 1)))
    }

    /// Allocates a zeroed block holding one reference.
    fn create(self) -> Result<u32, JsError> {
        let addr = alloc_words(self.words)?;
        self.refcount(addr)
            .increment()
            .expect("a fresh refcount is 0");
        Ok(addr)
    }

    fn retain(self, addr: u32) -> Result<(), JsValue> {
        self.refcount(addr)
            .increment()
            .map(|_| ())
            .map_err(sync_error)
    }

    /// Drops a reference; frees the block when it was the last. Returns true when freed.
    fn release(self, addr: u32) -> Result<bool, JsValue> {
        let left = self.refcount(addr).decrement().map_err(sync_error)?;
        if left == 0 {
            free_words(addr, self.words).map_err(JsValue::from)?;
        }
        Ok(left == 0)
    }
}

/// The two values of a mutex's lock word that JS's fast path compare-exchanges between: taking a
/// free mutex (`Unlocked` → `Locked`, `RawMutex::try_lock`) and releasing one nobody waits for
/// or is owed (`Locked` → `Unlocked`, the uncontended case of `RawMutex::unlock`). Every other
/// value goes through the state machine.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexWord {
    /// `RawMutex::UNLOCKED`.
    Unlocked = 0,
    /// `RawMutex::LOCKED`: held, nobody parked, nothing owed.
    Locked = 1,
}

// wasm-bindgen takes only literal discriminants: check them against the state machine's constants.
const _: () = assert!(
    MutexWord::Unlocked as u32 == RawMutex::UNLOCKED
        && MutexWord::Locked as u32 == RawMutex::LOCKED
);

/// What JS does after one step of a contended acquire: a [`Step`] without its payload, which JS
/// reads through `stepExpected()` and `stepAttempt()`.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The acquire succeeded.
    Acquired = 0,
    /// Wait on word 0 while it holds `stepExpected()`, without a bound.
    Wait = 1,
    /// The same, for at most `graceMs()` milliseconds (`weft_sync::Park::bounded`).
    WaitBounded = 2,
}

/// How long, in milliseconds, a `StepOutcome.WaitBounded` wait lasts at most
/// (`weft_sync::GRACE_MS`).
#[wasm_bindgen(js_name = graceMs)]
pub fn grace_ms() -> u32 {
    weft_sync::GRACE_MS
}

#[derive(Clone, Copy, Default)]
struct LastStep {
    expected: u32,
    attempt: u32,
}

thread_local! {
    static LAST_STEP: Cell<LastStep> = Cell::new(LastStep::default());
}

#[wasm_bindgen(typescript_custom_section)]
const SYNC_FAILURE: &str = r#"
/** What a failing sync export throws (a `weft_sync::SyncError`): JS turns it into a `WeftError`. */
export interface SyncFailure {
  /** The stable `WEFT_*` code of `SyncError::code`. */
  readonly code: string;
  /** What failed and why. */
  readonly message: string;
}
"#;

/// A `SyncFailure` (declared for TypeScript in [`SYNC_FAILURE`]) for JS to turn into a `WeftError`.
fn sync_error(error: SyncError) -> JsValue {
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"code".into(), &error.code().into());
    let _ = js_sys::Reflect::set(&out, &"message".into(), &error.to_string().into());
    out.into()
}

fn word<'a>(addr: u32) -> &'a AtomicU32 {
    // SAFETY: JS passes addresses of blocks from `mutexCreate`/`semaphoreCreate`, kept alive by the
    // refcount held by the calling JS object; words are 4-byte aligned and only accessed atomically.
    unsafe { &*(addr as usize as *const AtomicU32) }
}

/// Records a step's outcome for [`step_expected`] and [`step_attempt`].
fn record(step: Step, attempt: u32) -> StepOutcome {
    match step {
        Step::Acquired => {
            LAST_STEP.with(|s| {
                s.set(LastStep {
                    expected: 0,
                    attempt,
                })
            });
            StepOutcome::Acquired
        }
        Step::Wait(park) => {
            LAST_STEP.with(|s| {
                s.set(LastStep {
                    expected: park.expected,
                    attempt,
                })
            });
            if park.bounded {
                StepOutcome::WaitBounded
            } else {
                StepOutcome::Wait
            }
        }
    }
}

/// The value to wait on after the last step on this thread that returned a wait.
#[wasm_bindgen(js_name = stepExpected)]
pub fn step_expected() -> u32 {
    LAST_STEP.with(|s| s.get().expected)
}

/// The attempt bits to pass to the next step.
#[wasm_bindgen(js_name = stepAttempt)]
pub fn step_attempt() -> u32 {
    LAST_STEP.with(|s| s.get().attempt)
}

// ---- mutex ----

/// Allocates an unlocked mutex block with one reference.
#[wasm_bindgen(js_name = mutexCreate)]
pub fn mutex_create() -> Result<u32, JsError> {
    MUTEX.create()
}

/// Adds a reference to a mutex block (for an object in another thread).
#[wasm_bindgen(js_name = mutexRetain)]
pub fn mutex_retain(addr: u32) -> Result<(), JsValue> {
    MUTEX.retain(addr)
}

/// Drops a reference; frees the block when it was the last. Returns true when freed.
#[wasm_bindgen(js_name = mutexRelease)]
pub fn mutex_release(addr: u32) -> Result<bool, JsValue> {
    MUTEX.release(addr)
}

/// Spins briefly for a held mutex nobody waits for; true when it took it (`RawMutex::spin_lock`).
#[wasm_bindgen(js_name = mutexSpinLock)]
pub fn mutex_spin_lock(addr: u32) -> bool {
    RawMutex::new(word(addr)).spin_lock()
}

/// One step of a contended lock.
#[wasm_bindgen(js_name = mutexLockStep)]
pub fn mutex_lock_step(addr: u32, attempt: u32) -> StepOutcome {
    let mut attempt = LockAttempt::from_bits(attempt);
    let step = RawMutex::new(word(addr)).lock_step(&mut attempt);
    record(step, attempt.into_bits())
}

/// Gives up a waiting lock attempt (abort, timeout).
#[wasm_bindgen(js_name = mutexAbandon)]
pub fn mutex_abandon(addr: u32, attempt: u32) {
    RawMutex::new(word(addr)).abandon(&LockAttempt::from_bits(attempt));
}

/// Unlocks; true when waiters must be woken (`Atomics.notify` on word 0, all of them).
#[wasm_bindgen(js_name = mutexUnlock)]
pub fn mutex_unlock(addr: u32) -> Result<bool, JsValue> {
    RawMutex::new(word(addr)).unlock().map_err(sync_error)
}

#[wasm_bindgen(js_name = mutexIsLocked)]
pub fn mutex_is_locked(addr: u32) -> bool {
    RawMutex::new(word(addr)).is_locked()
}

/// Locks, blocking this worker thread (`memory.atomic.wait32`). `timeout_ms < 0`: no timeout.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = mutexLockBlocking)]
pub fn mutex_lock_blocking(addr: u32, timeout_ms: f64) -> Result<(), JsValue> {
    let mutex = RawMutex::new(word(addr));
    if timeout_ms < 0.0 {
        mutex.lock(&weft_sync::WasmFutex);
        Ok(())
    } else {
        let timeout = std::time::Duration::from_secs_f64(timeout_ms / 1000.0);
        mutex
            .lock_timeout(&weft_sync::WasmFutex, &JsClock, timeout)
            .map_err(sync_error)
    }
}

// ---- semaphore ----

/// Allocates a semaphore block with `capacity` permits, `available` of them free, one reference.
#[wasm_bindgen(js_name = semaphoreCreate)]
pub fn semaphore_create(capacity: u32, available: u32) -> Result<u32, JsValue> {
    // Validate before allocating, so a bad capacity leaks nothing.
    weft_sync::SemaphoreWords::initial(capacity, available).map_err(sync_error)?;
    let addr = SEMAPHORE.create().map_err(JsValue::from)?;
    semaphore(addr)
        .init(capacity, available)
        .map_err(sync_error)?;
    Ok(addr)
}

fn semaphore<'a>(addr: u32) -> RawSemaphore<'a> {
    // SAFETY: as in `word`: a live semaphore block of three words.
    unsafe { RawSemaphore::from_ptr(addr as usize as *mut u32) }
}

/// Adds a reference to a semaphore block (for an object in another thread).
#[wasm_bindgen(js_name = semaphoreRetain)]
pub fn semaphore_retain(addr: u32) -> Result<(), JsValue> {
    SEMAPHORE.retain(addr)
}

/// Drops a reference; frees the block when it was the last. Returns true when freed.
#[wasm_bindgen(js_name = semaphoreRelease)]
pub fn semaphore_release_block(addr: u32) -> Result<bool, JsValue> {
    SEMAPHORE.release(addr)
}

#[wasm_bindgen(js_name = semaphoreTryAcquire)]
pub fn semaphore_try_acquire(addr: u32, n: u32) -> Result<bool, JsValue> {
    semaphore(addr).try_acquire(n).map_err(sync_error)
}

/// Starts a waiting acquire of `n`; returns the attempt bits. Fails at once when `n` exceeds the
/// capacity.
#[wasm_bindgen(js_name = semaphoreBeginAcquire)]
pub fn semaphore_begin_acquire(addr: u32, n: u32) -> Result<u32, JsValue> {
    semaphore(addr)
        .begin_acquire(n)
        .map(AcquireAttempt::into_bits)
        .map_err(sync_error)
}

#[wasm_bindgen(js_name = semaphoreAcquireStep)]
pub fn semaphore_acquire_step(addr: u32, attempt: u32) -> Result<StepOutcome, JsValue> {
    let mut attempt = AcquireAttempt::from_bits(attempt);
    let step = semaphore(addr)
        .acquire_step(&mut attempt)
        .map_err(sync_error)?;
    Ok(record(step, attempt.into_bits()))
}

/// Gives up a waiting acquire; true when waiters must be woken.
#[wasm_bindgen(js_name = semaphoreAbandon)]
pub fn semaphore_abandon(addr: u32, attempt: u32) -> bool {
    semaphore(addr).abandon(&AcquireAttempt::from_bits(attempt))
}

/// Returns `n` permits; true when waiters must be woken.
#[wasm_bindgen(js_name = semaphoreReleasePermits)]
pub fn semaphore_release_permits(addr: u32, n: u32) -> Result<bool, JsValue> {
    semaphore(addr).release(n).map_err(sync_error)
}

#[wasm_bindgen(js_name = semaphoreAvailable)]
pub fn semaphore_available(addr: u32) -> u32 {
    semaphore(addr).available()
}

#[wasm_bindgen(js_name = semaphoreCapacity)]
pub fn semaphore_capacity(addr: u32) -> u32 {
    semaphore(addr).capacity()
}

/// Acquires `n`, blocking this worker thread. `timeout_ms < 0`: no timeout.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = semaphoreAcquireBlocking)]
pub fn semaphore_acquire_blocking(addr: u32, n: u32, timeout_ms: f64) -> Result<(), JsValue> {
    let s = semaphore(addr);
    if timeout_ms < 0.0 {
        s.acquire(n, &weft_sync::WasmFutex).map_err(sync_error)
    } else {
        let timeout = std::time::Duration::from_secs_f64(timeout_ms / 1000.0);
        s.acquire_timeout(n, &weft_sync::WasmFutex, &JsClock, timeout)
            .map_err(sync_error)
    }
}

/// Time for blocking waits with a deadline: `Date.now()`, which every runtime has in workers.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
struct JsClock;

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
impl weft_sync::Clock for JsClock {
    fn now(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(js_sys::Date::now() / 1000.0)
    }
}
