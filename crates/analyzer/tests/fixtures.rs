//! Runs every fixture under `tests/fixtures/<topic>/<case>.<ext>` and compares what the analyzer
//! makes of it with the insta snapshot `<case>.snap` beside it. `INSTA_UPDATE=always cargo test -p
//! weft-analyzer --test fixtures` rewrites the snapshots; review every change by eye. See
//! `tests/fixtures/README.md`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use swc_common::{sync::Lrc, FileName, SourceMap};
use swc_ecma_ast::{Ident, IdentName};
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax};
use swc_ecma_visit::{Visit, VisitWith};
use weft_analyzer::{map_position, Language, SourceFile};

/// The extensions of fixture files.
const EXTENSIONS: &[&str] = &["js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"];

/// Every fixture file under `dir`, sorted.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            out.push(p);
        }
    }
}

/// Directives written as `// @name value` lines.
fn directives<'a>(src: &'a str, name: &str) -> Vec<&'a str> {
    let tag = format!("// @{name} ");
    src.lines()
        .filter_map(|l| l.trim_start().strip_prefix(tag.as_str()))
        .map(str::trim)
        .collect()
}

/// 1-based line and UTF-16 column of every `/*@*/` marker.
fn markers(src: &str) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for (n, line) in src.lines().enumerate() {
        let mut from = 0;
        while let Some(i) = line[from..].find("/*@*/") {
            let at = from + i;
            let col = line[..at].encode_utf16().count() as u32 + 1;
            out.push((n as u32 + 1, col));
            from = at + 5;
        }
    }
    out
}

/// What a fixture asks for: its text, URL, directives and positions.
struct Case {
    rel: String,
    src: String,
    url: String,
    by_value: Vec<String>,
    resolved: HashMap<String, String>,
    fn_text: Option<String>,
    positions: Vec<(u32, u32)>,
    /// `// @new L:C` positions, for `new_expression_at`.
    news: Vec<(u32, u32)>,
}

fn read_case(path: &Path, root: &Path) -> Case {
    let src = std::fs::read_to_string(path).unwrap();
    let rel = path
        .strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let url = directives(&src, "url")
        .first()
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("file:///fixtures/{rel}"));
    let by_value = directives(&src, "by-value")
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let resolved = directives(&src, "resolve")
        .iter()
        .filter_map(|l| l.split_once('='))
        .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
        .collect();
    // A JSON string when it starts with `"` (for texts with line breaks), else the rest of the line.
    let fn_text = directives(&src, "fn-text").first().map(|s| {
        if s.starts_with('"') {
            serde_json::from_str(s).unwrap_or_else(|e| panic!("{rel}: @fn-text: {e}"))
        } else {
            s.to_string()
        }
    });
    let parse = |name: &str| -> Vec<(u32, u32)> {
        directives(&src, name)
            .iter()
            .filter_map(|p| p.split_once(':'))
            .map(|(l, c)| (l.trim().parse().unwrap(), c.trim().parse().unwrap()))
            .collect()
    };
    let mut positions = parse("position");
    positions.extend(markers(&src));
    if rel.starts_with("fuzz/") && positions.is_empty() {
        // Fuzz findings are kept exactly as found, without directives: every `spawn(` and 1:1.
        positions.push((1, 1));
        for (n, line) in src.lines().enumerate() {
            if let Some(i) = line.find("spawn(") {
                positions.push((n as u32 + 1, line[..i].encode_utf16().count() as u32 + 1));
            }
        }
    }
    let news = parse("new");
    assert!(
        !positions.is_empty() || !news.is_empty(),
        "{rel}: no `// @position L:C`, /*@*/ or `// @new L:C`"
    );
    Case {
        rel,
        src,
        url,
        by_value,
        resolved,
        fn_text,
        positions,
        news,
    }
}

/// The snapshot text for the fixture at `path`: what `new_expression_at`, `closure_at` and
/// `generate` make of each of its positions (the format is in `tests/fixtures/README.md`).
fn run_case(path: &Path, root: &Path) -> String {
    let Case {
        src,
        url,
        by_value,
        resolved,
        fn_text,
        positions,
        news,
        ..
    } = read_case(path, root);
    let by_value: Vec<&str> = by_value.iter().map(String::as_str).collect();
    let fn_text = fn_text.as_deref();
    let mut out = String::new();
    let file = match SourceFile::parse(&url, &src) {
        Ok(f) => f,
        Err(e) => {
            writeln!(out, "parse error {}: {e}", e.name()).unwrap();
            return out;
        }
    };
    for (line, column) in news {
        match file.new_expression_at(line, column) {
            Ok((l, c)) => writeln!(out, "== new {line}:{column} == {l}:{c}").unwrap(),
            Err(e) => writeln!(out, "== new {line}:{column} == error {}: {e}", e.name()).unwrap(),
        }
    }
    for (line, column) in positions {
        writeln!(out, "== {line}:{column} ==").unwrap();
        let closure = match file.closure_at(line, column, fn_text) {
            Ok(c) => c,
            Err(e) => {
                writeln!(out, "error {}: {e}", e.name()).unwrap();
                continue;
            }
        };
        writeln!(
            out,
            "closure {}:{} (call {}:{}){}{}{}",
            closure.line,
            closure.column,
            closure.call_line,
            closure.call_column,
            if closure.is_arrow {
                " arrow"
            } else {
                " function"
            },
            if closure.is_async { " async" } else { "" },
            if closure.is_generator {
                " generator"
            } else {
                ""
            },
        )
        .unwrap();
        writeln!(out, "locals:").unwrap();
        for c in &closure.locals {
            writeln!(out, "  {} {:?} {}:{}", c.name, c.kind, c.line, c.column).unwrap();
        }
        writeln!(out, "top_level:").unwrap();
        for c in &closure.top_level {
            let via = c
                .via
                .as_deref()
                .map(|v| format!(" via {v}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} {:?} {}:{}{via}",
                c.name, c.kind, c.line, c.column
            )
            .unwrap();
        }
        if !closure.bare_specifiers.is_empty() {
            writeln!(out, "bare: {}", closure.bare_specifiers.join(", ")).unwrap();
        }
        let names: Vec<&str> = by_value
            .iter()
            .copied()
            .filter(|n| closure.top_level.iter().any(|c| c.name == *n))
            .collect();
        writeln!(out, "-- module (by value: {}) --", names.join(", ")).unwrap();
        match file.generate(&closure, &names, &resolved) {
            Ok(m) => {
                out.push_str(&m.code);
                let mut flags = Vec::new();
                if m.is_async {
                    flags.push("async".to_owned());
                }
                if m.has_jsx {
                    flags.push("jsx".to_owned());
                }
                if !m.unresolved_bare.is_empty() {
                    flags.push(format!("unresolved: {}", m.unresolved_bare.join(", ")));
                }
                if !flags.is_empty() {
                    writeln!(out, "-- {} --", flags.join("; ")).unwrap();
                }
            }
            Err(e) => writeln!(out, "error {}: {e}", e.name()).unwrap(),
        }
    }
    out
}

/// Runs `f` on a thread with a stack for the deepest fixtures in a debug build, whose frames are
/// many times the size of release ones (`tests/robustness.rs` checks the stack a release build
/// needs).
fn on_large_stack(f: impl FnOnce() + Send + 'static) {
    let thread = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap();
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn fixtures() {
    on_large_stack(check_fixtures);
}

fn check_fixtures() {
    let root = fixtures_dir();
    let pattern = format!("fixtures/**/*.{{{}}}", EXTENSIONS.join(","));
    let mut cases = 0;
    insta::glob!(&pattern, |path| {
        cases += 1;
        let actual = run_case(path, &root);
        // `<case>.snap` beside the fixture, rather than insta's `snapshots/` folder and names.
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(path.parent().unwrap());
        settings.remove_snapshot_suffix();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let name = path.file_stem().unwrap().to_str().unwrap();
        settings.bind(|| insta::assert_snapshot!(name, actual));
    });
    assert!(cases >= 80, "expected at least 80 fixtures, found {cases}");
}

/// Every identifier in a generated module, with its 1-based line and UTF-16 column.
struct Names<'a> {
    code: &'a str,
    start: u32,
    out: Vec<(String, u32, u32)>,
}

impl Names<'_> {
    fn push(&mut self, name: &str, lo: u32) {
        let at = (lo - self.start) as usize;
        let before = &self.code[..at];
        let line = before.matches('\n').count() as u32 + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or("")
            .encode_utf16()
            .count() as u32
            + 1;
        self.out.push((name.to_owned(), line, column));
    }
}

impl Visit for Names<'_> {
    fn visit_ident(&mut self, i: &Ident) {
        self.push(&i.sym, i.span.lo.0);
    }
    fn visit_ident_name(&mut self, i: &IdentName) {
        self.push(&i.sym, i.span.lo.0);
    }
}

fn identifiers(code: &str) -> Vec<(String, u32, u32)> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(Lrc::new(FileName::Anon), code.to_owned());
    let syntax = Syntax::Es(EsSyntax {
        jsx: true,
        decorators: true,
        import_attributes: true,
        explicit_resource_management: true,
        ..Default::default()
    });
    let module = Parser::new(syntax, StringInput::from(&*fm), None)
        .parse_module()
        .unwrap_or_else(|e| panic!("generated module does not parse: {:?}\n{code}", e.kind()));
    let mut names = Names {
        code,
        start: fm.start_pos.0,
        out: Vec::new(),
    };
    module.visit_with(&mut names);
    names.out
}

/// Whether the text at a 1-based line and UTF-16 column of `src` starts with `name`.
fn names_at(src: &str, line: u32, column: u32, name: &str) -> bool {
    let Some(text) = src.lines().nth(line as usize - 1) else {
        return false;
    };
    let mut units = 0;
    for (i, ch) in text.char_indices() {
        if units == column - 1 {
            return text[i..].starts_with(name);
        }
        units += ch.len_utf16() as u32;
    }
    false
}

/// Every identifier the generated module copied from the caller's file maps back to the same
/// identifier there: all of the closure's, and those of imports and re-created declarations.
/// Exempt: the wrapper's names, names the caller's file does not contain (`undefined` for
/// `import.meta.filename` outside `file:` URLs), and declarations outside the closure in
/// TypeScript, whose enums, namespaces and parameter properties are lowered to new code.
#[test]
fn mappings_lead_back_to_the_same_identifiers() {
    on_large_stack(check_mappings);
}

fn check_mappings() {
    let root = fixtures_dir();
    let mut cases = Vec::new();
    collect(&root, &mut cases);
    let (mut modules, mut checked, mut failures) = (0, 0, Vec::new());
    for path in &cases {
        let case = read_case(path, &root);
        let Ok(file) = SourceFile::parse(&case.url, &case.src) else {
            continue;
        };
        for &(line, column) in &case.positions {
            let Ok(closure) = file.closure_at(line, column, case.fn_text.as_deref()) else {
                continue;
            };
            let by_value: Vec<&str> = case
                .by_value
                .iter()
                .map(String::as_str)
                .filter(|n| closure.top_level.iter().any(|c| c.name == *n))
                .collect();
            let Ok(module) = file.generate(&closure, &by_value, &case.resolved) else {
                continue;
            };
            modules += 1;
            let lines: Vec<&str> = module.code.lines().collect();
            let run = lines
                .iter()
                .position(|l| l.starts_with("export default "))
                .unwrap() as u32
                + 1;
            let ret = lines
                .iter()
                .rposition(|l| l.starts_with("return "))
                .unwrap() as u32
                + 1;
            let prefix = lines[ret as usize - 1];
            let closure_column = match prefix.find("}) => ") {
                Some(i) if prefix.starts_with("return (({") => {
                    prefix[..i + 6].encode_utf16().count() as u32 + 1
                }
                _ => "return ".len() as u32 + 1,
            };
            for (name, l, c) in identifiers(&module.code) {
                let text = lines[l as usize - 1];
                let wrapper = name.starts_with("__weft")
                    || l == run
                    || (l == run + 1 && text.starts_with("let {") && text.ends_with("_top;"))
                    || (l == ret && c < closure_column)
                    || text.contains("_createRequire");
                let lowered = matches!(file.language(), Language::Ts | Language::Tsx)
                    && (l < ret || c < closure_column);
                if wrapper || lowered || !case.src.contains(name.as_str()) {
                    continue;
                }
                checked += 1;
                let at = format!(
                    "{}: {name} at generated {l}:{c} ({line}:{column})",
                    case.rel
                );
                match map_position(&module.mappings, l, c) {
                    Some((ol, oc)) if names_at(&case.src, ol, oc, &name) => {}
                    Some((ol, oc)) => failures.push(format!("{at} maps to {ol}:{oc}")),
                    None => failures.push(format!("{at} is not mapped")),
                }
            }
            for w in module.mappings.windows(2) {
                assert!(
                    (w[0][0], w[0][1]) < (w[1][0], w[1][1]),
                    "{}: unsorted {:?}",
                    case.rel,
                    module.mappings
                );
            }
        }
    }
    assert!(
        modules >= 80 && checked >= 500,
        "only {modules} modules, {checked} identifiers"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} identifiers mis-mapped:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
