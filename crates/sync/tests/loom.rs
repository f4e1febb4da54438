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
    Arrival, AtomicU32, BarrierWords, ChannelStorage, Counter, Futex, LockAttempt, LoomFutex,
    RawBarrier, RawCondvar, RawMutex, RawRwLock, RawSemaphore, RawWaitGroup, SemaphoreWords, Step,
    SyncError, Withdrawal, WAKE_ALL,
};

/// A model with more branches for the channel, whose spin lock yields at every failed try.
fn model_spinning<F: Fn() + Sync + Send + 'static>(f: F) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.max_branches = 100_000;
    builder.check(f);
}

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
        // A JS waiter stepped, joined the engine's list, and vanished: first in FIFO order, so an
        // unlock's one wake-up may go to it. Its owner notices at some point and abandons it.
        let mut ghost = LockAttempt::new();
        let Step::Wait(park) = s.mutex().lock_step(&mut ghost) else {
            panic!("held")
        };
        assert!(s.futex.ghost(&s.word, park.expected));
        let owner = {
            let s = s.clone();
            thread::spawn(move || {
                if s.mutex().abandon(&ghost) {
                    s.futex.wake(&s.word, WAKE_ALL);
                }
            })
        };
        let t = {
            let s = s.clone();
            thread::spawn(move || s.increment())
        };
        s.data.with_mut(|d| {
            // SAFETY: we hold the mutex.
            unsafe { *d += 1 }
        });
        s.mutex().unlock_and_wake(&s.futex).unwrap();
        owner.join().unwrap();
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
    // A 2-permit acquire waits (reserving 2: it is overdue), then gives up, with or without `abandon`; a
    // 1-permit acquire must still get the permit the main thread releases.
    for call_abandon in [true, false] {
        model(move || {
            let s = Sem::new(2, 0);
            let quitter = {
                let s = s.clone();
                thread::spawn(move || {
                    // Overdue at once, so that its first wait reserves.
                    let mut a = s.sem().begin_acquire(2).unwrap().reserving();
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

struct Rw {
    word: AtomicU32,
    futex: LoomFutex,
    data: UnsafeCell<u32>,
}

impl Rw {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            word: AtomicU32::new(RawRwLock::UNLOCKED),
            futex: LoomFutex::new(),
            data: UnsafeCell::new(0),
        })
    }

    fn lock(&self) -> RawRwLock<'_> {
        RawRwLock::new(&self.word)
    }

    /// Read-locks, reads the guarded value (loom flags a write overlapping it), unlocks.
    fn read(&self) -> u32 {
        self.lock().read(&self.futex);
        // SAFETY: we hold a read lock; loom checks that no write overlaps this read.
        let v = self.data.with(|d| unsafe { *d });
        self.lock().read_unlock_and_wake(&self.futex).unwrap();
        v
    }

    /// Write-locks, increments the guarded value, unlocks.
    fn write(&self) {
        self.lock().write(&self.futex);
        self.data.with_mut(|d| {
            // SAFETY: we hold the write lock; loom checks that no other access overlaps.
            unsafe { *d += 1 }
        });
        self.lock().write_unlock_and_wake(&self.futex).unwrap();
    }

    fn value(&self) -> u32 {
        // SAFETY: called after every other thread has been joined.
        self.data.with(|d| unsafe { *d })
    }
}

#[test]
fn rwlock_two_readers_and_a_writer_exclude_and_always_finish() {
    model(|| {
        let s = Rw::new();
        let reader = {
            let s = s.clone();
            thread::spawn(move || s.read())
        };
        let writer = {
            let s = s.clone();
            thread::spawn(move || s.write())
        };
        let mine = s.read();
        let theirs = reader.join().unwrap();
        writer.join().unwrap();
        assert!(mine <= 1 && theirs <= 1);
        assert_eq!(s.value(), 1);
        assert_eq!(s.word.load(Ordering::SeqCst) & 0x3FFF, RawRwLock::UNLOCKED);
    });
}

#[test]
fn rwlock_two_writers_and_a_reader_exclude_and_always_finish() {
    model(|| {
        let s = Rw::new();
        let writer = {
            let s = s.clone();
            thread::spawn(move || s.write())
        };
        let reader = {
            let s = s.clone();
            thread::spawn(move || s.read())
        };
        s.write();
        writer.join().unwrap();
        let seen = reader.join().unwrap();
        assert!(seen <= 2);
        assert_eq!(s.value(), 2);
    });
}

#[test]
fn rwlock_writer_that_gives_up_does_not_keep_readers_out() {
    // The main thread holds a read lock; a writer waits (reserving the lock, which keeps new
    // readers out) and gives up, with `abandon` or vanishing without it; a new reader must still
    // get in, whether or not the main thread has unlocked by then.
    for call_abandon in [true, false] {
        model(move || {
            let s = Rw::new();
            s.lock().read(&s.futex);
            let quitter = {
                let s = s.clone();
                thread::spawn(move || {
                    let mut a = s.lock().begin_write();
                    match s.lock().lock_step(&mut a) {
                        Step::Acquired => {
                            s.lock().write_unlock_and_wake(&s.futex).unwrap();
                        }
                        Step::Wait(park) => {
                            if call_abandon {
                                if s.lock().abandon(&a) {
                                    s.futex.wake(s.lock().word(), WAKE_ALL);
                                }
                            } else {
                                // A waiter that vanished: it stays in the engine's list.
                                let _ = s.futex.ghost(s.lock().word(), park.expected);
                            }
                        }
                    }
                })
            };
            let reader = {
                let s = s.clone();
                thread::spawn(move || s.read())
            };
            s.lock().read_unlock_and_wake(&s.futex).unwrap();
            quitter.join().unwrap();
            assert_eq!(reader.join().unwrap(), 0);
        });
    }
}

struct Bar {
    words: BarrierWords,
    futex: LoomFutex,
    slots: [UnsafeCell<u32>; 3],
    leaders: [AtomicUsize; 2],
}

impl Bar {
    fn new(parties: u32) -> Arc<Self> {
        Arc::new(Self {
            words: BarrierWords::new(parties).unwrap(),
            futex: LoomFutex::new(),
            slots: [UnsafeCell::new(0), UnsafeCell::new(0), UnsafeCell::new(0)],
            leaders: [AtomicUsize::new(0), AtomicUsize::new(0)],
        })
    }

    fn barrier(&self) -> RawBarrier<'_> {
        RawBarrier::new(&self.words)
    }

    /// Waits once as generation `generation`'s party, counting a leader.
    fn wait(&self, generation: usize) {
        if self.barrier().wait(&self.futex).is_leader() {
            self.leaders[generation].fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn barrier_three_parties_pass_together_with_one_leader() {
    // Each party writes its own slot before the barrier and reads all of them after: loom flags a
    // read that is not ordered after the write, i.e. a party let through early.
    model(|| {
        let b = Bar::new(3);
        let party = |b: Arc<Bar>, me: usize| {
            b.slots[me].with_mut(|v| {
                // SAFETY: only this party writes its slot, and only before the barrier.
                unsafe { *v = me as u32 + 1 }
            });
            b.wait(0);
            (0..3)
                // SAFETY: every write happened before the barrier, which this party passed.
                .map(|i| b.slots[i].with(|v| unsafe { *v }))
                .sum::<u32>()
        };
        let ts: Vec<_> = (1..3)
            .map(|me| {
                let b = b.clone();
                thread::spawn(move || party(b, me))
            })
            .collect();
        assert_eq!(party(b.clone(), 0), 6);
        for t in ts {
            assert_eq!(t.join().unwrap(), 6);
        }
        assert_eq!(b.leaders[0].load(Ordering::SeqCst), 1);
        assert_eq!(b.barrier().generation(), 1);
    });
}

#[test]
fn barrier_is_reusable_with_one_leader_per_generation() {
    model(|| {
        let b = Bar::new(2);
        let t = {
            let b = b.clone();
            thread::spawn(move || {
                b.wait(0);
                b.wait(1);
            })
        };
        b.wait(0);
        b.wait(1);
        t.join().unwrap();
        assert_eq!(b.leaders[0].load(Ordering::SeqCst), 1);
        assert_eq!(b.leaders[1].load(Ordering::SeqCst), 1);
        assert_eq!((b.barrier().generation(), b.barrier().arrived()), (2, 0));
    });
}

#[test]
fn barrier_waiter_that_gives_up_leaves_the_barrier_usable() {
    // Two parties. One arrives, steps once and gives up: it either withdraws (then the main thread
    // takes its place) or finds that it was let through already. Either way the other party
    // passes, and the generation has exactly one leader.
    model(|| {
        let b = Bar::new(2);
        let quitter = {
            let b = b.clone();
            thread::spawn(move || match b.barrier().arrive() {
                Arrival::Leader { must_wake } => {
                    if must_wake {
                        b.futex.wake(b.barrier().state_word(), WAKE_ALL);
                    }
                    b.leaders[0].fetch_add(1, Ordering::SeqCst);
                    true
                }
                Arrival::Follower(mut a) => match b.barrier().wait_step(&mut a) {
                    Step::Acquired => true,
                    Step::Wait(_) => b.barrier().withdraw(&a) == Withdrawal::Released,
                },
            })
        };
        let stayer = {
            let b = b.clone();
            thread::spawn(move || b.wait(0))
        };
        if !quitter.join().unwrap() {
            b.wait(0);
        }
        stayer.join().unwrap();
        assert_eq!(b.leaders[0].load(Ordering::SeqCst), 1);
        assert_eq!((b.barrier().generation(), b.barrier().arrived()), (1, 0));
    });
}

#[test]
fn barrier_wake_swallowed_by_a_vanished_waiter_is_not_lost() {
    model(|| {
        let b = Bar::new(3);
        // A follower arrived, parked in the engine's list and vanished (still counted).
        let Arrival::Follower(mut ghost) = b.barrier().arrive() else {
            panic!("one of three")
        };
        let Step::Wait(park) = b.barrier().wait_step(&mut ghost) else {
            panic!("the others have not arrived")
        };
        assert!(b.futex.ghost(b.barrier().state_word(), park.expected));
        let t = {
            let b = b.clone();
            thread::spawn(move || b.wait(0))
        };
        b.wait(0);
        t.join().unwrap();
        assert_eq!(b.leaders[0].load(Ordering::SeqCst), 1);
    });
}

struct Group {
    word: AtomicU32,
    futex: LoomFutex,
    slots: [UnsafeCell<u32>; 2],
}

impl Group {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            word: AtomicU32::new(0),
            futex: LoomFutex::new(),
            slots: [UnsafeCell::new(0), UnsafeCell::new(0)],
        })
    }

    fn group(&self) -> RawWaitGroup<'_> {
        RawWaitGroup::new(&self.word)
    }
}

#[test]
fn wait_group_waiter_sees_every_tasks_work() {
    model(|| {
        let g = Group::new();
        g.group().add(2).unwrap();
        let ts: Vec<_> = (0..2)
            .map(|i| {
                let g = g.clone();
                thread::spawn(move || {
                    g.slots[i].with_mut(|v| {
                        // SAFETY: only this task writes its slot, and only before its done().
                        unsafe { *v = 1 }
                    });
                    g.group().done_and_wake(&g.futex).unwrap();
                })
            })
            .collect();
        g.group().wait(&g.futex);
        // SAFETY: both tasks wrote before their done(); the wait is ordered after both.
        let total: u32 = (0..2).map(|i| g.slots[i].with(|v| unsafe { *v })).sum();
        assert_eq!(total, 2);
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(g.group().done(), Err(SyncError::WaitGroupNegative));
    });
}

#[test]
fn wait_group_zero_raised_again_still_releases_the_waiter() {
    // The count goes 1 → 0 → 1 → 0 while a thread waits: the waiter must always return.
    model(|| {
        let g = Group::new();
        g.group().add(1).unwrap();
        let waiter = {
            let g = g.clone();
            thread::spawn(move || g.group().wait(&g.futex))
        };
        g.group().done_and_wake(&g.futex).unwrap();
        g.group().add(1).unwrap();
        g.group().done_and_wake(&g.futex).unwrap();
        waiter.join().unwrap();
        assert_eq!(g.group().count(), 0);
    });
}

#[test]
fn wait_group_parked_waiter_is_released_by_a_zero_even_if_the_count_rises_again() {
    // The waiter parks; the count reaches 0 and is raised again at once, and stays raised until
    // the waiter has returned: the zero it was parked for must release it.
    model(|| {
        let g = Group::new();
        g.group().add(1).unwrap();
        let waiter = {
            let g = g.clone();
            thread::spawn(move || g.group().wait(&g.futex))
        };
        // Until the waiter has parked (the word's top bit).
        while g.word.load(Ordering::SeqCst) & (1 << 31) == 0 {
            thread::yield_now();
        }
        g.group().done_and_wake(&g.futex).unwrap();
        g.group().add(1).unwrap();
        waiter.join().unwrap();
        assert_eq!(g.group().count(), 1);
    });
}

#[test]
fn wait_group_waiter_that_gives_up_does_not_block_others() {
    model(|| {
        let g = Group::new();
        g.group().add(1).unwrap();
        let quitter = {
            let g = g.clone();
            thread::spawn(move || {
                let mut a = g.group().begin_wait();
                // Gives up after its first wait, if it has to wait at all.
                let _ = g.group().wait_step(&mut a);
            })
        };
        let waiter = {
            let g = g.clone();
            thread::spawn(move || g.group().wait(&g.futex))
        };
        g.group().done_and_wake(&g.futex).unwrap();
        quitter.join().unwrap();
        waiter.join().unwrap();
    });
}

// ---- condvar ----

struct CondvarShared {
    mutex: AtomicU32,
    condvar: AtomicU32,
    futex: LoomFutex,
    ready: UnsafeCell<bool>,
}

impl CondvarShared {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            mutex: AtomicU32::new(RawMutex::UNLOCKED),
            condvar: AtomicU32::new(0),
            futex: LoomFutex::new(),
            ready: UnsafeCell::new(false),
        })
    }

    /// Waits under the mutex until `ready`, as a caller of a condition variable does.
    fn wait_ready(&self) {
        let (mutex, condvar) = (RawMutex::new(&self.mutex), RawCondvar::new(&self.condvar));
        mutex.lock(&self.futex);
        // SAFETY: read under the mutex; loom checks for overlapping access.
        while !self.ready.with(|r| unsafe { *r }) {
            condvar.wait(&mutex, &self.futex).unwrap();
        }
        mutex.unlock_and_wake(&self.futex).unwrap();
    }

    fn set_ready(&self, all: bool) {
        let (mutex, condvar) = (RawMutex::new(&self.mutex), RawCondvar::new(&self.condvar));
        mutex.lock(&self.futex);
        // SAFETY: written under the mutex.
        self.ready.with_mut(|r| unsafe { *r = true });
        mutex.unlock_and_wake(&self.futex).unwrap();
        if all {
            condvar.notify_all_and_wake(&self.futex);
        } else {
            condvar.notify_one_and_wake(&self.futex);
        }
    }
}

#[test]
fn condvar_notify_one_after_the_change_is_never_lost() {
    model(|| {
        let shared = CondvarShared::new();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || shared.wait_ready())
        };
        shared.set_ready(false);
        waiter.join().unwrap();
    });
}

#[test]
fn condvar_notify_all_releases_two_waiters() {
    model(|| {
        let shared = CondvarShared::new();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || shared.wait_ready())
            })
            .collect();
        shared.set_ready(true);
        for w in waiters {
            w.join().unwrap();
        }
    });
}

#[test]
fn condvar_woken_waiter_that_vanishes_passes_the_notification_on() {
    // A waiter that gives up after being woken (the async driver's abandoned `waitAsync`) must
    // notify again, or the remaining waiter would sleep forever.
    model(|| {
        let shared = CondvarShared::new();
        let stayer = {
            let shared = shared.clone();
            thread::spawn(move || shared.wait_ready())
        };
        let quitter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let condvar = RawCondvar::new(&shared.condvar);
                let mutex = RawMutex::new(&shared.mutex);
                mutex.lock(&shared.futex);
                let attempt = condvar.begin_wait();
                mutex.unlock_and_wake(&shared.futex).unwrap();
                // Gives up at once; if a notification arrived meanwhile, hands it on.
                if condvar.wait_step(attempt) == Step::Acquired {
                    condvar.notify_one_and_wake(&shared.futex);
                }
            })
        };
        shared.set_ready(false);
        quitter.join().unwrap();
        stayer.join().unwrap();
    });
}

// ---- channel ----

#[test]
fn channel_full_and_empty_waits_deliver_every_message_in_order() {
    // Capacity 1 and two messages: the sender waits while full, the receiver while empty.
    model_spinning(|| {
        let storage = Arc::new((ChannelStorage::new(1).unwrap(), LoomFutex::new()));
        let sender = {
            let storage = storage.clone();
            thread::spawn(move || {
                let (s, futex) = &*storage;
                for m in [1u32, 2] {
                    s.channel()
                        .send_blocking(m, futex, &LoomClock, None)
                        .unwrap();
                }
            })
        };
        let (s, futex) = &*storage;
        let a = s.channel().recv_blocking(futex, &LoomClock, None).unwrap();
        let b = s.channel().recv_blocking(futex, &LoomClock, None).unwrap();
        assert_eq!((a, b), (1, 2));
        sender.join().unwrap();
        assert!(s.channel().is_empty());
    });
}

#[test]
fn channel_close_releases_a_waiting_receiver_after_the_queued_message() {
    model_spinning(|| {
        let storage = Arc::new((ChannelStorage::new(2).unwrap(), LoomFutex::new()));
        let receiver = {
            let storage = storage.clone();
            thread::spawn(move || {
                let (s, futex) = &*storage;
                let mut got = Vec::new();
                loop {
                    match s.channel().recv_blocking(futex, &LoomClock, None) {
                        Ok(m) => got.push(m),
                        Err(e) => {
                            assert_eq!(e, SyncError::ChannelClosed);
                            return got;
                        }
                    }
                }
            })
        };
        let (s, futex) = &*storage;
        s.channel()
            .send_blocking(7, futex, &LoomClock, None)
            .unwrap();
        s.channel().close_and_wake(futex);
        assert_eq!(receiver.join().unwrap(), vec![7]);
    });
}

/// Blocking helpers take a clock even without a deadline; loom never reads it then.
struct LoomClock;

impl weft_sync::Clock for LoomClock {
    fn now(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}
