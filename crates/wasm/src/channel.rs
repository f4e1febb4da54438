//! Blocks for the JS `Channel`: a `weft_sync::RawChannel` of message handles, and the messages.
//!
//! Channel block (32-bit words): the channel's `6 + capacity` words (header, then slots; layout
//! on `RawChannel`), then one refcount word. Receivers wait on word 0, senders on word 1.
//!
//! Message block: word 0 the length `n` of the encoded message in bytes, then its `n` bytes;
//! `4 + n` bytes in all, 4-byte aligned. A message handle in a slot is the address of its block.
//! The sender allocates and fills it before queueing; the receiver copies it out and frees it.
//! Messages still queued when the last reference to the channel goes are freed with it.
//!
//! Every outcome that needs a wake-up says so; JS does the `Atomics.notify`, as for the other
//! primitives.

use std::sync::atomic::Ordering;

use wasm_bindgen::prelude::*;
use weft_sync::{Counter, RawChannel, RecvStep, SendStep, TryRecv, TrySend};

use crate::memory::{alloc_bytes, free_bytes};
use crate::sync::{sync_error, word, LastStep, LAST_STEP};

/// What a channel call did. A receive returns a message handle or one of these as one number (see
/// [`packed`]); for `Wait` the value to wait on is read with `stepExpected()` (on word 0 to
/// receive, word 1 to send).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelOutcome {
    /// Sent or received; nobody to wake.
    Done = 0,
    /// Sent or received; wake all waiters of the other side's word.
    DoneWake = 1,
    /// Full (send) or empty (receive): nothing happened.
    NotReady = 2,
    /// Closed (and, for a receive, drained).
    Closed = 3,
    /// Wait on this side's word while it holds `stepExpected()`, then step again.
    Wait = 4,
}

fn channel<'a>(addr: u32) -> RawChannel<'a> {
    // SAFETY: JS passes addresses of channel blocks from `channelCreate`, kept alive by the
    // refcount its object holds; the block was initialised with its capacity.
    unsafe { RawChannel::from_ptr(addr as usize as *mut u32) }
}

fn refcount<'a>(addr: u32) -> Counter<'a> {
    let words = weft_sync::CHANNEL_HEADER_WORDS + channel(addr).capacity();
    Counter::new(word(addr + 4 * words))
}

fn set_expected(expected: u32) {
    LAST_STEP.with(|s| {
        s.set(LastStep {
            expected,
            attempt: 0,
        });
    });
}

/// The most messages a channel holds (`weft_sync::MAX_CHANNEL_CAPACITY`).
#[wasm_bindgen(js_name = channelMaxCapacity)]
pub fn channel_max_capacity() -> u32 {
    weft_sync::MAX_CHANNEL_CAPACITY
}

/// Allocates an open, empty channel of `capacity` slots with one reference.
#[wasm_bindgen(js_name = channelCreate)]
pub fn channel_create(capacity: u32) -> Result<u32, JsValue> {
    let words = RawChannel::words_for(capacity).map_err(sync_error)?;
    let addr = crate::memory::alloc_words(words + 1)?;
    // SAFETY: a fresh zeroed block of `words` words (and a refcount), not shared yet.
    let view = unsafe {
        std::slice::from_raw_parts(
            addr as usize as *const std::sync::atomic::AtomicU32,
            words as usize,
        )
    };
    RawChannel::new(view).init(capacity).map_err(sync_error)?;
    refcount(addr).increment().expect("a fresh refcount is 0");
    Ok(addr)
}

/// Adds a reference (for an object in another thread).
#[wasm_bindgen(js_name = channelRetain)]
pub fn channel_retain(addr: u32) -> Result<(), JsValue> {
    refcount(addr).increment().map(|_| ()).map_err(sync_error)
}

/// Drops a reference; on the last, frees every message still queued and the block. True when
/// freed.
#[wasm_bindgen(js_name = channelRelease)]
pub fn channel_release(addr: u32) -> Result<bool, JsValue> {
    let left = refcount(addr).decrement().map_err(sync_error)?;
    if left != 0 {
        return Ok(false);
    }
    let ch = channel(addr);
    let words = weft_sync::CHANNEL_HEADER_WORDS + ch.capacity() + 1;
    while let TryRecv::Received { message, .. } = ch.try_recv() {
        message_free(message)?;
    }
    crate::memory::free_words(addr, words).map_err(JsValue::from)?;
    Ok(true)
}

/// Allocates a message block for `len` bytes, with its length written; returns its address.
/// JS writes the bytes at `address + 4`.
#[wasm_bindgen(js_name = messageAlloc)]
pub fn message_alloc(len: u32) -> Result<u32, JsValue> {
    let size = len
        .checked_add(4)
        .ok_or_else(|| JsValue::from(JsError::new("Cannot send a message of 4 GiB or more")))?;
    let addr = alloc_bytes(size, 4)?;
    // Relaxed: the block is published by the queue's lock (Release) before anyone reads it.
    word(addr).store(len, Ordering::Relaxed);
    Ok(addr)
}

/// [`message_alloc`] as a plain number, which crosses into JS more cheaply than a `Result`: 0 when
/// the block cannot be allocated (`messageAlloc` then says why).
#[wasm_bindgen(js_name = messageTryAlloc)]
pub fn message_try_alloc(len: u32) -> u32 {
    message_alloc(len).unwrap_or(0)
}

/// Frees a message block.
#[wasm_bindgen(js_name = messageFree)]
pub fn message_free(addr: u32) -> Result<(), JsValue> {
    let len = word(addr).load(Ordering::Relaxed);
    free_bytes(addr, len + 4, 4).map_err(JsValue::from)
}

/// [`message_free`] as a plain number: false when `addr` is not a block it can free
/// (`messageFree` then says why), and nothing was freed.
#[wasm_bindgen(js_name = messageTryFree)]
pub fn message_try_free(addr: u32) -> bool {
    message_free(addr).is_ok()
}

/// Queues `message` if there is room: `Done`, `DoneWake` (wake receivers), `NotReady`, `Closed`.
#[wasm_bindgen(js_name = channelTrySend)]
pub fn channel_try_send(addr: u32, message: u32) -> ChannelOutcome {
    match channel(addr).try_send(message) {
        TrySend::Sent { wake: false } => ChannelOutcome::Done,
        TrySend::Sent { wake: true } => ChannelOutcome::DoneWake,
        TrySend::Full => ChannelOutcome::NotReady,
        TrySend::Closed => ChannelOutcome::Closed,
    }
}

/// One step of a waiting send: `Done`, `DoneWake`, `Closed` or `Wait` (on word 1).
#[wasm_bindgen(js_name = channelSendStep)]
pub fn channel_send_step(addr: u32, message: u32) -> ChannelOutcome {
    match channel(addr).send_step(message) {
        SendStep::Sent { wake: false } => ChannelOutcome::Done,
        SendStep::Sent { wake: true } => ChannelOutcome::DoneWake,
        SendStep::Closed => ChannelOutcome::Closed,
        SendStep::Wait(park) => {
            set_expected(park.expected);
            ChannelOutcome::Wait
        }
    }
}

/// A received message handle and whether senders must be woken, as one number, so that a receive
/// crosses the JS boundary once: the handle (a block address: a multiple of 4, and never below 8)
/// with bit 0 set to wake. A receive that got nothing returns its [`ChannelOutcome`] (`NotReady`,
/// `Closed`, or `Wait` for a step) as the number instead, which is below 8 and so never a handle.
fn packed(message: u32, wake: bool) -> u32 {
    debug_assert!(
        message.is_multiple_of(4) && message >= 8,
        "not a message block: {message}"
    );
    message | u32::from(wake)
}

/// Dequeues a message if any: its handle [`packed`] with the wake bit (wake senders), or
/// `NotReady` or `Closed`.
#[wasm_bindgen(js_name = channelTryRecv)]
pub fn channel_try_recv(addr: u32) -> u32 {
    match channel(addr).try_recv() {
        TryRecv::Received { message, wake } => packed(message, wake),
        TryRecv::Empty => ChannelOutcome::NotReady as u32,
        TryRecv::Closed => ChannelOutcome::Closed as u32,
    }
}

/// One step of a waiting receive: the message handle [`packed`] with the wake bit (wake senders),
/// `Closed`, or `Wait` (on word 0).
#[wasm_bindgen(js_name = channelRecvStep)]
pub fn channel_recv_step(addr: u32) -> u32 {
    match channel(addr).recv_step() {
        RecvStep::Received { message, wake } => packed(message, wake),
        RecvStep::Closed => ChannelOutcome::Closed as u32,
        RecvStep::Wait(park) => {
            set_expected(park.expected);
            ChannelOutcome::Wait as u32
        }
    }
}

/// Closes the channel. Returns a bit set: 1 wake receivers (word 0), 2 wake senders (word 1).
#[wasm_bindgen(js_name = channelClose)]
pub fn channel_close(addr: u32) -> u32 {
    let wake = channel(addr).close();
    u32::from(wake.receivers) | (u32::from(wake.senders) << 1)
}

#[wasm_bindgen(js_name = channelLength)]
pub fn channel_length(addr: u32) -> u32 {
    channel(addr).len()
}

#[wasm_bindgen(js_name = channelCapacity)]
pub fn channel_capacity(addr: u32) -> u32 {
    channel(addr).capacity()
}

#[wasm_bindgen(js_name = channelIsClosed)]
pub fn channel_is_closed(addr: u32) -> bool {
    channel(addr).is_closed()
}

/// Waits on `word` while it holds `expected`, blocking this worker, up to `deadline` (ms on the
/// `performance.now()` clock). False once the deadline has passed.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
fn block_on(addr: u32, expected: u32, deadline: Option<f64>) -> bool {
    use weft_sync::{Clock, Futex};
    let left = match deadline {
        None => None,
        Some(deadline) => {
            let now = crate::sync::JsClock.now().as_secs_f64() * 1000.0;
            if now >= deadline {
                return false;
            }
            Some(std::time::Duration::from_secs_f64(
                (deadline - now) / 1000.0,
            ))
        }
    };
    weft_sync::WasmFutex.wait(word(addr), expected, left);
    true
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
fn deadline(timeout_ms: f64) -> Option<f64> {
    use weft_sync::Clock;
    (timeout_ms >= 0.0).then(|| crate::sync::JsClock.now().as_secs_f64() * 1000.0 + timeout_ms)
}

/// Sends, blocking this worker while full: `Done`, `DoneWake` (JS wakes receivers), `Closed`, or
/// `NotReady` when `timeout_ms` (>= 0) ran out.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = channelSendBlocking)]
pub fn channel_send_blocking(addr: u32, message: u32, timeout_ms: f64) -> ChannelOutcome {
    let deadline = deadline(timeout_ms);
    loop {
        match channel(addr).send_step(message) {
            SendStep::Sent { wake } => return sent(wake),
            SendStep::Closed => return ChannelOutcome::Closed,
            SendStep::Wait(park) => {
                if !channel(addr).spin_until_sendable()
                    && !block_on(addr + 4, park.expected, deadline)
                {
                    return ChannelOutcome::NotReady;
                }
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
fn sent(wake: bool) -> ChannelOutcome {
    if wake {
        ChannelOutcome::DoneWake
    } else {
        ChannelOutcome::Done
    }
}

/// Receives, blocking this worker while empty: the message handle [`packed`] with the wake bit
/// (JS wakes senders), `Closed`, or `NotReady` when `timeout_ms` (>= 0) ran out.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[wasm_bindgen(js_name = channelRecvBlocking)]
pub fn channel_recv_blocking(addr: u32, timeout_ms: f64) -> u32 {
    let deadline = deadline(timeout_ms);
    loop {
        match channel(addr).recv_step() {
            RecvStep::Received { message, wake } => return packed(message, wake),
            RecvStep::Closed => return ChannelOutcome::Closed as u32,
            RecvStep::Wait(park) => {
                if !channel(addr).spin_until_receivable()
                    && !block_on(addr, park.expected, deadline)
                {
                    return ChannelOutcome::NotReady as u32;
                }
            }
        }
    }
}
