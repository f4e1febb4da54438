//! The one traversal behind every lookup by position: it walks only the part of a module around a
//! byte range, so finding a call, a `new` expression or a closure by where it is written costs
//! the depth of the tree at that point, not the size of the file.

use std::ops::ControlFlow;

use swc_common::{Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

/// A statement or expression met by [`search`].
#[derive(Clone, Copy)]
pub(crate) enum Node<'n> {
    Stmt(&'n Stmt),
    Expr(&'n Expr),
}

/// `e` without the parentheses and TypeScript assertions around it (`(x)`, `x as T`, `x!`,
/// `x satisfies T`, `<T>x`, `x as const`), which change nothing at run time.
pub(crate) fn unwrapped(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unwrapped(&p.expr),
        Expr::TsAs(t) => unwrapped(&t.expr),
        Expr::TsSatisfies(t) => unwrapped(&t.expr),
        Expr::TsNonNull(t) => unwrapped(&t.expr),
        Expr::TsTypeAssertion(t) => unwrapped(&t.expr),
        Expr::TsConstAssertion(t) => unwrapped(&t.expr),
        other => other,
    }
}

/// Whether two byte ranges share a position, bounds included.
pub(crate) fn meets(a: Span, b: Span) -> bool {
    a.lo <= b.hi && b.lo <= a.hi
}

/// Walks `module` in source order, entering only the module items, statements, class members,
/// properties and expressions that [`meet`](meets) `range`, and shows `look` each statement and
/// expression entered before its children. Types are skipped: nothing in them runs.
///
/// Returns the value `look` breaks with, which ends the walk, or `None` if it never breaks.
pub(crate) fn search<B>(
    module: &Module,
    range: Span,
    look: impl FnMut(Node<'_>) -> ControlFlow<B>,
) -> Option<B> {
    let mut walk = SpanWalk {
        range,
        look,
        found: None,
    };
    module.visit_with(&mut walk);
    walk.found
}

/// Calls `with` on the closure (arrow or function expression) whose span is exactly `span`.
/// `None` if the module has no such closure.
pub(crate) fn closure_with_span<R>(
    module: &Module,
    span: Span,
    mut with: impl FnMut(&Expr) -> R,
) -> Option<R> {
    search(module, span, |node| match node {
        Node::Expr(e @ (Expr::Arrow(_) | Expr::Fn(_))) if e.span() == span => {
            ControlFlow::Break(with(e))
        }
        _ => ControlFlow::Continue(()),
    })
}

struct SpanWalk<F, B> {
    range: Span,
    look: F,
    found: Option<B>,
}

impl<F: FnMut(Node<'_>) -> ControlFlow<B>, B> SpanWalk<F, B> {
    fn enters(&self, span: Span) -> bool {
        self.found.is_none() && meets(span, self.range)
    }

    /// Shows `look` a node; whether to walk its children.
    fn looks_inside(&mut self, node: Node<'_>) -> bool {
        match (self.look)(node) {
            ControlFlow::Continue(()) => true,
            ControlFlow::Break(found) => {
                self.found = Some(found);
                false
            }
        }
    }
}

impl<F: FnMut(Node<'_>) -> ControlFlow<B>, B> Visit for SpanWalk<F, B> {
    fn visit_module_item(&mut self, n: &ModuleItem) {
        if self.enters(n.span()) {
            n.visit_children_with(self);
        }
    }

    fn visit_stmt(&mut self, n: &Stmt) {
        if self.enters(n.span()) && self.looks_inside(Node::Stmt(n)) {
            n.visit_children_with(self);
        }
    }

    fn visit_expr(&mut self, n: &Expr) {
        if self.enters(n.span()) && self.looks_inside(Node::Expr(n)) {
            n.visit_children_with(self);
        }
    }

    fn visit_class_member(&mut self, n: &ClassMember) {
        if self.enters(n.span()) {
            n.visit_children_with(self);
        }
    }

    fn visit_prop_or_spread(&mut self, n: &PropOrSpread) {
        if self.enters(n.span()) {
            n.visit_children_with(self);
        }
    }

    fn visit_ts_type(&mut self, _: &TsType) {}
}
