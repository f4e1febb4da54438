//! Real-thread stress tests of the state machines with the native futex.
#![cfg(not(loom))]

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU32 as StdAtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use weft_sync::{
    AtomicU32, Futex, LockAttempt, ParkingFutex, RawMutex, RawSemaphore, SemaphoreWords, StdClock,
    Step, SyncError, WAKE_ALL,
};

const THREADS: usize = 4;

/// The tests here measure shares of two cores; running them side by side would measure each
/// other's load. Every test holds this for its whole run.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Plain, non-atomic data that only the lock holder touches.
struct Guarded<T>(UnsafeCell<T>);

// SAFETY: every access goes through `with`, whose callers hold the lock under test; the tests
// check exactly that this makes the accesses exclusive.
unsafe impl<T: Send> Sync for Guarded<T> {}

impl<T> Guarded<T> {
    fn new(v: T) -> Self {
        Self(UnsafeCell::new(v))
    }

    /// # Safety
    ///
    /// The caller holds the lock that guards this value.
    unsafe fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: the caller holds the lock, so no other reference to the value exists.
        f(unsafe { &mut *self.0.get() })
    }
}

#[test]
fn mutex_gives_the_exact_total_of_unsynchronised_increments() {
    let _serial = serial();
    const PER_THREAD: u64 = 20_000;
    let word = AtomicU32::new(RawMutex::UNLOCKED);
    let mutex = RawMutex::new(&word);
    let total = Guarded::new(0u64);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..PER_THREAD {
                    mutex.lock(&ParkingFutex);
                    // SAFETY: we hold `mutex`. Read and write separately to widen the race window.
                    unsafe {
                        let v = total.with(|t| *t);
                        total.with(|t| *t = v + 1);
                    }
                    mutex.unlock_and_wake(&ParkingFutex).unwrap();
                }
            });
        }
    });
    // SAFETY: all threads have finished; nobody else can touch `total`.
    assert_eq!(unsafe { total.with(|t| *t) }, THREADS as u64 * PER_THREAD);
    assert_eq!(word.load(Ordering::Relaxed), RawMutex::UNLOCKED);
}

/// Returns once `n` threads have called it: spinning, not sleeping, so that all of them are
/// running when they return (a sleeping barrier releases them milliseconds apart).
fn start_together(ready: &StdAtomicU32, n: u32) {
    ready.fetch_add(1, Ordering::SeqCst);
    while ready.load(Ordering::SeqCst) < n {
        thread::yield_now();
    }
}

/// Runs `THREADS` threads that take the mutex in a tight loop for `run`, and returns how many
/// acquisitions each made.
fn hammer(run: Duration) -> [u64; THREADS] {
    let word = AtomicU32::new(RawMutex::UNLOCKED);
    let mutex = RawMutex::new(&word);
    let stop = AtomicBool::new(false);
    let ready = StdAtomicU32::new(0);
    let total = Guarded::new(0u64);
    let mut shares = [0u64; THREADS];
    thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start_together(&ready, THREADS as u32);
                    let mut mine = 0;
                    while !stop.load(Ordering::Relaxed) {
                        mutex.lock(&ParkingFutex);
                        // SAFETY: we hold `mutex`.
                        unsafe { total.with(|t| *t += 1) };
                        mutex.unlock_and_wake(&ParkingFutex).unwrap();
                        mine += 1;
                    }
                    mine
                })
            })
            .collect();
        thread::sleep(run);
        stop.store(true, Ordering::Relaxed);
        for (share, h) in shares.iter_mut().zip(handles) {
            *share = h.join().unwrap();
        }
    });
    // SAFETY: all threads have finished.
    assert_eq!(shares.iter().sum::<u64>(), unsafe { total.with(|t| *t) });
    shares
}

#[test]
fn mutex_gives_every_hammering_thread_a_fair_share() {
    let _serial = serial();
    let shares = hammer(Duration::from_millis(300));
    let total: u64 = shares.iter().sum();
    let fair = total / THREADS as u64;
    // Each thread must get at least a quarter of an equal share.
    for (i, &got) in shares.iter().enumerate() {
        assert!(
            got >= fair / 4,
            "thread {i} got {got} of {total} ({shares:?})"
        );
    }
}

#[test]
fn mutex_waiter_that_times_out_leaves_the_lock_usable() {
    let _serial = serial();
    let word = AtomicU32::new(RawMutex::UNLOCKED);
    let mutex = RawMutex::new(&word);
    let clock = StdClock::new();
    mutex.lock(&ParkingFutex);
    thread::scope(|s| {
        // It waits, leaving PARKED and a fairness request (FAIR) behind when it gives up.
        s.spawn(|| {
            let r = mutex.lock_timeout(&ParkingFutex, &clock, Duration::from_millis(30));
            assert_eq!(r, Err(SyncError::TimedOut));
        })
        .join()
        .unwrap();
    });
    mutex.unlock_and_wake(&ParkingFutex).unwrap();
    let acquired = thread::scope(|s| {
        s.spawn(|| mutex.lock_timeout(&ParkingFutex, &clock, Duration::from_secs(5)))
            .join()
            .unwrap()
    });
    assert_eq!(acquired, Ok(()));
    assert!(mutex.is_locked());
    mutex.unlock_and_wake(&ParkingFutex).unwrap();
}

#[test]
fn mutex_abandoned_waiting_attempt_does_not_block_others() {
    let _serial = serial();
    let word = AtomicU32::new(RawMutex::UNLOCKED);
    let mutex = RawMutex::new(&word);
    mutex.lock(&ParkingFutex);
    // A JS waiter steps three times (PARKED and FAIR set), then its worker dies.
    let mut ghost = LockAttempt::new();
    for _ in 0..3 {
        assert!(matches!(mutex.lock_step(&mut ghost), Step::Wait(_)));
    }
    let acquired = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            mutex.lock(&ParkingFutex);
            acquired.store(true, Ordering::SeqCst);
            mutex.unlock_and_wake(&ParkingFutex).unwrap();
        });
        thread::sleep(Duration::from_millis(20));
        assert!(!acquired.load(Ordering::SeqCst), "must block while held");
        mutex.unlock_and_wake(&ParkingFutex).unwrap();
    });
    assert!(acquired.load(Ordering::SeqCst));
    // A newcomer on the main thread gets it too (after at most one grace period).
    mutex.lock(&ParkingFutex);
    mutex.unlock_and_wake(&ParkingFutex).unwrap();
}

#[test]
fn mutex_wake_swallowed_by_a_vanished_waiter_is_not_lost() {
    let _serial = serial();
    let word = AtomicU32::new(RawMutex::UNLOCKED);
    let mutex = RawMutex::new(&word);
    mutex.lock(&ParkingFutex);
    let mut ghost = LockAttempt::new();
    let Step::Wait(park) = mutex.lock_step(&mut ghost) else {
        panic!("held")
    };
    thread::scope(|s| {
        // The vanished waiter: first in the engine's queue, it takes a wake-up and never acts.
        let ghost = s.spawn(|| ParkingFutex.wait(&word, park.expected, None));
        wait_for_sleepers(&word, park.expected);
        let live = s.spawn(|| {
            mutex.lock(&ParkingFutex);
            mutex.unlock_and_wake(&ParkingFutex).unwrap();
        });
        thread::sleep(Duration::from_millis(20));
        assert!(
            mutex.unlock_and_wake(&ParkingFutex).unwrap() >= 1,
            "the ghost and the live waiter"
        );
        ghost.join().unwrap();
        live.join().unwrap();
    });
    assert!(!mutex.is_locked());
}

/// Gives a thread that is about to wait on `word` time to be asleep.
fn wait_for_sleepers(word: &AtomicU32, value: u32) {
    thread::sleep(Duration::from_millis(20));
    assert_eq!(word.load(Ordering::SeqCst), value);
}

#[test]
fn semaphore_with_two_permits_never_has_three_holders_and_reaches_two() {
    let _serial = serial();
    const ROUNDS: u32 = 5_000;
    let words = SemaphoreWords::new(2, 2).unwrap();
    let sem = RawSemaphore::new(&words);
    let holders = StdAtomicU32::new(0);
    let max = StdAtomicU32::new(0);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..ROUNDS {
                    sem.acquire(1, &ParkingFutex).unwrap();
                    let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    thread::yield_now();
                    holders.fetch_sub(1, Ordering::SeqCst);
                    sem.release_and_wake(1, &ParkingFutex).unwrap();
                }
            });
        }
    });
    assert_eq!(max.load(Ordering::SeqCst), 2);
    assert_eq!(sem.available(), 2);
}

#[test]
fn semaphore_multi_permit_acquire_excludes_and_is_not_starved() {
    let _serial = serial();
    // Capacity 3: one thread takes all 3 at a time while three others take 1 each in a loop.
    const BIG_ROUNDS: u32 = 300;
    let words = SemaphoreWords::new(3, 3).unwrap();
    let sem = RawSemaphore::new(&words);
    let held = StdAtomicU32::new(0);
    let big_done = AtomicBool::new(false);
    let small_rounds = StdAtomicU32::new(0);
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                while !big_done.load(Ordering::SeqCst) {
                    sem.acquire(1, &ParkingFutex).unwrap();
                    assert!(held.fetch_add(1, Ordering::SeqCst) < 3);
                    thread::yield_now();
                    held.fetch_sub(1, Ordering::SeqCst);
                    sem.release_and_wake(1, &ParkingFutex).unwrap();
                    small_rounds.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        s.spawn(|| {
            for _ in 0..BIG_ROUNDS {
                sem.acquire(3, &ParkingFutex).unwrap();
                assert_eq!(
                    held.fetch_add(3, Ordering::SeqCst),
                    0,
                    "3 permits means exclusive"
                );
                held.fetch_sub(3, Ordering::SeqCst);
                sem.release_and_wake(3, &ParkingFutex).unwrap();
            }
            big_done.store(true, Ordering::SeqCst);
        });
    });
    assert!(small_rounds.load(Ordering::SeqCst) > 0);
    assert_eq!(sem.available(), 3);
}

#[test]
fn semaphore_release_publishes_writes_to_the_acquirer() {
    let _serial = serial();
    // Permits as messages: the producer writes slot i, then releases 2; the consumer acquires 2,
    // then must see slot i.
    const ITEMS: usize = 2_000;
    let words = SemaphoreWords::new(2, 0).unwrap();
    let sem = RawSemaphore::new(&words);
    let slot = Guarded::new(0usize);
    let back = SemaphoreWords::new(1, 0).unwrap();
    let ack = RawSemaphore::new(&back);
    thread::scope(|s| {
        s.spawn(|| {
            for i in 1..=ITEMS {
                // SAFETY: the consumer touches `slot` only between its acquire and its ack.
                unsafe { slot.with(|v| *v = i) };
                sem.release_and_wake(2, &ParkingFutex).unwrap();
                ack.acquire(1, &ParkingFutex).unwrap();
            }
        });
        s.spawn(|| {
            for i in 1..=ITEMS {
                sem.acquire(2, &ParkingFutex).unwrap();
                // SAFETY: the producer is waiting for our ack and does not touch `slot`.
                assert_eq!(unsafe { slot.with(|v| *v) }, i);
                ack.release_and_wake(1, &ParkingFutex).unwrap();
            }
        });
    });
}

#[test]
fn semaphore_waiter_that_times_out_leaves_the_semaphore_usable() {
    let _serial = serial();
    let words = SemaphoreWords::new(3, 0).unwrap();
    let sem = RawSemaphore::new(&words);
    let clock = StdClock::new();
    // Times out after several waits: it reserved 3 permits, and gives the reservation back.
    let r = thread::scope(|s| {
        s.spawn(|| sem.acquire_timeout(3, &ParkingFutex, &clock, Duration::from_millis(30)))
            .join()
            .unwrap()
    });
    assert_eq!(r, Err(SyncError::TimedOut));
    sem.release_and_wake(1, &ParkingFutex).unwrap();
    assert_eq!(sem.try_acquire(1), Ok(true), "no reservation left behind");
    sem.release_and_wake(1, &ParkingFutex).unwrap();
}

#[test]
fn semaphore_release_wakes_enough_waiters() {
    let _serial = serial();
    // Three waiters of 1 permit each; one release of 3 must let all of them through.
    let words = SemaphoreWords::new(3, 0).unwrap();
    let sem = RawSemaphore::new(&words);
    let through = StdAtomicU32::new(0);
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                sem.acquire(1, &ParkingFutex).unwrap();
                through.fetch_add(1, Ordering::SeqCst);
            });
        }
        thread::sleep(Duration::from_millis(20));
        assert_eq!(through.load(Ordering::SeqCst), 0);
        sem.release_and_wake(3, &ParkingFutex).unwrap();
    });
    assert_eq!(through.load(Ordering::SeqCst), 3);
    assert_eq!(sem.available(), 0);
}

#[test]
fn wake_all_reaches_every_waiter() {
    let _serial = serial();
    let word = AtomicU32::new(5);
    thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|_| s.spawn(|| ParkingFutex.wait(&word, 5, None)))
            .collect();
        thread::sleep(Duration::from_millis(20));
        word.store(6, Ordering::SeqCst);
        let mut woken = ParkingFutex.wake(&word, WAKE_ALL);
        for h in hs {
            h.join().unwrap();
        }
        woken += ParkingFutex.wake(&word, WAKE_ALL);
        assert!(woken <= 3);
    });
}

/// A thread that cannot block the way JS's main thread cannot: it drives acquires step by step,
/// waits with short timeouts (as `Atomics.waitAsync` with a timeout would), and abandons every
/// other acquire after its first wait without undoing anything (as an `AbortSignal` would).
/// Returns how many acquires it completed.
fn async_style_mutex_user(mutex: RawMutex<'_>, total: &Guarded<u64>, rounds: u32) -> u64 {
    let mut done = 0;
    for round in 0..rounds {
        if !mutex.try_lock() {
            let mut attempt = LockAttempt::new();
            let acquired = loop {
                match mutex.lock_step(&mut attempt) {
                    Step::Acquired => break true,
                    Step::Wait(park) => {
                        if round % 2 == 1 && attempt.waits() == 1 {
                            // Cancelled: the engine may keep this waiter in its list; nothing to do.
                            break false;
                        }
                        let t = park.timeout().unwrap_or(Duration::from_micros(200));
                        ParkingFutex.wait(mutex.word(), park.expected, Some(t));
                    }
                }
            };
            if !acquired {
                continue;
            }
        }
        // SAFETY: we hold `mutex`.
        unsafe { total.with(|t| *t += 1) };
        done += 1;
        mutex.unlock_and_wake(&ParkingFutex).unwrap();
    }
    done
}

#[test]
fn mutex_survives_cancelled_step_driven_waiters() {
    let _serial = serial();
    const PER_WORKER: u64 = 5_000;
    let word = AtomicU32::new(RawMutex::UNLOCKED);
    let mutex = RawMutex::new(&word);
    let total = Guarded::new(0u64);
    let stepped = thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..PER_WORKER {
                    mutex.lock(&ParkingFutex);
                    // SAFETY: we hold `mutex`.
                    unsafe { total.with(|t| *t += 1) };
                    mutex.unlock_and_wake(&ParkingFutex).unwrap();
                }
            });
        }
        s.spawn(|| async_style_mutex_user(mutex, &total, 5_000))
            .join()
            .unwrap()
    });
    // SAFETY: all threads have finished.
    assert_eq!(unsafe { total.with(|t| *t) }, 3 * PER_WORKER + stepped);
    assert!(!mutex.is_locked());
}

#[test]
fn semaphore_survives_cancelled_step_driven_waiters() {
    let _serial = serial();
    const ROUNDS: u32 = 3_000;
    // Capacity 3: blocking workers take 1 or 2; the step-driven thread asks for 3 (so it reserves)
    // and abandons every other acquire, half the time without calling `abandon` (a dead worker).
    let words = SemaphoreWords::new(3, 3).unwrap();
    let sem = RawSemaphore::new(&words);
    let out = StdAtomicU32::new(0);
    let use_permits = |n: u32| {
        assert!(
            out.fetch_add(n, Ordering::SeqCst) + n <= 3,
            "more permits out than exist"
        );
        out.fetch_sub(n, Ordering::SeqCst);
        sem.release_and_wake(n, &ParkingFutex).unwrap();
    };
    thread::scope(|s| {
        for n in [1, 1, 2] {
            s.spawn(move || {
                for _ in 0..ROUNDS {
                    sem.acquire(n, &ParkingFutex).unwrap();
                    use_permits(n);
                }
            });
        }
        s.spawn(|| {
            for round in 0..ROUNDS {
                let mut attempt = sem.begin_acquire(3).unwrap();
                loop {
                    match sem.acquire_step(&mut attempt).unwrap() {
                        Step::Acquired => {
                            use_permits(3);
                            break;
                        }
                        Step::Wait(park) => {
                            if round % 2 == 1 && attempt.waits() == 1 {
                                if round % 4 == 1 && sem.abandon(&attempt) {
                                    ParkingFutex.wake(sem.state_word(), WAKE_ALL);
                                }
                                break;
                            }
                            let t = park.timeout().unwrap_or(Duration::from_micros(200));
                            ParkingFutex.wait(sem.state_word(), park.expected, Some(t));
                        }
                    }
                }
            }
        });
    });
    assert_eq!(sem.available(), 3);
}
