//! No input makes the analyzer panic, overflow its stack or leave it unusable.
//!
//! - `mutated_fixtures_never_panic`: proptest mutates fixture sources byte-wise (deletes,
//!   duplicates, inserts tokens) and runs parse → closure_at → generate at every `spawn(` and at
//!   random positions; most mutants are syntax errors, which exercises the error paths.
//! - `line_edited_fixtures_never_panic`: deletes, duplicates, swaps and splices whole lines, which
//!   keeps far more inputs parseable and reaches `closure_at` and `generate` with odd scopes.
//!
//! `PROPTEST_CASES=1000000 cargo test --release -p weft-analyzer --test robustness never_panic --
//! --nocapture` runs them longer and prints how many inputs reached each stage.
//! - `deep_nesting_is_analysed_or_rejected`: 5,000 levels of every construct that nests the tree.
//! - `large_file`: 50,000 lines; prints timings with `--nocapture`.
//!
//! The deep tests run on a thread with a 1 MiB stack in release builds (the Wasm default), and a
//! larger one in debug builds, whose frames are several times bigger.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use proptest::prelude::*;
use weft_analyzer::{AnalyzeError, SourceFile};

fn on_small_stack<F: FnOnce() + Send + 'static>(f: F) {
    let size = if cfg!(debug_assertions) {
        16 << 20
    } else {
        1 << 20
    };
    std::thread::Builder::new()
        .stack_size(size)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn fixture_sources() -> &'static [(String, String)] {
    static SOURCES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    SOURCES.get_or_init(load_fixture_sources)
}

fn load_fixture_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e != "snap" && e != "md") {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                out.push((
                    format!("file:///fuzz/{name}"),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut out,
    );
    out
}

/// Runs the whole pipeline at every position of interest; only panics/traps would fail.
fn exercise(url: &str, src: &str, extra: &[(u32, u32)]) {
    let Ok(file) = SourceFile::parse(url, src) else {
        return;
    };
    PARSED.fetch_add(1, Relaxed);
    let mut positions: Vec<(u32, u32)> = extra.to_vec();
    for (n, line) in src.lines().enumerate() {
        if let Some(i) = line.find("spawn(") {
            positions.push((n as u32 + 1, line[..i].encode_utf16().count() as u32 + 1));
        }
    }
    for (line, column) in positions {
        if let Ok(closure) = file.closure_at(line, column, Some("() => x")) {
            ANALYSED.fetch_add(1, Relaxed);
            let names: Vec<&str> = closure
                .top_level
                .iter()
                .step_by(2)
                .map(|c| c.name.as_str())
                .collect();
            let _ = file.generate(&closure, &names, &HashMap::new());
            if file.generate(&closure, &[], &HashMap::new()).is_ok() {
                GENERATED.fetch_add(1, Relaxed);
            }
        }
    }
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "=>",
    "`",
    "${",
    "'",
    "\"",
    "/",
    "*/",
    "/*",
    "//",
    "\n",
    ";",
    ",",
    "this",
    "arguments",
    "spawn(() => ",
    "async ",
    "function ",
    "class ",
    "enum ",
    "namespace ",
    "import ",
    "export ",
    "<div>",
    "</div>",
    "<>",
    "?.",
    "...",
    "await ",
    "yield ",
    "new.target",
    "eval(",
    "with (",
    "@dec ",
    ": any",
    " as T",
    "!",
    "\u{2028}",
    "😀",
    "\r",
    "let ",
    "var ",
    "const ",
    "#x",
    "import.meta",
    "require(",
    "type ",
    "declare ",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn apply(src: &str, muts: &[Mutation]) -> String {
    let mut s = src.to_owned();
    let boundary = |s: &str, mut i: usize| {
        i %= s.len() + 1;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    for m in muts {
        match *m {
            Mutation::Delete(a, len) => {
                let a = boundary(&s, a);
                let b = boundary(&s, (a + len % 24).min(s.len()));
                s.replace_range(a..b.max(a), "");
            }
            Mutation::Insert(a, t) => {
                let a = boundary(&s, a);
                s.insert_str(a, TOKENS[t % TOKENS.len()]);
            }
            Mutation::Duplicate(a, len) => {
                let a = boundary(&s, a);
                let b = boundary(&s, (a + len % 40).min(s.len())).max(a);
                let piece = s[a..b].to_owned();
                s.insert_str(b, &piece);
            }
        }
    }
    s
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
    ]
}

static RUN: AtomicUsize = AtomicUsize::new(0);
static PARSED: AtomicUsize = AtomicUsize::new(0);
static ANALYSED: AtomicUsize = AtomicUsize::new(0);
static GENERATED: AtomicUsize = AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_fixtures_never_panic(
        which in any::<usize>(),
        muts in proptest::collection::vec(mutation(), 1..6),
        positions in proptest::collection::vec((1u32..40, 0u32..90), 0..4),
    ) {
        let sources = fixture_sources();
        let (url, src) = &sources[which % sources.len()];
        let mutated = apply(src, &muts);
        run_case("mutated_fixtures_never_panic", url.clone(), mutated, positions);
    }
}

/// Runs one generated case on a Wasm-sized stack, reporting progress every 10,000 cases.
fn run_case(target: &str, url: String, source: String, positions: Vec<(u32, u32)>) {
    let done = RUN.fetch_add(1, Relaxed) + 1;
    if done.is_multiple_of(10_000) {
        eprintln!(
            "{target}: {done} cases, {} parsed, {} closures analysed, {} modules generated",
            PARSED.load(Relaxed),
            ANALYSED.load(Relaxed),
            GENERATED.load(Relaxed)
        );
    }
    on_small_stack(move || exercise(&url, &source, &positions));
}

/// Line-level edits keep far more inputs parseable, so they reach `closure_at` and `generate`
/// with unusual scopes: lines deleted, duplicated, swapped, or spliced in from other fixtures.
fn apply_lines(src: &str, ops: &[(u8, usize, usize)]) -> String {
    let sources = fixture_sources();
    let mut lines: Vec<String> = src.lines().map(str::to_owned).collect();
    for &(op, a, b) in ops {
        if lines.is_empty() {
            break;
        }
        let i = a % lines.len();
        let j = b % lines.len();
        match op % 4 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(j, l);
            }
            2 => lines.swap(i, j),
            _ => {
                let other = &sources[b % sources.len()].1;
                if let Some(l) = other.lines().nth(a % other.lines().count().max(1)) {
                    lines.insert(i, l.to_owned());
                }
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn line_edited_fixtures_never_panic(
        which in any::<usize>(),
        ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..5),
        positions in proptest::collection::vec((1u32..40, 0u32..90), 0..4),
    ) {
        let sources = fixture_sources();
        let (url, src) = &sources[which % sources.len()];
        let edited = apply_lines(src, &ops);
        run_case("line_edited_fixtures_never_panic", url.clone(), edited, positions);
    }
}

#[test]
fn mutation_run_covers_every_extension() {
    let urls: Vec<&String> = fixture_sources().iter().map(|(u, _)| u).collect();
    for ext in [".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"] {
        assert!(
            urls.iter().any(|u| u.ends_with(ext)),
            "no fixture with {ext}"
        );
    }
}

/// Inputs nesting `n` levels; chains that count one eighth of a level each get `8 * n` links.
fn deep_inputs(n: usize) -> Vec<(&'static str, String)> {
    let chain = 8 * n;
    vec![
        (
            "brackets",
            format!("spawn(() => {}1{});", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "parens",
            format!("spawn(() => {}1{});", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "objects",
            format!("spawn(() => {}1{});", "({a:".repeat(n), "})".repeat(n)),
        ),
        (
            "blocks",
            format!("spawn(() => {{ {} }});", "{".repeat(n) + &"}".repeat(n)),
        ),
        ("arrows", format!("spawn(() => {}1);", "() => ".repeat(n))),
        (
            "arrows_unparenthesised",
            format!("spawn(() => {}1);", "a => ".repeat(n)),
        ),
        ("prefix", format!("spawn(() => {}1);", "!".repeat(n))),
        ("typeof", format!("spawn(() => {}1);", "typeof ".repeat(n))),
        (
            "ternary",
            format!("spawn(() => {}1);", "a ? b : ".repeat(n)),
        ),
        (
            "assign",
            format!("let a; spawn(() => {}1);", "a = ".repeat(n)),
        ),
        (
            "else_if",
            format!(
                "spawn(() => {{ if (a) {{}}{} }});",
                " else if (a) {}".repeat(n)
            ),
        ),
        (
            "functions",
            format!(
                "spawn(() => {}1{});",
                "function f() { return ".repeat(n),
                "}".repeat(n)
            ),
        ),
        (
            "template",
            format!("spawn(() => {}1{});", "`${".repeat(n), "}`".repeat(n)),
        ),
        (
            "jsx",
            format!("spawn(() => {}{});", "<a>".repeat(n), "</a>".repeat(n)),
        ),
        ("binary", format!("spawn(() => 1{});", " + 1".repeat(chain))),
        (
            "binary_long",
            format!("spawn(() => 1{});", " + 1".repeat(chain * 10)),
        ),
        ("members", format!("spawn(() => a{});", ".b".repeat(chain))),
        (
            "computed",
            format!("spawn(() => a{});", "[0]".repeat(chain)),
        ),
        (
            "optional",
            format!("spawn(() => a{});", "?.b".repeat(chain)),
        ),
        ("calls", format!("spawn(() => f{});", "()".repeat(chain))),
        (
            "method_chain",
            format!("spawn(() => a{});", ".b()".repeat(chain)),
        ),
        (
            "comparisons",
            format!("spawn(() => a{});", " > a".repeat(chain)),
        ),
        ("new", format!("spawn(() => {}F);", "new ".repeat(n))),
        (
            "await",
            format!("spawn(async () => {}1);", "await ".repeat(n)),
        ),
    ]
}

#[test]
fn deep_nesting_is_analysed_or_rejected() {
    on_small_stack(|| {
        for (name, src) in deep_inputs(5000) {
            if std::env::var_os("WEFT_DEPTH_TRACE").is_some() {
                eprintln!("depth 5000: {name}");
            }
            match SourceFile::parse("file:///deep.jsx", &src) {
                Ok(file) => {
                    if let Ok(c) = file.closure_at(1, 1, None) {
                        file.generate(&c, &[], &HashMap::new()).unwrap();
                    }
                }
                Err(AnalyzeError::TooDeep { limit, depth, .. }) => assert!(depth > limit, "{name}"),
                Err(e) => panic!("{name}: {e}"),
            }
        }
        // Still usable afterwards.
        let file = SourceFile::parse("file:///ok.js", "const a = 1; spawn(() => a);").unwrap();
        assert_eq!(file.closure_at(1, 14, None).unwrap().top_level[0].name, "a");
    });
}

#[test]
fn nesting_just_under_the_limit_fits_the_stack() {
    on_small_stack(|| {
        let n = weft_analyzer::DEFAULT_MAX_DEPTH as usize - 4;
        for (name, src) in deep_inputs(n) {
            if std::env::var_os("WEFT_DEPTH_TRACE").is_some() {
                eprintln!("depth {n}: {name}");
            }
            let file = match SourceFile::parse("file:///deep.jsx", &src) {
                Ok(f) => f,
                Err(AnalyzeError::TooDeep { .. }) => continue,
                Err(e) => panic!("{name}: {e}"),
            };
            if let Ok(c) = file.closure_at(1, 1, None) {
                file.generate(&c, &[], &HashMap::new()).unwrap();
            }
        }
    });
}

#[test]
fn large_file() {
    let mut src =
        String::from("import { spawn } from \"weft\";\nimport { util } from \"./util.js\";\n");
    let mut n = 0;
    // Each iteration adds 7 lines; 2 header and 3 trailing lines.
    while 2 + 7 * n < 50_000 {
        src.push_str(&format!(
            "export function f{n}(a, b = {n}) {{\n  const c = a + b * {n};\n  if (c > 3) {{ return util(c, `x${{a}}`); }}\n  return [c, {{ k: c }}, c?.toString()];\n}}\nclass K{n} extends Object {{ m() {{ return f{n}(1); }} }}\nconst v{n} = f{n}(2) + new K{n}().m().length;\n"
        ));
        n += 1;
    }
    src.push_str(&format!(
        "export function run(x) {{\n  return spawn(() => f{} (x) + v7 + util(x));\n}}\n",
        n - 1
    ));
    let lines = src.lines().count() as u32;
    assert!(lines >= 50_000);

    let t = Instant::now();
    let file = SourceFile::parse("file:///big.js", &src).unwrap();
    let parse = t.elapsed();
    let t = Instant::now();
    let closure = file.closure_at(lines - 1, 10, None).unwrap();
    let locate = t.elapsed();
    let t = Instant::now();
    let module = file.generate(&closure, &[], &HashMap::new()).unwrap();
    let generate = t.elapsed();
    let t = Instant::now();
    let again = file.closure_at(lines - 1, 15, None).unwrap();
    let second = t.elapsed();
    assert_eq!(again, closure);
    let names: Vec<&str> = closure.top_level.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names[..3], [&*format!("f{}", n - 1), "v7", "util"]);
    assert!(module.code.contains("class K7"));
    assert!(!module.code.contains("class K8 "));
    eprintln!(
        "large_file: {lines} lines, {} bytes: parse+resolve {parse:?}, closure_at {locate:?}, generate {generate:?}, second closure_at {second:?}",
        src.len()
    );
}
