//! Every way an analysis can fail, as one enum with stable variant names.

use std::fmt;

use serde::Serialize;

/// Why a file could not be analysed, or why a closure cannot be sent to a worker.
///
/// Variant names are stable, and each has a stable JS error code ([`AnalyzeError::code`],
/// `WEFT_SYNTAX_ERROR`, `WEFT_THIS_CAPTURED`, …) that the Wasm glue sends with the message. Lines
/// are 1-based; columns are 1-based and count UTF-16 code units, like the positions in a JS stack
/// trace. `Display` says what went wrong, where, and how to fix it.
///
/// Serialized with an internal `"kind"` tag:
/// `{ "kind": "ThisCaptured", "line": 3, "column": 18 }`.
///
/// # Examples
///
/// ```
/// use weft_analyzer::{AnalyzeError, SourceFile};
///
/// let err = SourceFile::parse("file:///a.js", "spawn(() => {").unwrap_err();
/// assert_eq!(err.name(), "Parse");
/// assert_eq!(err.code(), "WEFT_SYNTAX_ERROR");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum AnalyzeError {
    /// The file's extension does not say which language it is in.
    UnsupportedExtension { url: String },
    /// The file is larger than the analyzer accepts ([`ParseOptions::max_source_bytes`]); checked
    /// before parsing, since parsing takes many times the file's size in memory. `bytes` is its
    /// size in UTF-8 bytes, or a lower bound of it (the Wasm glue counts the UTF-16 units of the
    /// JS string, so as not to copy a text it refuses).
    ///
    /// [`ParseOptions::max_source_bytes`]: crate::ParseOptions::max_source_bytes
    SourceTooLarge { url: String, bytes: u64, limit: u64 },
    /// The source has a syntax error (swc's recovered errors count too).
    Parse {
        line: u32,
        column: u32,
        message: String,
    },
    /// Brackets or operators nest deeper than the limit: analysing it could overflow the stack.
    TooDeep {
        line: u32,
        column: u32,
        depth: u32,
        limit: u32,
    },
    /// No call with a function argument contains the position.
    NoClosureAtPosition { line: u32, column: u32 },
    /// No `new` expression contains the position ([`SourceFile::new_expression_at`](crate::SourceFile::new_expression_at)).
    NoNewExpressionAtPosition { line: u32, column: u32 },
    /// A call was found at the position, but its argument is not a function written inline.
    ClosureNotInline { line: u32, column: u32 },
    /// The closure found at the position is not the function the runtime passed to `spawn`: its
    /// text (`fn.toString()`) cannot come from this source by formatting, type removal or
    /// constant folding, so the file changed or was transformed after the runtime loaded it.
    SourceMismatch { url: String, line: u32, column: u32 },
    /// Several closures match the position and `fn_text` did not single one out.
    AmbiguousClosure {
        line: u32,
        column: u32,
        candidates: u32,
    },
    /// The closure declares parameters; spawn closures take none.
    ClosureHasParams { line: u32, column: u32 },
    /// An arrow closure uses `this` of the enclosing code.
    ThisCaptured { line: u32, column: u32 },
    /// An arrow closure uses `arguments` of the enclosing function.
    ArgumentsCaptured { line: u32, column: u32 },
    /// An arrow closure uses `new.target` of the enclosing function.
    NewTargetCaptured { line: u32, column: u32 },
    /// An arrow closure uses `super` of the enclosing method.
    SuperCaptured { line: u32, column: u32 },
    /// The closure, or a top-level declaration it needs re-created, calls `eval` directly with
    /// anything but a call expression (`eval(code)`, `eval("x")`), which can read any variable by
    /// name. `eval(spawn(...))`, a nested spawn, is allowed.
    DirectEval { line: u32, column: u32 },
    /// A `with` statement inside or around the closure makes names unresolvable statically.
    WithStatement { line: u32, column: u32 },
    /// `generate` got a `Closure` that was found in another file (or another version of it).
    ForeignClosure,
    /// `generate` was asked to pass by value a name the closure does not use.
    UnknownByValueName { name: String },
    /// A top-level name is needed but is declared inside a statement that cannot be copied on its
    /// own (a `var` in a top-level block or loop), and it was not passed by value.
    CannotRecreate {
        name: String,
        line: u32,
        column: u32,
    },
    /// A top-level name is needed and would be re-created from its declaration, but a top-level
    /// statement of the file may change it in a way that cannot be copied with it (see
    /// `completion`): the worker's copy could differ from the caller's value.
    ModifiedAtTopLevel {
        name: String,
        line: u32,
        column: u32,
        /// The statement's first line, shortened.
        statement: String,
        statement_line: u32,
        statement_column: u32,
    },
    /// The analyzer itself failed (a panic in weft or in swc, caught): `line`:`column` is the
    /// position it was asked about (`0:0` while parsing the whole file), `message` the panic's.
    /// Other files and call sites are not affected; a [`SourceFile`](crate::SourceFile) that
    /// reported it should be dropped.
    AnalyzerBug {
        url: String,
        line: u32,
        column: u32,
        message: String,
    },
}

impl AnalyzeError {
    /// The stable name of the variant, e.g. `"ThisCaptured"`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::UnsupportedExtension { .. } => "UnsupportedExtension",
            Self::SourceTooLarge { .. } => "SourceTooLarge",
            Self::Parse { .. } => "Parse",
            Self::TooDeep { .. } => "TooDeep",
            Self::NoClosureAtPosition { .. } => "NoClosureAtPosition",
            Self::NoNewExpressionAtPosition { .. } => "NoNewExpressionAtPosition",
            Self::ClosureNotInline { .. } => "ClosureNotInline",
            Self::SourceMismatch { .. } => "SourceMismatch",
            Self::AmbiguousClosure { .. } => "AmbiguousClosure",
            Self::ClosureHasParams { .. } => "ClosureHasParams",
            Self::ThisCaptured { .. } => "ThisCaptured",
            Self::ArgumentsCaptured { .. } => "ArgumentsCaptured",
            Self::NewTargetCaptured { .. } => "NewTargetCaptured",
            Self::SuperCaptured { .. } => "SuperCaptured",
            Self::DirectEval { .. } => "DirectEval",
            Self::WithStatement { .. } => "WithStatement",
            Self::ForeignClosure => "ForeignClosure",
            Self::UnknownByValueName { .. } => "UnknownByValueName",
            Self::CannotRecreate { .. } => "CannotRecreate",
            Self::ModifiedAtTopLevel { .. } => "ModifiedAtTopLevel",
            Self::AnalyzerBug { .. } => "AnalyzerBug",
        }
    }

    /// The stable JS error code of the variant, e.g. `"WEFT_THIS_CAPTURED"`. Misuse of this API by
    /// weft's own JS ([`AnalyzeError::ForeignClosure`], [`AnalyzeError::UnknownByValueName`]) is
    /// `"WEFT_INTERNAL"`.
    ///
    /// ```
    /// use weft_analyzer::AnalyzeError;
    /// assert_eq!(AnalyzeError::ThisCaptured { line: 1, column: 1 }.code(), "WEFT_THIS_CAPTURED");
    /// assert_eq!(AnalyzeError::ForeignClosure.code(), "WEFT_INTERNAL");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedExtension { .. } => "WEFT_UNSUPPORTED_FILE",
            Self::SourceTooLarge { .. } => "WEFT_SOURCE_TOO_LARGE",
            Self::Parse { .. } => "WEFT_SYNTAX_ERROR",
            Self::TooDeep { .. } => "WEFT_TOO_DEEP",
            Self::NoClosureAtPosition { .. } => "WEFT_NO_CLOSURE",
            Self::NoNewExpressionAtPosition { .. } => "WEFT_NO_NEW_EXPRESSION",
            Self::ClosureNotInline { .. } => "WEFT_CLOSURE_NOT_INLINE",
            Self::SourceMismatch { .. } => "WEFT_SOURCE_MISMATCH",
            Self::AmbiguousClosure { .. } => "WEFT_AMBIGUOUS_CLOSURE",
            Self::ClosureHasParams { .. } => "WEFT_CLOSURE_HAS_PARAMS",
            Self::ThisCaptured { .. } => "WEFT_THIS_CAPTURED",
            Self::ArgumentsCaptured { .. } => "WEFT_ARGUMENTS_CAPTURED",
            Self::NewTargetCaptured { .. } => "WEFT_NEW_TARGET_CAPTURED",
            Self::SuperCaptured { .. } => "WEFT_SUPER_CAPTURED",
            Self::DirectEval { .. } => "WEFT_DIRECT_EVAL",
            Self::WithStatement { .. } => "WEFT_WITH_STATEMENT",
            Self::ForeignClosure | Self::UnknownByValueName { .. } => "WEFT_INTERNAL",
            Self::CannotRecreate { .. } | Self::ModifiedAtTopLevel { .. } => "WEFT_CANNOT_RECREATE",
            Self::AnalyzerBug { .. } => "WEFT_ANALYZER_BUG",
        }
    }
}

impl fmt::Display for AnalyzeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedExtension { url } => write!(
                f,
                "Cannot analyse {url}: its extension is not one of .js .mjs .cjs .jsx .ts .mts .cts .tsx; \
                 pass the language explicitly"
            ),
            Self::SourceTooLarge { url, bytes, limit } => write!(
                f,
                "Cannot analyse {url}: it has {bytes} bytes, beyond the analyzer's limit of {limit} \
                 bytes; move the spawn call into a smaller module that the large one imports"
            ),
            Self::Parse { line, column, message } => {
                write!(f, "Cannot parse the caller's file at {line}:{column}: {message}; fix the syntax error")
            }
            Self::TooDeep { line, column, depth, limit } => write!(
                f,
                "Cannot analyse the caller's file: nesting reaches depth {depth} at {line}:{column}, \
                 beyond the limit of {limit}; split the deeply nested expression"
            ),
            Self::NoClosureAtPosition { line, column } => write!(
                f,
                "Cannot find a spawn call at {line}:{column}: no call there takes a function; \
                 pass the closure inline, e.g. spawn(() => work())"
            ),
            Self::NoNewExpressionAtPosition { line, column } => write!(
                f,
                "Cannot identify the object created at {line}:{column}: no `new` expression there; \
                 create it with `new` written in the source, e.g. const g = new Global(value)"
            ),
            Self::ClosureNotInline { line, column } => write!(
                f,
                "Cannot spawn the function passed at {line}:{column}: it is not written inline; \
                 wrap it, e.g. spawn(() => work())"
            ),
            Self::SourceMismatch { url, line, column } => write!(
                f,
                "Cannot spawn the closure at {url}:{line}:{column}: the function there is not the \
                 one passed to spawn, so the file changed or was transformed after it was loaded \
                 (edited on disk, or rewritten by a test runner, bundler or loader that keeps no \
                 source map in the runtime, such as Vite, vitest, jest or webpack); restart the \
                 process after an edit, and transform such code with weft's plugin for the tool \
                 (weft/vite for Vite and vitest, weft/jest, weft/webpack, weft/rollup, \
                 weft/esbuild, weft/bun), or spawn from code the runtime loads as written"
            ),
            Self::AmbiguousClosure { line, column, candidates } => write!(
                f,
                "Cannot tell which of {candidates} closures at {line}:{column} was spawned; \
                 pass the column or the function's text, or put the calls on separate lines"
            ),
            Self::ClosureHasParams { line, column } => write!(
                f,
                "Cannot spawn the closure at {line}:{column}: it declares parameters, received none; \
                 remove the parameters and capture the values instead"
            ),
            Self::ThisCaptured { line, column } => write!(
                f,
                "Cannot capture `this` at {line}:{column}: an arrow closure's `this` belongs to the \
                 caller; copy what you need into a const before spawn, e.g. const {{ x }} = this"
            ),
            Self::ArgumentsCaptured { line, column } => write!(
                f,
                "Cannot capture `arguments` at {line}:{column}: it belongs to the enclosing function; \
                 copy it into a const before spawn, e.g. const args = [...arguments]"
            ),
            Self::NewTargetCaptured { line, column } => write!(
                f,
                "Cannot capture `new.target` at {line}:{column}: it belongs to the enclosing function; \
                 copy it into a const before spawn"
            ),
            Self::SuperCaptured { line, column } => write!(
                f,
                "Cannot capture `super` at {line}:{column}: it belongs to the enclosing method; \
                 call the method before spawn and capture its result"
            ),
            Self::DirectEval { line, column } => write!(
                f,
                "Cannot spawn a closure that calls eval directly at {line}:{column} (in the closure or \
                 a top-level declaration it needs): the variables the code reads cannot be known; \
                 use (0, eval)(code) or a Function (only eval(spawn(...)), a call, is allowed)"
            ),
            Self::WithStatement { line, column } => write!(
                f,
                "Cannot spawn a closure inside or containing a `with` statement at {line}:{column}: \
                 names in it cannot be resolved; use a local variable instead"
            ),
            Self::ForeignClosure => write!(
                f,
                "Cannot generate a module for a closure found in another file or version: \
                 call closure_at on this SourceFile first"
            ),
            Self::UnknownByValueName { name } => write!(
                f,
                "Cannot pass `{name}` by value: the closure does not use a top-level name `{name}`; \
                 pass only names listed in Closure::top_level"
            ),
            Self::CannotRecreate { name, line, column } => write!(
                f,
                "Cannot re-create `{name}` (declared at {line}:{column}) in the worker: it is declared \
                 inside a top-level block or loop; pass it by value or declare it at top level"
            ),
            Self::ModifiedAtTopLevel {
                name,
                line,
                column,
                statement,
                statement_line,
                statement_column,
            } => write!(
                f,
                "Cannot re-create `{name}` (declared at {line}:{column}) in the worker: the code at \
                 {statement_line}:{statement_column} (`{statement}`), which runs when the module \
                 loads, may change it, and weft copies only a declaration and the statements that plainly complete it \
                 (`{name}.x = …`, `Object.defineProperty({name}, …)`); do that change inside the \
                 declaration or in such a statement, or pass the values the closure needs in a \
                 local variable"
            ),
            Self::AnalyzerBug {
                url,
                line,
                column,
                message,
            } => {
                write!(f, "Cannot analyse {url}")?;
                if *line != 0 {
                    write!(f, ":{line}:{column}")?;
                }
                write!(
                    f,
                    ": weft's analyzer failed ({message}); this is a bug in weft, please report it \
                     with the file; other call sites keep working"
                )
            }
        }
    }
}

impl std::error::Error for AnalyzeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serialized_tags() {
        let e = AnalyzeError::ThisCaptured {
            line: 3,
            column: 18,
        };
        assert_eq!(e.name(), "ThisCaptured");
        assert!(e.to_string().contains("3:18"));
    }
}
