//! The analyzer's surface for `spawn`: analyse a call site, then generate the worker module.
//!
//! Each thread keeps the files it analysed, keyed by URL and checked against the text by JS
//! string equality with the text analysed last (the same string instance, as `spawn` passes its
//! cached text, compares in constant time; any string is compared without a copy into Wasm). So a
//! second call site in an already analysed file costs neither a parse nor a pass over the text in
//! Wasm. Closures found are kept by their id until their file's text changes.
//!
//! # Memory
//!
//! Parses live in the one shared memory (1 GiB at most) that also holds every worker's 2 MiB stack
//! and the sync words, so the analyzer's share is bounded:
//! - a text above [`weft_analyzer::DEFAULT_MAX_SOURCE_BYTES`] (6 MiB) is refused before anything is
//!   copied or parsed ([`AnalyzeError::SourceTooLarge`]): a parse takes up to [`COST_PER_BYTE`]
//!   bytes of memory per byte of source while it runs;
//! - parses kept for later call sites are charged [`COST_PER_BYTE`] per source byte against
//!   [`CACHE_BUDGET`] (192 MiB), shared by all threads; when a parse does not fit, the thread drops
//!   its least recently used parses, and a file that still does not fit is kept only until the
//!   thread parses another file (the text stays, so a later `generateModule` parses it again);
//! - at most [`MAX_FILES`] files are remembered per thread.
//!
//! So the analyzer holds at most 192 MiB, plus one parse per analysing thread that did not fit
//! (at most 6 MiB × 45 bytes).
//!
//! # Errors
//!
//! Failures cross as [`AnalysisFailure`](ANALYSIS_FAILURE) objects `{ code, kind, message }`: the
//! stable `WEFT_*` code of [`AnalyzeError::code`], the variant name, and the message. A panic
//! inside the analyzer arrives as `WEFT_ANALYZER_BUG` (see `weft_analyzer`'s guard); the thread's
//! parses are then dropped (the texts and closures found stay, and are parsed again when needed),
//! so the next call starts from fresh parses.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use wasm_bindgen::prelude::*;
use weft_analyzer::{AnalyzeError, Closure, SourceFile, DEFAULT_MAX_SOURCE_BYTES};

/// Memory a parse takes per byte of source, as measured in the release `.wasm` (growth of
/// `memory.buffer.byteLength` over a fresh instance): 13 for TypeScript's `typescript.js`, 25 for
/// minified code, 45 for dense generated code; rounded up.
pub(crate) const COST_PER_BYTE: usize = 48;

/// Bytes of the shared memory that cached parses may take, all threads together.
pub(crate) const CACHE_BUDGET: usize = 192 << 20;

/// Files each thread remembers (their text and closures, cached parse or not).
pub(crate) const MAX_FILES: usize = 1024;

/// Bytes charged to [`CACHE_BUDGET`] by cached parses of every thread (a static of the module,
/// so in the shared memory). Relaxed: a counter; no other memory is published through it.
static CACHED_BYTES: AtomicUsize = AtomicUsize::new(0);

#[wasm_bindgen(typescript_custom_section)]
const ANALYSIS_FAILURE: &str = r#"
/** What a failing analyzer export throws (a `weft_analyzer::AnalyzeError`). */
export interface AnalysisFailure {
  /** The stable `WEFT_*` code of `AnalyzeError::code`. */
  readonly code: string;
  /** The variant name, e.g. `"ThisCaptured"`. */
  readonly kind: string;
  /** What failed, where, and how to fix it. */
  readonly message: string;
}

/** A variable the closure uses (`weft_analyzer::Capture`). */
export interface Capture {
  readonly name: string;
  /** `"Param"`, `"Var"`, `"Let"`, `"Const"`, `"Using"`, `"Function"`, `"Class"`, `"CatchParam"`,
   * `"Import"`, `"Enum"` or `"Namespace"`. */
  readonly kind: string;
  /** Where it is declared (1-based line, UTF-16 column). */
  readonly line: number;
  readonly column: number;
  /** For a top-level name needed only by another top-level declaration: that declaration. */
  readonly via: string | null;
}

/** What `analyzeCallSite` returns (`weft_analyzer::Closure`). */
export interface Closure {
  /** Identifies the closure in this version of the file, for `generateModule`. */
  readonly id: string;
  /** Variables of enclosing function or block scopes, in order of first use. */
  readonly locals: readonly Capture[];
  /** Top-level names the closure needs, directly (`via: null`) or through declarations. */
  readonly top_level: readonly Capture[];
  /** Bare module specifiers to resolve from the caller and pass to `generateModule`. */
  readonly bare_specifiers: readonly string[];
}

/** One `eval(spawn(…))` found by `spawnSites`; offsets in UTF-16 units, `[start, end)`. */
export interface SpawnSite {
  readonly line: number;
  readonly column: number;
  /** The whole `eval(…)` call. */
  readonly eval: readonly [number, number];
  /** The options argument of `spawn`, if any. */
  readonly options: readonly [number, number] | null;
  /** The closure, or `null` when `error` says why there is none. */
  readonly closure: Closure | null;
  /** Top-level names the transformed call passes by value. */
  readonly by_value: readonly string[];
  readonly error: AnalysisFailure | null;
}

/** What `spawnSites` returns. */
export interface SpawnSites {
  readonly sites: readonly SpawnSite[];
  /** weft `spawn` calls the transform cannot rewrite, and why. */
  readonly unhandled: readonly { readonly line: number; readonly column: number; readonly reason: string }[];
}

/** What `generateModule` returns (`weft_analyzer::GeneratedModule`). */
export interface GeneratedModule {
  /** The ES module; its default export runs the closure. */
  readonly code: string;
  /** `[generated line, generated column, original line, original column]`, sorted. */
  readonly mappings: readonly [number, number, number, number][];
}
"#;

thread_local! {
    static CACHE: RefCell<Cache<JsValue>> = RefCell::new(Cache::new(CACHE_BUDGET, &CACHED_BYTES));
}

impl SourceText for JsValue {
    fn units(&self) -> usize {
        self.unchecked_ref::<js_sys::JsString>().length() as usize
    }
}

/// What the cache needs of a source text: JS strings in the module, Rust strings in tests.
trait SourceText: Clone + PartialEq {
    /// Its length in UTF-16 code units, a lower bound of its length in UTF-8 bytes.
    fn units(&self) -> usize;
}

/// One file a thread analysed.
struct Entry<T> {
    /// The text as JS passed it (a string: no copy in Wasm memory), to recognise it and to parse
    /// it again after the parse was dropped.
    text: T,
    /// The parse while it is cached.
    file: Option<Rc<SourceFile>>,
    /// What `file` is charged against the budget.
    cost: usize,
    /// Closures found in this text, by id, with the query that found them.
    closures: HashMap<String, Found>,
    /// When the entry was last used (a per-thread counter), for dropping the least recent.
    used: u64,
}

/// A closure and the query that found it, to find it again in a new parse of the same text.
struct Found {
    closure: Closure,
    line: u32,
    column: u32,
    fn_text: Option<String>,
}

/// A thread's analysed files: the parses are charged to a budget shared by every thread.
struct Cache<T> {
    entries: HashMap<String, Entry<T>>,
    /// The file whose parse did not fit the budget and is kept, uncharged, until another file is
    /// parsed on this thread (so `generateModule` right after `analyzeCallSite` does not parse
    /// it again).
    uncharged: Option<String>,
    clock: u64,
    budget: usize,
    /// Bytes charged by the parses of every thread's cache.
    charged: &'static AtomicUsize,
}

impl<T: SourceText> Cache<T> {
    fn new(budget: usize, charged: &'static AtomicUsize) -> Self {
        Cache {
            entries: HashMap::new(),
            uncharged: None,
            clock: 0,
            budget,
            charged,
        }
    }

    /// Charges `cost` bytes if they fit the budget. Relaxed: the counter publishes nothing else.
    fn try_charge(&self, cost: usize) -> bool {
        self.charged
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(cost).filter(|&total| total <= self.budget)
            })
            .is_ok()
    }

    fn release(&self, cost: usize) {
        let _ = self
            .charged
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(cost))
            });
    }

    /// Drops this thread's least recently used parses until `cost` more bytes would fit the
    /// budget, or none is left.
    fn make_room(&mut self, cost: usize) {
        while self.charged.load(Ordering::Relaxed).saturating_add(cost) > self.budget {
            let oldest = self
                .entries
                .values_mut()
                .filter(|e| e.cost > 0)
                .min_by_key(|e| e.used);
            let Some(entry) = oldest else { return };
            entry.file = None;
            let cost = std::mem::take(&mut entry.cost);
            self.release(cost);
        }
    }

    /// Forgets the least recently used files beyond [`MAX_FILES`].
    fn trim(&mut self) {
        while self.entries.len() > MAX_FILES {
            let oldest = self.entries.iter().min_by_key(|(_, e)| e.used);
            let Some(url) = oldest.map(|(url, _)| url.clone()) else {
                return;
            };
            if let Some(entry) = self.entries.remove(&url) {
                self.release(entry.cost);
            }
        }
    }

    /// Drops every parse, keeping the texts and the closures found (found again on demand).
    fn drop_parses(&mut self) {
        self.uncharged = None;
        let mut freed = 0;
        for entry in self.entries.values_mut() {
            entry.file = None;
            freed += std::mem::take(&mut entry.cost);
        }
        self.release(freed);
    }

    /// Forgets everything.
    fn clear(&mut self) {
        self.drop_parses();
        self.entries.clear();
    }

    /// Runs `f` on the parse of `url` with text `text`, parsing it with `parse` unless a parse of
    /// the same text is kept; `f` also gets the closures found in the text so far, and whether
    /// the parse is new (closures found earlier came from another parse of the same text). After
    /// an [`AnalyzeError::AnalyzerBug`] every parse is dropped.
    fn with_file<R>(
        &mut self,
        url: &str,
        text: &T,
        parse: impl FnOnce(&T) -> Result<SourceFile, AnalyzeError>,
        f: impl FnOnce(&SourceFile, &mut HashMap<String, Found>, bool) -> Result<R, AnalyzeError>,
    ) -> Result<R, AnalyzeError> {
        self.clock += 1;
        let now = self.clock;
        if self.entries.get(url).is_some_and(|e| e.text != *text) {
            if let Some(old) = self.entries.remove(url) {
                self.release(old.cost);
            }
        }
        let kept = self.entries.get(url).and_then(|e| e.file.clone());
        let fresh = kept.is_none();
        let file = match kept {
            Some(file) => file,
            None => {
                if let Some(url) = self.uncharged.take() {
                    if let Some(entry) = self.entries.get_mut(&url) {
                        entry.file = None;
                    }
                }
                let cost = text.units().saturating_mul(COST_PER_BYTE);
                self.make_room(cost);
                let file = match parse(text) {
                    Ok(file) => Rc::new(file),
                    Err(e) => return Err(self.after(e)),
                };
                let charged = self.try_charge(cost);
                let entry = self.entries.entry(url.to_owned()).or_insert_with(|| Entry {
                    text: text.clone(),
                    file: None,
                    cost: 0,
                    closures: HashMap::new(),
                    used: now,
                });
                entry.file = Some(file.clone());
                if charged {
                    entry.cost = cost;
                } else {
                    self.uncharged = Some(url.to_owned());
                }
                file
            }
        };
        let entry = self.entries.get_mut(url).expect("inserted above");
        entry.used = now;
        let result = f(&file, &mut entry.closures, fresh);
        self.trim();
        result.map_err(|e| self.after(e))
    }

    /// Drops every parse after an analyzer bug: the state it left may be inconsistent.
    fn after(&mut self, error: AnalyzeError) -> AnalyzeError {
        if let AnalyzeError::AnalyzerBug { .. } = error {
            self.drop_parses();
        }
        error
    }

    /// Bytes this cache has charged.
    #[cfg(test)]
    fn cost(&self) -> usize {
        self.entries.values().map(|e| e.cost).sum()
    }
}

/// A failure for JS: `{ code, kind, message }`.
fn error_to_js(error: &AnalyzeError) -> JsValue {
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"code".into(), &error.code().into());
    let _ = js_sys::Reflect::set(&out, &"kind".into(), &error.name().into());
    let _ = js_sys::Reflect::set(&out, &"message".into(), &error.to_string().into());
    out.into()
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&format!("weft analyzer: cannot convert a result: {e}")))
}

/// The text JS passed, or an error for JS when it is not a string.
fn text_of(source: &JsValue) -> Result<&js_sys::JsString, JsValue> {
    source
        .dyn_ref::<js_sys::JsString>()
        .ok_or_else(|| JsValue::from_str("weft analyzer: the source text must be a string"))
}

/// Parses `string` for `url`, refusing a text too large before copying it into Wasm memory.
fn parse(url: &str, string: &js_sys::JsString) -> Result<SourceFile, AnalyzeError> {
    // UTF-8 takes at least one byte per UTF-16 unit.
    let units = u64::from(string.length());
    if units > DEFAULT_MAX_SOURCE_BYTES {
        return Err(AnalyzeError::SourceTooLarge {
            url: url.to_owned(),
            bytes: units,
            limit: DEFAULT_MAX_SOURCE_BYTES,
        });
    }
    SourceFile::parse(url, &String::from(string))
}

/// Runs `f` on this thread's parse of `url` with text `text` (see [`Cache::with_file`]). An
/// [`AnalyzeError::AnalyzerBug`] that concerned the whole file names the call site at
/// `line`:`column`.
fn with_file<R>(
    url: &str,
    text: &js_sys::JsString,
    line: u32,
    column: u32,
    f: impl FnOnce(&SourceFile, &mut HashMap<String, Found>, bool) -> Result<R, AnalyzeError>,
) -> Result<R, AnalyzeError> {
    let text: &JsValue = text;
    let result = CACHE.with(|cache| {
        let parse = |text: &JsValue| parse(url, text.unchecked_ref());
        cache.borrow_mut().with_file(url, text, parse, f)
    });
    match result {
        Err(AnalyzeError::AnalyzerBug {
            url,
            line: 0,
            column: 0,
            message,
        }) => Err(AnalyzeError::AnalyzerBug {
            url,
            line,
            column,
            message,
        }),
        other => other,
    }
}

/// Finds the closure of the call at `line`:`column` (1-based, as the stack trace reports it) in
/// the file `url` with text `source`. `fn_text` (the function's `toString()`) is checked against
/// the closure found and breaks ties between closures on the same line. Returns a
/// [`Closure`](ANALYSIS_FAILURE); throws an [`AnalysisFailure`](ANALYSIS_FAILURE).
#[wasm_bindgen(js_name = analyzeCallSite, unchecked_return_type = "Closure")]
pub fn analyze_call_site(
    url: &str,
    source: &JsValue,
    line: u32,
    column: u32,
    fn_text: Option<String>,
) -> Result<JsValue, JsValue> {
    let closure = with_file(url, text_of(source)?, line, column, |file, closures, _| {
        let closure = file.closure_at(line, column, fn_text.as_deref())?;
        closures.insert(
            closure.id.clone(),
            Found {
                closure: closure.clone(),
                line,
                column,
                fn_text,
            },
        );
        Ok(closure)
    })
    .map_err(|e| error_to_js(&e))?;
    to_js(&closure)
}

/// Generates the worker module for a closure returned by `analyzeCallSite` on the same file:
/// `by_value` lists the top-level names passed by value, `resolved` maps bare specifiers to the
/// URLs they resolve to from the caller (an object `{ [specifier]: url }`). Returns a
/// [`GeneratedModule`](ANALYSIS_FAILURE), whose `mappings` lead positions in its code back to the
/// caller's file (see `weft_analyzer::map_position`).
#[wasm_bindgen(js_name = generateModule, unchecked_return_type = "GeneratedModule")]
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
    let not_analysed = || {
        JsValue::from_str(&format!(
            "weft analyzer: no closure {closure_id} was found in {url}"
        ))
    };
    let text = CACHE.with(|cache| {
        let cache = cache.borrow();
        let entry = cache.entries.get(url)?;
        let found = entry.closures.get(closure_id)?;
        Some((entry.text.clone(), found.line, found.column))
    });
    let Some((text, line, column)) = text else {
        return Err(not_analysed());
    };
    let module = with_file(
        url,
        text.unchecked_ref(),
        line,
        column,
        |file, closures, fresh| {
            let Some(found) = closures.get_mut(closure_id) else {
                return Err(AnalyzeError::ForeignClosure);
            };
            if fresh {
                // The parse it was found in was dropped: find it again in this one.
                found.closure =
                    file.closure_at(found.line, found.column, found.fn_text.as_deref())?;
            }
            file.generate(&found.closure, &by_value, &resolved)
        },
    )
    .map_err(|e| error_to_js(&e))?;
    to_js(&module)
}

/// Every `eval(spawn(…))` of the file `url` with text `source`, analysed for the build-time
/// transform: a [`SpawnSites`](ANALYSIS_FAILURE) whose sites carry their closure (kept, so that
/// `generateModule` can follow) and the top-level names to pass by value, or the failure that
/// makes the site impossible to transform. Throws an [`AnalysisFailure`](ANALYSIS_FAILURE) when
/// the file does not parse.
#[wasm_bindgen(js_name = spawnSites, unchecked_return_type = "SpawnSites")]
pub fn spawn_sites(url: &str, source: &JsValue) -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    struct Site {
        #[serde(flatten)]
        at: weft_analyzer::SpawnSite,
        closure: Option<Closure>,
        by_value: Vec<String>,
        error: Option<Failure>,
    }
    #[derive(Serialize)]
    struct Failure {
        code: &'static str,
        kind: &'static str,
        message: String,
    }
    #[derive(Serialize)]
    struct Found {
        sites: Vec<Site>,
        unhandled: Vec<weft_analyzer::UnhandledSpawn>,
    }
    let found = with_file(url, text_of(source)?, 0, 0, |file, closures, _| {
        let scan = file.spawn_sites();
        let mut sites = Vec::with_capacity(scan.sites.len());
        for at in scan.sites {
            match file.closure_at(at.line, at.column, None) {
                Ok(closure) => {
                    let by_value = file.build_time_by_value(&closure);
                    closures.insert(
                        closure.id.clone(),
                        self::Found {
                            closure: closure.clone(),
                            line: at.line,
                            column: at.column,
                            fn_text: None,
                        },
                    );
                    sites.push(Site {
                        at,
                        closure: Some(closure),
                        by_value,
                        error: None,
                    });
                }
                Err(e) => sites.push(Site {
                    at,
                    closure: None,
                    by_value: Vec::new(),
                    error: Some(Failure {
                        code: e.code(),
                        kind: e.name(),
                        message: e.to_string(),
                    }),
                }),
            }
        }
        Ok(Found {
            sites,
            unhandled: scan.unhandled,
        })
    })
    .map_err(|e| error_to_js(&e))?;
    to_js(&found)
}

/// The start `[line, column]` of the innermost `new` expression containing `line`:`column` in the
/// file `url` with text `source`, whichever point of the expression the engine reported (the
/// `new` keyword, the callee or the `(`): a stable identity for an object created there, e.g. a
/// `new Global(...)`. Positions in a generated worker module are first mapped back with its
/// `mappings`. Throws an [`AnalysisFailure`](ANALYSIS_FAILURE) (`WEFT_NO_NEW_EXPRESSION`, or a
/// parse error).
#[wasm_bindgen(js_name = newExpressionAt, unchecked_return_type = "[number, number]")]
pub fn new_expression_at(
    url: &str,
    source: &JsValue,
    line: u32,
    column: u32,
) -> Result<JsValue, JsValue> {
    let start = with_file(url, text_of(source)?, line, column, |file, _, _| {
        file.new_expression_at(line, column)
    })
    .map_err(|e| error_to_js(&e))?;
    to_js(&[start.0, start.1])
}

/// Forgets this thread's analysed files: parses, texts and closures (tests and `shutdown()`).
#[wasm_bindgen(js_name = clearAnalyzerCache)]
pub fn clear_analyzer_cache() {
    CACHE.with(|cache| cache.borrow_mut().clear());
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SourceText for String {
        fn units(&self) -> usize {
            self.encode_utf16().count()
        }
    }

    /// A file of `n` bytes with one spawn call on line 1.
    fn text(n: usize, tag: char) -> String {
        let mut s = format!("spawn(() => {tag});\n");
        s.extend(std::iter::repeat_n(' ', n - s.len()));
        s
    }

    fn cost(n: usize) -> usize {
        n * COST_PER_BYTE
    }

    /// Analyses the call on line 1 of `url`; returns whether the parse was new.
    fn analyse(cache: &mut Cache<String>, url: &str, text: &String) -> bool {
        let parse = |t: &String| SourceFile::parse(url, t);
        cache
            .with_file(url, text, parse, |file, closures, fresh| {
                let closure = file.closure_at(1, 1, None)?;
                closures.insert(
                    closure.id.clone(),
                    Found {
                        closure,
                        line: 1,
                        column: 1,
                        fn_text: None,
                    },
                );
                Ok(fresh)
            })
            .unwrap()
    }

    #[test]
    fn a_parse_is_kept_for_the_same_text_and_replaced_for_another() {
        static CHARGED: AtomicUsize = AtomicUsize::new(0);
        let mut cache = Cache::new(cost(1000), &CHARGED);
        let a = text(100, 'a');
        assert!(analyse(&mut cache, "file:///a.js", &a));
        assert!(!analyse(&mut cache, "file:///a.js", &a));
        assert_eq!(CHARGED.load(Ordering::Relaxed), cost(100));
        let b = text(200, 'b');
        assert!(
            analyse(&mut cache, "file:///a.js", &b),
            "a new text is parsed"
        );
        assert_eq!(CHARGED.load(Ordering::Relaxed), cost(200));
        assert_eq!(cache.entries.len(), 1);
        cache.clear();
        assert_eq!(CHARGED.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn parses_beyond_the_budget_drop_the_least_recently_used() {
        static CHARGED: AtomicUsize = AtomicUsize::new(0);
        let mut cache = Cache::new(cost(300), &CHARGED);
        let texts: Vec<String> = "abcd".chars().map(|c| text(100, c)).collect();
        let urls = [
            "file:///a.js",
            "file:///b.js",
            "file:///c.js",
            "file:///d.js",
        ];
        for (url, t) in urls.iter().zip(&texts).take(3) {
            assert!(analyse(&mut cache, url, t));
        }
        assert!(
            !analyse(&mut cache, urls[0], &texts[0]),
            "a is now the most recent"
        );
        assert!(analyse(&mut cache, urls[3], &texts[3]));
        assert!(CHARGED.load(Ordering::Relaxed) <= cost(300));
        assert_eq!(cache.cost(), CHARGED.load(Ordering::Relaxed));
        assert!(
            cache.entries[urls[1]].file.is_none(),
            "b was the least recently used"
        );
        assert_eq!(
            cache.entries[urls[1]].closures.len(),
            1,
            "its closures stay"
        );
        assert!(!analyse(&mut cache, urls[0], &texts[0]));
        assert!(analyse(&mut cache, urls[1], &texts[1]), "parsed again");
        assert_eq!(cache.entries.len(), 4);
    }

    #[test]
    fn a_file_larger_than_the_budget_is_kept_until_the_next_parse() {
        static CHARGED: AtomicUsize = AtomicUsize::new(0);
        let mut cache = Cache::new(cost(300), &CHARGED);
        let small = text(100, 's');
        let big = text(400, 'b');
        assert!(analyse(&mut cache, "file:///s.js", &small));
        assert!(analyse(&mut cache, "file:///b.js", &big));
        let charged = CHARGED.load(Ordering::Relaxed);
        assert_eq!(charged, 0, "the small one made room");
        assert!(
            !analyse(&mut cache, "file:///b.js", &big),
            "kept, uncharged, for now"
        );
        assert!(analyse(&mut cache, "file:///s.js", &small));
        assert!(
            cache.entries["file:///b.js"].file.is_none(),
            "dropped by the next parse"
        );
        assert!(analyse(&mut cache, "file:///b.js", &big));
        assert_eq!(cache.entries["file:///b.js"].closures.len(), 1);
    }

    #[test]
    fn an_analyzer_bug_drops_every_parse_but_keeps_the_closures() {
        static CHARGED: AtomicUsize = AtomicUsize::new(0);
        let mut cache = Cache::new(cost(1000), &CHARGED);
        let a = text(100, 'a');
        assert!(analyse(&mut cache, "file:///a.js", &a));
        let bug = AnalyzeError::AnalyzerBug {
            url: "file:///b.js".into(),
            line: 0,
            column: 0,
            message: "boom".into(),
        };
        let failed: Result<(), _> = cache.with_file(
            "file:///b.js",
            &text(100, 'b'),
            |_| Err(bug.clone()),
            |_, _, _| Ok(()),
        );
        assert_eq!(failed, Err(bug));
        assert_eq!(CHARGED.load(Ordering::Relaxed), 0);
        assert_eq!(cache.entries["file:///a.js"].closures.len(), 1);
        assert!(analyse(&mut cache, "file:///a.js", &a), "parsed again");
    }

    #[test]
    fn at_most_max_files_are_remembered() {
        static CHARGED: AtomicUsize = AtomicUsize::new(0);
        let mut cache = Cache::new(CACHE_BUDGET, &CHARGED);
        let t = text(20, 'x');
        for i in 0..=MAX_FILES {
            analyse(&mut cache, &format!("file:///{i}.js"), &t);
        }
        assert_eq!(cache.entries.len(), MAX_FILES);
        assert!(!cache.entries.contains_key("file:///0.js"));
        assert_eq!(cache.cost(), CHARGED.load(Ordering::Relaxed));
    }
}
