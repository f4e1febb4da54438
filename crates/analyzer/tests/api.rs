//! The public API's contracts that fixtures do not show: serialization, misuse, reuse.

use std::collections::HashMap;

use weft_analyzer::{map_position, AnalyzeError, ParseOptions, SourceFile};

const SRC: &str =
    "import { spawn } from \"weft\";\nconst n = 2;\nexport function f(k) {\n  return spawn(() => n + k);\n}\n";

/// The keys of a serialized object, sorted.
fn keys(value: &serde_json::Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn results_serialize_only_what_the_js_reads() {
    let file = SourceFile::parse("file:///a.js", SRC).unwrap();
    let closure = file.closure_at(4, 10, None).unwrap();
    let json = serde_json::to_value(&closure).unwrap();
    assert_eq!(
        keys(&json),
        ["bare_specifiers", "id", "locals", "top_level"]
    );
    assert_eq!(json["locals"][0]["name"], "k");
    assert_eq!(json["locals"][0]["kind"], "Param");
    assert_eq!(
        keys(&json["locals"][0]),
        ["column", "kind", "line", "name", "via"]
    );
    assert_eq!(json["top_level"][0]["via"], serde_json::Value::Null);
    let module = file.generate(&closure, &["n"], &HashMap::new()).unwrap();
    assert_eq!(module.export_name, "default");
    assert_eq!(module.top_level, ["n"]);
    let json = serde_json::to_value(&module).unwrap();
    assert_eq!(keys(&json), ["code", "mappings"]);
    let err = serde_json::to_value(AnalyzeError::ThisCaptured { line: 1, column: 2 }).unwrap();
    assert_eq!(
        err,
        serde_json::json!({ "kind": "ThisCaptured", "line": 1, "column": 2 })
    );
}

#[test]
fn generate_rejects_foreign_closures_and_unknown_names() {
    let file = SourceFile::parse("file:///a.js", SRC).unwrap();
    let other = SourceFile::parse("file:///a.js", &format!("{SRC}\n")).unwrap();
    let closure = file.closure_at(4, 10, None).unwrap();
    assert_eq!(
        other.generate(&closure, &[], &HashMap::new()),
        Err(AnalyzeError::ForeignClosure)
    );
    let err = file
        .generate(&closure, &["k"], &HashMap::new())
        .unwrap_err();
    assert_eq!(err, AnalyzeError::UnknownByValueName { name: "k".into() });
    assert!(err.to_string().contains("`k`"));
}

#[test]
fn cache_key_changes_with_content_and_ids_are_stable() {
    assert_ne!(
        SourceFile::cache_key("file:///a.js", SRC),
        SourceFile::cache_key("file:///a.js", "x")
    );
    let a = SourceFile::parse("file:///a.js", SRC)
        .unwrap()
        .closure_at(4, 10, None)
        .unwrap();
    let b = SourceFile::parse("file:///a.js", SRC)
        .unwrap()
        .closure_at(4, 16, None)
        .unwrap();
    assert_eq!(a.id, b.id);
}

#[test]
fn every_error_message_says_where_and_how() {
    let errors = [
        AnalyzeError::Parse {
            line: 3,
            column: 4,
            message: "Unexpected token".into(),
        },
        AnalyzeError::TooDeep {
            line: 3,
            column: 4,
            depth: 201,
            limit: 200,
        },
        AnalyzeError::NoClosureAtPosition { line: 3, column: 4 },
        AnalyzeError::NoNewExpressionAtPosition { line: 3, column: 4 },
        AnalyzeError::ClosureNotInline { line: 3, column: 4 },
        AnalyzeError::AmbiguousClosure {
            line: 3,
            column: 4,
            candidates: 2,
        },
        AnalyzeError::ClosureHasParams { line: 3, column: 4 },
        AnalyzeError::ThisCaptured { line: 3, column: 4 },
        AnalyzeError::ArgumentsCaptured { line: 3, column: 4 },
        AnalyzeError::NewTargetCaptured { line: 3, column: 4 },
        AnalyzeError::SuperCaptured { line: 3, column: 4 },
        AnalyzeError::DirectEval { line: 3, column: 4 },
        AnalyzeError::WithStatement { line: 3, column: 4 },
        AnalyzeError::CannotRecreate {
            name: "x".into(),
            line: 3,
            column: 4,
        },
        AnalyzeError::SourceMismatch {
            url: "file:///a.js".into(),
            line: 3,
            column: 4,
        },
        AnalyzeError::AnalyzerBug {
            url: "file:///a.js".into(),
            line: 3,
            column: 4,
            message: "index out of bounds".into(),
        },
    ];
    let mut codes = std::collections::HashSet::new();
    for e in errors {
        let text = e.to_string();
        assert!(text.starts_with("Cannot "), "{text}");
        assert!(text.contains("3:4"), "{text}");
        assert_eq!(serde_json::to_value(&e).unwrap()["kind"], e.name());
        assert!(e.code().starts_with("WEFT_"), "{}", e.code());
        assert!(codes.insert(e.code()), "{} used twice", e.code());
    }
    let large = AnalyzeError::SourceTooLarge {
        url: "file:///bundle.js".into(),
        bytes: 7 << 20,
        limit: 6 << 20,
    };
    assert_eq!(large.code(), "WEFT_SOURCE_TOO_LARGE");
    assert!(large.to_string().contains("file:///bundle.js"));
    assert!(large.to_string().contains(&(6u64 << 20).to_string()));
}

#[test]
fn a_file_too_large_is_refused_before_parsing() {
    let options = ParseOptions {
        max_source_bytes: 10,
        ..ParseOptions::default()
    };
    // Neither the syntax error nor the nesting is looked at.
    let err = SourceFile::parse_with("file:///a.js", &"((((((".repeat(2), options).unwrap_err();
    assert_eq!(
        err,
        AnalyzeError::SourceTooLarge {
            url: "file:///a.js".into(),
            bytes: 12,
            limit: 10
        }
    );
    assert!(SourceFile::parse_with("file:///a.js", "spawn(f);\n", options).is_ok());
}

/// The runaway respawn of issue 15: the callback around `spawn(f)` is never taken for the
/// closure, whatever position an engine reports for the call.
#[test]
fn a_function_that_is_not_inline_is_never_replaced_by_the_callback_around_it() {
    let src = "import { spawn } from 'weft';\nconst f = () => 1;\nawait Promise.resolve().then(() => eval(spawn(f)));\n";
    let file = SourceFile::parse("file:///a.mjs", src).unwrap();
    let line = src.lines().nth(2).unwrap();
    let spawn = line.find("spawn").unwrap() as u32 + 1;
    for column in [spawn, spawn + 5, spawn + 7] {
        for fn_text in [None, Some("() => 1")] {
            assert_eq!(
                file.closure_at(3, column, fn_text),
                Err(AnalyzeError::ClosureNotInline { line: 3, column }),
                "{column} {fn_text:?}"
            );
        }
    }
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_text() {
    let src = "\u{feff}import { spawn } from 'weft';\nconst n = 2;\nspawn(() => n);\n";
    let file = SourceFile::parse("file:///a.js", src).unwrap();
    let closure = file.closure_at(3, 1, Some("() => n")).unwrap();
    assert_eq!((closure.line, closure.column), (3, 7));
    assert_eq!(
        file.new_expression_at(1, 1).unwrap_err().name(),
        "NoNewExpressionAtPosition"
    );
}

/// Test builds can make the analyzer panic on purpose (see `src/guard.rs`): the panic comes
/// back as `AnalyzerBug` for that call, and the analyzer keeps working.
#[cfg(debug_assertions)]
#[test]
fn a_panic_in_the_analyzer_is_an_analyzer_bug_for_that_call_only() {
    use weft_analyzer::{INJECT_PANIC_IN_CLOSURE_AT, INJECT_PANIC_IN_PARSE};

    let src = format!("// {INJECT_PANIC_IN_PARSE}\nspawn(() => 1);\n");
    match SourceFile::parse("file:///bug.js", &src) {
        Err(AnalyzeError::AnalyzerBug {
            url,
            line: 0,
            column: 0,
            message,
        }) => {
            assert_eq!(url, "file:///bug.js");
            assert!(message.contains(INJECT_PANIC_IN_PARSE), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let src = format!("// {INJECT_PANIC_IN_CLOSURE_AT}\nspawn(() => 1);\n");
    let file = SourceFile::parse("file:///bug.js", &src).unwrap();
    let err = file.closure_at(2, 1, None).unwrap_err();
    assert_eq!(err.code(), "WEFT_ANALYZER_BUG");
    assert!(err.to_string().contains("file:///bug.js:2:1"), "{err}");
    let file = SourceFile::parse("file:///a.js", SRC).unwrap();
    assert!(file.closure_at(4, 10, None).is_ok());
}

/// 1-based line and UTF-16 column of the `n`th (0-based) occurrence of `needle` in `code`.
fn find(code: &str, needle: &str, n: usize) -> (u32, u32) {
    let at = code
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("{needle} #{n} in\n{code}"))
        .0;
    let before = &code[..at];
    let line = before.matches('\n').count() as u32 + 1;
    (
        line,
        before.rsplit('\n').next().unwrap().encode_utf16().count() as u32 + 1,
    )
}

const NESTED: &str = r#"import { spawn, Global } from "weft";
const base = 1;
export function run(a /* ünïcödé 😀 */) {
  return spawn(async () => {
    const x = "😀" + a; const g = new Global(new Uint8Array(2));
    if (!x) throw new Error("empty");
    return await eval(spawn(() => x + base));
  });
}
"#;

#[test]
fn a_spawn_inside_a_generated_module_is_found_in_the_original_file() {
    let file = SourceFile::parse("file:///app/nested.js", NESTED).unwrap();
    let outer = file.closure_at(4, 10, None).unwrap();
    let module = file.generate(&outer, &[], &HashMap::new()).unwrap();
    let json = serde_json::to_value(&module).unwrap();
    assert_eq!(
        json["mappings"].as_array().unwrap().len(),
        module.mappings.len()
    );

    let direct = file.closure_at(7, 23, None).unwrap();
    let (line, column) = find(&module.code, "spawn(", 0);
    // V8 reports the callee, JavaScriptCore may report the `(` or the closure.
    for c in [column, column + 5, column + 6] {
        let (l, c) = map_position(&module.mappings, line, c).unwrap();
        assert_eq!(l, 7);
        let inner = file.closure_at(l, c, None).unwrap();
        assert_eq!(inner.id, direct.id);
        let names: Vec<_> = inner.locals.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["x"]);
    }
}

#[test]
fn stack_frames_and_constructions_map_back_to_the_original_file() {
    let file = SourceFile::parse("file:///app/nested.js", NESTED).unwrap();
    let outer = file.closure_at(4, 10, None).unwrap();
    let module = file.generate(&outer, &[], &HashMap::new()).unwrap();

    let (line, column) = find(&module.code, "new Error", 0);
    assert_eq!(
        map_position(&module.mappings, line, column),
        Some((6, 19)),
        "{}\n{:?}",
        module.code,
        module.mappings
    );
    assert_eq!(file.new_expression_at(6, 19), Ok((6, 19)));
    // V8 and JavaScriptCore report different points of `new Global(...)`: one identity.
    let (line, column) = find(&module.code, "new Global", 0);
    for c in [column, column + 4, column + 10] {
        let (l, c) = map_position(&module.mappings, line, c).unwrap();
        assert_eq!(file.new_expression_at(l, c), Ok((5, 35)), "{l}:{c}");
    }
    let (line, column) = find(&module.code, "new Uint8Array", 0);
    let (l, c) = map_position(&module.mappings, line, column).unwrap();
    assert_eq!(file.new_expression_at(l, c), Ok((5, 46)));

    // Wrapper code has no original position.
    let (line, _) = find(&module.code, "export default", 0);
    assert_eq!(map_position(&module.mappings, line, 1), None);
    let (line, column) = find(&module.code, "return ((", 0);
    assert_eq!(map_position(&module.mappings, line, column), None);
    let (line, column) = find(&module.code, "__weft_locals);", 0);
    assert_eq!(map_position(&module.mappings, line, column), None);
    // The closure's own closing brace starts that line.
    assert_eq!(map_position(&module.mappings, line, 1), Some((8, 3)));
}

#[test]
fn new_expression_at_rejects_positions_outside_any_new() {
    let file = SourceFile::parse("file:///a.js", "const a = new A(1);\nconst b = A(2);\n").unwrap();
    assert_eq!(file.new_expression_at(1, 18), Ok((1, 11)));
    assert_eq!(
        file.new_expression_at(1, 19),
        Err(AnalyzeError::NoNewExpressionAtPosition {
            line: 1,
            column: 19
        })
    );
    assert!(file.new_expression_at(2, 11).is_err());
    assert!(file.new_expression_at(7, 1).is_err());
}
