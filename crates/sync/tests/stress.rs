//! Real-thread stress tests of the state machines with the native futex.
#![cfg(not(loom))]

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU32 as StdAtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use weft_sync::{
    AtomicU32, BarrierWords, ChannelStorage, Futex, LockAttempt, ParkingFutex, RawBarrier,
    RawCondvar, RawMutex, RawRwLock, RawSemaphore, RawWaitGroup, SemaphoreWords, StdClock, Step,
    SyncError, WAKE_ALL,
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
fn hammer(run: Duration, clocked: bool) -> [u64; THREADS] {
    let word = AtomicU32::new(RawMutex::UNLOCKED);
    let mutex = RawMutex::new(&word);
    let stop = AtomicBool::new(false);
    let ready = StdAtomicU32::new(0);
    let total = Guarded::new(0u64);
    let clock = StdClock::new();
    let mut shares = [0u64; THREADS];
    thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start_together(&ready, THREADS as u32);
                    let mut mine = 0;
                    while !stop.load(Ordering::Relaxed) {
                        if clocked {
                            mutex.lock_with_clock(&ParkingFutex, &clock);
                        } else {
                            mutex.lock(&ParkingFutex);
                        }
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
    // Without a clock (overdue after lost races) and with one (overdue after FAIR_AFTER).
    for clocked in [false, true] {
        let shares = hammer(Duration::from_millis(300), clocked);
        let total: u64 = shares.iter().sum();
        let fair = total / THREADS as u64;
        // Each thread must get at least a quarter of an equal share.
        for (i, &got) in shares.iter().enumerate() {
            assert!(
                got >= fair / 4,
                "clocked {clocked}: thread {i} got {got} of {total} ({shares:?})"
            );
        }
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
        // The vanished waiter: first in the engine's queue, it takes the unlock's one wake-up and
        // never acts on it.
        let ghost_wait = s.spawn(|| ParkingFutex.wait(&word, park.expected, None));
        wait_for_sleepers(&word, park.expected);
        let live = s.spawn(|| {
            mutex.lock(&ParkingFutex);
            mutex.unlock_and_wake(&ParkingFutex).unwrap();
        });
        thread::sleep(Duration::from_millis(20));
        assert_eq!(
            mutex.unlock_and_wake(&ParkingFutex).unwrap(),
            1,
            "the ghost, first in the queue"
        );
        ghost_wait.join().unwrap();
        // Its owner gives the attempt up: waking all passes the swallowed wake-up on.
        if mutex.abandon(&ghost) {
            ParkingFutex.wake(&word, WAKE_ALL);
        }
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
                for round in 0..ROUNDS {
                    sem.acquire(1, &ParkingFutex).unwrap();
                    let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    // In its first round a thread holds its permit until two were held at once,
                    // so that "reaches two" does not depend on how the threads are scheduled.
                    while round == 0 && max.load(Ordering::SeqCst) < 2 {
                        thread::yield_now();
                    }
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
fn semaphore_gives_every_hammering_thread_a_fair_share() {
    let _serial = serial();
    // Two permits, four threads taking one at a time in a tight loop: a waiter reserves its permit
    // once overdue (after lost races without a clock, after FAIR_AFTER with one), so none of them
    // is kept out by the others' releasing and re-acquiring at once.
    for clocked in [false, true] {
        let words = SemaphoreWords::new(2, 2).unwrap();
        let sem = RawSemaphore::new(&words);
        let stop = AtomicBool::new(false);
        let ready = StdAtomicU32::new(0);
        let inside = StdAtomicU32::new(0);
        let clock = StdClock::new();
        let mut shares = [0u64; THREADS];
        thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        start_together(&ready, THREADS as u32);
                        let mut mine = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            if clocked {
                                sem.acquire_with_clock(1, &ParkingFutex, &clock).unwrap();
                            } else {
                                sem.acquire(1, &ParkingFutex).unwrap();
                            }
                            assert!(inside.fetch_add(1, Ordering::SeqCst) < 2, "3 holders");
                            inside.fetch_sub(1, Ordering::SeqCst);
                            sem.release_and_wake(1, &ParkingFutex).unwrap();
                            mine += 1;
                        }
                        mine
                    })
                })
                .collect();
            thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
            for (share, h) in shares.iter_mut().zip(handles) {
                *share = h.join().unwrap();
            }
        });
        let total: u64 = shares.iter().sum();
        let fair = total / THREADS as u64;
        for (i, &got) in shares.iter().enumerate() {
            assert!(
                got >= fair / 4,
                "clocked {clocked}: thread {i} got {got} of {total} ({shares:?})"
            );
        }
        assert_eq!(sem.available(), 2);
    }
}

#[test]
fn semaphore_multi_permit_acquire_excludes_and_is_not_starved() {
    let _serial = serial();
    for clocked in [false, true] {
        multi_permit_acquire_is_not_starved(clocked);
    }
}

fn multi_permit_acquire_is_not_starved(clocked: bool) {
    // Capacity 3: one thread takes all 3 at a time while three others take 1 each in a loop. The
    // big one starts once each small one has finished a round, so that they overlap however the
    // threads are scheduled, and it must get its 300 rounds in among theirs.
    const BIG_ROUNDS: u32 = 300;
    const SMALL: u32 = 3;
    let words = SemaphoreWords::new(3, 3).unwrap();
    let sem = RawSemaphore::new(&words);
    let held = StdAtomicU32::new(0);
    let big_done = AtomicBool::new(false);
    let small_rounds = StdAtomicU32::new(0);
    let small_started = StdAtomicU32::new(0);
    thread::scope(|s| {
        for _ in 0..SMALL {
            s.spawn(|| {
                let mut first = true;
                while !big_done.load(Ordering::SeqCst) {
                    sem.acquire(1, &ParkingFutex).unwrap();
                    assert!(held.fetch_add(1, Ordering::SeqCst) < 3);
                    thread::yield_now();
                    held.fetch_sub(1, Ordering::SeqCst);
                    sem.release_and_wake(1, &ParkingFutex).unwrap();
                    small_rounds.fetch_add(1, Ordering::SeqCst);
                    if first {
                        first = false;
                        small_started.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
        s.spawn(|| {
            while small_started.load(Ordering::SeqCst) < SMALL {
                thread::yield_now();
            }
            let clock = StdClock::new();
            for _ in 0..BIG_ROUNDS {
                if clocked {
                    sem.acquire_with_clock(3, &ParkingFutex, &clock).unwrap();
                } else {
                    sem.acquire(3, &ParkingFutex).unwrap();
                }
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
    assert!(small_rounds.load(Ordering::SeqCst) >= SMALL);
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

/// What threads under a readers–writer lock see: writers set `writing`, readers count themselves
/// in `reading`; a writer that finds readers or another writer, or a reader that finds a writer,
/// counts a violation.
#[derive(Default)]
struct RwWitness {
    reading: StdAtomicU32,
    writing: StdAtomicU32,
    violations: StdAtomicU32,
    most_readers: StdAtomicU32,
}

impl RwWitness {
    fn enter_read(&self) {
        let now = self.reading.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_readers.fetch_max(now, Ordering::SeqCst);
        if self.writing.load(Ordering::SeqCst) != 0 {
            self.violations.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn leave_read(&self) {
        self.reading.fetch_sub(1, Ordering::SeqCst);
    }

    fn enter_write(&self) {
        if self.writing.fetch_add(1, Ordering::SeqCst) != 0
            || self.reading.load(Ordering::SeqCst) != 0
        {
            self.violations.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn leave_write(&self) {
        self.writing.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn rwlock_readers_share_writers_exclude_and_writes_are_exact() {
    let _serial = serial();
    const ROUNDS: u32 = 10_000;
    let word = AtomicU32::new(RawRwLock::UNLOCKED);
    let lock = RawRwLock::new(&word);
    let witness = RwWitness::default();
    let total = Guarded::new(0u64);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (witness, total) = (&witness, &total);
            s.spawn(move || {
                for i in 0..ROUNDS {
                    if (i + t as u32).is_multiple_of(4) {
                        lock.write(&ParkingFutex);
                        witness.enter_write();
                        // SAFETY: we hold the write lock.
                        unsafe {
                            let v = total.with(|t| *t);
                            total.with(|t| *t = v + 1);
                        }
                        witness.leave_write();
                        lock.write_unlock_and_wake(&ParkingFutex).unwrap();
                    } else {
                        lock.read(&ParkingFutex);
                        witness.enter_read();
                        // SAFETY: we hold a read lock; writers are excluded.
                        let _ = unsafe { total.with(|t| *t) };
                        thread::yield_now();
                        witness.leave_read();
                        lock.read_unlock_and_wake(&ParkingFutex).unwrap();
                    }
                }
            });
        }
    });
    assert_eq!(witness.violations.load(Ordering::SeqCst), 0);
    // SAFETY: all threads have finished.
    assert_eq!(
        unsafe { total.with(|t| *t) },
        THREADS as u64 * ROUNDS as u64 / 4
    );
    assert_eq!(word.load(Ordering::SeqCst) & 0x3FFF, RawRwLock::UNLOCKED);
}

#[test]
fn rwlock_read_locks_are_held_by_two_threads_at_once() {
    let _serial = serial();
    // Each reader holds its read lock until the other one holds one too: with an exclusive lock
    // the second could never get in, and the deadline would fail the test.
    let word = AtomicU32::new(RawRwLock::UNLOCKED);
    let lock = RawRwLock::new(&word);
    let inside = StdAtomicU32::new(0);
    let met = thread::scope(|s| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    lock.read(&ParkingFutex);
                    inside.fetch_add(1, Ordering::SeqCst);
                    let deadline = std::time::Instant::now() + Duration::from_secs(10);
                    while inside.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline
                    {
                        thread::yield_now();
                    }
                    let met = inside.load(Ordering::SeqCst) == 2;
                    lock.read_unlock_and_wake(&ParkingFutex).unwrap();
                    met
                })
            })
            .collect();
        readers.into_iter().all(|r| r.join().unwrap())
    });
    assert!(met, "the two readers never held the lock at the same time");
}

#[test]
fn rwlock_writer_is_not_starved_by_overlapping_readers() {
    let _serial = serial();
    // Three readers each hold their read lock for half a millisecond and re-lock at once after
    // each unlock, so that the lock is never free of readers unless new readers hold back; the
    // writer must still get in, every time, long before its timeout.
    const WRITES: u32 = 100;
    let word = AtomicU32::new(RawRwLock::UNLOCKED);
    let lock = RawRwLock::new(&word);
    let witness = RwWitness::default();
    let stop = AtomicBool::new(false);
    let reads = StdAtomicU32::new(0);
    let started = StdAtomicU32::new(0);
    let clock = StdClock::new();
    let written = thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let mut first = true;
                while !stop.load(Ordering::SeqCst) {
                    lock.read(&ParkingFutex);
                    witness.enter_read();
                    if first {
                        // The three readers hold the lock together before the writer starts.
                        start_together(&started, 3);
                        first = false;
                    }
                    thread::sleep(Duration::from_micros(500));
                    witness.leave_read();
                    lock.read_unlock_and_wake(&ParkingFutex).unwrap();
                    reads.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let writer = s.spawn(|| {
            // Only once all three readers hold the lock together.
            while started.load(Ordering::SeqCst) < 3 {
                thread::yield_now();
            }
            let mut written = 0;
            for _ in 0..WRITES {
                if lock
                    .write_timeout(&ParkingFutex, &clock, Duration::from_secs(5))
                    .is_err()
                {
                    break;
                }
                witness.enter_write();
                witness.leave_write();
                lock.write_unlock_and_wake(&ParkingFutex).unwrap();
                written += 1;
            }
            written
        });
        let written = writer.join().unwrap();
        stop.store(true, Ordering::SeqCst);
        written
    });
    assert_eq!(written, WRITES, "the writer timed out behind the readers");
    assert!(reads.load(Ordering::SeqCst) > 0);
    assert_eq!(witness.violations.load(Ordering::SeqCst), 0);
}

#[test]
fn rwlock_reader_is_not_starved_by_a_writer_that_relocks_at_once() {
    let _serial = serial();
    // Two writers take the write lock in a tight loop, each holding it for a moment; a reader must
    // still get in, every time, long before its timeout.
    const READS: u32 = 100;
    let word = AtomicU32::new(RawRwLock::UNLOCKED);
    let lock = RawRwLock::new(&word);
    let witness = RwWitness::default();
    let stop = AtomicBool::new(false);
    let started = StdAtomicU32::new(0);
    let clock = StdClock::new();
    let read = thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut first = true;
                while !stop.load(Ordering::SeqCst) {
                    lock.write(&ParkingFutex);
                    witness.enter_write();
                    if first {
                        started.fetch_add(1, Ordering::SeqCst);
                        first = false;
                    }
                    thread::sleep(Duration::from_micros(200));
                    witness.leave_write();
                    lock.write_unlock_and_wake(&ParkingFutex).unwrap();
                }
            });
        }
        let reader = s.spawn(|| {
            while started.load(Ordering::SeqCst) < 2 {
                thread::yield_now();
            }
            let mut read = 0;
            for _ in 0..READS {
                if lock
                    .read_timeout(&ParkingFutex, &clock, Duration::from_secs(5))
                    .is_err()
                {
                    break;
                }
                witness.enter_read();
                witness.leave_read();
                lock.read_unlock_and_wake(&ParkingFutex).unwrap();
                read += 1;
            }
            read
        });
        let read = reader.join().unwrap();
        stop.store(true, Ordering::SeqCst);
        read
    });
    assert_eq!(read, READS, "the reader timed out behind the writers");
    assert_eq!(witness.violations.load(Ordering::SeqCst), 0);
}

#[test]
fn rwlock_survives_cancelled_step_driven_writers_and_readers() {
    let _serial = serial();
    const ROUNDS: u32 = 3_000;
    // Blocking readers and a blocking writer, plus a step-driven thread that alternates write and
    // read attempts and gives up every other one after its first wait, half of those without
    // calling `abandon` (a worker that died).
    let word = AtomicU32::new(RawRwLock::UNLOCKED);
    let lock = RawRwLock::new(&word);
    let witness = RwWitness::default();
    let stepped = StdAtomicU32::new(0);
    thread::scope(|s| {
        for t in 0..3 {
            let witness = &witness;
            s.spawn(move || {
                for _ in 0..ROUNDS {
                    if t == 0 {
                        lock.write(&ParkingFutex);
                        witness.enter_write();
                        witness.leave_write();
                        lock.write_unlock_and_wake(&ParkingFutex).unwrap();
                    } else {
                        lock.read(&ParkingFutex);
                        witness.enter_read();
                        witness.leave_read();
                        lock.read_unlock_and_wake(&ParkingFutex).unwrap();
                    }
                }
            });
        }
        s.spawn(|| {
            for round in 0..ROUNDS {
                let write = round % 2 == 0;
                let mut attempt = if write {
                    lock.begin_write()
                } else {
                    lock.begin_read()
                };
                let acquired = loop {
                    match lock.lock_step(&mut attempt) {
                        Step::Acquired => break true,
                        Step::Wait(park) => {
                            if round % 4 < 2 && attempt.waits() == 1 {
                                if round % 8 < 4 && lock.abandon(&attempt) {
                                    ParkingFutex.wake(lock.word(), WAKE_ALL);
                                }
                                break false;
                            }
                            let t = park.timeout().unwrap_or(Duration::from_micros(200));
                            ParkingFutex.wait(lock.word(), park.expected, Some(t));
                        }
                    }
                };
                if !acquired {
                    continue;
                }
                stepped.fetch_add(1, Ordering::SeqCst);
                if write {
                    witness.enter_write();
                    witness.leave_write();
                    lock.write_unlock_and_wake(&ParkingFutex).unwrap();
                } else {
                    witness.enter_read();
                    witness.leave_read();
                    lock.read_unlock_and_wake(&ParkingFutex).unwrap();
                }
            }
        });
    });
    assert_eq!(witness.violations.load(Ordering::SeqCst), 0);
    assert!(stepped.load(Ordering::SeqCst) >= ROUNDS / 2);
    assert_eq!(word.load(Ordering::SeqCst) & 0x3FFF, RawRwLock::UNLOCKED);
}

#[test]
fn barrier_has_one_leader_per_generation_and_lets_nobody_through_early() {
    let _serial = serial();
    const GENERATIONS: usize = 2_000;
    let words = BarrierWords::new(THREADS as u32).unwrap();
    let barrier = RawBarrier::new(&words);
    let arrived: Vec<StdAtomicU32> = (0..GENERATIONS).map(|_| StdAtomicU32::new(0)).collect();
    let leaders: Vec<StdAtomicU32> = (0..GENERATIONS).map(|_| StdAtomicU32::new(0)).collect();
    let early = StdAtomicU32::new(0);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for g in 0..GENERATIONS {
                    arrived[g].fetch_add(1, Ordering::Relaxed);
                    if barrier.wait(&ParkingFutex).is_leader() {
                        leaders[g].fetch_add(1, Ordering::Relaxed);
                    }
                    // Relaxed on purpose: the barrier itself must order every arrival before this.
                    if arrived[g].load(Ordering::Relaxed) != THREADS as u32 {
                        early.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(early.load(Ordering::SeqCst), 0);
    for (g, l) in leaders.iter().enumerate() {
        assert_eq!(l.load(Ordering::SeqCst), 1, "generation {g}");
    }
    assert_eq!(barrier.generation(), (GENERATIONS % (1 << 16)) as u32);
    assert_eq!(barrier.arrived(), 0);
}

#[test]
fn barrier_waiter_that_times_out_leaves_the_barrier_usable() {
    let _serial = serial();
    let words = BarrierWords::new(2).unwrap();
    let barrier = RawBarrier::new(&words);
    let clock = StdClock::new();
    let r = thread::scope(|s| {
        s.spawn(|| barrier.wait_timeout(&ParkingFutex, &clock, Duration::from_millis(30)))
            .join()
            .unwrap()
    });
    assert_eq!(r, Err(SyncError::TimedOut));
    assert_eq!(barrier.arrived(), 0, "the arrival was taken back");
    let leaders = thread::scope(|s| {
        let other = s.spawn(|| barrier.wait(&ParkingFutex).is_leader());
        let mine = barrier.wait(&ParkingFutex).is_leader();
        u32::from(mine) + u32::from(other.join().unwrap())
    });
    assert_eq!(leaders, 1);
    assert_eq!(barrier.generation(), 1);
}

#[test]
fn wait_group_waiter_sees_every_tasks_work_in_every_round() {
    let _serial = serial();
    const ROUNDS: u32 = 300;
    let word = AtomicU32::new(0);
    let group = RawWaitGroup::new(&word);
    let slots: Vec<Guarded<u32>> = (0..THREADS).map(|_| Guarded::new(0)).collect();
    for round in 1..=ROUNDS {
        group.add(THREADS as u32).unwrap();
        thread::scope(|s| {
            for slot in &slots {
                s.spawn(move || {
                    // SAFETY: this task is the only one touching its slot until its done().
                    unsafe { slot.with(|v| *v = round) };
                    group.done_and_wake(&ParkingFutex).unwrap();
                });
            }
            group.wait(&ParkingFutex);
            for slot in &slots {
                // SAFETY: every task wrote before its done(), and the wait returned after all.
                assert_eq!(unsafe { slot.with(|v| *v) }, round);
            }
        });
    }
    assert_eq!(group.count(), 0);
}

#[test]
fn wait_group_releases_every_waiter_at_each_zero_while_the_count_cycles() {
    let _serial = serial();
    // Cycle after cycle, two waiters wait while the count goes 0 → 2 → 1 → 0; each cycle ends only
    // once both waits have returned, so a lost wake-up shows as a cycle that never ends.
    const CYCLES: u32 = 2_000;
    let word = AtomicU32::new(0);
    let group = RawWaitGroup::new(&word);
    let cycle = StdAtomicU32::new(0);
    let returned = StdAtomicU32::new(0);
    let finished = thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for c in 0..CYCLES {
                    while cycle.load(Ordering::SeqCst) <= c {
                        thread::yield_now();
                    }
                    group.wait(&ParkingFutex);
                    returned.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for c in 1..=CYCLES {
            group.add(2).unwrap();
            cycle.store(c, Ordering::SeqCst);
            thread::yield_now();
            group.done_and_wake(&ParkingFutex).unwrap();
            group.done_and_wake(&ParkingFutex).unwrap();
            while returned.load(Ordering::SeqCst) < 2 * c {
                if std::time::Instant::now() > deadline {
                    // Let the waiters finish (the count is 0: every wait returns once woken) so
                    // that the scope can end, then report.
                    cycle.store(CYCLES, Ordering::SeqCst);
                    ParkingFutex.wake(group.word(), WAKE_ALL);
                    return c - 1;
                }
                thread::yield_now();
            }
        }
        CYCLES
    });
    assert_eq!(finished, CYCLES, "a wait never returned");
    assert_eq!(returned.load(Ordering::SeqCst), 2 * CYCLES);
    assert_eq!(group.count(), 0);
}

#[test]
fn wait_group_waiter_that_times_out_leaves_the_group_usable() {
    let _serial = serial();
    let word = AtomicU32::new(0);
    let group = RawWaitGroup::new(&word);
    let clock = StdClock::new();
    group.add(1).unwrap();
    let r = thread::scope(|s| {
        s.spawn(|| group.wait_timeout(&ParkingFutex, &clock, Duration::from_millis(30)))
            .join()
            .unwrap()
    });
    assert_eq!(r, Err(SyncError::TimedOut));
    thread::scope(|s| {
        let waiter = s.spawn(|| group.wait_timeout(&ParkingFutex, &clock, Duration::from_secs(5)));
        thread::sleep(Duration::from_millis(20));
        group.done_and_wake(&ParkingFutex).unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(()));
    });
    assert_eq!(group.done(), Err(SyncError::WaitGroupNegative));
}

#[test]
fn channel_four_producers_four_consumers_deliver_every_message_exactly_once() {
    let _serial = serial();
    const PER_PRODUCER: u32 = 20_000;
    let storage = ChannelStorage::new(8).unwrap();
    let channel = storage.channel();
    let clock = StdClock::new();
    let seen: Vec<StdAtomicU32> = (0..THREADS as u32 * PER_PRODUCER)
        .map(|_| StdAtomicU32::new(0))
        .collect();
    thread::scope(|s| {
        for p in 0..THREADS as u32 {
            let clock = &clock;
            s.spawn(move || {
                for i in 0..PER_PRODUCER {
                    // Handles are never 0 in weft (addresses): send index + 1.
                    channel
                        .send_blocking(p * PER_PRODUCER + i + 1, &ParkingFutex, clock, None)
                        .unwrap();
                }
            });
        }
        let consumers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (seen, clock) = (&seen, &clock);
                s.spawn(move || {
                    let mut got = 0u32;
                    while let Ok(m) = channel.recv_blocking(&ParkingFutex, clock, None) {
                        seen[(m - 1) as usize].fetch_add(1, Ordering::Relaxed);
                        got += 1;
                    }
                    got
                })
            })
            .collect();
        // Close once everything has been received: wait for the count, then close.
        while seen.iter().map(|c| c.load(Ordering::Relaxed)).sum::<u32>()
            < THREADS as u32 * PER_PRODUCER
        {
            thread::sleep(Duration::from_millis(1));
        }
        channel.close_and_wake(&ParkingFutex);
        let total: u32 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(total, THREADS as u32 * PER_PRODUCER);
    });
    assert!(
        seen.iter().all(|c| c.load(Ordering::Relaxed) == 1),
        "a message was lost or duplicated"
    );
    assert!(channel.is_empty());
}

#[test]
fn condvar_producer_consumer_hands_over_every_item() {
    let _serial = serial();
    const ITEMS: u64 = 20_000;
    let (mutex_word, condvar_word) = (AtomicU32::new(RawMutex::UNLOCKED), AtomicU32::new(0));
    let (mutex, condvar) = (RawMutex::new(&mutex_word), RawCondvar::new(&condvar_word));
    // (queued, taken, sum of taken)
    let state = Guarded::new((0u64, 0u64, 0u64));
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                mutex.lock(&ParkingFutex);
                loop {
                    // SAFETY: under the mutex (the wait below releases it only while waiting).
                    let (queued, taken) = unsafe { state.with(|st| (st.0, st.1)) };
                    if taken == ITEMS {
                        break;
                    }
                    if queued == 0 {
                        condvar.wait(&mutex, &ParkingFutex).unwrap();
                        continue;
                    }
                    // SAFETY: under the mutex.
                    unsafe {
                        state.with(|st| {
                            st.0 -= 1;
                            st.1 += 1;
                            st.2 += st.1;
                        });
                    }
                }
                mutex.unlock_and_wake(&ParkingFutex).unwrap();
                condvar.notify_all_and_wake(&ParkingFutex);
            });
        }
        for _ in 0..ITEMS {
            mutex.lock(&ParkingFutex);
            // SAFETY: under the mutex.
            unsafe { state.with(|st| st.0 += 1) };
            mutex.unlock_and_wake(&ParkingFutex).unwrap();
            condvar.notify_one_and_wake(&ParkingFutex);
        }
    });
    // SAFETY: every other thread has been joined.
    let (queued, taken, sum) = unsafe { state.with(|st| *st) };
    assert_eq!((queued, taken, sum), (0, ITEMS, ITEMS * (ITEMS + 1) / 2));
}
