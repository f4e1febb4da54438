//! Rewriting copied code so that it keeps meaning the caller's file when it runs from the worker
//! module.

use std::collections::HashMap;

use swc_atoms::Atom;
use swc_common::{Span, Spanned, SyntaxContext};
use swc_ecma_ast::*;
use swc_ecma_visit::{VisitMut, VisitMutWith};

use crate::parse::{ModuleKind, SourceFile};
use crate::scope;
use crate::specifier::{dir_name, file_path, is_absolute_url, is_bare, is_relative, resolve};

/// Rewrites what must keep meaning the caller's file: specifiers, `import.meta.*`,
/// `__filename`/`__dirname`; notes whether `require` and JSX occur.
pub(super) struct Rewrite<'a> {
    url: &'a str,
    path: Option<String>,
    cjs: bool,
    unresolved: SyntaxContext,
    resolved: &'a HashMap<String, String>,
    /// Bare specifiers left as written because `resolved` has no entry for them.
    pub(super) unresolved_bare: Vec<String>,
    /// The code calls the caller's `require`, which the module must create.
    pub(super) uses_require: bool,
    /// The code contains JSX.
    pub(super) has_jsx: bool,
}

/// A string literal with the span of the code it replaces, so the position map still covers it.
fn str_lit(s: &str, span: Span) -> Str {
    Str {
        span,
        value: Atom::from(s).into(),
        raw: None,
    }
}

impl<'a> Rewrite<'a> {
    /// A rewrite for code copied from `file`, with `resolved` mapping bare specifiers to URLs.
    pub(super) fn new(file: &'a SourceFile, resolved: &'a HashMap<String, String>) -> Self {
        Rewrite {
            url: &file.url,
            path: file_path(&file.url),
            cjs: file.kind == ModuleKind::CommonJs,
            unresolved: file.unresolved,
            resolved,
            unresolved_bare: Vec::new(),
            uses_require: false,
            has_jsx: false,
        }
    }

    /// What a specifier written in the caller's file becomes: relative ones are resolved against
    /// its URL, bare ones looked up in `resolved`; `None` keeps it as written.
    fn specifier(&mut self, spec: &str) -> Option<String> {
        if is_relative(spec) {
            Some(resolve(self.url, spec))
        } else if is_absolute_url(spec) {
            None
        } else if let Some(r) = self.resolved.get(spec) {
            Some(r.clone())
        } else {
            if is_bare(spec) && !self.unresolved_bare.iter().any(|s| s == spec) {
                self.unresolved_bare.push(spec.to_owned());
            }
            None
        }
    }

    /// Rewrites a string literal first argument (of `import()`, `import.meta.resolve()`).
    fn rewrite_arg(&mut self, args: &mut [ExprOrSpread]) {
        if let Some(first) = args.first_mut() {
            if let Some(s) = scope::literal_string(&first.expr) {
                if let Some(new) = self.specifier(&s) {
                    *first.expr = Expr::Lit(Lit::Str(str_lit(&new, first.expr.span())));
                }
            }
        }
    }

    /// The value of `import.meta.<prop>` for the caller's file.
    fn meta_value(&self, prop: &str, span: Span) -> Option<Expr> {
        let text = match prop {
            "url" => Some(self.url.to_owned()),
            "filename" => self.path.clone(),
            "dirname" => self.path.as_deref().map(|p| dir_name(p).to_owned()),
            _ => return None,
        };
        Some(match text {
            Some(t) => Expr::Lit(Lit::Str(str_lit(&t, span))),
            None => Expr::Ident(Ident::new_no_ctxt("undefined".into(), span)),
        })
    }
}

impl VisitMut for Rewrite<'_> {
    fn visit_mut_import_decl(&mut self, n: &mut ImportDecl) {
        let spec = n.src.value.to_atom_lossy().to_string();
        if let Some(new) = self.specifier(&spec) {
            *n.src = str_lit(&new, n.src.span);
        }
    }

    fn visit_mut_call_expr(&mut self, n: &mut CallExpr) {
        n.visit_mut_children_with(self);
        match &n.callee {
            Callee::Import(_) => self.rewrite_arg(&mut n.args),
            Callee::Expr(e) => {
                // import.meta.resolve("./x")
                if let Expr::Member(m) = &**e {
                    if matches!(
                        &*m.obj,
                        Expr::MetaProp(MetaPropExpr {
                            kind: MetaPropKind::ImportMeta,
                            ..
                        })
                    ) && matches!(&m.prop, MemberProp::Ident(p) if &*p.sym == "resolve")
                    {
                        self.rewrite_arg(&mut n.args);
                    }
                }
            }
            Callee::Super(_) => {}
        }
    }

    fn visit_mut_expr(&mut self, n: &mut Expr) {
        n.visit_mut_children_with(self);
        match n {
            Expr::Member(m) => {
                if let (
                    Expr::MetaProp(MetaPropExpr {
                        kind: MetaPropKind::ImportMeta,
                        ..
                    }),
                    MemberProp::Ident(p),
                ) = (&*m.obj, &m.prop)
                {
                    if let Some(v) = self.meta_value(&p.sym, m.span) {
                        *n = v;
                    }
                }
            }
            Expr::Ident(i) if self.cjs && i.ctxt == self.unresolved => {
                let v = match &*i.sym {
                    "__filename" => Some(self.path.clone().unwrap_or_else(|| self.url.to_owned())),
                    "__dirname" => self.path.as_deref().map(|p| dir_name(p).to_owned()),
                    _ => None,
                };
                if let Some(v) = v {
                    *n = Expr::Lit(Lit::Str(str_lit(&v, i.span)));
                }
            }
            _ => {}
        }
    }

    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if &*i.sym == "require" && (i.ctxt == self.unresolved || i.ctxt == SyntaxContext::empty()) {
            self.uses_require = true;
        }
    }

    fn visit_mut_jsx_element(&mut self, n: &mut JSXElement) {
        self.has_jsx = true;
        n.visit_mut_children_with(self);
    }

    fn visit_mut_jsx_fragment(&mut self, n: &mut JSXFragment) {
        self.has_jsx = true;
        n.visit_mut_children_with(self);
    }
}
