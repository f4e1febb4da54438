//! Every `eval(spawn(…))` of a file, for the build-time transform.
//!
//! The transform rewrites each such expression into an eval-free call, so it needs the whole
//! file's sites at once rather than one position from a stack trace. A `spawn` here is a binding
//! imported from weft: `import { spawn } from "weft"` (renamed or not), `ns.spawn` of
//! `import * as ns from "weft"`, and the same through `require("weft")` at the top level. Other
//! functions named `spawn` are left alone.
//!
//! A weft `spawn` call that is not the argument of a direct `eval`, or that passes a spread or
//! more than two arguments, is reported as [`UnhandledSpawn`]: the transform fails the build
//! there rather than leave a call that needs its source file at run time.

use serde::Serialize;
use swc_common::{Span, Spanned};
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use crate::locate::Closure;
use crate::parse::SourceFile;
use crate::scope::{BindingKind, Declared, Id, Sub};
use crate::walk::unwrapped;

/// One `eval(spawn(fn, options?))` of a file. Offsets count UTF-16 code units from the start of
/// the text (as JS string indexes do); positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpawnSite {
    /// Where the `spawn(…)` call starts (a position [`SourceFile::closure_at`] accepts).
    pub line: u32,
    pub column: u32,
    /// The `eval(…)` call: `[start, end)`.
    pub eval: [u32; 2],
    /// The options argument, when there is one: `[start, end)`.
    pub options: Option<[u32; 2]>,
}

/// A weft `spawn` call the transform cannot rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnhandledSpawn {
    pub line: u32,
    pub column: u32,
    /// Why, as a phrase that follows "spawn at <file>:<line>:<column> ".
    pub reason: String,
}

/// What [`SourceFile::spawn_sites`] finds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpawnSites {
    pub sites: Vec<SpawnSite>,
    pub unhandled: Vec<UnhandledSpawn>,
}

/// Whether a module specifier names weft's package.
fn is_weft(specifier: &str) -> bool {
    let name = specifier
        .strip_prefix("npm:")
        .or_else(|| specifier.strip_prefix("jsr:"))
        .unwrap_or(specifier);
    let name = name.strip_prefix('/').unwrap_or(name);
    for package in ["weft", "@weft/weft"] {
        if let Some(rest) = name.strip_prefix(package) {
            if rest.is_empty() || rest.starts_with('@') {
                return true;
            }
        }
    }
    false
}

fn require_of(e: &Expr) -> Option<String> {
    let Expr::Call(call) = unwrapped(e) else {
        return None;
    };
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let Expr::Ident(name) = &**callee else {
        return None;
    };
    if &*name.sym != "require" || call.args.len() != 1 {
        return None;
    }
    crate::scope::literal_string(&call.args[0].expr)
}

/// The local names of weft's `spawn` and of weft's module namespace.
#[derive(Default)]
struct Bindings {
    spawn: Vec<Id>,
    namespaces: Vec<Id>,
}

impl Bindings {
    fn of(module: &Module) -> Bindings {
        let mut found = Bindings::default();
        for item in &module.body {
            match item {
                ModuleItem::ModuleDecl(ModuleDecl::Import(import))
                    if !import.type_only && is_weft(&import.src.value.to_atom_lossy()) =>
                {
                    for s in &import.specifiers {
                        match s {
                            ImportSpecifier::Named(n) if !n.is_type_only => {
                                let imported = match &n.imported {
                                    Some(ModuleExportName::Ident(i)) => i.sym.to_string(),
                                    Some(ModuleExportName::Str(s)) => {
                                        s.value.to_atom_lossy().to_string()
                                    }
                                    None => n.local.sym.to_string(),
                                };
                                if imported == "spawn" {
                                    found.spawn.push((n.local.sym.clone(), n.local.ctxt));
                                }
                            }
                            ImportSpecifier::Namespace(n) => {
                                found.namespaces.push((n.local.sym.clone(), n.local.ctxt));
                            }
                            _ => {}
                        }
                    }
                }
                ModuleItem::Stmt(Stmt::Decl(Decl::Var(var))) => {
                    for d in &var.decls {
                        let Some(init) = &d.init else { continue };
                        if !require_of(init).is_some_and(|s| is_weft(&s)) {
                            continue;
                        }
                        match &d.name {
                            Pat::Ident(i) => found.namespaces.push((i.id.sym.clone(), i.id.ctxt)),
                            Pat::Object(o) => {
                                for p in &o.props {
                                    match p {
                                        ObjectPatProp::Assign(a) if &*a.key.sym == "spawn" => {
                                            found.spawn.push((a.key.sym.clone(), a.key.ctxt));
                                        }
                                        ObjectPatProp::KeyValue(kv) => {
                                            let key = match &kv.key {
                                                PropName::Ident(i) => Some(i.sym.to_string()),
                                                PropName::Str(s) => {
                                                    Some(s.value.to_atom_lossy().to_string())
                                                }
                                                _ => None,
                                            };
                                            if let (Some("spawn"), Pat::Ident(v)) =
                                                (key.as_deref(), &*kv.value)
                                            {
                                                found.spawn.push((v.id.sym.clone(), v.id.ctxt));
                                            }
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        found
    }

    fn is_spawn(&self, callee: &Callee) -> bool {
        let Callee::Expr(e) = callee else {
            return false;
        };
        match unwrapped(e) {
            Expr::Ident(i) => self.spawn.contains(&(i.sym.clone(), i.ctxt)),
            Expr::Member(m) => {
                let named_spawn = match &m.prop {
                    MemberProp::Ident(p) => &*p.sym == "spawn",
                    MemberProp::Computed(c) => {
                        crate::scope::literal_string(&c.expr).as_deref() == Some("spawn")
                    }
                    MemberProp::PrivateName(_) => false,
                };
                named_spawn
                    && matches!(unwrapped(&m.obj), Expr::Ident(o) if self.namespaces.contains(&(o.sym.clone(), o.ctxt)))
            }
            _ => false,
        }
    }
}

struct Finder<'a> {
    file: &'a SourceFile,
    bindings: Bindings,
    /// Spawn calls already taken as the argument of an eval.
    taken: Vec<Span>,
    found: SpawnSites,
    /// UTF-16 offset of byte `last.0` (a cursor: sites are visited in source order).
    last: (usize, u32),
}

impl Finder<'_> {
    fn utf16(&mut self, pos: swc_common::BytePos) -> u32 {
        let src = self.file.src();
        let mut byte = (pos.0.saturating_sub(self.file.start) as usize).min(src.len());
        while !src.is_char_boundary(byte) {
            byte -= 1;
        }
        let (from, mut units) = if byte >= self.last.0 {
            self.last
        } else {
            (0, 0)
        };
        units += src[from..byte].encode_utf16().count() as u32;
        self.last = (byte, units);
        units
    }

    fn unhandled(&mut self, span: Span, reason: &str) {
        let (line, column) = self.file.pos(span.lo);
        self.found.unhandled.push(UnhandledSpawn {
            line,
            column,
            reason: reason.to_owned(),
        });
    }
}

impl Visit for Finder<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        let is_direct_eval = matches!(&call.callee, Callee::Expr(e) if matches!(&**e, Expr::Ident(i) if &*i.sym == "eval" && i.ctxt == self.file.unresolved));
        if is_direct_eval && call.args.len() == 1 && call.args[0].spread.is_none() {
            if let Expr::Call(inner) = unwrapped(&call.args[0].expr) {
                if self.bindings.is_spawn(&inner.callee) {
                    self.taken.push(inner.span);
                    if inner.args.iter().any(|a| a.spread.is_some()) {
                        self.unhandled(inner.span, "passes a spread argument: write the closure and the options object out");
                    } else if inner.args.len() > 2 {
                        self.unhandled(
                            inner.span,
                            "passes more than a closure and an options object",
                        );
                    } else {
                        let (line, column) = self.file.pos(inner.span.lo);
                        let start = self.utf16(call.span.lo);
                        let options = match inner.args.get(1) {
                            Some(a) => {
                                let span = a.expr.span();
                                Some([self.utf16(span.lo), self.utf16(span.hi)])
                            }
                            None => None,
                        };
                        let end = self.utf16(call.span.hi);
                        self.found.sites.push(SpawnSite {
                            line,
                            column,
                            eval: [start, end],
                            options,
                        });
                    }
                }
            }
        }
        if self.bindings.is_spawn(&call.callee) && !self.taken.contains(&call.span) {
            self.unhandled(
                call.span,
                "does not pass its script straight to eval: write `eval(spawn(() => …))`",
            );
        }
        call.visit_children_with(self);
    }
}

impl SourceFile {
    /// Every `eval(spawn(…))` of weft's `spawn` in the file, in source order, and the weft
    /// `spawn` calls that cannot be rewritten (see the module documentation).
    pub fn spawn_sites(&self) -> SpawnSites {
        let bindings = Bindings::of(&self.module);
        if bindings.spawn.is_empty() && bindings.namespaces.is_empty() {
            return SpawnSites::default();
        }
        let mut finder = Finder {
            file: self,
            bindings,
            taken: Vec::new(),
            found: SpawnSites::default(),
            last: (0, 0),
        };
        self.module.visit_with(&mut finder);
        finder.found
    }

    /// The top-level names of `closure` that code transformed at build time passes by value:
    /// those declared with `let`, `var`, `const` or `using` whose value is data as far as the
    /// declaration shows. A declaration initialised with a function, class or `require(…)`, or
    /// completed by later top-level statements (`registry.make = …`), is re-created in the worker
    /// instead, as are functions, classes, enums, namespaces and imports.
    ///
    /// At run time the transformed call checks each value passed: one that cannot cross (a
    /// function returned by a factory, say) fails at the call, naming the variable.
    pub fn build_time_by_value(&self, closure: &Closure) -> Vec<String> {
        let mut names = Vec::new();
        for (capture, id) in closure.top_level.iter().zip(&closure.top_ids) {
            if !matches!(
                capture.kind,
                BindingKind::Var | BindingKind::Let | BindingKind::Const | BindingKind::Using
            ) {
                continue;
            }
            if !matches!(
                self.scope.binding(id).map(|b| b.decl),
                Some(Declared::Value(_))
            ) {
                continue;
            }
            if self.holds_code(id) {
                continue;
            }
            if !names.contains(&capture.name) {
                names.push(capture.name.clone());
            }
        }
        names
    }

    /// Whether the declaration of `id` shows that it holds code: initialised with a function, a
    /// class, `require(…)` or `import(…)`, or completed by later statements.
    fn holds_code(&self, id: &Id) -> bool {
        let Some(parts) = self.scope.parts_of.get(id) else {
            return false;
        };
        if parts.len() > 1 {
            return true;
        }
        let part = &self.scope.parts[parts[0]];
        let Sub::Declarator(d) = part.sub else {
            return false;
        };
        let var = match &self.module.body[part.item] {
            ModuleItem::Stmt(Stmt::Decl(Decl::Var(v))) => v,
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl {
                decl: Decl::Var(v),
                ..
            })) => v,
            _ => return false,
        };
        let Some(init) = var.decls.get(d).and_then(|d| d.init.as_deref()) else {
            return false;
        };
        let init = match unwrapped(init) {
            Expr::Await(a) => unwrapped(&a.arg),
            e => e,
        };
        match init {
            Expr::Arrow(_) | Expr::Fn(_) | Expr::Class(_) => true,
            Expr::Call(c) => matches!(c.callee, Callee::Import(_)) || require_of(init).is_some(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    #[test]
    fn finds_eval_spawn_sites_and_refuses_the_rest() {
        let src = "import { spawn as s } from \"weft\";\nimport * as w from \"npm:weft@1\";\nconst spawn = () => 0;\nconst a = await eval(s(() => 1));\nconst b = eval(w.spawn(() => 2, { timeout: 5 }));\nconst c = s(() => 3);\neval(spawn(() => 4));\n";
        let file = SourceFile::parse("file:///a.js", src).unwrap();
        let found = file.spawn_sites();
        assert_eq!(found.sites.len(), 2);
        let first = &found.sites[0];
        assert_eq!((first.line, first.column), (4, 22));
        let units: Vec<u16> = src.encode_utf16().collect();
        let text = |r: [u32; 2]| String::from_utf16(&units[r[0] as usize..r[1] as usize]).unwrap();
        assert_eq!(text(first.eval), "eval(s(() => 1))");
        assert_eq!(first.options, None);
        assert_eq!(
            text(found.sites[1].eval),
            "eval(w.spawn(() => 2, { timeout: 5 }))"
        );
        assert_eq!(text(found.sites[1].options.unwrap()), "{ timeout: 5 }");
        assert_eq!(found.unhandled.len(), 1);
        assert_eq!(
            (found.unhandled[0].line, found.unhandled[0].column),
            (6, 11)
        );
    }

    #[test]
    fn offsets_count_utf16_units() {
        let src = "const { spawn } = require(\"weft\");\nconst s = \"𝒳é\"; eval(spawn(() => s));\n";
        let file = SourceFile::parse("file:///a.cjs", src).unwrap();
        let found = file.spawn_sites();
        let units: Vec<u16> = src.encode_utf16().collect();
        let r = found.sites[0].eval;
        assert_eq!(
            String::from_utf16(&units[r[0] as usize..r[1] as usize]).unwrap(),
            "eval(spawn(() => s))"
        );
    }

    #[test]
    fn by_value_follows_the_declaration() {
        let src = "import { spawn } from \"weft\";\nimport { x } from \"./x.js\";\nconst limit = 3;\nlet count = 0;\nconst helper = (n) => n + limit;\nfunction f() { return count; }\nconst registry = {};\nregistry.make = () => 1;\nconst made = make();\nfunction make() { return 1; }\neval(spawn(() => [x, limit, helper(1), f(), registry.make(), made]));\n";
        let file = SourceFile::parse("file:///a.js", src).unwrap();
        let site = &file.spawn_sites().sites[0];
        let closure = file.closure_at(site.line, site.column, None).unwrap();
        assert_eq!(
            file.build_time_by_value(&closure),
            ["limit", "made", "count"]
        );
    }
}
