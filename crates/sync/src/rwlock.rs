//! A readers–writer lock on one 32-bit word, driven by the semaphore's permit engine.

use core::time::Duration;

use crate::atomic::{AtomicU32, Ordering};
use crate::futex::{Clock, Futex, WAKE_ALL};
use crate::semaphore::{AcquireAttempt, Permits, MAX_PERMITS};
use crate::step::Step;
use crate::SyncError;

/// The most read locks a [`RawRwLock`] hands out at once: 2^14 − 1 (a writer takes all of them).
pub const MAX_READERS: u32 = MAX_PERMITS;

/// A readers–writer lock whose whole state is one 32-bit word in (possibly shared) memory: any
/// number of readers (up to [`MAX_READERS`]) at once, or one writer.
///
/// The lock is a semaphore of [`MAX_READERS`] permits on a single word (the capacity is this
/// constant, so no second word holds it): a read lock takes one permit, a write lock takes all of
/// them. It runs the very engine of [`crate::RawSemaphore`] (as tokio's `RwLock` runs on its batch
/// semaphore), so it has the same wake-ups, the same reservation and lease, and the same
/// cancellation rules, with one difference: its waiters reserve at their first wait, where a
/// semaphore's reserve only once overdue. What follows says what that means for readers and
/// writers.
///
/// Like [`crate::RawMutex`] it is a view that borrows its word, holds no guard and tracks no
/// owner: whoever locked must unlock, in the same mode. It is not reentrant: a thread that holds a
/// read lock and asks for another while a writer waits deadlocks (the writer waits for the first
/// read lock, the second waits behind the writer).
///
/// # Word layout
///
/// The semaphore's state word with a capacity of [`MAX_READERS`]:
///
/// | bits  | name     | meaning |
/// |-------|----------|---------|
/// | 0–13  | `AVAIL`  | read locks still available: `MAX_READERS` − readers; 0 while write-locked |
/// | 14–27 | `NEED`   | the reservation of one waiter: 1 = a reader, `MAX_READERS` = a writer; 0 = none |
/// | 28–30 | `BEAT`   | the reserving waiter's heartbeat, advanced (mod 8) at each of its steps |
/// | 31    | `PARKED` | a thread may be waiting on the word; the next unlock must wake all waiters |
///
/// So [`UNLOCKED`](Self::UNLOCKED) is `0x3FFF` (every permit free), `0x3FFE` is one reader, `0`
/// is write-locked with nobody waiting. A read lock, a read unlock, a write lock and a write unlock
/// that meet no contention are one compare-exchange each and wake nobody.
///
/// # Fairness
///
/// - **Writers are not starved by readers.** A writer that has to wait reserves every permit
///   (`NEED = MAX_READERS`). From then on a new reader may only take permits beyond the
///   reservation, and there are none: new readers wait, the readers inside finish, the last one's
///   unlock wakes all waiters and the writer takes the lock.
/// - **Readers are not starved by writers.** A reader that has to wait (the lock is write-locked)
///   reserves its one permit when nobody else holds a reservation. A writer then needs every
///   permit plus the reserved one free, which cannot happen, so the next write unlock goes to the
///   readers, including against a writer that unlocks and relocks in a loop.
/// - One reservation at a time: while a writer's reservation stands, other writers wait behind
///   it; while a reader's stands, a writer that has to wait reserves only after it is served. So
///   under contention the lock alternates between a batch of readers and a writer, whichever of
///   the waiters runs first after each wake-up; it is not FIFO.
///
/// A waiter that holds a reservation waits bounded by [`crate::GRACE`] and beats at every step;
/// waiters kept out only by someone else's reservation watch the beat and drop a reservation
/// whose owner has not beaten for two grace periods (its worker died). This polling, about one
/// wake-up per millisecond, happens only while a reservation is outstanding.
///
/// # Cancellation and timeouts
///
/// An acquire may be abandoned after any [`Step::Wait`]: it holds nothing. Call
/// [`abandon`](Self::abandon), and wake all waiters when it returns `true`: a writer that gives
/// up while readers wait behind its reservation drops the reservation at once, and the woken
/// readers go in. Skipping it (a worker that died) is still correct; the readers are then kept
/// out for about two grace periods, until the lease runs out.
///
/// # Memory ordering
///
/// Every lock is an `Acquire` compare-exchange and every unlock a `Release` one on the same word:
/// a lock sees everything done under every earlier lock of either mode, and a writer's changes
/// are never seen by a reader that held the lock before it.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AtomicU32, ParkingFutex, RawRwLock};
///
/// let word = AtomicU32::new(RawRwLock::UNLOCKED);
/// let lock = RawRwLock::new(&word);
/// assert!(lock.try_read());
/// assert!(lock.try_read(), "readers share the lock");
/// assert!(!lock.try_write());
/// assert_eq!(lock.readers(), 2);
/// lock.read_unlock_and_wake(&ParkingFutex).unwrap();
/// lock.read_unlock_and_wake(&ParkingFutex).unwrap();
/// lock.write(&ParkingFutex);
/// assert!(!lock.try_read());
/// assert_eq!(lock.write_unlock(), Ok(false)); // uncontended: nobody to wake
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawRwLock<'a> {
    word: &'a AtomicU32,
}

impl<'a> RawRwLock<'a> {
    /// The value of an unlocked word (every read permit free): initialise lock words with it.
    pub const UNLOCKED: u32 = MAX_READERS;

    /// A lock view of `word`, which must hold a value written by this type (or
    /// [`UNLOCKED`](Self::UNLOCKED)).
    pub const fn new(word: &'a AtomicU32) -> Self {
        Self { word }
    }

    /// A lock view of the word at `ptr` (in Wasm: the address the JS side passes).
    ///
    /// # Safety
    ///
    /// `ptr` must be non-null, 4-byte aligned, and valid for reads and writes for `'a`; every
    /// access to the word during `'a`, from any thread or JS, must be atomic; and the word must
    /// hold a value written by this type or [`UNLOCKED`](Self::UNLOCKED).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::RawRwLock;
    ///
    /// let mut storage = RawRwLock::UNLOCKED;
    /// // SAFETY: `storage` is aligned, outlives `lock`, and is only used through it.
    /// let lock = unsafe { RawRwLock::from_ptr(&mut storage) };
    /// assert!(lock.try_write());
    /// # }
    /// ```
    #[cfg(not(loom))]
    pub unsafe fn from_ptr(ptr: *mut u32) -> Self {
        // SAFETY: forwarded verbatim from this function's contract.
        Self::new(unsafe { crate::atomic::word_from_ptr(ptr) })
    }

    /// The word this lock lives in; waiters wait on it.
    #[must_use]
    pub const fn word(&self) -> &'a AtomicU32 {
        self.word
    }

    fn permits(&self) -> Permits<'a> {
        Permits {
            state: self.word,
            capacity: MAX_READERS,
            reserve_at_once: true,
        }
    }

    fn available(&self) -> u32 {
        // Relaxed: a snapshot for diagnostics; it orders nothing.
        self.word.load(Ordering::Relaxed) & MAX_READERS
    }

    /// Read locks held right now (a snapshot, for diagnostics and tests); 0 while write-locked.
    /// [`MAX_READERS`] readers look like a writer here.
    #[must_use]
    pub fn readers(&self) -> u32 {
        match self.available() {
            0 => 0,
            free => MAX_READERS - free,
        }
    }

    /// Whether the lock is write-locked right now (a snapshot).
    #[must_use]
    pub fn is_write_locked(&self) -> bool {
        self.available() == 0
    }

    /// Takes a read lock if no writer holds the lock and no waiter has reserved it; never waits,
    /// never writes otherwise. This is the uncontended read lock: one compare-exchange.
    #[must_use = "a successful try_read must be followed by read_unlock"]
    pub fn try_read(&self) -> bool {
        self.permits().try_acquire(1)
    }

    /// Takes the write lock if nobody holds the lock and no waiter has reserved it; never waits,
    /// never writes otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawRwLock};
    ///
    /// let word = AtomicU32::new(RawRwLock::UNLOCKED);
    /// let lock = RawRwLock::new(&word);
    /// assert!(lock.try_write());
    /// assert!(!lock.try_write());
    /// assert!(!lock.try_read());
    /// # }
    /// ```
    #[must_use = "a successful try_write must be followed by write_unlock"]
    pub fn try_write(&self) -> bool {
        self.permits().try_acquire(MAX_READERS)
    }

    /// Starts a read lock to be driven by [`lock_step`](Self::lock_step).
    #[must_use]
    pub const fn begin_read(&self) -> AcquireAttempt {
        AcquireAttempt::with_permits(1).reserving()
    }

    /// Starts a write lock to be driven by [`lock_step`](Self::lock_step).
    #[must_use]
    pub const fn begin_write(&self) -> AcquireAttempt {
        AcquireAttempt::with_permits(MAX_READERS).reserving()
    }

    /// One non-blocking step of a contended read or write lock (the attempt says which): takes the
    /// lock, or records that the caller is about to wait and says on which value.
    ///
    /// Protocol: as for [`crate::RawSemaphore::acquire_step`]: `let mut a = begin_write(); loop {
    /// match lock_step(&mut a) { Acquired => break, Wait(p) => wait on the word while it is
    /// p.expected (at most GRACE if p.bounded) } }`; on giving up, [`abandon`](Self::abandon).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawRwLock, Step};
    ///
    /// let word = AtomicU32::new(RawRwLock::UNLOCKED);
    /// let lock = RawRwLock::new(&word);
    /// assert!(lock.try_read());
    /// let mut writer = lock.begin_write();
    /// let Step::Wait(park) = lock.lock_step(&mut writer) else { panic!() };
    /// assert!(park.bounded, "the writer reserved the lock: it steps again within GRACE");
    /// assert!(!lock.try_read(), "new readers wait behind the writer");
    /// assert_eq!(lock.read_unlock(), Ok(true)); // wake all waiters
    /// assert_eq!(lock.lock_step(&mut writer), Step::Acquired);
    /// # }
    /// ```
    pub fn lock_step(&self, attempt: &mut AcquireAttempt) -> Step {
        self.permits().acquire_step(attempt)
    }

    /// Gives up a read or write lock after a [`Step::Wait`] (timeout, abort): drops the
    /// reservation it made, if that is still in place. Returns `true` when the caller must then
    /// wake all waiters of the word (readers kept out by a writer's reservation may go in).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawRwLock, Step};
    ///
    /// let word = AtomicU32::new(RawRwLock::UNLOCKED);
    /// let lock = RawRwLock::new(&word);
    /// assert!(lock.try_read());
    /// let mut writer = lock.begin_write();
    /// assert!(matches!(lock.lock_step(&mut writer), Step::Wait(_)));
    /// assert!(!lock.try_read());
    /// assert!(lock.abandon(&writer)); // the writer timed out: wake all waiters
    /// assert!(lock.try_read(), "readers are no longer kept out");
    /// # }
    /// ```
    #[must_use = "when this returns true every waiter of the word must be woken"]
    pub fn abandon(&self, attempt: &AcquireAttempt) -> bool {
        self.permits().abandon(attempt)
    }

    /// Releases one read lock. Returns `Ok(true)` when the caller must then wake **all** waiters
    /// of the word (`Atomics.notify(view, index)` / [`Futex::wake`] with [`WAKE_ALL`]).
    ///
    /// # Errors
    ///
    /// [`SyncError::RwLockNotReadLocked`] if no reader holds the lock; the word is then unchanged.
    /// (A read unlock of a write-locked word is not detected: it cannot be told from
    /// [`MAX_READERS`] readers.)
    #[must_use = "when this returns Ok(true) every waiter of the word must be woken"]
    pub fn read_unlock(&self) -> Result<bool, SyncError> {
        self.permits()
            .release(1)
            .map_err(|_| SyncError::RwLockNotReadLocked)
    }

    /// Releases the write lock. Returns `Ok(true)` when the caller must then wake **all** waiters.
    ///
    /// # Errors
    ///
    /// [`SyncError::RwLockNotWriteLocked`] if the lock is not write-locked; the word is then
    /// unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawRwLock, SyncError};
    ///
    /// let word = AtomicU32::new(RawRwLock::UNLOCKED);
    /// let lock = RawRwLock::new(&word);
    /// assert!(lock.try_read());
    /// assert_eq!(lock.write_unlock(), Err(SyncError::RwLockNotWriteLocked));
    /// assert_eq!(lock.read_unlock(), Ok(false));
    /// assert_eq!(lock.read_unlock(), Err(SyncError::RwLockNotReadLocked));
    /// # }
    /// ```
    #[must_use = "when this returns Ok(true) every waiter of the word must be woken"]
    pub fn write_unlock(&self) -> Result<bool, SyncError> {
        self.permits()
            .release(MAX_READERS)
            .map_err(|_| SyncError::RwLockNotWriteLocked)
    }

    /// [`read_unlock`](Self::read_unlock), then wakes every waiter on `futex` if needed. Returns
    /// how many were woken.
    ///
    /// # Errors
    ///
    /// As for [`read_unlock`](Self::read_unlock).
    pub fn read_unlock_and_wake<F: Futex + ?Sized>(&self, futex: &F) -> Result<u32, SyncError> {
        Ok(if self.read_unlock()? {
            futex.wake(self.word, WAKE_ALL)
        } else {
            0
        })
    }

    /// [`write_unlock`](Self::write_unlock), then wakes every waiter on `futex` if needed.
    /// Returns how many were woken.
    ///
    /// # Errors
    ///
    /// As for [`write_unlock`](Self::write_unlock).
    pub fn write_unlock_and_wake<F: Futex + ?Sized>(&self, futex: &F) -> Result<u32, SyncError> {
        Ok(if self.write_unlock()? {
            futex.wake(self.word, WAKE_ALL)
        } else {
            0
        })
    }

    /// Blocks until a read lock is held, sleeping on `futex`: [`try_read`](Self::try_read), then
    /// the same [`lock_step`](Self::lock_step) loop JS runs.
    pub fn read<F: Futex + ?Sized>(&self, futex: &F) {
        self.permits().acquire(1, futex);
    }

    /// Blocks until the write lock is held, sleeping on `futex`.
    pub fn write<F: Futex + ?Sized>(&self, futex: &F) {
        self.permits().acquire(MAX_READERS, futex);
    }

    /// Like [`read`](Self::read), giving up after `timeout` (measured on `clock`).
    ///
    /// # Errors
    ///
    /// [`SyncError::TimedOut`] when the timeout elapses first; nothing is held then and any
    /// reservation was given back.
    pub fn read_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        futex: &F,
        clock: &C,
        timeout: Duration,
    ) -> Result<(), SyncError> {
        self.permits().acquire_timeout(1, futex, clock, timeout)
    }

    /// Like [`write`](Self::write), giving up after `timeout` (measured on `clock`); giving up
    /// drops the writer's reservation and wakes the readers it kept out.
    ///
    /// # Errors
    ///
    /// [`SyncError::TimedOut`] when the timeout elapses first; nothing is held then.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use std::time::Duration;
    /// use weft_sync::{AtomicU32, ParkingFutex, RawRwLock, StdClock, SyncError};
    ///
    /// let word = AtomicU32::new(RawRwLock::UNLOCKED);
    /// let lock = RawRwLock::new(&word);
    /// lock.read(&ParkingFutex);
    /// let r = lock.write_timeout(&ParkingFutex, &StdClock::new(), Duration::from_millis(5));
    /// assert_eq!(r, Err(SyncError::TimedOut));
    /// assert!(lock.try_read(), "the timed-out writer left no reservation behind");
    /// # }
    /// ```
    pub fn write_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        futex: &F,
        clock: &C,
        timeout: Duration,
    ) -> Result<(), SyncError> {
        self.permits()
            .acquire_timeout(MAX_READERS, futex, clock, timeout)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::step::Park;
    use crate::ParkingFutex;

    fn word() -> AtomicU32 {
        AtomicU32::new(RawRwLock::UNLOCKED)
    }

    #[test]
    fn uncontended_locks_are_single_compare_exchanges_that_wake_nobody() {
        let w = word();
        let l = RawRwLock::new(&w);
        assert!(l.try_read());
        assert_eq!(w.load(Ordering::Relaxed), MAX_READERS - 1);
        assert_eq!(l.read_unlock(), Ok(false));
        assert!(l.try_write());
        assert_eq!(w.load(Ordering::Relaxed), 0);
        assert_eq!(l.write_unlock(), Ok(false));
        assert_eq!(w.load(Ordering::Relaxed), RawRwLock::UNLOCKED);
    }

    #[test]
    fn readers_share_and_exclude_writers() {
        let w = word();
        let l = RawRwLock::new(&w);
        for n in 1..=3 {
            assert!(l.try_read());
            assert_eq!(l.readers(), n);
        }
        assert!(!l.try_write());
        assert!(!l.is_write_locked());
        for _ in 0..3 {
            assert_eq!(l.read_unlock(), Ok(false));
        }
        assert!(l.try_write());
        assert!(l.is_write_locked());
        assert_eq!(l.readers(), 0);
        assert!(!l.try_read());
        assert!(!l.try_write());
    }

    #[test]
    fn a_waiting_writer_keeps_new_readers_out_until_it_has_written() {
        let w = word();
        let l = RawRwLock::new(&w);
        assert!(l.try_read());
        let mut writer = l.begin_write();
        assert!(matches!(
            l.lock_step(&mut writer),
            Step::Wait(Park { bounded: true, .. })
        ));
        // A stream of readers: none gets in, whether it tries or steps.
        assert!(!l.try_read());
        let mut reader = l.begin_read();
        assert!(matches!(
            l.lock_step(&mut reader),
            Step::Wait(Park { bounded: true, .. })
        ));
        assert_eq!(l.read_unlock(), Ok(true), "the waiters must be woken");
        assert_eq!(l.lock_step(&mut writer), Step::Acquired);
        assert!(matches!(l.lock_step(&mut reader), Step::Wait(_)));
        assert_eq!(l.write_unlock(), Ok(true));
        assert_eq!(l.lock_step(&mut reader), Step::Acquired);
    }

    #[test]
    fn a_waiting_reader_goes_before_a_writer_that_relocks() {
        let w = word();
        let l = RawRwLock::new(&w);
        assert!(l.try_write());
        let mut reader = l.begin_read();
        // Write-locked: the reader reserves its permit.
        assert!(matches!(
            l.lock_step(&mut reader),
            Step::Wait(Park { bounded: true, .. })
        ));
        assert_eq!(l.write_unlock(), Ok(true));
        // The writer that just unlocked comes back at once: it may not overtake the reader.
        assert!(!l.try_write());
        let mut again = l.begin_write();
        assert!(matches!(l.lock_step(&mut again), Step::Wait(_)));
        assert_eq!(l.lock_step(&mut reader), Step::Acquired);
        assert_eq!(l.read_unlock(), Ok(true));
        assert_eq!(l.lock_step(&mut again), Step::Acquired);
    }

    #[test]
    fn a_writer_that_gives_up_lets_the_readers_it_kept_out_in() {
        let w = word();
        let l = RawRwLock::new(&w);
        assert!(l.try_read());
        let mut writer = l.begin_write();
        let _ = l.lock_step(&mut writer);
        let mut reader = l.begin_read();
        assert!(matches!(l.lock_step(&mut reader), Step::Wait(_)));
        assert!(
            l.abandon(&writer),
            "its reservation kept readers out: wake them"
        );
        assert_eq!(l.lock_step(&mut reader), Step::Acquired);
        assert_eq!(l.readers(), 2);
    }

    #[test]
    fn a_vanished_writer_keeps_readers_out_for_two_grace_periods_only() {
        let w = word();
        let l = RawRwLock::new(&w);
        assert!(l.try_read());
        let mut writer = l.begin_write();
        let _ = l.lock_step(&mut writer);
        // The writer's worker dies: no more beats, no abandon.
        let mut reader = l.begin_read();
        for _ in 0..2 {
            let Step::Wait(park) = l.lock_step(&mut reader) else {
                panic!("kept out by the reservation")
            };
            assert!(park.bounded);
        }
        assert_eq!(l.lock_step(&mut reader), Step::Acquired);
    }

    #[test]
    fn unlocks_in_the_wrong_mode_are_errors_and_change_nothing() {
        let w = word();
        let l = RawRwLock::new(&w);
        assert_eq!(l.read_unlock(), Err(SyncError::RwLockNotReadLocked));
        assert_eq!(l.write_unlock(), Err(SyncError::RwLockNotWriteLocked));
        assert!(l.try_read());
        assert_eq!(l.write_unlock(), Err(SyncError::RwLockNotWriteLocked));
        assert_eq!(w.load(Ordering::Relaxed), MAX_READERS - 1);
    }

    #[test]
    fn timeouts_leave_the_lock_usable() {
        let w = word();
        let l = RawRwLock::new(&w);
        let clock = crate::StdClock::new();
        l.write(&ParkingFutex);
        let short = Duration::from_millis(5);
        assert_eq!(
            l.read_timeout(&ParkingFutex, &clock, short),
            Err(SyncError::TimedOut)
        );
        assert_eq!(
            l.write_timeout(&ParkingFutex, &clock, short),
            Err(SyncError::TimedOut)
        );
        l.write_unlock_and_wake(&ParkingFutex).unwrap();
        assert!(l.try_write(), "no reservation was left behind");
    }

    #[test]
    fn from_ptr_views_the_same_word() {
        let mut storage = RawRwLock::UNLOCKED;
        // SAFETY: `storage` is aligned, lives for the whole test and is only accessed through the
        // lock while the lock exists.
        let l = unsafe { RawRwLock::from_ptr(&mut storage) };
        assert!(l.try_read());
        assert_eq!(l.word().load(Ordering::Relaxed), MAX_READERS - 1);
    }
}
