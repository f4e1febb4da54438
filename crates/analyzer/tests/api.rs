//! The public API's contracts that fixtures do not show: serialization, misuse, reuse.

use std::collections::HashMap;

use weft_analyzer::{map_position, AnalyzeError, SourceFile};

const SRC: &str =
    "import { spawn } from \"weft\";\nconst n = 2;\nexport function f(k) {\n  return spawn(() => n + k);\n}\n";

#[test]
fn results_serialize_for_the_js_glue() {
    let file = SourceFile::parse("file:///a.js", SRC).unwrap();
    let closure = file.closure_at(4, 10, None).unwrap();
    let json = serde_json::to_value(&closure).unwrap();
    assert_eq!(json["locals"][0]["name"], "k");
    assert_eq!(json["locals"][0]["kind"], "Param");
    assert_eq!(json["top_level"][0]["via"], serde_json::Value::Null);
    assert!(json.get("span").is_none());
    let module = file.generate(&closure, &["n"], &HashMap::new()).unwrap();
    let json = serde_json::to_value(&module).unwrap();
    assert_eq!(json["export_name"], "default");
    assert_eq!(json["top_level"][0], "n");
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
    ];
    for e in errors {
        let text = e.to_string();
        assert!(text.starts_with("Cannot "), "{text}");
        assert!(text.contains("3:4"), "{text}");
        assert_eq!(serde_json::to_value(&e).unwrap()["kind"], e.name());
    }
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
