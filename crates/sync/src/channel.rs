//! A bounded multi-producer multi-consumer queue of 32-bit message handles in shared words.

use core::time::Duration;

use crate::atomic::{spin_loop, AtomicU32, Ordering};
use crate::futex::{Clock, Futex, WAKE_ALL};
use crate::step::Park;
use crate::SyncError;

/// The most messages a channel holds: 2^24 − 1.
pub const MAX_CHANNEL_CAPACITY: u32 = LEN_MASK;

/// Words before the slots (see the layout on [`RawChannel`]).
pub const CHANNEL_HEADER_WORDS: u32 = 6;

const RECV_WAIT: usize = 0;
const SEND_WAIT: usize = 1;
const LOCK: usize = 2;
const HEAD: usize = 3;
const STATE: usize = 4;
const CAPACITY: usize = 5;

/// `STATE` bits 0–23: messages queued.
const LEN_MASK: u32 = 0x00FF_FFFF;
/// `STATE` bit 31: closed.
const CLOSED: u32 = 1 << 31;

/// Wait words: bits 0–30 a sequence advanced by each wake-up, bit 31 someone may be waiting.
const SEQ_MASK: u32 = 0x7FFF_FFFF;
const PARKED: u32 = 1 << 31;

/// What [`RawChannel::try_send`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrySend {
    /// Queued. When `wake` is set the caller must wake all waiters of the receivers' word.
    Sent {
        /// Receivers may be waiting: wake all waiters of [`RawChannel::recv_word`].
        wake: bool,
    },
    /// The channel holds `capacity` messages; nothing was queued.
    Full,
    /// The channel is closed; nothing was queued.
    Closed,
}

/// What [`RawChannel::try_recv`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecv {
    /// Dequeued `message`. When `wake` is set the caller must wake all waiters of the senders' word.
    Received {
        /// The message handle, as sent.
        message: u32,
        /// Senders may be waiting: wake all waiters of [`RawChannel::send_word`].
        wake: bool,
    },
    /// Nothing queued.
    Empty,
    /// Nothing queued and the channel is closed: nothing will ever arrive.
    Closed,
}

/// One step of a waiting send: like [`TrySend`], with `Full` replaced by how to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendStep {
    /// As [`TrySend::Sent`].
    Sent {
        /// Wake all waiters of the receivers' word.
        wake: bool,
    },
    /// As [`TrySend::Closed`].
    Closed,
    /// Wait on [`RawChannel::send_word`] while it holds `park.expected`, then step again.
    Wait(Park),
}

/// One step of a waiting receive: like [`TryRecv`], with `Empty` replaced by how to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvStep {
    /// As [`TryRecv::Received`].
    Received {
        /// The message handle.
        message: u32,
        /// Wake all waiters of the senders' word.
        wake: bool,
    },
    /// As [`TryRecv::Closed`].
    Closed,
    /// Wait on [`RawChannel::recv_word`] while it holds `park.expected`, then step again.
    Wait(Park),
}

/// Which sides [`RawChannel::close`] asks the caller to wake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CloseWake {
    /// Wake all waiters of [`RawChannel::recv_word`].
    pub receivers: bool,
    /// Wake all waiters of [`RawChannel::send_word`].
    pub senders: bool,
}

/// A bounded MPMC queue of `u32` message handles whose whole state is words in (possibly shared)
/// memory. What a handle means is the caller's business (in weft: the address of a block holding
/// the encoded message; the queue only moves handles, never touches what they point to).
///
/// # Word layout
///
/// `CHANNEL_HEADER_WORDS` (6) header words, then `capacity` slots:
///
/// | word | name        | meaning |
/// |------|-------------|---------|
/// | 0    | `RECV_WAIT` | receivers wait here: bits 0–30 a sequence, bit 31 `PARKED` |
/// | 1    | `SEND_WAIT` | senders wait here: the same layout |
/// | 2    | `LOCK`      | 0 free, 1 held: guards `HEAD`, `STATE`'s length and the slots |
/// | 3    | `HEAD`      | slot index of the oldest message |
/// | 4    | `STATE`     | bits 0–23 messages queued, bit 31 closed |
/// | 5    | `CAPACITY`  | slots (1 to [`MAX_CHANNEL_CAPACITY`]), fixed at creation |
/// | 6…   | slots       | message handles, `HEAD` first, in a ring |
///
/// `LOCK` is held only inside [`try_send`](Self::try_send), [`try_recv`](Self::try_recv) and
/// [`close`](Self::close), for a few loads and stores: no allocation, no call out of this module,
/// no waiting. So it is a spin lock; nobody ever sleeps on it.
///
/// # Waiting
///
/// A receiver that finds the queue empty sets `PARKED` on `RECV_WAIT`, tries once more, and if it
/// is still empty sleeps while the word is unchanged. A send that queues a message and finds
/// `PARKED` advances the sequence, clears `PARKED` and tells the caller to wake *all* receivers;
/// the ones that find nothing park again. Senders on a full queue mirror this on `SEND_WAIT`. No
/// wake-up is ever owed to a particular waiter, so a waiter that gave up or whose thread died
/// holds nobody up. `close` wakes both sides; receivers still get every message queued before it.
///
/// # Memory ordering
///
/// `LOCK` is taken with an `Acquire` compare-exchange and released with a `Release` store, so a
/// receiver sees everything a sender wrote before queueing the handle (the message's bytes).
/// `STATE` is also read without the lock for [`len`](Self::len) and
/// [`is_closed`](Self::is_closed) (`Acquire`; a snapshot).
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{ChannelStorage, TryRecv, TrySend};
///
/// let storage = ChannelStorage::new(2).unwrap();
/// let channel = storage.channel();
/// assert_eq!(channel.try_send(7), TrySend::Sent { wake: false });
/// assert_eq!(channel.try_send(8), TrySend::Sent { wake: false });
/// assert_eq!(channel.try_send(9), TrySend::Full);
/// assert_eq!(channel.try_recv(), TryRecv::Received { message: 7, wake: false });
/// channel.close();
/// assert_eq!(channel.try_send(9), TrySend::Closed);
/// assert_eq!(channel.try_recv(), TryRecv::Received { message: 8, wake: false });
/// assert_eq!(channel.try_recv(), TryRecv::Closed);
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RawChannel<'a> {
    words: &'a [AtomicU32],
}

/// Owned words for a [`RawChannel`] (native code and tests; in Wasm the glue allocates them).
#[derive(Debug)]
pub struct ChannelStorage {
    words: Vec<AtomicU32>,
}

impl ChannelStorage {
    /// Words for an empty, open channel of `capacity` slots.
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidChannelCapacity`] unless `1 <= capacity <= MAX_CHANNEL_CAPACITY`.
    pub fn new(capacity: u32) -> Result<Self, SyncError> {
        let words = RawChannel::words_for(capacity)?;
        let storage = Self {
            words: (0..words).map(|_| AtomicU32::new(0)).collect(),
        };
        RawChannel::new(&storage.words).init(capacity)?;
        Ok(storage)
    }

    /// The channel over these words.
    #[must_use]
    pub fn channel(&self) -> RawChannel<'_> {
        RawChannel::new(&self.words)
    }
}

impl<'a> RawChannel<'a> {
    /// How many words a channel of `capacity` slots takes.
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidChannelCapacity`] unless `1 <= capacity <= MAX_CHANNEL_CAPACITY`.
    pub const fn words_for(capacity: u32) -> Result<u32, SyncError> {
        if capacity == 0 || capacity > MAX_CHANNEL_CAPACITY {
            return Err(SyncError::InvalidChannelCapacity { capacity });
        }
        Ok(CHANNEL_HEADER_WORDS + capacity)
    }

    /// A channel view of `words`: a header and at least `capacity` slots, zeroed and then
    /// [`init`](Self::init)ialised (or already holding a channel).
    ///
    /// # Panics
    ///
    /// If `words` is shorter than the header.
    #[must_use]
    pub fn new(words: &'a [AtomicU32]) -> Self {
        assert!(
            words.len() >= CHANNEL_HEADER_WORDS as usize,
            "a channel needs its header words"
        );
        Self { words }
    }

    /// A channel view of the words at `ptr`, whose length is read from its `CAPACITY` word.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a block of [`words_for`](Self::words_for)`(capacity)` words, 4-byte
    /// aligned, initialised with [`init`](Self::init), valid for `'a`, and only accessed
    /// atomically.
    #[cfg(not(loom))]
    pub unsafe fn from_ptr(ptr: *mut u32) -> Self {
        // SAFETY: per the contract, the CAPACITY word is valid and atomic-only.
        let capacity =
            unsafe { crate::atomic::word_from_ptr(ptr.add(CAPACITY)) }.load(Ordering::Relaxed);
        let len = (CHANNEL_HEADER_WORDS + capacity) as usize;
        // SAFETY: the block holds `len` words per the contract; `AtomicU32` has the layout of
        // `u32`, and every access is atomic.
        Self::new(unsafe { core::slice::from_raw_parts(ptr.cast::<AtomicU32>(), len) })
    }

    /// Writes the capacity of a zeroed block.
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidChannelCapacity`] for a bad capacity or too few words.
    pub fn init(&self, capacity: u32) -> Result<(), SyncError> {
        let needed = Self::words_for(capacity)?;
        if (self.words.len() as u64) < u64::from(needed) {
            return Err(SyncError::InvalidChannelCapacity { capacity });
        }
        // Relaxed: the block is not shared yet; handing it to other threads orders this store.
        self.words[CAPACITY].store(capacity, Ordering::Relaxed);
        Ok(())
    }

    /// The word receivers wait on.
    #[must_use]
    pub fn recv_word(&self) -> &'a AtomicU32 {
        &self.words[RECV_WAIT]
    }

    /// The word senders wait on.
    #[must_use]
    pub fn send_word(&self) -> &'a AtomicU32 {
        &self.words[SEND_WAIT]
    }

    /// Slots.
    #[must_use]
    pub fn capacity(&self) -> u32 {
        self.words[CAPACITY].load(Ordering::Relaxed)
    }

    /// Messages queued right now (a snapshot).
    #[must_use]
    pub fn len(&self) -> u32 {
        self.words[STATE].load(Ordering::Acquire) & LEN_MASK
    }

    /// Whether nothing is queued right now (a snapshot).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether [`close`](Self::close) has been called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.words[STATE].load(Ordering::Acquire) & CLOSED != 0
    }

    fn lock(&self) {
        let lock = &self.words[LOCK];
        while lock
            .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spin_loop();
        }
    }

    fn unlock(&self) {
        self.words[LOCK].store(0, Ordering::Release);
    }

    fn slot(&self, index: u32) -> &AtomicU32 {
        &self.words[CHANNEL_HEADER_WORDS as usize + index as usize]
    }

    /// Advances a wait word's sequence and clears `PARKED` if it was set: `true` when the caller
    /// must wake all its waiters.
    fn wake_word(word: &AtomicU32) -> bool {
        if word.load(Ordering::Acquire) & PARKED == 0 {
            return false;
        }
        let old = word.fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
            Some((w & SEQ_MASK).wrapping_add(1) & SEQ_MASK)
        });
        old.is_ok_and(|w| w & PARKED != 0)
    }

    /// Sets `PARKED` on a wait word; returns the value to wait on.
    fn park(word: &AtomicU32) -> u32 {
        word.fetch_or(PARKED, Ordering::AcqRel) | PARKED
    }

    /// Queues `message` if there is room and the channel is open.
    pub fn try_send(&self, message: u32) -> TrySend {
        self.lock();
        let state = self.words[STATE].load(Ordering::Relaxed);
        let len = state & LEN_MASK;
        let outcome = if state & CLOSED != 0 {
            TrySend::Closed
        } else if len >= self.capacity() {
            TrySend::Full
        } else {
            let capacity = self.capacity();
            let head = self.words[HEAD].load(Ordering::Relaxed);
            let index = (head + len) % capacity;
            self.slot(index).store(message, Ordering::Relaxed);
            self.words[STATE].store(state + 1, Ordering::Release);
            TrySend::Sent { wake: false }
        };
        self.unlock();
        match outcome {
            TrySend::Sent { .. } => TrySend::Sent {
                wake: Self::wake_word(self.recv_word()),
            },
            other => other,
        }
    }

    /// Dequeues the oldest message, if any.
    pub fn try_recv(&self) -> TryRecv {
        self.lock();
        let state = self.words[STATE].load(Ordering::Relaxed);
        let outcome = if state & LEN_MASK == 0 {
            if state & CLOSED != 0 {
                TryRecv::Closed
            } else {
                TryRecv::Empty
            }
        } else {
            let head = self.words[HEAD].load(Ordering::Relaxed);
            let message = self.slot(head).load(Ordering::Relaxed);
            self.slot(head).store(0, Ordering::Relaxed);
            self.words[HEAD].store((head + 1) % self.capacity(), Ordering::Relaxed);
            self.words[STATE].store(state - 1, Ordering::Release);
            TryRecv::Received {
                message,
                wake: false,
            }
        };
        self.unlock();
        match outcome {
            TryRecv::Received { message, .. } => TryRecv::Received {
                message,
                wake: Self::wake_word(self.send_word()),
            },
            other => other,
        }
    }

    /// One step of a send that waits while the channel is full.
    pub fn send_step(&self, message: u32) -> SendStep {
        match self.try_send(message) {
            TrySend::Sent { wake } => return SendStep::Sent { wake },
            TrySend::Closed => return SendStep::Closed,
            TrySend::Full => {}
        }
        let expected = Self::park(self.send_word());
        match self.try_send(message) {
            TrySend::Sent { wake } => SendStep::Sent { wake },
            TrySend::Closed => SendStep::Closed,
            TrySend::Full => SendStep::Wait(Park {
                expected,
                bounded: false,
            }),
        }
    }

    /// One step of a receive that waits while the channel is empty.
    pub fn recv_step(&self) -> RecvStep {
        match self.try_recv() {
            TryRecv::Received { message, wake } => return RecvStep::Received { message, wake },
            TryRecv::Closed => return RecvStep::Closed,
            TryRecv::Empty => {}
        }
        let expected = Self::park(self.recv_word());
        match self.try_recv() {
            TryRecv::Received { message, wake } => RecvStep::Received { message, wake },
            TryRecv::Closed => RecvStep::Closed,
            TryRecv::Empty => RecvStep::Wait(Park {
                expected,
                bounded: false,
            }),
        }
    }

    /// Closes the channel: sends fail from now on, receives drain what is queued and then fail.
    /// Returns which sides to wake; closing twice wakes nobody the second time.
    pub fn close(&self) -> CloseWake {
        self.lock();
        let state = self.words[STATE].load(Ordering::Relaxed);
        self.words[STATE].store(state | CLOSED, Ordering::Release);
        self.unlock();
        if state & CLOSED != 0 {
            return CloseWake::default();
        }
        CloseWake {
            receivers: Self::wake_word(self.recv_word()),
            senders: Self::wake_word(self.send_word()),
        }
    }

    /// [`close`](Self::close) and the wake-ups it calls for.
    pub fn close_and_wake<F: Futex + ?Sized>(&self, futex: &F) {
        let wake = self.close();
        if wake.receivers {
            futex.wake(self.recv_word(), WAKE_ALL);
        }
        if wake.senders {
            futex.wake(self.send_word(), WAKE_ALL);
        }
    }

    /// Spins briefly until there is room or the channel is closed: whether that happened. Before
    /// a blocking send sleeps, so that a steady stream costs no sleep and wake-up per message.
    pub fn spin_until_sendable(&self) -> bool {
        spin_until(|| self.len() < self.capacity() || self.is_closed())
    }

    /// Spins briefly until a message is queued or the channel is closed: whether that happened.
    pub fn spin_until_receivable(&self) -> bool {
        spin_until(|| !self.is_empty() || self.is_closed())
    }

    /// Sends, blocking while the channel is full (after a short spin); `timeout` `None` waits
    /// without a limit.
    ///
    /// # Errors
    ///
    /// [`SyncError::ChannelClosed`] when the channel is closed (before or while waiting),
    /// [`SyncError::TimedOut`] when the time ran out. Nothing was queued in either case.
    pub fn send_blocking<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        message: u32,
        futex: &F,
        clock: &C,
        timeout: Option<Duration>,
    ) -> Result<(), SyncError> {
        let deadline = timeout.map(|t| clock.now().saturating_add(t));
        loop {
            match self.send_step(message) {
                SendStep::Sent { wake } => {
                    if wake {
                        futex.wake(self.recv_word(), WAKE_ALL);
                    }
                    return Ok(());
                }
                SendStep::Closed => return Err(SyncError::ChannelClosed),
                SendStep::Wait(park) => {
                    if !self.spin_until_sendable() {
                        wait_until(futex, clock, self.send_word(), park.expected, deadline)?;
                    }
                }
            }
        }
    }

    /// Receives, blocking while the channel is empty (after a short spin); `timeout` `None` waits
    /// without a limit.
    ///
    /// # Errors
    ///
    /// [`SyncError::ChannelClosed`] when the channel is closed and drained,
    /// [`SyncError::TimedOut`] when the time ran out.
    pub fn recv_blocking<F: Futex + ?Sized, C: Clock + ?Sized>(
        &self,
        futex: &F,
        clock: &C,
        timeout: Option<Duration>,
    ) -> Result<u32, SyncError> {
        let deadline = timeout.map(|t| clock.now().saturating_add(t));
        loop {
            match self.recv_step() {
                RecvStep::Received { message, wake } => {
                    if wake {
                        futex.wake(self.send_word(), WAKE_ALL);
                    }
                    return Ok(message);
                }
                RecvStep::Closed => return Err(SyncError::ChannelClosed),
                RecvStep::Wait(park) => {
                    if !self.spin_until_receivable() {
                        wait_until(futex, clock, self.recv_word(), park.expected, deadline)?;
                    }
                }
            }
        }
    }
}

/// How many times a blocking send or receive re-checks the queue before it sleeps: some
/// microseconds of spinning, about what one sleep and wake-up costs, which a steady stream of
/// messages fills, so that neither side pays a sleep and a wake-up per message. Chosen by
/// measurement (`bench/`, "Channel"): with 200, Node moved 0.66–0.93 times a MessageChannel's
/// messages; with 2,000, 1.20–1.24 (Deno and Bun were unchanged).
const SPIN_LIMIT: u32 = if cfg!(loom) { 2 } else { 2000 };

/// Spins while `ready` is false, at most [`SPIN_LIMIT`] times; whether it became true.
fn spin_until(ready: impl Fn() -> bool) -> bool {
    for _ in 0..SPIN_LIMIT {
        if ready() {
            return true;
        }
        spin_loop();
    }
    false
}

/// Waits on `word` while it holds `expected`, up to `deadline`; `TimedOut` once it has passed.
fn wait_until<F: Futex + ?Sized, C: Clock + ?Sized>(
    futex: &F,
    clock: &C,
    word: &AtomicU32,
    expected: u32,
    deadline: Option<Duration>,
) -> Result<(), SyncError> {
    let left = match deadline {
        None => None,
        Some(deadline) => {
            let left = deadline.saturating_sub(clock.now());
            if left.is_zero() {
                return Err(SyncError::TimedOut);
            }
            Some(left)
        }
    };
    futex.wait(word, expected, left);
    Ok(())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{ParkingFutex, StdClock};

    #[test]
    fn capacity_bounds_are_checked() {
        assert_eq!(
            ChannelStorage::new(0).unwrap_err(),
            SyncError::InvalidChannelCapacity { capacity: 0 }
        );
        assert!(ChannelStorage::new(MAX_CHANNEL_CAPACITY + 1).is_err());
        assert_eq!(ChannelStorage::new(3).unwrap().channel().capacity(), 3);
    }

    #[test]
    fn messages_come_out_in_order_across_the_ring_edge() {
        let storage = ChannelStorage::new(3).unwrap();
        let channel = storage.channel();
        let mut next_out = 1;
        for round in 0..10u32 {
            for i in 0..2 {
                assert_eq!(
                    channel.try_send(1 + round * 2 + i),
                    TrySend::Sent { wake: false }
                );
            }
            for _ in 0..2 {
                assert_eq!(
                    channel.try_recv(),
                    TryRecv::Received {
                        message: next_out,
                        wake: false
                    }
                );
                next_out += 1;
            }
        }
        assert!(channel.is_empty());
    }

    #[test]
    fn a_parked_receiver_is_woken_by_the_next_send() {
        let storage = ChannelStorage::new(1).unwrap();
        let channel = storage.channel();
        let RecvStep::Wait(park) = channel.recv_step() else {
            panic!("empty")
        };
        assert_eq!(channel.recv_word().load(Ordering::Relaxed), park.expected);
        assert_eq!(channel.try_send(5), TrySend::Sent { wake: true });
        assert_ne!(channel.recv_word().load(Ordering::Relaxed), park.expected);
        assert_eq!(channel.try_send(6), TrySend::Full);
        let SendStep::Wait(_) = channel.send_step(6) else {
            panic!("full")
        };
        assert_eq!(
            channel.try_recv(),
            TryRecv::Received {
                message: 5,
                wake: true
            }
        );
    }

    #[test]
    fn close_wakes_both_sides_once_and_keeps_queued_messages() {
        let storage = ChannelStorage::new(1).unwrap();
        let channel = storage.channel();
        assert_eq!(channel.try_send(1), TrySend::Sent { wake: false });
        let SendStep::Wait(_) = channel.send_step(2) else {
            panic!("full")
        };
        assert_eq!(
            channel.close(),
            CloseWake {
                receivers: false,
                senders: true
            }
        );
        assert_eq!(channel.close(), CloseWake::default());
        assert!(channel.is_closed());
        assert_eq!(channel.send_step(2), SendStep::Closed);
        assert!(matches!(
            channel.recv_step(),
            RecvStep::Received { message: 1, .. }
        ));
        assert_eq!(channel.recv_step(), RecvStep::Closed);
    }

    #[test]
    fn blocking_receive_times_out_and_leaves_the_channel_usable() {
        let storage = ChannelStorage::new(2).unwrap();
        let channel = storage.channel();
        let clock = StdClock::new();
        assert_eq!(
            channel.recv_blocking(&ParkingFutex, &clock, Some(Duration::from_millis(3))),
            Err(SyncError::TimedOut)
        );
        channel
            .send_blocking(9, &ParkingFutex, &clock, None)
            .unwrap();
        assert_eq!(channel.recv_blocking(&ParkingFutex, &clock, None), Ok(9));
    }
}
