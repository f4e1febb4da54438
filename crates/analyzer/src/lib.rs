//! Finds the closure passed to `spawn(...)` at a call site, its free variables, and the ES module
//! a worker needs to run it.
//!
//! The stages, one module each:
//! - `depth`: a linear pre-scan that rejects input nested too deeply to parse safely;
//! - `parse`: parse once and resolve scopes with swc ([`SourceFile`]);
//! - `locate`: find the call by source position ([`SourceFile::closure_at`] → [`Closure`]), and
//!   the `new` expression at a position ([`SourceFile::new_expression_at`]);
//! - `walk`: the walk behind every lookup by position, which enters only the nodes around it;
//! - `scope`: bindings and free variables from swc's syntax contexts ([`Capture`]);
//! - `generate`: emit the worker module ([`SourceFile::generate`] → [`GeneratedModule`]), in
//!   passes: what to re-create, swc's transforms, rewriting, assembling the text and its map;
//! - `position_map`: map positions in that module back to the caller's file ([`map_position`]);
//! - `sites`: every `eval(spawn(…))` of a file, for the build-time transform
//!   ([`SourceFile::spawn_sites`]);
//! - `identity`: whether the closure found is the function the runtime passed (its
//!   `fn.toString()`), tolerating what runtimes and transpilers change;
//! - `guard`: a panic inside any stage becomes [`AnalyzeError::AnalyzerBug`];
//! - `error`: [`AnalyzeError`].
//!
//! # Examples
//!
//! ```
//! use std::collections::HashMap;
//! use weft_analyzer::{BindingKind, SourceFile};
//!
//! let src = r#"
//! import { spawn } from "weft";
//! import _ from "lodash";
//! const factor = 3;
//! export function run(items) {
//!   return spawn(() => _.sum(items) * factor);
//! }
//! "#;
//! let file = SourceFile::parse("file:///app/jobs.js", src).unwrap();
//! let closure = file.closure_at(6, 10, None).unwrap();
//! assert_eq!(closure.locals[0].name, "items");
//! assert_eq!(closure.locals[0].kind, BindingKind::Param);
//! let names: Vec<_> = closure.top_level.iter().map(|c| c.name.as_str()).collect();
//! assert_eq!(names, ["_", "factor"]);
//! assert_eq!(closure.bare_specifiers, ["lodash"]);
//!
//! let resolved = HashMap::from([("lodash".to_owned(), "file:///app/node_modules/lodash/lodash.js".to_owned())]);
//! let module = file.generate(&closure, &["factor"], &resolved).unwrap();
//! assert!(module.code.contains("file:///app/node_modules/lodash/lodash.js"));
//! assert_eq!(module.locals, ["items"]);
//! ```

mod completion;
mod depth;
mod error;
mod generate;
mod guard;
mod identity;
mod lines;
mod locate;
mod parse;
mod position_map;
mod scope;
mod sites;
mod specifier;
mod walk;

pub use error::AnalyzeError;
pub use generate::GeneratedModule;
#[cfg(debug_assertions)]
#[doc(hidden)]
pub use guard::{INJECT_PANIC_IN_CLOSURE_AT, INJECT_PANIC_IN_PARSE};
pub use locate::Closure;
pub use parse::{
    content_hash, Language, ModuleKind, ParseOptions, SourceFile, DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SOURCE_BYTES,
};
pub use position_map::map_position;
pub use scope::{BindingKind, Capture};
pub use sites::{SpawnSite, SpawnSites, UnhandledSpawn};
pub use specifier::is_bare;
