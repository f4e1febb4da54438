//! A reusable barrier on two 32-bit words.

use core::time::Duration;

use crate::atomic::{AtomicU32, Ordering};
use crate::futex::{Clock, Futex, WAKE_ALL};
use crate::step::{Park, Step};
use crate::SyncError;

/// The most parties a barrier can have: 2^15 − 1 (what the arrival count holds).
pub const MAX_PARTIES: u32 = ARRIVED_MASK;

/// Bits 0–14: parties that have arrived in the current generation.
const ARRIVED_MASK: u32 = 0x0000_7FFF;
/// Bit 15: some thread may be waiting on the state word; the trip must wake all waiters.
const PARKED: u32 = 1 << 15;
/// Bits 16–31: the generation, advanced (mod 2^16) each time the barrier trips.
const GENERATION_SHIFT: u32 = 16;
const GENERATION_MASK: u32 = !0 << GENERATION_SHIFT;

const fn arrived(state: u32) -> u32 {
    state & ARRIVED_MASK
}

const fn generation(state: u32) -> u32 {
    state >> GENERATION_SHIFT
}

/// The state that opens the next generation: nobody arrived, nobody parked.
const fn tripped(state: u32) -> u32 {
    (state & GENERATION_MASK).wrapping_add(1 << GENERATION_SHIFT)
}

/// The two words of a barrier, in this order in memory: `[state, parties]`.
///
/// Allocate them as two consecutive, 4-byte aligned words; waiters wait on `state`.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{BarrierWords, MAX_PARTIES};
///
/// assert!(BarrierWords::new(3).is_ok());
/// assert!(BarrierWords::new(0).is_err());
/// assert!(BarrierWords::new(MAX_PARTIES + 1).is_err());
/// # }
/// ```
#[derive(Debug)]
#[repr(C)]
pub struct BarrierWords {
    /// Arrivals, the `PARKED` bit and the generation (see [`RawBarrier`]).
    pub state: AtomicU32,
    /// The number of parties, written once by initialisation and only read afterwards.
    pub parties: AtomicU32,
}

impl BarrierWords {
    /// Words for a barrier of `parties` parties.
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidParties`] unless `1 <= parties <= MAX_PARTIES`.
    pub fn new(parties: u32) -> Result<Self, SyncError> {
        let [state, parties] = Self::initial(parties)?;
        Ok(Self {
            state: AtomicU32::new(state),
            parties: AtomicU32::new(parties),
        })
    }

    /// The initial `[state, parties]` values, for memory that is initialised by other means.
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    pub const fn initial(parties: u32) -> Result<[u32; 2], SyncError> {
        if parties == 0 || parties > MAX_PARTIES {
            return Err(SyncError::InvalidParties { parties });
        }
        Ok([0, parties])
    }
}

/// A reusable barrier whose state lives in two words of (possibly shared) memory: each
/// generation lets its parties through once all of them have arrived, and exactly one of them,
/// the last to arrive, is the generation's leader.
///
/// `RawBarrier` is a view that borrows its words, like the locks of this crate.
///
/// # Word layout
///
/// Word 0, `state` (the word waiters wait on):
///
/// | bits  | name         | meaning |
/// |-------|--------------|---------|
/// | 0–14  | `ARRIVED`    | parties that have arrived in the current generation |
/// | 15    | `PARKED`     | a thread may be waiting; the trip must wake all waiters |
/// | 16–31 | `GENERATION` | advanced (mod 2^16) each time the barrier trips |
///
/// Word 1, `parties`: how many arrivals trip the barrier (1..=[`MAX_PARTIES`]), written at
/// initialisation and never changed.
///
/// # Protocol
///
/// [`arrive`](Self::arrive) adds one arrival with one compare-exchange. The arrival that makes
/// `ARRIVED` equal to the parties *trips* the barrier in that same compare-exchange: it writes the
/// next generation with no arrivals and no `PARKED` bit, becomes the leader, and wakes all waiters
/// if `PARKED` was set. Every other arrival is a follower: it gets a [`BarrierAttempt`] that
/// remembers its generation and steps ([`wait_step`](Self::wait_step)) until the generation
/// changes, parking on the word in between. Nothing is handed to a particular waiter: the trip
/// wakes all of them, so a waiter that vanished or gave up cannot swallow anyone's wake-up.
///
/// A waiter wakes at the trip of its generation and compares generations, so it cannot miss its
/// trip even if the barrier has tripped again before it runs; only 65,536 trips in that time
/// would look like none, and each trip needs every party to arrive again.
///
/// # Cancellation and timeouts
///
/// A follower that gives up calls [`withdraw`](Self::withdraw), which takes its arrival back if
/// its generation has not tripped yet: the generation then waits for one more arrival, as if the
/// follower had never come. If the generation has already tripped, the withdrawal is too late and
/// says so: the wait succeeded (the other parties were let through counting this one) and the
/// caller must treat it as passed, not as cancelled. So a wait either completes or leaves no trace.
/// A follower that vanishes without withdrawing (its worker died) stays counted: its generation
/// trips one real arrival early. Nobody waits bounded: the trip always wakes all waiters.
///
/// # Memory ordering
///
/// Every arrival is an `AcqRel` read-modify-write and a follower sees the trip with an `Acquire`
/// load. All writes to the state word are read-modify-writes, so they continue each other's
/// release sequences: whatever any party did before arriving is visible to every party after the
/// barrier, leader and followers alike.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{Arrival, BarrierWords, ParkingFutex, RawBarrier, Step};
///
/// let words = BarrierWords::new(2).unwrap();
/// let barrier = RawBarrier::new(&words);
/// let Arrival::Follower(mut first) = barrier.arrive() else { panic!("one of two") };
/// assert!(matches!(barrier.wait_step(&mut first), Step::Wait(_)));
/// assert_eq!(barrier.arrive(), Arrival::Leader { must_wake: true });
/// assert_eq!(barrier.wait_step(&mut first), Step::Acquired);
/// assert_eq!(barrier.generation(), 1);
/// # let _ = ParkingFutex;
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawBarrier<'a> {
    words: &'a BarrierWords,
}

/// A follower's wait at a [`RawBarrier`] in progress: the generation it arrived in and how often
/// it has waited.
///
/// It is a plain number for JS ([`into_bits`](Self::into_bits)/[`from_bits`](Self::from_bits)):
///
/// | bits  | meaning |
/// |-------|---------|
/// | 0–15  | the generation of the arrival |
/// | 16–31 | number of waits (saturating) |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierAttempt {
    bits: u32,
}

const ATTEMPT_GENERATION_MASK: u32 = 0xFFFF;
const ATTEMPT_WAITS_SHIFT: u32 = 16;
const ATTEMPT_WAITS_MAX: u32 = u32::MAX >> ATTEMPT_WAITS_SHIFT;

impl BarrierAttempt {
    const fn in_generation(generation: u32) -> Self {
        Self {
            bits: generation & ATTEMPT_GENERATION_MASK,
        }
    }

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

    /// The generation this attempt arrived in.
    #[must_use]
    pub const fn generation(&self) -> u32 {
        self.bits & ATTEMPT_GENERATION_MASK
    }

    /// How many times this attempt returned [`Step::Wait`].
    #[must_use]
    pub const fn waits(&self) -> u32 {
        self.bits >> ATTEMPT_WAITS_SHIFT
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

/// What an [`RawBarrier::arrive`] made of the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a follower must wait (or withdraw), a leader that must wake must wake all waiters"]
pub enum Arrival {
    /// The last arrival: the barrier tripped and the caller passes at once as the generation's
    /// leader. When `must_wake` is set, wake all waiters of the state word.
    Leader {
        /// Some follower may be parked on the state word.
        must_wake: bool,
    },
    /// The caller waits for the rest of its generation with this attempt.
    Follower(BarrierAttempt),
}

/// What a [`RawBarrier::withdraw`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a Released withdrawal means the wait succeeded"]
pub enum Withdrawal {
    /// The arrival was taken back: the caller did not pass the barrier.
    Withdrawn,
    /// Too late: the generation had tripped, so the caller passed the barrier (as a follower).
    Released,
}

/// The outcome of a blocking wait at a [`RawBarrier`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this party was its generation's leader (exactly one per generation).
    #[must_use]
    pub const fn is_leader(&self) -> bool {
        self.leader
    }
}

impl<'a> RawBarrier<'a> {
    /// A barrier view of `words`, which must have been initialised ([`BarrierWords::new`] or
    /// [`init`](Self::init)).
    pub const fn new(words: &'a BarrierWords) -> Self {
        Self { words }
    }

    /// A barrier view of the two words at `ptr` (in Wasm: the address the JS side passes).
    ///
    /// # Safety
    ///
    /// `ptr` must be non-null, 4-byte aligned, and valid for reads and writes of two consecutive
    /// `u32`s for `'a`; every access to them during `'a`, from any thread or JS, must be atomic;
    /// and they must be initialised by [`init`](Self::init) (or hold [`BarrierWords::initial`])
    /// before any other method is used.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{Arrival, RawBarrier};
    ///
    /// let mut storage = [0u32; 2];
    /// // SAFETY: two aligned words that outlive `barrier` and are only used through it.
    /// let barrier = unsafe { RawBarrier::from_ptr(storage.as_mut_ptr()) };
    /// barrier.init(1).unwrap();
    /// assert_eq!(barrier.arrive(), Arrival::Leader { must_wake: false });
    /// # }
    /// ```
    #[cfg(not(loom))]
    pub unsafe fn from_ptr(ptr: *mut u32) -> Self {
        debug_assert!(
            !ptr.is_null() && ptr.is_aligned(),
            "barrier pointer {ptr:p} is not aligned"
        );
        // SAFETY: `BarrierWords` is `repr(C)` with two `AtomicU32` fields, which have the size and
        // alignment of `u32`, so it has the layout of `[u32; 2]`; the caller guarantees `ptr` is
        // valid, aligned and only accessed atomically for `'a`.
        Self::new(unsafe { &*ptr.cast::<BarrierWords>() })
    }

    /// Writes a fresh barrier of `parties` parties. Use it only before the words are shared.
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidParties`] as for [`BarrierWords::new`]; the words are then unchanged.
    pub fn init(&self, parties: u32) -> Result<(), SyncError> {
        let [state, parties] = BarrierWords::initial(parties)?;
        // Relaxed: initialisation happens before the words are handed to other threads, and that
        // hand-off (spawning, postMessage) orders these stores before their first use.
        self.words.parties.store(parties, Ordering::Relaxed);
        self.words.state.store(state, Ordering::Relaxed);
        Ok(())
    }

    /// The word waiters wait on (word 0).
    #[must_use]
    pub const fn state_word(&self) -> &'a AtomicU32 {
        &self.words.state
    }

    /// The number of parties.
    #[must_use]
    pub fn parties(&self) -> u32 {
        // Relaxed: written once before the words were shared, never modified afterwards.
        self.words.parties.load(Ordering::Relaxed)
    }

    /// Parties arrived in the current generation (a snapshot).
    #[must_use]
    pub fn arrived(&self) -> u32 {
        arrived(self.words.state.load(Ordering::Relaxed))
    }

    /// The current generation, mod 2^16 (a snapshot): how many times the barrier has tripped.
    #[must_use]
    pub fn generation(&self) -> u32 {
        generation(self.words.state.load(Ordering::Relaxed))
    }

    /// Arrives at the barrier: one compare-exchange. The last of the parties trips it and leads;
    /// the others get an attempt to wait with.
    pub fn arrive(&self) -> Arrival {
        let parties = self.parties();
        let state = &self.words.state;
        let mut v = state.load(Ordering::Relaxed);
        loop {
            // `>=` rather than `==`: a count can only reach `parties` here, but a word that
            // somehow holds more must still trip rather than overflow into `PARKED`.
            let leader = arrived(v) + 1 >= parties;
            let new = if leader { tripped(v) } else { v + 1 };
            // AcqRel: Release publishes what this party did before arriving (followers see it
            // through the trip, which continues this release sequence); Acquire lets a leader see
            // what every earlier party did before arriving.
            match state.compare_exchange_weak(v, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) if leader => {
                    return Arrival::Leader {
                        must_wake: v & PARKED != 0,
                    }
                }
                Ok(_) => return Arrival::Follower(BarrierAttempt::in_generation(generation(v))),
                Err(now) => v = now,
            }
        }
    }

    /// One non-blocking step of a follower's wait: [`Step::Acquired`] once its generation has
    /// tripped; otherwise records that the caller is about to wait (setting `PARKED`) and says on
    /// which value. Waits are never bounded: the trip wakes every waiter.
    pub fn wait_step(&self, attempt: &mut BarrierAttempt) -> Step {
        let state = &self.words.state;
        // Acquire (here and on a failed exchange): a changed generation must come with everything
        // the parties did before arriving.
        let mut v = state.load(Ordering::Acquire);
        loop {
            if generation(v) != attempt.generation() {
                return Step::Acquired;
            }
            let want = v | PARKED;
            if want != v {
                // Relaxed on success: PARKED only has to reach the trip's read-modify-write,
                // which the word's modification order guarantees.
                if let Err(now) =
                    state.compare_exchange_weak(v, want, Ordering::Relaxed, Ordering::Acquire)
                {
                    v = now;
                    continue;
                }
            }
            return attempt.park(want);
        }
    }

    /// Gives up a follower's wait (timeout, abort): takes its arrival back unless its generation
    /// has already tripped. Never needs a wake-up.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{Arrival, BarrierWords, RawBarrier, Withdrawal};
    ///
    /// let words = BarrierWords::new(2).unwrap();
    /// let barrier = RawBarrier::new(&words);
    /// let Arrival::Follower(quitter) = barrier.arrive() else { panic!() };
    /// assert_eq!(barrier.withdraw(&quitter), Withdrawal::Withdrawn);
    /// assert_eq!(barrier.arrived(), 0, "as if it never came");
    /// let Arrival::Follower(late) = barrier.arrive() else { panic!("still one of two") };
    /// assert!(matches!(barrier.arrive(), Arrival::Leader { .. }));
    /// assert_eq!(barrier.withdraw(&late), Withdrawal::Released, "it passed already");
    /// # }
    /// ```
    pub fn withdraw(&self, attempt: &BarrierAttempt) -> Withdrawal {
        let state = &self.words.state;
        let mut v = state.load(Ordering::Acquire);
        loop {
            if generation(v) != attempt.generation() {
                return Withdrawal::Released;
            }
            if arrived(v) == 0 {
                // Not counted (a forged attempt): there is nothing to take back.
                return Withdrawal::Withdrawn;
            }
            // Relaxed on success: taking an arrival back publishes nothing. Acquire on failure:
            // a changed generation means the caller passed, and must see what the parties did.
            match state.compare_exchange_weak(v, v - 1, Ordering::Relaxed, Ordering::Acquire) {
                Ok(_) => return Withdrawal::Withdrawn,
                Err(now) => v = now,
            }
        }
    }

    /// Arrives and blocks until the generation trips, sleeping on `futex`: the leader returns at
    /// once (after waking the others), the followers run the same [`wait_step`](Self::wait_step)
    /// loop JS runs.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::{BarrierWords, ParkingFutex, RawBarrier};
    ///
    /// let words = BarrierWords::new(2).unwrap();
    /// let barrier = RawBarrier::new(&words);
    /// let leaders = std::thread::scope(|s| {
    ///     let other = s.spawn(|| barrier.wait(&ParkingFutex).is_leader());
    ///     let mine = barrier.wait(&ParkingFutex).is_leader();
    ///     u32::from(mine) + u32::from(other.join().unwrap())
    /// });
    /// assert_eq!(leaders, 1);
    /// # }
    /// ```
    pub fn wait<F: Futex + ?Sized>(&self, futex: &F) -> BarrierWaitResult {
        let mut attempt = match self.arrive() {
            Arrival::Leader { must_wake } => return self.lead(must_wake, futex),
            Arrival::Follower(attempt) => attempt,
        };
        loop {
            match self.wait_step(&mut attempt) {
                Step::Acquired => return BarrierWaitResult { leader: false },
                Step::Wait(park) => {
                    futex.wait(&self.words.state, park.expected, park.timeout());
                }
            }
        }
    }

    /// Like [`wait`](Self::wait), giving up after `timeout` (measured on `clock`) by
    /// [`withdraw`](Self::withdraw)ing; a withdrawal that comes too late is a successful wait.
    ///
    /// # Errors
    ///
    /// [`SyncError::TimedOut`] when the timeout elapses first; the arrival was then taken back.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use std::time::Duration;
    /// use weft_sync::{BarrierWords, ParkingFutex, RawBarrier, StdClock, SyncError};
    ///
    /// let words = BarrierWords::new(2).unwrap();
    /// let barrier = RawBarrier::new(&words);
    /// let r = barrier.wait_timeout(&ParkingFutex, &StdClock::new(), Duration::from_millis(5));
    /// assert_eq!(r, Err(SyncError::TimedOut));
    /// assert_eq!(barrier.arrived(), 0);
    /// # }
    /// ```
    pub fn wait_timeout<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        futex: &F,
        clock: &C,
        timeout: Duration,
    ) -> Result<BarrierWaitResult, SyncError> {
        let deadline = clock.now().saturating_add(timeout);
        let mut attempt = match self.arrive() {
            Arrival::Leader { must_wake } => return Ok(self.lead(must_wake, futex)),
            Arrival::Follower(attempt) => attempt,
        };
        loop {
            match self.wait_step(&mut attempt) {
                Step::Acquired => return Ok(BarrierWaitResult { leader: false }),
                Step::Wait(park) => {
                    let now = clock.now();
                    if now >= deadline {
                        return match self.withdraw(&attempt) {
                            Withdrawal::Withdrawn => Err(SyncError::TimedOut),
                            Withdrawal::Released => Ok(BarrierWaitResult { leader: false }),
                        };
                    }
                    futex.wait(&self.words.state, park.expected, Some(deadline - now));
                }
            }
        }
    }

    fn lead<F: Futex + ?Sized>(&self, must_wake: bool, futex: &F) -> BarrierWaitResult {
        if must_wake {
            futex.wake(&self.words.state, WAKE_ALL);
        }
        BarrierWaitResult { leader: true }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn follower(b: &RawBarrier<'_>) -> BarrierAttempt {
        match b.arrive() {
            Arrival::Follower(a) => a,
            Arrival::Leader { .. } => panic!("expected to wait"),
        }
    }

    #[test]
    fn layout_is_two_u32() {
        assert_eq!(core::mem::size_of::<BarrierWords>(), 8);
        assert_eq!(core::mem::align_of::<BarrierWords>(), 4);
    }

    #[test]
    fn invalid_party_counts_are_rejected() {
        for p in [0, MAX_PARTIES + 1, u32::MAX] {
            assert_eq!(
                BarrierWords::new(p).unwrap_err(),
                SyncError::InvalidParties { parties: p }
            );
        }
        assert!(BarrierWords::new(MAX_PARTIES).is_ok());
    }

    #[test]
    fn one_party_always_leads_and_never_wakes() {
        let w = BarrierWords::new(1).unwrap();
        let b = RawBarrier::new(&w);
        for generation in 1..=3 {
            assert_eq!(b.arrive(), Arrival::Leader { must_wake: false });
            assert_eq!(b.generation(), generation);
            assert_eq!(b.arrived(), 0);
        }
    }

    #[test]
    fn the_last_arrival_leads_and_wakes_parked_followers() {
        let w = BarrierWords::new(3).unwrap();
        let b = RawBarrier::new(&w);
        let mut a = follower(&b);
        let mut c = follower(&b);
        assert_eq!(b.arrived(), 2);
        assert_eq!(
            b.wait_step(&mut a),
            Step::Wait(Park {
                expected: 2 | PARKED,
                bounded: false
            })
        );
        // The second follower's expected value includes the PARKED bit the first one set.
        assert_eq!(
            b.wait_step(&mut c),
            Step::Wait(Park {
                expected: 2 | PARKED,
                bounded: false
            })
        );
        assert_eq!(b.arrive(), Arrival::Leader { must_wake: true });
        assert_eq!(w.state.load(Ordering::Relaxed), 1 << GENERATION_SHIFT);
        assert_eq!(b.wait_step(&mut a), Step::Acquired);
        assert_eq!(b.wait_step(&mut c), Step::Acquired);
    }

    #[test]
    fn followers_that_did_not_park_need_no_wake_up() {
        let w = BarrierWords::new(2).unwrap();
        let b = RawBarrier::new(&w);
        let mut a = follower(&b);
        assert_eq!(b.arrive(), Arrival::Leader { must_wake: false });
        assert_eq!(b.wait_step(&mut a), Step::Acquired);
    }

    #[test]
    fn a_follower_is_released_even_when_the_barrier_tripped_again_before_it_ran() {
        let w = BarrierWords::new(2).unwrap();
        let b = RawBarrier::new(&w);
        let mut slow = follower(&b);
        let _ = b.arrive(); // trips generation 0
        let _ = follower(&b);
        let _ = b.arrive(); // trips generation 1
        assert_eq!(b.wait_step(&mut slow), Step::Acquired);
    }

    #[test]
    fn the_generation_wraps_without_stranding_followers() {
        let w = BarrierWords::new(2).unwrap();
        w.state.store(GENERATION_MASK, Ordering::Relaxed); // generation 65535
        let b = RawBarrier::new(&w);
        let mut a = follower(&b);
        assert_eq!(a.generation(), 0xFFFF);
        assert!(matches!(b.arrive(), Arrival::Leader { .. }));
        assert_eq!(b.generation(), 0);
        assert_eq!(b.wait_step(&mut a), Step::Acquired);
    }

    #[test]
    fn withdrawal_takes_the_arrival_back_or_reports_the_pass() {
        let w = BarrierWords::new(3).unwrap();
        let b = RawBarrier::new(&w);
        let mut quitter = follower(&b);
        let _ = b.wait_step(&mut quitter);
        let _stayer = follower(&b);
        assert_eq!(b.withdraw(&quitter), Withdrawal::Withdrawn);
        assert_eq!(b.arrived(), 1);
        // The generation still needs two more arrivals, not one.
        let late = follower(&b);
        assert!(matches!(b.arrive(), Arrival::Leader { .. }));
        assert_eq!(b.withdraw(&late), Withdrawal::Released);
        assert_eq!(b.arrived(), 0, "a late withdrawal changes nothing");
    }

    #[test]
    fn attempt_bits_round_trip_and_saturate() {
        let mut a = BarrierAttempt::in_generation(0x1_2345);
        assert_eq!(a.generation(), 0x2345);
        for _ in 0..3 {
            let _ = a.park(0);
        }
        assert_eq!(a.waits(), 3);
        assert_eq!(BarrierAttempt::from_bits(a.into_bits()), a);
        let mut full = BarrierAttempt::from_bits(u32::MAX);
        let _ = full.park(0);
        assert_eq!(full.waits(), ATTEMPT_WAITS_MAX);
    }

    #[test]
    fn from_ptr_and_init() {
        let mut storage = [9u32; 2];
        // SAFETY: two aligned words that outlive `b` and are only used through it.
        let b = unsafe { RawBarrier::from_ptr(storage.as_mut_ptr()) };
        assert!(b.init(0).is_err());
        b.init(4).unwrap();
        assert_eq!((b.parties(), b.arrived(), b.generation()), (4, 0, 0));
        assert_eq!(storage, [0, 4]);
    }
}
