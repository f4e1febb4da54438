//! Whether the closure found at a position is the function the runtime passed to `spawn`.
//!
//! The runtime's text of the function (`Function.prototype.toString()`) is compared with the
//! closure's source. What runtimes and transpilers do to that text, and what is tolerated:
//! - Node and Deno return plain JavaScript exactly as written;
//! - Node's TypeScript type stripping replaces types (and `private`, `readonly`, `?`, `!`) with
//!   spaces, keeping every other character at its position;
//! - Deno (TypeScript, JSX) and transpiling loaders reprint the code: other spacing, parentheses
//!   and semicolons, JSX turned into calls of a factory;
//! - Bun transpiles every file and folds constants: `const k = 2; spawn(() => k * 21)` has the
//!   text `() => 42`, and a local `const x = k` may disappear.
//!
//! So only what none of them changes tells two functions apart: the header (arrow or `function`,
//! `async`, generator, the function's own name); the names the text refers to, most of which
//! must occur in the closure's source (names that transpilers introduce, starting with `_`, `$`,
//! `import_` or `cov_`, and JSX factories, are not counted); and the property names the closure's
//! source reads (`a.b`), most of which must occur in the text (a runtime folds constant bindings,
//! never property accesses; two or more of them gone is another function). Anything else is
//! accepted as the same function, reprinted.

use std::collections::HashSet;

use swc_common::{BytePos, Globals, GLOBALS};
use swc_ecma_ast::{Expr, Ident, MemberProp};
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax};
use swc_ecma_visit::{Visit, VisitWith};

use crate::depth;

/// How a closure's source relates to the runtime's text of the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TextMatch {
    /// The text is the source, up to whitespace and stripped types: certainly this closure.
    Same,
    /// The text could be this closure reprinted by a transpiler.
    Transformed,
    /// The text cannot come from this closure: another function, or another version of the file.
    Different,
}

/// What identifies a function across every transpiler: its kind and its own name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) arrow: bool,
    pub(crate) is_async: bool,
    pub(crate) generator: bool,
    /// The name of a named function expression.
    pub(crate) name: Option<String>,
}

impl Header {
    /// The header of a function expression, looking through parentheses; `None` for anything else.
    pub(crate) fn of(expr: &Expr) -> Option<Header> {
        match expr {
            Expr::Paren(p) => Header::of(&p.expr),
            Expr::Arrow(a) => Some(Header {
                arrow: true,
                is_async: a.is_async,
                generator: a.is_generator,
                name: None,
            }),
            Expr::Fn(f) => Some(Header {
                arrow: false,
                is_async: f.function.is_async,
                generator: f.function.is_generator,
                name: f.ident.as_ref().map(|i| i.sym.to_string()),
            }),
            _ => None,
        }
    }

    fn differs_from(&self, other: &Header) -> bool {
        let names_differ = matches!((&self.name, &other.name), (Some(a), Some(b)) if a != b);
        self.arrow != other.arrow
            || self.is_async != other.is_async
            || self.generator != other.generator
            || names_differ
    }
}

/// Compares `source`, the text of a closure whose header is `header`, with `fn_text`, the
/// runtime's text of the function passed to `spawn`.
pub(crate) fn compare(
    source: &str,
    header: &Header,
    properties: &[String],
    fn_text: &str,
) -> TextMatch {
    if same_text(source, fn_text) {
        return TextMatch::Same;
    }
    let Some((text_header, names)) = parse_function(fn_text) else {
        // Not a function expression we can read: nothing proves it is another function.
        return TextMatch::Transformed;
    };
    if header.differs_from(&text_header) {
        return TextMatch::Different;
    }
    let words = words(source);
    let names: HashSet<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !introduced_by_transpilers(n))
        .collect();
    let foreign = names.iter().filter(|n| !words.contains(*n)).count();
    let text_words = self::words(fn_text);
    let properties: HashSet<&str> = properties.iter().map(String::as_str).collect();
    let lost = properties
        .iter()
        .filter(|p| !text_words.contains(*p))
        .count();
    // A transpiler may rename a name or two; most of them gone means another function.
    if foreign * 2 > names.len() || (lost >= 2 && lost * 2 > properties.len()) {
        TextMatch::Different
    } else {
        TextMatch::Transformed
    }
}

/// The text is the source with whitespace changed, or with characters blanked out the way Node's
/// type stripping does (each UTF-16 unit of a stripped character becomes a space, or a `;` where
/// one is needed; line breaks stay).
fn same_text(source: &str, fn_text: &str) -> bool {
    let significant = |c: &char| !c.is_whitespace();
    if source
        .chars()
        .filter(significant)
        .eq(fn_text.chars().filter(significant))
    {
        return true;
    }
    if source.chars().next() != fn_text.chars().next() {
        return false;
    }
    let mut text = fn_text.chars();
    for s in source.chars() {
        let Some(t) = text.next() else { return false };
        if t == s {
            continue;
        }
        if matches!(s, '\n' | '\r' | '\u{2028}' | '\u{2029}') || !(t == ' ' || t == ';') {
            return false;
        }
        for _ in 1..s.len_utf16() {
            if text.next() != Some(' ') {
                return false;
            }
        }
    }
    text.next().is_none()
}

/// The header of the function `fn_text` and the names of the identifiers in it (not property
/// names), or `None` when it is not a function expression within the depth limit.
fn parse_function(fn_text: &str) -> Option<(Header, Vec<String>)> {
    let wrapped = format!("({fn_text}\n)");
    depth::scan(&wrapped, crate::DEFAULT_MAX_DEPTH).ok()?;
    let syntax = Syntax::Es(EsSyntax {
        jsx: true,
        decorators: true,
        import_attributes: true,
        explicit_resource_management: true,
        ..Default::default()
    });
    let end = BytePos(1 + wrapped.len() as u32);
    let input = StringInput::new(&wrapped, BytePos(1), end);
    let expr = GLOBALS.set(&Globals::new(), || {
        let mut parser = Parser::new(syntax, input, None);
        let expr = parser.parse_expr().ok()?;
        parser.take_errors().is_empty().then_some(expr)
    })?;
    let header = Header::of(&expr)?;
    let mut names = Names(Vec::new());
    expr.visit_with(&mut names);
    Some((header, names.0))
}

/// The names of the properties `closure` reads or writes by name (`a.b`, `a?.b`), in order.
pub(crate) fn property_names(closure: &Expr) -> Vec<String> {
    struct Properties(Vec<String>);
    impl Visit for Properties {
        fn visit_member_prop(&mut self, prop: &MemberProp) {
            if let MemberProp::Ident(name) = prop {
                self.0.push(name.sym.to_string());
            }
            prop.visit_children_with(self);
        }
    }
    let mut properties = Properties(Vec::new());
    closure.visit_with(&mut properties);
    properties.0
}

/// Collects identifier names (bindings and references; property names are `IdentName`s).
struct Names(Vec<String>);

impl Visit for Names {
    fn visit_ident(&mut self, i: &Ident) {
        self.0.push(i.sym.to_string());
    }
}

/// Every run of identifier characters in `source`, including those inside strings and comments
/// (a transpiler may fold a template literal into a string, or keep a comment).
fn words(source: &str) -> HashSet<&str> {
    source
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Names transpilers add to a function's text: helpers (`_jsx`, `__using`, `_ts_decorate`,
/// `$RefreshSig$`), JSX factories (Bun's `jsxDEV_7x81h0kn`, `React.createElement`, `Fragment`),
/// esbuild's CommonJS imports (`import_lodash.default`) and Istanbul's coverage counters
/// (`cov_2b3x()`).
fn introduced_by_transpilers(name: &str) -> bool {
    name.starts_with('_')
        || name.starts_with('$')
        || name.starts_with("cov_")
        || name.starts_with("import_")
        || name.to_ascii_lowercase().contains("jsx")
        || name == "React"
        || name == "Fragment"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow() -> Header {
        Header {
            arrow: true,
            is_async: false,
            generator: false,
            name: None,
        }
    }

    #[test]
    fn exact_and_type_stripped_texts_are_the_same() {
        let h = arrow();
        assert_eq!(
            compare("() => k * 21", &h, &[], "() => k * 21"),
            TextMatch::Same
        );
        assert_eq!(compare("() =>\r\n k", &h, &[], "() => k"), TextMatch::Same);
        let ts = "(): number => (k as any)!";
        let stripped = "()         => (k       ) ";
        assert_eq!(stripped.len(), ts.len());
        assert_eq!(compare(ts, &h, &[], stripped), TextMatch::Same);
    }

    #[test]
    fn reprinted_and_folded_texts_are_accepted() {
        let h = arrow();
        // Bun folds a top-level `const k = 2`.
        assert_eq!(
            compare("() => k * 21", &h, &[], "() => 42"),
            TextMatch::Transformed
        );
        // Deno reprints TypeScript; Bun compiles JSX.
        assert_eq!(
            compare(
                "() => { const x = (k as any); return x }",
                &h,
                &[],
                "()=>{\n  const x = k;\n  return x;\n}"
            ),
            TextMatch::Transformed
        );
        assert_eq!(
            compare("() => <div className=\"x\">{1 + 2}</div>", &h, &[],
                "() => jsxDEV_7x81h0kn(\"div\", {\n  className: \"x\",\n  children: 3\n}, void 0, !1, void 0, this)"
            ),
            TextMatch::Transformed
        );
        // Not a function we can read: nothing to hold against it.
        assert_eq!(
            compare("() => 1", &h, &[], "m() { return 1; }"),
            TextMatch::Transformed
        );
    }

    #[test]
    fn another_function_is_different() {
        let h = arrow();
        assert_eq!(
            compare("() => work(x)", &h, &[], "() => other(y)"),
            TextMatch::Different
        );
        // One name in two may be a transpiler's renaming.
        assert_eq!(
            compare("() => work(x)", &h, &[], "() => other(x)"),
            TextMatch::Transformed
        );
        // esbuild's CommonJS output of `import { work } from "./w.js"`.
        assert_eq!(
            compare("() => work(x)", &h, &[], "() => (0, import_w.work)(x)"),
            TextMatch::Transformed
        );
        assert_eq!(
            compare("() => work(x)", &h, &[], "async () => work(x)"),
            TextMatch::Different
        );
        assert_eq!(
            compare("() => work(x)", &h, &[], "function () { return work(x); }"),
            TextMatch::Different
        );
        // A file edited after it was loaded: the running text names what the new source has, but
        // the source reads properties the running function never mentions.
        let props = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            compare(
                "() => globalThis.process.exit(n)",
                &h,
                &props(&["process", "exit"]),
                "() => n * 2"
            ),
            TextMatch::Different
        );
        // One property gone (an enum member or a define folded by a transpiler) is tolerated.
        assert_eq!(
            compare(
                "() => n * Color.Green + options.factor",
                &h,
                &props(&["Green", "factor"]),
                "() => n * 2 + options.factor"
            ),
            TextMatch::Transformed
        );
        let named = Header {
            arrow: false,
            is_async: false,
            generator: false,
            name: Some("a".into()),
        };
        assert_eq!(
            compare("function a() {}", &named, &[], "function b() {}"),
            TextMatch::Different
        );
    }
}
