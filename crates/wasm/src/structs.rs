//! Blocks for `SharedStruct` instances: fields laid out by JS in shared memory.
//!
//! Block layout: word 0 the refcount (JS objects in any thread referring to the block), word 1
//! the size in bytes of the fields, then the fields from byte 8. Blocks are 8-byte aligned, so a
//! field at an offset aligned to its size (JS lays them out so) is aligned in memory too.

use std::sync::atomic::Ordering;

use wasm_bindgen::prelude::*;
use weft_sync::Counter;

use crate::memory::{alloc_bytes, free_bytes};
use crate::sync::{sync_error, word};

/// Bytes before the fields.
const HEADER: u32 = 8;

/// Allocates a zeroed struct block with `size` bytes of fields and one reference; returns its
/// address (fields start at `address + 8`).
#[wasm_bindgen(js_name = structCreate)]
pub fn struct_create(size: u32) -> Result<u32, JsValue> {
    let total = size.checked_add(HEADER).ok_or_else(|| {
        JsValue::from(JsError::new(&format!(
            "Cannot create a shared struct of {size} bytes: too large"
        )))
    })?;
    let addr = alloc_bytes(total, 8)?;
    // Relaxed: not shared yet; handing the block to other threads orders these stores.
    word(addr).store(1, Ordering::Relaxed);
    word(addr + 4).store(size, Ordering::Relaxed);
    Ok(addr)
}

/// Adds a reference (for an object in another thread).
#[wasm_bindgen(js_name = structRetain)]
pub fn struct_retain(addr: u32) -> Result<(), JsValue> {
    Counter::new(word(addr))
        .increment()
        .map(|_| ())
        .map_err(sync_error)
}

/// Drops a reference; frees the block when it was the last. True when freed.
#[wasm_bindgen(js_name = structRelease)]
pub fn struct_release(addr: u32) -> Result<bool, JsValue> {
    let left = Counter::new(word(addr)).decrement().map_err(sync_error)?;
    if left == 0 {
        let size = word(addr + 4).load(Ordering::Relaxed);
        free_bytes(addr, size + HEADER, 8).map_err(JsValue::from)?;
    }
    Ok(left == 0)
}
