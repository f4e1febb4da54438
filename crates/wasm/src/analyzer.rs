//! The analyzer's surface for `spawn`: analyse a call site, then generate the worker module.
//!
//! Parsed files are cached per thread, keyed by URL and checked against the text by JS string
//! equality with the text parsed last (the same string instance, as `spawn` passes its cached
//! text, compares in constant time; any string is compared without a copy into Wasm). So a second
//! call site in an already analysed file costs neither a parse nor a pass over the text in Wasm. Closures found are kept by their
//! id until their file is re-parsed. Errors cross as plain objects
//! `{ kind, message, ...fields }` (see `weft_analyzer::AnalyzeError`) for the JS layer to map to
//! `WeftError` codes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use weft_analyzer::{AnalyzeError, Closure, SourceFile};

struct Parsed {
    /// The text as JS passed it (a string), to recognise the same text without copying it.
    text: JsValue,
    file: Rc<SourceFile>,
    closures: HashMap<String, Closure>,
}

thread_local! {
    static FILES: RefCell<HashMap<String, Parsed>> = RefCell::new(HashMap::new());
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    #[serde(flatten)]
    error: &'a AnalyzeError,
    name: &'static str,
    message: String,
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&format!("weft analyzer: cannot convert a result: {e}")))
}

fn error_to_js(error: &AnalyzeError) -> JsValue {
    let out = ErrorOut {
        error,
        name: error.name(),
        message: error.to_string(),
    };
    to_js(&out).unwrap_or_else(|e| e)
}

/// The parsed file for `url`, parsing `source` (a JS string) unless the cached copy has the same
/// content.
fn with_file<R>(
    url: &str,
    source: &JsValue,
    f: impl FnOnce(&mut Parsed) -> R,
) -> Result<R, JsValue> {
    FILES.with(|files| {
        let mut files = files.borrow_mut();
        // `==` on JsValues is JS `===`: for strings, equal contents.
        let same_text = files.get(url).is_some_and(|p| p.text == *source);
        if !same_text {
            let text = source.as_string().ok_or_else(|| {
                JsValue::from_str("weft analyzer: the source text must be a string")
            })?;
            let file = SourceFile::parse(url, &text).map_err(|e| error_to_js(&e))?;
            files.insert(
                url.to_owned(),
                Parsed {
                    text: source.clone(),
                    file: Rc::new(file),
                    closures: HashMap::new(),
                },
            );
        }
        let parsed = files.get_mut(url).expect("inserted above");
        Ok(f(parsed))
    })
}

/// Finds the closure of the call at `line`:`column` (1-based, any position inside the call) in
/// the file `url` with text `source`. `fn_text` (the closure's `toString()`) breaks ties between
/// closures on the same line. Returns the `Closure` as a plain object; throws an error object.
#[wasm_bindgen(js_name = analyzeCallSite)]
pub fn analyze_call_site(
    url: &str,
    source: &JsValue,
    line: u32,
    column: u32,
    fn_text: Option<String>,
) -> Result<JsValue, JsValue> {
    let closure = with_file(url, source, |parsed| {
        let closure = parsed.file.closure_at(line, column, fn_text.as_deref())?;
        parsed.closures.insert(closure.id.clone(), closure.clone());
        Ok::<_, AnalyzeError>(closure)
    })?
    .map_err(|e| error_to_js(&e))?;
    to_js(&closure)
}

/// Generates the worker module for a closure returned by `analyzeCallSite` on the same file:
/// `by_value` lists the top-level names passed by value, `resolved` maps bare specifiers to the
/// URLs they resolve to from the caller (an object `{ [specifier]: url }`). The module's
/// `mappings` lead positions in its code back to the caller's file (see
/// `weft_analyzer::map_position`).
#[wasm_bindgen(js_name = generateModule)]
pub fn generate_module(
    url: &str,
    closure_id: &str,
    by_value: Vec<String>,
    resolved: JsValue,
) -> Result<JsValue, JsValue> {
    let resolved: HashMap<String, String> = if resolved.is_undefined() || resolved.is_null() {
        HashMap::new()
    } else {
        serde_wasm_bindgen::from_value(resolved)
            .map_err(|e| JsValue::from_str(&format!("weft analyzer: resolved specifiers: {e}")))?
    };
    let by_value: Vec<&str> = by_value.iter().map(String::as_str).collect();
    let module = FILES.with(|files| {
        let files = files.borrow();
        let parsed = files
            .get(url)
            .ok_or_else(|| JsValue::from_str(&format!("weft analyzer: {url} was not analysed")))?;
        let closure = parsed.closures.get(closure_id).ok_or_else(|| {
            JsValue::from_str(&format!("weft analyzer: no closure {closure_id} in {url}"))
        })?;
        parsed
            .file
            .generate(closure, &by_value, &resolved)
            .map_err(|e| error_to_js(&e))
    })?;
    to_js(&module)
}

/// The start `[line, column]` of the innermost `new` expression containing `line`:`column` in the
/// file `url` with text `source`, whichever point of the expression the engine reported (the
/// `new` keyword, the callee or the `(`): a stable identity for an object created there, e.g. a
/// `new Global(...)`. Positions in a generated worker module are first mapped back with its
/// `mappings`. Throws an error object (`NoNewExpressionAtPosition`, or a parse error).
#[wasm_bindgen(js_name = newExpressionAt)]
pub fn new_expression_at(
    url: &str,
    source: &JsValue,
    line: u32,
    column: u32,
) -> Result<JsValue, JsValue> {
    let start = with_file(url, source, |parsed| {
        parsed.file.new_expression_at(line, column)
    })?
    .map_err(|e| error_to_js(&e))?;
    to_js(&[start.0, start.1])
}

/// Drops every cached parse (tests and `shutdown()`).
#[wasm_bindgen(js_name = clearAnalyzerCache)]
pub fn clear_analyzer_cache() {
    FILES.with(|files| files.borrow_mut().clear());
}
