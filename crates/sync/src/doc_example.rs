//! The wrapper around documentation examples (exported at the crate root, hidden).

/// Wraps every documentation example: natively it is the example itself; under `--cfg loom`,
/// where the examples' atomics are loom's and only work inside a model, it expands to nothing, so
/// `RUSTFLAGS="--cfg loom" cargo test` can build the doctests too.
#[cfg(not(loom))]
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_example {
    ($($example:tt)*) => { $($example)* };
}

/// See the non-loom definition.
#[cfg(loom)]
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_example {
    ($($example:tt)*) => {};
}
