//! [`Futex`] for loom models: a FIFO waiter queue on loom's `Mutex` + `Condvar`.

use core::time::Duration;

use loom::sync::{Condvar, Mutex};

use super::{Futex, WaitResult};
use crate::atomic::{AtomicU32, Ordering};

#[derive(Default)]
struct Queue {
    /// `(address, ticket)` of every sleeping waiter, oldest first.
    waiters: Vec<(usize, u64)>,
    next_ticket: u64,
    /// Bounded waits that timed out at once so far (see [`TIMEOUT_BUDGET`]).
    timeouts: u32,
}

/// How many bounded waits of one model may time out at once; later ones sleep until woken.
///
/// Without a budget, two threads that both poll (bounded waits) can be scheduled against each
/// other forever and loom never finishes. The budget covers every schedule in which timeouts
/// fire early (enough for a waiter to detect a vanished reserver, which takes two), and the
/// schedules in which a later timeout fires only after a wake-up.
pub const TIMEOUT_BUDGET: u32 = 4;

/// The engine's waiter list, modelled for loom: one per model, shared by all words.
///
/// Waiting with a timeout is modelled as a timeout that expires at once (after the value check and
/// a yield to the other threads): that is the schedule in which nobody wakes the waiter, the one
/// bounded waits exist for. Once [`TIMEOUT_BUDGET`] such timeouts have happened in a model,
/// bounded waits sleep like unbounded ones until woken.
/// [`LoomFutex::ghost`] enqueues a waiter that never runs again: a cancelled JS waiter or a
/// terminated worker still in the engine's list, which swallows whatever wake reaches it.
#[derive(Default)]
pub struct LoomFutex {
    queue: Mutex<Queue>,
    cond: Condvar,
}

impl LoomFutex {
    /// A futex with an empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enqueues a waiter on `word` that will never act on its wake-up (if the word holds
    /// `expected`, as `Atomics.waitAsync` would). Returns whether it was enqueued.
    pub fn ghost(&self, word: &AtomicU32, expected: u32) -> bool {
        let mut q = self.queue.lock().unwrap();
        if word.load(Ordering::SeqCst) != expected {
            return false;
        }
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.waiters.push((addr(word), ticket));
        true
    }
}

fn addr(word: &AtomicU32) -> usize {
    word as *const AtomicU32 as usize
}

impl Futex for LoomFutex {
    fn wait(&self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
        let mut q = self.queue.lock().unwrap();
        if word.load(Ordering::SeqCst) != expected {
            return WaitResult::Mismatch;
        }
        if timeout.is_some() && q.timeouts < TIMEOUT_BUDGET {
            q.timeouts += 1;
            drop(q);
            // A bounded wait is a poll: let the other threads run before polling again.
            loom::thread::yield_now();
            return WaitResult::TimedOut;
        }
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.waiters.push((addr(word), ticket));
        loop {
            q = self.cond.wait(q).unwrap();
            if !q.waiters.iter().any(|&(_, t)| t == ticket) {
                return WaitResult::Woken;
            }
        }
    }

    fn wake(&self, word: &AtomicU32, count: u32) -> u32 {
        let a = addr(word);
        let mut q = self.queue.lock().unwrap();
        let mut woken = 0;
        q.waiters.retain(|&(wa, _)| {
            if wa == a && woken < count {
                woken += 1;
                false
            } else {
                true
            }
        });
        if woken > 0 {
            self.cond.notify_all();
        }
        woken
    }
}
