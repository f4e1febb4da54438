//! Finding the closure of a `spawn(...)` call by source position, and describing what it needs.

use serde::Serialize;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use crate::error::AnalyzeError;
use crate::identity::{self, Header, TextMatch};
use crate::parse::SourceFile;
use crate::scope::{self, Binding, BindingKind, Capture, Declared, Id, Lexical};
use crate::specifier::is_bare;

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

/// A call expression that overlaps the searched range.
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
    /// Whether a position reported for this call can be `at`: inside the call but not inside one
    /// of its arguments past their first character. V8 reports the callee; JavaScriptCore the
    /// callee, the end of a callee that is itself a call, the `)`, or the start of an argument.
    fn is_at(&self, at: BytePos) -> bool {
        self.span.lo <= at && at < self.span.hi && !self.args.iter().any(|a| a.lo < at && at < a.hi)
    }

    fn size(&self) -> u32 {
        self.span.hi.0 - self.span.lo.0
    }
}

struct Finder {
    lo: BytePos,
    hi: BytePos,
    calls: Vec<Call>,
    withs: Vec<Span>,
}

/// The span and header of a function written inline, looking through parentheses and type
/// assertions.
fn unwrap_closure(e: &Expr) -> Option<(Span, Header)> {
    match e {
        Expr::Arrow(a) => Some((a.span, Header::of(e)?)),
        Expr::Fn(f) => Some((f.function.span, Header::of(e)?)),
        Expr::Paren(p) => unwrap_closure(&p.expr),
        Expr::TsAs(t) => unwrap_closure(&t.expr),
        Expr::TsSatisfies(t) => unwrap_closure(&t.expr),
        Expr::TsNonNull(t) => unwrap_closure(&t.expr),
        Expr::TsTypeAssertion(t) => unwrap_closure(&t.expr),
        Expr::TsConstAssertion(t) => unwrap_closure(&t.expr),
        _ => None,
    }
}

impl Finder {
    fn overlaps(&self, s: Span) -> bool {
        s.lo <= self.hi && self.lo <= s.hi
    }

    fn call(&mut self, span: Span, callee: Span, args: &[ExprOrSpread]) {
        if !self.overlaps(span) {
            return;
        }
        let closures = args
            .iter()
            .filter(|a| a.spread.is_none())
            .filter_map(|a| unwrap_closure(&a.expr))
            .collect();
        self.calls.push(Call {
            span,
            callee_hi: callee.hi,
            args: args.iter().map(Spanned::span).collect(),
            closures,
        });
    }
}

impl Visit for Finder {
    fn visit_module_item(&mut self, n: &ModuleItem) {
        if self.overlaps(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_stmt(&mut self, n: &Stmt) {
        if self.overlaps(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_expr(&mut self, n: &Expr) {
        if self.overlaps(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_class_member(&mut self, n: &ClassMember) {
        if self.overlaps(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_prop_or_spread(&mut self, n: &PropOrSpread) {
        if self.overlaps(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_call_expr(&mut self, n: &CallExpr) {
        if !matches!(n.callee, Callee::Import(_)) {
            self.call(n.span, n.callee.span(), &n.args);
        }
        n.visit_children_with(self);
    }
    fn visit_opt_call(&mut self, n: &OptCall) {
        self.call(n.span, n.callee.span(), &n.args);
        n.visit_children_with(self);
    }
    fn visit_with_stmt(&mut self, n: &WithStmt) {
        if self.overlaps(n.span) {
            self.withs.push(n.span);
        }
        n.visit_children_with(self);
    }
    fn visit_ts_type(&mut self, _: &TsType) {}
}

/// The innermost `new` expression containing a position.
struct NewFinder {
    at: BytePos,
    found: Option<Span>,
}

impl NewFinder {
    fn contains(&self, s: Span) -> bool {
        s.lo <= self.at && self.at < s.hi
    }
}

impl Visit for NewFinder {
    fn visit_module_item(&mut self, n: &ModuleItem) {
        if self.contains(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_stmt(&mut self, n: &Stmt) {
        if self.contains(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_expr(&mut self, n: &Expr) {
        if self.contains(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_class_member(&mut self, n: &ClassMember) {
        if self.contains(n.span()) {
            n.visit_children_with(self);
        }
    }
    fn visit_new_expr(&mut self, n: &NewExpr) {
        if self.contains(n.span)
            && self
                .found
                .is_none_or(|f| n.span.hi.0 - n.span.lo.0 <= f.hi.0 - f.lo.0)
        {
            self.found = Some(n.span);
        }
        n.visit_children_with(self);
    }
    fn visit_ts_type(&mut self, _: &TsType) {}
}

/// Finds the closure expression with a given span and analyses it.
struct Fetch<'f> {
    file: &'f SourceFile,
    target: Span,
    call: Span,
    result: Option<Result<Closure, AnalyzeError>>,
}

impl Visit for Fetch<'_> {
    fn visit_module_item(&mut self, n: &ModuleItem) {
        if self.result.is_none() && n.span().contains(self.target) {
            n.visit_children_with(self);
        }
    }
    fn visit_stmt(&mut self, n: &Stmt) {
        if self.result.is_none() && n.span().contains(self.target) {
            n.visit_children_with(self);
        }
    }
    fn visit_class_member(&mut self, n: &ClassMember) {
        if self.result.is_none() && n.span().contains(self.target) {
            n.visit_children_with(self);
        }
    }
    fn visit_expr(&mut self, n: &Expr) {
        if self.result.is_some() || !n.span().contains(self.target) {
            return;
        }
        match n {
            Expr::Arrow(a) if a.span == self.target => {
                self.result = Some(analyze(
                    self.file,
                    n,
                    a.params.is_empty(),
                    a.is_async,
                    a.is_generator,
                    true,
                    self.call,
                ));
            }
            Expr::Fn(f) if f.function.span == self.target => {
                let func = &f.function;
                self.result = Some(analyze(
                    self.file,
                    n,
                    func.params.is_empty(),
                    func.is_async,
                    func.is_generator,
                    false,
                    self.call,
                ));
            }
            _ => n.visit_children_with(self),
        }
    }
    fn visit_ts_type(&mut self, _: &TsType) {}
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

fn analyze(
    file: &SourceFile,
    expr: &Expr,
    no_params: bool,
    is_async: bool,
    is_generator: bool,
    is_arrow: bool,
    call: Span,
) -> Result<Closure, AnalyzeError> {
    let span = expr.span();
    let (line, column) = file.pos(span.lo);
    if !no_params {
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
        let offset = |column| self.lines.offset(self.src(), line, column);
        let (lo, hi) = if column == 0 {
            (offset(1), offset(u32::MAX))
        } else {
            (offset(column), offset(column))
        };
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Err(not_found);
        };
        let (lo, hi) = (BytePos(lo + self.start), BytePos(hi + self.start));
        let mut finder = Finder {
            lo,
            hi,
            calls: Vec::new(),
            withs: Vec::new(),
        };
        self.module.visit_with(&mut finder);

        // (call span, closure span, closure header) candidates.
        let mut candidates: Vec<(Span, Span, &Header)> = Vec::new();
        let mut not_inline_on_line = false;
        if column == 0 {
            for c in finder
                .calls
                .iter()
                .filter(|c| lo <= c.span.lo && c.span.lo <= hi)
            {
                candidates.extend(c.closures.iter().map(|(s, h)| (c.span, *s, h)));
                not_inline_on_line |= c.closures.is_empty() && !c.args.is_empty();
            }
        } else {
            let at: Vec<&Call> = finder.calls.iter().filter(|c| c.is_at(lo)).collect();
            let Some(mut call) = at.iter().copied().min_by_key(|c| c.size()) else {
                return Err(not_found);
            };
            // JavaScriptCore reports a call of a call (`make()(() => 1)`) at the end of its
            // callee, the inner call's `)`.
            if lo.0 + 1 == call.span.hi.0 {
                let inner = call.span;
                if let Some(outer) = at
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
                    not_found
                } else {
                    not_inline
                });
            }
            candidates.extend(call.closures.iter().map(|(s, h)| (call.span, *s, h)));
        }
        if candidates.is_empty() {
            return Err(if not_inline_on_line {
                not_inline
            } else {
                not_found
            });
        }
        if let Some(text) = fn_text {
            let matches: Vec<TextMatch> = candidates
                .iter()
                .map(|(_, s, h)| identity::compare(self.text(*s), h, text))
                .collect();
            let best = matches
                .iter()
                .copied()
                .min()
                .unwrap_or(TextMatch::Different);
            if best == TextMatch::Different {
                if not_inline_on_line {
                    return Err(not_inline);
                }
                let (line, column) = self.pos(candidates[0].1.lo);
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
            let mut kept = matches.iter().map(|&m| m == best);
            candidates.retain(|_| kept.next().unwrap_or(false));
        }
        let (call, target) = match candidates.as_slice() {
            [] => return Err(not_found),
            [(call, target, _)] => (*call, *target),
            many => {
                return Err(AnalyzeError::AmbiguousClosure {
                    line,
                    column,
                    candidates: many.len() as u32,
                })
            }
        };
        if let Some(w) = finder.withs.iter().find(|w| w.contains(call)) {
            let (line, column) = self.pos(w.lo);
            return Err(AnalyzeError::WithStatement { line, column });
        }
        let mut fetch = Fetch {
            file: self,
            target,
            call,
            result: None,
        };
        self.module.visit_with(&mut fetch);
        fetch.result.unwrap_or(Err(not_found))
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
            let mut finder = NewFinder {
                at: BytePos(at + self.start),
                found: None,
            };
            self.module.visit_with(&mut finder);
            finder.found.map(|s| self.pos(s.lo)).ok_or(not_found)
        })
    }
}
