//! No input makes the analyzer panic, overflow its stack or leave it unusable.
//!
//! - `mutated_fixtures_never_panic`: proptest mutates fixture sources byte-wise (deletes,
//!   duplicates, inserts tokens) and runs parse → closure_at → generate → new_expression_at at
//!   every `spawn(` and at random positions; most mutants are syntax errors, which exercises the
//!   error paths.
//! - `line_edited_fixtures_never_panic`: deletes, duplicates, swaps and splices whole lines, which
//!   keeps far more inputs parseable and reaches `closure_at` and `generate` with odd scopes.
//!
//! A panic inside the analyzer comes back as `AnalyzeError::AnalyzerBug` (see `src/guard.rs`);
//! these tests fail on it, printing the input. In `cargo test` both run 256 cases from a fixed
//! seed, after the seeds recorded in `proptest-regressions/robustness.txt`: every run checks the
//! same inputs. `make fuzz` runs them with a random seed, many cases and the release profile
//! (debug assertions off, as in the `.wasm`); inputs it finds are kept under
//! `tests/fixtures/fuzz/`, which `tests/fixtures.rs` runs.
//!
//! - `deep_nesting_is_analysed_or_rejected`: 40,000 of every construct that nests the tree are
//!   rejected before parsing.
//! - `large_file`: 50,000 lines; prints timings with `--nocapture`.
//!
//! - `nesting_just_under_the_limit_fits_the_stack`: the most of each construct the depth limit
//!   accepts is analysed without overflowing.
//!
//! They run on a thread with a 4 MiB stack in release builds (the module's main thread has
//! that), and a larger one in debug builds, whose frames are several times bigger.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, RngSeed};
use weft_analyzer::{AnalyzeError, ParseOptions, SourceFile};

/// The seed of every `cargo test` run; `PROPTEST_RNG_SEED` (set by `make fuzz`) replaces it.
const FIXED_SEED: u64 = 0x5eed_cafe;

/// 256 cases from [`FIXED_SEED`] unless `PROPTEST_CASES` / `PROPTEST_RNG_SEED` say otherwise;
/// failures found are recorded in `proptest-regressions/robustness.txt` and run first next time.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(FIXED_SEED);
    }
    config.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "proptest-regressions/robustness.txt",
    )));
    config
}

/// Runs `f` on a thread with the stack of the module's main thread (4 MiB) in release builds, and
/// a larger one in debug builds, whose frames are several times bigger. Native frames are not
/// Wasm frames: the limits themselves were measured in the release `.wasm` (see `src/depth.rs`).
fn on_small_stack<F: FnOnce() + Send + 'static>(f: F) {
    let size = if cfg!(debug_assertions) {
        256 << 20
    } else {
        4 << 20
    };
    let thread = std::thread::Builder::new()
        .stack_size(size)
        .spawn(f)
        .unwrap();
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
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
                // Recorded fuzz findings are checked by tests/fixtures.rs; mutating them adds
                // little, and leaving them out keeps recorded seeds meaning the same inputs.
                if !p.ends_with("fuzz") {
                    walk(&p, out);
                }
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

/// What one property test has done, printed every 10,000 cases and at the end.
struct Stats {
    target: &'static str,
    run: AtomicUsize,
    parsed: AtomicUsize,
    analysed: AtomicUsize,
    generated: AtomicUsize,
}

impl Stats {
    const fn new(target: &'static str) -> Stats {
        Stats {
            target,
            run: AtomicUsize::new(0),
            parsed: AtomicUsize::new(0),
            analysed: AtomicUsize::new(0),
            generated: AtomicUsize::new(0),
        }
    }

    fn report(&self) {
        eprintln!(
            "{}: {} cases, {} parsed, {} closures analysed, {} modules generated",
            self.target,
            self.run.load(Relaxed),
            self.parsed.load(Relaxed),
            self.analysed.load(Relaxed),
            self.generated.load(Relaxed)
        );
    }
}

static MUTATED: Stats = Stats::new("mutated_fixtures_never_panic");
static LINE_EDITED: Stats = Stats::new("line_edited_fixtures_never_panic");

/// Panics in swc that the analyzer catches and reports as `AnalyzerBug` (release builds too), by
/// their message; each has a fixture under `tests/fixtures/fuzz/`.
const KNOWN_UPSTREAM_PANICS: &[&str] = &[
    // swc_ecma_parser 47, parser/jsx.rs:137: a namespaced JSX name with a member, `<a:b.c />`.
    "JSXNamespacedName -> JSXObject",
];

/// Fails on a panic the analyzer caught, with the input that caused it, unless it is a known
/// panic in swc.
fn check<T>(result: Result<T, AnalyzeError>, url: &str, src: &str) -> Option<T> {
    match result {
        Err(AnalyzeError::AnalyzerBug { message, .. })
            if KNOWN_UPSTREAM_PANICS.iter().any(|m| message.contains(m)) =>
        {
            None
        }
        Err(e @ AnalyzeError::AnalyzerBug { .. }) => {
            panic!("{e}\ninput ({url}):\n{src:?}")
        }
        other => other.ok(),
    }
}

#[test]
fn known_panics_in_swc_are_reported_not_raised() {
    let file = SourceFile::parse("file:///a.jsx", "const x = <a:b.c />;\n");
    match file {
        Err(AnalyzeError::AnalyzerBug { message, .. }) => {
            assert!(message.contains(KNOWN_UPSTREAM_PANICS[0]), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

/// Runs the whole pipeline at every position of interest; only panics and traps fail.
fn exercise(stats: &Stats, url: &str, src: &str, extra: &[(u32, u32)]) {
    let Some(file) = check(SourceFile::parse(url, src), url, src) else {
        return;
    };
    stats.parsed.fetch_add(1, Relaxed);
    let mut positions: Vec<(u32, u32)> = extra.to_vec();
    for (n, line) in src.lines().enumerate() {
        if let Some(i) = line.find("spawn(") {
            positions.push((n as u32 + 1, line[..i].encode_utf16().count() as u32 + 1));
        }
    }
    for (line, column) in positions {
        check(file.new_expression_at(line, column), url, src);
        // A text that is not the closure's exercises the identity check.
        check(file.closure_at(line, column, Some("() => x")), url, src);
        let Some(closure) = check(file.closure_at(line, column, None), url, src) else {
            continue;
        };
        stats.analysed.fetch_add(1, Relaxed);
        let names: Vec<&str> = closure
            .top_level
            .iter()
            .step_by(2)
            .map(|c| c.name.as_str())
            .collect();
        check(file.generate(&closure, &names, &HashMap::new()), url, src);
        if check(file.generate(&closure, &[], &HashMap::new()), url, src).is_some() {
            stats.generated.fetch_add(1, Relaxed);
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

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_fixtures_never_panic(
        which in any::<usize>(),
        muts in proptest::collection::vec(mutation(), 1..6),
        positions in proptest::collection::vec((1u32..40, 0u32..90), 0..4),
    ) {
        let sources = fixture_sources();
        let (url, src) = &sources[which % sources.len()];
        let mutated = apply(src, &muts);
        run_case(&MUTATED, url.clone(), mutated, positions);
    }
}

/// Runs one generated case on a Wasm-sized stack, reporting progress every 10,000 cases and at
/// the last one.
fn run_case(stats: &'static Stats, url: String, source: String, positions: Vec<(u32, u32)>) {
    let done = stats.run.fetch_add(1, Relaxed) + 1;
    on_small_stack(move || exercise(stats, &url, &source, &positions));
    if done.is_multiple_of(10_000) || done == config().cases as usize {
        stats.report();
    }
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
    #![proptest_config(config())]

    #[test]
    fn line_edited_fixtures_never_panic(
        which in any::<usize>(),
        ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..5),
        positions in proptest::collection::vec((1u32..40, 0u32..90), 0..4),
    ) {
        let sources = fixture_sources();
        let (url, src) = &sources[which % sources.len()];
        let edited = apply_lines(src, &ops);
        run_case(&LINE_EDITED, url.clone(), edited, positions);
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

/// Every construct that nests the syntax tree, `k` times.
fn deep_input(name: &str, k: usize) -> String {
    let r = |s: &str| s.repeat(k);
    match name {
        "brackets" => format!("spawn(() => {}1{});", r("["), r("]")),
        "parens" => format!("spawn(() => {}1{});", r("("), r(")")),
        "objects" => format!("spawn(() => {}1{});", r("({a:"), r("})")),
        "blocks" => format!("spawn(() => {{ {}{} }});", r("{"), r("}")),
        "arrows" => format!("spawn(() => {}1);", r("() => ")),
        "arrows_unparenthesised" => format!("spawn(() => {}1);", r("a => ")),
        "prefix" => format!("spawn(() => {}1);", r("!")),
        "typeof" => format!("spawn(() => {}1);", r("typeof ")),
        "ternary" => format!("spawn(() => {}1);", r("a ? b : ")),
        "ternary_nested" => format!("spawn(() => {}1{});", r("a ? "), r(" : 2")),
        "assign" => format!("let a; spawn(() => {}1);", r("a = ")),
        "else_if" => format!("spawn(() => {{ if (a) {{}}{} }});", r(" else if (a) {}")),
        "functions" => format!("spawn(() => {}1{});", r("function f() { return "), r("}")),
        "template" => format!("spawn(() => {}1{});", r("`${"), r("}`")),
        "jsx" => format!("spawn(() => {}{});", r("<a>"), r("</a>")),
        "binary" => format!("spawn(() => 1{});", r(" + 1")),
        "members" => format!("spawn(() => a{});", r(".b")),
        "computed" => format!("spawn(() => a{});", r("[0]")),
        "optional" => format!("spawn(() => a{});", r("?.b")),
        "calls" => format!("spawn(() => f{});", r("()")),
        "method_chain" => format!("spawn(() => a{});", r(".b()")),
        "comparisons" => format!("spawn(() => a{});", r(" > a")),
        "new" => format!("spawn(() => {}F);", r("new ")),
        "await" => format!("spawn(async () => {}1);", r("await ")),
        "ts_type_arguments" => format!("spawn(() => (1 as {}number{}));", r("Array<"), r(">")),
        "ts_assertions" => format!("spawn(() => {}1{});", r("("), r(" as any)")),
        _ => unreachable!("{name}"),
    }
}

const DEEP: &[&str] = &[
    "brackets",
    "parens",
    "objects",
    "blocks",
    "arrows",
    "arrows_unparenthesised",
    "prefix",
    "typeof",
    "ternary",
    "ternary_nested",
    "assign",
    "else_if",
    "functions",
    "template",
    "jsx",
    "binary",
    "members",
    "computed",
    "optional",
    "calls",
    "method_chain",
    "comparisons",
    "new",
    "await",
    "ts_type_arguments",
    "ts_assertions",
];

fn deep_url(name: &str) -> &'static str {
    if name.starts_with("ts_") {
        "file:///deep.tsx"
    } else {
        "file:///deep.jsx"
    }
}

/// Runs the whole analysis of a deep input: the nesting is inside the closure, so parsing,
/// resolving, finding the closure, its free variables and its module all recurse through it.
fn analyse_deep(name: &str, src: &str) -> Result<(), AnalyzeError> {
    let file = SourceFile::parse(deep_url(name), src)?;
    let column = src.find("spawn").unwrap() as u32 + 1;
    let closure = file.closure_at(1, column, None)?;
    file.generate(&closure, &[], &HashMap::new())?;
    Ok(())
}

#[test]
fn deep_nesting_is_analysed_or_rejected() {
    on_small_stack(|| {
        for name in DEEP {
            if std::env::var_os("WEFT_DEPTH_TRACE").is_some() {
                eprintln!("40,000 times: {name}");
            }
            match analyse_deep(name, &deep_input(name, 40_000)) {
                Err(AnalyzeError::TooDeep { limit, depth, .. }) => assert!(depth > limit, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        // Still usable afterwards.
        let file = SourceFile::parse("file:///ok.js", "const a = 1; spawn(() => a);").unwrap();
        assert_eq!(file.closure_at(1, 14, None).unwrap().top_level[0].name, "a");
    });
}

/// The most repetitions of a construct the depth limit accepts.
fn most_accepted(name: &str) -> usize {
    let accepted = |k| {
        let src = deep_input(name, k);
        !matches!(
            SourceFile::parse_with(deep_url(name), &src, ParseOptions::default()),
            Err(AnalyzeError::TooDeep { .. })
        )
    };
    let (mut lo, mut hi) = (1, 40_000);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if accepted(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[test]
fn nesting_just_under_the_limit_fits_the_stack() {
    on_small_stack(|| {
        for name in DEEP {
            let k = most_accepted(name);
            if std::env::var_os("WEFT_DEPTH_TRACE").is_some() {
                eprintln!("{k} times (the most accepted): {name}");
            }
            analyse_deep(name, &deep_input(name, k)).unwrap_or_else(|e| panic!("{name}: {e}"));
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
