//! Word allocation in the shared memory.
//!
//! Lock words, counters and `Global` cells live in the module's heap so that every thread sees them
//! at the same address. Blocks are 4-byte aligned and zeroed, so a fresh word reads as
//! "unlocked" / "0" to every state machine in `weft-sync`.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fmt::{self, Write as _};
use wasm_bindgen::prelude::*;

use crate::sync::failure;

/// The code of the `SyncFailure` an allocation throws when the shared memory cannot grow to hold it.
pub const SHARED_MEMORY_EXHAUSTED: &str = "WEFT_SHARED_MEMORY_EXHAUSTED";

/// An allocation of `count` `unit`s failed: the memory is at its maximum size, or cannot grow by
/// enough. The message is formatted on the stack: with the memory full, a heap allocation here
/// would fail too, and Rust aborts (a trap) on a failed allocation.
fn exhausted(count: u32, unit: &str) -> JsValue {
    let mut text = StackText::new();
    let _ = write!(
        text,
        "Cannot allocate {count} shared {unit} as weft's shared memory is exhausted: it cannot \
         grow any further. Free what holds it: drop primitives and channels no longer used (their \
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
    let layout = words_layout(count)?;
    // SAFETY: `layout` has a non-zero size (count > 0 was checked above).
    let ptr = unsafe { alloc_zeroed(layout) };
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
    // SAFETY: per this function's contract, `addr` was returned by `alloc_zeroed(layout)` with this
    // same layout and is freed once.
    unsafe { dealloc(addr as usize as *mut u8, layout) };
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
    let layout = bytes_layout(size, align)?;
    // SAFETY: `layout` has a non-zero size (checked by `bytes_layout`).
    let ptr = unsafe { alloc_zeroed(layout) };
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
    // SAFETY: per this function's contract, `addr` came from `alloc_zeroed(layout)` with this
    // same layout and is freed once.
    unsafe { dealloc(addr as usize as *mut u8, layout) };
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
