//! Finding the closure of a `spawn(...)` call by source position, and describing what it needs.

use std::ops::ControlFlow;

use serde::Serialize;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::*;

use crate::error::AnalyzeError;
use crate::identity::{self, Header, TextMatch};
use crate::parse::SourceFile;
use crate::scope::{self, Binding, BindingKind, Capture, Declared, Id, Lexical};
use crate::specifier::is_bare;
use crate::walk::{self, Node};

/// The closure passed at one call site, with its free variables.
///
/// Produced by [`SourceFile::closure_at`]; pass it back to [`SourceFile::generate`] of the same
/// `SourceFile`. Lines are 1-based, columns 1-based in UTF-16 code units.
///
/// Serialized (by the Wasm glue, for weft's JS) with only what the JS reads: `id`, `locals`,
/// `top_level`, `bare_specifiers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// Identifies the closure within this version of the file: `<content hash>:<byte offset>`.
    /// Stable across calls, so it can key a cache of generated modules.
    pub id: String,
    /// Where the closure starts.
    #[serde(skip)]
    pub line: u32,
    #[serde(skip)]
    pub column: u32,
    /// Where the call that receives it starts.
    #[serde(skip)]
    pub call_line: u32,
    #[serde(skip)]
    pub call_column: u32,
    #[serde(skip)]
    pub is_async: bool,
    #[serde(skip)]
    pub is_generator: bool,
    #[serde(skip)]
    pub is_arrow: bool,
    /// Names bound in enclosing function or block scopes: captured by value at the call, in order
    /// of first use.
    pub locals: Vec<Capture>,
    /// Top-level names the closure uses directly (`via: None`) and, after them, those the needed
    /// top-level declarations use in turn (`via: Some(user)`). The runtime decides for each one
    /// whether to pass it by value or let the worker module re-create it.
    pub top_level: Vec<Capture>,
    /// Bare module specifiers (`"lodash"`, `"#internal"`, `"node:fs"`, `"npm:x"`, `"jsr:@std/x"`,
    /// import-map names) the worker module may load: resolve each from the caller's location and
    /// pass the results to [`SourceFile::generate`].
    pub bare_specifiers: Vec<String>,
    #[serde(skip)]
    pub(crate) span: Span,
    #[serde(skip)]
    pub(crate) file_hash: u64,
    /// The ids of `top_level`, in the same order.
    #[serde(skip)]
    pub(crate) top_ids: Vec<Id>,
    /// The top-level ids the closure uses directly.
    #[serde(skip)]
    pub(crate) direct_ids: Vec<Id>,
}

/// A call expression that meets the searched range.
struct Call {
    span: Span,
    /// Where its callee ends.
    callee_hi: BytePos,
    /// Spans of its arguments.
    args: Vec<Span>,
    /// Its arguments that are functions written inline.
    closures: Vec<(Span, Header)>,
}

impl Call {
    fn new(span: Span, callee: Span, args: &[ExprOrSpread]) -> Call {
        let closures = args
            .iter()
            .filter(|a| a.spread.is_none())
            .filter_map(|a| unwrap_closure(&a.expr))
            .collect();
        Call {
            span,
            callee_hi: callee.hi,
            args: args.iter().map(Spanned::span).collect(),
            closures,
        }
    }

    /// Whether a position reported for this call can be `at`: inside the call but not inside one
    /// of its arguments past their first character. V8 reports the callee; JavaScriptCore the
    /// callee, the end of a callee that is itself a call, the `)`, or the start of an argument.
    fn is_at(&self, at: BytePos) -> bool {
        self.span.lo <= at && at < self.span.hi && !self.args.iter().any(|a| a.lo < at && at < a.hi)
    }

    fn size(&self) -> u32 {
        self.span.hi.0 - self.span.lo.0
    }

    /// The closures written inline in this call, as candidates.
    fn candidates(&self) -> impl Iterator<Item = Candidate<'_>> {
        self.closures.iter().map(|(closure, header)| Candidate {
            call: self.span,
            closure: *closure,
            header,
        })
    }
}

/// The span and header of a function written inline, looking through parentheses and type
/// assertions.
fn unwrap_closure(e: &Expr) -> Option<(Span, Header)> {
    let e = crate::walk::unwrapped(e);
    match e {
        Expr::Arrow(a) => Some((a.span, Header::of(e)?)),
        Expr::Fn(f) => Some((f.function.span, Header::of(e)?)),
        _ => None,
    }
}

/// The calls and `with` statements that meet a searched range, in source order.
struct CallSites {
    calls: Vec<Call>,
    withs: Vec<Span>,
}

impl CallSites {
    fn collect(module: &Module, range: Span) -> CallSites {
        let mut sites = CallSites {
            calls: Vec::new(),
            withs: Vec::new(),
        };
        walk::search::<()>(module, range, |node| {
            let (span, callee, args) = match node {
                Node::Expr(Expr::Call(c)) if !matches!(c.callee, Callee::Import(_)) => {
                    (c.span, c.callee.span(), &c.args)
                }
                Node::Expr(Expr::OptChain(o)) => match &*o.base {
                    OptChainBase::Call(c) => (c.span, c.callee.span(), &c.args),
                    OptChainBase::Member(_) => return ControlFlow::Continue(()),
                },
                Node::Stmt(Stmt::With(w)) => {
                    sites.withs.push(w.span);
                    return ControlFlow::Continue(());
                }
                _ => return ControlFlow::Continue(()),
            };
            if walk::meets(span, range) {
                sites.calls.push(Call::new(span, callee, args));
            }
            ControlFlow::Continue(())
        });
        sites
    }

    /// The closures passed at `at`: those of the innermost call the position can be reported for.
    fn at(&self, at: BytePos) -> Result<Vec<Candidate<'_>>, Miss> {
        let reported: Vec<&Call> = self.calls.iter().filter(|c| c.is_at(at)).collect();
        let Some(mut call) = reported.iter().copied().min_by_key(|c| c.size()) else {
            return Err(Miss::NoCall);
        };
        // JavaScriptCore reports a call of a call (`make()(() => 1)`) at the end of its callee,
        // the inner call's `)`.
        if at.0 + 1 == call.span.hi.0 {
            let inner = call.span;
            if let Some(outer) = reported
                .iter()
                .copied()
                .filter(|c| c.span != inner && c.callee_hi == inner.hi)
                .min_by_key(|c| c.size())
            {
                call = outer;
            }
        }
        if call.closures.is_empty() {
            return Err(if call.args.is_empty() {
                Miss::NoCall
            } else {
                Miss::NotInline
            });
        }
        Ok(call.candidates().collect())
    }

    /// The closures passed in every call starting in `line`, and whether one of those calls
    /// passes something that is not a function written inline.
    fn on_line(&self, line: Span) -> (Vec<Candidate<'_>>, bool) {
        let mut candidates = Vec::new();
        let mut not_inline = false;
        for c in self
            .calls
            .iter()
            .filter(|c| line.lo <= c.span.lo && c.span.lo <= line.hi)
        {
            candidates.extend(c.candidates());
            not_inline |= c.closures.is_empty() && !c.args.is_empty();
        }
        (candidates, not_inline)
    }

    /// The outermost `with` statement around `call`.
    fn with_around(&self, call: Span) -> Option<Span> {
        self.withs.iter().copied().find(|w| w.contains(call))
    }
}

/// A closure a position may mean.
struct Candidate<'a> {
    /// The call it is passed to.
    call: Span,
    closure: Span,
    header: &'a Header,
}

/// Why no closure was found at a position.
enum Miss {
    /// No call there, or one without arguments.
    NoCall,
    /// The call passes something other than a function written inline.
    NotInline,
}

fn capture(file: &SourceFile, i: &Id, b: &Binding, via: Option<&Id>) -> Capture {
    let (line, column) = file.pos(b.span.lo);
    let kind = match b.decl {
        Declared::Value(k) => k,
        _ => BindingKind::Const,
    };
    Capture {
        name: i.0.to_string(),
        kind,
        line,
        column,
        via: via.map(|v| v.0.to_string()),
    }
}

/// Describes the closure `expr` (an arrow or function expression) passed to the call at `call`.
fn analyze(file: &SourceFile, expr: &Expr, call: Span) -> Result<Closure, AnalyzeError> {
    let (has_params, is_async, is_generator, is_arrow) = match expr {
        Expr::Arrow(a) => (!a.params.is_empty(), a.is_async, a.is_generator, true),
        Expr::Fn(f) => {
            let f = &f.function;
            (!f.params.is_empty(), f.is_async, f.is_generator, false)
        }
        _ => unreachable!("closure_with_span yields arrows and function expressions"),
    };
    let span = expr.span();
    let (line, column) = file.pos(span.lo);
    if has_params {
        return Err(AnalyzeError::ClosureHasParams { line, column });
    }
    let fv = scope::free_vars(expr, span, &file.scope, file.unresolved, file.top_level);
    if let Some((what, at)) = fv.lexical.iter().min_by_key(|(_, s)| s.lo) {
        let (line, column) = file.pos(at.lo);
        return Err(match what {
            Lexical::This => AnalyzeError::ThisCaptured { line, column },
            Lexical::Arguments => AnalyzeError::ArgumentsCaptured { line, column },
            Lexical::NewTarget => AnalyzeError::NewTargetCaptured { line, column },
            Lexical::Super => AnalyzeError::SuperCaptured { line, column },
            Lexical::DirectEval => AnalyzeError::DirectEval { line, column },
            Lexical::With => AnalyzeError::WithStatement { line, column },
        });
    }
    let locals = fv
        .locals
        .iter()
        .map(|(i, b)| capture(file, i, b, None))
        .collect();
    let mut roots: Vec<Id> = fv.top_level.iter().map(|(i, _)| i.clone()).collect();
    let (mut reached, mut parts) = scope::reach(&file.scope, &file.module, &roots, &|_| false);
    // JSX compiled with the classic runtime calls `React.createElement`: keep React reachable.
    let jsx = fv.has_jsx
        || parts
            .iter()
            .any(|&p| file.scope.part_refs(&file.module, p).has_jsx);
    if let Some(react) = file
        .scope
        .jsx_factory(file.top_level)
        .filter(|r| jsx && !roots.contains(r))
    {
        roots.push(react);
        (reached, parts) = scope::reach(&file.scope, &file.module, &roots, &|_| false);
    }
    let mut top_level = Vec::new();
    let mut top_ids = Vec::new();
    for (i, via) in &reached {
        if let Some(b) = file.scope.binding(i) {
            if matches!(b.decl, Declared::Value(_)) {
                top_level.push(capture(file, i, b, via.as_ref()));
                top_ids.push(i.clone());
            }
        }
    }
    let mut bare: Vec<String> = Vec::new();
    let part_specs = parts
        .iter()
        .flat_map(|&p| file.scope.part_refs(&file.module, p).specifiers.iter());
    for s in fv.dynamic_imports.iter().chain(part_specs) {
        if is_bare(s) && !bare.contains(s) {
            bare.push(s.clone());
        }
    }
    let (call_line, call_column) = file.pos(call.lo);
    Ok(Closure {
        id: format!(
            "{:016x}:{}",
            file.hash,
            span.lo.0.saturating_sub(file.start)
        ),
        line,
        column,
        call_line,
        call_column,
        is_async,
        is_generator,
        is_arrow,
        locals,
        top_level,
        bare_specifiers: bare,
        span,
        file_hash: file.hash,
        top_ids,
        direct_ids: roots,
    })
}

impl SourceFile {
    /// Finds the closure passed to the call at `line`:`column` and works out what it captures.
    ///
    /// `line` and `column` are 1-based, the column in UTF-16 code units, as a JS stack trace
    /// reports them. The call is the innermost one the position lies in but not inside one of
    /// its arguments: V8 and JavaScriptCore point at the callee (or, for a call of a call, the end
    /// of it), the `(`, or the line of the `)`. It is found by position, never by the callee's
    /// name, and never widened to an enclosing call: a call whose argument is not a function
    /// written inline is [`AnalyzeError::ClosureNotInline`] even when it sits in a callback that
    /// is one. Column `0` means "unknown": every call starting on the line is a candidate, and
    /// without `fn_text` nothing tells a spawn of a function that is not inline from the callback
    /// around it; with it, only a closure whose text is the source (up to whitespace and types)
    /// wins over a call on the line that passes something else.
    ///
    /// `fn_text`, the runtime's text of the function passed (`fn.toString()`), is checked against
    /// the closure found, tolerating what runtimes and transpilers do to it (whitespace, stripped
    /// types, reprinting, folded constants), and picks among several candidates.
    ///
    /// # Errors
    /// [`AnalyzeError::NoClosureAtPosition`], [`AnalyzeError::ClosureNotInline`],
    /// [`AnalyzeError::SourceMismatch`], [`AnalyzeError::AmbiguousClosure`],
    /// [`AnalyzeError::ClosureHasParams`], the capture errors ([`AnalyzeError::ThisCaptured`],
    /// [`AnalyzeError::ArgumentsCaptured`], …), and [`AnalyzeError::AnalyzerBug`].
    ///
    /// # Examples
    /// ```
    /// use weft_analyzer::SourceFile;
    ///
    /// let src = "import { spawn as go } from 'weft';\nfunction f(k) { return go(() => k + 1), go(() => k * 2); }\n";
    /// let file = SourceFile::parse("file:///a.js", src).unwrap();
    /// let second = file.closure_at(2, 43, Some("() => k * 2")).unwrap();
    /// assert_eq!(second.column, 44);
    /// assert_eq!(second.locals[0].name, "k");
    /// // The runtime ran another function than the one written there.
    /// assert_eq!(file.closure_at(2, 43, Some("() => other()")).unwrap_err().name(), "SourceMismatch");
    /// ```
    pub fn closure_at(
        &self,
        line: u32,
        column: u32,
        fn_text: Option<&str>,
    ) -> Result<Closure, AnalyzeError> {
        crate::guard::catch(&self.url, line, column, || {
            #[cfg(debug_assertions)]
            crate::guard::inject_panic(self.src(), crate::guard::INJECT_PANIC_IN_CLOSURE_AT);
            self.find_closure(line, column, fn_text)
        })
    }

    fn find_closure(
        &self,
        line: u32,
        column: u32,
        fn_text: Option<&str>,
    ) -> Result<Closure, AnalyzeError> {
        let not_found = AnalyzeError::NoClosureAtPosition { line, column };
        let not_inline = AnalyzeError::ClosureNotInline { line, column };
        let Some(range) = self.search_range(line, column) else {
            return Err(not_found);
        };
        let sites = CallSites::collect(&self.module, range);
        let (mut candidates, not_inline_on_line) = if column == 0 {
            sites.on_line(range)
        } else {
            match sites.at(range.lo) {
                Ok(candidates) => (candidates, false),
                Err(Miss::NoCall) => return Err(not_found),
                Err(Miss::NotInline) => return Err(not_inline),
            }
        };
        if candidates.is_empty() {
            return Err(if not_inline_on_line {
                not_inline
            } else {
                not_found
            });
        }
        if let Some(text) = fn_text {
            let best = self.keep_best_matches(&mut candidates, text);
            if best == TextMatch::Different {
                if not_inline_on_line {
                    return Err(not_inline);
                }
                let (line, column) = self.pos(candidates[0].closure.lo);
                return Err(AnalyzeError::SourceMismatch {
                    url: self.url.clone(),
                    line,
                    column,
                });
            }
            // Without a column, a call on the line that passes something else may be the spawn
            // (`then(() => eval(spawn(f)))`): only the exact text tells the closure apart.
            if column == 0 && best == TextMatch::Transformed && not_inline_on_line {
                return Err(not_inline);
            }
        }
        let (call, closure) = match candidates.as_slice() {
            [] => return Err(not_found),
            [one] => (one.call, one.closure),
            many => {
                return Err(AnalyzeError::AmbiguousClosure {
                    line,
                    column,
                    candidates: many.len() as u32,
                })
            }
        };
        if let Some(with) = sites.with_around(call) {
            let (line, column) = self.pos(with.lo);
            return Err(AnalyzeError::WithStatement { line, column });
        }
        walk::closure_with_span(&self.module, closure, |expr| analyze(self, expr, call))
            .unwrap_or(Err(not_found))
    }

    /// The byte range a reported position stands for: the position itself, or the whole line
    /// when the column is unknown (`0`). `None` past the end of the line or the file.
    fn search_range(&self, line: u32, column: u32) -> Option<Span> {
        let offset = |column| {
            let offset = self.lines.offset(self.src(), line, column)?;
            Some(BytePos(offset + self.start))
        };
        let (lo, hi) = if column == 0 {
            (offset(1), offset(u32::MAX))
        } else {
            (offset(column), offset(column))
        };
        Some(Span { lo: lo?, hi: hi? })
    }

    /// Compares each candidate's source with `fn_text`, the runtime's text of the function, and
    /// keeps only the best matches (all of them when none matches). Returns how well they match.
    fn keep_best_matches(&self, candidates: &mut Vec<Candidate<'_>>, fn_text: &str) -> TextMatch {
        let matches: Vec<TextMatch> = candidates
            .iter()
            .map(|c| {
                let properties =
                    walk::closure_with_span(&self.module, c.closure, identity::property_names)
                        .unwrap_or_default();
                identity::compare(self.text(c.closure), c.header, &properties, fn_text)
            })
            .collect();
        let best = matches
            .iter()
            .copied()
            .min()
            .unwrap_or(TextMatch::Different);
        if best != TextMatch::Different {
            let mut kept = matches.iter().map(|&m| m == best);
            candidates.retain(|_| kept.next().unwrap_or(false));
        }
        best
    }

    /// The start (1-based line, UTF-16 column) of the innermost `new` expression containing
    /// `line`:`column`.
    ///
    /// Engines report a construction at different points of it: V8 at the `new` keyword,
    /// JavaScriptCore at the callee or the `(`. All of them lie inside the same expression, so the
    /// answer is a stable identity for it, e.g. for an object shared between threads created by
    /// `new Global(...)`. In `new Global(new Mutex(buffer))`, every position of `new Global` up to
    /// its `(` gives the outer expression; positions inside its arguments give the inner one
    /// wherever one contains them. The callee is not looked at: aliased and namespaced classes
    /// (`new G(...)`, `new weft.Global(...)`) work alike.
    ///
    /// # Errors
    /// [`AnalyzeError::NoNewExpressionAtPosition`] when no `new` expression contains the position,
    /// [`AnalyzeError::AnalyzerBug`].
    ///
    /// # Examples
    /// ```
    /// use weft_analyzer::SourceFile;
    ///
    /// let src = "import { Global as G, Mutex } from 'weft';\nconst a = new G(new Mutex(new SharedArrayBuffer(4))), b = new G(1);\n";
    /// let file = SourceFile::parse("file:///a.js", src).unwrap();
    /// assert_eq!(file.new_expression_at(2, 11), Ok((2, 11))); // V8: `new`
    /// assert_eq!(file.new_expression_at(2, 15), Ok((2, 11))); // JSC: the callee
    /// assert_eq!(file.new_expression_at(2, 16), Ok((2, 11))); // JSC: `(`
    /// assert_eq!(file.new_expression_at(2, 17), Ok((2, 17))); // the inner `new Mutex`
    /// assert_eq!(file.new_expression_at(2, 63), Ok((2, 59))); // b
    /// assert!(file.new_expression_at(2, 1).is_err());
    /// ```
    pub fn new_expression_at(&self, line: u32, column: u32) -> Result<(u32, u32), AnalyzeError> {
        crate::guard::catch(&self.url, line, column, || {
            let not_found = AnalyzeError::NoNewExpressionAtPosition { line, column };
            let at = self
                .lines
                .offset(self.src(), line, column.max(1))
                .ok_or(not_found.clone())?;
            let at = BytePos(at + self.start);
            let mut innermost: Option<Span> = None;
            walk::search::<()>(&self.module, Span { lo: at, hi: at }, |node| {
                if let Node::Expr(Expr::New(new)) = node {
                    let size = |s: Span| s.hi.0 - s.lo.0;
                    if new.span.lo <= at
                        && at < new.span.hi
                        && innermost.is_none_or(|i| size(new.span) <= size(i))
                    {
                        innermost = Some(new.span);
                    }
                }
                ControlFlow::Continue(())
            });
            innermost.map(|s| self.pos(s.lo)).ok_or(not_found)
        })
    }
}
