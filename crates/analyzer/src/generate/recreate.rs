//! Which top-level declarations a worker module re-creates, and copies of them.

use rustc_hash::FxHashSet;
use swc_ecma_ast::*;

use crate::error::AnalyzeError;
use crate::locate::Closure;
use crate::parse::SourceFile;
use crate::scope::{self, Declared, Id, Sub};

/// What a worker module re-creates and what it receives by value.
pub(super) struct Plan {
    /// The parts of top-level items to copy (indexes into `ScopeInfo::parts`), in source order.
    pub(super) parts: Vec<usize>,
    /// The top-level names passed by value that the closure or a copied declaration uses, in the
    /// order they are reached.
    pub(super) by_value: Vec<String>,
}

/// Works out the top-level declarations `closure` needs, transitively, stopping at the names in
/// `by_value`. Statements that complete a needed binding (`Counter.prototype.inc = …`, see
/// [`crate::completion`]) are parts of it and come along.
///
/// # Errors
/// [`AnalyzeError::UnknownByValueName`] for a `by_value` name the closure does not use,
/// [`AnalyzeError::CannotRecreate`] for a needed name declared where it cannot be copied on its
/// own (a `var` in a top-level block or loop), [`AnalyzeError::ModifiedAtTopLevel`] for one that
/// a top-level statement may change in a way that cannot be copied, and [`AnalyzeError::DirectEval`] when a
/// declaration to copy calls `eval` directly with anything but a call.
pub(super) fn plan(
    file: &SourceFile,
    closure: &Closure,
    by_value: &[&str],
) -> Result<Plan, AnalyzeError> {
    let by_value = by_value_ids(closure, by_value)?;
    let (reached, mut parts) = scope::reach(&file.scope, &file.module, &closure.direct_ids, &|i| {
        by_value.contains(i)
    });
    let mut passed = Vec::new();
    for (i, _) in &reached {
        let Some(b) = file.scope.binding(i) else {
            continue;
        };
        if !matches!(b.decl, Declared::Value(_)) {
            continue;
        }
        if by_value.contains(i) {
            passed.push(i.0.to_string());
        } else if !file.scope.parts_of.contains_key(i) {
            let (line, column) = file.pos(b.span.lo);
            return Err(AnalyzeError::CannotRecreate {
                name: i.0.to_string(),
                line,
                column,
            });
        } else if let Some(&at) = file.scope.modified_by.get(i) {
            let (line, column) = file.pos(b.span.lo);
            let (statement_line, statement_column) = file.pos(at.lo);
            return Err(AnalyzeError::ModifiedAtTopLevel {
                name: i.0.to_string(),
                line,
                column,
                statement: excerpt(file.text(at)),
                statement_line,
                statement_column,
            });
        }
    }
    parts.sort_by_key(|&p| (file.scope.parts[p].item, file.scope.parts[p].sub));
    if let Some(at) = parts
        .iter()
        .find_map(|&p| file.scope.part_refs(&file.module, p).direct_eval)
    {
        let (line, column) = file.pos(at.lo);
        return Err(AnalyzeError::DirectEval { line, column });
    }
    Ok(Plan {
        parts,
        by_value: passed,
    })
}

/// The first line of a statement, shortened, to quote in a message.
fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None if line.len() < text.trim().len() => format!("{line} …"),
        None => line.to_owned(),
    }
}

/// The ids of the `by_value` names among the closure's top-level captures.
fn by_value_ids(closure: &Closure, by_value: &[&str]) -> Result<FxHashSet<Id>, AnalyzeError> {
    by_value
        .iter()
        .map(|&name| {
            closure
                .top_ids
                .iter()
                .find(|i| &*i.0 == name)
                .cloned()
                .ok_or_else(|| AnalyzeError::UnknownByValueName {
                    name: name.to_owned(),
                })
        })
        .collect()
}

/// Copies of the `parts` (sorted by item) of the caller's top-level items: one statement per
/// item, holding only the parts needed, without `export`.
pub(super) fn copy(file: &SourceFile, parts: &[usize]) -> Vec<ModuleItem> {
    let part = |p: usize| &file.scope.parts[p];
    parts
        .chunk_by(|&a, &b| part(a).item == part(b).item)
        .filter_map(|same_item| {
            let subs: Vec<Sub> = same_item.iter().map(|&p| part(p).sub).collect();
            copy_item(&file.module.body[part(same_item[0]).item], &subs)
        })
        .collect()
}

/// The parts `subs` of a top-level item, as a statement without `export`.
fn copy_item(item: &ModuleItem, subs: &[Sub]) -> Option<ModuleItem> {
    let stmt = |d: Decl| Some(ModuleItem::Stmt(Stmt::Decl(d)));
    let decl = match item {
        ModuleItem::ModuleDecl(ModuleDecl::Import(imp)) => {
            let mut imp = imp.clone();
            imp.specifiers = imp
                .specifiers
                .into_iter()
                .enumerate()
                .filter(|(j, _)| subs.contains(&Sub::Specifier(*j)))
                .map(|(_, s)| s)
                .collect();
            return Some(ModuleItem::ModuleDecl(ModuleDecl::Import(imp)));
        }
        ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(ie)) => {
            let mut ie = ie.clone();
            ie.is_export = false;
            return Some(ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(ie)));
        }
        ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(d)) => {
            return match &d.decl {
                DefaultDecl::Fn(FnExpr {
                    ident: Some(ident),
                    function,
                }) => stmt(Decl::Fn(FnDecl {
                    ident: ident.clone(),
                    declare: false,
                    function: function.clone(),
                })),
                DefaultDecl::Class(ClassExpr {
                    ident: Some(ident),
                    class,
                }) => stmt(Decl::Class(ClassDecl {
                    ident: ident.clone(),
                    declare: false,
                    class: class.clone(),
                })),
                _ => None,
            };
        }
        ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => &e.decl,
        ModuleItem::Stmt(Stmt::Decl(d)) => d,
        // A statement completing a binding, as written.
        ModuleItem::Stmt(s @ Stmt::Expr(_)) => return Some(ModuleItem::Stmt(s.clone())),
        _ => return None,
    };
    let keep = |decls: &[VarDeclarator]| -> Vec<VarDeclarator> {
        decls
            .iter()
            .enumerate()
            .filter(|(j, _)| subs.contains(&Sub::Declarator(*j)))
            .map(|(_, d)| d.clone())
            .collect()
    };
    match decl {
        Decl::Var(v) => {
            let mut v = v.clone();
            v.decls = keep(&v.decls);
            stmt(Decl::Var(v))
        }
        Decl::Using(u) => {
            let mut u = u.clone();
            u.decls = keep(&u.decls);
            stmt(Decl::Using(u))
        }
        other => stmt(other.clone()),
    }
}
