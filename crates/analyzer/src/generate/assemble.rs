//! Writing the worker module's text: the pieces swc prints, the wrapper code around them, and the
//! position map of the printed pieces back to the caller's file.

use swc_common::{BytePos, LineCol, DUMMY_SP};
use swc_ecma_ast::*;
use swc_ecma_codegen::{text_writer::JsWriter, Emitter};

use crate::parse::SourceFile;
use crate::position_map::MapBuilder;

use super::lower::Pieces;
use super::WrapperNames;

/// What the wrapper code around the pieces depends on.
pub(super) struct Wrapper<'a> {
    pub(super) names: &'a WrapperNames,
    /// The export must be `async`: a re-created declaration awaits.
    pub(super) is_async: bool,
    /// The code calls `require`: create it for the caller's file.
    pub(super) uses_require: bool,
    /// The closure's enclosing-scope captures, read from the export's first argument.
    pub(super) locals: &'a [String],
    /// The top-level names passed by value, read from the export's second argument.
    pub(super) by_value: &'a [String],
}

/// A worker module's text and its position map.
pub(super) struct Assembly {
    pub(super) code: String,
    pub(super) mappings: Vec<[u32; 4]>,
}

/// Writes the module: the imports, then the default export, which runs the re-created
/// declarations and returns the closure's result.
pub(super) fn assemble(file: &SourceFile, pieces: Pieces, wrapper: &Wrapper<'_>) -> Assembly {
    let Wrapper {
        names,
        is_async,
        uses_require,
        locals,
        by_value,
    } = wrapper;
    let mut out = Writer::new(file);

    let (imports, srcmap) = emit(file, pieces.imports);
    out.copied(&imports, &srcmap);
    if *uses_require {
        out.wrapper(&format!(
            "import {{ createRequire as {} }} from \"node:module\";\n",
            names.create_require
        ));
        out.wrapper(&format!(
            "const require = {}({});\n",
            names.create_require,
            js_string(&file.url)
        ));
    }
    out.wrapper(&format!(
        "export default {}function {}({}, {}) {{\n",
        if *is_async { "async " } else { "" },
        names.run,
        names.locals,
        names.top
    ));
    if !by_value.is_empty() {
        out.wrapper(&format!(
            "let {{ {} }} = {};\n",
            by_value.join(", "),
            names.top
        ));
    }

    let (body, srcmap) = emit(file, pieces.body);
    out.copied(&body, &srcmap);

    let (closure, srcmap) = emit_expr(file, pieces.closure);
    if locals.is_empty() {
        out.wrapper("return ");
    } else {
        out.wrapper(&format!("return (({{ {} }}) => ", locals.join(", ")));
    }
    out.copied(&closure, &srcmap);
    out.end_copied();
    if locals.is_empty() {
        out.wrapper("();\n}\n");
    } else {
        out.wrapper(&format!("())({});\n}}\n", names.locals));
    }
    out.finish()
}

/// The module text as it is written, with the map of the parts copied from the caller's file.
struct Writer<'f> {
    file: &'f SourceFile,
    code: String,
    map: MapBuilder,
}

impl<'f> Writer<'f> {
    fn new(file: &'f SourceFile) -> Self {
        Writer {
            file,
            code: String::new(),
            map: MapBuilder::default(),
        }
    }

    /// Appends wrapper code, which maps to nothing.
    fn wrapper(&mut self, text: &str) {
        self.code.push_str(text);
    }

    /// Appends code printed from the caller's file, with the printer's `srcmap` for it.
    fn copied(&mut self, text: &str, srcmap: &[(BytePos, LineCol)]) {
        let (line, column) = end_of(&self.code);
        self.map.add(self.file, srcmap, line, column);
        self.code.push_str(text);
    }

    /// Marks the end of the copied text on the current line.
    fn end_copied(&mut self) {
        let (line, column) = end_of(&self.code);
        self.map.end(line, column);
    }

    fn finish(self) -> Assembly {
        Assembly {
            code: self.code,
            mappings: self.map.finish(),
        }
    }
}

/// The code for `body`, with the code generator's (original position, generated 0-based line and
/// UTF-16 column) entries.
fn emit(file: &SourceFile, body: Vec<ModuleItem>) -> (String, Vec<(BytePos, LineCol)>) {
    let module = Module {
        span: DUMMY_SP,
        body,
        shebang: None,
    };
    let mut buf = Vec::new();
    let mut srcmap = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: swc_ecma_codegen::Config::default().with_target(EsVersion::latest()),
            cm: file.cm.clone(),
            comments: None,
            wr: JsWriter::new(file.cm.clone(), "\n", &mut buf, Some(&mut srcmap)),
        };
        // Writing to a Vec cannot fail.
        let _ = emitter.emit_module(&module);
    }
    (String::from_utf8_lossy(&buf).into_owned(), srcmap)
}

/// The code for `expr` in parentheses, without the `;` and line break of a statement, with the
/// code generator's entries for it.
fn emit_expr(file: &SourceFile, expr: Box<Expr>) -> (String, Vec<(BytePos, LineCol)>) {
    let stmt = ModuleItem::Stmt(Stmt::Expr(ExprStmt {
        span: DUMMY_SP,
        expr: Box::new(Expr::Paren(ParenExpr {
            span: DUMMY_SP,
            expr,
        })),
    }));
    let (text, srcmap) = emit(file, vec![stmt]);
    let text = text.trim_end().trim_end_matches(';');
    // Entries past the trimmed text belong to the `;` and line break dropped.
    let (last_line, last_column) = end_of(text);
    let srcmap = srcmap
        .into_iter()
        .filter(|(_, at)| (at.line, at.col) <= (last_line, last_column))
        .collect();
    (text.to_owned(), srcmap)
}

/// The 0-based line and UTF-16 column at the end of `code`, counting lines as the code generator
/// does (`\n`, `\r\n`, `\r`).
fn end_of(code: &str) -> (u32, u32) {
    let bytes = code.as_bytes();
    let (mut line, mut start) = (0, 0);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            start = i + 1;
        }
    }
    (line, code[start..].encode_utf16().count() as u32)
}

/// A JS string literal for `s`.
fn js_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
