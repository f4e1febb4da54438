//! Building the ES module a worker imports to run one closure, in passes:
//!
//! 1. [`recreate`]: which top-level declarations the closure needs re-created, and copies of
//!    them, checked to be re-creatable;
//! 2. [`lower`]: swc's passes over those copies and the closure (TypeScript stripped, parentheses
//!    fixed);
//! 3. [`rewrite`]: what must keep naming the caller's file (specifiers, `import.meta`,
//!    `__filename`), rewritten;
//! 4. [`assemble`]: the module's text around the pieces, with the position map back to the
//!    caller's file.

mod assemble;
mod lower;
mod recreate;
mod rewrite;

use std::collections::HashMap;

use serde::Serialize;
use swc_ecma_visit::{VisitMutWith, VisitWith};

use crate::error::AnalyzeError;
use crate::locate::Closure;
use crate::parse::SourceFile;
use crate::scope::Refs;

use self::assemble::Assembly;
use self::lower::Pieces;
use self::rewrite::Rewrite;

/// The worker module for one closure.
///
/// ```js
/// import { helper } from "file:///app/src/util.js";   // only the imports the closure needs
/// export default function __weft_run(__weft_locals, __weft_top) {
/// let { limit } = __weft_top;                          // top-level names passed by value
/// function square(x) { return x * x; }                 // top-level declarations re-created
/// return (({ n }) => (() => helper(square(n), limit))())(__weft_locals);
/// }
/// ```
///
/// The runtime imports the module and calls its default export with two objects: the values of
/// [`GeneratedModule::locals`] (the closure's enclosing-scope captures) and of
/// [`GeneratedModule::top_level`] (the top-level names it chose to pass by value). The export
/// returns whatever the closure returns (a promise for async closures, and always a promise when
/// [`GeneratedModule::is_async`] is set because a re-created declaration awaits).
///
/// In CommonJS callers, `require` keeps resolving from the caller's file: the module creates it
/// with `createRequire(<caller URL>)` from `node:module` when the copied code uses it.
///
/// Nothing else of the caller's module runs: re-created declarations are evaluated inside the
/// export on every call, in their original order; imports stay at module level. Locals are bound
/// in an inner scope, so they may share a name with a top-level declaration the closure reaches
/// only indirectly.
///
/// The wrapper's own names start with `__weft_`, or with `__weft1_`, `__weft2_`, … when the
/// caller's file contains `__weft_` anywhere: no name in the file can collide with them.
///
/// Serialized (by the Wasm glue, for weft's JS) with only what the JS reads: `code` and
/// `mappings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedModule {
    /// ES module source text.
    pub code: String,
    /// The export to call: always `"default"`.
    #[serde(skip)]
    pub export_name: String,
    /// Keys the export reads from its first argument: the closure's enclosing-scope captures.
    #[serde(skip)]
    pub locals: Vec<String>,
    /// Keys the export reads from its second argument: the top-level names passed by value that
    /// the closure or a re-created declaration uses.
    #[serde(skip)]
    pub top_level: Vec<String>,
    /// The export is an `async` function because a re-created top-level declaration awaits.
    #[serde(skip)]
    pub is_async: bool,
    /// The code contains JSX: load it as `.jsx` (the caller's runtime must support JSX).
    #[serde(skip)]
    pub has_jsx: bool,
    /// Bare specifiers that were left as written because `resolved` had no entry for them.
    #[serde(skip)]
    pub unresolved_bare: Vec<String>,
    /// Where the copied code (imports, re-created declarations, the closure) came from in the
    /// caller's file: sorted `[generated_line, generated_column, original_line, original_column]`
    /// entries, 1-based, columns in UTF-16 code units; an original line of `0` ends the mapped
    /// text on its line. Look positions up with [`map_position`](crate::map_position): a stack
    /// frame inside the module, or a `spawn(...)`/`new X(...)` call in it (a spawn nested in a
    /// worker), becomes a position in the caller's file to report or analyse there.
    pub mappings: Vec<[u32; 4]>,
}

/// The names the wrapper code declares, with a prefix that occurs nowhere in the caller's file.
struct WrapperNames {
    run: String,
    locals: String,
    top: String,
    create_require: String,
    /// Marks the closure among the items handed to the transforms; never printed.
    closure: String,
}

impl WrapperNames {
    fn for_text(text: &str) -> WrapperNames {
        let prefix = (0u32..)
            .map(|n| match n {
                0 => "__weft_".to_owned(),
                n => format!("__weft{n}_"),
            })
            .find(|p| !text.contains(p.as_str()))
            .expect("a text cannot contain every prefix");
        WrapperNames {
            run: format!("{prefix}run"),
            locals: format!("{prefix}locals"),
            top: format!("{prefix}top"),
            create_require: format!("{prefix}createRequire"),
            closure: format!("{prefix}closure"),
        }
    }
}

impl SourceFile {
    /// Emits the ES module that runs `closure` in a worker.
    ///
    /// `by_value` lists the top-level names (from [`Closure::top_level`]) the runtime will pass by
    /// value; every other top-level name the closure needs is re-created from its import or
    /// declaration, transitively. `resolved` maps bare specifiers (see
    /// [`Closure::bare_specifiers`]) to the URLs they resolve to from the caller; unmapped bare
    /// specifiers are left as written. Relative specifiers become absolute URLs, and
    /// `import.meta.url`/`filename`/`dirname` (and `__filename`/`__dirname` in CommonJS) keep
    /// naming the caller's file.
    ///
    /// # Errors
    /// [`AnalyzeError::ForeignClosure`] if `closure` came from another file or version,
    /// [`AnalyzeError::UnknownByValueName`] for a `by_value` name the closure does not use,
    /// [`AnalyzeError::CannotRecreate`], and [`AnalyzeError::DirectEval`] when a declaration to
    /// re-create calls `eval` directly with anything but a call (`eval(spawn(...))` is fine).
    ///
    /// # Examples
    /// ```
    /// use std::collections::HashMap;
    /// use weft_analyzer::SourceFile;
    ///
    /// let src = "import { spawn } from 'weft';\nimport { sum } from './math.js';\nconst data = [1, 2];\nspawn(() => sum(data));\n";
    /// let file = SourceFile::parse("file:///app/main.js", src).unwrap();
    /// let closure = file.closure_at(4, 1, None).unwrap();
    /// let module = file.generate(&closure, &["data"], &HashMap::new()).unwrap();
    /// assert!(module.code.contains(r#"import { sum } from "file:///app/math.js";"#));
    /// assert!(!module.code.contains("from \"weft\""));
    /// assert_eq!(module.top_level, ["data"]);
    /// ```
    pub fn generate(
        &self,
        closure: &Closure,
        by_value: &[&str],
        resolved: &HashMap<String, String>,
    ) -> Result<GeneratedModule, AnalyzeError> {
        let (line, column) = (closure.call_line, closure.call_column);
        crate::guard::catch(&self.url, line, column, || {
            self.generate_unguarded(closure, by_value, resolved)
        })
    }

    fn generate_unguarded(
        &self,
        closure: &Closure,
        by_value: &[&str],
        resolved: &HashMap<String, String>,
    ) -> Result<GeneratedModule, AnalyzeError> {
        if closure.file_hash != self.hash {
            return Err(AnalyzeError::ForeignClosure);
        }
        let plan = recreate::plan(self, closure, by_value)?;
        let declarations = recreate::copy(self, &plan.parts);
        let names = WrapperNames::for_text(self.src());
        let mut module = lower::lower(self, declarations, closure.span, &names)
            .ok_or(AnalyzeError::ForeignClosure)?;
        let mut rewrite = Rewrite::new(self, resolved);
        module.visit_mut_with(&mut rewrite);
        let pieces = Pieces::split(module, &names).ok_or(AnalyzeError::ForeignClosure)?;

        let mut awaits = Refs::new(self.unresolved);
        pieces.body.visit_with(&mut awaits);
        let is_async = awaits.has_await;
        let locals: Vec<String> = closure.locals.iter().map(|c| c.name.clone()).collect();
        let Assembly { code, mappings } = assemble::assemble(
            self,
            pieces,
            &assemble::Wrapper {
                names: &names,
                is_async,
                uses_require: rewrite.uses_require,
                locals: &locals,
                by_value: &plan.by_value,
            },
        );
        Ok(GeneratedModule {
            code,
            export_name: "default".to_owned(),
            locals,
            top_level: plan.by_value,
            is_async,
            has_jsx: rewrite.has_jsx,
            unresolved_bare: rewrite.unresolved_bare,
            mappings,
        })
    }
}
