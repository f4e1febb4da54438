//! Parsing and resolving a caller's file once, so every call site in it is cheap to analyse.

use serde::Serialize;
use swc_common::{sync::Lrc, FileName, Globals, Mark, SourceMap, Spanned, SyntaxContext, GLOBALS};
use swc_ecma_ast::{Module, ModuleItem, Pass, Program};
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax};
use swc_ecma_transforms_base::resolver;

use crate::{depth, error::AnalyzeError, lines::LineIndex, scope::ScopeInfo};

/// How deeply a file may nest before [`SourceFile::parse`] rejects it with
/// [`AnalyzeError::TooDeep`], in levels as the pre-scan counts them: each open bracket is one
/// level, about 1 KiB of engine stack in the release `.wasm`; arrows, prefix operators,
/// assignments, ternaries, JSX elements, member accesses, calls and binary operators each weigh
/// what they were measured to cost (see [`ParseOptions::max_depth`]).
///
/// The smallest stack the analyzer runs on is the engine's on a main thread or in a worker (about
/// 1 MiB for V8, and for Bun's workers), before the module's own (4 MiB on the main thread, 2 MiB
/// in each worker). Measured there, every nesting construct fits at least 670 levels (object
/// literals in a Bun worker), most 900 to 1,000, and a stack overflow is a trap or a `RangeError`
/// that leaves the instance unusable: 400 keeps a margin of 1.7 to 2.6 for the stack the caller's
/// own frames already use. `tests/wasm_stack.mjs` checks it on every runtime.
pub const DEFAULT_MAX_DEPTH: u32 = 400;

/// The largest source text, in bytes, that [`SourceFile::parse`] accepts by default; larger ones
/// are rejected with [`AnalyzeError::SourceTooLarge`] before anything else is done.
///
/// Parsing holds the syntax tree, the scopes and the text: measured in the release `.wasm`, 13
/// bytes of memory per byte of source for TypeScript's own 9 MB `typescript.js`, 25 for minified
/// code, up to 45 for dense generated code. 6 MiB keeps one parse under 300 MiB of the 1 GiB
/// shared memory in the worst case.
pub const DEFAULT_MAX_SOURCE_BYTES: u64 = 6 << 20;

/// The language of a source file, normally taken from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Language {
    /// `.js` (JSX allowed, as Bun and most bundlers do), `.mjs`, `.cjs`.
    Js,
    /// `.jsx`.
    Jsx,
    /// `.ts`, `.mts`, `.cts`.
    Ts,
    /// `.tsx`.
    Tsx,
}

/// Whether a file is an ES module or a CommonJS script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ModuleKind {
    /// ES module: `.mjs`, `.mts`, or any file with `import`/`export` declarations.
    Esm,
    /// CommonJS: `.cjs`, `.cts`, or a `.js`/`.ts` file without `import`/`export` declarations.
    CommonJs,
}

/// Options for [`SourceFile::parse_with`].
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// The language; `None` takes it from the URL's extension.
    pub language: Option<Language>,
    /// The deepest nesting accepted, in levels as the pre-scan counts them (brackets, prefix
    /// operators, arrows, ternaries, JSX elements; see [`DEFAULT_MAX_DEPTH`]). Raise it only
    /// together with the stack size of the thread that parses.
    pub max_depth: u32,
    /// The largest source text accepted, in bytes (see [`DEFAULT_MAX_SOURCE_BYTES`]).
    pub max_source_bytes: u64,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            language: None,
            max_depth: DEFAULT_MAX_DEPTH,
            max_source_bytes: DEFAULT_MAX_SOURCE_BYTES,
        }
    }
}

/// A caller's file, parsed and scope-resolved once.
///
/// Keep it in a cache keyed by [`SourceFile::cache_key`]: every later call site in the same file
/// version is then found and analysed without parsing again ([`SourceFile::closure_at`] walks only
/// the path to the call and the closure itself).
///
/// # Examples
///
/// ```
/// use weft_analyzer::SourceFile;
///
/// let src = "import { spawn } from 'weft';\nconst n = 2;\nspawn(() => n * 21);\n";
/// let file = SourceFile::parse("file:///app/main.js", src).unwrap();
/// let closure = file.closure_at(3, 1, None).unwrap();
/// assert_eq!(closure.top_level[0].name, "n");
/// ```
pub struct SourceFile {
    pub(crate) url: String,
    /// The text as swc holds it (a byte-order mark removed), which every span points into.
    pub(crate) fm: Lrc<swc_common::SourceFile>,
    pub(crate) language: Language,
    pub(crate) kind: ModuleKind,
    pub(crate) hash: u64,
    pub(crate) cm: Lrc<SourceMap>,
    pub(crate) start: u32,
    pub(crate) globals: Globals,
    pub(crate) unresolved_mark: Mark,
    pub(crate) top_level_mark: Mark,
    pub(crate) unresolved: SyntaxContext,
    pub(crate) top_level: SyntaxContext,
    pub(crate) module: Module,
    pub(crate) lines: LineIndex,
    pub(crate) scope: ScopeInfo,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("url", &self.url)
            .field("language", &self.language)
            .field("kind", &self.kind)
            .field("hash", &format_args!("{:016x}", self.hash))
            .finish_non_exhaustive()
    }
}

/// A 64-bit hash of a source text, to tell versions of a file apart: the content part of
/// [`SourceFile::cache_key`]. FNV-1a's step over 8-byte words (so a pass over the text is cheap
/// even in unoptimised Wasm code), then the tail's bytes and the length, then a final mix. Each
/// step is a bijection of the state, so texts of one length that differ in one word always hash
/// differently. Not for adversarial inputs.
///
/// ```
/// use weft_analyzer::content_hash;
/// assert_ne!(content_hash("a"), content_hash("b"));
/// assert_ne!(content_hash("spawn(() => 1)"), content_hash("spawn(() => 2)"));
/// assert_ne!(content_hash(""), content_hash("\0"));
/// ```
pub fn content_hash(source: &str) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let bytes = source.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        h ^= u64::from_le_bytes(word.try_into().expect("chunks of 8 bytes"));
        h = h.wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    h ^= bytes.len() as u64;
    h = h.wrapping_mul(PRIME);
    // Spread the high bits, which the multiplications above only carry upwards, over the word.
    h ^= h >> 32;
    h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}

impl Language {
    /// The language for a URL or path by its extension (query and fragment ignored).
    ///
    /// ```
    /// use weft_analyzer::Language;
    /// assert_eq!(Language::from_url("file:///app/view.tsx?v=2"), Some(Language::Tsx));
    /// assert_eq!(Language::from_url("file:///app/data.json"), None);
    /// ```
    pub fn from_url(url: &str) -> Option<Language> {
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let ext = path.rsplit_once('.')?.1;
        if ext.contains('/') {
            return None;
        }
        Some(match ext {
            "js" | "mjs" | "cjs" => Language::Js,
            "jsx" => Language::Jsx,
            "ts" | "mts" | "cts" => Language::Ts,
            "tsx" => Language::Tsx,
            _ => return None,
        })
    }

    fn syntax(self) -> Syntax {
        match self {
            Language::Js | Language::Jsx => Syntax::Es(EsSyntax {
                jsx: true,
                decorators: true,
                import_attributes: true,
                explicit_resource_management: true,
                ..Default::default()
            }),
            Language::Ts | Language::Tsx => Syntax::Typescript(TsSyntax {
                tsx: self == Language::Tsx,
                decorators: true,
                ..Default::default()
            }),
        }
    }

    pub(crate) fn is_typescript(self) -> bool {
        matches!(self, Language::Ts | Language::Tsx)
    }
}

/// Turns a plain absolute path (as CommonJS stack traces show them) into a `file://` URL; URLs
/// are returned unchanged.
pub(crate) fn normalize_url(url: &str) -> String {
    let bytes = url.as_bytes();
    let windows = bytes.len() > 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/');
    if !(url.starts_with('/') || windows) {
        return url.to_owned();
    }
    let mut out = String::from(if windows { "file:///" } else { "file://" });
    for ch in url.chars() {
        match ch {
            '\\' if windows => out.push('/'),
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            _ => out.push(ch),
        }
    }
    out
}

/// A program as a module: a script's statements become module items. The analysis and the code
/// generator work on modules only; [`SourceFile::module_kind`] keeps what the file was.
pub(crate) fn into_module(program: Program) -> Module {
    match program {
        Program::Module(module) => module,
        Program::Script(script) => Module {
            span: script.span,
            body: script.body.into_iter().map(ModuleItem::Stmt).collect(),
            shebang: script.shebang,
        },
    }
}

impl SourceFile {
    /// Parses and resolves `source`, the text of the file at `url`, with default options.
    ///
    /// `url` is the caller's module URL as a stack trace shows it (`file:///…`, `https://…`, or a
    /// plain absolute path for CommonJS); its extension picks the language.
    ///
    /// # Errors
    /// [`AnalyzeError::SourceTooLarge`], [`AnalyzeError::UnsupportedExtension`],
    /// [`AnalyzeError::TooDeep`], [`AnalyzeError::Parse`] (including errors swc recovered from),
    /// and [`AnalyzeError::AnalyzerBug`] if the analyzer panics.
    pub fn parse(url: &str, source: &str) -> Result<SourceFile, AnalyzeError> {
        Self::parse_with(url, source, ParseOptions::default())
    }

    /// Like [`SourceFile::parse`], with an explicit language, depth or size limit.
    pub fn parse_with(
        url: &str,
        source: &str,
        options: ParseOptions,
    ) -> Result<SourceFile, AnalyzeError> {
        let bytes = source.len() as u64;
        if bytes > options.max_source_bytes {
            return Err(AnalyzeError::SourceTooLarge {
                url: url.to_owned(),
                bytes,
                limit: options.max_source_bytes,
            });
        }
        crate::guard::catch(url, 0, 0, || Self::parse_unguarded(url, source, options))
    }

    fn parse_unguarded(
        url: &str,
        source: &str,
        options: ParseOptions,
    ) -> Result<SourceFile, AnalyzeError> {
        let language = match options.language.or_else(|| Language::from_url(url)) {
            Some(l) => l,
            None => {
                return Err(AnalyzeError::UnsupportedExtension {
                    url: url.to_owned(),
                })
            }
        };
        // Engines drop a byte-order mark before counting lines and columns, and so does swc.
        let text = source.strip_prefix('\u{feff}').unwrap_or(source);
        let lines = LineIndex::new(text);
        if let Err((depth, at)) = depth::scan(text, options.max_depth) {
            let (line, column) = lines.position(text, at as u32);
            return Err(AnalyzeError::TooDeep {
                line,
                column,
                depth,
                limit: options.max_depth,
            });
        }

        let path = url.split(['?', '#']).next().unwrap_or(url);
        let forced = if path.ends_with(".mjs") || path.ends_with(".mts") {
            Some(ModuleKind::Esm)
        } else if path.ends_with(".cjs") || path.ends_with(".cts") {
            Some(ModuleKind::CommonJs)
        } else {
            None
        };

        let cm: Lrc<SourceMap> = Default::default();
        let fm = cm.new_source_file(Lrc::new(FileName::Anon), text.to_owned());
        let start = fm.start_pos.0;
        let globals = Globals::new();
        let parse_error = |span: swc_common::Span, msg: String| {
            let (line, column) = lines.position(text, span.lo.0.saturating_sub(start));
            AnalyzeError::Parse {
                line,
                column,
                message: msg,
            }
        };

        let resolved = GLOBALS.set(&globals, || {
            let mut parser = Parser::new(language.syntax(), StringInput::from(&*fm), None);
            let parsed = match forced {
                Some(ModuleKind::Esm) => parser.parse_module().map(Program::Module),
                // TypeScript's CommonJS syntax (`import x = require()`, `export =`) needs module
                // parsing; plain `.cjs` is a sloppy-mode script.
                Some(ModuleKind::CommonJs) if language.is_typescript() => {
                    parser.parse_module().map(Program::Module)
                }
                Some(ModuleKind::CommonJs) => parser.parse_script().map(Program::Script),
                None => parser.parse_program(),
            };
            let mut program = match parsed {
                Ok(p) => p,
                Err(e) => return Err(parse_error(e.span(), e.kind().msg().into_owned())),
            };
            if let Some(e) = parser.take_errors().into_iter().min_by_key(|e| e.span().lo) {
                return Err(parse_error(e.span(), e.kind().msg().into_owned()));
            }

            let unresolved_mark = Mark::new();
            let top_level_mark = Mark::new();
            resolver(unresolved_mark, top_level_mark, language.is_typescript())
                .process(&mut program);
            let unresolved = SyntaxContext::empty().apply_mark(unresolved_mark);
            let top_level = SyntaxContext::empty().apply_mark(top_level_mark);

            let kind = match program {
                Program::Module(_) => forced.unwrap_or(ModuleKind::Esm),
                Program::Script(_) => ModuleKind::CommonJs,
            };
            let module = into_module(program);
            let scope = ScopeInfo::build(&module, unresolved, top_level);
            Ok((
                unresolved_mark,
                top_level_mark,
                unresolved,
                top_level,
                kind,
                module,
                scope,
            ))
        })?;
        let (unresolved_mark, top_level_mark, unresolved, top_level, kind, module, scope) =
            resolved;
        #[cfg(debug_assertions)]
        crate::guard::inject_panic(text, crate::guard::INJECT_PANIC_IN_PARSE);
        Ok(SourceFile {
            url: normalize_url(url),
            fm,
            language,
            kind,
            hash: content_hash(source),
            cm,
            start,
            globals,
            unresolved_mark,
            top_level_mark,
            unresolved,
            top_level,
            module,
            lines,
            scope,
        })
    }

    /// The key to cache this file under: its URL and a hash of its text.
    ///
    /// ```
    /// let key = weft_analyzer::SourceFile::cache_key("file:///a.js", "spawn(() => 1)");
    /// assert!(key.starts_with("file:///a.js#"));
    /// ```
    pub fn cache_key(url: &str, source: &str) -> String {
        format!("{}#{:016x}", url, content_hash(source))
    }

    /// The URL this file was parsed from (plain paths turned into `file://` URLs).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The language the file was parsed as.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Whether the file is an ES module or CommonJS.
    pub fn module_kind(&self) -> ModuleKind {
        self.kind
    }

    /// [`content_hash`] of the text.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The text every span points into.
    pub(crate) fn src(&self) -> &str {
        &self.fm.src
    }

    pub(crate) fn pos(&self, bytepos: swc_common::BytePos) -> (u32, u32) {
        self.lines
            .position(self.src(), bytepos.0.saturating_sub(self.start))
    }

    pub(crate) fn text(&self, span: swc_common::Span) -> &str {
        let src = self.src();
        let lo = (span.lo.0.saturating_sub(self.start) as usize).min(src.len());
        let hi = (span.hi.0.saturating_sub(self.start) as usize).clamp(lo, src.len());
        src.get(lo..hi).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_language_and_module_kind() {
        assert_eq!(
            Language::from_url("file:///a/b.mts?x=1"),
            Some(Language::Ts)
        );
        assert_eq!(Language::from_url("file:///a.b/c"), None);
        let f = SourceFile::parse("/srv/app.cjs", "const x = require('x');").unwrap();
        assert_eq!(f.module_kind(), ModuleKind::CommonJs);
        assert_eq!(f.url(), "file:///srv/app.cjs");
        let f = SourceFile::parse("file:///a.js", "export const x = 1;").unwrap();
        assert_eq!(f.module_kind(), ModuleKind::Esm);
    }

    #[test]
    fn recovered_errors_are_reported_with_position() {
        let err =
            SourceFile::parse("file:///a.js", "let x = 1;\nlet x = 2;\nconst = ;").unwrap_err();
        assert!(matches!(err, AnalyzeError::Parse { .. }), "{err:?}");
    }

    #[test]
    fn rejects_unknown_extensions() {
        let err = SourceFile::parse("file:///a.py", "").unwrap_err();
        assert_eq!(err.name(), "UnsupportedExtension");
    }
}
