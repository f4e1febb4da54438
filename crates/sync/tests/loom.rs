//! Loom models of the state machines: every interleaving (up to the preemption bound) of a few
//! threads, with the engine's FIFO waiter list modelled by `LoomFutex`. A lost wake-up shows up as
//! a deadlock, a broken exclusion as a data race on a `loom::cell::UnsafeCell` or a failed
//! assertion.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p weft-sync --release --test loom`. The preemption
//! bound is 3 unless `LOOM_MAX_PREEMPTIONS` says otherwise.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use weft_sync::{
    AtomicU32, Counter, Futex, LockAttempt, LoomFutex, RawMutex, RawSemaphore, SemaphoreWords,
    Step, SyncError, WAKE_ALL,
};

fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

struct Shared {
    word: AtomicU32,
    futex: LoomFutex,
    data: UnsafeCell<u32>,
}

impl Shared {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            word: AtomicU32::new(RawMutex::UNLOCKED),
            futex: LoomFutex::new(),
            data: UnsafeCell::new(0),
        })
    }

    fn mutex(&self) -> RawMutex<'_> {
        RawMutex::new(&self.word)
    }

    /// Locks, increments the guarded value (loom flags any concurrent access), unlocks.
    fn increment(&self) {
        self.mutex().lock(&self.futex);
        self.data.with_mut(|d| {
            // SAFETY: we hold the mutex; loom checks that no other access overlaps this one.
            unsafe { *d += 1 }
        });
        self.mutex().unlock_and_wake(&self.futex).unwrap();
    }

    fn value(&self) -> u32 {
        // SAFETY: called after every other thread has been joined.
        self.data.with(|d| unsafe { *d })
    }
}

#[test]
fn mutex_two_threads_exclude_and_always_finish() {
    model(|| {
        let s = Shared::new();
        let t = {
            let s = s.clone();
            thread::spawn(move || s.increment())
        };
        s.increment();
        t.join().unwrap();
        assert_eq!(s.value(), 2);
        assert!(!s.mutex().is_locked());
    });
}

#[test]
fn mutex_three_threads_exclude_and_always_finish() {
    model(|| {
        let s = Shared::new();
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let s = s.clone();
                thread::spawn(move || s.increment())
            })
            .collect();
        s.increment();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(s.value(), 3);
    });
}

#[test]
fn mutex_releaser_that_relocks_defers_and_everyone_finishes() {
    // One thread locks twice in a row (a newcomer right after its own unlock, possibly deferring
    // with a bounded wait), against a single waiter.
    model(|| {
        let s = Shared::new();
        let t = {
            let s = s.clone();
            thread::spawn(move || {
                s.increment();
                s.increment();
            })
        };
        s.increment();
        t.join().unwrap();
        assert_eq!(s.value(), 3);
    });
}

#[test]
fn mutex_wake_swallowed_by_a_vanished_waiter_is_not_lost() {
    model(|| {
        let s = Shared::new();
        s.mutex().lock(&s.futex);
        // A JS waiter stepped, joined the engine's list, and vanished: first in FIFO order.
        let mut ghost = LockAttempt::new();
        let Step::Wait(park) = s.mutex().lock_step(&mut ghost) else {
            panic!("held")
        };
        assert!(s.futex.ghost(&s.word, park.expected));
        let t = {
            let s = s.clone();
            thread::spawn(move || s.increment())
        };
        s.data.with_mut(|d| {
            // SAFETY: we hold the mutex.
            unsafe { *d += 1 }
        });
        s.mutex().unlock_and_wake(&s.futex).unwrap();
        t.join().unwrap();
        assert_eq!(s.value(), 2);
    });
}

#[test]
fn mutex_abandoned_waiter_leaves_the_mutex_usable() {
    // A waiter steps (setting PARKED and FAIR) and gives up, while two others use the mutex.
    model(|| {
        let s = Shared::new();
        let quitter = {
            let s = s.clone();
            thread::spawn(move || {
                if !s.mutex().try_lock() {
                    let mut a = LockAttempt::new();
                    if let Step::Acquired = s.mutex().lock_step(&mut a) {
                        s.mutex().unlock_and_wake(&s.futex).unwrap();
                    }
                    // Otherwise: gives up after its first Wait, undoing nothing.
                } else {
                    s.mutex().unlock_and_wake(&s.futex).unwrap();
                }
            })
        };
        let t = {
            let s = s.clone();
            thread::spawn(move || s.increment())
        };
        s.increment();
        quitter.join().unwrap();
        t.join().unwrap();
        assert_eq!(s.value(), 2);
    });
}

struct Sem {
    words: SemaphoreWords,
    futex: LoomFutex,
    holders: AtomicUsize,
}

impl Sem {
    fn new(capacity: u32, available: u32) -> Arc<Self> {
        Arc::new(Self {
            words: SemaphoreWords::new(capacity, available).unwrap(),
            futex: LoomFutex::new(),
            holders: AtomicUsize::new(0),
        })
    }

    fn sem(&self) -> RawSemaphore<'_> {
        RawSemaphore::new(&self.words)
    }

    /// Acquires `n`, checks that no more than `capacity` permits are out, releases `n`.
    fn use_permits(&self, n: u32) {
        self.sem().acquire(n, &self.futex).unwrap();
        let out = self.holders.fetch_add(n as usize, Ordering::SeqCst) + n as usize;
        assert!(out <= self.sem().capacity() as usize, "{out} permits out");
        self.holders.fetch_sub(n as usize, Ordering::SeqCst);
        self.sem().release_and_wake(n, &self.futex).unwrap();
    }
}

#[test]
fn semaphore_never_hands_out_more_than_capacity() {
    model(|| {
        let s = Sem::new(2, 2);
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let s = s.clone();
                thread::spawn(move || s.use_permits(1))
            })
            .collect();
        s.use_permits(1);
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(s.sem().available(), 2);
    });
}

#[test]
fn semaphore_multi_permit_acquires_finish_when_permits_arrive() {
    // No permits at first: one thread wants 2, another 1; the main thread releases 1 and 1.
    model(|| {
        let s = Sem::new(2, 0);
        let big = {
            let s = s.clone();
            thread::spawn(move || s.use_permits(2))
        };
        let small = {
            let s = s.clone();
            thread::spawn(move || s.use_permits(1))
        };
        s.sem().release_and_wake(1, &s.futex).unwrap();
        s.sem().release_and_wake(1, &s.futex).unwrap();
        big.join().unwrap();
        small.join().unwrap();
        assert_eq!(s.sem().available(), 2);
    });
}

#[test]
fn semaphore_reserver_that_gives_up_does_not_block_others() {
    // A 2-permit acquire waits (reserving 2), then gives up, with or without `abandon`; a
    // 1-permit acquire must still get the permit the main thread releases.
    for call_abandon in [true, false] {
        model(move || {
            let s = Sem::new(2, 0);
            let quitter = {
                let s = s.clone();
                thread::spawn(move || {
                    let mut a = s.sem().begin_acquire(2).unwrap();
                    match s.sem().acquire_step(&mut a).unwrap() {
                        Step::Acquired => {
                            s.sem().release_and_wake(2, &s.futex).unwrap();
                        }
                        Step::Wait(_) => {
                            if call_abandon && s.sem().abandon(&a) {
                                s.futex.wake(s.sem().state_word(), WAKE_ALL);
                            }
                        }
                    }
                })
            };
            let small = {
                let s = s.clone();
                thread::spawn(move || s.use_permits(1))
            };
            s.sem().release_and_wake(1, &s.futex).unwrap();
            quitter.join().unwrap();
            small.join().unwrap();
        });
    }
}

#[test]
fn semaphore_wake_swallowed_by_a_vanished_waiter_is_not_lost() {
    model(|| {
        let s = Sem::new(1, 0);
        let mut ghost = s.sem().begin_acquire(1).unwrap();
        let Ok(Step::Wait(park)) = s.sem().acquire_step(&mut ghost) else {
            panic!("no permits")
        };
        assert!(s.futex.ghost(s.sem().state_word(), park.expected));
        let t = {
            let s = s.clone();
            thread::spawn(move || s.use_permits(1))
        };
        s.sem().release_and_wake(1, &s.futex).unwrap();
        t.join().unwrap();
        assert_eq!(s.sem().available(), 1);
    });
}

#[test]
fn semaphore_rejects_over_capacity_without_touching_the_word() {
    model(|| {
        let s = Sem::new(2, 2);
        assert_eq!(
            s.sem().acquire(3, &s.futex),
            Err(SyncError::ExceedsCapacity {
                requested: 3,
                capacity: 2
            })
        );
        assert_eq!(s.sem().available(), 2);
    });
}

#[test]
fn counter_updates_are_exact_and_last_one_out_sees_zero() {
    model(|| {
        let word = Arc::new(AtomicU32::new(2));
        let zeros = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let (word, zeros) = (word.clone(), zeros.clone());
                thread::spawn(move || {
                    if Counter::new(&word).decrement().unwrap() == 0 {
                        zeros.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(zeros.load(Ordering::SeqCst), 1);
        assert_eq!(Counter::new(&word).load(), 0);
    });
}
