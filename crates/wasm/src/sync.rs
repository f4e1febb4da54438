//! Blocks for the JS `Mutex`, `Semaphore`, `RwLock`, `Barrier` and `WaitGroup`, over
//! `weft-sync`'s state machines.
//!
//! Block layouts (32-bit words, allocated zeroed by [`crate::memory`], 4-byte aligned):
//!
//! | block      | word 0                          | word 1    | word 2         |
//! |------------|---------------------------------|-----------|----------------|
//! | mutex      | lock word (`RawMutex`)          | poisoned  | refcount       |
//! | semaphore  | state (`RawSemaphore`)          | capacity  | refcount       |
//! | rwlock     | lock word (`RawRwLock`)         | poisoned  | refcount       |
//! | barrier    | state (`RawBarrier`)            | parties   | refcount       |
//! | wait group | count word (`RawWaitGroup`)     | refcount  |                |
//! | condvar    | sequence word (`RawCondvar`)    | refcount  |                |
//!
//! Channels and shared structs have blocks of their own sizes: see `channel.rs`, `structs.rs`.
//!
//! `poisoned` is 0, or 1 once a thread died holding the lock (set by JS, `js/sync/held.ts`, which
//! also clears it); the state machines never read it. The refcount counts JS objects, in any thread, that refer to the block; the last release frees
//! it. The wait word JS parks on with `Atomics.waitAsync` is always word 0.
//!
//! A step returns a [`StepOutcome`]; one that must wait stores what JS needs to wait in this
//! thread's [`LAST_STEP`]: the value to wait on and the attempt's new bits. Returning them through
//! getters avoids allocating an object per step.
//!
//! The values JS relies on ([`MutexWord`], [`StepOutcome`], [`Arrival`], [`grace_ms`] and the
//! limits [`barrier_max_parties`], [`wait_group_max_count`]) are exported from here, so the
//! TypeScript side reads them from the glue instead of copying them.

use std::cell::Cell;
use std::sync::atomic::AtomicU32;

use wasm_bindgen::prelude::*;
use weft_sync::{
    AcquireAttempt, BarrierAttempt, Counter, LockAttempt, RawBarrier, RawMutex, RawRwLock,
    RawSemaphore, RawWaitGroup, Step, SyncError, WaitAttempt, Withdrawal,
};

use crate::memory::{alloc_words, free_words};

/// A kind of block: `words` words, the last of which counts references.
#[derive(Clone, Copy)]
pub(crate) struct Block {
    pub(crate) words: u32,
}

const MUTEX: Block = Block { words: 3 };
const SEMAPHORE: Block = Block { words: 3 };
const RWLOCK: Block = Block { words: 3 };
const BARRIER: Block = Block { words: 3 };
const WAIT_GROUP: Block = Block { words: 2 };
const CONDVAR: Block = Block { words: 2 };

impl Block {
    pub(crate) fn refcount<'a>(self, addr: u32) -> Counter<'a> {
        Counter::new(word(addr + 4 * (self.words - 1)))
    }

    /// Allocates a zeroed block holding one reference.
    pub(crate) fn create(self) -> Result<u32, JsValue> {
        let addr = alloc_words(self.words)?;
        self.refcount(addr)
            .increment()
            .expect("a fresh refcount is 0");
        Ok(addr)
    }

    pub(crate) fn retain(self, addr: u32) -> Result<(), JsValue> {
        self.refcount(addr)
            .increment()
            .map(|_| ())
            .map_err(sync_error)
    }

    /// Drops a reference; frees the block when it was the last. Returns true when freed.
    pub(crate) fn release(self, addr: u32) -> Result<bool, JsValue> {
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
pub(crate) struct LastStep {
    pub(crate) expected: u32,
    pub(crate) attempt: u32,
}

thread_local! {
    pub(crate) static LAST_STEP: Cell<LastStep> = Cell::new(LastStep::default());
}

#[wasm_bindgen(typescript_custom_section)]
const SYNC_FAILURE: &str = r#"
/**
 * What a failing sync export throws (a `weft_sync::SyncError`, or the shared memory exhausted):
 * JS turns it into a `WeftError`.
 */
export interface SyncFailure {
  /** The stable `WEFT_*` code: `SyncError::code`, or `WEFT_SHARED_MEMORY_EXHAUSTED`. */
  readonly code: string;
  /** What failed and why. */
  readonly message: string;
}
"#;

/// A `SyncFailure` (declared for TypeScript in [`SYNC_FAILURE`]) for JS to turn into a `WeftError`.
pub(crate) fn sync_error(error: SyncError) -> JsValue {
    failure(error.code(), &error.to_string())
}

/// A `SyncFailure` with the stable `code` and `message`.
pub(crate) fn failure(code: &str, message: &str) -> JsValue {
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"code".into(), &code.into());
    let _ = js_sys::Reflect::set(&out, &"message".into(), &message.into());
    out.into()
}

pub(crate) fn word<'a>(addr: u32) -> &'a AtomicU32 {
    // SAFETY: JS passes addresses of blocks from the `…Create` functions here, kept alive by the
    // refcount held by the calling JS object; words are 4-byte aligned and only accessed atomically.
    unsafe { &*(addr as usize as *const AtomicU32) }
}

/// Records a step's outcome for [`step_expected`] and [`step_attempt`].
pub(crate) fn record(step: Step, attempt: u32) -> StepOutcome {
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
pub fn mutex_create() -> Result<u32, JsValue> {
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

/// A time in ms from JS as a duration: negative and NaN as zero, too large as the largest.
fn duration_ms(ms: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(ms.max(0.0) / 1000.0).unwrap_or(std::time::Duration::MAX)
}

/// One step of a contended lock; `waited_ms`: how long the attempt has waited since it first
/// parked (0 before), which makes it ask for the mutex from `weft_sync::FAIR_AFTER` on.
#[wasm_bindgen(js_name = mutexLockStep)]
pub fn mutex_lock_step(addr: u32, attempt: u32, waited_ms: f64) -> StepOutcome {
    let mut attempt = LockAttempt::from_bits(attempt);
    attempt.note_waited(duration_ms(waited_ms));
    let step = RawMutex::new(word(addr)).lock_step(&mut attempt);
    record(step, attempt.into_bits())
}

/// Gives up a waiting lock attempt (abort, timeout); true when the caller must wake all waiters
/// of word 0 (`RawMutex::abandon`: a `waitAsync` of the attempt may still be registered).
#[wasm_bindgen(js_name = mutexAbandon)]
pub fn mutex_abandon(addr: u32, attempt: u32) -> bool {
    RawMutex::new(word(addr)).abandon(&LockAttempt::from_bits(attempt))
}

/// Unlocks; true when one waiter must be woken (`Atomics.notify` on word 0 with a count of 1).
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
        mutex.lock_with_clock(&weft_sync::WasmFutex, &JsClock);
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
    let addr = SEMAPHORE.create()?;
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

/// One step of a contended acquire; `waited_ms`: how long the attempt has waited since it first
/// parked (0 before): from `weft_sync::FAIR_AFTER` on, and after enough lost races, it reserves
/// its permits (`weft_sync::AcquireAttempt::note_waited`).
#[wasm_bindgen(js_name = semaphoreAcquireStep)]
pub fn semaphore_acquire_step(
    addr: u32,
    attempt: u32,
    waited_ms: f64,
) -> Result<StepOutcome, JsValue> {
    let mut attempt = AcquireAttempt::from_bits(attempt);
    attempt.note_waited(duration_ms(waited_ms));
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
        s.acquire_with_clock(n, &weft_sync::WasmFutex, &JsClock)
            .map_err(sync_error)
    } else {
        let timeout = std::time::Duration::from_secs_f64(timeout_ms / 1000.0);
        s.acquire_timeout(n, &weft_sync::WasmFutex, &JsClock, timeout)
            .map_err(sync_error)
    }
}

/// A blocking call's `timeout_ms` as a timeout: negative means none.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub(crate) fn timeout(timeout_ms: f64) -> Option<std::time::Duration> {
    (timeout_ms >= 0.0).then(|| std::time::Duration::from_secs_f64(timeout_ms / 1000.0))
}

// ---- rwlock ----

/// The rwlock word value JS's fast path of an uncontended read lock relies on: every permit free
/// and nothing else recorded (`RawRwLock::UNLOCKED`, which is `weft_sync::MAX_READERS`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RwLockWord {
    /// `RawRwLock::UNLOCKED`: bits 0–13 all set (every read permit free), bits 14–31 clear.
    Unlocked = 0x3FFF,
}

const _: () = assert!(
    RwLockWord::Unlocked as u32 == RawRwLock::UNLOCKED
        && RawRwLock::UNLOCKED == weft_sync::MAX_READERS
);

/// Allocates an unlocked readers–writer lock block with one reference.
#[wasm_bindgen(js_name = rwlockCreate)]
pub fn rwlock_create() -> Result<u32, JsValue> {
    let addr = RWLOCK.create()?;
    // Relaxed: the block is not shared yet; handing it to other threads orders this store.
    word(addr).store(RawRwLock::UNLOCKED, std::sync::atomic::Ordering::Relaxed);
    Ok(addr)
}

fn rwlock<'a>(addr: u32) -> RawRwLock<'a> {
    RawRwLock::new(word(addr))
}

/// Adds a reference to a rwlock block (for an object in another thread).
#[wasm_bindgen(js_name = rwlockRetain)]
pub fn rwlock_retain(addr: u32) -> Result<(), JsValue> {
    RWLOCK.retain(addr)
}

/// Drops a reference; frees the block when it was the last. Returns true when freed.
#[wasm_bindgen(js_name = rwlockRelease)]
pub fn rwlock_release(addr: u32) -> Result<bool, JsValue> {
    RWLOCK.release(addr)
}

/// Takes a read lock if no writer holds or waits for the lock (one compare-exchange).
#[wasm_bindgen(js_name = rwlockTryRead)]
pub fn rwlock_try_read(addr: u32) -> bool {
    rwlock(addr).try_read()
}

/// Takes the write lock if nobody holds or waits for the lock (one compare-exchange).
#[wasm_bindgen(js_name = rwlockTryWrite)]
pub fn rwlock_try_write(addr: u32) -> bool {
    rwlock(addr).try_write()
}

/// The attempt bits of a waiting read lock, for `rwlockLockStep`.
#[wasm_bindgen(js_name = rwlockBeginRead)]
pub fn rwlock_begin_read(addr: u32) -> u32 {
    rwlock(addr).begin_read().into_bits()
}

/// The attempt bits of a waiting write lock, for `rwlockLockStep`.
#[wasm_bindgen(js_name = rwlockBeginWrite)]
pub fn rwlock_begin_write(addr: u32) -> u32 {
    rwlock(addr).begin_write().into_bits()
}

/// One step of a contended read or write lock.
#[wasm_bindgen(js_name = rwlockLockStep)]
pub fn rwlock_lock_step(addr: u32, attempt: u32) -> StepOutcome {
    let mut attempt = AcquireAttempt::from_bits(attempt);
    let step = rwlock(addr).lock_step(&mut attempt);
    record(step, attempt.into_bits())
}

/// Gives up a waiting lock attempt; true when waiters must be woken (readers a writer kept out).
#[wasm_bindgen(js_name = rwlockAbandon)]
pub fn rwlock_abandon(addr: u32, attempt: u32) -> bool {
    rwlock(addr).abandon(&AcquireAttempt::from_bits(attempt))
}

/// Releases a read lock; true when waiters must be woken (`Atomics.notify` on word 0, all).
#[wasm_bindgen(js_name = rwlockReadUnlock)]
pub fn rwlock_read_unlock(addr: u32) -> Result<bool, JsValue> {
    rwlock(addr).read_unlock().map_err(sync_error)
}

/// Releases the write lock; true when waiters must be woken.
#[wasm_bindgen(js_name = rwlockWriteUnlock)]
pub fn rwlock_write_unlock(addr: u32) -> Result<bool, JsValue> {
    rwlock(addr).write_unlock().map_err(sync_error)
}

/// Read locks held right now; 0 while write-locked (a snapshot).
#[wasm_bindgen(js_name = rwlockReaders)]
pub fn rwlock_readers(addr: u32) -> u32 {
    rwlock(addr).readers()
}

/// Whether the lock is write-locked right now (a snapshot).
#[wasm_bindgen(js_name = rwlockIsWriteLocked)]
pub fn rwlock_is_write_locked(addr: u32) -> bool {
    rwlock(addr).is_write_locked()
}

/// Takes a read lock, blocking this worker thread. `timeout_ms < 0`: no timeout.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = rwlockReadBlocking)]
pub fn rwlock_read_blocking(addr: u32, timeout_ms: f64) -> Result<(), JsValue> {
    let lock = rwlock(addr);
    match timeout(timeout_ms) {
        None => {
            lock.read(&weft_sync::WasmFutex);
            Ok(())
        }
        Some(t) => lock
            .read_timeout(&weft_sync::WasmFutex, &JsClock, t)
            .map_err(sync_error),
    }
}

/// Takes the write lock, blocking this worker thread. `timeout_ms < 0`: no timeout.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = rwlockWriteBlocking)]
pub fn rwlock_write_blocking(addr: u32, timeout_ms: f64) -> Result<(), JsValue> {
    let lock = rwlock(addr);
    match timeout(timeout_ms) {
        None => {
            lock.write(&weft_sync::WasmFutex);
            Ok(())
        }
        Some(t) => lock
            .write_timeout(&weft_sync::WasmFutex, &JsClock, t)
            .map_err(sync_error),
    }
}

// ---- barrier ----

/// What `barrierArrive` made of the caller (`weft_sync::Arrival` without its payload; a
/// follower's attempt bits are read with `stepAttempt()`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The last arrival: the barrier tripped, the caller leads and nobody waits.
    Leader = 0,
    /// The same, and waiters must be woken (`Atomics.notify` on word 0, all of them).
    LeaderMustWake = 1,
    /// The caller waits for its generation: step with `barrierWaitStep`.
    Follower = 2,
}

/// The most parties a barrier can have (`weft_sync::MAX_PARTIES`).
#[wasm_bindgen(js_name = barrierMaxParties)]
pub fn barrier_max_parties() -> u32 {
    weft_sync::MAX_PARTIES
}

/// Allocates a barrier block for `parties` parties, with one reference.
#[wasm_bindgen(js_name = barrierCreate)]
pub fn barrier_create(parties: u32) -> Result<u32, JsValue> {
    // Validate before allocating, so a bad count leaks nothing.
    weft_sync::BarrierWords::initial(parties).map_err(sync_error)?;
    let addr = BARRIER.create()?;
    barrier(addr).init(parties).map_err(sync_error)?;
    Ok(addr)
}

fn barrier<'a>(addr: u32) -> RawBarrier<'a> {
    // SAFETY: as in `word`: a live barrier block of three words.
    unsafe { RawBarrier::from_ptr(addr as usize as *mut u32) }
}

/// Adds a reference to a barrier block (for an object in another thread).
#[wasm_bindgen(js_name = barrierRetain)]
pub fn barrier_retain(addr: u32) -> Result<(), JsValue> {
    BARRIER.retain(addr)
}

/// Drops a reference; frees the block when it was the last. Returns true when freed.
#[wasm_bindgen(js_name = barrierRelease)]
pub fn barrier_release(addr: u32) -> Result<bool, JsValue> {
    BARRIER.release(addr)
}

#[wasm_bindgen(js_name = barrierParties)]
pub fn barrier_parties(addr: u32) -> u32 {
    barrier(addr).parties()
}

/// Arrives at the barrier (one compare-exchange).
#[wasm_bindgen(js_name = barrierArrive)]
pub fn barrier_arrive(addr: u32) -> Arrival {
    match barrier(addr).arrive() {
        weft_sync::Arrival::Leader { must_wake: false } => Arrival::Leader,
        weft_sync::Arrival::Leader { must_wake: true } => Arrival::LeaderMustWake,
        weft_sync::Arrival::Follower(attempt) => {
            LAST_STEP.with(|s| {
                s.set(LastStep {
                    expected: 0,
                    attempt: attempt.into_bits(),
                })
            });
            Arrival::Follower
        }
    }
}

/// One step of a follower's wait.
#[wasm_bindgen(js_name = barrierWaitStep)]
pub fn barrier_wait_step(addr: u32, attempt: u32) -> StepOutcome {
    let mut attempt = BarrierAttempt::from_bits(attempt);
    let step = barrier(addr).wait_step(&mut attempt);
    record(step, attempt.into_bits())
}

/// Gives up a follower's wait. True when it was too late: the generation had tripped and the
/// wait succeeded after all. Never needs a wake-up.
#[wasm_bindgen(js_name = barrierWithdraw)]
pub fn barrier_withdraw(addr: u32, attempt: u32) -> bool {
    barrier(addr).withdraw(&BarrierAttempt::from_bits(attempt)) == Withdrawal::Released
}

/// Waits at the barrier, blocking this worker thread; true for the generation's leader.
/// `timeout_ms < 0`: no timeout.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = barrierWaitBlocking)]
pub fn barrier_wait_blocking(addr: u32, timeout_ms: f64) -> Result<bool, JsValue> {
    let b = barrier(addr);
    match timeout(timeout_ms) {
        None => Ok(b.wait(&weft_sync::WasmFutex).is_leader()),
        Some(t) => b
            .wait_timeout(&weft_sync::WasmFutex, &JsClock, t)
            .map(|r| r.is_leader())
            .map_err(sync_error),
    }
}

// ---- wait group ----

/// The highest count a wait group holds (`weft_sync::MAX_WAIT_COUNT`).
#[wasm_bindgen(js_name = waitGroupMaxCount)]
pub fn wait_group_max_count() -> u32 {
    weft_sync::MAX_WAIT_COUNT
}

/// Allocates a wait group block (count 0) with one reference.
#[wasm_bindgen(js_name = waitGroupCreate)]
pub fn wait_group_create() -> Result<u32, JsValue> {
    // A zeroed word is a fresh wait group.
    WAIT_GROUP.create()
}

fn wait_group<'a>(addr: u32) -> RawWaitGroup<'a> {
    RawWaitGroup::new(word(addr))
}

/// Adds a reference to a wait group block (for an object in another thread).
#[wasm_bindgen(js_name = waitGroupRetain)]
pub fn wait_group_retain(addr: u32) -> Result<(), JsValue> {
    WAIT_GROUP.retain(addr)
}

/// Drops a reference; frees the block when it was the last. Returns true when freed.
#[wasm_bindgen(js_name = waitGroupRelease)]
pub fn wait_group_release(addr: u32) -> Result<bool, JsValue> {
    WAIT_GROUP.release(addr)
}

/// Adds `n` tasks; returns the new count.
#[wasm_bindgen(js_name = waitGroupAdd)]
pub fn wait_group_add(addr: u32, n: u32) -> Result<u32, JsValue> {
    wait_group(addr).add(n).map_err(sync_error)
}

/// Marks one task done; true when waiters must be woken (`Atomics.notify` on word 0, all).
#[wasm_bindgen(js_name = waitGroupDone)]
pub fn wait_group_done(addr: u32) -> Result<bool, JsValue> {
    wait_group(addr).done().map_err(sync_error)
}

/// Tasks outstanding right now (a snapshot).
#[wasm_bindgen(js_name = waitGroupCount)]
pub fn wait_group_count(addr: u32) -> u32 {
    wait_group(addr).count()
}

/// Whether the count is 0 (with `Acquire` ordering: the uncontended wait).
#[wasm_bindgen(js_name = waitGroupTryWait)]
pub fn wait_group_try_wait(addr: u32) -> bool {
    wait_group(addr).try_wait()
}

/// The attempt bits of a wait, for `waitGroupWaitStep`.
#[wasm_bindgen(js_name = waitGroupBeginWait)]
pub fn wait_group_begin_wait(addr: u32) -> u32 {
    wait_group(addr).begin_wait().into_bits()
}

/// One step of a wait.
#[wasm_bindgen(js_name = waitGroupWaitStep)]
pub fn wait_group_wait_step(addr: u32, attempt: u32) -> StepOutcome {
    let mut attempt = WaitAttempt::from_bits(attempt);
    let step = wait_group(addr).wait_step(&mut attempt);
    record(step, attempt.into_bits())
}

/// Waits until the count is 0, blocking this worker thread. `timeout_ms < 0`: no timeout.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = waitGroupWaitBlocking)]
pub fn wait_group_wait_blocking(addr: u32, timeout_ms: f64) -> Result<(), JsValue> {
    let group = wait_group(addr);
    match timeout(timeout_ms) {
        None => {
            group.wait(&weft_sync::WasmFutex);
            Ok(())
        }
        Some(t) => group
            .wait_timeout(&weft_sync::WasmFutex, &JsClock, t)
            .map_err(sync_error),
    }
}

/// Time for blocking waits with a deadline: `performance.now()` (web-sys's `Performance`), which
/// is monotonic and present on every runtime's main thread and workers. `Date.now()` is not
/// monotonic: a clock change would stretch or cut a timeout.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub(crate) struct JsClock;

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
thread_local! {
    static PERFORMANCE: web_sys::Performance = js_sys::Reflect::get(
        &js_sys::global(),
        &JsValue::from_str("performance"),
    )
    .expect("reading globalThis.performance does not throw")
    .unchecked_into();
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
impl weft_sync::Clock for JsClock {
    fn now(&self) -> std::time::Duration {
        PERFORMANCE.with(|p| std::time::Duration::from_secs_f64(p.now() / 1000.0))
    }
}

// ---- condvar ----

fn condvar<'a>(addr: u32) -> weft_sync::RawCondvar<'a> {
    weft_sync::RawCondvar::new(word(addr))
}

/// Allocates a condition variable block (nobody waiting) with one reference.
#[wasm_bindgen(js_name = condvarCreate)]
pub fn condvar_create() -> Result<u32, JsValue> {
    // A zeroed word is a condition variable nobody waits on.
    CONDVAR.create()
}

/// Adds a reference to a condvar block (for an object in another thread).
#[wasm_bindgen(js_name = condvarRetain)]
pub fn condvar_retain(addr: u32) -> Result<(), JsValue> {
    CONDVAR.retain(addr)
}

/// Drops a reference; frees the block when it was the last. Returns true when freed.
#[wasm_bindgen(js_name = condvarRelease)]
pub fn condvar_release(addr: u32) -> Result<bool, JsValue> {
    CONDVAR.release(addr)
}

/// Starts a wait (the caller holds the mutex); returns the attempt bits for `condvarWaitStep`.
#[wasm_bindgen(js_name = condvarBeginWait)]
pub fn condvar_begin_wait(addr: u32) -> u32 {
    condvar(addr).begin_wait().into_bits()
}

/// One step of a wait: `Acquired` once notified.
#[wasm_bindgen(js_name = condvarWaitStep)]
pub fn condvar_wait_step(addr: u32, attempt: u32) -> StepOutcome {
    let attempt = weft_sync::CondvarAttempt::from_bits(attempt);
    let step = condvar(addr).wait_step(attempt);
    record(step, attempt.into_bits())
}

/// Notifies one waiter; true when the caller must wake one waiter (`Atomics.notify(…, 1)`).
#[wasm_bindgen(js_name = condvarNotifyOne)]
pub fn condvar_notify_one(addr: u32) -> bool {
    condvar(addr).notify_one()
}

/// Notifies every waiter; true when the caller must wake all waiters.
#[wasm_bindgen(js_name = condvarNotifyAll)]
pub fn condvar_notify_all(addr: u32) -> bool {
    condvar(addr).notify_all()
}

/// Waits for a notification, blocking this worker: unlocks the mutex at `mutex_addr` (held by
/// the caller), waits, locks it again. True when notified, false when `timeout_ms` (>= 0) ran out.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = condvarWaitBlocking)]
pub fn condvar_wait_blocking(addr: u32, mutex_addr: u32, timeout_ms: f64) -> Result<bool, JsValue> {
    let mutex = RawMutex::new(word(mutex_addr));
    match timeout(timeout_ms) {
        None => condvar(addr)
            .wait(&mutex, &weft_sync::WasmFutex)
            .map(|()| true)
            .map_err(sync_error),
        Some(t) => condvar(addr)
            .wait_timeout(&mutex, &weft_sync::WasmFutex, &JsClock, t)
            .map_err(sync_error),
    }
}
