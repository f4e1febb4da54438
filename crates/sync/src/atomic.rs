//! The atomics every state machine is written against.
//!
//! Natively and in Wasm these are `core`'s atomics; under `--cfg loom` they are loom's model-checked
//! replacements, so the very same state-machine code is what loom explores.

#[cfg(not(loom))]
pub use core::sync::atomic::AtomicU32;
#[cfg(not(loom))]
pub(crate) use core::sync::atomic::Ordering;

#[cfg(loom)]
pub use loom::sync::atomic::AtomicU32;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::Ordering;

/// Tells the processor (or, under loom, the model checker) that this thread is spinning.
#[cfg(not(loom))]
pub(crate) use core::hint::spin_loop;
#[cfg(loom)]
pub(crate) use loom::hint::spin_loop;

/// Borrows the 32-bit word at `ptr` as an atomic.
///
/// # Safety
///
/// `ptr` must be non-null, 4-byte aligned, valid for reads and writes for `'a`, and every access to
/// that word during `'a`, from any thread, must be atomic.
#[cfg(not(loom))]
pub(crate) unsafe fn word_from_ptr<'a>(ptr: *mut u32) -> &'a AtomicU32 {
    debug_assert!(!ptr.is_null(), "word pointer is null");
    debug_assert!(
        ptr.is_aligned(),
        "word pointer {ptr:p} is not 4-byte aligned"
    );
    // SAFETY: the caller guarantees validity, alignment and atomic-only access for 'a, which are
    // exactly the requirements of `AtomicU32::from_ptr`.
    unsafe { AtomicU32::from_ptr(ptr) }
}
