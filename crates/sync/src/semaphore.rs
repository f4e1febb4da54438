//! A counting semaphore on two 32-bit words.

use core::time::Duration;

use crate::atomic::{AtomicU32, Ordering};
use crate::futex::{Clock, Futex, WAKE_ALL};
use crate::mutex::FAIR_AFTER;
use crate::step::{Park, Step};
use crate::SyncError;

/// The largest capacity (and so the largest single acquire) a semaphore supports: 2^14 − 1.
pub const MAX_PERMITS: u32 = AVAIL_MASK;

/// Bits 0–13: permits available now.
const AVAIL_MASK: u32 = 0x0000_3FFF;
/// Bits 14–27: permits reserved for one waiter (0: no reservation).
const NEED_SHIFT: u32 = 14;
const NEED_MASK: u32 = AVAIL_MASK << NEED_SHIFT;
/// Bits 28–30: the reserving waiter's heartbeat, bumped (mod 8) at each of its steps.
const BEAT_SHIFT: u32 = 28;
const BEAT_MASK: u32 = 0b111 << BEAT_SHIFT;
/// Bit 31: some thread may be waiting on the state word; the next release must wake all waiters.
const PARKED: u32 = 1 << 31;

/// How many times an acquire must have waited before it may reserve: its first wait and each
/// wake-up that found too few permits. With a clock it must also have waited [`FAIR_AFTER`]; without
/// one this count alone makes it overdue. (In loom 1, so that the models reach a reservation within
/// their preemption bound.) See "Fairness" in [`RawSemaphore`]'s docs for why both.
const RESERVE_AFTER_WAITS: u32 = if cfg!(loom) { 1 } else { 8 };

/// A waiter kept out by a reservation drops it after seeing the same heartbeat this many times
/// in a row, i.e. after two of its bounded waits without a beat from the reserver.
const STALE_AFTER_SIGHTINGS: u32 = 3;

const fn avail(state: u32) -> u32 {
    state & AVAIL_MASK
}

const fn need(state: u32) -> u32 {
    (state & NEED_MASK) >> NEED_SHIFT
}

const fn beat(state: u32) -> u32 {
    (state & BEAT_MASK) >> BEAT_SHIFT
}

/// `state` with the heartbeat advanced by one (mod 8).
const fn next_beat(state: u32) -> u32 {
    (state & !BEAT_MASK) | ((beat(state) + 1) & 0b111) << BEAT_SHIFT
}

/// The two words of a semaphore, in this order in memory: `[state, capacity]`.
///
/// Allocate them as two consecutive, 4-byte aligned words (8 bytes); waiters wait on `state`
/// (the first word, the one at the semaphore's address).
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::SemaphoreWords;
///
/// let words = SemaphoreWords::new(4, 1).unwrap();
/// assert!(SemaphoreWords::new(0, 0).is_err());
/// # let _ = words;
/// # }
/// ```
#[derive(Debug)]
#[repr(C)]
pub struct SemaphoreWords {
    /// Available permits, the reservation, its heartbeat and the `PARKED` bit (see
    /// [`RawSemaphore`]).
    pub state: AtomicU32,
    /// The capacity, written once by initialisation and only read afterwards.
    pub capacity: AtomicU32,
}

impl SemaphoreWords {
    /// Words for a semaphore of `capacity` permits of which `available` are free.
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidCapacity`] unless `1 <= capacity <= MAX_PERMITS` and
    /// `available <= capacity`.
    pub fn new(capacity: u32, available: u32) -> Result<Self, SyncError> {
        let [state, capacity] = Self::initial(capacity, available)?;
        Ok(Self {
            state: AtomicU32::new(state),
            capacity: AtomicU32::new(capacity),
        })
    }

    /// The initial `[state, capacity]` values, for memory that is initialised by other means.
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// assert_eq!(weft_sync::SemaphoreWords::initial(3, 2), Ok([2, 3]));
    /// # }
    /// ```
    pub const fn initial(capacity: u32, available: u32) -> Result<[u32; 2], SyncError> {
        if capacity == 0 || capacity > MAX_PERMITS || available > capacity {
            return Err(SyncError::InvalidCapacity {
                capacity,
                available,
            });
        }
        Ok([available, capacity])
    }
}

/// A counting semaphore whose state lives in two words of (possibly shared) memory.
///
/// Like [`crate::RawMutex`], `RawSemaphore` is a view that borrows its words; holders keep no
/// guard. Acquires and releases take a number of permits `n`; an acquire of more permits than the
/// capacity can never succeed and is rejected at once with [`SyncError::ExceedsCapacity`].
///
/// # Word layout
///
/// Word 0, `state` (the word waiters wait on):
///
/// | bits  | name     | meaning |
/// |-------|----------|---------|
/// | 0–13  | `AVAIL`  | permits available now |
/// | 14–27 | `NEED`   | permits reserved for one waiter; 0 = no reservation |
/// | 28–30 | `BEAT`   | the reserving waiter's heartbeat, advanced (mod 8) at each of its steps |
/// | 31    | `PARKED` | a thread may be waiting; the next release must wake all waiters |
///
/// Word 1, `capacity`: the most permits there can be (1..=[`MAX_PERMITS`]), written at
/// initialisation and never changed. Permits held = capacity − `AVAIL`.
///
/// # Waking: always all, never a hand-off
///
/// A release that finds `PARKED` clears it, adds its permits and tells the caller to wake **every**
/// waiter of the state word. Each re-runs its step; the ones that still cannot proceed set `PARKED`
/// again and sleep. Permits are never assigned to a particular waiter, so a wake-up that reaches a
/// vanished or no-longer-interested waiter (a terminated worker, an aborted or timed-out JS
/// `waitAsync` still in the engine's list) is never lost: every live waiter got one too. Releasing
/// many permits therefore wakes enough waiters by construction.
///
/// # Fairness
///
/// Eventual fairness through a single reservation, not FIFO order:
///
/// - An acquire in progress ([`AcquireAttempt`]) becomes *overdue* once it has both waited
///   [`FAIR_AFTER`](crate::FAIR_AFTER) (0.5 ms) since it first parked and waited 8 times, i.e. it
///   was woken seven times to too few permits ([`AcquireAttempt::note_waited`]; a driver without
///   a clock goes by the count alone). Until then it competes for released permits with
///   everybody else, and whoever runs first takes them.
/// - An overdue acquire that has to wait and finds no reservation writes its `n` into `NEED`.
///   From then on everybody else, newcomers and other waiters alike, may only take permits
///   *beyond* the reserved ones (`AVAIL − n' >= NEED`). Releases accumulate until
///   `AVAIL >= NEED`; the reserving waiter is woken by that release, takes its `n` and clears
///   `NEED`. So a waiter that needs many permits is not starved by a stream of single-permit
///   acquirers, and a single-permit waiter is not starved by one thread that keeps releasing and
///   re-acquiring: every release wakes it, so it loses its seven races within a few wake-ups.
/// - One reservation at a time: other waiters reserve after it is served. The order among waiters
///   is otherwise whoever runs first after a wake-up.
///
/// Why reserve so late: a reservation hands the next released permits to a sleeping thread, and
/// they lie unused for its wake-up, 50–100 µs between two cores of a virtual machine, while a
/// running thread could have taken and returned them many times. And with more threads than
/// cores, a waiter often waits longer than 0.5 ms only because no core was free to run it, not
/// because others took its permits: time alone makes it reserve at nearly every wait, so the
/// permits go from one descheduled thread to the next. Two workers and the main thread passing
/// through a semaphore of 2 permits on 2 cores (`bench/primitives.bench.js`, "Semaphore
/// contended", alternating builds, 1 to 12 runs each) reached, as a share of an unfair futex
/// semaphore's throughput:
///
/// | a waiter reserves | Node | Bun |
/// |---|---|---|
/// | at its first wait | 0.53–0.62 | 0.32–0.35 |
/// | after 0.5 ms | 0.60–0.77 | 0.36–0.47 |
/// | after 0.5 ms and 4 waits | 0.68–0.88 | 0.45–0.98 |
/// | after 0.5 ms and 8 waits | 0.85–0.92 | 0.67–0.99 |
/// | never (unfair, for comparison) | 0.92–0.96 | 1.04 |
///
/// [`crate::RawRwLock`] keeps reserving at the first wait ([`AcquireAttempt`]s made by its
/// `begin_*` are [`reserving`](AcquireAttempt::reserving) from the start): a writer that waits
/// stops new readers at once, as its docs promise.
///
/// A reservation whose owner vanished must not block the semaphore forever, and nobody can tell
/// a vanished owner from a slow one except by time, so the reservation is a lease:
///
/// - While its reservation cannot be served yet, the reserving waiter waits bounded by
///   [`crate::GRACE`] and, at every step, advances `BEAT`. (This polling, about one wake-up per
///   millisecond, is the price of a lease; it only happens while a reservation is outstanding.)
/// - A waiter kept out *only* by someone else's reservation (enough permits are free for it, but
///   not beyond the reserved ones) also waits bounded, and remembers `BEAT`. If it sees the same
///   `BEAT` at three steps in a row, i.e. across two grace periods without a beat, the owner is
///   gone: it drops the reservation (clears `NEED`) and carries on.
/// - A live reserver that is dropped this way (descheduled for two grace periods) reserves again
///   at its next step; nothing else breaks.
///
/// So a vanished reserver costs at most about two grace periods; waiters kept out by plain lack of
/// permits wait without a bound, since a release is bound to wake them.
///
/// # Cancellation and timeouts
///
/// An acquire may be abandoned after any [`Step::Wait`]: it holds no permits. Call
/// [`abandon`](Self::abandon) with its attempt so that a reservation it made is dropped at once
/// (and wake all waiters if it returns `true`); skipping that (a worker that died, a JS wrapper
/// that never got to run) is still correct, it only costs the grace periods above. A leftover
/// `PARKED` bit costs one spurious wake-all; a `waitAsync` left in the engine's list is resolved by
/// the next wake-all and must then be ignored.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{ParkingFutex, RawSemaphore, SemaphoreWords};
///
/// let words = SemaphoreWords::new(3, 3).unwrap();
/// let sem = RawSemaphore::new(&words);
/// sem.acquire(2, &ParkingFutex).unwrap();
/// assert_eq!(sem.try_acquire(2), Ok(false));
/// assert_eq!(sem.try_acquire(1), Ok(true));
/// sem.release_and_wake(3, &ParkingFutex).unwrap();
/// assert_eq!(sem.available(), 3);
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawSemaphore<'a> {
    words: &'a SemaphoreWords,
}

/// The state of one acquire of a [`RawSemaphore`] in progress.
///
/// Made by [`RawSemaphore::begin_acquire`], which validates `n`; pass the same attempt to every
/// [`RawSemaphore::acquire_step`] of that acquire. It is a plain number for JS
/// ([`into_bits`](Self::into_bits)/[`from_bits`](Self::from_bits)):
///
/// | bits  | meaning |
/// |-------|---------|
/// | 0–13  | permits requested |
/// | 14    | this attempt wrote the reservation |
/// | 15–16 | how many steps in a row saw a foreign reservation with the same heartbeat |
/// | 17–19 | that heartbeat |
/// | 20    | overdue: it has waited long enough to reserve its permits |
/// | 21–31 | number of waits (saturating) |
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AcquireAttempt, RawSemaphore, SemaphoreWords};
///
/// let words = SemaphoreWords::new(4, 4).unwrap();
/// let a = RawSemaphore::new(&words).begin_acquire(3).unwrap();
/// assert_eq!(a.permits(), 3);
/// assert_eq!(AcquireAttempt::from_bits(a.into_bits()), a);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcquireAttempt {
    bits: u32,
}

const ATTEMPT_RESERVER: u32 = 1 << 14;
const ATTEMPT_SIGHTINGS_SHIFT: u32 = 15;
const ATTEMPT_SIGHTINGS_MASK: u32 = 0b11 << ATTEMPT_SIGHTINGS_SHIFT;
const ATTEMPT_BEAT_SHIFT: u32 = 17;
const ATTEMPT_BEAT_MASK: u32 = 0b111 << ATTEMPT_BEAT_SHIFT;
const ATTEMPT_OVERDUE: u32 = 1 << 20;
const ATTEMPT_WAITS_SHIFT: u32 = 21;
const ATTEMPT_WAITS_MAX: u32 = u32::MAX >> ATTEMPT_WAITS_SHIFT;

impl AcquireAttempt {
    pub(crate) const fn with_permits(n: u32) -> Self {
        Self {
            bits: n & AVAIL_MASK,
        }
    }

    /// The attempt made overdue at once: its next step that has to wait reserves its permits (if
    /// nobody else holds a reservation). [`crate::RawRwLock`]'s `begin_read` and `begin_write`
    /// make their attempts so.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{RawSemaphore, SemaphoreWords};
    ///
    /// let words = SemaphoreWords::new(2, 2).unwrap();
    /// let a = RawSemaphore::new(&words).begin_acquire(1).unwrap();
    /// assert!(!a.is_overdue());
    /// assert!(a.reserving().is_overdue());
    /// # }
    /// ```
    #[must_use]
    pub const fn reserving(self) -> Self {
        Self {
            bits: self.bits | ATTEMPT_OVERDUE,
        }
    }

    /// The attempt as a number, to carry across the JS boundary.
    #[must_use]
    pub const fn into_bits(self) -> u32 {
        self.bits
    }

    /// The attempt back from [`into_bits`](Self::into_bits). Pass only numbers that came from
    /// `into_bits`; [`RawSemaphore::acquire_step`] re-checks the permit count against the capacity.
    #[must_use]
    pub const fn from_bits(bits: u32) -> Self {
        Self { bits }
    }

    /// Permits this attempt asks for.
    #[must_use]
    pub const fn permits(&self) -> u32 {
        self.bits & AVAIL_MASK
    }

    /// How many times this attempt returned [`Step::Wait`].
    #[must_use]
    pub const fn waits(&self) -> u32 {
        self.bits >> ATTEMPT_WAITS_SHIFT
    }

    /// Tells the attempt how long it has waited since it first parked. Once that is
    /// [`FAIR_AFTER`](crate::FAIR_AFTER) or more and it has waited 8 times (its first wait and
    /// seven wake-ups to too few permits), it is overdue, and its next step that has to wait
    /// reserves its permits (if nobody else holds a reservation). Drivers with a clock call this
    /// after each wait; a shorter time than before changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use std::time::Duration;
    /// use weft_sync::{RawSemaphore, SemaphoreWords, FAIR_AFTER};
    ///
    /// let words = SemaphoreWords::new(2, 2).unwrap();
    /// let sem = RawSemaphore::new(&words);
    /// let mut a = sem.begin_acquire(1).unwrap();
    /// a.note_waited(FAIR_AFTER);
    /// assert!(!a.is_overdue(), "it has not lost a race yet");
    /// let _held = sem.try_acquire(2).unwrap();
    /// for _ in 0..8 {
    ///     let _ = sem.acquire_step(&mut a).unwrap(); // waits: no permits
    /// }
    /// a.note_waited(Duration::from_micros(100));
    /// assert!(!a.is_overdue(), "it has not waited long enough yet");
    /// a.note_waited(FAIR_AFTER);
    /// assert!(a.is_overdue());
    /// # }
    /// ```
    pub fn note_waited(&mut self, waited: Duration) {
        if waited >= FAIR_AFTER && self.waits() >= RESERVE_AFTER_WAITS {
            self.bits |= ATTEMPT_OVERDUE;
        }
    }

    /// Whether the attempt has waited long enough to reserve its permits.
    #[must_use]
    pub const fn is_overdue(&self) -> bool {
        self.bits & ATTEMPT_OVERDUE != 0
    }

    /// The clockless stand-in for [`note_waited`](Self::note_waited): overdue after
    /// `RESERVE_AFTER_WAITS` waits.
    fn count_waits(&mut self) {
        if self.waits() >= RESERVE_AFTER_WAITS {
            self.bits |= ATTEMPT_OVERDUE;
        }
    }

    fn is_reserver(&self) -> bool {
        self.bits & ATTEMPT_RESERVER != 0
    }

    /// Records one more sighting of a foreign reservation with heartbeat `beat`; returns how many
    /// steps in a row have now seen that same heartbeat.
    fn sight(&mut self, beat: u32) -> u32 {
        let last = (self.bits & ATTEMPT_BEAT_MASK) >> ATTEMPT_BEAT_SHIFT;
        let seen = (self.bits & ATTEMPT_SIGHTINGS_MASK) >> ATTEMPT_SIGHTINGS_SHIFT;
        let seen = if seen != 0 && last == beat {
            (seen + 1).min(STALE_AFTER_SIGHTINGS)
        } else {
            1
        };
        self.bits = (self.bits & !(ATTEMPT_BEAT_MASK | ATTEMPT_SIGHTINGS_MASK))
            | (beat << ATTEMPT_BEAT_SHIFT)
            | (seen << ATTEMPT_SIGHTINGS_SHIFT);
        seen
    }

    fn forget_sightings(&mut self) {
        self.bits &= !(ATTEMPT_BEAT_MASK | ATTEMPT_SIGHTINGS_MASK);
    }

    fn park(&mut self, expected: u32, bounded: bool) -> Step {
        if self.waits() < ATTEMPT_WAITS_MAX {
            self.bits += 1 << ATTEMPT_WAITS_SHIFT;
        }
        Step::Wait(Park { expected, bounded })
    }
}

impl<'a> RawSemaphore<'a> {
    /// A semaphore view of `words`, which must have been initialised
    /// ([`SemaphoreWords::new`] or [`init`](Self::init)).
    pub const fn new(words: &'a SemaphoreWords) -> Self {
        Self { words }
    }

    /// A semaphore view of the two words at `ptr` (in Wasm: the address the JS side passes).
    ///
    /// # Safety
    ///
    /// `ptr` must be non-null, 4-byte aligned, and valid for reads and writes of two consecutive
    /// `u32`s for `'a`; every access to them during `'a`, from any thread or JS, must be atomic;
    /// and they must be initialised by [`init`](Self::init) (or hold
    /// [`SemaphoreWords::initial`]) before any other method is used.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::RawSemaphore;
    ///
    /// let mut storage = [0u32; 2];
    /// // SAFETY: `storage` is two aligned words that outlive `sem` and are only used through it.
    /// let sem = unsafe { RawSemaphore::from_ptr(storage.as_mut_ptr()) };
    /// sem.init(2, 2).unwrap();
    /// assert_eq!(sem.try_acquire(2), Ok(true));
    /// # }
    /// ```
    #[cfg(not(loom))]
    pub unsafe fn from_ptr(ptr: *mut u32) -> Self {
        debug_assert!(
            !ptr.is_null() && ptr.is_aligned(),
            "semaphore pointer {ptr:p} is not aligned"
        );
        // SAFETY: `SemaphoreWords` is `repr(C)` with two `AtomicU32` fields, which have the size and
        // alignment of `u32`, so it has the layout of `[u32; 2]`; the caller guarantees `ptr` is
        // valid, aligned and only accessed atomically for `'a`.
        Self::new(unsafe { &*ptr.cast::<SemaphoreWords>() })
    }

    /// Writes a fresh state: `capacity` permits of which `available` are free. Use it only before
    /// the words are shared (or while nobody uses them).
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidCapacity`] as for [`SemaphoreWords::new`]; the words are then unchanged.
    pub fn init(&self, capacity: u32, available: u32) -> Result<(), SyncError> {
        let [state, capacity] = SemaphoreWords::initial(capacity, available)?;
        // Relaxed: initialisation happens before the words are handed to other threads, and that
        // hand-off (spawning, postMessage) is what orders these stores before their first use.
        self.words.capacity.store(capacity, Ordering::Relaxed);
        self.words.state.store(state, Ordering::Relaxed);
        Ok(())
    }

    /// The word waiters wait on (word 0).
    #[must_use]
    pub const fn state_word(&self) -> &'a AtomicU32 {
        &self.words.state
    }

    /// The capacity.
    #[must_use]
    pub fn capacity(&self) -> u32 {
        // Relaxed: written once before the words were shared, never modified afterwards.
        self.words.capacity.load(Ordering::Relaxed)
    }

    /// Permits available right now (a snapshot, for diagnostics and tests).
    #[must_use]
    pub fn available(&self) -> u32 {
        avail(self.words.state.load(Ordering::Relaxed))
    }

    /// The engine over the state word, with this semaphore's capacity.
    fn permits(&self) -> Permits<'a> {
        Permits {
            state: &self.words.state,
            capacity: self.capacity(),
            reserve_at_once: false,
        }
    }

    fn check_request(&self, n: u32) -> Result<(), SyncError> {
        let capacity = self.capacity();
        if n > capacity {
            return Err(SyncError::ExceedsCapacity {
                requested: n,
                capacity,
            });
        }
        Ok(())
    }

    /// Takes `n` permits if they are free beyond any reservation; never waits, never writes
    /// otherwise. `n == 0` always succeeds.
    ///
    /// # Errors
    ///
    /// [`SyncError::ExceedsCapacity`] if `n` is more than the capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{RawSemaphore, SemaphoreWords};
    ///
    /// let words = SemaphoreWords::new(2, 2).unwrap();
    /// let sem = RawSemaphore::new(&words);
    /// assert_eq!(sem.try_acquire(2), Ok(true));
    /// assert_eq!(sem.try_acquire(1), Ok(false));
    /// assert!(sem.try_acquire(3).is_err());
    /// # }
    /// ```
    #[must_use = "acquired permits must be released"]
    pub fn try_acquire(&self, n: u32) -> Result<bool, SyncError> {
        self.check_request(n)?;
        Ok(self.permits().try_acquire(n))
    }

    /// Starts an acquire of `n` permits, to be driven by [`acquire_step`](Self::acquire_step).
    ///
    /// # Errors
    ///
    /// [`SyncError::ExceedsCapacity`] if `n` is more than the capacity: it could never succeed.
    pub fn begin_acquire(&self, n: u32) -> Result<AcquireAttempt, SyncError> {
        self.check_request(n)?;
        Ok(AcquireAttempt::with_permits(n))
    }

    /// One non-blocking step of an acquire: takes the attempt's permits, or records that the caller
    /// is about to wait and says on which value of the state word.
    ///
    /// Protocol: `let mut a = begin_acquire(n)?; loop { match acquire_step(&mut a)? { Acquired =>
    /// break, Wait(p) => { wait on the state word while it is p.expected (at most GRACE if
    /// p.bounded); a.note_waited(time since the first wait began) } } }`; on giving up,
    /// [`abandon`](Self::abandon). A driver without a clock may skip `note_waited`: the attempt
    /// then never reserves (the blocking [`acquire`](Self::acquire) counts waits instead).
    ///
    /// # Errors
    ///
    /// [`SyncError::ExceedsCapacity`] if the attempt asks for more than the capacity (only possible
    /// with an attempt forged through [`AcquireAttempt::from_bits`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{RawSemaphore, SemaphoreWords, Step};
    ///
    /// let words = SemaphoreWords::new(2, 0).unwrap();
    /// let sem = RawSemaphore::new(&words);
    /// let mut a = sem.begin_acquire(2).unwrap();
    /// let Step::Wait(park) = sem.acquire_step(&mut a).unwrap() else { panic!() };
    /// assert!(!park.bounded); // no permits: a release will wake us
    /// let mut a = a.reserving(); // as if woken to too few permits, again and again, for 0.5 ms
    /// let Step::Wait(park) = sem.acquire_step(&mut a).unwrap() else { panic!() };
    /// assert!(park.bounded); // we reserved 2 permits: step again within GRACE to keep them
    /// assert_eq!(sem.release(1), Ok(true)); // wake all waiters
    /// assert!(matches!(sem.acquire_step(&mut a), Ok(Step::Wait(_))));
    /// assert_eq!(sem.try_acquire(1), Ok(false)); // reserved for the waiter
    /// assert_eq!(sem.release(1), Ok(true));
    /// assert_eq!(sem.acquire_step(&mut a), Ok(Step::Acquired));
    /// # }
    /// ```
    pub fn acquire_step(&self, attempt: &mut AcquireAttempt) -> Result<Step, SyncError> {
        self.check_request(attempt.permits())?;
        Ok(self.permits().acquire_step(attempt))
    }

    /// Gives up an acquire after a [`Step::Wait`] (timeout, abort): drops the reservation it made,
    /// if that is still in place. Returns `true` when the caller must then wake all waiters of the
    /// state word (permits kept for the reservation are now open to them). Optional: see the
    /// type's docs.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{RawSemaphore, SemaphoreWords};
    ///
    /// let words = SemaphoreWords::new(2, 0).unwrap();
    /// let sem = RawSemaphore::new(&words);
    /// let mut first = sem.begin_acquire(2).unwrap().reserving();
    /// let _ = sem.acquire_step(&mut first).unwrap(); // waits, reserving 2
    /// let mut second = sem.begin_acquire(1).unwrap();
    /// let _ = sem.acquire_step(&mut second).unwrap(); // waits behind the reservation
    /// assert!(!sem.abandon(&second)); // it made no reservation: nothing to undo
    /// assert!(sem.abandon(&first)); // reservation dropped: wake all waiters
    /// # }
    /// ```
    #[must_use = "when this returns true every waiter of the state word must be woken"]
    pub fn abandon(&self, attempt: &AcquireAttempt) -> bool {
        self.permits().abandon(attempt)
    }

    /// Returns `n` permits. Returns `Ok(true)` when the caller must then wake **all** waiters of
    /// the state word (`Atomics.notify(view, index)` / [`Futex::wake`] with [`WAKE_ALL`]).
    ///
    /// # Errors
    ///
    /// [`SyncError::ReleaseExceedsCapacity`] if that would make more than `capacity` permits
    /// available; the word is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{RawSemaphore, SemaphoreWords, SyncError};
    ///
    /// let words = SemaphoreWords::new(2, 1).unwrap();
    /// let sem = RawSemaphore::new(&words);
    /// assert_eq!(sem.release(1), Ok(false));
    /// assert_eq!(
    ///     sem.release(1),
    ///     Err(SyncError::ReleaseExceedsCapacity { released: 1, available: 2, capacity: 2 })
    /// );
    /// # }
    /// ```
    #[must_use = "when this returns Ok(true) every waiter of the state word must be woken"]
    pub fn release(&self, n: u32) -> Result<bool, SyncError> {
        self.permits().release(n)
    }

    /// [`release`](Self::release), then wakes every waiter on `futex` if needed. Returns how many
    /// were woken.
    ///
    /// # Errors
    ///
    /// As for [`release`](Self::release).
    pub fn release_and_wake<F: Futex + ?Sized>(&self, n: u32, futex: &F) -> Result<u32, SyncError> {
        Ok(if self.release(n)? {
            futex.wake(&self.words.state, WAKE_ALL)
        } else {
            0
        })
    }

    /// Blocks until `n` permits are held, sleeping on `futex`: [`try_acquire`](Self::try_acquire),
    /// then the same [`acquire_step`](Self::acquire_step) loop JS runs.
    ///
    /// # Errors
    ///
    /// [`SyncError::ExceedsCapacity`] at once if `n` is more than the capacity.
    pub fn acquire<F: Futex + ?Sized>(&self, n: u32, futex: &F) -> Result<(), SyncError> {
        self.check_request(n)?;
        self.permits().acquire(n, futex);
        Ok(())
    }

    /// Like [`acquire`](Self::acquire), reserving its permits once it has waited
    /// [`FAIR_AFTER`](crate::FAIR_AFTER) on `clock`.
    ///
    /// # Errors
    ///
    /// [`SyncError::ExceedsCapacity`] at once if `n` is more than the capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{ParkingFutex, RawSemaphore, SemaphoreWords, StdClock};
    ///
    /// let words = SemaphoreWords::new(2, 2).unwrap();
    /// let sem = RawSemaphore::new(&words);
    /// sem.acquire_with_clock(2, &ParkingFutex, &StdClock::new()).unwrap();
    /// assert_eq!(sem.available(), 0);
    /// # }
    /// ```
    pub fn acquire_with_clock<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        n: u32,
        futex: &F,
        clock: &C,
    ) -> Result<(), SyncError> {
        self.check_request(n)?;
        let acquired = self.permits().acquire_until(n, futex, clock, None);
        debug_assert!(acquired.is_ok(), "no deadline, so no timeout");
        Ok(())
    }

    /// Like [`acquire`](Self::acquire), giving up after `timeout` (measured on `clock`); giving up
    /// runs [`abandon`](Self::abandon) and its wake-up.
    ///
    /// # Errors
    ///
    /// [`SyncError::ExceedsCapacity`] at once if `n` is more than the capacity;
    /// [`SyncError::TimedOut`] when the timeout elapses first (no permits are held then).
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use std::time::Duration;
    /// use weft_sync::{ParkingFutex, RawSemaphore, SemaphoreWords, StdClock, SyncError};
    ///
    /// let words = SemaphoreWords::new(2, 1).unwrap();
    /// let sem = RawSemaphore::new(&words);
    /// let r = sem.acquire_timeout(2, &ParkingFutex, &StdClock::new(), Duration::from_millis(5));
    /// assert_eq!(r, Err(SyncError::TimedOut));
    /// assert_eq!(sem.available(), 1);
    /// # }
    /// ```
    pub fn acquire_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        n: u32,
        futex: &F,
        clock: &C,
        timeout: Duration,
    ) -> Result<(), SyncError> {
        self.check_request(n)?;
        self.permits().acquire_timeout(n, futex, clock, timeout)
    }
}

/// The permit engine on one state word (layout and protocol in [`RawSemaphore`]'s docs), with the
/// capacity given by the caller: a semaphore reads it from its second word, a
/// [`crate::RawRwLock`] uses the constant [`crate::MAX_READERS`]. Nothing here checks requests
/// against the capacity; the public types do that (or cannot ask for more).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Permits<'a> {
    pub(crate) state: &'a AtomicU32,
    pub(crate) capacity: u32,
    /// Whether the attempts this engine starts itself (its blocking loops) reserve at their first
    /// wait ([`AcquireAttempt::reserving`]), as the rwlock's do, rather than once overdue.
    pub(crate) reserve_at_once: bool,
}

impl Permits<'_> {
    /// A new attempt of `n` permits, reserving at once or once overdue as this engine's user wants.
    fn begin(&self, n: u32) -> AcquireAttempt {
        if self.reserve_at_once {
            AcquireAttempt::with_permits(n).reserving()
        } else {
            AcquireAttempt::with_permits(n)
        }
    }

    /// [`RawSemaphore::try_acquire`] for `n <= capacity`.
    pub(crate) fn try_acquire(&self, n: u32) -> bool {
        let mut v = self.state.load(Ordering::Relaxed);
        loop {
            if avail(v) < n + need(v) {
                return false;
            }
            // Acquire: pairs with the Release of the releases whose permits we take, so what their
            // holders wrote is visible to us.
            match self
                .state
                .compare_exchange_weak(v, v - n, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => v = now,
            }
        }
    }

    /// [`RawSemaphore::acquire_step`] for an attempt of at most `capacity` permits.
    pub(crate) fn acquire_step(&self, attempt: &mut AcquireAttempt) -> Step {
        let n = attempt.permits();
        let state = self.state;
        let mut v = state.load(Ordering::Relaxed);
        loop {
            let (free, reserved) = (avail(v), need(v));
            let mine = reserved != 0 && attempt.is_reserver() && reserved == n;
            let floor = if mine { 0 } else { reserved };
            if free >= n + floor {
                let new = if mine { (v - n) & !NEED_MASK } else { v - n };
                // Acquire: pairs with the Release of the releases whose permits we take.
                match state.compare_exchange_weak(v, new, Ordering::Acquire, Ordering::Relaxed) {
                    Ok(_) => return Step::Acquired,
                    Err(now) => v = now,
                }
                continue;
            }
            // Every write below only sets PARKED, the reservation or its heartbeat. Relaxed: they
            // publish no data and only have to reach later RMWs of this same word, which its
            // modification order guarantees.
            if mine {
                // Our reservation, not servable yet: beat and come back within a grace period.
                let want = next_beat(v) | PARKED;
                if let Err(now) =
                    state.compare_exchange_weak(v, want, Ordering::Relaxed, Ordering::Relaxed)
                {
                    v = now;
                    continue;
                }
                return attempt.park(want, true);
            }
            if reserved != 0 && free >= n {
                // Kept out only by someone else's reservation. Its owner beats while alive;
                // nobody is obliged to wake us for it, so wait bounded and watch the beat.
                let mut probe = *attempt;
                if probe.sight(beat(v)) >= STALE_AFTER_SIGHTINGS {
                    // No beat across two grace periods: the owner is gone. Drop the reservation.
                    if let Err(now) = state.compare_exchange_weak(
                        v,
                        v & !NEED_MASK,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        v = now;
                        continue;
                    }
                    attempt.forget_sightings();
                    v &= !NEED_MASK;
                    continue;
                }
                let want = v | PARKED;
                if want != v {
                    if let Err(now) =
                        state.compare_exchange_weak(v, want, Ordering::Relaxed, Ordering::Relaxed)
                    {
                        v = now;
                        continue;
                    }
                }
                *attempt = probe;
                return attempt.park(want, true);
            }
            // Not enough permits even without any reservation: a holder has them and its release
            // will wake us. Once overdue, reserve our permits if nobody else has; a reserver waits
            // bounded.
            let reserve = reserved == 0 && attempt.is_overdue();
            let want = if reserve {
                next_beat(v | (n << NEED_SHIFT)) | PARKED
            } else {
                v | PARKED
            };
            if want != v {
                if let Err(now) =
                    state.compare_exchange_weak(v, want, Ordering::Relaxed, Ordering::Relaxed)
                {
                    v = now;
                    continue;
                }
            }
            attempt.forget_sightings();
            if reserve {
                attempt.bits |= ATTEMPT_RESERVER;
            }
            return attempt.park(want, reserve);
        }
    }

    /// [`RawSemaphore::abandon`].
    pub(crate) fn abandon(&self, attempt: &AcquireAttempt) -> bool {
        if !attempt.is_reserver() {
            return false;
        }
        let n = attempt.permits();
        let state = self.state;
        let mut v = state.load(Ordering::Relaxed);
        while need(v) == n && n != 0 {
            // Relaxed: publishes nothing; waiters re-read the word after their wake-up.
            match state.compare_exchange_weak(
                v,
                v & !NEED_MASK,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => v = now,
            }
        }
        false
    }

    /// [`RawSemaphore::release`].
    pub(crate) fn release(&self, n: u32) -> Result<bool, SyncError> {
        if n == 0 {
            return Ok(false);
        }
        let capacity = self.capacity;
        let state = self.state;
        let mut v = state.load(Ordering::Relaxed);
        loop {
            let free = avail(v);
            if n > capacity - free {
                return Err(SyncError::ReleaseExceedsCapacity {
                    released: n,
                    available: free,
                    capacity,
                });
            }
            // Clear PARKED: everyone asleep is about to be woken, and whoever sleeps again sets it.
            // Release: publishes the holder's writes to whoever acquires these permits.
            match state.compare_exchange_weak(
                v,
                (v + n) & !PARKED,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(v & PARKED != 0),
                Err(now) => v = now,
            }
        }
    }

    /// [`RawSemaphore::acquire`] for `n <= capacity`: overdue after `RESERVE_AFTER_WAITS` waits.
    pub(crate) fn acquire<F: Futex + ?Sized>(&self, n: u32, futex: &F) {
        if self.try_acquire(n) {
            return;
        }
        let mut attempt = self.begin(n);
        loop {
            match self.acquire_step(&mut attempt) {
                Step::Acquired => return,
                Step::Wait(park) => {
                    futex.wait(self.state, park.expected, park.timeout());
                    attempt.count_waits();
                }
            }
        }
    }

    /// The clocked acquire loop: overdue once it has waited [`FAIR_AFTER`] on `clock`; gives up at
    /// `deadline` (`None`: never), running [`abandon`](Self::abandon) and its wake-up.
    pub(crate) fn acquire_until<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        n: u32,
        futex: &F,
        clock: &C,
        deadline: Option<Duration>,
    ) -> Result<(), SyncError> {
        if self.try_acquire(n) {
            return Ok(());
        }
        let mut attempt = self.begin(n);
        let mut parked_at = None;
        loop {
            match self.acquire_step(&mut attempt) {
                Step::Acquired => return Ok(()),
                Step::Wait(park) => {
                    let now = clock.now();
                    let since = *parked_at.get_or_insert(now);
                    let t = match deadline {
                        Some(deadline) if now >= deadline => {
                            if self.abandon(&attempt) {
                                futex.wake(self.state, WAKE_ALL);
                            }
                            return Err(SyncError::TimedOut);
                        }
                        Some(deadline) => {
                            let left = deadline - now;
                            Some(park.timeout().map_or(left, |g| g.min(left)))
                        }
                        None => park.timeout(),
                    };
                    futex.wait(self.state, park.expected, t);
                    attempt.note_waited(clock.now().saturating_sub(since));
                }
            }
        }
    }

    /// [`RawSemaphore::acquire_timeout`] for `n <= capacity`.
    pub(crate) fn acquire_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        n: u32,
        futex: &F,
        clock: &C,
        timeout: Duration,
    ) -> Result<(), SyncError> {
        let deadline = clock.now().saturating_add(timeout);
        self.acquire_until(n, futex, clock, Some(deadline))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn sem(words: &SemaphoreWords) -> RawSemaphore<'_> {
        RawSemaphore::new(words)
    }

    /// An attempt of `n` permits that has already waited long enough to reserve them.
    fn overdue(s: &RawSemaphore<'_>, n: u32) -> AcquireAttempt {
        s.begin_acquire(n).unwrap().reserving()
    }

    #[test]
    fn layout_is_two_u32() {
        assert_eq!(core::mem::size_of::<SemaphoreWords>(), 8);
        assert_eq!(core::mem::align_of::<SemaphoreWords>(), 4);
    }

    #[test]
    fn invalid_capacities_are_rejected() {
        for (c, a) in [(0, 0), (MAX_PERMITS + 1, 0), (2, 3)] {
            assert_eq!(
                SemaphoreWords::new(c, a).unwrap_err(),
                SyncError::InvalidCapacity {
                    capacity: c,
                    available: a
                }
            );
        }
        assert!(SemaphoreWords::new(MAX_PERMITS, MAX_PERMITS).is_ok());
    }

    #[test]
    fn over_capacity_requests_fail_immediately() {
        let w = SemaphoreWords::new(4, 0).unwrap();
        let s = sem(&w);
        let e = SyncError::ExceedsCapacity {
            requested: 5,
            capacity: 4,
        };
        assert_eq!(s.try_acquire(5), Err(e));
        assert_eq!(s.begin_acquire(5), Err(e));
        assert_eq!(s.acquire(5, &crate::ParkingFutex), Err(e));
        let mut forged = AcquireAttempt::from_bits(5);
        assert_eq!(s.acquire_step(&mut forged), Err(e));
        assert_eq!(w.state.load(Ordering::Relaxed), 0, "word untouched");
    }

    #[test]
    fn zero_permits_always_succeed() {
        let w = SemaphoreWords::new(1, 0).unwrap();
        let s = sem(&w);
        assert_eq!(s.try_acquire(0), Ok(true));
        let mut a = s.begin_acquire(0).unwrap();
        assert_eq!(s.acquire_step(&mut a), Ok(Step::Acquired));
        assert_eq!(s.release(0), Ok(false));
    }

    #[test]
    fn a_waiter_reserves_only_once_overdue() {
        let w = SemaphoreWords::new(2, 0).unwrap();
        let s = sem(&w);
        let mut a = s.begin_acquire(1).unwrap();
        // Not overdue: it parks without a reservation, and a release must wake it.
        assert_eq!(
            s.acquire_step(&mut a),
            Ok(Step::Wait(Park {
                expected: PARKED,
                bounded: false
            }))
        );
        // Each released permit is open to a newcomer that gets there first: the waiter loses races
        // until it has waited RESERVE_AFTER_WAITS times, however long that took...
        for _ in 1..RESERVE_AFTER_WAITS {
            assert_eq!(s.release(1), Ok(true));
            assert_eq!(s.try_acquire(1), Ok(true));
            a.note_waited(FAIR_AFTER);
            assert!(matches!(
                s.acquire_step(&mut a),
                Ok(Step::Wait(Park { bounded: false, .. }))
            ));
            assert_eq!(need(w.state.load(Ordering::Relaxed)), 0);
        }
        assert_eq!(s.release(1), Ok(true));
        assert_eq!(s.try_acquire(1), Ok(true));
        // ...and for FAIR_AFTER.
        a.note_waited(FAIR_AFTER / 2);
        assert!(!a.is_overdue());
        // Overdue: it reserves, and the next released permit is kept for it.
        a.note_waited(FAIR_AFTER);
        assert!(matches!(
            s.acquire_step(&mut a),
            Ok(Step::Wait(Park { bounded: true, .. }))
        ));
        assert_eq!(need(w.state.load(Ordering::Relaxed)), 1);
        assert_eq!(s.release(1), Ok(true));
        assert_eq!(s.try_acquire(1), Ok(false));
        assert_eq!(s.acquire_step(&mut a), Ok(Step::Acquired));
        assert_eq!(need(w.state.load(Ordering::Relaxed)), 0);
    }

    #[test]
    fn without_a_clock_an_attempt_is_overdue_after_reserve_after_waits_waits() {
        let w = SemaphoreWords::new(1, 0).unwrap();
        let s = sem(&w);
        let mut a = s.begin_acquire(1).unwrap();
        for _ in 0..RESERVE_AFTER_WAITS {
            assert!(!a.is_overdue());
            assert!(matches!(
                s.acquire_step(&mut a),
                Ok(Step::Wait(Park { bounded: false, .. }))
            ));
            a.count_waits();
        }
        assert!(a.is_overdue());
        assert!(matches!(
            s.acquire_step(&mut a),
            Ok(Step::Wait(Park { bounded: true, .. }))
        ));
        assert_eq!(need(w.state.load(Ordering::Relaxed)), 1);
    }

    #[test]
    fn release_reports_parked_and_clears_it() {
        let w = SemaphoreWords::new(2, 0).unwrap();
        let s = sem(&w);
        let mut a = overdue(&s, 1);
        let reserved = PARKED | (1 << NEED_SHIFT) | (1 << BEAT_SHIFT);
        assert_eq!(
            s.acquire_step(&mut a),
            Ok(Step::Wait(Park {
                expected: reserved,
                bounded: true
            }))
        );
        assert_eq!(s.release(1), Ok(true));
        assert_eq!(w.state.load(Ordering::Relaxed), 1 | (reserved & !PARKED));
        assert_eq!(s.acquire_step(&mut a), Ok(Step::Acquired));
        assert_eq!(s.available(), 0);
    }

    #[test]
    fn waiting_big_acquire_reserves_and_small_ones_take_only_the_surplus() {
        let w = SemaphoreWords::new(4, 0).unwrap();
        let s = sem(&w);
        let mut big = overdue(&s, 3);
        let _ = s.acquire_step(&mut big).unwrap();
        assert_eq!(
            need(w.state.load(Ordering::Relaxed)),
            3,
            "reserved at its first wait once overdue"
        );
        assert!(s.release(3).unwrap());
        // A single-permit newcomer cannot eat into the reservation...
        assert_eq!(s.try_acquire(1), Ok(false));
        let mut small = s.begin_acquire(1).unwrap();
        assert!(matches!(
            s.acquire_step(&mut small),
            Ok(Step::Wait(Park { bounded: true, .. }))
        ));
        // ...the reserver takes its permits and clears the reservation...
        assert_eq!(s.acquire_step(&mut big), Ok(Step::Acquired));
        assert_eq!(need(w.state.load(Ordering::Relaxed)), 0);
        assert_eq!(s.available(), 0);
        // ...and surplus beyond a reservation is open to everyone.
        assert!(s.release(3).unwrap());
        assert_eq!(s.try_acquire(1), Ok(true));
    }

    #[test]
    fn reservation_without_heartbeat_is_dropped_after_two_bounded_waits() {
        let w = SemaphoreWords::new(4, 2).unwrap();
        // Someone reserved 3 and vanished; 2 permits are free, which would do for us.
        w.state.store(2 | (3 << NEED_SHIFT), Ordering::Relaxed);
        let s = sem(&w);
        assert_eq!(s.try_acquire(2), Ok(false));
        let mut a = s.begin_acquire(2).unwrap();
        for _ in 0..2 {
            let Ok(Step::Wait(park)) = s.acquire_step(&mut a) else {
                panic!("must wait")
            };
            assert!(park.bounded);
        }
        assert_eq!(s.acquire_step(&mut a), Ok(Step::Acquired));
        assert_eq!(w.state.load(Ordering::Relaxed) & !PARKED, 0);
    }

    #[test]
    fn reservation_with_heartbeat_is_respected() {
        let w = SemaphoreWords::new(4, 0).unwrap();
        let s = sem(&w);
        let mut big = overdue(&s, 3);
        let _ = s.acquire_step(&mut big).unwrap();
        assert_eq!(s.release(2), Ok(true));
        let mut small = s.begin_acquire(2).unwrap();
        for _ in 0..10 {
            // The reserver keeps beating between the small waiter's steps: never dropped.
            assert!(matches!(
                s.acquire_step(&mut small),
                Ok(Step::Wait(Park { bounded: true, .. }))
            ));
            assert!(matches!(
                s.acquire_step(&mut big),
                Ok(Step::Wait(Park { bounded: true, .. }))
            ));
        }
        assert_eq!(need(w.state.load(Ordering::Relaxed)), 3);
        assert!(s.release(1).unwrap());
        assert_eq!(s.acquire_step(&mut big), Ok(Step::Acquired));
        // Nobody parked since the last release; the small waiter's bounded wait brings it back.
        assert_eq!(s.release(3), Ok(false));
        assert_eq!(s.acquire_step(&mut small), Ok(Step::Acquired));
    }

    #[test]
    fn lack_of_permits_means_an_unbounded_wait() {
        let w = SemaphoreWords::new(4, 1).unwrap();
        w.state.store(1 | (3 << NEED_SHIFT), Ordering::Relaxed);
        let s = sem(&w);
        let mut a = s.begin_acquire(2).unwrap();
        // 1 free < 2 wanted: some holder still has permits and its release will wake us.
        assert!(matches!(
            s.acquire_step(&mut a),
            Ok(Step::Wait(Park { bounded: false, .. }))
        ));
    }

    #[test]
    fn abandon_drops_only_its_own_reservation() {
        let w = SemaphoreWords::new(4, 0).unwrap();
        let s = sem(&w);
        let mut big = overdue(&s, 3);
        let _ = s.acquire_step(&mut big).unwrap();
        let mut other = s.begin_acquire(2).unwrap();
        let _ = s.acquire_step(&mut other).unwrap();
        assert!(!s.abandon(&other));
        assert_eq!(need(w.state.load(Ordering::Relaxed)), 3);
        assert!(s.abandon(&big));
        assert_eq!(need(w.state.load(Ordering::Relaxed)), 0);
        assert!(!s.abandon(&big));
    }

    #[test]
    fn release_beyond_capacity_is_rejected_unchanged() {
        let w = SemaphoreWords::new(3, 2).unwrap();
        let s = sem(&w);
        assert_eq!(
            s.release(2),
            Err(SyncError::ReleaseExceedsCapacity {
                released: 2,
                available: 2,
                capacity: 3
            })
        );
        assert_eq!(s.available(), 2);
    }

    #[test]
    fn attempt_bits_round_trip_and_saturate() {
        let mut a = AcquireAttempt::with_permits(7);
        for _ in 0..3 {
            let _ = a.park(0, false);
        }
        assert_eq!(a.waits(), 3);
        assert_eq!(AcquireAttempt::from_bits(a.into_bits()), a);
        let mut full = AcquireAttempt::from_bits(u32::MAX);
        let _ = full.park(0, false);
        assert_eq!(full.waits(), ATTEMPT_WAITS_MAX);
        assert_eq!(full.permits(), MAX_PERMITS);
    }

    #[test]
    fn from_ptr_and_init() {
        let mut storage = [9u32; 2];
        // SAFETY: two aligned words that outlive `s` and are only used through it.
        let s = unsafe { RawSemaphore::from_ptr(storage.as_mut_ptr()) };
        assert!(s.init(0, 0).is_err());
        s.init(5, 3).unwrap();
        assert_eq!((s.capacity(), s.available()), (5, 3));
        assert_eq!(storage, [3, 5]);
    }
}
