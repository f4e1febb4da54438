//! Building the ES module a worker imports to run one closure.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use swc_atoms::Atom;
use swc_common::{BytePos, LineCol, Span, Spanned, DUMMY_SP, GLOBALS};
use swc_ecma_ast::*;
use swc_ecma_codegen::{text_writer::JsWriter, Emitter};
use swc_ecma_visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use crate::error::AnalyzeError;
use crate::locate::Closure;
use crate::parse::{ModuleKind, SourceFile};
use crate::position_map::MapBuilder;
use crate::scope::{self, Declared, Id, Refs, Sub};
use crate::specifier::{dir_name, file_path, is_absolute_url, is_bare, is_relative, resolve};

/// The worker module for one closure.
///
/// ```js
/// import { helper } from "file:///app/src/util.js";   // only the imports the closure needs
/// export default function __weft_run(__weft_locals, __weft_top) {
/// let { limit } = __weft_top;                          // top-level names passed by value
/// function square(x) { return x * x; }                 // top-level declarations re-created
/// return (({ n }) => (() => helper(square(n), limit))())(__weft_locals);
/// }
/// ```
///
/// The runtime imports the module and calls its default export with two objects: the values of
/// [`GeneratedModule::locals`] (the closure's enclosing-scope captures) and of
/// [`GeneratedModule::top_level`] (the top-level names it chose to pass by value). The export
/// returns whatever the closure returns (a promise for async closures, and always a promise when
/// [`GeneratedModule::is_async`] is set because a re-created declaration awaits).
///
/// In CommonJS callers, `require` keeps resolving from the caller's file: the module creates it
/// with `createRequire(<caller URL>)` from `node:module` when the copied code uses it.
///
/// Nothing else of the caller's module runs: re-created declarations are evaluated inside the
/// export on every call, in their original order; imports stay at module level. Locals are bound
/// in an inner scope, so they may share a name with a top-level declaration the closure reaches
/// only indirectly.
///
/// The wrapper's own names start with `__weft_`, or with `__weft1_`, `__weft2_`, … when the
/// caller's file contains `__weft_` anywhere: no name in the file can collide with them.
///
/// Serialized (by the Wasm glue, for weft's JS) with only what the JS reads: `code` and
/// `mappings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedModule {
    /// ES module source text.
    pub code: String,
    /// The export to call: always `"default"`.
    #[serde(skip)]
    pub export_name: String,
    /// Keys the export reads from its first argument: the closure's enclosing-scope captures.
    #[serde(skip)]
    pub locals: Vec<String>,
    /// Keys the export reads from its second argument: the top-level names passed by value that
    /// the closure or a re-created declaration uses.
    #[serde(skip)]
    pub top_level: Vec<String>,
    /// The export is an `async` function because a re-created top-level declaration awaits.
    #[serde(skip)]
    pub is_async: bool,
    /// The code contains JSX: load it as `.jsx` (the caller's runtime must support JSX).
    #[serde(skip)]
    pub has_jsx: bool,
    /// Bare specifiers that were left as written because `resolved` had no entry for them.
    #[serde(skip)]
    pub unresolved_bare: Vec<String>,
    /// Where the copied code (imports, re-created declarations, the closure) came from in the
    /// caller's file: sorted `[generated_line, generated_column, original_line, original_column]`
    /// entries, 1-based, columns in UTF-16 code units; an original line of `0` ends the mapped
    /// text on its line. Look positions up with [`map_position`](crate::map_position): a stack
    /// frame inside the module, or a `spawn(...)`/`new X(...)` call in it (a spawn nested in a
    /// worker), becomes a position in the caller's file to report or analyse there.
    pub mappings: Vec<[u32; 4]>,
}

/// The names the wrapper code declares, with a prefix that occurs nowhere in the caller's file.
struct WrapperNames {
    run: String,
    locals: String,
    top: String,
    create_require: String,
    /// Marks the closure among the items handed to the transforms; never printed.
    closure: String,
}

impl WrapperNames {
    fn for_text(text: &str) -> WrapperNames {
        let prefix = (0u32..)
            .map(|n| match n {
                0 => "__weft_".to_owned(),
                n => format!("__weft{n}_"),
            })
            .find(|p| !text.contains(p.as_str()))
            .expect("a text cannot contain every prefix");
        WrapperNames {
            run: format!("{prefix}run"),
            locals: format!("{prefix}locals"),
            top: format!("{prefix}top"),
            create_require: format!("{prefix}createRequire"),
            closure: format!("{prefix}closure"),
        }
    }
}

/// Finds and clones the closure expression with a given span.
struct CloneClosure {
    target: Span,
    found: Option<Expr>,
}

impl Visit for CloneClosure {
    fn visit_expr(&mut self, n: &Expr) {
        if self.found.is_some() || !n.span().contains(self.target) {
            return;
        }
        if n.span() == self.target && matches!(n, Expr::Arrow(_) | Expr::Fn(_)) {
            self.found = Some(n.clone());
        } else {
            n.visit_children_with(self);
        }
    }
    fn visit_ts_type(&mut self, _: &TsType) {}
}

/// Rewrites what must keep meaning the caller's file: specifiers, `import.meta.*`,
/// `__filename`/`__dirname`; notes whether `require` and JSX occur.
struct Rewrite<'a> {
    url: &'a str,
    path: Option<String>,
    cjs: bool,
    unresolved: swc_common::SyntaxContext,
    resolved: &'a HashMap<String, String>,
    unresolved_bare: Vec<String>,
    uses_require: bool,
    has_jsx: bool,
}

/// A string literal with the span of the code it replaces, so the position map still covers it.
fn str_lit(s: &str, span: Span) -> Str {
    Str {
        span,
        value: Atom::from(s).into(),
        raw: None,
    }
}

impl Rewrite<'_> {
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

    fn rewrite_arg(&mut self, args: &mut [ExprOrSpread]) {
        if let Some(first) = args.first_mut() {
            if let Some(s) = scope::literal_string(&first.expr) {
                if let Some(new) = self.specifier(&s) {
                    *first.expr = Expr::Lit(Lit::Str(str_lit(&new, first.expr.span())));
                }
            }
        }
    }

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
        if &*i.sym == "require"
            && (i.ctxt == self.unresolved || i.ctxt == swc_common::SyntaxContext::empty())
        {
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

/// The code for `body`, with the code generator's (original position, generated 0-based line and
/// UTF-16 column) entries.
fn emit(file: &SourceFile, body: Vec<ModuleItem>) -> (String, Vec<(BytePos, LineCol)>) {
    let module = Module {
        span: DUMMY_SP,
        body,
        shebang: None,
    };
    let mut buf = Vec::new();
    let mut srcmap = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: swc_ecma_codegen::Config::default().with_target(EsVersion::latest()),
            cm: file.cm.clone(),
            comments: None,
            wr: JsWriter::new(file.cm.clone(), "\n", &mut buf, Some(&mut srcmap)),
        };
        // Writing to a Vec cannot fail.
        let _ = emitter.emit_module(&module);
    }
    (String::from_utf8_lossy(&buf).into_owned(), srcmap)
}

/// The 0-based line and UTF-16 column at the end of `code`, counting lines as the code generator
/// does (`\n`, `\r\n`, `\r`).
fn end_of(code: &str) -> (u32, u32) {
    let bytes = code.as_bytes();
    let (mut line, mut start) = (0, 0);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            start = i + 1;
        }
    }
    (line, code[start..].encode_utf16().count() as u32)
}

impl SourceFile {
    /// Emits the ES module that runs `closure` in a worker.
    ///
    /// `by_value` lists the top-level names (from [`Closure::top_level`]) the runtime will pass by
    /// value; every other top-level name the closure needs is re-created from its import or
    /// declaration, transitively. `resolved` maps bare specifiers (see
    /// [`Closure::bare_specifiers`]) to the URLs they resolve to from the caller; unmapped bare
    /// specifiers are left as written. Relative specifiers become absolute URLs, and
    /// `import.meta.url`/`filename`/`dirname` (and `__filename`/`__dirname` in CommonJS) keep
    /// naming the caller's file.
    ///
    /// # Errors
    /// [`AnalyzeError::ForeignClosure`] if `closure` came from another file or version,
    /// [`AnalyzeError::UnknownByValueName`] for a `by_value` name the closure does not use,
    /// [`AnalyzeError::CannotRecreate`], and [`AnalyzeError::DirectEval`] when a declaration to
    /// re-create calls `eval` directly with anything but a call (`eval(spawn(...))` is fine).
    ///
    /// # Examples
    /// ```
    /// use std::collections::HashMap;
    /// use weft_analyzer::SourceFile;
    ///
    /// let src = "import { spawn } from 'weft';\nimport { sum } from './math.js';\nconst data = [1, 2];\nspawn(() => sum(data));\n";
    /// let file = SourceFile::parse("file:///app/main.js", src).unwrap();
    /// let closure = file.closure_at(4, 1, None).unwrap();
    /// let module = file.generate(&closure, &["data"], &HashMap::new()).unwrap();
    /// assert!(module.code.contains(r#"import { sum } from "file:///app/math.js";"#));
    /// assert!(!module.code.contains("from \"weft\""));
    /// assert_eq!(module.top_level, ["data"]);
    /// ```
    pub fn generate(
        &self,
        closure: &Closure,
        by_value: &[&str],
        resolved: &HashMap<String, String>,
    ) -> Result<GeneratedModule, AnalyzeError> {
        let (line, column) = (closure.call_line, closure.call_column);
        crate::guard::catch(&self.url, line, column, || {
            self.generate_unguarded(closure, by_value, resolved)
        })
    }

    fn generate_unguarded(
        &self,
        closure: &Closure,
        by_value: &[&str],
        resolved: &HashMap<String, String>,
    ) -> Result<GeneratedModule, AnalyzeError> {
        if closure.file_hash != self.hash {
            return Err(AnalyzeError::ForeignClosure);
        }
        let mut by_value_ids: HashSet<Id> = HashSet::new();
        for name in by_value {
            match closure.top_ids.iter().find(|i| &*i.0 == *name) {
                Some(i) => {
                    by_value_ids.insert(i.clone());
                }
                None => {
                    return Err(AnalyzeError::UnknownByValueName {
                        name: (*name).to_owned(),
                    })
                }
            }
        }
        let (reached, mut parts) =
            scope::reach(&self.scope, &self.module, &closure.direct_ids, &|i| {
                by_value_ids.contains(i)
            });
        let mut top_params = Vec::new();
        for (i, _) in &reached {
            let Some(b) = self.scope.binding(i) else {
                continue;
            };
            if !matches!(b.decl, Declared::Value(_)) {
                continue;
            }
            if by_value_ids.contains(i) {
                top_params.push(i.0.to_string());
            } else if !self.scope.parts_of.contains_key(i) {
                let (line, column) = self.pos(b.span.lo);
                return Err(AnalyzeError::CannotRecreate {
                    name: i.0.to_string(),
                    line,
                    column,
                });
            }
        }
        parts.sort_by_key(|&p| (self.scope.parts[p].item, self.scope.parts[p].sub));
        if let Some(at) = parts
            .iter()
            .filter_map(|&p| self.scope.part_refs(&self.module, p).direct_eval)
            .next()
        {
            let (line, column) = self.pos(at.lo);
            return Err(AnalyzeError::DirectEval { line, column });
        }

        // Copy the needed pieces of each top-level item, without `export`.
        let mut items: Vec<ModuleItem> = Vec::new();
        let mut k = 0;
        while k < parts.len() {
            let item = self.scope.parts[parts[k]].item;
            let mut subs = Vec::new();
            while k < parts.len() && self.scope.parts[parts[k]].item == item {
                subs.push(self.scope.parts[parts[k]].sub);
                k += 1;
            }
            if let Some(copied) = copy_item(&self.module.body[item], &subs) {
                items.push(copied);
            }
        }

        let names = WrapperNames::for_text(self.src());
        let mut finder = CloneClosure {
            target: closure.span,
            found: None,
        };
        self.module.visit_with(&mut finder);
        let Some(expr) = finder.found else {
            return Err(AnalyzeError::ForeignClosure);
        };
        items.push(ModuleItem::Stmt(Stmt::Expr(ExprStmt {
            span: DUMMY_SP,
            expr: Box::new(Expr::Call(CallExpr {
                callee: Callee::Expr(Box::new(Expr::Ident(Ident::new_no_ctxt(
                    names.closure.as_str().into(),
                    DUMMY_SP,
                )))),
                args: vec![ExprOrSpread {
                    spread: None,
                    expr: Box::new(expr),
                }],
                ..Default::default()
            })),
        })));

        let mut module = Module {
            span: DUMMY_SP,
            body: items,
            shebang: None,
        };
        if self.language.is_typescript() {
            let config = swc_ecma_transforms_typescript::Config {
                no_empty_export: true,
                ..Default::default()
            };
            let mut program = Program::Module(module);
            GLOBALS.set(&self.globals, || {
                swc_ecma_transforms_typescript::typescript(
                    config,
                    self.unresolved_mark,
                    self.top_level_mark,
                )
                .process(&mut program);
            });
            module = match program {
                Program::Module(m) => m,
                Program::Script(s) => Module {
                    span: s.span,
                    body: s.body.into_iter().map(ModuleItem::Stmt).collect(),
                    shebang: None,
                },
            };
        }

        // Transforms leave parentheses to the fixer (`(function (N) {…})(N || (N = {}))`).
        let mut program = Program::Module(module);
        GLOBALS.set(&self.globals, || {
            swc_ecma_transforms_base::fixer::fixer(None).process(&mut program)
        });
        let mut module = match program {
            Program::Module(m) => m,
            Program::Script(s) => Module {
                span: s.span,
                body: s.body.into_iter().map(ModuleItem::Stmt).collect(),
                shebang: None,
            },
        };

        let mut rewrite = Rewrite {
            url: &self.url,
            path: file_path(&self.url),
            cjs: self.kind == ModuleKind::CommonJs,
            unresolved: self.unresolved,
            resolved,
            unresolved_bare: Vec::new(),
            uses_require: false,
            has_jsx: false,
        };
        module.visit_mut_with(&mut rewrite);

        let mut imports = Vec::new();
        let mut body = Vec::new();
        let mut closure_expr = None;
        for it in module.body {
            match it {
                ModuleItem::ModuleDecl(ModuleDecl::Import(_)) => imports.push(it),
                ModuleItem::Stmt(Stmt::Expr(ExprStmt { expr, .. }))
                    if matches!(&*expr, Expr::Call(CallExpr { callee: Callee::Expr(c), .. })
                        if matches!(&**c, Expr::Ident(i) if *i.sym == *names.closure)) =>
                {
                    if let Expr::Call(mut call) = *expr {
                        closure_expr = call.args.pop().map(|a| a.expr);
                    }
                }
                ModuleItem::Stmt(s) => body.push(ModuleItem::Stmt(s)),
                ModuleItem::ModuleDecl(_) => {}
            }
        }
        let Some(closure_expr) = closure_expr else {
            return Err(AnalyzeError::ForeignClosure);
        };
        let mut awaits = Refs::new(self.unresolved);
        body.visit_with(&mut awaits);
        let is_async = awaits.has_await;

        let mut map = MapBuilder::default();
        let (mut code, srcmap) = emit(self, imports);
        map.add(self, &srcmap, 0, 0);
        if rewrite.uses_require {
            code.push_str(&format!(
                "import {{ createRequire as {} }} from \"node:module\";\n",
                names.create_require
            ));
            code.push_str(&format!(
                "const require = {}({});\n",
                names.create_require,
                js_string(&self.url)
            ));
        }
        code.push_str(&format!(
            "export default {}function {}({}, {}) {{\n",
            if is_async { "async " } else { "" },
            names.run,
            names.locals,
            names.top
        ));
        if !top_params.is_empty() {
            code.push_str(&format!(
                "let {{ {} }} = {};\n",
                top_params.join(", "),
                names.top
            ));
        }
        let (body_text, srcmap) = emit(self, body);
        let (line, column) = end_of(&code);
        map.add(self, &srcmap, line, column);
        code.push_str(&body_text);
        let (closure_text, srcmap) = emit(
            self,
            vec![ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                span: DUMMY_SP,
                expr: Box::new(Expr::Paren(ParenExpr {
                    span: DUMMY_SP,
                    expr: closure_expr,
                })),
            }))],
        );
        let closure_text = closure_text.trim_end().trim_end_matches(';');
        let locals: Vec<String> = closure.locals.iter().map(|c| c.name.clone()).collect();
        if locals.is_empty() {
            code.push_str("return ");
        } else {
            code.push_str(&format!("return (({{ {} }}) => ", locals.join(", ")));
        }
        // Entries past the trimmed text belong to the `;` and line break dropped above.
        let (last_line, last_column) = end_of(closure_text);
        let srcmap: Vec<_> = srcmap
            .into_iter()
            .filter(|(_, at)| (at.line, at.col) <= (last_line, last_column))
            .collect();
        let (line, column) = end_of(&code);
        map.add(self, &srcmap, line, column);
        code.push_str(closure_text);
        let (line, column) = end_of(&code);
        map.end(line, column);
        if locals.is_empty() {
            code.push_str("();\n}\n");
        } else {
            code.push_str(&format!("())({});\n}}\n", names.locals));
        }
        Ok(GeneratedModule {
            code,
            export_name: "default".to_owned(),
            locals,
            top_level: top_params,
            is_async,
            has_jsx: rewrite.has_jsx,
            unresolved_bare: rewrite.unresolved_bare,
            mappings: map.finish(),
        })
    }
}

/// A JS string literal for `s`.
fn js_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
