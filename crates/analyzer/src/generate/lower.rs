//! swc's passes over the copied declarations and the closure, run on them together as one module
//! so that they see the same names: TypeScript stripped (enums, namespaces and parameter
//! properties lowered to JavaScript), then the parentheses those transforms leave out added.

use swc_common::{Span, DUMMY_SP, GLOBALS};
use swc_ecma_ast::*;

use crate::parse::{into_module, SourceFile};
use crate::walk;

use super::WrapperNames;

/// The module of `declarations` followed by the closure at `closure`, after swc's passes. The
/// closure is wrapped in a call of [`WrapperNames::closure`], which [`Pieces::split`] takes off
/// again. `None` if the file has no closure at `closure`.
pub(super) fn lower(
    file: &SourceFile,
    mut declarations: Vec<ModuleItem>,
    closure: Span,
    names: &WrapperNames,
) -> Option<Module> {
    let closure = walk::closure_with_span(&file.module, closure, Expr::clone)?;
    declarations.push(mark(closure, &names.closure));
    let mut program = Program::Module(Module {
        span: DUMMY_SP,
        body: declarations,
        shebang: None,
    });
    GLOBALS.set(&file.globals, || {
        if file.language.is_typescript() {
            let config = swc_ecma_transforms_typescript::Config {
                no_empty_export: true,
                ..Default::default()
            };
            swc_ecma_transforms_typescript::typescript(
                config,
                file.unresolved_mark,
                file.top_level_mark,
            )
            .process(&mut program);
        }
        // Transforms leave parentheses to the fixer (`(function (N) {…})(N || (N = {}))`).
        swc_ecma_transforms_base::fixer::fixer(None).process(&mut program);
    });
    Some(into_module(program))
}

/// `marker(closure);`
fn mark(closure: Expr, marker: &str) -> ModuleItem {
    ModuleItem::Stmt(Stmt::Expr(ExprStmt {
        span: DUMMY_SP,
        expr: Box::new(Expr::Call(CallExpr {
            callee: Callee::Expr(Box::new(Expr::Ident(Ident::new_no_ctxt(
                marker.into(),
                DUMMY_SP,
            )))),
            args: vec![ExprOrSpread {
                spread: None,
                expr: Box::new(closure),
            }],
            ..Default::default()
        })),
    }))
}

/// Whether `expr` is a call of `marker`, as [`mark`] writes it.
fn is_marked(expr: &Expr, marker: &str) -> bool {
    matches!(expr, Expr::Call(CallExpr { callee: Callee::Expr(c), .. })
        if matches!(&**c, Expr::Ident(i) if *i.sym == *marker))
}

/// A lowered worker module taken apart: imports stay at module level, the other statements run
/// in the export's body, and the closure is what the export calls.
pub(super) struct Pieces {
    pub(super) imports: Vec<ModuleItem>,
    pub(super) body: Vec<ModuleItem>,
    pub(super) closure: Box<Expr>,
}

impl Pieces {
    /// Takes `module` apart; `None` if the closure marked with [`WrapperNames::closure`] is gone.
    pub(super) fn split(module: Module, names: &WrapperNames) -> Option<Pieces> {
        let mut imports = Vec::new();
        let mut body = Vec::new();
        let mut closure = None;
        for item in module.body {
            match item {
                ModuleItem::ModuleDecl(ModuleDecl::Import(_)) => imports.push(item),
                ModuleItem::Stmt(Stmt::Expr(ExprStmt { expr, .. }))
                    if is_marked(&expr, &names.closure) =>
                {
                    if let Expr::Call(mut call) = *expr {
                        closure = call.args.pop().map(|a| a.expr);
                    }
                }
                ModuleItem::Stmt(s) => body.push(ModuleItem::Stmt(s)),
                ModuleItem::ModuleDecl(_) => {}
            }
        }
        Some(Pieces {
            imports,
            body,
            closure: closure?,
        })
    }
}
