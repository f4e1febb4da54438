//! A wait group on one 32-bit word.

use core::time::Duration;

use crate::atomic::{AtomicU32, Ordering};
use crate::futex::{Clock, Futex, WAKE_ALL};
use crate::step::{Park, Step};
use crate::SyncError;

/// The highest count a wait group holds: 2^24 − 1 tasks outstanding.
pub const MAX_WAIT_COUNT: u32 = COUNT_MASK;

/// Bits 0–23: tasks added and not yet done.
const COUNT_MASK: u32 = 0x00FF_FFFF;
/// Bits 24–30: the epoch, advanced (mod 128) when the count reaches 0 while someone waits.
const EPOCH_SHIFT: u32 = 24;
const EPOCH_MASK: u32 = 0x7F << EPOCH_SHIFT;
/// Bit 31: some thread may be waiting on the word; reaching 0 must wake all waiters.
const PARKED: u32 = 1 << 31;

const fn count(state: u32) -> u32 {
    state & COUNT_MASK
}

const fn epoch(state: u32) -> u32 {
    (state & EPOCH_MASK) >> EPOCH_SHIFT
}

/// A wait group whose state is one 32-bit word in (possibly shared) memory: a count of tasks
/// outstanding, raised by [`add`](Self::add), lowered by [`done`](Self::done), and waited for
/// until it is 0.
///
/// `RawWaitGroup` is a view that borrows its word, like the locks of this crate. A fresh word is
/// `0`: nothing outstanding.
///
/// # Word layout
///
/// | bits  | name     | meaning |
/// |-------|----------|---------|
/// | 0–23  | `COUNT`  | tasks added and not yet done (at most [`MAX_WAIT_COUNT`]) |
/// | 24–30 | `EPOCH`  | advanced (mod 128) each time the count reaches 0 with `PARKED` set |
/// | 31    | `PARKED` | a thread may be waiting; reaching 0 must wake all waiters |
///
/// `add`, `done` and a wait that finds the count at 0 are one compare-exchange (the wait: one load)
/// and wake nobody unless somebody waits.
///
/// # Protocol
///
/// A wait first checks [`try_wait`](Self::try_wait) (the count is 0: done). Otherwise it starts a
/// [`WaitAttempt`] ([`begin_wait`](Self::begin_wait)), which remembers the epoch, and steps
/// ([`wait_step`](Self::wait_step)): it is over when the count is 0 *or the epoch has moved*, and
/// otherwise sets `PARKED` and sleeps on the word. The `done` that brings the count to 0 with
/// `PARKED` set advances the epoch, clears `PARKED` and wakes all waiters, in one
/// compare-exchange. So a waiter is released by every zero that happens after it parked, even
/// when an `add` raised the count again before it ran: it is woken, sees the new epoch, and
/// returns. A zero that comes and goes before the waiter has parked belongs to before its wait.
/// Only 128 such released-and-re-raised zeros, each with another waiter parking in between,
/// while one woken waiter has not run yet, would look like none to it (it would then wait for the
/// next zero).
///
/// # Cancellation and timeouts
///
/// A waiter may give up after any [`Step::Wait`] without calling anything: a wait takes nothing.
/// Its `PARKED` bit costs at most one wake-up nobody needed.
///
/// # Memory ordering
///
/// `done` is a `Release` read-modify-write and a wait sees the 0 (or the new epoch) with an
/// `Acquire` load. Every write to the word is a read-modify-write, so a waiter that returns sees
/// everything each task did before its `done`.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AtomicU32, ParkingFutex, RawWaitGroup};
///
/// let word = AtomicU32::new(0);
/// let group = RawWaitGroup::new(&word);
/// group.add(2).unwrap();
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| group.done_and_wake(&ParkingFutex).unwrap());
///     }
///     group.wait(&ParkingFutex);
///     assert_eq!(group.count(), 0);
/// });
/// assert!(group.done().is_err(), "more done() than add()");
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawWaitGroup<'a> {
    word: &'a AtomicU32,
}

/// A wait on a [`RawWaitGroup`] in progress: the epoch it started in and how often it has waited.
///
/// It is a plain number for JS ([`into_bits`](Self::into_bits)/[`from_bits`](Self::from_bits)):
///
/// | bits | meaning |
/// |------|---------|
/// | 0–6  | the epoch the wait started in |
/// | 7    | — (0) |
/// | 8–31 | number of waits (saturating) |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitAttempt {
    bits: u32,
}

const ATTEMPT_EPOCH_MASK: u32 = 0x7F;
const ATTEMPT_WAITS_SHIFT: u32 = 8;
const ATTEMPT_WAITS_MAX: u32 = u32::MAX >> ATTEMPT_WAITS_SHIFT;

impl WaitAttempt {
    /// The attempt as a number, to carry across the JS boundary.
    #[must_use]
    pub const fn into_bits(self) -> u32 {
        self.bits
    }

    /// The attempt back from [`into_bits`](Self::into_bits).
    #[must_use]
    pub const fn from_bits(bits: u32) -> Self {
        Self { bits }
    }

    /// How many times this attempt returned [`Step::Wait`].
    #[must_use]
    pub const fn waits(&self) -> u32 {
        self.bits >> ATTEMPT_WAITS_SHIFT
    }

    const fn epoch(&self) -> u32 {
        self.bits & ATTEMPT_EPOCH_MASK
    }

    fn park(&mut self, expected: u32) -> Step {
        if self.waits() < ATTEMPT_WAITS_MAX {
            self.bits += 1 << ATTEMPT_WAITS_SHIFT;
        }
        Step::Wait(Park {
            expected,
            bounded: false,
        })
    }
}

impl<'a> RawWaitGroup<'a> {
    /// A wait group view of `word` (`0` for a fresh group).
    pub const fn new(word: &'a AtomicU32) -> Self {
        Self { word }
    }

    /// A wait group view of the word at `ptr` (in Wasm: the address the JS side passes).
    ///
    /// # Safety
    ///
    /// `ptr` must be non-null, 4-byte aligned, and valid for reads and writes for `'a`; every
    /// access to the word during `'a`, from any thread or JS, must be atomic; and the word must
    /// hold `0` or a value written by this type.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::RawWaitGroup;
    ///
    /// let mut storage = 0u32;
    /// // SAFETY: `storage` is aligned, outlives `group`, and is only used through it.
    /// let group = unsafe { RawWaitGroup::from_ptr(&mut storage) };
    /// assert_eq!(group.add(3), Ok(3));
    /// # }
    /// ```
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

    /// Tasks outstanding right now (a snapshot, for diagnostics and tests).
    #[must_use]
    pub fn count(&self) -> u32 {
        count(self.word.load(Ordering::Relaxed))
    }

    /// Adds `n` tasks; returns the new count. `n == 0` changes nothing.
    ///
    /// # Errors
    ///
    /// [`SyncError::WaitGroupOverflow`] if the count would exceed [`MAX_WAIT_COUNT`]; the word is
    /// then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawWaitGroup, SyncError, MAX_WAIT_COUNT};
    ///
    /// let word = AtomicU32::new(0);
    /// let group = RawWaitGroup::new(&word);
    /// assert_eq!(group.add(2), Ok(2));
    /// assert_eq!(
    ///     group.add(MAX_WAIT_COUNT),
    ///     Err(SyncError::WaitGroupOverflow { count: 2, added: MAX_WAIT_COUNT })
    /// );
    /// # }
    /// ```
    pub fn add(&self, n: u32) -> Result<u32, SyncError> {
        let mut v = self.word.load(Ordering::Relaxed);
        loop {
            let c = count(v);
            if n > MAX_WAIT_COUNT - c {
                return Err(SyncError::WaitGroupOverflow { count: c, added: n });
            }
            if n == 0 {
                return Ok(c);
            }
            // Relaxed: raising the count publishes nothing; the `done`s that bring it back down
            // publish the tasks' work. The count cannot carry into EPOCH (checked above).
            match self
                .word
                .compare_exchange_weak(v, v + n, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(c + n),
                Err(now) => v = now,
            }
        }
    }

    /// Marks one task done. Returns `Ok(true)` when the caller must then wake **all** waiters of
    /// the word (the count reached 0 while someone waited).
    ///
    /// # Errors
    ///
    /// [`SyncError::WaitGroupNegative`] if the count is already 0; the word is then unchanged.
    #[must_use = "when this returns Ok(true) every waiter of the word must be woken"]
    pub fn done(&self) -> Result<bool, SyncError> {
        let mut v = self.word.load(Ordering::Relaxed);
        loop {
            if count(v) == 0 {
                return Err(SyncError::WaitGroupNegative);
            }
            let last_with_waiters = count(v) == 1 && v & PARKED != 0;
            let new = if last_with_waiters {
                // Count 0, PARKED cleared, the next epoch (wrapping within its bits): it releases
                // everyone parked now, whatever the count does next.
                ((v & EPOCH_MASK) + (1 << EPOCH_SHIFT)) & EPOCH_MASK
            } else {
                v - 1
            };
            // Release: publishes the task's work to every waiter that sees this zero (or a later
            // value: every write to the word is a read-modify-write and continues this release).
            match self
                .word
                .compare_exchange_weak(v, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return Ok(last_with_waiters),
                Err(now) => v = now,
            }
        }
    }

    /// [`done`](Self::done), then wakes every waiter on `futex` if needed. Returns how many were
    /// woken.
    ///
    /// # Errors
    ///
    /// As for [`done`](Self::done).
    pub fn done_and_wake<F: Futex + ?Sized>(&self, futex: &F) -> Result<u32, SyncError> {
        Ok(if self.done()? {
            futex.wake(self.word, WAKE_ALL)
        } else {
            0
        })
    }

    /// Whether the count is 0 now, with `Acquire` ordering: when it is, everything the tasks did
    /// before their `done` is visible. The uncontended wait: one load.
    #[must_use]
    pub fn try_wait(&self) -> bool {
        count(self.word.load(Ordering::Acquire)) == 0
    }

    /// Starts a wait to be driven by [`wait_step`](Self::wait_step).
    #[must_use]
    pub fn begin_wait(&self) -> WaitAttempt {
        // Relaxed: only the epoch is read here; wait_step re-reads the word with Acquire.
        WaitAttempt {
            bits: epoch(self.word.load(Ordering::Relaxed)),
        }
    }

    /// One non-blocking step of a wait: [`Step::Acquired`] once the count is 0 or the epoch has
    /// moved since [`begin_wait`](Self::begin_wait); otherwise records that the caller is about to
    /// wait (setting `PARKED`) and says on which value. Waits are never bounded.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawWaitGroup, Step};
    ///
    /// let word = AtomicU32::new(0);
    /// let group = RawWaitGroup::new(&word);
    /// group.add(1).unwrap();
    /// let mut a = group.begin_wait();
    /// assert!(matches!(group.wait_step(&mut a), Step::Wait(_)));
    /// assert_eq!(group.done(), Ok(true)); // wake all waiters
    /// group.add(1).unwrap(); // raised again before the waiter ran
    /// assert_eq!(group.wait_step(&mut a), Step::Acquired, "the zero is not missed");
    /// # }
    /// ```
    pub fn wait_step(&self, attempt: &mut WaitAttempt) -> Step {
        // Acquire (here and on a failed exchange): a zero, or a new epoch, must come with the
        // tasks' work.
        let mut v = self.word.load(Ordering::Acquire);
        loop {
            if count(v) == 0 || epoch(v) != attempt.epoch() {
                return Step::Acquired;
            }
            let want = v | PARKED;
            if want != v {
                // Relaxed on success: PARKED only has to reach the last `done`'s
                // read-modify-write, which the word's modification order guarantees.
                if let Err(now) =
                    self.word
                        .compare_exchange_weak(v, want, Ordering::Relaxed, Ordering::Acquire)
                {
                    v = now;
                    continue;
                }
            }
            return attempt.park(want);
        }
    }

    /// Blocks until the count is 0, sleeping on `futex`.
    pub fn wait<F: Futex + ?Sized>(&self, futex: &F) {
        if self.try_wait() {
            return;
        }
        let mut attempt = self.begin_wait();
        loop {
            match self.wait_step(&mut attempt) {
                Step::Acquired => return,
                Step::Wait(park) => {
                    futex.wait(self.word, park.expected, park.timeout());
                }
            }
        }
    }

    /// Like [`wait`](Self::wait), giving up after `timeout` (measured on `clock`).
    ///
    /// # Errors
    ///
    /// [`SyncError::TimedOut`] when the timeout elapses first.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use std::time::Duration;
    /// use weft_sync::{AtomicU32, ParkingFutex, RawWaitGroup, StdClock, SyncError};
    ///
    /// let word = AtomicU32::new(0);
    /// let group = RawWaitGroup::new(&word);
    /// group.add(1).unwrap();
    /// let r = group.wait_timeout(&ParkingFutex, &StdClock::new(), Duration::from_millis(5));
    /// assert_eq!(r, Err(SyncError::TimedOut));
    /// // The waiter that gave up left its PARKED bit: one wake-up that nobody needs.
    /// assert_eq!(group.done(), Ok(true));
    /// assert!(group.try_wait());
    /// # }
    /// ```
    pub fn wait_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        futex: &F,
        clock: &C,
        timeout: Duration,
    ) -> Result<(), SyncError> {
        if self.try_wait() {
            return Ok(());
        }
        let deadline = clock.now().saturating_add(timeout);
        let mut attempt = self.begin_wait();
        loop {
            match self.wait_step(&mut attempt) {
                Step::Acquired => return Ok(()),
                Step::Wait(park) => {
                    let now = clock.now();
                    if now >= deadline {
                        return Err(SyncError::TimedOut);
                    }
                    futex.wait(self.word, park.expected, Some(deadline - now));
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn add_done_and_an_idle_wait_never_wake() {
        let w = AtomicU32::new(0);
        let g = RawWaitGroup::new(&w);
        assert!(g.try_wait());
        assert_eq!(g.add(2), Ok(2));
        assert!(!g.try_wait());
        assert_eq!(g.done(), Ok(false));
        assert_eq!(g.done(), Ok(false));
        assert_eq!(
            w.load(Ordering::Relaxed),
            0,
            "no epoch moves without waiters"
        );
        assert!(g.try_wait());
    }

    #[test]
    fn the_last_done_with_a_parked_waiter_wakes_and_advances_the_epoch() {
        let w = AtomicU32::new(0);
        let g = RawWaitGroup::new(&w);
        g.add(2).unwrap();
        let mut a = g.begin_wait();
        assert_eq!(
            g.wait_step(&mut a),
            Step::Wait(Park {
                expected: 2 | PARKED,
                bounded: false
            })
        );
        assert_eq!(g.done(), Ok(false), "not the last");
        assert_eq!(g.done(), Ok(true));
        assert_eq!(w.load(Ordering::Relaxed), 1 << EPOCH_SHIFT);
        assert_eq!(g.wait_step(&mut a), Step::Acquired);
    }

    #[test]
    fn done_below_zero_is_an_error_and_changes_nothing() {
        let w = AtomicU32::new(5 << EPOCH_SHIFT);
        let g = RawWaitGroup::new(&w);
        assert_eq!(g.done(), Err(SyncError::WaitGroupNegative));
        assert_eq!(w.load(Ordering::Relaxed), 5 << EPOCH_SHIFT);
    }

    #[test]
    fn add_never_carries_into_the_epoch() {
        let w = AtomicU32::new(MAX_WAIT_COUNT - 1);
        let g = RawWaitGroup::new(&w);
        assert_eq!(g.add(1), Ok(MAX_WAIT_COUNT));
        assert_eq!(
            g.add(1),
            Err(SyncError::WaitGroupOverflow {
                count: MAX_WAIT_COUNT,
                added: 1
            })
        );
        assert_eq!(g.add(0), Ok(MAX_WAIT_COUNT));
        assert_eq!(w.load(Ordering::Relaxed), MAX_WAIT_COUNT);
    }

    #[test]
    fn the_epoch_wraps_and_still_releases_waiters() {
        let w = AtomicU32::new(EPOCH_MASK | 1); // epoch 127, one task
        let g = RawWaitGroup::new(&w);
        let mut a = g.begin_wait();
        assert!(matches!(g.wait_step(&mut a), Step::Wait(_)));
        assert_eq!(g.done(), Ok(true));
        assert_eq!(epoch(w.load(Ordering::Relaxed)), 0);
        g.add(1).unwrap();
        assert_eq!(g.wait_step(&mut a), Step::Acquired);
    }

    #[test]
    fn a_zero_before_the_wait_parked_is_not_this_waits_zero() {
        let w = AtomicU32::new(0);
        let g = RawWaitGroup::new(&w);
        g.add(1).unwrap();
        let mut a = g.begin_wait();
        // Nobody parked yet: the zero passes without an epoch, and the count is raised again.
        assert_eq!(g.done(), Ok(false));
        g.add(1).unwrap();
        assert!(matches!(g.wait_step(&mut a), Step::Wait(_)));
        assert_eq!(g.done(), Ok(true));
        assert_eq!(g.wait_step(&mut a), Step::Acquired);
    }

    #[test]
    fn attempt_bits_round_trip_and_saturate() {
        let w = AtomicU32::new(3 << EPOCH_SHIFT | 1);
        let g = RawWaitGroup::new(&w);
        let mut a = g.begin_wait();
        assert_eq!(a.epoch(), 3);
        let _ = g.wait_step(&mut a);
        assert_eq!(a.waits(), 1);
        assert_eq!(WaitAttempt::from_bits(a.into_bits()), a);
        let mut full = WaitAttempt::from_bits(u32::MAX);
        let _ = full.park(0);
        assert_eq!(full.waits(), ATTEMPT_WAITS_MAX);
    }
}
