//! Runs every fixture under `tests/fixtures/<topic>/<case>.<ext>` and compares the result with the
//! snapshot `<case>.snap` beside it. `UPDATE_SNAPSHOTS=1 cargo test -p weft-analyzer --test
//! fixtures` rewrites the snapshots; review every change by eye. See `tests/fixtures/README.md`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use weft_analyzer::SourceFile;

const EXTENSIONS: &[&str] = &["js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"];

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e)) {
            out.push(p);
        }
    }
}

/// Directives written as `// @name value` lines.
fn directives<'a>(src: &'a str, name: &str) -> Vec<&'a str> {
    let tag = format!("// @{name} ");
    src.lines().filter_map(|l| l.trim_start().strip_prefix(tag.as_str())).map(str::trim).collect()
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

pub fn run_case(path: &Path, root: &Path) -> String {
    let src = std::fs::read_to_string(path).unwrap();
    let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
    let url =
        directives(&src, "url").first().map(|s| s.to_string()).unwrap_or_else(|| format!("file:///fixtures/{rel}"));
    let mut out = String::new();
    let file = match SourceFile::parse(&url, &src) {
        Ok(f) => f,
        Err(e) => {
            writeln!(out, "parse error {}: {e}", e.name()).unwrap();
            return out;
        }
    };
    let by_value: Vec<&str> = directives(&src, "by-value")
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let resolved: HashMap<String, String> = directives(&src, "resolve")
        .iter()
        .filter_map(|l| l.split_once('='))
        .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
        .collect();
    let fn_text = directives(&src, "fn-text").first().copied();
    let mut positions: Vec<(u32, u32)> = directives(&src, "position")
        .iter()
        .filter_map(|p| p.split_once(':'))
        .map(|(l, c)| (l.trim().parse().unwrap(), c.trim().parse().unwrap()))
        .collect();
    positions.extend(markers(&src));
    assert!(!positions.is_empty(), "{rel}: no `// @position L:C` and no /*@*/ marker");

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
            if closure.is_arrow { " arrow" } else { " function" },
            if closure.is_async { " async" } else { "" },
            if closure.is_generator { " generator" } else { "" },
        )
        .unwrap();
        writeln!(out, "locals:").unwrap();
        for c in &closure.locals {
            writeln!(out, "  {} {:?} {}:{}", c.name, c.kind, c.line, c.column).unwrap();
        }
        writeln!(out, "top_level:").unwrap();
        for c in &closure.top_level {
            let via = c.via.as_deref().map(|v| format!(" via {v}")).unwrap_or_default();
            writeln!(out, "  {} {:?} {}:{}{via}", c.name, c.kind, c.line, c.column).unwrap();
        }
        if !closure.bare_specifiers.is_empty() {
            writeln!(out, "bare: {}", closure.bare_specifiers.join(", ")).unwrap();
        }
        let names: Vec<&str> =
            by_value.iter().copied().filter(|n| closure.top_level.iter().any(|c| c.name == *n)).collect();
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

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases = Vec::new();
    collect(&root, &mut cases);
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in &cases {
        let actual = run_case(case, &root);
        let snap = case.with_extension("snap");
        let expected = std::fs::read_to_string(&snap).ok();
        if expected.as_deref() == Some(actual.as_str()) {
            continue;
        }
        if update {
            std::fs::write(&snap, &actual).unwrap();
        } else {
            failures.push(format!(
                "--- {}\n{}\n+++ actual\n{actual}",
                snap.display(),
                expected.unwrap_or_else(|| "(missing snapshot)".into())
            ));
        }
    }
    assert!(cases.len() >= 80, "expected at least 80 fixtures, found {}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ (UPDATE_SNAPSHOTS=1 rewrites):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
