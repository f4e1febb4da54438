//! What later top-level statements do to a top-level binding.
//!
//! A worker module re-creates a top-level binding from its declaration, but a module often
//! finishes building the value in statements after it: ES5 classes and bundles
//! (`function Cache() {}` then `Cache.prototype.clear = …`), registries (`const tools = {}` then
//! `tools.hash = …`), `Object.defineProperty(Cache, …)`. Such a statement **completes** the
//! binding: it is copied into the worker module with the declaration, as a tree-shaker keeps it.
//!
//! A statement that may change a binding in a way that cannot be copied on its own
//! (`mixin(Target, …)`, an assignment inside a loop or an `if`) **modifies** it: a worker module
//! that would re-create that binding is refused, naming the statement, rather than run with a
//! value the caller's module never had. Method calls on a binding (`app.listen()`,
//! `logger.info(…)`) are uses, not modifications: they run in the caller's module only, as every
//! other top-level statement does.
//!
//! Completing statements are top-level expression statements whose every expression is
//! - an assignment to a member of the binding (`X.a = …`, `X.prototype.m = …`, `X["k"] += …`), or
//! - a call of the global `Object.defineProperty`, `defineProperties`, `assign`,
//!   `setPrototypeOf`, `freeze`, `seal` or `preventExtensions` whose first argument is the binding
//!   or a member of it,
//!
//! all of one binding. Modifying statements are found in every other top-level statement
//! (descending into blocks, loops and immediately invoked functions, not into functions that only
//! run later, but into functions passed to calls, which may run now): a member assignment, update
//! or `delete` rooted at a binding, or the binding (or a member of it) as the first argument of a
//! call made as a statement that may change it (see [`changes_first_argument`]).

use swc_common::{Span, SyntaxContext};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use crate::scope::Id;
use crate::walk::unwrapped;

/// The global `Object` methods that only add to, reshape or seal their first argument.
const OBJECT_COMPLETERS: [&str; 7] = [
    "defineProperty",
    "defineProperties",
    "assign",
    "setPrototypeOf",
    "freeze",
    "seal",
    "preventExtensions",
];

/// The top-level binding (of context `top_level`) that the expression statement `expr` completes,
/// or `None` when it is not a completing statement.
pub(crate) fn completed_binding(
    expr: &Expr,
    top_level: SyntaxContext,
    unresolved: SyntaxContext,
) -> Option<Id> {
    match unwrapped(expr) {
        Expr::Seq(seq) => {
            let mut target: Option<Id> = None;
            for e in &seq.exprs {
                let t = completed_binding(e, top_level, unresolved)?;
                match &target {
                    Some(existing) if *existing != t => return None,
                    _ => target = Some(t),
                }
            }
            target
        }
        Expr::Assign(a) => match &a.left {
            AssignTarget::Simple(SimpleAssignTarget::Member(m)) => top_root(&m.obj, top_level),
            _ => None,
        },
        Expr::Call(call) if is_object_completer(call, unresolved) => {
            let first = call.args.first().filter(|a| a.spread.is_none())?;
            top_root(&first.expr, top_level)
        }
        _ => None,
    }
}

/// The top-level bindings that statement `stmt` may modify, each with the span of the expression
/// that does it; `except` (the binding a completing statement completes) is left out.
pub(crate) fn modified_bindings(
    stmt: &Stmt,
    top_level: SyntaxContext,
    except: Option<&Id>,
) -> Vec<(Id, Span)> {
    let mut finder = Modifications {
        top_level,
        found: Vec::new(),
    };
    stmt.visit_with(&mut finder);
    finder.found.retain(|(id, _)| Some(id) != except);
    finder.found
}

/// The identifier at the root of a member chain (`X`, `X.a.b`, `X["k"]`), if it is top-level.
fn top_root(e: &Expr, top_level: SyntaxContext) -> Option<Id> {
    match unwrapped(e) {
        Expr::Ident(i) if i.ctxt == top_level => Some((i.sym.clone(), i.ctxt)),
        Expr::Member(m) => top_root(&m.obj, top_level),
        _ => None,
    }
}

fn is_object_completer(call: &CallExpr, unresolved: SyntaxContext) -> bool {
    let Callee::Expr(callee) = &call.callee else {
        return false;
    };
    let Expr::Member(m) = unwrapped(callee) else {
        return false;
    };
    let is_object =
        matches!(unwrapped(&m.obj), Expr::Ident(o) if o.ctxt == unresolved && &*o.sym == "Object");
    is_object && matches!(&m.prop, MemberProp::Ident(p) if OBJECT_COMPLETERS.contains(&&*p.sym))
}

/// Finds the modifications of top-level bindings in code that runs when the module loads.
struct Modifications {
    top_level: SyntaxContext,
    found: Vec<(Id, Span)>,
}

impl Modifications {
    fn note(&mut self, target: &Expr, span: Span) {
        if let Some(id) = top_root(target, self.top_level) {
            self.found.push((id, span));
        }
    }

    fn note_member(&mut self, target: &Expr, span: Span) {
        if matches!(unwrapped(target), Expr::Member(_)) {
            self.note(target, span);
        }
    }
}

impl Visit for Modifications {
    fn visit_assign_expr(&mut self, a: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Member(m)) = &a.left {
            self.note(&m.obj, a.span);
        }
        a.visit_children_with(self);
    }

    fn visit_update_expr(&mut self, u: &UpdateExpr) {
        self.note_member(&u.arg, u.span);
        u.visit_children_with(self);
    }

    fn visit_unary_expr(&mut self, u: &UnaryExpr) {
        if u.op == UnaryOp::Delete {
            self.note_member(&u.arg, u.span);
        }
        u.visit_children_with(self);
    }

    fn visit_expr_stmt(&mut self, s: &ExprStmt) {
        // A call made for its effect on its first argument: `mixin(Target, …)`,
        // `util.inherits(Child, Parent)`, `_.extend(target, …)`.
        let call = match unwrapped(&s.expr) {
            Expr::Await(a) => unwrapped(&a.arg),
            other => other,
        };
        if let Expr::Call(c) = call {
            if let (Some(first), true) = (c.args.first(), changes_first_argument(c)) {
                self.note(&first.expr, s.span);
            }
        }
        s.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, c: &CallExpr) {
        if let Callee::Expr(callee) = &c.callee {
            match unwrapped(callee) {
                // An immediately invoked function runs now: walk its body.
                Expr::Fn(f) => f.function.body.visit_with(self),
                Expr::Arrow(a) => a.body.visit_with(self),
                other => other.visit_with(self),
            }
        }
        // A function passed to a call may run now (`keys.forEach(k => X.prototype[k] = …)`):
        // walk it as if it did.
        for arg in &c.args {
            match unwrapped(&arg.expr) {
                Expr::Fn(f) => f.function.body.visit_with(self),
                Expr::Arrow(a) => a.body.visit_with(self),
                other => other.visit_with(self),
            }
        }
    }

    // Code that runs later, if ever, is not walked (but see `visit_call_expr`).
    fn visit_function(&mut self, _: &Function) {}
    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
    fn visit_class(&mut self, _: &Class) {}
    fn visit_getter_prop(&mut self, _: &GetterProp) {}
    fn visit_setter_prop(&mut self, _: &SetterProp) {}
    fn visit_method_prop(&mut self, _: &MethodProp) {}
}

/// Methods named for changing their first argument, whatever object they are called on.
const CHANGERS: [&str; 12] = [
    "inherits",
    "mixin",
    "extend",
    "assign",
    "assignIn",
    "merge",
    "defaults",
    "defineProperty",
    "defineProperties",
    "setPrototypeOf",
    "set",
    "decorate",
];

/// Whether a call made as a statement may change its first argument: a plain function call
/// (`mixin(X, …)`: nothing says otherwise), or a method named for it (`util.inherits(X, …)`).
/// Other method calls (`app.use(handler)`, `console.log(x)`) are taken to use their arguments.
fn changes_first_argument(c: &CallExpr) -> bool {
    let Callee::Expr(callee) = &c.callee else {
        return false;
    };
    match unwrapped(callee) {
        Expr::Ident(_) => true,
        Expr::Member(m) => matches!(&m.prop, MemberProp::Ident(p) if CHANGERS.contains(&&*p.sym)),
        _ => false,
    }
}
