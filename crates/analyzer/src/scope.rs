//! Bindings and free variables, from the syntax contexts swc's resolver assigned.
//!
//! Every identifier carries `(symbol, syntax context)`; the resolver gives each binding a context
//! of its own, and top-level bindings the top-level mark. So a free variable of a closure is an
//! identifier used inside it whose binding (found in [`ScopeInfo::bindings`]) is declared outside
//! it; unresolved identifiers are globals. No name matching is involved.

use std::cell::OnceCell;
use std::collections::hash_map::Entry;
use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use swc_common::{Span, Spanned, SyntaxContext};
use swc_ecma_ast::*;
use swc_ecma_utils::find_pat_ids;
use swc_ecma_visit::{Visit, VisitWith};

use crate::completion;

/// An identifier as the resolver sees it.
pub(crate) type Id = (swc_atoms::Atom, SyntaxContext);

/// What declared a captured name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BindingKind {
    /// A function parameter (including constructor parameter properties).
    Param,
    /// `var`.
    Var,
    /// `let`.
    Let,
    /// `const`.
    Const,
    /// `using` / `await using`.
    Using,
    /// A function declaration (or a named function expression's own name).
    Function,
    /// A class declaration (or a named class expression's own name).
    Class,
    /// The parameter of a `catch` clause.
    CatchParam,
    /// An import (`import x`, `import { x }`, `import * as x`, `import x = require()`).
    Import,
    /// A TypeScript enum (regular or `const`).
    Enum,
    /// A TypeScript namespace that holds values.
    Namespace,
}

/// One free variable of a closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capture {
    /// The variable's name.
    pub name: String,
    /// What declared it.
    pub kind: BindingKind,
    /// Where it is declared: 1-based line and UTF-16 column of the declared name.
    pub line: u32,
    pub column: u32,
    /// For top-level names needed only through another top-level declaration: the name of the
    /// declaration that uses it (as first found). `None` when the closure uses it directly.
    pub via: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declared {
    Value(BindingKind),
    /// Interfaces, type aliases, `import type`.
    TypeOnly,
    /// `declare …`: exists at run time only as a global.
    Ambient,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Binding {
    pub(crate) decl: Declared,
    /// The span of the declared name.
    pub(crate) span: Span,
}

/// Which part of a top-level module item declares a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Sub {
    Whole,
    Declarator(usize),
    Specifier(usize),
}

/// A piece of a top-level statement that can be copied into a worker module on its own.
#[derive(Debug, Clone)]
pub(crate) struct TopPart {
    pub(crate) item: usize,
    pub(crate) sub: Sub,
    /// The names it declares.
    pub(crate) names: Vec<Id>,
    /// The source of an import or of `import x = require("…")`.
    pub(crate) source: Option<String>,
    /// What it refers to, computed the first time a closure reaches it: most top-level
    /// declarations of a large file are never needed by any closure.
    refs: OnceCell<PartRefs>,
}

/// What a [`TopPart`] refers to.
#[derive(Debug, Clone, Default)]
pub(crate) struct PartRefs {
    /// Top-level names it uses (besides its own).
    pub(crate) deps: Vec<Id>,
    /// Module specifiers it loads: its import source, dynamic `import("…")` literals.
    pub(crate) specifiers: Vec<String>,
    /// It contains JSX (which the classic JSX runtime compiles to `React.createElement`).
    pub(crate) has_jsx: bool,
    /// Where it first calls `eval` directly with anything but a call (see [`Lexical::DirectEval`]):
    /// such a declaration cannot be re-created, since the code evaluated may name anything.
    pub(crate) direct_eval: Option<Span>,
}

/// Everything about names that is computed once per file.
///
/// The maps use FxHash: their keys are atoms, which hash as a precomputed hash, and syntax
/// contexts, small integers; SipHash doubled the time of building this for large files.
#[derive(Debug, Default)]
pub(crate) struct ScopeInfo {
    pub(crate) bindings: FxHashMap<Id, Binding>,
    pub(crate) parts: Vec<TopPart>,
    pub(crate) parts_of: FxHashMap<Id, Vec<usize>>,
    /// Top-level bindings that a top-level statement may modify in a way that cannot be copied
    /// into a worker module, with the first such statement (see [`crate::completion`]).
    pub(crate) modified_by: FxHashMap<Id, Span>,
    unresolved: SyntaxContext,
    top_level: SyntaxContext,
}

fn id(i: &Ident) -> Id {
    (i.sym.clone(), i.ctxt)
}

impl ScopeInfo {
    pub(crate) fn build(
        module: &Module,
        unresolved: SyntaxContext,
        top_level: SyntaxContext,
    ) -> ScopeInfo {
        let mut collector = Collector {
            bindings: FxHashMap::default(),
        };
        module.visit_with(&mut collector);
        let mut info = ScopeInfo {
            bindings: collector.bindings,
            unresolved,
            top_level,
            ..Default::default()
        };

        let mut completions: Vec<(usize, Id)> = Vec::new();
        for (item, it) in module.body.iter().enumerate() {
            let add = |info: &mut ScopeInfo, sub: Sub, names: Vec<Id>, source: Option<String>| {
                let index = info.parts.len();
                for n in &names {
                    info.parts_of.entry(n.clone()).or_default().push(index);
                }
                info.parts.push(TopPart {
                    item,
                    sub,
                    names,
                    source,
                    refs: OnceCell::new(),
                });
            };
            match it {
                ModuleItem::ModuleDecl(ModuleDecl::Import(imp)) => {
                    if imp.type_only {
                        continue;
                    }
                    let src = imp.src.value.to_atom_lossy().to_string();
                    for (j, spec) in imp.specifiers.iter().enumerate() {
                        let local = match spec {
                            ImportSpecifier::Named(n) if n.is_type_only => continue,
                            ImportSpecifier::Named(n) => &n.local,
                            ImportSpecifier::Default(d) => &d.local,
                            ImportSpecifier::Namespace(n) => &n.local,
                        };
                        add(
                            &mut info,
                            Sub::Specifier(j),
                            vec![id(local)],
                            Some(src.clone()),
                        );
                    }
                }
                ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(ie)) if !ie.is_type_only => {
                    let source = match &ie.module_ref {
                        TsModuleRef::TsExternalModuleRef(r) => {
                            Some(r.expr.value.to_atom_lossy().to_string())
                        }
                        TsModuleRef::TsEntityName(_) => None,
                    };
                    add(&mut info, Sub::Whole, vec![id(&ie.id)], source);
                }
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl { decl, .. }))
                | ModuleItem::Stmt(Stmt::Decl(decl)) => match decl {
                    Decl::Var(v) if !v.declare => {
                        for (j, d) in v.decls.iter().enumerate() {
                            add(&mut info, Sub::Declarator(j), find_pat_ids(&d.name), None);
                        }
                    }
                    Decl::Using(u) => {
                        for (j, d) in u.decls.iter().enumerate() {
                            add(&mut info, Sub::Declarator(j), find_pat_ids(&d.name), None);
                        }
                    }
                    Decl::Fn(f) if !f.declare => {
                        add(&mut info, Sub::Whole, vec![id(&f.ident)], None)
                    }
                    Decl::Class(c) if !c.declare => {
                        add(&mut info, Sub::Whole, vec![id(&c.ident)], None)
                    }
                    Decl::TsEnum(e) if !e.declare => {
                        add(&mut info, Sub::Whole, vec![id(&e.id)], None)
                    }
                    Decl::TsModule(m) if !m.declare => {
                        if let TsModuleName::Ident(name) = &m.id {
                            add(&mut info, Sub::Whole, vec![id(name)], None);
                        }
                    }
                    _ => {}
                },
                ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(d)) => match &d.decl {
                    DefaultDecl::Fn(FnExpr {
                        ident: Some(name), ..
                    })
                    | DefaultDecl::Class(ClassExpr {
                        ident: Some(name), ..
                    }) => add(&mut info, Sub::Whole, vec![id(name)], None),
                    _ => {}
                },
                ModuleItem::Stmt(stmt) if !matches!(stmt, Stmt::Decl(_)) => {
                    let completes = match stmt {
                        Stmt::Expr(e) => {
                            completion::completed_binding(&e.expr, top_level, unresolved)
                        }
                        _ => None,
                    };
                    for (modified, span) in
                        completion::modified_bindings(stmt, top_level, completes.as_ref())
                    {
                        info.modified_by.entry(modified).or_insert(span);
                    }
                    if let Some(target) = completes {
                        completions.push((item, target));
                    }
                }
                _ => {}
            }
        }
        // After every declaration is known: a function may be completed before it is declared.
        for (item, target) in completions {
            let Some(parts) = info.parts_of.get_mut(&target) else {
                // Declared where it cannot be copied on its own: what completes it cannot be either.
                info.modified_by
                    .entry(target)
                    .or_insert(module.body[item].span());
                continue;
            };
            parts.push(info.parts.len());
            info.parts.push(TopPart {
                item,
                sub: Sub::Whole,
                names: Vec::new(),
                source: None,
                refs: OnceCell::new(),
            });
        }
        // What an import binds is the imported module's to build: the worker imports it afresh.
        info.modified_by.retain(|i, _| {
            !matches!(
                info.bindings.get(i).map(|b| b.decl),
                Some(Declared::Value(BindingKind::Import))
            )
        });
        info
    }

    /// What part `p` refers to (computed on first use).
    pub(crate) fn part_refs(&self, module: &Module, p: usize) -> &PartRefs {
        let part = &self.parts[p];
        part.refs.get_or_init(|| {
            let mut refs = Refs::new(self.unresolved);
            refs.only = Some(self.top_level);
            visit_part(&module.body[part.item], part.sub, &mut refs);
            let mut seen = FxHashSet::default();
            let mut deps = Vec::new();
            for (i, _) in refs.refs {
                if !part.names.contains(&i) && seen.insert(i.clone()) {
                    deps.push(i);
                }
            }
            let mut specifiers: Vec<String> = part.source.iter().cloned().collect();
            specifiers.extend(refs.dynamic_imports);
            let direct_eval = refs
                .lexical
                .iter()
                .filter(|(l, _)| *l == Lexical::DirectEval)
                .map(|(_, s)| *s)
                .min_by_key(|s| s.lo);
            PartRefs {
                deps,
                specifiers,
                has_jsx: refs.has_jsx,
                direct_eval,
            }
        })
    }

    /// The top-level `React` binding, which JSX compiled with the classic runtime uses implicitly.
    pub(crate) fn jsx_factory(&self, top_level: SyntaxContext) -> Option<Id> {
        self.parts_of
            .keys()
            .find(|(sym, ctxt)| *ctxt == top_level && &**sym == "React")
            .cloned()
    }

    pub(crate) fn binding(&self, i: &Id) -> Option<&Binding> {
        self.bindings.get(i)
    }
}

/// Walks the piece of a top-level item that a part copies.
fn visit_part(item: &ModuleItem, sub: Sub, v: &mut Refs) {
    let decl = match item {
        ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(ie)) => {
            return ie.module_ref.visit_with(v)
        }
        ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(d)) => {
            return match &d.decl {
                DefaultDecl::Fn(f) => f.function.visit_with(v),
                DefaultDecl::Class(c) => c.class.visit_with(v),
                DefaultDecl::TsInterfaceDecl(_) => {}
            };
        }
        ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl { decl, .. }))
        | ModuleItem::Stmt(Stmt::Decl(decl)) => decl,
        // A statement that completes a binding.
        ModuleItem::Stmt(Stmt::Expr(e)) => return e.visit_with(v),
        _ => return,
    };
    match (decl, sub) {
        (Decl::Var(d), Sub::Declarator(j)) => {
            d.decls.get(j).into_iter().for_each(|d| d.visit_with(v))
        }
        (Decl::Using(d), Sub::Declarator(j)) => {
            d.decls.get(j).into_iter().for_each(|d| d.visit_with(v))
        }
        (Decl::Fn(f), _) => f.function.visit_with(v),
        (Decl::Class(c), _) => c.class.visit_with(v),
        (Decl::TsEnum(e), _) => e.members.visit_with(v),
        (Decl::TsModule(m), _) => m.body.visit_with(v),
        _ => {}
    }
}

/// Records every binding in a module with what declared it.
struct Collector {
    bindings: FxHashMap<Id, Binding>,
}

impl Collector {
    fn add(&mut self, i: &Ident, decl: Declared) {
        match self.bindings.entry(id(i)) {
            Entry::Occupied(mut o) => {
                // A value binding wins over a type or an ambient declaration of the same name.
                if !matches!(o.get().decl, Declared::Value(_)) && matches!(decl, Declared::Value(_))
                {
                    o.insert(Binding { decl, span: i.span });
                }
            }
            Entry::Vacant(v) => {
                v.insert(Binding { decl, span: i.span });
            }
        }
    }

    fn pat(&mut self, p: &Pat, decl: Declared) {
        for name in find_pat_ids::<_, Ident>(p) {
            self.add(&name, decl);
        }
    }
}

impl Visit for Collector {
    fn visit_var_decl(&mut self, v: &VarDecl) {
        let kind = match v.kind {
            VarDeclKind::Var => BindingKind::Var,
            VarDeclKind::Let => BindingKind::Let,
            VarDeclKind::Const => BindingKind::Const,
        };
        let decl = if v.declare {
            Declared::Ambient
        } else {
            Declared::Value(kind)
        };
        for d in &v.decls {
            self.pat(&d.name, decl);
        }
        v.visit_children_with(self);
    }

    fn visit_using_decl(&mut self, u: &UsingDecl) {
        for d in &u.decls {
            self.pat(&d.name, Declared::Value(BindingKind::Using));
        }
        u.visit_children_with(self);
    }

    fn visit_fn_decl(&mut self, f: &FnDecl) {
        self.add(
            &f.ident,
            if f.declare {
                Declared::Ambient
            } else {
                Declared::Value(BindingKind::Function)
            },
        );
        f.visit_children_with(self);
    }

    fn visit_fn_expr(&mut self, f: &FnExpr) {
        if let Some(i) = &f.ident {
            self.add(i, Declared::Value(BindingKind::Function));
        }
        f.visit_children_with(self);
    }

    fn visit_class_decl(&mut self, c: &ClassDecl) {
        self.add(
            &c.ident,
            if c.declare {
                Declared::Ambient
            } else {
                Declared::Value(BindingKind::Class)
            },
        );
        c.visit_children_with(self);
    }

    fn visit_class_expr(&mut self, c: &ClassExpr) {
        if let Some(i) = &c.ident {
            self.add(i, Declared::Value(BindingKind::Class));
        }
        c.visit_children_with(self);
    }

    fn visit_param(&mut self, p: &Param) {
        self.pat(&p.pat, Declared::Value(BindingKind::Param));
        p.visit_children_with(self);
    }

    fn visit_arrow_expr(&mut self, a: &ArrowExpr) {
        for p in &a.params {
            self.pat(p, Declared::Value(BindingKind::Param));
        }
        a.visit_children_with(self);
    }

    fn visit_ts_param_prop(&mut self, p: &TsParamProp) {
        match &p.param {
            TsParamPropParam::Ident(b) => self.add(&b.id, Declared::Value(BindingKind::Param)),
            TsParamPropParam::Assign(a) => self.pat(&a.left, Declared::Value(BindingKind::Param)),
        }
        p.visit_children_with(self);
    }

    fn visit_catch_clause(&mut self, c: &CatchClause) {
        if let Some(p) = &c.param {
            self.pat(p, Declared::Value(BindingKind::CatchParam));
        }
        c.visit_children_with(self);
    }

    fn visit_import_decl(&mut self, i: &ImportDecl) {
        for s in &i.specifiers {
            let (local, type_only) = match s {
                ImportSpecifier::Named(n) => (&n.local, n.is_type_only),
                ImportSpecifier::Default(d) => (&d.local, false),
                ImportSpecifier::Namespace(n) => (&n.local, false),
            };
            let decl = if i.type_only || type_only {
                Declared::TypeOnly
            } else {
                Declared::Value(BindingKind::Import)
            };
            self.add(local, decl);
        }
    }

    fn visit_ts_import_equals_decl(&mut self, i: &TsImportEqualsDecl) {
        self.add(
            &i.id,
            if i.is_type_only {
                Declared::TypeOnly
            } else {
                Declared::Value(BindingKind::Import)
            },
        );
    }

    fn visit_ts_enum_decl(&mut self, e: &TsEnumDecl) {
        self.add(
            &e.id,
            if e.declare {
                Declared::Ambient
            } else {
                Declared::Value(BindingKind::Enum)
            },
        );
        e.visit_children_with(self);
    }

    fn visit_ts_module_decl(&mut self, m: &TsModuleDecl) {
        if let TsModuleName::Ident(i) = &m.id {
            self.add(
                i,
                if m.declare {
                    Declared::Ambient
                } else {
                    Declared::Value(BindingKind::Namespace)
                },
            );
        }
        m.visit_children_with(self);
    }

    fn visit_ts_interface_decl(&mut self, i: &TsInterfaceDecl) {
        self.add(&i.id, Declared::TypeOnly);
    }

    fn visit_ts_type_alias_decl(&mut self, t: &TsTypeAliasDecl) {
        self.add(&t.id, Declared::TypeOnly);
    }
}

/// What a lexical construct found at the closure's own level refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lexical {
    This,
    Arguments,
    NewTarget,
    Super,
    DirectEval,
    With,
}

/// Collects identifier uses (and bindings) in value positions, skipping types, labels and
/// ambient declarations, and notes `this`/`arguments`/`new.target`/`super` that are not bound
/// by a function or class inside the walked node.
pub(crate) struct Refs {
    unresolved: SyntaxContext,
    depth: u32,
    pub(crate) refs: Vec<(Id, Span)>,
    pub(crate) lexical: Vec<(Lexical, Span)>,
    pub(crate) dynamic_imports: Vec<String>,
    pub(crate) has_await: bool,
    pub(crate) has_jsx: bool,
    /// Record only identifiers with this syntax context.
    pub(crate) only: Option<SyntaxContext>,
}

impl Refs {
    pub(crate) fn new(unresolved: SyntaxContext) -> Self {
        Refs {
            unresolved,
            depth: 0,
            refs: Vec::new(),
            lexical: Vec::new(),
            dynamic_imports: Vec::new(),
            has_await: false,
            has_jsx: false,
            only: None,
        }
    }
}

/// Whether the arguments of a direct `eval` are one call expression, as in a nested spawn,
/// `await eval(spawn(() => work()))`: `spawn` returns a script that names only the inner closure's
/// free variables, which the walk of the outer closure reaches anyway because it walks the inner
/// closure too. Parentheses, `!` and type assertions around the call are allowed.
fn evaluates_a_call(args: &[ExprOrSpread]) -> bool {
    fn is_call(e: &Expr) -> bool {
        match crate::walk::unwrapped(e) {
            Expr::Call(c) => matches!(c.callee, Callee::Expr(_)),
            Expr::OptChain(o) => matches!(&*o.base, OptChainBase::Call(_)),
            _ => false,
        }
    }
    matches!(args, [ExprOrSpread { spread: None, expr }] if is_call(expr))
}

/// A string literal's value, when the expression is one (or a template without substitutions).
pub(crate) fn literal_string(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(Lit::Str(s)) => Some(s.value.to_atom_lossy().to_string()),
        Expr::Tpl(t) if t.exprs.is_empty() && t.quasis.len() == 1 => t.quasis[0]
            .cooked
            .as_ref()
            .map(|c| c.to_atom_lossy().to_string()),
        _ => None,
    }
}

impl Visit for Refs {
    fn visit_ident(&mut self, i: &Ident) {
        if self.depth == 0 && i.ctxt == self.unresolved && &*i.sym == "arguments" {
            self.lexical.push((Lexical::Arguments, i.span));
        }
        if self.only.is_none_or(|c| c == i.ctxt) {
            self.refs.push((id(i), i.span));
        }
    }

    fn visit_this_expr(&mut self, t: &ThisExpr) {
        if self.depth == 0 {
            self.lexical.push((Lexical::This, t.span));
        }
    }

    fn visit_super(&mut self, s: &Super) {
        if self.depth == 0 {
            self.lexical.push((Lexical::Super, s.span));
        }
    }

    fn visit_meta_prop_expr(&mut self, m: &MetaPropExpr) {
        if self.depth == 0 && m.kind == MetaPropKind::NewTarget {
            self.lexical.push((Lexical::NewTarget, m.span));
        }
    }

    fn visit_await_expr(&mut self, a: &AwaitExpr) {
        if self.depth == 0 {
            self.has_await = true;
        }
        a.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, f: &ForOfStmt) {
        if self.depth == 0 && f.is_await {
            self.has_await = true;
        }
        f.visit_children_with(self);
    }

    fn visit_arrow_expr(&mut self, a: &ArrowExpr) {
        // Arrows see the enclosing `this`, but not its `await`.
        let has_await = self.has_await;
        a.visit_children_with(self);
        self.has_await = has_await;
    }

    fn visit_function(&mut self, f: &Function) {
        f.decorators.visit_with(self);
        self.depth += 1;
        f.params.visit_with(self);
        f.body.visit_with(self);
        self.depth -= 1;
    }

    fn visit_class(&mut self, c: &Class) {
        c.decorators.visit_with(self);
        c.super_class.visit_with(self);
        self.depth += 1;
        c.body.visit_with(self);
        self.depth -= 1;
    }

    fn visit_call_expr(&mut self, c: &CallExpr) {
        match &c.callee {
            Callee::Expr(e) => {
                if let Expr::Ident(i) = &**e {
                    if &*i.sym == "eval" && i.ctxt == self.unresolved && !evaluates_a_call(&c.args)
                    {
                        self.lexical.push((Lexical::DirectEval, c.span));
                    }
                }
            }
            Callee::Import(_) => {
                if let Some(s) = c.args.first().and_then(|a| literal_string(&a.expr)) {
                    self.dynamic_imports.push(s);
                }
            }
            Callee::Super(_) => {}
        }
        c.visit_children_with(self);
    }

    fn visit_jsx_element(&mut self, n: &JSXElement) {
        self.has_jsx = true;
        n.visit_children_with(self);
    }

    fn visit_jsx_fragment(&mut self, n: &JSXFragment) {
        self.has_jsx = true;
        n.visit_children_with(self);
    }

    fn visit_with_stmt(&mut self, w: &WithStmt) {
        self.lexical.push((Lexical::With, w.span));
        w.visit_children_with(self);
    }

    fn visit_labeled_stmt(&mut self, l: &LabeledStmt) {
        l.body.visit_with(self);
    }
    fn visit_break_stmt(&mut self, _: &BreakStmt) {}
    fn visit_continue_stmt(&mut self, _: &ContinueStmt) {}

    fn visit_var_decl(&mut self, v: &VarDecl) {
        if !v.declare {
            v.visit_children_with(self);
        }
    }
    fn visit_fn_decl(&mut self, f: &FnDecl) {
        if !f.declare {
            f.visit_children_with(self);
        }
    }
    fn visit_class_decl(&mut self, c: &ClassDecl) {
        if !c.declare {
            c.visit_children_with(self);
        }
    }
    fn visit_ts_enum_decl(&mut self, e: &TsEnumDecl) {
        if !e.declare {
            e.visit_children_with(self);
        }
    }
    fn visit_ts_module_decl(&mut self, m: &TsModuleDecl) {
        if !m.declare {
            m.visit_children_with(self);
        }
    }

    // Types never exist at run time.
    fn visit_ts_type(&mut self, _: &TsType) {}
    fn visit_ts_type_ann(&mut self, _: &TsTypeAnn) {}
    fn visit_ts_type_param_decl(&mut self, _: &TsTypeParamDecl) {}
    fn visit_ts_type_param_instantiation(&mut self, _: &TsTypeParamInstantiation) {}
    fn visit_ts_expr_with_type_args(&mut self, _: &TsExprWithTypeArgs) {}
    fn visit_ts_interface_decl(&mut self, _: &TsInterfaceDecl) {}
    fn visit_ts_type_alias_decl(&mut self, _: &TsTypeAliasDecl) {}
    fn visit_ts_index_signature(&mut self, _: &TsIndexSignature) {}
}

/// The free variables of one closure node, split into enclosing-scope and top-level names.
pub(crate) struct FreeVars {
    pub(crate) locals: Vec<(Id, Binding)>,
    pub(crate) top_level: Vec<(Id, Binding)>,
    pub(crate) lexical: Vec<(Lexical, Span)>,
    pub(crate) dynamic_imports: Vec<String>,
    pub(crate) has_jsx: bool,
}

pub(crate) fn free_vars(
    node: &dyn FreeVarsNode,
    closure_span: Span,
    scope: &ScopeInfo,
    unresolved: SyntaxContext,
    top_level: SyntaxContext,
) -> FreeVars {
    let mut refs = Refs::new(unresolved);
    node.walk(&mut refs);
    let mut seen = FxHashSet::default();
    let mut out = FreeVars {
        locals: vec![],
        top_level: vec![],
        lexical: refs.lexical,
        dynamic_imports: refs.dynamic_imports,
        has_jsx: refs.has_jsx,
    };
    for (i, _) in refs.refs {
        if i.1 == unresolved || !seen.insert(i.clone()) {
            continue;
        }
        let Some(b) = scope.binding(&i) else { continue };
        if !matches!(b.decl, Declared::Value(_)) || closure_span.contains(b.span) {
            continue;
        }
        if i.1 == top_level {
            out.top_level.push((i, *b));
        } else {
            out.locals.push((i, *b));
        }
    }
    out
}

/// Nodes [`free_vars`] can walk.
pub(crate) trait FreeVarsNode {
    fn walk(&self, v: &mut Refs);
}
impl<T: VisitWith<Refs>> FreeVarsNode for T {
    fn walk(&self, v: &mut Refs) {
        self.visit_with(v)
    }
}

/// Top-level names reachable from `roots` through the declarations that would be copied into a
/// worker module, stopping at names in `stop` (passed by value). Returns each reached name with
/// the name that pulled it in, in discovery order, and the parts to copy.
pub(crate) fn reach(
    scope: &ScopeInfo,
    module: &Module,
    roots: &[Id],
    stop: &dyn Fn(&Id) -> bool,
) -> (Vec<(Id, Option<Id>)>, Vec<usize>) {
    let mut seen = FxHashSet::default();
    let mut order = Vec::new();
    let mut parts = Vec::new();
    let mut parts_seen = FxHashSet::default();
    let mut queue: VecDeque<(Id, Option<Id>)> = roots.iter().map(|r| (r.clone(), None)).collect();
    while let Some((name, via)) = queue.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        order.push((name.clone(), via));
        if stop(&name) {
            continue;
        }
        for &p in scope.parts_of.get(&name).map(Vec::as_slice).unwrap_or(&[]) {
            if parts_seen.insert(p) {
                parts.push(p);
                for d in &scope.part_refs(module, p).deps {
                    queue.push_back((d.clone(), Some(name.clone())));
                }
            }
        }
    }
    (order, parts)
}

impl Spanned for Binding {
    fn span(&self) -> Span {
        self.span
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;

    fn deps(f: &SourceFile, p: usize) -> Vec<String> {
        f.scope
            .part_refs(&f.module, p)
            .deps
            .iter()
            .map(|d| d.0.to_string())
            .collect()
    }

    #[test]
    fn parts_record_their_top_level_dependencies_but_not_types() {
        let src = "import { a, type T } from './a';\nconst b = a + 1, c = 2;\nfunction g(x: T): typeof c { return b + x; }\ninterface I { n: number }\n";
        let f = SourceFile::parse("file:///a.ts", src).unwrap();
        let parts = &f.scope.parts;
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert_eq!(parts[0].sub, Sub::Specifier(0));
        assert_eq!(f.scope.part_refs(&f.module, 0).specifiers, ["./a"]);
        assert_eq!(deps(&f, 1), ["a"]);
        assert!(deps(&f, 2).is_empty());
        assert_eq!(deps(&f, 3), ["b"]);
    }

    #[test]
    fn reach_stops_at_names_passed_by_value() {
        let src = "const a = 1;\nconst b = a;\nfunction f() { return b; }\n";
        let f = SourceFile::parse("file:///a.js", src).unwrap();
        let root = f
            .scope
            .parts_of
            .keys()
            .find(|k| &*k.0 == "f")
            .unwrap()
            .clone();
        let (all, parts) = reach(&f.scope, &f.module, std::slice::from_ref(&root), &|_| false);
        assert_eq!(all.len(), 3);
        assert_eq!(parts.len(), 3);
        let (some, parts) = reach(&f.scope, &f.module, &[root], &|i| &*i.0 == "b");
        assert_eq!(some.len(), 2);
        assert_eq!(parts.len(), 1);
    }
}
