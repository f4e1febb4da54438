//! The one error type of this crate.

use core::fmt;

/// Every failure of a `weft-sync` operation.
///
/// Variant names are stable: the Wasm glue maps them one-to-one onto JS error codes
/// (see [`SyncError::code`]).
///
/// # Examples
///
/// ```
/// # weft_sync::__doc_example! {
/// use weft_sync::{AtomicU32, RawSemaphore, SemaphoreWords, SyncError};
///
/// let words = SemaphoreWords::new(2, 2).unwrap();
/// let sem = RawSemaphore::new(&words);
/// let err = sem.try_acquire(3).unwrap_err();
/// assert_eq!(err, SyncError::ExceedsCapacity { requested: 3, capacity: 2 });
/// assert_eq!(err.code(), "WEFT_SEMAPHORE_EXCEEDS_CAPACITY");
/// # let _ = AtomicU32::new(0);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncError {
    /// A semaphore acquire asked for more permits than the semaphore can ever hold; it would wait
    /// forever, so it is rejected before touching the word.
    ExceedsCapacity {
        /// Permits asked for.
        requested: u32,
        /// The semaphore's capacity.
        capacity: u32,
    },
    /// A semaphore release would raise the available permits above the capacity: more permits were
    /// released than were acquired. The word is left unchanged.
    ReleaseExceedsCapacity {
        /// Permits being released.
        released: u32,
        /// Permits available when the release was attempted.
        available: u32,
        /// The semaphore's capacity.
        capacity: u32,
    },
    /// A semaphore was initialised with a capacity of 0 or above [`crate::MAX_PERMITS`], or with
    /// more available permits than its capacity.
    InvalidCapacity {
        /// Capacity asked for.
        capacity: u32,
        /// Initially available permits asked for.
        available: u32,
    },
    /// `unlock` was called on a mutex word that is not locked.
    NotLocked,
    /// A counter update would have wrapped above `u32::MAX`. The word is left unchanged.
    CounterOverflow {
        /// Value before the update.
        value: u32,
        /// Amount that was to be added.
        delta: u32,
    },
    /// A counter update would have gone below zero. The word is left unchanged.
    CounterUnderflow {
        /// Value before the update.
        value: u32,
        /// Amount that was to be subtracted.
        delta: u32,
    },
    /// A blocking operation with a timeout gave up. Nothing is held and nothing needs undoing.
    TimedOut,
    /// A read unlock of a readers–writer lock that no reader holds. The word is left unchanged.
    RwLockNotReadLocked,
    /// A write unlock of a readers–writer lock that is not write-locked. The word is left
    /// unchanged.
    RwLockNotWriteLocked,
    /// A barrier was created for 0 parties or more than [`crate::MAX_PARTIES`].
    InvalidParties {
        /// Parties asked for.
        parties: u32,
    },
    /// `done` on a wait group whose count is already 0: more tasks were marked done than were
    /// added. The word is left unchanged.
    WaitGroupNegative,
    /// `add` would raise a wait group's count above [`crate::MAX_WAIT_COUNT`]. The word is left
    /// unchanged.
    WaitGroupOverflow {
        /// The count before the add.
        count: u32,
        /// The amount that was to be added.
        added: u32,
    },
    /// A channel was created with a capacity of 0 or above [`crate::MAX_CHANNEL_CAPACITY`].
    InvalidChannelCapacity {
        /// Capacity asked for.
        capacity: u32,
    },
    /// A send on a closed channel, or a receive on a closed channel with nothing left queued.
    ChannelClosed,
}

impl SyncError {
    /// The stable name of the variant, e.g. `"ExceedsCapacity"`.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// assert_eq!(weft_sync::SyncError::NotLocked.name(), "NotLocked");
    /// # }
    /// ```
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::ExceedsCapacity { .. } => "ExceedsCapacity",
            Self::ReleaseExceedsCapacity { .. } => "ReleaseExceedsCapacity",
            Self::InvalidCapacity { .. } => "InvalidCapacity",
            Self::NotLocked => "NotLocked",
            Self::CounterOverflow { .. } => "CounterOverflow",
            Self::CounterUnderflow { .. } => "CounterUnderflow",
            Self::TimedOut => "TimedOut",
            Self::RwLockNotReadLocked => "RwLockNotReadLocked",
            Self::RwLockNotWriteLocked => "RwLockNotWriteLocked",
            Self::InvalidParties { .. } => "InvalidParties",
            Self::WaitGroupNegative => "WaitGroupNegative",
            Self::WaitGroupOverflow { .. } => "WaitGroupOverflow",
            Self::InvalidChannelCapacity { .. } => "InvalidChannelCapacity",
            Self::ChannelClosed => "ChannelClosed",
        }
    }

    /// The stable JS error code for the variant, e.g. `"WEFT_SEMAPHORE_EXCEEDS_CAPACITY"`.
    ///
    /// # Examples
    ///
    /// ```
    /// # weft_sync::__doc_example! {
    /// assert_eq!(weft_sync::SyncError::TimedOut.code(), "WEFT_TIMED_OUT");
    /// # }
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::ExceedsCapacity { .. } => "WEFT_SEMAPHORE_EXCEEDS_CAPACITY",
            Self::ReleaseExceedsCapacity { .. } => "WEFT_SEMAPHORE_RELEASE_EXCEEDS_CAPACITY",
            Self::InvalidCapacity { .. } => "WEFT_SEMAPHORE_INVALID_CAPACITY",
            Self::NotLocked => "WEFT_MUTEX_NOT_LOCKED",
            Self::CounterOverflow { .. } => "WEFT_COUNTER_OVERFLOW",
            Self::CounterUnderflow { .. } => "WEFT_COUNTER_UNDERFLOW",
            Self::TimedOut => "WEFT_TIMED_OUT",
            Self::RwLockNotReadLocked => "WEFT_RWLOCK_NOT_READ_LOCKED",
            Self::RwLockNotWriteLocked => "WEFT_RWLOCK_NOT_WRITE_LOCKED",
            Self::InvalidParties { .. } => "WEFT_BARRIER_INVALID_PARTIES",
            Self::WaitGroupNegative => "WEFT_WAITGROUP_NEGATIVE",
            Self::WaitGroupOverflow { .. } => "WEFT_WAITGROUP_OVERFLOW",
            Self::InvalidChannelCapacity { .. } => "WEFT_CHANNEL_INVALID_CAPACITY",
            Self::ChannelClosed => "WEFT_CHANNEL_CLOSED",
        }
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ExceedsCapacity {
                requested,
                capacity,
            } => write!(
                f,
                "Cannot acquire {requested} permits as the semaphore holds at most {capacity}: \
                 received {requested}; ask for at most {capacity}"
            ),
            Self::ReleaseExceedsCapacity {
                released,
                available,
                capacity,
            } => write!(
                f,
                "Cannot release {released} permits as {available} of {capacity} are already \
                 available: received {released}; release only permits that were acquired"
            ),
            Self::InvalidCapacity {
                capacity,
                available,
            } => write!(
                f,
                "Cannot create a semaphore as its capacity must be 1..={} with at most that many \
                 available: received capacity {capacity}, available {available}",
                crate::MAX_PERMITS
            ),
            Self::NotLocked => f.write_str(
                "Cannot unlock the mutex as it is not locked: received an unlocked word; unlock \
                 only a mutex this thread locked",
            ),
            Self::CounterOverflow { value, delta } => write!(
                f,
                "Cannot add {delta} to the counter as it would exceed {}: received value {value}",
                u32::MAX
            ),
            Self::CounterUnderflow { value, delta } => write!(
                f,
                "Cannot subtract {delta} from the counter as it would go below 0: received value \
                 {value}"
            ),
            Self::TimedOut => f.write_str(
                "Cannot finish the wait before the timeout as what it waited for did not happen: \
                 received a timeout that elapsed; nothing was acquired, retry or raise the timeout",
            ),
            Self::RwLockNotReadLocked => f.write_str(
                "Cannot read-unlock the RwLock as no reader holds it: received a lock with no \
                 readers; unlock only a read lock this thread took",
            ),
            Self::RwLockNotWriteLocked => f.write_str(
                "Cannot write-unlock the RwLock as it is not write-locked: received a lock without \
                 a writer; unlock only a write lock this thread took",
            ),
            Self::InvalidParties { parties } => write!(
                f,
                "Cannot create a barrier as its number of parties must be 1..={}: received \
                 {parties}",
                crate::MAX_PARTIES
            ),
            Self::WaitGroupNegative => f.write_str(
                "Cannot mark a task done as the wait group's count is already 0: received done() \
                 with no task outstanding; call add() once for every task before it can finish",
            ),
            Self::WaitGroupOverflow { count, added } => write!(
                f,
                "Cannot add {added} to the wait group as its count would exceed {}: received \
                 count {count}",
                crate::MAX_WAIT_COUNT
            ),
            Self::InvalidChannelCapacity { capacity } => write!(
                f,
                "Cannot create a channel as its capacity must be an integer in 1..={}: received \
                 {capacity}",
                crate::MAX_CHANNEL_CAPACITY
            ),
            Self::ChannelClosed => f.write_str(
                "Cannot use the channel as it is closed: received a send after close(), or a \
                 receive after close() with every queued message already delivered",
            ),
        }
    }
}

impl std::error::Error for SyncError {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_are_distinct() {
        let all = [
            SyncError::ExceedsCapacity {
                requested: 3,
                capacity: 2,
            },
            SyncError::ReleaseExceedsCapacity {
                released: 1,
                available: 2,
                capacity: 2,
            },
            SyncError::InvalidCapacity {
                capacity: 0,
                available: 0,
            },
            SyncError::NotLocked,
            SyncError::CounterOverflow {
                value: u32::MAX,
                delta: 1,
            },
            SyncError::CounterUnderflow { value: 0, delta: 1 },
            SyncError::TimedOut,
            SyncError::RwLockNotReadLocked,
            SyncError::RwLockNotWriteLocked,
            SyncError::InvalidParties { parties: 0 },
            SyncError::WaitGroupNegative,
            SyncError::WaitGroupOverflow {
                count: 1,
                added: crate::MAX_WAIT_COUNT,
            },
        ];
        let mut names: Vec<_> = all.iter().map(SyncError::name).collect();
        let mut codes: Vec<_> = all.iter().map(SyncError::code).collect();
        names.sort_unstable();
        names.dedup();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(codes.len(), all.len());
        for e in all {
            assert!(e.to_string().starts_with("Cannot "), "{e}");
            assert!(e.code().starts_with("WEFT_"));
        }
    }

    #[test]
    fn message_names_the_numbers() {
        let e = SyncError::ExceedsCapacity {
            requested: 5,
            capacity: 4,
        };
        assert_eq!(
            e.to_string(),
            "Cannot acquire 5 permits as the semaphore holds at most 4: received 5; ask for at \
             most 4"
        );
    }
}
