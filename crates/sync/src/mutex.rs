//! A mutex on one 32-bit word.

use core::time::Duration;

use crate::atomic::{spin_loop, AtomicU32, Ordering};
use crate::futex::{Clock, Futex};
use crate::step::{Park, Step};
use crate::SyncError;

/// Set while the mutex is held.
const LOCKED: u32 = 0b001;
/// Set while some thread may be sleeping on the word: the next unlock must wake.
const PARKED: u32 = 0b010;
/// Set by every waiter that parks on a held mutex: until a waiter takes it, newcomers may not.
const FAIR: u32 = 0b100;

/// How long an acquire waits before it asks for the mutex (`FAIR`): parking_lot's eventual
/// fairness, half a millisecond.
pub const FAIR_AFTER: Duration = Duration::from_micros(500);

/// What stands in for [`FAIR_AFTER`] when the driver has no clock ([`RawMutex::lock`]): the attempt
/// counts as overdue once it has been woken and lost the race this many times in a row. Under
/// loom it is 1, so that the models reach the fairness states within their preemption bound; the
/// logic is the same for any count.
const FAIR_AFTER_WAITS: u32 = if cfg!(loom) { 1 } else { 2 };

/// [`LockAttempt`]'s bit saying it has waited long enough to ask for the mutex.
const OVERDUE: u32 = 1 << 31;

/// How many times `RawMutex::spin_lock` reads a held word before giving up: a fraction of a
/// microsecond while the word stays in this core's cache, well under the cost of one sleep and
/// wake-up (several microseconds in every engine). Longer spins cost throughput under contention:
/// a spinning thread takes a core from the holder when threads outnumber cores, and a lock it
/// snatches moves to another core with its data. In `bench/mutex.bench.js` (two workers and the
/// main thread on 2 cores, alternating builds, 4 runs each) 1000 reads gave 0.72–0.85 of the
/// unfair futex mutex's throughput on Node and 0.78–0.91 on Deno, 100 reads 0.81–0.96 and
/// 1.03–1.08, 30 reads 0.85–0.91 and 0.92–1.23; with work between two locks, 100 and 1000 were
/// alike (0.79–0.97 against 0.77–1.00). Under loom, enough to explore the loop's interleavings
/// without exploding the state space.
const SPIN_LIMIT: u32 = if cfg!(loom) { 2 } else { 100 };

/// A mutex whose whole state is one 32-bit word in (possibly shared) memory.
///
/// `RawMutex` is a view: it borrows the word and can be created afresh for every call, from any
/// thread, Wasm or native, so the Wasm glue builds one from a word address per call. It holds no
/// guard; whoever locked must unlock. It is not reentrant.
///
/// # Word layout
///
/// | bit | name     | meaning |
/// |-----|----------|---------|
/// | 0   | `LOCKED` | the mutex is held |
/// | 1   | `PARKED` | a thread may be waiting on the word; unlock must wake one waiter |
/// | 2   | `FAIR`   | a waiter is owed the mutex: until a waiter acquires it, newcomers defer |
/// | 3–31| —        | always 0 |
///
/// So `0` = unlocked, `1` = locked, `3` = locked with possible waiters (the classic three states,
/// with "contended" in bit 1), plus the fairness bit: `4`/`6` = unlocked and reserved for waiters,
/// `5`/`7` = locked with waiters owed it. An uncontended `lock`/`unlock` pair is one
/// compare-exchange each and never wakes anyone.
///
/// # Waking: one waiter per contended unlock, never a hand-off
///
/// A contended unlock clears `LOCKED` and `PARKED` and then wakes **one** waiter of the word
/// (`Atomics.notify(view, index, 1)`). The woken waiter runs its step again and either takes the
/// mutex or sets `PARKED` and sleeps again; a waiter that takes the mutex after having waited sets
/// `PARKED` as it takes it, because other threads may still sleep. Either way `PARKED` is set again
/// while anyone may sleep, so the next unlock wakes the next waiter: the wake-up is passed along
/// the waiters one at a time, as a classic three-state futex mutex does. Nothing is handed to the
/// woken waiter: a thread that arrives meanwhile may take the mutex first, and the waiter sleeps
/// again (see Fairness).
///
/// Waking one rather than all matters under contention: every thread woken for nothing costs a
/// core its time to wake, fail and sleep again, which on a machine with few cores is time taken
/// from the holder. In `bench/mutex.bench.js` (two workers and the main thread on 2 cores,
/// alternating builds, 3 to 7 runs each), waking all gave 0.69–0.91 of an unfair futex mutex's
/// throughput on Node, 0.81–0.84 on Deno and 0.88–1.26 on Bun; waking one 0.84–1.05, 0.84–0.86
/// and 1.13–1.47.
///
/// The price is that a wake-up must reach a waiter that will step again. A waiter that vanishes
/// while registered in the engine's list (a JS `waitAsync` whose caller gave up, a worker
/// terminated while it waits) could swallow the one wake-up while others sleep on. Whoever drops
/// such a waiter therefore wakes **all** waiters of the word: [`abandon`](Self::abandon) says so
/// for an attempt that has waited (its `waitAsync` may still be registered; waking all removes it
/// and makes every live waiter step again), and the JS side records which word a worker waits on
/// so that the thread reaping a dead worker wakes that word's waiters. A wake-up swallowed by a
/// vanished waiter is thereby passed on as soon as the vanishing is noticed.
///
/// # Fairness
///
/// Plain barging is not enough: engines wake waiters in FIFO order, but a woken waiter needs
/// microseconds to run, while the thread that just unlocked relocks within nanoseconds, so one hot
/// thread keeps the mutex for hundreds of acquisitions per wake-up and, in a loop, nearly forever.
/// Hence "waiters before newcomers", without hand-off:
///
/// - An acquire in progress is tracked by a [`LockAttempt`] that counts its waits and knows
///   whether it is *overdue*: its driver has seen it wait [`FAIR_AFTER`] (0.5 ms) or longer since
///   it first parked ([`LockAttempt::note_waited`]). Parking on a held mutex sets `PARKED`;
///   parking while overdue also sets `FAIR`.
/// - While `FAIR` is set, [`try_lock`](Self::try_lock) fails and a *newcomer* (an attempt that has
///   not waited yet, such as the thread that just unlocked) may not take the free mutex: it sets
///   `PARKED` and waits, bounded by [`crate::GRACE`]. Any attempt that *has* waited may take it, and
///   taking it clears `FAIR` (the losers set it again when they park).
/// - So after a contended unlock the mutex goes to one of the threads that were already waiting,
///   whichever the engine runs first, not back to the thread that released it. The order among
///   waiters is not FIFO, but a thread cannot be overtaken by the same hot thread again and again.
///
/// Fairness is eventual, parking_lot's idea: a waiter's wake-ups may lose to a barging releaser
/// for up to [`FAIR_AFTER`], then it asks for the mutex with `FAIR` and gets it at the next
/// contended unlock. Between hand-offs a hot thread keeps the mutex, instead of handing it over at
/// every unlock and leaving it idle for a wake-up latency each time. The measure is time rather
/// than a count of lost races because a wake-up costs anything from a few microseconds (both
/// threads on one core) to a hundred (a sleeping core is woken): counted in races, the interval
/// between hand-offs would follow that latency. On the 2-core machine of `bench/`, where a wake-up
/// takes 50–100 µs, the two rules measured the same (the "Mutex contended" workload of
/// `bench/mutex.bench.js`, 61 interleaved rounds, two runs each): after two lost races
/// 0.57–0.59, 0.65–0.76 and 0.89–0.98 of an unfair futex mutex's throughput on Node, Deno and Bun;
/// after 0.5 ms 0.60–0.63, 0.58–0.68 and 0.89–0.97. A driver without a clock
/// ([`RawMutex::lock`]) counts instead: overdue after `FAIR_AFTER_WAITS` (2) lost races.
///
/// Before parking at all, an acquire that finds the mutex held by a thread nobody waits for spins
/// a little ([`spin_lock`](Self::spin_lock)): short critical sections end sooner than a sleep and
/// wake-up would.
///
/// If every waiter that could take a `FAIR` mutex is gone, nobody is obliged to wake the newcomers,
/// which is why their wait is bounded: after one [`crate::GRACE`] they count as waiters and take
/// it. A vanished waiter therefore costs at most one grace period of latency, never a deadlock.
/// The trade-off: under sustained contention, handing the mutex to another thread costs that
/// thread's wake-up latency (a few µs) where barging would let the releaser carry on within
/// nanoseconds; the mutex prefers spreading acquisitions over keeping one thread hot. Uncontended
/// and briefly contended use is unaffected (no `FAIR` without a parked waiter).
///
/// # Cancellation and timeouts
///
/// An attempt may be given up after any [`Step::Wait`] (timeout, `AbortSignal`, the worker going
/// away): a waiting attempt holds nothing. What it may leave behind is a `PARKED` bit (one
/// spurious wake-up), a `FAIR` bit (at most one grace period for newcomers) and, for a JS waiter,
/// a `waitAsync` still registered in the engine's list, which could swallow an unlock's one
/// wake-up. [`abandon`](Self::abandon) clears `FAIR` and says when all waiters must be woken to
/// remove such a registration; a waiter whose own wait ended (a blocking wait that timed out) is
/// no longer registered and needs nothing.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AtomicU32, ParkingFutex, RawMutex};
///
/// let word = AtomicU32::new(RawMutex::UNLOCKED);
/// let mutex = RawMutex::new(&word);
/// mutex.lock(&ParkingFutex);
/// assert!(!mutex.try_lock());
/// mutex.unlock_and_wake(&ParkingFutex).unwrap();
/// assert!(mutex.try_lock());
/// assert_eq!(mutex.unlock(), Ok(false)); // uncontended: nobody to wake
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawMutex<'a> {
    word: &'a AtomicU32,
}

/// The state of one acquire of a [`RawMutex`] that is in progress: how often it has waited.
///
/// Start one per acquire with [`LockAttempt::new`] and pass the same one to every
/// [`RawMutex::lock_step`] of that acquire. It is a plain number
/// ([`into_bits`](Self::into_bits)/[`from_bits`](Self::from_bits)) so JS can carry it between steps.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::LockAttempt;
///
/// let a = LockAttempt::new();
/// assert_eq!(LockAttempt::from_bits(a.into_bits()), a);
/// assert_eq!(a.into_bits(), 0);
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LockAttempt {
    /// Bits 0–30: waits so far; bit 31: [`OVERDUE`].
    bits: u32,
}

impl LockAttempt {
    /// A fresh attempt that has not waited.
    #[must_use]
    pub const fn new() -> Self {
        Self { bits: 0 }
    }

    /// The attempt as a number, to carry across the JS boundary.
    #[must_use]
    pub const fn into_bits(self) -> u32 {
        self.bits
    }

    /// The attempt back from [`into_bits`](Self::into_bits). Any number is a valid attempt.
    #[must_use]
    pub const fn from_bits(bits: u32) -> Self {
        Self { bits }
    }

    /// How many times this attempt returned [`Step::Wait`].
    #[must_use]
    pub const fn waits(&self) -> u32 {
        self.bits & !OVERDUE
    }

    /// Tells the attempt how long it has waited since it first parked: from [`FAIR_AFTER`] on it
    /// is overdue, and its next park asks for the mutex. Drivers with a clock call this after each
    /// wait; a shorter time than before changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use std::time::Duration;
    /// use weft_sync::{LockAttempt, FAIR_AFTER};
    ///
    /// let mut a = LockAttempt::new();
    /// a.note_waited(Duration::from_micros(100));
    /// assert!(!a.is_overdue());
    /// a.note_waited(FAIR_AFTER);
    /// assert!(a.is_overdue());
    /// # }
    /// ```
    pub fn note_waited(&mut self, waited: Duration) {
        if waited >= FAIR_AFTER {
            self.bits |= OVERDUE;
        }
    }

    /// Whether the attempt has waited long enough to ask for the mutex.
    #[must_use]
    pub const fn is_overdue(&self) -> bool {
        self.bits & OVERDUE != 0
    }

    fn has_waited(&self) -> bool {
        self.waits() > 0
    }

    /// The clockless stand-in for [`note_waited`](Self::note_waited): overdue after
    /// `FAIR_AFTER_WAITS` waits.
    fn count_waits(&mut self) {
        if self.waits() >= FAIR_AFTER_WAITS {
            self.bits |= OVERDUE;
        }
    }

    fn park(&mut self, expected: u32, bounded: bool) -> Step {
        if self.waits() < !OVERDUE {
            self.bits += 1;
        }
        Step::Wait(Park { expected, bounded })
    }
}

impl<'a> RawMutex<'a> {
    /// The value of an unlocked word: initialise mutex words with it.
    pub const UNLOCKED: u32 = 0;

    /// The value of a word held with nobody parked and nothing owed: what
    /// [`try_lock`](Self::try_lock) writes into an [`UNLOCKED`](Self::UNLOCKED) word, and the one
    /// held state whose [`unlock`](Self::unlock) is a single compare-exchange back to `UNLOCKED`
    /// that wakes nobody (callers without access to this type, such as JS, may run both
    /// compare-exchanges themselves on the same word).
    pub const LOCKED: u32 = LOCKED;

    /// A mutex view of `word`, which must hold a value written by this type (or
    /// [`UNLOCKED`](Self::UNLOCKED)).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawMutex};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// assert!(!RawMutex::new(&word).is_locked());
    /// # }
    /// ```
    pub const fn new(word: &'a AtomicU32) -> Self {
        Self { word }
    }

    /// A mutex view of the word at `ptr` (in Wasm: the address the JS side passes).
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
    /// use weft_sync::RawMutex;
    ///
    /// let mut storage = 0u32;
    /// // SAFETY: `storage` is aligned, outlives `mutex`, and is only used through it.
    /// let mutex = unsafe { RawMutex::from_ptr(&mut storage) };
    /// assert!(mutex.try_lock());
    /// # }
    /// ```
    #[cfg(not(loom))]
    pub unsafe fn from_ptr(ptr: *mut u32) -> Self {
        // SAFETY: forwarded verbatim from this function's contract.
        Self::new(unsafe { crate::atomic::word_from_ptr(ptr) })
    }

    /// The word this mutex lives in; waiters wait on it.
    #[must_use]
    pub const fn word(&self) -> &'a AtomicU32 {
        self.word
    }

    /// Whether the mutex is held right now (a snapshot, for diagnostics and tests).
    #[must_use]
    pub fn is_locked(&self) -> bool {
        self.word.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// Takes the mutex if it is free and nobody is owed it; never waits, never writes otherwise.
    ///
    /// Fails when the mutex is held, and also when it is free but reserved for waiters (`FAIR`).
    /// A failed `try_lock` leaves no trace, so it is the fast path of every acquire.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawMutex};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// let mutex = RawMutex::new(&word);
    /// assert!(mutex.try_lock());
    /// assert!(!mutex.try_lock());
    /// # }
    /// ```
    #[must_use = "a successful try_lock must be followed by unlock"]
    pub fn try_lock(&self) -> bool {
        // Acquire: on success, pairs with the Release of the unlock that freed the word, so the
        // previous holder's writes are visible to us.
        self.word
            .compare_exchange(Self::UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Spins briefly for a mutex that is held but that nobody waits for: takes it if it is freed
    /// within a hundred reads of the word. Returns at once, without taking it, when a thread is
    /// parked or owed the mutex (spinning would overtake it, and its holder is already in the slow
    /// path).
    /// Writes nothing unless it takes the mutex, so it may precede any acquire.
    ///
    /// Critical sections are usually far shorter than a sleep and wake-up, so waiting for one by
    /// re-reading the word a little before parking saves both threads the futex.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawMutex};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// let mutex = RawMutex::new(&word);
    /// assert!(mutex.spin_lock());
    /// assert!(!mutex.spin_lock(), "held by us, and nobody frees it");
    /// # }
    /// ```
    #[must_use = "a successful spin_lock must be followed by unlock"]
    pub fn spin_lock(&self) -> bool {
        for _ in 0..SPIN_LIMIT {
            let v = self.word.load(Ordering::Relaxed);
            if v == Self::UNLOCKED {
                if self.try_lock() {
                    return true;
                }
            } else if v & (PARKED | FAIR) != 0 {
                return false;
            }
            spin_loop();
        }
        false
    }

    /// One non-blocking step of a contended acquire: takes the mutex, or records that the caller
    /// is about to wait and says on which value.
    ///
    /// Protocol: `let mut a = LockAttempt::new(); loop { match lock_step(&mut a) { Acquired =>
    /// break, Wait(p) => wait on the word while it is p.expected (at most GRACE if p.bounded) } }`.
    /// The caller may stop after any `Wait` without undoing anything (see the type's docs).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, LockAttempt, Park, RawMutex, Step};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// let mutex = RawMutex::new(&word);
    /// assert!(mutex.try_lock());
    /// let mut a = LockAttempt::new();
    /// // Held: wait on "locked + waiters parked" (3); the unlock will wake us.
    /// assert_eq!(mutex.lock_step(&mut a), Step::Wait(Park { expected: 3, bounded: false }));
    /// assert_eq!(mutex.unlock(), Ok(true)); // must wake one waiter
    /// assert_eq!(mutex.lock_step(&mut a), Step::Acquired);
    /// # }
    /// ```
    pub fn lock_step(&self, attempt: &mut LockAttempt) -> Step {
        let mut v = self.word.load(Ordering::Relaxed);
        loop {
            if v & LOCKED == 0 {
                if v & FAIR == 0 || attempt.has_waited() {
                    // Take it; a fairness request is satisfied by any waiter taking it. Keep
                    // PARKED, and set it if we have waited: other threads may still sleep (the
                    // unlock that woke us woke only us), and our unlock must wake the next one.
                    // Acquire: pairs with the Release of the unlock that cleared LOCKED.
                    let parked = if attempt.has_waited() { PARKED } else { 0 };
                    match self.word.compare_exchange_weak(
                        v,
                        (v | LOCKED | parked) & !FAIR,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => return Step::Acquired,
                        Err(now) => v = now,
                    }
                    continue;
                }
                // Free but reserved for threads that already waited, and we have not: defer. Nobody
                // is obliged to wake us (those waiters may be gone), hence the bounded wait.
                let want = v | PARKED;
                if want != v {
                    // Relaxed: PARKED only has to be seen by the RMW of a later lock/unlock of this
                    // same word, which the modification order guarantees; it publishes no data.
                    if let Err(now) = self.word.compare_exchange_weak(
                        v,
                        want,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        v = now;
                        continue;
                    }
                }
                return attempt.park(want, true);
            }
            // Held. Make sure the holder's unlock wakes us and that the mutex is owed to waiters.
            let want = v | PARKED | if attempt.is_overdue() { FAIR } else { 0 };
            if want != v {
                // Relaxed: as above, only the modification order of this word matters.
                if let Err(now) =
                    self.word
                        .compare_exchange_weak(v, want, Ordering::Relaxed, Ordering::Relaxed)
                {
                    v = now;
                    continue;
                }
            }
            return attempt.park(want, false);
        }
    }

    /// Gives up a waiting attempt (abort, timeout). Nothing is held; but an attempt that waited
    /// may have set `FAIR`, which would make [`try_lock`](Self::try_lock) fail on a free mutex
    /// until some later waiter takes it, so the bit is cleared (costing at most some fairness to
    /// other waiters, who set it again when they park).
    ///
    /// Returns `true` when the attempt has waited: if its last wait may still be registered in the
    /// futex's list (a JS `waitAsync` left pending), the caller must wake **all** waiters of the
    /// word ([`Futex::wake`] with [`crate::WAKE_ALL`]), which removes it, so that it cannot
    /// swallow the one wake-up of a later unlock (see the type's docs). A caller whose wait has
    /// ended may ignore it.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, LockAttempt, RawMutex, Step};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// let mutex = RawMutex::new(&word);
    /// assert!(mutex.try_lock());
    /// let mut a = LockAttempt::new();
    /// assert!(matches!(mutex.lock_step(&mut a), Step::Wait(_)));
    /// assert!(mutex.abandon(&a)); // the waiter gave up: wake all waiters if its wait is pending
    /// assert_eq!(mutex.unlock(), Ok(true));
    /// assert!(mutex.try_lock(), "free, and owed to nobody");
    /// # }
    /// ```
    #[must_use = "when this returns true, a pending wait of the attempt must be removed by waking all waiters"]
    pub fn abandon(&self, attempt: &LockAttempt) -> bool {
        if !attempt.has_waited() {
            return false;
        }
        // Relaxed: FAIR is a scheduling hint read by RMWs of this word; it guards no data.
        self.word.fetch_and(!FAIR, Ordering::Relaxed);
        true
    }

    /// Releases the mutex. Returns `Ok(true)` when the caller must then wake **one** waiter of the
    /// word (`Atomics.notify(view, index, 1)` / [`Futex::wake`] with a count of 1); `Ok(false)`
    /// when nobody waits.
    ///
    /// # Errors
    ///
    /// [`SyncError::NotLocked`] if the word is not locked; it is then left unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, RawMutex, SyncError};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// let mutex = RawMutex::new(&word);
    /// assert_eq!(mutex.unlock(), Err(SyncError::NotLocked));
    /// assert!(mutex.try_lock());
    /// assert_eq!(mutex.unlock(), Ok(false));
    /// # }
    /// ```
    #[must_use = "when this returns Ok(true) one waiter of the word must be woken"]
    pub fn unlock(&self) -> Result<bool, SyncError> {
        let mut v = self.word.load(Ordering::Relaxed);
        loop {
            if v & LOCKED == 0 {
                return Err(SyncError::NotLocked);
            }
            // Clear LOCKED and PARKED (everyone asleep is about to be woken; whoever sleeps again
            // sets PARKED again), keep a pending fairness request.
            // Release: publishes the critical section's writes to the next acquirer.
            match self
                .word
                .compare_exchange_weak(v, v & FAIR, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return Ok(v & PARKED != 0),
                Err(now) => v = now,
            }
        }
    }

    /// Blocks until the mutex is held, sleeping on `futex`. Runs [`try_lock`](Self::try_lock),
    /// [`spin_lock`](Self::spin_lock) and then the same [`lock_step`](Self::lock_step) loop JS
    /// runs. Without a clock, the attempt counts lost races to become overdue (see the type's
    /// docs); [`lock_with_clock`](Self::lock_with_clock) measures [`FAIR_AFTER`] instead.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, ParkingFutex, RawMutex};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// RawMutex::new(&word).lock(&ParkingFutex);
    /// assert!(RawMutex::new(&word).is_locked());
    /// # }
    /// ```
    pub fn lock<F: Futex + ?Sized>(&self, futex: &F) {
        if self.try_lock() || self.spin_lock() {
            return;
        }
        let mut attempt = LockAttempt::new();
        loop {
            match self.lock_step(&mut attempt) {
                Step::Acquired => return,
                Step::Wait(park) => {
                    futex.wait(self.word, park.expected, park.timeout());
                    attempt.count_waits();
                }
            }
        }
    }

    /// Like [`lock`](Self::lock), asking for the mutex once it has waited [`FAIR_AFTER`] on
    /// `clock`.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{AtomicU32, ParkingFutex, RawMutex, StdClock};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// RawMutex::new(&word).lock_with_clock(&ParkingFutex, &StdClock::new());
    /// assert!(RawMutex::new(&word).is_locked());
    /// # }
    /// ```
    pub fn lock_with_clock<F: Futex + ?Sized, C: Clock + ?Sized>(&self, futex: &F, clock: &C) {
        let acquired = self.lock_until(futex, clock, None);
        debug_assert!(acquired.is_ok(), "no deadline, so no timeout");
    }

    /// Like [`lock`](Self::lock), giving up after `timeout` (measured on `clock`).
    ///
    /// # Errors
    ///
    /// [`SyncError::TimedOut`] when the timeout elapses first; nothing is held then and nothing
    /// needs undoing.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use std::time::Duration;
    /// use weft_sync::{AtomicU32, ParkingFutex, RawMutex, StdClock, SyncError};
    ///
    /// let word = AtomicU32::new(RawMutex::UNLOCKED);
    /// let mutex = RawMutex::new(&word);
    /// mutex.lock(&ParkingFutex);
    /// let r = mutex.lock_timeout(&ParkingFutex, &StdClock::new(), Duration::from_millis(5));
    /// assert_eq!(r, Err(SyncError::TimedOut));
    /// # }
    /// ```
    pub fn lock_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        futex: &F,
        clock: &C,
        timeout: core::time::Duration,
    ) -> Result<(), SyncError> {
        let deadline = clock.now().saturating_add(timeout);
        self.lock_until(futex, clock, Some(deadline))
    }

    /// The clocked lock loop: `deadline` on `clock`, `None` for none.
    fn lock_until<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        futex: &F,
        clock: &C,
        deadline: Option<Duration>,
    ) -> Result<(), SyncError> {
        if self.try_lock() || self.spin_lock() {
            return Ok(());
        }
        let mut attempt = LockAttempt::new();
        let mut parked_at = None;
        loop {
            match self.lock_step(&mut attempt) {
                Step::Acquired => return Ok(()),
                Step::Wait(park) => {
                    let now = clock.now();
                    let since = *parked_at.get_or_insert(now);
                    let t = match deadline {
                        Some(deadline) if now >= deadline => return Err(SyncError::TimedOut),
                        Some(deadline) => {
                            let left = deadline - now;
                            Some(park.timeout().map_or(left, |g| g.min(left)))
                        }
                        None => park.timeout(),
                    };
                    futex.wait(self.word, park.expected, t);
                    attempt.note_waited(clock.now().saturating_sub(since));
                }
            }
        }
    }

    /// [`unlock`](Self::unlock), then wakes one waiter on `futex` if needed. Returns how many
    /// were woken.
    ///
    /// # Errors
    ///
    /// [`SyncError::NotLocked`] as for [`unlock`](Self::unlock).
    pub fn unlock_and_wake<F: Futex + ?Sized>(&self, futex: &F) -> Result<u32, SyncError> {
        Ok(if self.unlock()? {
            futex.wake(self.word, 1)
        } else {
            0
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::GRACE;

    fn word(v: u32) -> AtomicU32 {
        AtomicU32::new(v)
    }

    #[test]
    fn uncontended_lock_unlock_never_wakes() {
        let w = word(0);
        let m = RawMutex::new(&w);
        assert!(m.try_lock());
        assert_eq!(w.load(Ordering::Relaxed), LOCKED);
        assert_eq!(m.unlock(), Ok(false));
        assert_eq!(w.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn contended_step_sets_parked_and_unlock_reports_wake() {
        let w = word(LOCKED);
        let m = RawMutex::new(&w);
        let mut a = LockAttempt::new();
        assert_eq!(
            m.lock_step(&mut a),
            Step::Wait(Park {
                expected: LOCKED | PARKED,
                bounded: false
            })
        );
        assert_eq!(a.waits(), 1);
        assert_eq!(m.unlock(), Ok(true));
        assert_eq!(w.load(Ordering::Relaxed), 0);
        // A waiter that takes the mutex sets PARKED: others may still sleep, and the unlock
        // woke only one of them.
        assert_eq!(m.lock_step(&mut a), Step::Acquired);
        assert_eq!(w.load(Ordering::Relaxed), LOCKED | PARKED);
        assert_eq!(m.unlock(), Ok(true));
        // A newcomer's uncontended lock and unlock wake nobody.
        let mut b = LockAttempt::new();
        assert_eq!(m.lock_step(&mut b), Step::Acquired);
        assert_eq!(w.load(Ordering::Relaxed), LOCKED);
        assert_eq!(m.unlock(), Ok(false));
    }

    #[test]
    fn waiter_is_owed_the_mutex_and_newcomers_defer() {
        let w = word(LOCKED);
        let m = RawMutex::new(&w);
        let mut old = LockAttempt::new();
        // First wait: no fairness requested yet.
        assert_eq!(
            m.lock_step(&mut old),
            Step::Wait(Park {
                expected: LOCKED | PARKED,
                bounded: false
            })
        );
        // Woken, but the releaser barged back in first, again and again: while the waiter has
        // waited less than FAIR_AFTER, it parks without asking for the mutex...
        for lost in 1..=3 {
            old.note_waited(FAIR_AFTER / 2);
            assert_eq!(m.unlock(), Ok(true));
            assert!(
                m.try_lock(),
                "nobody is owed the mutex yet after {lost} losses"
            );
            assert_eq!(
                m.lock_step(&mut old),
                Step::Wait(Park {
                    expected: LOCKED | PARKED,
                    bounded: false
                })
            );
        }
        // ...then, once it has waited FAIR_AFTER, it parks again asking for the mutex.
        old.note_waited(FAIR_AFTER);
        assert_eq!(m.unlock(), Ok(true));
        assert!(m.try_lock(), "not asked for yet");
        assert_eq!(
            m.lock_step(&mut old),
            Step::Wait(Park {
                expected: LOCKED | PARKED | FAIR,
                bounded: false
            })
        );
        assert_eq!(m.unlock(), Ok(true));
        assert_eq!(w.load(Ordering::Relaxed), FAIR);
        // The releaser (a newcomer) may not barge back in.
        assert!(!m.try_lock());
        let mut newcomer = LockAttempt::new();
        assert_eq!(
            m.lock_step(&mut newcomer),
            Step::Wait(Park {
                expected: FAIR | PARKED,
                bounded: true
            })
        );
        // The old waiter takes it and clears FAIR, keeping PARKED for the newcomer.
        assert_eq!(m.lock_step(&mut old), Step::Acquired);
        assert_eq!(w.load(Ordering::Relaxed), LOCKED | PARKED);
        assert_eq!(m.unlock(), Ok(true));
        assert_eq!(m.lock_step(&mut newcomer), Step::Acquired);
    }

    #[test]
    fn spin_lock_gives_way_to_parked_and_owed_waiters_without_writing() {
        for state in [LOCKED | PARKED, LOCKED | FAIR, FAIR, FAIR | PARKED] {
            let w = word(state);
            assert!(!RawMutex::new(&w).spin_lock(), "state {state:#b}");
            assert_eq!(
                w.load(Ordering::Relaxed),
                state,
                "state {state:#b} was written"
            );
        }
        let w = word(LOCKED);
        assert!(!RawMutex::new(&w).spin_lock(), "held, and nobody frees it");
        assert_eq!(w.load(Ordering::Relaxed), LOCKED);
    }

    #[test]
    fn spin_lock_takes_a_mutex_freed_after_it_failed_to() {
        use std::sync::atomic::AtomicBool;
        use std::time::{Duration, Instant};

        let w = word(LOCKED);
        let m = RawMutex::new(&w);
        let failed_once = AtomicBool::new(false);
        let taken = std::thread::scope(|s| {
            let spinner = s.spawn(|| {
                // Keeps spinning (each call about a microsecond) until it takes the mutex; the
                // deadline only turns a broken spin_lock into a failure instead of a hang.
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if m.spin_lock() {
                        return true;
                    }
                    failed_once.store(true, Ordering::SeqCst);
                }
                false
            });
            // Unlock only once the spinner has seen the mutex held, so the order is fixed.
            while !failed_once.load(Ordering::SeqCst) {
                std::hint::spin_loop();
            }
            assert_eq!(m.unlock(), Ok(false), "nobody parked: nothing to wake");
            spinner.join().unwrap()
        });
        assert!(taken, "the spinner never took the freed mutex");
        assert_eq!(
            w.load(Ordering::Relaxed),
            LOCKED,
            "the spinner holds it, nobody parked"
        );
    }

    #[test]
    fn vanished_waiter_costs_one_grace_period() {
        // A waiter set FAIR and then disappeared; the mutex is free.
        let w = word(FAIR);
        let m = RawMutex::new(&w);
        assert!(!m.try_lock());
        let mut a = LockAttempt::new();
        let Step::Wait(park) = m.lock_step(&mut a) else {
            panic!("newcomer must defer")
        };
        assert_eq!(park.timeout(), Some(GRACE));
        // After the bounded wait the newcomer counts as a waiter and takes it.
        assert_eq!(m.lock_step(&mut a), Step::Acquired);
        assert_eq!(m.unlock(), Ok(true));
        assert_eq!(w.load(Ordering::Relaxed), 0);
        assert!(m.try_lock());
    }

    #[test]
    fn unlock_of_unlocked_word_is_an_error_and_changes_nothing() {
        let w = word(FAIR | PARKED);
        assert_eq!(RawMutex::new(&w).unlock(), Err(SyncError::NotLocked));
        assert_eq!(w.load(Ordering::Relaxed), FAIR | PARKED);
    }

    #[test]
    fn attempt_bits_round_trip() {
        let w = word(LOCKED);
        let m = RawMutex::new(&w);
        let mut a = LockAttempt::new();
        let _ = m.lock_step(&mut a);
        let mut b = LockAttempt::from_bits(a.into_bits());
        assert_eq!(b, a);
        assert!(b.has_waited());
        let _ = m.lock_step(&mut b);
        assert_eq!(b.waits(), 2);
        b.note_waited(FAIR_AFTER);
        let c = LockAttempt::from_bits(b.into_bits());
        assert!(c.is_overdue());
        assert_eq!(c.waits(), 2, "the overdue bit is not a wait");
        let mut full = LockAttempt::from_bits(u32::MAX);
        let _ = m.lock_step(&mut full);
        assert_eq!(
            full.into_bits(),
            u32::MAX,
            "waits saturate below the overdue bit"
        );
    }

    #[test]
    fn clockless_lock_counts_lost_races() {
        let mut a = LockAttempt::new();
        let w = word(LOCKED);
        let m = RawMutex::new(&w);
        for _ in 0..FAIR_AFTER_WAITS {
            assert!(!a.is_overdue());
            let _ = m.lock_step(&mut a);
            a.count_waits();
        }
        assert!(a.is_overdue());
    }

    #[test]
    fn from_ptr_views_the_same_word() {
        let mut storage = 0u32;
        // SAFETY: `storage` is aligned, lives for the whole test and is only accessed through
        // the mutex while the mutex exists.
        let m = unsafe { RawMutex::from_ptr(&mut storage) };
        assert!(m.try_lock());
        assert_eq!(m.word().load(Ordering::Relaxed), LOCKED);
        assert_eq!(m.unlock(), Ok(false));
    }
}
