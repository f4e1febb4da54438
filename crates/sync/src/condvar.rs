//! A condition variable on one 32-bit word, used with a [`RawMutex`].

use core::time::Duration;

use crate::atomic::{AtomicU32, Ordering};
use crate::futex::{Clock, Futex, WAKE_ALL};
use crate::mutex::RawMutex;
use crate::step::{Park, Step};

/// Bits 0–30: the notification sequence, advanced (mod 2^31) by every notify that found a waiter.
const SEQ_MASK: u32 = 0x7FFF_FFFF;
/// Bit 31: a thread may be waiting; a notify must advance the sequence and wake.
const PARKED: u32 = 1 << 31;

/// A condition variable whose state is one 32-bit word in (possibly shared) memory.
///
/// A waiter holds a [`RawMutex`], calls [`begin_wait`](Self::begin_wait), unlocks the mutex,
/// steps with [`wait_step`](Self::wait_step) until it returns [`Step::Acquired`] (or gives up),
/// and locks the mutex again. A notifier calls [`notify_one`](Self::notify_one) or
/// [`notify_all`](Self::notify_all) and wakes one or all waiters of the word when told to.
///
/// # Word layout
///
/// | bits | name     | meaning |
/// |------|----------|---------|
/// | 0–30 | `SEQ`    | notifications so far (mod 2^31), counting only those that found a waiter |
/// | 31   | `PARKED` | a thread may be waiting; `notify_all` clears it, `notify_one` leaves it |
///
/// A fresh word is `0`. A notify that finds `PARKED` clear does nothing: a notification before
/// anyone waits is not remembered (as with Rust's `Condvar`), and an uncontended notify is one load.
///
/// # Protocol and guarantees
///
/// `begin_wait` sets `PARKED` and records the sequence, *while the caller still holds the mutex*.
/// A notifier that changes the shared state under the same mutex and then notifies therefore
/// either ran before the waiter's check of the state (the waiter saw the change and did not wait)
/// or finds `PARKED` and advances the sequence, which the waiter sees: no wake-up is lost between
/// the unlock and the sleep. The wait is over as soon as the sequence differs from the recorded
/// one.
///
/// - `notify_all` releases every waiter that began before it.
/// - `notify_one` releases at least one of them when there is any, and wakes one sleeper. Any
///   waiter that steps after it (a sleeper woken for another reason, a waiter between its unlock
///   and its sleep) also returns: like every condition variable, waits can return spuriously, and
///   callers re-check their condition in a loop.
/// - A woken waiter that gave up before it could use the wake-up (abort, or a timeout that came
///   at the same moment) must pass it on with another `notify_one` so no notification is lost:
///   the async driver does this when a `waitAsync` it left behind is woken.
///
/// # Memory ordering
///
/// The mutex orders the shared state; the condition variable only decides when to look again.
/// `begin_wait` is an `AcqRel` `fetch_or` and a notify an `AcqRel` compare-exchange on the same
/// word, so a waiter that sees a new sequence also sees what the notifier did before notifying.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AtomicU32, ParkingFutex, RawCondvar, RawMutex, Step};
///
/// let (mutex_word, condvar_word) = (AtomicU32::new(0), AtomicU32::new(0));
/// let (mutex, condvar) = (RawMutex::new(&mutex_word), RawCondvar::new(&condvar_word));
/// assert!(!condvar.notify_one(), "nobody waits: not remembered, nothing to wake");
/// mutex.lock(&ParkingFutex);
/// let attempt = condvar.begin_wait();
/// mutex.unlock_and_wake(&ParkingFutex).unwrap();
/// assert!(matches!(condvar.wait_step(attempt), Step::Wait(_)));
/// assert!(condvar.notify_one(), "a waiter: wake one");
/// assert_eq!(condvar.wait_step(attempt), Step::Acquired);
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawCondvar<'a> {
    word: &'a AtomicU32,
}

/// The sequence a waiter recorded in [`RawCondvar::begin_wait`]; pass it to every step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CondvarAttempt {
    seq: u32,
}

impl CondvarAttempt {
    /// The attempt as bits, for callers that keep it outside Rust (JS).
    #[must_use]
    pub const fn into_bits(self) -> u32 {
        self.seq
    }

    /// An attempt from [`into_bits`](Self::into_bits).
    #[must_use]
    pub const fn from_bits(bits: u32) -> Self {
        Self {
            seq: bits & SEQ_MASK,
        }
    }
}

impl<'a> RawCondvar<'a> {
    /// A condition variable view of `word`, which must hold `0` or a value written by this type.
    pub const fn new(word: &'a AtomicU32) -> Self {
        Self { word }
    }

    /// A condition variable view of the word at `ptr` (in Wasm: the address the JS side passes).
    ///
    /// # Safety
    ///
    /// `ptr` must be non-null, 4-byte aligned, and valid for reads and writes for `'a`; every
    /// access to the word during `'a`, from any thread or JS, must be atomic; and the word must
    /// hold `0` or a value written by this type.
    #[cfg(not(loom))]
    pub unsafe fn from_ptr(ptr: *mut u32) -> Self {
        // SAFETY: forwarded verbatim from this function's contract.
        Self::new(unsafe { crate::atomic::word_from_ptr(ptr) })
    }

    /// The word waiters wait on.
    #[must_use]
    pub const fn word(&self) -> &'a AtomicU32 {
        self.word
    }

    /// Starts a wait. Call it while holding the mutex the condition is checked under, then
    /// unlock the mutex and step.
    #[must_use = "step with the attempt, then lock the mutex again"]
    pub fn begin_wait(&self) -> CondvarAttempt {
        let state = self.word.fetch_or(PARKED, Ordering::AcqRel);
        CondvarAttempt {
            seq: state & SEQ_MASK,
        }
    }

    /// One step of a wait: [`Step::Acquired`] once a notify has come since `begin_wait`;
    /// otherwise wait on the word while it holds `park.expected` (never bounded).
    pub fn wait_step(&self, attempt: CondvarAttempt) -> Step {
        let state = self.word.load(Ordering::Acquire);
        if state & SEQ_MASK != attempt.seq {
            return Step::Acquired;
        }
        // `begin_wait` set PARKED and only a notify (which advances SEQ) clears it, so the word
        // is exactly `seq | PARKED` while this wait is pending.
        Step::Wait(Park {
            expected: state | PARKED,
            bounded: false,
        })
    }

    /// Notifies one waiter. Returns `true` when the caller must wake one waiter of the word
    /// (`Atomics.notify(view, index, 1)`); `false` when nobody waits.
    pub fn notify_one(&self) -> bool {
        self.advance(PARKED)
    }

    /// Notifies every waiter. Returns `true` when the caller must wake all waiters of the word.
    pub fn notify_all(&self) -> bool {
        self.advance(0)
    }

    /// Advances the sequence if a waiter is parked, leaving `keep` of the `PARKED` bit.
    fn advance(&self, keep: u32) -> bool {
        let mut state = self.word.load(Ordering::Acquire);
        loop {
            if state & PARKED == 0 {
                return false;
            }
            let next = ((state & SEQ_MASK).wrapping_add(1) & SEQ_MASK) | keep;
            match self
                .word
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// [`notify_one`](Self::notify_one) and the wake-up it calls for.
    pub fn notify_one_and_wake<F: Futex + ?Sized>(&self, futex: &F) {
        if self.notify_one() {
            futex.wake(self.word, 1);
        }
    }

    /// [`notify_all`](Self::notify_all) and the wake-up it calls for.
    pub fn notify_all_and_wake<F: Futex + ?Sized>(&self, futex: &F) {
        if self.notify_all() {
            futex.wake(self.word, WAKE_ALL);
        }
    }

    /// Blocks until notified. `mutex` must be locked by the caller; it is unlocked while waiting
    /// and locked again before returning. May return spuriously.
    ///
    /// # Errors
    ///
    /// [`crate::SyncError::NotLocked`] when `mutex` was not locked (nothing waited).
    pub fn wait<F: Futex + ?Sized>(
        &self,
        mutex: &RawMutex<'_>,
        futex: &F,
    ) -> Result<(), crate::SyncError> {
        let attempt = self.begin_wait();
        mutex.unlock_and_wake(futex)?;
        while let Step::Wait(park) = self.wait_step(attempt) {
            futex.wait(self.word, park.expected, None);
        }
        mutex.lock(futex);
        Ok(())
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`: `Ok(true)` when notified,
    /// `Ok(false)` when the time ran out. The mutex is locked again in both cases.
    ///
    /// # Errors
    ///
    /// [`crate::SyncError::NotLocked`] when `mutex` was not locked (nothing waited).
    pub fn wait_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        mutex: &RawMutex<'_>,
        futex: &F,
        clock: &C,
        timeout: Duration,
    ) -> Result<bool, crate::SyncError> {
        let deadline = clock.now().saturating_add(timeout);
        let attempt = self.begin_wait();
        mutex.unlock_and_wake(futex)?;
        let notified = loop {
            let Step::Wait(park) = self.wait_step(attempt) else {
                break true;
            };
            let left = deadline.saturating_sub(clock.now());
            if left.is_zero() {
                break false;
            }
            futex.wait(self.word, park.expected, Some(left));
        };
        mutex.lock(futex);
        Ok(notified)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::ParkingFutex;

    #[test]
    fn a_notify_before_any_wait_is_not_remembered() {
        let word = AtomicU32::new(0);
        let condvar = RawCondvar::new(&word);
        assert!(!condvar.notify_one());
        assert!(!condvar.notify_all());
        assert_eq!(word.load(Ordering::Relaxed), 0);
        let attempt = condvar.begin_wait();
        assert!(matches!(condvar.wait_step(attempt), Step::Wait(_)));
    }

    #[test]
    fn notify_one_keeps_parked_and_notify_all_clears_it() {
        let word = AtomicU32::new(0);
        let condvar = RawCondvar::new(&word);
        let first = condvar.begin_wait();
        let second = condvar.begin_wait();
        assert!(condvar.notify_one());
        assert_eq!(word.load(Ordering::Relaxed), 1 | PARKED);
        assert_eq!(condvar.wait_step(first), Step::Acquired);
        assert_eq!(condvar.wait_step(second), Step::Acquired);
        assert!(condvar.notify_all());
        assert_eq!(word.load(Ordering::Relaxed), 2);
        assert!(!condvar.notify_one(), "nobody parked after notify_all");
    }

    #[test]
    fn the_sequence_wraps_within_31_bits() {
        let word = AtomicU32::new(SEQ_MASK | PARKED);
        let condvar = RawCondvar::new(&word);
        let attempt = condvar.begin_wait();
        assert!(condvar.notify_one());
        assert_eq!(word.load(Ordering::Relaxed), PARKED);
        assert_eq!(condvar.wait_step(attempt), Step::Acquired);
        assert_eq!(
            CondvarAttempt::from_bits(attempt.into_bits()),
            attempt,
            "bits round-trip"
        );
    }

    #[test]
    fn wait_without_the_mutex_is_an_error() {
        let (m, c) = (AtomicU32::new(0), AtomicU32::new(0));
        let result = RawCondvar::new(&c).wait(&RawMutex::new(&m), &ParkingFutex);
        assert!(result.is_err());
    }

    #[test]
    fn wait_timeout_returns_false_and_relocks() {
        let (m, c) = (AtomicU32::new(0), AtomicU32::new(0));
        let mutex = RawMutex::new(&m);
        mutex.lock(&ParkingFutex);
        let notified = RawCondvar::new(&c)
            .wait_timeout(
                &mutex,
                &ParkingFutex,
                &crate::StdClock::default(),
                Duration::from_millis(5),
            )
            .unwrap();
        assert!(!notified);
        assert!(mutex.is_locked());
    }
}
