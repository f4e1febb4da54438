//! Word allocation in the shared memory, and the budget that keeps data from taking the room weft
//! needs for itself.
//!
//! Lock words, counters and `Global` cells live in the module's heap so that every thread sees them
//! at the same address. Blocks are 4-byte aligned and zeroed, so a fresh word reads as
//! "unlocked" / "0" to every state machine in `weft-sync`.
//!
//! # The budget
//!
//! Everything a program puts in the shared memory through these functions (primitives, structs,
//! channels and their messages, a worker's records) and every worker's stack is charged to one
//! budget: the memory's maximum, less its initial size and the analyzer's share, which JS sets
//! once when it loads the module ([`set_shared_budget`]). What the budget leaves out stays free
//! for weft's own allocations: analyses, the glue's strings. Without it, a program that filled the
//! memory with data left no room for the next analysis, and Rust's allocation-failure abort
//! trapped and ended the module on that thread for good.
//!
//! The budget counts an estimate of each block's footprint in the allocator ([`footprint`]), not
//! the allocator's actual use, so fragmentation can still take part of the share it protects.
//!
//! | static     | meaning                                                                     |
//! |------------|-----------------------------------------------------------------------------|
//! | `BUDGET`   | bytes data and worker stacks may take together; 0 until set: no budget      |
//! | `CHARGED`  | bytes they take now                                                         |
//!
//! Orderings: both words are `Relaxed`. They publish no other memory (a block is handed to other
//! threads by the primitives' own synchronisation), and the compare-exchange loop of [`charge`]
//! makes the check and the addition one atomic step, so concurrent charges never exceed the
//! budget together whatever their order.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU32, Ordering};
use wasm_bindgen::prelude::*;

use crate::sync::failure;

/// The code of the `SyncFailure` an allocation throws when the shared memory cannot hold it.
pub const SHARED_MEMORY_EXHAUSTED: &str = "WEFT_SHARED_MEMORY_EXHAUSTED";

static BUDGET: AtomicU32 = AtomicU32::new(0);
static CHARGED: AtomicU32 = AtomicU32::new(0);

/// Adds `bytes` to `charged` if the total stays within `budget` (0: no budget); whether it did.
fn charge_within(budget: &AtomicU32, charged: &AtomicU32, bytes: u32) -> bool {
    let limit = budget.load(Ordering::Relaxed);
    charged
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
            let after = now.checked_add(bytes)?;
            (limit == 0 || after <= limit).then_some(after)
        })
        .is_ok()
}

/// Takes back `bytes` charged before (saturating: a refund without its charge must not wrap).
fn refund_to(charged: &AtomicU32, bytes: u32) {
    let _ = charged.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
        Some(now.saturating_sub(bytes))
    });
}

fn charge(bytes: u32) -> bool {
    charge_within(&BUDGET, &CHARGED, bytes)
}

fn refund(bytes: u32) {
    refund_to(&CHARGED, bytes);
}

/// What a block of `layout` takes in the allocator, as the budget counts it: its size rounded up
/// to the allocator's 8-byte granule, one granule of header, and room to align it when it asks
/// for more than 8 bytes.
fn footprint(layout: Layout) -> u32 {
    let align = layout.align().max(8);
    let padding = if align > 8 { align } else { 0 };
    let bytes = layout.size().next_multiple_of(8) + 8 + padding;
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// Sets the budget of data and worker stacks, in bytes (see the module's docs). Called once, by
/// the thread that loads the module, before any allocation of data.
#[wasm_bindgen(js_name = setSharedBudget)]
pub fn set_shared_budget(bytes: u32) {
    BUDGET.store(bytes, Ordering::Relaxed);
}

/// Charges `bytes` the module does not allocate itself (a worker's stack, which the worker
/// allocates as it joins) to the budget. Throws a `SyncFailure` ([`SHARED_MEMORY_EXHAUSTED`]) when
/// they do not fit; nothing is charged then.
#[wasm_bindgen(js_name = reserveShared)]
pub fn reserve_shared(bytes: u32) -> Result<(), JsValue> {
    if charge(bytes) {
        Ok(())
    } else {
        Err(exhausted(bytes, "bytes"))
    }
}

/// Gives back `bytes` charged by [`reserve_shared`], once what they stood for is freed.
#[wasm_bindgen(js_name = releaseShared)]
pub fn release_shared(bytes: u32) {
    refund(bytes);
}

/// Allocates zeroed memory for `layout`, charged to the budget; null when it does not fit, or
/// when `layout` is empty (which the layout constructors here refuse before).
fn alloc_charged(layout: Layout) -> *mut u8 {
    let bytes = footprint(layout);
    if layout.size() == 0 || !charge(bytes) {
        return std::ptr::null_mut();
    }
    // SAFETY: `layout` has a non-zero size (checked above).
    let ptr = unsafe { alloc_zeroed(layout) };
    if ptr.is_null() {
        refund(bytes);
    }
    ptr
}

/// Frees memory from [`alloc_charged`] with the same `layout`.
///
/// # Safety
/// `ptr` must come from `alloc_charged(layout)` and not have been freed yet.
unsafe fn free_charged(ptr: *mut u8, layout: Layout) {
    // SAFETY: per this function's contract.
    unsafe { dealloc(ptr, layout) };
    refund(footprint(layout));
}

/// An allocation of `count` `unit`s failed: the budget or the memory has no room for it. The
/// message is formatted on the stack: with the memory full, a heap allocation here would fail
/// too, and Rust aborts (a trap) on a failed allocation.
fn exhausted(count: u32, unit: &str) -> JsValue {
    let mut text = StackText::new();
    let _ = write!(
        text,
        "Cannot allocate {count} shared {unit} as weft's shared memory is exhausted: what it \
         holds (primitives, structs, channel messages, worker stacks) takes all the room it has \
         for them. Free what holds it: drop primitives and channels no longer used (their \
         memory is freed once every thread's handle is collected), receive queued Channel \
         messages, or send smaller ones"
    );
    failure(SHARED_MEMORY_EXHAUSTED, text.as_str())
}

/// Text written into a fixed buffer on the stack, cut at its capacity (at a character boundary).
struct StackText {
    bytes: [u8; 512],
    len: usize,
}

impl StackText {
    fn new() -> Self {
        Self {
            bytes: [0; 512],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `str`s, or prefixes of them cut at a character boundary, are ever copied in.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.bytes.len() - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

fn words_layout(count: u32) -> Result<Layout, JsError> {
    if count == 0 {
        return Err(JsError::new(
            "Cannot allocate shared words: received a count of 0",
        ));
    }
    Layout::from_size_align((count as usize) * 4, 4).map_err(|_| {
        JsError::new(&format!(
            "Cannot allocate shared words: received a count of {count}"
        ))
    })
}

/// Allocates `count` zeroed 32-bit words and returns the byte address of the first. Throws a
/// `SyncFailure` ([`SHARED_MEMORY_EXHAUSTED`]) when the memory cannot hold them.
#[wasm_bindgen(js_name = allocWords)]
pub fn alloc_words(count: u32) -> Result<u32, JsValue> {
    let ptr = alloc_charged(words_layout(count)?);
    if ptr.is_null() {
        return Err(exhausted(count, "words"));
    }
    Ok(ptr as usize as u32)
}

/// Frees words returned by [`alloc_words`] with the same `count`.
///
/// # Safety (for callers in JS)
/// `addr` must come from `allocWords(count)` and not have been freed yet; no thread may touch the
/// words afterwards. The JS layer guarantees this with reference counts.
#[wasm_bindgen(js_name = freeWords)]
pub fn free_words(addr: u32, count: u32) -> Result<(), JsError> {
    let layout = words_layout(count)?;
    if addr == 0 || !addr.is_multiple_of(4) {
        return Err(JsError::new(&format!(
            "Cannot free shared words: received address {addr}"
        )));
    }
    // SAFETY: per this function's contract, `addr` was returned by `alloc_charged(layout)` with
    // this same layout and is freed once.
    unsafe { free_charged(addr as usize as *mut u8, layout) };
    Ok(())
}

fn bytes_layout(size: u32, align: u32) -> Result<Layout, JsError> {
    if size == 0 {
        return Err(JsError::new(
            "Cannot allocate shared bytes: received a size of 0",
        ));
    }
    Layout::from_size_align(size as usize, align as usize).map_err(|_| {
        JsError::new(&format!(
            "Cannot allocate {size} shared bytes aligned to {align}: the size or alignment is invalid"
        ))
    })
}

/// Allocates `size` zeroed bytes aligned to `align` (a power of two) and returns their address.
/// Throws a `SyncFailure` ([`SHARED_MEMORY_EXHAUSTED`]) when the memory cannot hold them.
pub(crate) fn alloc_bytes(size: u32, align: u32) -> Result<u32, JsValue> {
    let ptr = alloc_charged(bytes_layout(size, align)?);
    if ptr.is_null() {
        return Err(exhausted(size, "bytes"));
    }
    Ok(ptr as usize as u32)
}

/// Frees bytes returned by [`alloc_bytes`] with the same `size` and `align`.
///
/// # Safety (for callers)
/// `addr` must come from `alloc_bytes(size, align)` and not have been freed yet; no thread may
/// touch the bytes afterwards.
pub(crate) fn free_bytes(addr: u32, size: u32, align: u32) -> Result<(), JsError> {
    let layout = bytes_layout(size, align)?;
    if addr == 0 || !addr.is_multiple_of(align) {
        return Err(JsError::new(&format!(
            "Cannot free shared bytes: received address {addr}"
        )));
    }
    // SAFETY: per this function's contract, `addr` came from `alloc_charged(layout)` with this
    // same layout and is freed once.
    unsafe { free_charged(addr as usize as *mut u8, layout) };
    Ok(())
}

/// The span, in bytes, within which two threads' writes contend as if they were to the same
/// word (false sharing): two 64-byte cache lines, since x86-64's spatial prefetcher fetches lines
/// in pairs.
const LINE_BYTES: u32 = 128;

fn line_size(count: u32) -> Result<u32, JsError> {
    count
        .checked_mul(4)
        .and_then(|bytes| bytes.checked_next_multiple_of(LINE_BYTES))
        .filter(|&size| size > 0)
        .ok_or_else(|| {
            JsError::new(&format!(
                "Cannot allocate shared words on lines of their own: received a count of {count}"
            ))
        })
}

/// Allocates `count` zeroed 32-bit words that share no cache line with any other allocation
/// (aligned to and padded to [`LINE_BYTES`]), and returns the byte address of the first. For
/// words one thread writes at a high rate, such as a worker's record of the locks it holds:
/// next to a lock word, every such write would slow down each thread using that lock.
#[wasm_bindgen(js_name = allocLineWords)]
pub fn alloc_line_words(count: u32) -> Result<u32, JsValue> {
    alloc_bytes(line_size(count)?, LINE_BYTES)
}

/// Frees words returned by [`alloc_line_words`] with the same `count`.
///
/// # Safety (for callers in JS)
/// As for [`free_words`].
#[wasm_bindgen(js_name = freeLineWords)]
pub fn free_line_words(addr: u32, count: u32) -> Result<(), JsError> {
    free_bytes(addr, line_size(count)?, LINE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_stay_within_the_budget() {
        let (budget, charged) = (AtomicU32::new(100), AtomicU32::new(0));
        assert!(charge_within(&budget, &charged, 60));
        assert!(
            !charge_within(&budget, &charged, 41),
            "61 more would pass 100"
        );
        assert_eq!(
            charged.load(Ordering::Relaxed),
            60,
            "a refused charge adds nothing"
        );
        assert!(
            charge_within(&budget, &charged, 40),
            "exactly the budget fits"
        );
        refund_to(&charged, 60);
        assert!(charge_within(&budget, &charged, 60));
        refund_to(&charged, 1000);
        assert_eq!(charged.load(Ordering::Relaxed), 0, "refunds saturate");
    }

    #[test]
    fn without_a_budget_only_overflow_refuses() {
        let (budget, charged) = (AtomicU32::new(0), AtomicU32::new(u32::MAX - 10));
        assert!(charge_within(&budget, &charged, 10));
        assert!(!charge_within(&budget, &charged, 1));
    }

    #[test]
    fn footprints_cover_size_header_and_alignment() {
        let layout = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(footprint(layout(1, 4)), 16);
        assert_eq!(footprint(layout(8, 8)), 16);
        assert_eq!(footprint(layout(12, 4)), 24);
        assert_eq!(footprint(layout(128, 128)), 128 + 8 + 128);
    }
}
