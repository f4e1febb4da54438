//! Turning a panic inside the analyzer, weft's or swc's, into [`AnalyzeError::AnalyzerBug`].
//!
//! Every public entry point of [`SourceFile`](crate::SourceFile) runs its work through [`catch`].
//! Built with `panic = "unwind"` (native builds, and weft's Wasm build, which uses Wasm exception
//! handling for it) the panic stops here and only that call fails. Built with `panic = "abort"`
//! nothing can be caught: the panic ends the program (in Wasm, traps the instance).
//!
//! Test builds (debug assertions on) can make the analyzer panic on purpose: a source text that
//! contains [`INJECT_PANIC_IN_PARSE`] panics in `parse`, one that contains
//! [`INJECT_PANIC_IN_CLOSURE_AT`] in `closure_at`. Release builds, and so the release `.wasm`,
//! contain neither the check nor the markers.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crate::error::AnalyzeError;

/// A source text containing this panics in `SourceFile::parse` (test builds only).
#[cfg(debug_assertions)]
pub const INJECT_PANIC_IN_PARSE: &str = "@weft-test-panic:parse";

/// A source text containing this panics in `SourceFile::closure_at` (test builds only).
#[cfg(debug_assertions)]
pub const INJECT_PANIC_IN_CLOSURE_AT: &str = "@weft-test-panic:closure_at";

/// Runs `work`; a panic in it becomes [`AnalyzeError::AnalyzerBug`] for `url` at
/// `line`:`column` (`0:0` when the work concerns the whole file).
pub(crate) fn catch<T>(
    url: &str,
    line: u32,
    column: u32,
    work: impl FnOnce() -> Result<T, AnalyzeError>,
) -> Result<T, AnalyzeError> {
    // AssertUnwindSafe: after a caught panic the caller gets `AnalyzerBug` and is told to drop the
    // `SourceFile` involved. Nothing else outlives the call: swc's scoped globals are restored by
    // their guards while unwinding, and a `OnceCell` whose initialiser panicked stays empty.
    panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        Err(AnalyzeError::AnalyzerBug {
            url: url.to_owned(),
            line,
            column,
            message: message(payload.as_ref()),
        })
    })
}

/// The text a panic was raised with.
fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Panics if `source` contains `marker` (test builds only).
#[cfg(debug_assertions)]
pub(crate) fn inject_panic(source: &str, marker: &str) {
    if source.contains(marker) {
        panic!("injected for a test: the source contains {marker}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_analyzer_bugs_with_their_message() {
        let err = catch::<()>("file:///a.js", 3, 4, || panic!("boom {}", 1)).unwrap_err();
        assert_eq!(
            err,
            AnalyzeError::AnalyzerBug {
                url: "file:///a.js".into(),
                line: 3,
                column: 4,
                message: "boom 1".into()
            }
        );
        assert_eq!(catch("file:///a.js", 1, 1, || Ok(5)), Ok(5));
    }
}
