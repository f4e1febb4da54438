//! The result of one non-blocking step of an acquire or a wait, shared by every primitive.

use core::time::Duration;

/// How long a [`Park::bounded`] wait may last, in milliseconds (see [`GRACE`]).
pub const GRACE_MS: u32 = 1;

/// The longest a waiter sleeps when [`Park::bounded`] is set.
///
/// A bounded wait is used only when the waiter is deferring to other waiters (fairness) and so
/// cannot count on being woken: if those waiters have vanished, the waiter must come back on its
/// own. In the normal case it is woken long before this elapses.
pub const GRACE: Duration = Duration::from_millis(GRACE_MS as u64);

/// What a caller does after one step of an acquire.
///
/// # Driving an acquire from a thread that cannot block
///
/// The same loop the blocking Rust helpers run, with `Atomics.waitAsync` as the wait (`i32` is an
/// `Int32Array` over the current `memory.buffer`, `addr` the byte address of the wait word):
///
/// ```text
/// if (try_lock(addr)) return;                      // semaphore: try_acquire(addr, n)
/// let attempt = 0;                                 // semaphore: attempt = begin_acquire(addr, n)
/// for (;;) {
///   const step = lock_step(addr, attempt);         // semaphore: acquire_step(addr, attempt)
///   attempt = step.attempt;                        // the attempt's new bits
///   if (step.acquired) return;
///   if (aborted || pastDeadline) {                 // give up: nothing is held
///     if (abandon(addr, attempt)) Atomics.notify(i32, addr >> 2);   // wake all
///     throw ...;
///   }
///   // msLeft: ms until the caller's deadline, Infinity without one.
///   const timeout = step.bounded ? Math.min(GRACE_MS, msLeft) : msLeft;
///   const r = Atomics.waitAsync(i32, addr >> 2, step.expected, timeout);
///   if (r.async) await Promise.race([r.value, abortedPromise]);
///   // Any outcome ("ok", "not-equal", "timed-out", aborted): loop and step again.
/// }
/// // release: if (unlock(addr)) Atomics.notify(i32, addr >> 2, 1);   // mutex: wake one
/// //          semaphore: if (release(addr, n)) Atomics.notify(i32, addr >> 2);
/// ```
///
/// The waits of the barrier and the wait group run the same loop: their first action
/// (`arrive`, `try_wait`/`begin_wait`) replaces `try_lock`, `wait_step` replaces `lock_step`,
/// and there is nothing to release; a barrier follower that gives up calls `withdraw`, which may
/// report that the wait had in fact completed.
///
/// A `waitAsync` promise left pending by an abort stays in the engine's list until a wake-all
/// resolves it, and its resolution is ignored. For a word whose releases wake all waiters it needs
/// no care; the mutex's unlock wakes one, so the mutex's `abandon` returns true for an attempt
/// that has waited, and the caller's wake-all removes the pending promise at once.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AtomicU32, LockAttempt, RawMutex, Step};
///
/// let word = AtomicU32::new(RawMutex::UNLOCKED);
/// let mutex = RawMutex::new(&word);
/// let mut attempt = LockAttempt::new();
/// assert_eq!(mutex.lock_step(&mut attempt), Step::Acquired);
/// // A second attempt must wait until the word stops being `park.expected`.
/// let Step::Wait(park) = mutex.lock_step(&mut LockAttempt::new()) else { panic!() };
/// assert_eq!(park.expected, word.load(std::sync::atomic::Ordering::Relaxed));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a Step::Wait must be waited on (or the acquire abandoned)"]
pub enum Step {
    /// The caller now holds what it asked for (a lock, permits), or what it waited for happened (a
    /// barrier tripped, a wait group's count reached 0).
    Acquired,
    /// Not yet: wait on the word, then call the same step again with the same attempt.
    Wait(Park),
}

/// How to wait after [`Step::Wait`].
///
/// Wait on the primitive's *wait word* (the mutex, rwlock or wait group word, or the semaphore's or
/// barrier's state word) while it
/// still holds `expected`: `memory.atomic.wait32(addr, expected, timeout)` in a Wasm worker,
/// `Atomics.waitAsync(view, addr >> 2, expected, timeout)` in JS, [`crate::Futex::wait`] in Rust.
/// Every outcome of that wait (woken, value changed, timed out, spurious) is handled the same way:
/// call the step again. When `bounded` is set the timeout must be at most [`GRACE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Park {
    /// The word value to wait on. The step has already stored it in the word.
    pub expected: u32,
    /// `true`: wait at most [`GRACE`]; nobody is obliged to wake this waiter.
    /// `false`: the caller may wait without a timeout; the next release is guaranteed to wake it.
    pub bounded: bool,
}

impl Park {
    /// The timeout this park requires: `Some(GRACE)` when bounded, `None` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{Park, GRACE};
    ///
    /// assert_eq!(Park { expected: 3, bounded: true }.timeout(), Some(GRACE));
    /// assert_eq!(Park { expected: 3, bounded: false }.timeout(), None);
    /// # }
    /// ```
    #[must_use]
    pub const fn timeout(&self) -> Option<Duration> {
        if self.bounded {
            Some(GRACE)
        } else {
            None
        }
    }
}
