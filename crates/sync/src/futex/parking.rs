//! [`Futex`] for native threads, built on `std::sync::{Mutex, Condvar}`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::{Clock, Futex, WaitResult};
use crate::atomic::{AtomicU32, Ordering};

/// Number of queues addresses are hashed into. Collisions only cost a shared lock.
const BUCKETS: usize = 64;

/// One sleeping thread: the word it waits on and the flag its waker sets.
struct Waiter {
    addr: usize,
    parker: Arc<Parker>,
}

#[derive(Default)]
struct Parker {
    /// `true` once a `wake` removed this waiter from its queue.
    woken: Mutex<bool>,
    cond: Condvar,
}

/// A FIFO queue of waiters for the addresses that hash here.
#[derive(Default)]
struct Bucket {
    queue: Mutex<VecDeque<Waiter>>,
}

fn bucket(addr: usize) -> &'static Bucket {
    static TABLE: OnceLock<Box<[Bucket]>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..BUCKETS).map(|_| Bucket::default()).collect());
    // Words are 4-byte aligned: drop the always-zero bits, then spread with a Fibonacci hash.
    let h = ((addr >> 2) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
    &table[h as usize % BUCKETS]
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The queues stay consistent even if a thread panicked while holding the lock (each update is
    // a single push or removal), so poisoning carries no information here.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Native [`Futex`]: a global table of FIFO waiter queues keyed by the word's address.
///
/// It behaves like the Wasm instructions: `wait` checks the word and enqueues under the queue's
/// lock, `wake(n)` dequeues the oldest `n` waiters of that address. Spurious returns do not occur.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParkingFutex;

impl Futex for ParkingFutex {
    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
        let addr = word.as_ptr() as usize;
        let bucket = bucket(addr);
        let parker = Arc::new(Parker::default());
        {
            let mut queue = lock(&bucket.queue);
            // Checked under the queue lock: a waker changes the word *before* taking this lock,
            // so either we see its new value here or it sees us in the queue.
            if word.load(Ordering::SeqCst) != expected {
                return WaitResult::Mismatch;
            }
            queue.push_back(Waiter {
                addr,
                parker: Arc::clone(&parker),
            });
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut woken = lock(&parker.woken);
        while !*woken {
            match deadline {
                None => {
                    woken = parker
                        .cond
                        .wait(woken)
                        .unwrap_or_else(PoisonError::into_inner)
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        drop(woken);
                        return Self::leave(bucket, &parker);
                    }
                    woken = parker
                        .cond
                        .wait_timeout(woken, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
        WaitResult::Woken
    }

    fn wake(&self, word: &AtomicU32, count: u32) -> u32 {
        let addr = word.as_ptr() as usize;
        let mut woken = Vec::new();
        {
            let mut queue = lock(&bucket(addr).queue);
            let mut i = 0;
            while i < queue.len() && woken.len() < count as usize {
                if queue[i].addr == addr {
                    woken.extend(queue.remove(i));
                } else {
                    i += 1;
                }
            }
        }
        let n = woken.len() as u32;
        for waiter in woken {
            *lock(&waiter.parker.woken) = true;
            waiter.parker.cond.notify_one();
        }
        n
    }
}

impl ParkingFutex {
    /// Leaves the queue after a timeout, unless a waker dequeued us first (then we were woken).
    fn leave(bucket: &Bucket, parker: &Arc<Parker>) -> WaitResult {
        let mut queue = lock(&bucket.queue);
        match queue.iter().position(|w| Arc::ptr_eq(&w.parker, parker)) {
            Some(i) => {
                queue.remove(i);
                WaitResult::TimedOut
            }
            None => WaitResult::Woken,
        }
    }
}

/// [`Clock`] on `std::time::Instant`.
#[derive(Clone, Copy, Debug)]
pub struct StdClock {
    origin: Instant,
}

impl StdClock {
    /// A clock whose origin is now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for StdClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn wake_counts_only_waiters_of_that_word() {
        let a = Arc::new(AtomicU32::new(0));
        let b = AtomicU32::new(0);
        let t = {
            let a = Arc::clone(&a);
            thread::spawn(move || ParkingFutex.wait(&a, 0, None))
        };
        // Wake until the waiter is in the queue; waking another word never reaches it.
        loop {
            assert_eq!(ParkingFutex.wake(&b, u32::MAX), 0);
            if ParkingFutex.wake(&a, 1) == 1 {
                break;
            }
            thread::yield_now();
        }
        assert_eq!(t.join().unwrap(), WaitResult::Woken);
    }

    #[test]
    fn wake_is_fifo_and_limited_to_count() {
        let word = Arc::new(AtomicU32::new(0));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for id in 0..3 {
            let (w, o) = (Arc::clone(&word), Arc::clone(&order));
            handles.push(thread::spawn(move || {
                assert_eq!(ParkingFutex.wait(&w, 0, None), WaitResult::Woken);
                lock(&o).push(id);
            }));
            // Let this thread enqueue before the next one starts.
            while lock(&bucket(word.as_ptr() as usize).queue).len() != id + 1 {
                thread::yield_now();
            }
        }
        assert_eq!(ParkingFutex.wake(&word, 1), 1);
        while lock(&order).len() != 1 {
            thread::yield_now();
        }
        assert_eq!(ParkingFutex.wake(&word, u32::MAX), 2);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(lock(&order)[0], 0);
    }
}
