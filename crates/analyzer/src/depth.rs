//! A cheap pre-scan that bounds how deeply the parser and the visitors will recurse.
//!
//! swc parses and walks syntax trees recursively, and so each level of nesting in the source
//! costs stack twice in Wasm: the engine's own stack (V8's is about 1 MiB on a main thread), and
//! the module's shadow stack (4 MiB on the main thread, 2 MiB in a worker). A trap or a
//! `RangeError` there leaves the instance unusable. So before parsing, one linear pass over the
//! bytes estimates the nesting the tree will have, and files beyond the limit are rejected with
//! [`AnalyzeError::TooDeep`](crate::AnalyzeError::TooDeep).
//!
//! The estimate is in levels of about 1 KiB of engine stack each, counted in eighths. What each
//! construct weighs was measured with the release `.wasm` (parse, resolve, find the closure,
//! generate its module) on the main threads and workers of Node 24, Deno 2.9 and Bun 1.4:
//! - each open `(`, `[`, `{` and template `${` is one level;
//! - inside one bracket level, operators that nest the tree without brackets add to it until the
//!   next `,`, `;` or statement-ending newline, each with its own weight ([`ARROW`], [`PREFIX`],
//!   [`ASSIGN`], [`TERNARY`], [`MEMBER`], …).
//!
//! Strings, comments, template text and regular expressions are skipped. The scan never fails:
//! on input it does not understand it keeps a best-effort estimate.

/// One level, in the units the scan counts: an open bracket.
const LEVEL: u32 = 8;
/// `=>`.
const ARROW: u32 = 12;
/// The `function` keyword (its body's `{` is a level of its own).
const FUNCTION: u32 = 8;
/// Prefix operators: `!x`, `-x`, `++x`, `typeof`, `void`, `delete`, `await`, `new`, `yield`.
const PREFIX: u32 = 3;
/// `?` of a conditional, and `else`.
const TERNARY: u32 = 3;
/// `=` and compound assignments.
const ASSIGN: u32 = 3;
/// An opening JSX tag.
const JSX_TAG: u32 = 4;
/// `.x`, and `[` after an operand (an index).
const MEMBER: u32 = 3;
/// `?.`.
const OPTIONAL: u32 = 4;
/// `(` after an operand: a call.
const CALL: u32 = 2;
/// Binary operators, including `>`.
const BINARY: u32 = 2;
/// `<` after an operand: a comparison, or TypeScript type arguments, which nest deeply.
const LESS: u32 = 6;

#[derive(Clone, Copy)]
enum Open {
    Bracket,
    Template,
}

/// The deepest estimated nesting (in levels) and the byte offset where it was reached, or
/// `Err` with the same pair as soon as `limit` is exceeded.
pub(crate) fn scan(src: &str, limit: u32) -> Result<(u32, usize), (u32, usize)> {
    let b = src.as_bytes();
    let limit_units = limit.saturating_mul(LEVEL);
    // (kind, operator units of the enclosing segment when it opened)
    let mut stack: Vec<(Open, u32)> = Vec::new();
    let mut base = 0u32;
    let mut cur = 0u32;
    let mut max = (0u32, 0usize);
    let mut prev_operand = false;
    // The previous token closed a brace: a statement keyword after it starts a new statement,
    // as in minified code (`function a(){…}function b(){…}`).
    let mut after_brace = false;
    let mut newline_seen = false;
    let mut i = 0usize;

    macro_rules! bump {
        ($units:expr, $at:expr) => {{
            cur = cur.saturating_add($units);
            let d = base.saturating_add(cur);
            if d > max.0 {
                max = (d, $at);
                if d > limit_units {
                    return Err((d.div_ceil(LEVEL), $at));
                }
            }
        }};
    }
    macro_rules! open {
        ($kind:expr, $at:expr) => {{
            stack.push(($kind, cur));
            base = base.saturating_add(LEVEL + cur);
            cur = 0;
            bump!(0, $at);
            let d = base;
            if d > max.0 {
                max = (d, $at);
            }
            if d > limit_units {
                return Err((d.div_ceil(LEVEL), $at));
            }
        }};
    }

    // Scans template text from `i` (just after a backtick or a closing `}` of `${`) to the end
    // of the template or the next `${`; returns the new index and whether `${` was found.
    fn template_text(b: &[u8], mut i: usize) -> (usize, bool) {
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'`' => return (i + 1, false),
                b'$' if b.get(i + 1) == Some(&b'{') => return (i + 2, true),
                _ => i += 1,
            }
        }
        (i, false)
    }

    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' | b'\r' => {
                newline_seen = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | 0x0B | 0x0C => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if b[i] == b'\n' {
                        newline_seen = true;
                    }
                    i += 1;
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        // A newline after a complete operand usually ends a statement (ASI) when the next token
        // starts a new operand.
        let starts_operand = c == b'\'' || c == b'"' || c == b'`' || is_word(c);
        if newline_seen
            && prev_operand
            && starts_operand
            && !next_word_is(b, i, &[b"else", b"in", b"instanceof", b"of"])
        {
            cur = 0;
        }
        newline_seen = false;
        let after_brace = std::mem::replace(&mut after_brace, c == b'}');
        let at = i;
        match c {
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                prev_operand = true;
            }
            b'`' => {
                let (j, expr) = template_text(b, i + 1);
                i = j;
                if expr {
                    open!(Open::Template, at);
                    prev_operand = false;
                } else {
                    prev_operand = true;
                }
            }
            b'(' | b'[' | b'{' => {
                if prev_operand && c != b'{' {
                    // A call or an index nests the callee/object one link deeper.
                    bump!(if c == b'(' { CALL } else { MEMBER }, at);
                }
                open!(Open::Bracket, at);
                prev_operand = false;
                i += 1;
            }
            b')' | b']' | b'}' => {
                i += 1;
                if let Some((kind, saved)) = stack.pop() {
                    base = base.saturating_sub(LEVEL + saved);
                    cur = saved;
                    if let (Open::Template, b'}') = (kind, c) {
                        let (j, expr) = template_text(b, i);
                        i = j;
                        if expr {
                            open!(Open::Template, at);
                            prev_operand = false;
                            continue;
                        }
                    }
                }
                prev_operand = true;
            }
            b',' | b';' => {
                cur = 0;
                prev_operand = false;
                i += 1;
            }
            b'/' => {
                if b.get(i + 1) == Some(&b'>') {
                    // JSX self-closing tag; a `<` after it opens the next tag.
                    cur = cur.saturating_sub(JSX_TAG);
                    i += 2;
                    prev_operand = false;
                } else if prev_operand {
                    bump!(BINARY, at);
                    i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                    prev_operand = false;
                } else {
                    // A regular expression literal.
                    i += 1;
                    let mut class = false;
                    while i < b.len() && b[i] != b'\n' {
                        match b[i] {
                            b'\\' => i += 1,
                            b'[' => class = true,
                            b']' => class = false,
                            b'/' if !class => break,
                            _ => {}
                        }
                        i += 1;
                    }
                    i += 1;
                    while i < b.len() && b[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    prev_operand = true;
                }
            }
            b'<' => {
                if b.get(i + 1) == Some(&b'/') {
                    // JSX closing tag: its element (and the `>` of both tags) counted before.
                    cur = cur.saturating_sub(JSX_TAG + 2 * BINARY);
                    i += 2;
                } else if prev_operand {
                    bump!(LESS, at);
                    prev_operand = false;
                    i += 1;
                } else {
                    bump!(JSX_TAG, at);
                    i += 1;
                }
            }
            b'=' => {
                if b.get(i + 1) == Some(&b'>') {
                    bump!(ARROW, at);
                    i += 2;
                } else if b.get(i + 1) == Some(&b'=') {
                    bump!(BINARY, at);
                    i += 2;
                } else {
                    bump!(ASSIGN, at);
                    i += 1;
                }
                prev_operand = false;
            }
            b'?' => {
                match b.get(i + 1) {
                    Some(b'.') if !b.get(i + 2).is_some_and(u8::is_ascii_digit) => {
                        bump!(OPTIONAL, at);
                        i += 2;
                    }
                    Some(b'?') => {
                        bump!(BINARY, at);
                        i += 2;
                    }
                    _ => {
                        bump!(TERNARY, at);
                        i += 1;
                    }
                }
                prev_operand = false;
            }
            b'.' => {
                if b.get(i + 1) == Some(&b'.') && b.get(i + 2) == Some(&b'.') {
                    i += 3;
                    prev_operand = false;
                } else if b.get(i + 1).is_some_and(u8::is_ascii_digit) && !prev_operand {
                    i = skip_word(b, i + 1);
                    prev_operand = true;
                } else {
                    bump!(MEMBER, at);
                    i += 1;
                    prev_operand = false;
                }
            }
            b'+' | b'-' => {
                if b.get(i + 1) == Some(&c) {
                    if !prev_operand {
                        bump!(PREFIX, at);
                    }
                    i += 2;
                } else if prev_operand {
                    bump!(
                        if b.get(i + 1) == Some(&b'=') {
                            ASSIGN
                        } else {
                            BINARY
                        },
                        at
                    );
                    i += 1;
                    prev_operand = false;
                } else {
                    bump!(PREFIX, at);
                    i += 1;
                }
            }
            b'!' | b'~' => {
                if prev_operand {
                    bump!(BINARY, at);
                    prev_operand = false;
                } else {
                    bump!(PREFIX, at);
                }
                i += 1;
            }
            b'>' => {
                // Counted only when repeated (`a > b > c`): a single `>` also closes JSX tags and
                // type arguments.
                if prev_operand {
                    bump!(BINARY, at);
                }
                i += 1;
                prev_operand = false;
            }
            b'*' | b'%' | b'&' | b'|' | b'^' => {
                bump!(BINARY, at);
                i += 1;
                prev_operand = false;
            }
            b':' => {
                i += 1;
                prev_operand = false;
            }
            _ if is_word(c) => {
                let end = skip_word(b, i);
                let w = &b[i..end];
                i = end;
                if after_brace && starts_statement(w) {
                    cur = 0;
                }
                match w {
                    b"typeof" | b"void" | b"delete" | b"await" | b"new" | b"yield" => {
                        bump!(PREFIX, at);
                        prev_operand = false;
                    }
                    b"else" => {
                        bump!(TERNARY, at);
                        prev_operand = false;
                    }
                    b"function" => {
                        bump!(FUNCTION, at);
                        prev_operand = false;
                    }
                    b"in" | b"instanceof" | b"of" if prev_operand => {
                        bump!(BINARY, at);
                        prev_operand = false;
                    }
                    b"return" | b"throw" | b"case" | b"extends" | b"do" => prev_operand = false,
                    _ => prev_operand = true,
                }
            }
            _ => i += 1,
        }
    }
    Ok((max.0 / LEVEL, max.1))
}

/// Keywords that start a statement (or a declaration) wherever they follow a `}`.
fn starts_statement(word: &[u8]) -> bool {
    matches!(
        word,
        b"function"
            | b"class"
            | b"const"
            | b"let"
            | b"var"
            | b"if"
            | b"for"
            | b"while"
            | b"do"
            | b"return"
            | b"throw"
            | b"try"
            | b"switch"
            | b"export"
            | b"import"
    )
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'#' || c == b'\\' || c >= 0x80
}

fn skip_word(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_word(b[i]) {
        i += 1;
    }
    i
}

fn next_word_is(b: &[u8], i: usize, words: &[&[u8]]) -> bool {
    let end = skip_word(b, i);
    words.iter().any(|w| &b[i..end] == *w)
}

#[cfg(test)]
mod tests {
    use super::scan;

    fn depth(src: &str) -> u32 {
        scan(src, u32::MAX / 16).unwrap().0
    }

    #[test]
    fn brackets_count_as_levels_and_operators_by_their_weight() {
        assert_eq!(depth("f(a[{b: 1}])"), 3);
        assert_eq!(depth(&"(".repeat(50)), 50);
        // `=` and 40 prefix operators: (3 + 40 * 3) / 8.
        assert_eq!(depth(&format!("x = {}y", "!".repeat(40))), 15);
        assert_eq!(depth(&format!("x = {}1", "a ? b : ".repeat(40))), 15);
        // 40 arrows weigh more than 40 brackets; 40 members less.
        assert_eq!(depth(&format!("x = {}1", "() => ".repeat(40))), 60);
        assert_eq!(depth(&format!("x = a{}", ".b".repeat(40))), 15);
    }

    #[test]
    fn strings_comments_regexes_and_templates_are_skipped() {
        assert_eq!(depth("'((((' // ((((\n /* (((( */ x"), 0);
        assert_eq!(depth("a = /[(/]((/g.test(s)"), 2);
        assert_eq!(depth("`(( ${ f(1) } ((`"), 2);
    }

    #[test]
    fn statements_do_not_accumulate() {
        let src = "a = !b;\n".repeat(5000) + &"c = d + e\n".repeat(5000);
        assert!(depth(&src) <= 3);
        // Minified: declarations follow each other's `}` without `;` or a line break.
        let minified = format!("(()=>{{{}}})()", "function a(){x=1}if(y){z=2}".repeat(5000));
        assert!(depth(&minified) <= 6, "{}", depth(&minified));
    }

    #[test]
    fn jsx_siblings_do_not_accumulate_but_nesting_does() {
        let flat = format!("x = <a>{}</a>", "<b>t</b><c/>".repeat(1000));
        assert!(depth(&flat) <= 4, "{}", depth(&flat));
        let deep = format!("x = {}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(depth(&deep) >= 75, "{}", depth(&deep));
    }

    #[test]
    fn reports_where_the_limit_is_exceeded() {
        let src = format!("x;\n{}", "[".repeat(10));
        assert_eq!(scan(&src, 5), Err((6, 8)));
    }
}
