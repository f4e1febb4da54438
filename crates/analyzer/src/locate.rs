//! Finding the closure of a `spawn(...)` call by source position, and describing what it needs.

use serde::Serialize;
use swc_common::{BytePos, Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use crate::error::AnalyzeError;
use crate::parse::SourceFile;
use crate::scope::{self, Binding, BindingKind, Capture, Declared, Id, Lexical};
use crate::specifier::is_bare;

/// The closure passed at one call site, with its free variables.
///
/// Produced by [`SourceFile::closure_at`]; pass it back to [`SourceFile::generate`] of the same
/// `SourceFile`. Lines are 1-based, columns 1-based in UTF-16 code units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// Identifies the closure within this version of the file: `<content hash>:<byte offset>`.
    /// Stable across calls, so it can key a cache of generated modules.
    pub id: String,
    /// Where the closure starts.
    pub line: u32,
    pub column: u32,
    /// Where the call that receives it starts.
    pub call_line: u32,
    pub call_column: u32,
    pub is_async: bool,
    pub is_generator: bool,
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
    /// Spans of its inline function arguments.
    closures: Vec<Span>,
    /// Whether it has any argument at all that could be a closure.
    has_args: bool,
}

struct Finder {
    lo: BytePos,
    hi: BytePos,
    calls: Vec<Call>,
    withs: Vec<Span>,
}

fn unwrap_closure(e: &Expr) -> Option<Span> {
    match e {
        Expr::Arrow(a) => Some(a.span),
        Expr::Fn(f) => Some(f.function.span),
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

    fn call(&mut self, span: Span, args: &[ExprOrSpread]) {
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
            closures,
            has_args: !args.is_empty(),
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
            self.call(n.span, &n.args);
        }
        n.visit_children_with(self);
    }
    fn visit_opt_call(&mut self, n: &OptCall) {
        self.call(n.span, &n.args);
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

/// How closely a closure's source matches `fn.toString()`: whitespace is ignored, and the
/// longest common prefix wins (a transpiled TypeScript closure loses its annotations).
fn similarity(source: &str, fn_text: &str) -> usize {
    let a = source.chars().filter(|c| !c.is_whitespace());
    let b = fn_text.chars().filter(|c| !c.is_whitespace());
    let (mut n, mut equal) = (0usize, true);
    let mut a = a.peekable();
    let mut b = b.peekable();
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (None, None) => break,
            _ => {
                equal = false;
                break;
            }
        }
    }
    if equal {
        usize::MAX
    } else {
        n
    }
}

impl SourceFile {
    /// Finds the closure passed to the call at `line`:`column` and works out what it captures.
    ///
    /// `line` and `column` are 1-based, the column in UTF-16 code units, as a JS stack trace
    /// reports them; any position inside the call expression works (V8 points at the callee,
    /// JavaScriptCore elsewhere in the call). The call is found by position, never by the callee's
    /// name. Column `0` means "unknown": every call starting on the line is a candidate.
    /// `fn_text`, the closure's `fn.toString()`, picks among several candidates.
    ///
    /// # Errors
    /// [`AnalyzeError::NoClosureAtPosition`], [`AnalyzeError::ClosureNotInline`],
    /// [`AnalyzeError::AmbiguousClosure`], [`AnalyzeError::ClosureHasParams`], and the capture
    /// errors ([`AnalyzeError::ThisCaptured`], [`AnalyzeError::ArgumentsCaptured`], …).
    ///
    /// # Examples
    /// ```
    /// use weft_analyzer::SourceFile;
    ///
    /// let src = "import { spawn as go } from 'weft';\nfunction f(k) { return go(() => k + 1), go(() => k * 2); }\n";
    /// let file = SourceFile::parse("file:///a.js", src).unwrap();
    /// let second = file.closure_at(2, 43, None).unwrap();
    /// assert_eq!(second.column, 44);
    /// assert_eq!(second.locals[0].name, "k");
    /// ```
    pub fn closure_at(
        &self,
        line: u32,
        column: u32,
        fn_text: Option<&str>,
    ) -> Result<Closure, AnalyzeError> {
        let not_found = AnalyzeError::NoClosureAtPosition { line, column };
        let (lo, hi) = if column == 0 {
            let lo = self
                .lines
                .offset(&self.src, line, 1)
                .ok_or(not_found.clone())?;
            let hi = self
                .lines
                .offset(&self.src, line, u32::MAX)
                .ok_or(not_found.clone())?;
            (lo, hi)
        } else {
            let at = self
                .lines
                .offset(&self.src, line, column)
                .ok_or(not_found.clone())?;
            (at, at)
        };
        let (lo, hi) = (BytePos(lo + self.start), BytePos(hi + self.start));
        let mut finder = Finder {
            lo,
            hi,
            calls: Vec::new(),
            withs: Vec::new(),
        };
        self.module.visit_with(&mut finder);

        // (call span, closure span) candidates.
        let mut candidates: Vec<(Span, Span)> = Vec::new();
        if column == 0 {
            for c in &finder.calls {
                if c.span.lo >= lo && c.span.lo <= hi {
                    candidates.extend(c.closures.iter().map(|&s| (c.span, s)));
                }
            }
        } else {
            let inside = |s: &Span| s.lo <= lo && lo <= s.hi;
            let outside_closures: Vec<&Call> = finder
                .calls
                .iter()
                .filter(|c| !c.closures.is_empty() && !c.closures.iter().any(inside))
                .collect();
            let chosen = match outside_closures
                .iter()
                .min_by_key(|c| c.span.hi.0 - c.span.lo.0)
            {
                Some(c) => Some(*c),
                None => finder
                    .calls
                    .iter()
                    .filter(|c| !c.closures.is_empty())
                    .min_by_key(|c| c.span.hi.0 - c.span.lo.0),
            };
            match chosen {
                Some(c) => candidates.extend(c.closures.iter().map(|&s| (c.span, s))),
                None => {
                    if finder.calls.iter().any(|c| c.has_args) {
                        return Err(AnalyzeError::ClosureNotInline { line, column });
                    }
                    return Err(not_found);
                }
            }
        }
        if candidates.len() > 1 {
            if let Some(text) = fn_text {
                let scored: Vec<usize> = candidates
                    .iter()
                    .map(|(_, s)| similarity(self.text(*s), text))
                    .collect();
                let best = scored.iter().copied().max().unwrap_or(0);
                if scored.iter().filter(|&&s| s == best).count() == 1 {
                    let i = scored.iter().position(|&s| s == best).unwrap_or(0);
                    candidates = vec![candidates[i]];
                }
            }
        }
        let (call, target) = match candidates.as_slice() {
            [] => return Err(not_found),
            [one] => *one,
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
    /// [`AnalyzeError::NoNewExpressionAtPosition`] when no `new` expression contains the position.
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
        let not_found = AnalyzeError::NoNewExpressionAtPosition { line, column };
        let at = self
            .lines
            .offset(&self.src, line, column.max(1))
            .ok_or(not_found.clone())?;
        let mut finder = NewFinder {
            at: BytePos(at + self.start),
            found: None,
        };
        self.module.visit_with(&mut finder);
        finder.found.map(|s| self.pos(s.lo)).ok_or(not_found)
    }
}
