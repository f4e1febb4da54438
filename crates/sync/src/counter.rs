//! An atomic counter on one 32-bit word.

use crate::atomic::{AtomicU32, Ordering};
use crate::SyncError;

/// A checked 32-bit counter in (possibly shared) memory: live workers across the process tree,
/// reference counts of lock words.
///
/// Like the locks, `Counter` is a view borrowing its word.
///
/// # Word layout
///
/// | bits | meaning |
/// |------|---------|
/// | 0–31 | the count, unsigned |
///
/// # Ordering
///
/// Every update is a read-modify-write with `AcqRel` ordering and [`load`](Self::load) is
/// `Acquire`: a thread that observes a value also observes everything each thread did before the
/// updates that led to that value. That is what a reference count needs (the thread that takes the
/// count to zero sees every other holder's last writes before freeing) and what a "live workers"
/// count needs (whoever sees the count drop sees the departed worker's results). In Wasm all
/// atomics are sequentially consistent anyway, so this costs nothing there.
///
/// Updates never wrap: one that would go below 0 or above `u32::MAX` fails and leaves the word
/// unchanged. To wait for a value from JS, `Atomics.waitAsync` on the word with the last value
/// read; whoever changes it to something waited for calls `Atomics.notify`.
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AtomicU32, Counter};
///
/// let word = AtomicU32::new(0);
/// let live = Counter::new(&word);
/// assert_eq!(live.increment(), Ok(1));
/// assert_eq!(live.add(2), Ok(3));
/// assert_eq!(live.decrement(), Ok(2));
/// assert_eq!(live.sub(2), Ok(0)); // the last one out sees 0
/// assert!(live.decrement().is_err());
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Counter<'a> {
    word: &'a AtomicU32,
}

impl<'a> Counter<'a> {
    /// A counter view of `word`.
    pub const fn new(word: &'a AtomicU32) -> Self {
        Self { word }
    }

    /// A counter view of the word at `ptr` (in Wasm: the address the JS side passes).
    ///
    /// # Safety
    ///
    /// `ptr` must be non-null, 4-byte aligned, and valid for reads and writes for `'a`, and every
    /// access to the word during `'a`, from any thread or JS, must be atomic.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// use weft_sync::Counter;
    ///
    /// let mut storage = 41u32;
    /// // SAFETY: `storage` is aligned, outlives `c`, and is only used through it.
    /// let c = unsafe { Counter::from_ptr(&mut storage) };
    /// assert_eq!(c.increment(), Ok(42));
    /// # }
    /// ```
    #[cfg(not(loom))]
    pub unsafe fn from_ptr(ptr: *mut u32) -> Self {
        // SAFETY: forwarded verbatim from this function's contract.
        Self::new(unsafe { crate::atomic::word_from_ptr(ptr) })
    }

    /// The counter's word (to wait on it).
    #[must_use]
    pub const fn word(&self) -> &'a AtomicU32 {
        self.word
    }

    /// The current value. `Acquire`: see the type's docs.
    #[must_use]
    pub fn load(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// Adds `delta`; returns the new value.
    ///
    /// # Errors
    ///
    /// [`SyncError::CounterOverflow`] if the result would exceed `u32::MAX`; nothing changes.
    pub fn add(&self, delta: u32) -> Result<u32, SyncError> {
        // AcqRel: see the type's docs. The failure load is Relaxed: the closure only computes.
        self.word
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |v| {
                v.checked_add(delta)
            })
            .map(|old| old + delta)
            .map_err(|value| SyncError::CounterOverflow { value, delta })
    }

    /// Subtracts `delta`; returns the new value.
    ///
    /// # Errors
    ///
    /// [`SyncError::CounterUnderflow`] if the result would be below 0; nothing changes.
    pub fn sub(&self, delta: u32) -> Result<u32, SyncError> {
        // AcqRel: see the type's docs.
        self.word
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |v| {
                v.checked_sub(delta)
            })
            .map(|old| old - delta)
            .map_err(|value| SyncError::CounterUnderflow { value, delta })
    }

    /// Adds 1; returns the new value.
    ///
    /// # Errors
    ///
    /// As for [`add`](Self::add).
    pub fn increment(&self) -> Result<u32, SyncError> {
        self.add(1)
    }

    /// Subtracts 1; returns the new value (0: this was the last one).
    ///
    /// # Errors
    ///
    /// As for [`sub`](Self::sub).
    pub fn decrement(&self) -> Result<u32, SyncError> {
        self.sub(1)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn overflow_and_underflow_leave_the_word_unchanged() {
        let w = AtomicU32::new(u32::MAX - 1);
        let c = Counter::new(&w);
        assert_eq!(
            c.add(2),
            Err(SyncError::CounterOverflow {
                value: u32::MAX - 1,
                delta: 2
            })
        );
        assert_eq!(c.load(), u32::MAX - 1);
        assert_eq!(c.increment(), Ok(u32::MAX));
        let z = AtomicU32::new(1);
        let c = Counter::new(&z);
        assert_eq!(
            c.sub(2),
            Err(SyncError::CounterUnderflow { value: 1, delta: 2 })
        );
        assert_eq!(c.decrement(), Ok(0));
    }

    #[test]
    fn concurrent_updates_are_exact() {
        let w = AtomicU32::new(0);
        let c = Counter::new(&w);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        c.increment().unwrap();
                    }
                    for _ in 0..5_000 {
                        c.decrement().unwrap();
                    }
                });
            }
        });
        assert_eq!(c.load(), 20_000);
    }
}
