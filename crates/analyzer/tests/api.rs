//! The public API's contracts that fixtures do not show: serialization, misuse, reuse.

use std::collections::HashMap;

use weft_analyzer::{AnalyzeError, SourceFile};

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
    assert_eq!(err, serde_json::json!({ "kind": "ThisCaptured", "line": 1, "column": 2 }));
}

#[test]
fn generate_rejects_foreign_closures_and_unknown_names() {
    let file = SourceFile::parse("file:///a.js", SRC).unwrap();
    let other = SourceFile::parse("file:///a.js", &format!("{SRC}\n")).unwrap();
    let closure = file.closure_at(4, 10, None).unwrap();
    assert_eq!(other.generate(&closure, &[], &HashMap::new()), Err(AnalyzeError::ForeignClosure));
    let err = file.generate(&closure, &["k"], &HashMap::new()).unwrap_err();
    assert_eq!(err, AnalyzeError::UnknownByValueName { name: "k".into() });
    assert!(err.to_string().contains("`k`"));
}

#[test]
fn cache_key_changes_with_content_and_ids_are_stable() {
    assert_ne!(SourceFile::cache_key("file:///a.js", SRC), SourceFile::cache_key("file:///a.js", "x"));
    let a = SourceFile::parse("file:///a.js", SRC).unwrap().closure_at(4, 10, None).unwrap();
    let b = SourceFile::parse("file:///a.js", SRC).unwrap().closure_at(4, 16, None).unwrap();
    assert_eq!(a.id, b.id);
}

#[test]
fn every_error_message_says_where_and_how() {
    let errors = [
        AnalyzeError::Parse { line: 3, column: 4, message: "Unexpected token".into() },
        AnalyzeError::TooDeep { line: 3, column: 4, depth: 201, limit: 200 },
        AnalyzeError::NoClosureAtPosition { line: 3, column: 4 },
        AnalyzeError::ClosureNotInline { line: 3, column: 4 },
        AnalyzeError::AmbiguousClosure { line: 3, column: 4, candidates: 2 },
        AnalyzeError::ClosureHasParams { line: 3, column: 4 },
        AnalyzeError::ThisCaptured { line: 3, column: 4 },
        AnalyzeError::ArgumentsCaptured { line: 3, column: 4 },
        AnalyzeError::NewTargetCaptured { line: 3, column: 4 },
        AnalyzeError::SuperCaptured { line: 3, column: 4 },
        AnalyzeError::DirectEval { line: 3, column: 4 },
        AnalyzeError::WithStatement { line: 3, column: 4 },
        AnalyzeError::CannotRecreate { name: "x".into(), line: 3, column: 4 },
    ];
    for e in errors {
        let text = e.to_string();
        assert!(text.starts_with("Cannot "), "{text}");
        assert!(text.contains("3:4"), "{text}");
        assert_eq!(serde_json::to_value(&e).unwrap()["kind"], e.name());
    }
}
